/* The direct path's driver (gemm_direct.h): per output row, copy its
 * kernel_h input rows, zero-padded, into a strip of the thread's workspace;
 * then per column block and K block, the direct micro-kernel over the row's
 * 6-pixel tiles, reading A from the strip. The strip costs kernel_h copies
 * of each input row per output row; im2col cost kernel_h·kernel_w copies of
 * each pixel, in pieces of in_c floats. */
#include <string.h>

#include "kernels/gemm/gemm_direct.h"

#define WORKSPACE_ALIGN 64

static size_t round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }

/* Padded columns of the strip: those the row's taps reach. */
static size_t strip_cols(const rc_gemm_conv_params* p) {
  return (size_t)(p->out_w - 1) * (size_t)p->stride_w + (size_t)p->kernel_w;
}
/* Floats between the strip's rows (a multiple of 16: each row starts on a cache line). */
static size_t strip_row(const rc_gemm_conv_params* p) { return round_up(strip_cols(p) * (size_t)p->in_c, 16); }

/* A slice: the strip, then the K tap offsets (int32). */
static size_t strip_bytes(const rc_gemm_conv_params* p) { return (size_t)p->kernel_h * strip_row(p) * sizeof(float); }

size_t rc_gemm_direct_workspace_size(const rc_gemm_conv_params* p) {
  return round_up(WORKSPACE_ALIGN + strip_bytes(p) + rc_gemm_k(p) * sizeof(int32_t), WORKSPACE_ALIGN);
}

typedef struct direct_ctx {
  const rc_gemm_conv_params* p;
  rc_gemm_direct_kernel dk;
  const float* x;
  const float* w;
  const float* bias;
  const float* slopes;
  float* y;
  char* ws;
  size_t slice, rows, parts, K, kc, nk, nb, row_floats;
  float lo, hi;
} direct_ctx;

/* The kernel_h input rows of output row oy of image n, padded: strip column j is input column j − pad_left. */
static void fill_strip(const direct_ctx* c, size_t n, size_t oy, float* strip) {
  const rc_gemm_conv_params* p = c->p;
  const size_t cin = (size_t)p->in_c, cols = strip_cols(p), pl = (size_t)p->pad_left;
  const size_t copy = cols > pl ? (cols - pl < (size_t)p->in_w ? cols - pl : (size_t)p->in_w) : 0;
  const size_t left = (pl < cols ? pl : cols) * cin, right = cols * cin - left - copy * cin;
  for (int32_t ky = 0; ky < p->kernel_h; ky++) {
    float* row = strip + (size_t)ky * c->row_floats;
    const int64_t iy = (int64_t)oy * p->stride_h - p->pad_top + ky;
    if (iy < 0 || iy >= p->in_h) {
      memset(row, 0, cols * cin * sizeof(float));
      continue;
    }
    memset(row, 0, left * sizeof(float));
    memcpy(row + left, c->x + ((n * (size_t)p->in_h + (size_t)iy) * (size_t)p->in_w) * cin, copy * cin * sizeof(float));
    memset(row + left + copy * cin, 0, right * sizeof(float));
  }
}

/* Output rows [begin, end) (image-major) with the strip and offsets in the slice at strip. */
static void run_rows(const direct_ctx* c, size_t begin, size_t end, float* strip) {
  const rc_gemm_conv_params* p = c->p;
  const size_t ow = (size_t)p->out_w, oc = (size_t)p->out_c, oh = (size_t)p->out_h, K = c->K;
  const size_t seg = (size_t)p->kernel_w * (size_t)p->in_c, pix = (size_t)p->stride_w * (size_t)p->in_c;
  int32_t* koff = (int32_t*)((char*)strip + strip_bytes(p));
  for (size_t k = 0; k < K; k++) koff[k] = (int32_t)(k / seg * c->row_floats + k % seg);
  rc_gemm_epilogue ep = {NULL, NULL, c->lo, c->hi};
  for (size_t r = begin; r < end; r++) {
    fill_strip(c, r / oh, r % oh, strip);
    float* yrow = c->y + r * ow * oc;
    /* Column blocks per call as the GEMM driver takes them (gemm.c, run_units). */
    for (size_t nb = 0, step; nb < c->nb; nb += step) {
      const size_t left = c->nb - nb, most = c->dk.panels;
      step = left <= most ? left : most < 3 ? most : 2;
      const size_t col = nb * RC_GEMM_NR, nc = oc - col < step * RC_GEMM_NR ? oc - col : step * RC_GEMM_NR;
      const float* panel = c->w + nb * K * RC_GEMM_NR;
      ep.bias = c->bias ? c->bias + col : NULL;
      ep.slopes = c->slopes ? c->slopes + col : NULL;
      for (size_t kb = 0; kb < c->nk; kb++) {
        const size_t k0 = kb * c->kc, k1 = K - k0 < c->kc ? K : k0 + c->kc;
        const uint32_t flags = (kb > 0 ? RC_GEMM_ACCUMULATE : 0u) | (kb + 1 == c->nk ? RC_GEMM_FINAL : 0u);
        c->dk.fn(ow, nc, k0, k1, koff, strip, pix, panel + k0 * RC_GEMM_NR, K * RC_GEMM_NR, yrow + col, oc, flags, &ep);
      }
    }
  }
}

static void part_task(void* arg, size_t i) {
  const direct_ctx* c = arg;
  run_rows(c, c->rows * i / c->parts, c->rows * (i + 1) / c->parts, (float*)(c->ws + i * c->slice));
}

void rc_gemm_direct_conv2d_nhwc(const rc_gemm_conv_params* p, rc_gemm_direct_kernel dk, const float* x,
                                const float* packed, const float* bias, const float* slopes, float* y, void* workspace,
                                pthreadpool_t pool) {
  direct_ctx c;
  memset(&c, 0, sizeof c);
  c.p = p;
  c.dk = dk;
  c.x = x;
  c.w = packed;
  c.bias = bias;
  c.slopes = p->activation == RC_GEMM_ACT_PRELU ? slopes : NULL;
  c.y = y;
  c.lo = p->activation == RC_GEMM_ACT_CLAMP ? p->act_min : -__builtin_inff();
  c.hi = p->activation == RC_GEMM_ACT_CLAMP ? p->act_max : __builtin_inff();
  c.K = rc_gemm_k(p);
  rc_gemm_k_blocks(p, &c.kc, &c.nk);
  c.nb = round_up((size_t)p->out_c, RC_GEMM_NR) / RC_GEMM_NR;
  c.row_floats = strip_row(p);
  c.slice = rc_gemm_direct_workspace_size(p);
  c.ws = (char*)(((uintptr_t)workspace + WORKSPACE_ALIGN - 1) & ~(uintptr_t)(WORKSPACE_ALIGN - 1));
  c.rows = (size_t)p->batch * (size_t)p->out_h;
  const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
  c.parts = threads < c.rows ? threads : c.rows;
  if (c.parts <= 1) {
    c.parts = 1;
    part_task(&c, 0);
    return;
  }
  pthreadpool_parallelize_1d(pool, part_task, &c, c.parts, 0);
}

/* The direct path's driver (gemm_direct.h): per output row, bring its
 * kernel_h input rows, zero-padded, into a ring in the thread's workspace
 * (only the rows the previous output row did not have); then per column
 * block and K block, the direct micro-kernel over the row's pixels, reading
 * A from the ring through per-tap offsets. im2col cost kernel_h·kernel_w
 * copies of each pixel, in pieces of in_c floats. */
#include <string.h>

#include "kernels/common/size.h"
#include "kernels/gemm/gemm_direct.h"

#define WORKSPACE_ALIGN 64

/* Padded columns of the strip: those the row's taps reach. */
static size_t strip_cols(const rc_gemm_conv_params* p) {
  return (size_t)(p->out_w - 1) * (size_t)p->stride_w + (size_t)p->kernel_w;
}
/* Floats between the strip's rows (a multiple of 16: each row starts on a cache line). */
static size_t strip_row(const rc_gemm_conv_params* p) { return rc_round_up(strip_cols(p) * (size_t)p->in_c, 16); }

/* A slice: the strip (a ring of kernel_h padded rows), the input row each
 * slot holds (int64 tags), then the K tap offsets (int32). */
static size_t strip_bytes(const rc_gemm_conv_params* p) { return (size_t)p->kernel_h * strip_row(p) * sizeof(float); }

size_t rc_gemm_direct_workspace_size(const rc_gemm_conv_params* p) {
  return rc_round_up(
      WORKSPACE_ALIGN + strip_bytes(p) + (size_t)p->kernel_h * sizeof(int64_t) + rc_gemm_k(p) * sizeof(int32_t),
      WORKSPACE_ALIGN);
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

/* Padded input row iy of image n into row: strip column j is input column j − pad_left. */
static void fill_row(const direct_ctx* c, size_t n, int64_t iy, float* row) {
  const rc_gemm_conv_params* p = c->p;
  const size_t cin = (size_t)p->in_c, cols = strip_cols(p), pl = (size_t)p->pad_left;
  const size_t copy = cols > pl ? (cols - pl < (size_t)p->in_w ? cols - pl : (size_t)p->in_w) : 0;
  const size_t left = (pl < cols ? pl : cols) * cin, right = cols * cin - left - copy * cin;
  if (iy < 0 || iy >= p->in_h) {
    memset(row, 0, cols * cin * sizeof(float));
    return;
  }
  memset(row, 0, left * sizeof(float));
  memcpy(row + left, c->x + ((n * (size_t)p->in_h + (size_t)iy) * (size_t)p->in_w) * cin, copy * cin * sizeof(float));
  memset(row + left + copy * cin, 0, right * sizeof(float));
}

/* The kernel_h input rows of output row oy of image n in the ring: input
 * row iy lives in slot iy mod kernel_h (kernel_h consecutive rows, distinct
 * slots), so rows shared with the previous output row (all but stride_h of
 * them) are not copied again; koff points each tap at its row's slot. */
static void fill_strip(const direct_ctx* c, size_t n, size_t oy, float* strip, int64_t* tags, int32_t* koff) {
  const rc_gemm_conv_params* p = c->p;
  /* (tags: padded rows iy ∈ [−pad_top, −pad_top + span) of image n, as n·span + iy + pad_top ≥ 0) */
  const int64_t kh = p->kernel_h, span = (int64_t)(p->out_h - 1) * p->stride_h + kh;
  const size_t seg = (size_t)p->kernel_w * (size_t)p->in_c;
  for (int64_t ky = 0; ky < kh; ky++) {
    const int64_t iy = (int64_t)oy * p->stride_h - p->pad_top + ky, slot = ((iy % kh) + kh) % kh;
    const int64_t tag = (int64_t)n * span + iy + p->pad_top;
    if (tags[slot] != tag) {
      fill_row(c, n, iy, strip + (size_t)slot * c->row_floats);
      tags[slot] = tag;
    }
    for (size_t t = 0; t < seg; t++) koff[(size_t)ky * seg + t] = (int32_t)((size_t)slot * c->row_floats + t);
  }
}

/* Output rows [begin, end) (image-major) with the strip and offsets in the slice at strip. */
static void run_rows(const direct_ctx* c, size_t begin, size_t end, float* strip) {
  const rc_gemm_conv_params* p = c->p;
  const size_t ow = (size_t)p->out_w, oc = (size_t)p->out_c, oh = (size_t)p->out_h, K = c->K;
  const size_t pix = (size_t)p->stride_w * (size_t)p->in_c;
  int64_t* tags = (int64_t*)((char*)strip + strip_bytes(p));
  int32_t* koff = (int32_t*)(tags + p->kernel_h);
  for (int32_t i = 0; i < p->kernel_h; i++) tags[i] = -1; /* (tags are ≥ 0) */
  rc_gemm_epilogue ep = {NULL, NULL, c->lo, c->hi};
  for (size_t r = begin; r < end; r++) {
    fill_strip(c, r / oh, r % oh, strip, tags, koff);
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

/* Rows of part i, in the slice of the thread that claimed it. */
static void part_task(void* arg, size_t i, size_t thread) {
  const direct_ctx* c = arg;
  run_rows(c, c->rows * i / c->parts, c->rows * (i + 1) / c->parts, (float*)(c->ws + thread * c->slice));
}

void rc_gemm_direct_conv2d_nhwc(const rc_gemm_conv_params* p, rc_gemm_direct_kernel dk, const float* x,
                                const float* packed, const float* bias, const float* slopes, float* y, void* workspace,
                                rc_pool* pool) {
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
  c.nb = rc_round_up((size_t)p->out_c, RC_GEMM_NR) / RC_GEMM_NR;
  c.row_floats = strip_row(p);
  c.slice = rc_gemm_direct_workspace_size(p);
  c.ws = (char*)(((uintptr_t)workspace + WORKSPACE_ALIGN - 1) & ~(uintptr_t)(WORKSPACE_ALIGN - 1));
  c.rows = (size_t)p->batch * (size_t)p->out_h;
  /* Up to RC_POOL_ITEMS_PER_THREAD parts per thread, claimed dynamically: a descheduled thread's
   * share is taken by the others (a part boundary refills kernel_h - 1 rows). */
  c.parts = rc_pool_parts(pool, c.rows);
  rc_pool_parallelize(pool, part_task, &c, c.parts);
}

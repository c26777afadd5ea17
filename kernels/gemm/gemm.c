/* GEMM conv driver: dispatch, weight packing, blocking and the per-run loop
 * (pack a block of im2col rows → per column block and K block, the 6×16
 * micro-kernel over the block's rows). See gemm.h for the algorithm. */
#include "kernels/gemm/gemm.h"

#include <pthread.h>
#include <string.h>

#include "kernels/common/convert.h"
#include "kernels/common/cpu.h"
#include "kernels/common/isa.h"
#include "kernels/common/size.h"
#include "kernels/gemm/gemm_direct.h"
#include "kernels/gemm/gemm_ukernels.h"

#define DEFAULT_L1_BYTES ((size_t)32 * 1024)
#define DEFAULT_L2_BYTES ((size_t)512 * 1024)
#define WORKSPACE_ALIGN 64
/* At most this many pixels per block: the block's partial sums for one
 * column block (MB rows of 64 bytes) stay in L1 beside the weight panel. */
#define MAX_BLOCK_PIXELS 144

/* ------------------------------------------------------------ dispatch */

/* Per micro-kernel, the function or NULL when this CPU (or build) cannot run
 * it. Filled once, from gemm_ukernels.inc. */
typedef struct ukernel {
  rc_gemm_ukernel_fn narrow;    /* 16 columns per call */
  rc_gemm_wide_ukernel_fn wide; /* or panels·16 columns per call */
  size_t panels;                /* 16-lane panels per call */
  size_t mr;                    /* most rows per call: 6 or 12 */
} ukernel;
static ukernel g_table[RC_GEMM_UK_COUNT];
static rc_gemm_ukernel g_auto = RC_GEMM_UK_SCALAR;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#define SLOT_16 narrow
#define SLOT_32 wide
#define SLOT_48 wide
#define SLOT(nr) SLOT_##nr

static void init_table(void) {
  const rc_cpu* cpu = rc_cpu_get();
  /* AUTO: the last available line marked auto. */
#define RC_GEMM_UKERNEL(ID, name, ISA, nr, rows, autopick, kind, tile) \
  RC_IF_ISA_##ISA(if (RC_ISA_AVAILABLE_##ISA(cpu)) {                   \
    g_table[RC_GEMM_UK_##ID].SLOT(nr) = rc_gemm_##name;                \
    g_table[RC_GEMM_UK_##ID].panels = (nr) / RC_GEMM_NR;               \
    g_table[RC_GEMM_UK_##ID].mr = (rows);                              \
    if (autopick) g_auto = RC_GEMM_UK_##ID;                            \
  })
#include "kernels/gemm/gemm_ukernels.inc"
#undef RC_GEMM_UKERNEL
  g_table[RC_GEMM_UK_AUTO] = g_table[g_auto];
}

int rc_gemm_ukernel_available(rc_gemm_ukernel uk) {
  if ((unsigned)uk >= RC_GEMM_UK_COUNT) return 0;
  pthread_once(&g_once, init_table);
  return g_table[uk].narrow || g_table[uk].wide;
}

rc_gemm_ukernel rc_gemm_ukernel_resolve(rc_gemm_ukernel uk) {
  pthread_once(&g_once, init_table);
  if ((unsigned)uk >= RC_GEMM_UK_COUNT || !rc_gemm_ukernel_available(uk)) return RC_GEMM_UK_SCALAR;
  return uk == RC_GEMM_UK_AUTO ? g_auto : uk;
}

int rc_gemm_ukernel_nr(rc_gemm_ukernel uk) {
  const ukernel* k = &g_table[rc_gemm_ukernel_resolve(uk)];
  return (int)(k->wide ? k->panels * RC_GEMM_NR : RC_GEMM_NR);
}

const char* rc_gemm_ukernel_name(rc_gemm_ukernel uk) {
  switch (uk) {
    case RC_GEMM_UK_AUTO: return "auto";
#define RC_GEMM_UKERNEL(ID, name, ...) \
  case RC_GEMM_UK_##ID:                \
    return "gemm_" #name;
#include "kernels/gemm/gemm_ukernels.inc"
#undef RC_GEMM_UKERNEL
    default: return "?";
  }
}

/* ------------------------------------------------------------ shapes */

size_t rc_gemm_k(const rc_gemm_conv_params* p) {
  return (size_t)p->kernel_h * (size_t)p->kernel_w * (size_t)(p->in_c / p->groups);
}

static size_t ocg_pad(const rc_gemm_conv_params* p) { return rc_round_up((size_t)(p->out_c / p->groups), RC_GEMM_NR); }

size_t rc_gemm_packed_size(const rc_gemm_conv_params* p) { return (size_t)p->groups * ocg_pad(p) * rc_gemm_k(p); }
size_t rc_gemm_channels_size(const rc_gemm_conv_params* p) { return (size_t)p->groups * ocg_pad(p); }

void rc_gemm_pack_weights(const rc_gemm_conv_params* p, const float* w, const size_t* perm, float* packed) {
  const size_t groups = (size_t)p->groups, ocg = (size_t)(p->out_c / p->groups), icg = (size_t)(p->in_c / p->groups);
  const size_t kh = (size_t)p->kernel_h, kw = (size_t)p->kernel_w, taps = kh * kw, K = taps * icg;
  const size_t nbg = ocg_pad(p) / RC_GEMM_NR;
  memset(packed, 0, rc_gemm_packed_size(p) * sizeof(float));
  for (size_t g = 0; g < groups; g++) {
    for (size_t o = 0; o < ocg; o++) {
      const size_t j = g * ocg + o, src = perm ? perm[j] : j;
      float* panel = packed + (g * nbg + o / RC_GEMM_NR) * K * RC_GEMM_NR + o % RC_GEMM_NR;
      for (size_t ic = 0; ic < icg; ic++)
        for (size_t t = 0; t < taps; t++) panel[(t * icg + ic) * RC_GEMM_NR] = w[(src * icg + ic) * taps + t];
    }
  }
}

void rc_gemm_pack_channels(const rc_gemm_conv_params* p, const float* v, int shared, const size_t* perm, float* out) {
  const size_t groups = (size_t)p->groups, ocg = (size_t)(p->out_c / p->groups), pad = ocg_pad(p);
  memset(out, 0, rc_gemm_channels_size(p) * sizeof(float));
  for (size_t g = 0; g < groups; g++)
    for (size_t o = 0; o < ocg; o++) {
      const size_t j = g * ocg + o;
      out[g * pad + o] = shared ? v[0] : v[perm ? perm[j] : j];
    }
}

/* x read in place as the A matrix: a 1×1, stride-1, unpadded conv (or an FC). */
static int direct(const rc_gemm_conv_params* p) {
  return p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
         p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w;
}

typedef struct blocking {
  size_t K, kc, nk; /* K blocks of kc (the last one shorter) */
  size_t mb;        /* pixels per block, a multiple of 6 */
} blocking;

static blocking blocking_of(const rc_gemm_conv_params* p) {
  const rc_cpu* cpu = rc_cpu_get();
  size_t l1 = p->l1_bytes ? p->l1_bytes : cpu->l1d_bytes ? cpu->l1d_bytes : DEFAULT_L1_BYTES;
  size_t l2 = p->l2_bytes ? p->l2_bytes : cpu->l2_bytes ? cpu->l2_bytes : DEFAULT_L2_BYTES;
  blocking b;
  b.K = rc_gemm_k(p);
  /* The 16-lane weight panel of a K block takes at most half of L1. */
  size_t kc_max = l1 / 2 / (RC_GEMM_NR * sizeof(float));
  if (kc_max < 16) kc_max = 16;
  b.nk = rc_ceil_div(b.K, kc_max);
  b.kc = rc_ceil_div(b.K, b.nk);
  /* The block's packed rows take at most half of L2. */
  size_t mb = l2 / 2 / (b.K * sizeof(float)) / RC_GEMM_MR * RC_GEMM_MR;
  if (mb > MAX_BLOCK_PIXELS) mb = MAX_BLOCK_PIXELS;
  if (mb < RC_GEMM_MR) mb = RC_GEMM_MR;
  const size_t pixels = (size_t)p->batch * (size_t)p->out_h * (size_t)p->out_w;
  if (mb > rc_round_up(pixels, RC_GEMM_MR)) mb = rc_round_up(pixels, RC_GEMM_MR);
  b.mb = mb;
  return b;
}

void rc_gemm_k_blocks(const rc_gemm_conv_params* p, size_t* kc, size_t* nk) {
  const blocking b = blocking_of(p);
  *kc = b.kc;
  *nk = b.nk;
}

rc_gemm_direct_kernel rc_gemm_direct_kernel_of(rc_gemm_ukernel resolved) {
  rc_gemm_direct_kernel dk = {NULL, 1};
  switch (resolved) {
    case RC_GEMM_UK_SCALAR: dk.fn = rc_gemm_direct_6x16__scalar; break;
#if RC_ARCH_X86_64
    case RC_GEMM_UK_FMA3:
    case RC_GEMM_UK_FMA3_WINO: dk.fn = rc_gemm_direct_6x16__avx2; break;
    case RC_GEMM_UK_AVX512F:
    case RC_GEMM_UK_AVX512F_48:
      dk.fn = rc_gemm_direct_8x48__avx512f;
      dk.panels = 3;
      break;
#endif
    default: break;
  }
  return dk;
}

int rc_gemm_direct_used(const rc_gemm_conv_params* p) {
  if (p->direct < 0 || (p->direct == 0 && p->in_c > RC_GEMM_DIRECT_MAX_CIN)) return 0;
  if (p->groups != 1 || p->dilation_h != 1 || p->dilation_w != 1 || direct(p)) return 0;
  if (p->out_w < 1 || p->kernel_h < 1 || p->kernel_w < 1) return 0;
  pthread_once(&g_once, init_table);
  return rc_gemm_direct_kernel_of(rc_gemm_ukernel_resolve(p->ukernel)).fn != NULL;
}

/* The packed rows of a pixel block (none when x is read in place), then,
 * with packed_half, the converted K block of up to 3 weight panels. */
static size_t rows_bytes(const rc_gemm_conv_params* p, const blocking* b) {
  return direct(p) ? 0 : rc_round_up(b->mb * b->K * sizeof(float), WORKSPACE_ALIGN);
}

static size_t slice_bytes(const rc_gemm_conv_params* p, const blocking* b) {
  const size_t panels = p->packed_half ? 3 * b->kc * RC_GEMM_NR * sizeof(float) : 0;
  if (direct(p) && !panels) return 0;
  return rc_round_up(WORKSPACE_ALIGN + rows_bytes(p, b) + panels, WORKSPACE_ALIGN);
}

size_t rc_gemm_workspace_size(const rc_gemm_conv_params* p) {
  if (rc_gemm_direct_used(p)) return rc_gemm_direct_workspace_size(p);
  const blocking b = blocking_of(p);
  return slice_bytes(p, &b);
}

/* ------------------------------------------------------------ run */

#define PACK_TAGS 64

typedef struct run_ctx {
  const rc_gemm_conv_params* p;
  ukernel uk;
  blocking b;
  const float* x;
  const float* w;
  const uint16_t* w_half; /* or NULL: w */
  const rc_convert_kernels* half;
  const float* bias;
  const float* slopes;
  float* y;
  char* ws;
  size_t slice;
  float lo, hi;
  size_t pixels, icg, ocg, ocg_pad, nbg;
  size_t ncg;   /* column ranges per group */
  size_t units; /* pixel blocks × groups × ncg */
  size_t parts;
  int direct;
  /* Per thread (the first PACK_TAGS): the pixel block × group whose rows its
   * slice holds, or SIZE_MAX. A thread's consecutive parts often share one
   * (column ranges of one block: RepVGG-A0's stage4.0, 49 pixels, packs once
   * a thread instead of once a part). */
  size_t packed[PACK_TAGS];
} run_ctx;

/* The im2col rows of pixels [p0, p0 + rows) for group g: A[r][(ky·kw + kx)·icg + ic]. */
static void pack_rows(const run_ctx* c, size_t p0, size_t rows, size_t g, float* a) {
  const rc_gemm_conv_params* p = c->p;
  const size_t hw = (size_t)p->out_h * (size_t)p->out_w, ow = (size_t)p->out_w, icg = c->icg;
  const size_t in_c = (size_t)p->in_c, bytes = icg * sizeof(float);
  /* Ungrouped, undilated: an in-bounds kernel row is one run of
   * kernel_w·in_c floats in x (NHWC) and in the packed row alike. */
  const int whole = icg == in_c && p->dilation_w == 1;
  const size_t row_bytes = (size_t)p->kernel_w * bytes;
  for (size_t r = 0; r < rows; r++) {
    const size_t px = p0 + r, n = px / hw, oy = px % hw / ow, ox = px % ow;
    const float* xn = c->x + n * (size_t)p->in_h * (size_t)p->in_w * in_c + g * icg;
    float* dst = a + r * c->b.K;
    const int64_t iy0 = (int64_t)oy * p->stride_h - p->pad_top, ix0 = (int64_t)ox * p->stride_w - p->pad_left;
    for (int32_t ky = 0; ky < p->kernel_h; ky++) {
      const int64_t iy = iy0 + (int64_t)ky * p->dilation_h;
      if (whole && iy >= 0 && iy < p->in_h && ix0 >= 0 && ix0 + p->kernel_w <= p->in_w) {
        memcpy(dst, xn + ((size_t)iy * (size_t)p->in_w + (size_t)ix0) * in_c, row_bytes);
        dst += (size_t)p->kernel_w * icg;
        continue;
      }
      for (int32_t kx = 0; kx < p->kernel_w; kx++, dst += icg) {
        const int64_t ix = ix0 + (int64_t)kx * p->dilation_w;
        if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
          memset(dst, 0, bytes);
        } else {
          memcpy(dst, xn + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * in_c, bytes);
        }
      }
    }
  }
}

/* The 16-lane panels of the call at column block nb of [.., nb1): a wide
 * kernel takes two column blocks per call, and a three-panel one the last
 * three of an odd count (a lone 16-lane call wastes half of a 6×32 tile);
 * per lane every call computes what the narrow one would. */
static size_t panels_at(const run_ctx* c, size_t nb, size_t nb1) {
  const size_t left = nb1 - nb, most = c->uk.panels;
  return left <= most ? left : most < 3 ? most : 2;
}

/* The rows of the call at row t of a block of rows (full of them in whole
 * 6-row tiles): a kernel that takes 12 gets pairs of whole tiles; either
 * way the block splits into the same 6-row tiles, so a row is summed alike
 * (the one-row tail's interleaved k chains included). */
static size_t tile_rows(const run_ctx* c, size_t t, size_t rows, size_t full) {
  if (c->uk.mr >= 2 * RC_GEMM_MR && t + 2 * RC_GEMM_MR <= full) return 2 * RC_GEMM_MR;
  return rows - t < RC_GEMM_MR ? rows - t : RC_GEMM_MR;
}

/* Units [begin, end) in the workspace slice a (NULL when direct) and the
 * converted panels' buffer wk (with w_half). */
static void run_units(const run_ctx* c, size_t begin, size_t end, float* a, float* wk, size_t* packed) {
  const rc_gemm_conv_params* p = c->p;
  const size_t K = c->b.K, out_c = (size_t)p->out_c;
  rc_gemm_epilogue ep = {NULL, NULL, c->lo, c->hi};
  for (size_t u = begin; u < end; u++) {
    const size_t cg = u % c->ncg, g = u / c->ncg % (size_t)p->groups, pb = u / c->ncg / (size_t)p->groups;
    const size_t p0 = pb * c->b.mb, rows = c->pixels - p0 < c->b.mb ? c->pixels - p0 : c->b.mb;
    const float* ab;
    size_t a_stride;
    if (c->direct) {
      ab = c->x + p0 * (size_t)p->in_c + g * c->icg;
      a_stride = (size_t)p->in_c;
    } else {
      const size_t tag = pb * (size_t)p->groups + g;
      if (tag != *packed) {
        pack_rows(c, p0, rows, g, a);
        *packed = tag;
      }
      ab = a;
      a_stride = K;
    }
    const size_t nb0 = c->nbg * cg / c->ncg, nb1 = c->nbg * (cg + 1) / c->ncg;
    const size_t full = rows / RC_GEMM_MR * RC_GEMM_MR;
    const int one_call = tile_rows(c, 0, rows, full) == rows;
    for (size_t nb = nb0, step; nb < nb1; nb += step) {
      step = panels_at(c, nb, nb1);
      const size_t width = step * RC_GEMM_NR;
      const size_t col = nb * RC_GEMM_NR, nc = c->ocg - col < width ? c->ocg - col : width;
      const size_t panel = (g * c->nbg + nb) * K * RC_GEMM_NR; /* in c->w or c->w_half (the other is NULL) */
      ep.bias = c->bias ? c->bias + g * c->ocg_pad + col : NULL;
      ep.slopes = c->slopes ? c->slopes + g * c->ocg_pad + col : NULL;
      float* yb = c->y + p0 * out_c + g * c->ocg + col;
      for (size_t kb = 0; kb < c->b.nk; kb++) {
        const size_t k0 = kb * c->b.kc, kc = K - k0 < c->b.kc ? K - k0 : c->b.kc;
        const uint32_t flags = (kb > 0 ? RC_GEMM_ACCUMULATE : 0u) | (kb + 1 == c->b.nk ? RC_GEMM_FINAL : 0u);
        /* The K block's weights: in the panels (K rows apart), or their
         * halves converted into wk (kc rows apart). */
        const float* wb;
        size_t w_stride;
        if (c->w_half) {
          for (size_t j = 0; j < step; j++)
            c->half->f16_to_f32(c->w_half + panel + (j * K + k0) * RC_GEMM_NR, kc * RC_GEMM_NR,
                                wk + j * kc * RC_GEMM_NR);
          wb = wk;
          w_stride = kc * RC_GEMM_NR;
        } else {
          wb = c->w + panel + k0 * RC_GEMM_NR;
          w_stride = K * RC_GEMM_NR;
        }
        /* The weights of the next K block (or of the next panels' first),
         * one panel's rows per call from the second call on: with few pixels
         * (stage4.0 of RepVGG-A0: 49 pixels, 8.8 MB of weights) each block
         * streams from L3 or DRAM in its first call only, and the hardware
         * prefetchers see no misses in the other calls to run ahead on. */
        const size_t nnb = kb + 1 < c->b.nk ? nb : nb + step, nk0 = kb + 1 < c->b.nk ? k0 + kc : 0;
        const size_t nstep = nnb < nb1 ? panels_at(c, nnb, nb1) : 0;
        const size_t nkc = K - nk0 < c->b.kc ? K - nk0 : c->b.kc, pf_lines = nkc < kc ? nkc : kc;
        for (size_t t = 0, j = 0, mr; t < rows; t += mr, j++) {
          mr = tile_rows(c, t, rows, full);
          const size_t v = one_call ? j : j - 1; /* j = 0 of several calls: SIZE_MAX, none */
          const size_t at = ((g * c->nbg + nnb + v) * K + nk0) * RC_GEMM_NR;
          const float* pf = v >= nstep ? NULL : c->w_half ? (const float*)(const void*)(c->w_half + at) : c->w + at;
          const size_t pf_n = !pf ? 0 : c->w_half ? (pf_lines + 1) / 2 : pf_lines; /* a half row: 32 bytes */
          if (c->uk.wide) {
            c->uk.wide(mr, nc, kc, ab + t * a_stride + k0, a_stride, wb, w_stride, yb + t * out_c, out_c, flags, &ep,
                       pf, pf_n);
          } else {
            c->uk.narrow(mr, nc, kc, ab + t * a_stride + k0, a_stride, wb, yb + t * out_c, out_c, flags, &ep, pf, pf_n);
          }
        }
      }
    }
  }
}

/* Part i of the units, packing into the slice of the thread that claimed it. */
static void part_task(void* arg, size_t i, size_t thread) {
  run_ctx* c = arg;
  char* slice = c->ws ? c->ws + thread * c->slice : NULL; /* NULL: x read in place, float weights */
  float* a = c->direct ? NULL : (float*)slice;
  float* wk = c->w_half ? (float*)(slice + rows_bytes(c->p, &c->b)) : NULL;
  size_t none = SIZE_MAX;
  run_units(c, c->units * i / c->parts, c->units * (i + 1) / c->parts, a, wk,
            thread < PACK_TAGS ? &c->packed[thread] : &none);
}

void rc_gemm_conv2d_nhwc(const rc_gemm_conv_params* p, const float* x, const float* packed, const float* bias,
                         const float* slopes, float* y, void* workspace, rc_pool* pool) {
  if (p->batch <= 0 || p->out_h <= 0 || p->out_w <= 0 || p->out_c <= 0 || p->in_c <= 0 || p->groups <= 0) return;
  pthread_once(&g_once, init_table);
  if (rc_gemm_direct_used(p)) {
    rc_gemm_direct_conv2d_nhwc(p, rc_gemm_direct_kernel_of(rc_gemm_ukernel_resolve(p->ukernel)), x, packed, bias,
                               slopes, y, workspace, pool);
    return;
  }
  run_ctx c;
  memset(&c, 0, sizeof c);
  c.p = p;
  c.uk = g_table[rc_gemm_ukernel_resolve(p->ukernel)];
  c.b = blocking_of(p);
  c.x = x;
  c.w = packed;
  c.w_half = p->packed_half;
  c.half = p->packed_half ? rc_convert_kernels_get(RC_CONVERT_ISA_AUTO) : NULL;
  c.bias = bias;
  c.slopes = p->activation == RC_GEMM_ACT_PRELU ? slopes : NULL;
  c.y = y;
  c.lo = p->activation == RC_GEMM_ACT_CLAMP ? p->act_min : -__builtin_inff();
  c.hi = p->activation == RC_GEMM_ACT_CLAMP ? p->act_max : __builtin_inff();
  c.pixels = (size_t)p->batch * (size_t)p->out_h * (size_t)p->out_w;
  c.icg = (size_t)(p->in_c / p->groups);
  c.ocg = (size_t)(p->out_c / p->groups);
  c.ocg_pad = ocg_pad(p);
  c.nbg = c.ocg_pad / RC_GEMM_NR;
  c.direct = direct(p);
  c.slice = slice_bytes(p, &c.b);
  c.ws = workspace ? (char*)(((uintptr_t)workspace + WORKSPACE_ALIGN - 1) & ~(uintptr_t)(WORKSPACE_ALIGN - 1)) : NULL;
  const size_t blocks = rc_ceil_div(c.pixels, c.b.mb), groups = (size_t)p->groups;
  const size_t threads = rc_pool_threads(pool);
  /* Column ranges only when pixel blocks × groups cannot keep every thread
   * busy (an FC on one sample): they change who computes, not how. */
  c.ncg = 1;
  if (threads > 1 && blocks * groups < 2 * threads) {
    c.ncg = rc_ceil_div(2 * threads, blocks * groups);
    if (c.ncg > c.nbg) c.ncg = c.nbg;
  }
  c.units = blocks * groups * c.ncg;
  /* Up to RC_POOL_ITEMS_PER_THREAD parts per thread, claimed dynamically: a descheduled thread's
   * share is taken by the others (a stolen part costs at most one more
   * packing of a pixel block; a thread's own consecutive parts, none). */
  c.parts = rc_pool_parts(pool, c.units);
  for (size_t t = 0; t < PACK_TAGS; t++) c.packed[t] = SIZE_MAX;
  rc_pool_parallelize(pool, part_task, &c, c.parts);
}

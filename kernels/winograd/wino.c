/* Winograd driver: variant facts, dispatch, blocking and
 * the per-run loop (input transform → α² tile GEMMs → output transform, one
 * block of tiles at a time). See wino.h for the algorithm and layouts. */
#include "kernels/winograd/wino.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "kernels/common/cpu.h"
#include "kernels/common/isa.h"
#include "kernels/common/size.h"
#include "kernels/gemm/gemm_ukernels.h"
#include "kernels/winograd/wino_matrices.h"
#include "kernels/winograd/wino_run.h"
#include "kernels/winograd/wino_ukernels.h"

/* ------------------------------------------------------------ dispatch */

/* The dispatch table, filled once from the lists (wino_transform_ukernels.inc,
 * kernels/gemm/gemm_tile_ukernels.inc): per ISA, the kernels, or NULL when
 * this CPU (or this build) cannot run them. */
static rc_wino_ukernels g_kernels[RC_WINO_ISA_COUNT];
static const rc_wino_ukernels* g_table[RC_WINO_ISA_COUNT];
static rc_wino_isa g_auto = RC_WINO_ISA_SCALAR;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* A tile kernel of nr 16 is the ISA's GEMM; of nr 8 or 4, its ≤ 8- or
 * ≤ 4-channel GEMM. */
#define GEMM_16 gemm
#define GEMM_8 gemm8
#define GEMM_4 gemm4
#define GEMM_MR_16 gemm_mr
#define GEMM_MR_8 gemm8_mr
#define GEMM_MR_4 gemm4_mr
#define GEMM(nr) GEMM_##nr
#define GEMM_MR(nr) GEMM_MR_##nr

/* The conversion kernels of an output binding are looked up by the same
 * ISA value (kernels/common/convert_ukernels.inc keeps this list's order). */
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa)                          \
  _Static_assert((int)RC_WINO_ISA_##ISA == (int)RC_CONVERT_ISA_##ISA, \
                 #ISA ": kernels/common/convert_ukernels.inc out of the Winograd list's order");
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS

#define RC_WINO_BORDER_KERNEL(k, isa, v, y, x, name)                             \
  (k)->border_input[RC_WINO_##v][y][x] = rc_wino##name##_input_transform__##isa; \
  (k)->border_output[RC_WINO_##v][y][x] = rc_wino##name##_output_transform__##isa;
#define F_ RC_WINO_AXIS_FULL
#define N2 RC_WINO_AXIS_N2
#define N4 RC_WINO_AXIS_N4
#define N1 RC_WINO_AXIS_N1
/* clang-format off: one kernel a line (it would pack them, differently each run) */
#define RC_WINO_BORDER_KERNELS(k, isa)                   \
  RC_WINO_BORDER_KERNEL(k, isa, F23, F_, F_, 23)         \
  RC_WINO_BORDER_KERNEL(k, isa, F23, N1, F_, 23b_1f)     \
  RC_WINO_BORDER_KERNEL(k, isa, F23, F_, N1, 23b_f1)     \
  RC_WINO_BORDER_KERNEL(k, isa, F23, N1, N1, 23b_11)     \
  RC_WINO_BORDER_KERNEL(k, isa, F43, F_, F_, 43)         \
  RC_WINO_BORDER_KERNEL(k, isa, F43, N2, F_, 43b_2f)     \
  RC_WINO_BORDER_KERNEL(k, isa, F43, F_, N2, 43b_f2)     \
  RC_WINO_BORDER_KERNEL(k, isa, F43, N2, N2, 43b_22)     \
  RC_WINO_BORDER_KERNEL(k, isa, F63, F_, F_, 63)         \
  RC_WINO_BORDER_KERNEL(k, isa, F63, N2, F_, 63b_2f)     \
  RC_WINO_BORDER_KERNEL(k, isa, F63, N4, F_, 63b_4f)     \
  RC_WINO_BORDER_KERNEL(k, isa, F63, F_, N2, 63b_f2)     \
  RC_WINO_BORDER_KERNEL(k, isa, F63, F_, N4, 63b_f4)     \
  RC_WINO_BORDER_KERNEL(k, isa, F63, N2, N2, 63b_22)     \
  RC_WINO_BORDER_KERNEL(k, isa, F63, N2, N4, 63b_24)     \
  RC_WINO_BORDER_KERNEL(k, isa, F63, N4, N2, 63b_42)     \
  RC_WINO_BORDER_KERNEL(k, isa, F63, N4, N4, 63b_44)     \
  RC_WINO_BORDER_KERNEL(k, isa, F23S2, F_, F_, 23s2)     \
  RC_WINO_BORDER_KERNEL(k, isa, F23S2, N1, F_, 23s2b_1f) \
  RC_WINO_BORDER_KERNEL(k, isa, F23S2, F_, N1, 23s2b_f1) \
  RC_WINO_BORDER_KERNEL(k, isa, F23S2, N1, N1, 23s2b_11)
/* clang-format on */

static void init_table(void) {
  const rc_cpu* cpu = rc_cpu_get();
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa)                        \
  RC_IF_ISA_##ISA(if (RC_ISA_AVAILABLE_##ISA(cpu)) {                \
    rc_wino_ukernels* k = &g_kernels[RC_WINO_ISA_##ISA];            \
    k->input[RC_WINO_F23] = rc_wino23_input_transform__##isa;       \
    k->input[RC_WINO_F43] = rc_wino43_input_transform__##isa;       \
    k->input[RC_WINO_F63] = rc_wino63_input_transform__##isa;       \
    k->output[RC_WINO_F23] = rc_wino23_output_transform__##isa;     \
    k->output[RC_WINO_F43] = rc_wino43_output_transform__##isa;     \
    k->output[RC_WINO_F63] = rc_wino63_output_transform__##isa;     \
    k->input[RC_WINO_F23S2] = rc_wino23s2_input_transform__##isa;   \
    k->output[RC_WINO_F23S2] = rc_wino23s2_output_transform__##isa; \
    k->input[RC_WINO_F43S2] = rc_wino43s2_input_transform__##isa;   \
    k->output[RC_WINO_F43S2] = rc_wino43s2_output_transform__##isa; \
    k->direct[RC_WINO_F23] = rc_wino23_direct__##isa;               \
    k->direct[RC_WINO_F43] = rc_wino43_direct__##isa;               \
    k->direct[RC_WINO_F63] = rc_wino63_direct__##isa;               \
    RC_WINO_BORDER_KERNELS(k, isa)                                  \
    g_table[RC_WINO_ISA_##ISA] = k;                                 \
    g_auto = RC_WINO_ISA_##ISA;                                     \
  })
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS
#define RC_GEMM_TILE_UKERNEL(name, ISA, mr, nr)                           \
  RC_IF_ISA_##ISA(g_kernels[RC_WINO_ISA_##ISA].GEMM(nr) = rc_gemm_##name; \
                  g_kernels[RC_WINO_ISA_##ISA].GEMM_MR(nr) = mr;)
#include "kernels/gemm/gemm_tile_ukernels.inc"
#undef RC_GEMM_TILE_UKERNEL
  RC_IF_ISA_AVX512F(g_kernels[RC_WINO_ISA_AVX512F].wide = rc_wino_gemm__avx512f;)
  g_table[RC_WINO_ISA_AUTO] = g_table[g_auto];
}
#undef F_
#undef N2
#undef N4

int rc_wino_isa_available(rc_wino_isa isa) {
  if ((unsigned)isa >= RC_WINO_ISA_COUNT) return 0;
  pthread_once(&g_once, init_table);
  return g_table[isa] != NULL;
}

rc_wino_isa rc_wino_isa_resolve(rc_wino_isa isa) {
  pthread_once(&g_once, init_table);
  if ((unsigned)isa >= RC_WINO_ISA_COUNT || !g_table[isa]) return RC_WINO_ISA_SCALAR;
  return isa == RC_WINO_ISA_AUTO ? g_auto : isa;
}

const char* rc_wino_isa_name(rc_wino_isa isa) {
  switch (isa) {
    case RC_WINO_ISA_AUTO: return "auto";
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa) \
  case RC_WINO_ISA_##ISA:                    \
    return #isa;
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS
    default: return "?";
  }
}

/* ------------------------------------------------------------ variant facts */

int rc_wino_tile_m(rc_wino_variant v) {
  switch (v) {
    case RC_WINO_F23: return RC_WINO23_M;
    case RC_WINO_F43: return RC_WINO43_M;
    case RC_WINO_F63: return RC_WINO63_M;
    case RC_WINO_F23S2: return RC_WINO23S2_M;
    case RC_WINO_F43S2: return RC_WINO43S2_M;
    default: return 0;
  }
}

int rc_wino_stride(rc_wino_variant v) { return v == RC_WINO_F23S2 || v == RC_WINO_F43S2 ? 2 : 1; }

int rc_wino_tile_alpha(rc_wino_variant v) { return rc_wino_stride(v) * (rc_wino_tile_m(v) - 1) + 3; }

size_t rc_wino_u_panel(rc_wino_variant v, size_t xi) {
  if (rc_wino_stride(v) == 1) return xi;
  /* α = 2m + 1 points: the even phase's m + 1, then the odd phase's m, whose
   * G rows are equal (wino_matrices.h): each axis keeps its first odd point. */
  const size_t a = (size_t)rc_wino_tile_alpha(v), last = (size_t)rc_wino_tile_m(v) + 1, i = xi / a, j = xi % a;
  return (i < last ? i : last) * (last + 1) + (j < last ? j : last);
}

int rc_wino_is_direct(rc_wino_variant v, size_t in_c) {
  return rc_wino_stride(v) == 1 && in_c <= RC_WINO_DIRECT_MAX_CIN;
}

const char* rc_wino_variant_name(rc_wino_variant v) {
  switch (v) {
    case RC_WINO_F23: return "F(2,3)";
    case RC_WINO_F43: return "F(4,3)";
    case RC_WINO_F63: return "F(6,3)";
    case RC_WINO_F23S2: return "F(2,3) stride 2";
    case RC_WINO_F43S2: return "F(4,3) stride 2";
    default: return "?";
  }
}

/* ------------------------------------------------------------ run */

/* The input rows of tile row ty of image n, for the input transform. */
static void fill_rows(rc_wino_run* c, size_t n, size_t ty) {
  const size_t alpha = c->alpha, rf = (size_t)c->in_w * c->cin;
  const int64_t iy0 = (int64_t)(ty * c->tile_step) - c->pad_top;
  for (size_t i = 0; i < alpha; i++) {
    const int64_t iy = iy0 + (int64_t)i;
    if (iy < 0 || iy >= c->in_h) {
      c->rows[i] = NULL;
    } else if (c->load) { /* α consecutive rows: distinct slots */
      const size_t slot = (size_t)iy % alpha, tag = 1 + n * (size_t)c->in_h + (size_t)iy;
      float* row = c->scratch + rc_wino_scratch_floats(c->variant, c->cout) + slot * rf;
      if (c->cache_tag[slot] != tag) {
        rc_binding_load_pixels(c->load, c->conv, row, (size_t)c->in_w, c->cin, n, (size_t)iy, 0);
        c->cache_tag[slot] = tag;
      }
      c->rows[i] = row;
    } else if (c->x_ring) {
      c->rows[i] = c->x + (size_t)iy % c->x_ring * c->x_row;
    } else {
      c->rows[i] = c->x + (n * (size_t)c->in_h + (size_t)iy) * rf;
    }
  }
  c->rows_key = 1 + n * c->tiles_h + ty;
}

/* The transforms of tile p: the variant's, or its border kernels. */
static rc_wino_input_fn input_fn(const rc_wino_run* c, const rc_wino_tile* p) {
  return c->border ? c->k->border_input[c->variant][p->ky][p->kx] : c->k->input[c->variant];
}
static rc_wino_output_fn output_fn(const rc_wino_run* c, const rc_wino_tile* p) {
  return c->border ? c->k->border_output[c->variant][p->ky][p->kx] : c->k->output[c->variant];
}

/* The input window of tile p: c->rows set; returns the window's first
 * column. The columns count from x_col0 (a ring's slice; 0 otherwise): a
 * tile reads none to its left but the image's padding. */
static int32_t tile_window(rc_wino_run* c, rc_wino_tile p) {
  if (c->rows_key != 1 + p.n * c->tiles_h + p.ty) fill_rows(c, p.n, p.ty);
  return (int32_t)(p.tx * c->tile_step) - c->pad_left - (int32_t)c->x_col0;
}

static void input_tile(rc_wino_run* c, size_t t) {
  const rc_wino_tile p = rc_wino_tile_at(c, t);
  const int32_t ix0 = tile_window(c, p);
  input_fn(c, &p)(c->rows, c->in_w - (int32_t)c->x_col0, c->cin, ix0, c->v + t * c->cin_pad, c->vm_rows * c->cin_pad);
}

/* Row calls of the wide GEMM over `count` tiles: as few as the form allows,
 * rows as even as possible (49 tiles, 7 rows: seven calls of 7). */
static size_t wide_rows(size_t count, size_t nv) {
  const size_t rmax = rc_wino_gemm_wide_rmax(nv), calls = (count + rmax - 1) / rmax;
  return calls ? (count + calls - 1) / calls : 1;
}

/* The cost of the wide GEMM over `count` tiles and cout_blocks 16-channel
 * blocks in groups of nv, in half cycles per k on two loads and two FMAs
 * per cycle: a call of r rows × v vectors takes max(r·v FMAs, r + v loads,
 * 8: each accumulator waits the FMA latency of 4 cycles per k). */
static size_t wide_cost(size_t count, size_t cout_blocks, size_t nv) {
  const size_t r = wide_rows(count, nv);
  size_t cost = 0;
  for (size_t b = 0; b < cout_blocks; b += nv) {
    const size_t v = cout_blocks - b < nv ? cout_blocks - b : nv;
    for (size_t t = 0; t < count; t += r) {
      const size_t rr = count - t < r ? count - t : r;
      size_t k = rr * v;
      if (rr + v > k) k = rr + v;
      if (k < 8) k = 8;
      cost += k;
    }
  }
  return cost;
}

size_t rc_wino_wide_nv(size_t count, size_t blocks) {
  size_t nv_best = 0, best = 0;
  int best_even = 0;
  for (size_t nv = RC_WINO_GEMM_WIDE_NVMAX; nv >= 1; nv--) {
    const size_t cost = wide_cost(count, blocks, nv);
    const int even = nv >= blocks || blocks % nv == 0; /* groups all of one width */
    if (!nv_best || cost < best || (cost == best && even && !best_even)) {
      nv_best = nv;
      best = cost;
      best_even = even;
    }
  }
  return nv_best;
}

/* A span of U: the panel a GEMM call sequence reads (in U's storage: floats
 * or halves), and its lines of 64 bytes. */
typedef struct u_span {
  const char* p;
  size_t lines;
} u_span;

/* U of position xi, output-channel blocks [b0, b1) (contiguous). */
static u_span u_blocks(const rc_wino_run* c, size_t xi, size_t b0, size_t b1) {
  const size_t at = (rc_wino_u_panel(c->variant, xi) * c->cout_blocks + b0) * c->cin * RC_GEMM_NR;
  const size_t n = (b1 - b0) * c->cin * RC_GEMM_NR;
  const u_span s = {c->u_half ? (const char*)(c->u_half + at) : (const char*)(c->u + at),
                    n * (c->u_half ? sizeof(uint16_t) : sizeof(float)) / 64};
  return s;
}

/* The floats of U's blocks [b0, b1) at position xi: U itself, or the
 * halves converted into the run's panel buffer. */
static const float* u_floats(const rc_wino_run* c, size_t xi, size_t b0, size_t b1) {
  const size_t at = (rc_wino_u_panel(c->variant, xi) * c->cout_blocks + b0) * c->cin * RC_GEMM_NR;
  if (!c->u_half) return c->u + at;
  c->conv->f16_to_f32(c->u_half + at, (b1 - b0) * c->cin * RC_GEMM_NR, c->u_panel);
  return c->u_panel;
}

static const u_span k_none = {NULL, 0};

/* Output-channel blocks per GEMM call: gemm_nv with the wide GEMM, else one. */
static size_t group_width(const rc_wino_run* c) { return c->gemm_nv ? c->gemm_nv : 1; }

/* The end of the column group that starts at block b0 of [b0, b1). */
static size_t group_end(const rc_wino_run* c, size_t b0, size_t b1) {
  const size_t w = group_width(c);
  return b1 - b0 < w ? b1 : b0 + w;
}

/* U of the first column group of blocks [b0, b1) at position xi. */
static u_span u_first_group(const rc_wino_run* c, size_t xi, size_t b0, size_t b1) {
  return u_blocks(c, xi, b0, group_end(c, b0, b1));
}

/* U of column group g of position xi. */
static u_span u_group(const rc_wino_run* c, size_t xi, size_t g) {
  return u_first_group(c, xi, g * group_width(c), c->cout_blocks);
}

/* Rows of each GEMM call over a range of n tiles (mr: the 16-column
 * GEMM's). */
static size_t rows_per_call(const rc_wino_run* c, size_t n, size_t mr) {
  return c->gemm_nv ? wide_rows(n, c->gemm_nv) : mr;
}

/* The GEMM of position xi over the block's tiles, for the output channels
 * of 16-channel blocks [b0, b1): calls of gemm_nv blocks with the wide
 * GEMM, else one call per block; `next` is the panel the caller reads after
 * these (p NULL: none). */
static void gemm_blocks(const rc_wino_run* c, size_t xi, size_t b0, size_t b1, u_span next) {
  const size_t nr = RC_GEMM_NR;
  const float* a = c->v + xi * c->vm_rows * c->cin_pad;
  const size_t mr = c->tile_mr;
  /* Calls over the ranges of tiles that use xi (rc_wino_xi_next), for the prefetch. */
  const size_t r_all = rows_per_call(c, c->count, mr); /* without border tiles the one range's */
  size_t calls = c->border ? 0 : (c->count + r_all - 1) / r_all;
  for (size_t t1, t0 = rc_wino_xi_next(c, xi, 0, &t1); c->border && t0 < c->count;
       t0 = rc_wino_xi_next(c, xi, t1, &t1)) {
    const size_t r = rows_per_call(c, t1 - t0, mr);
    calls += (t1 - t0 + r - 1) / r;
  }
  if (!calls) return; /* a position only interior tiles use, and none are (one border tile row) */
  for (size_t nb = b0, nb2; nb < b1; nb = nb2) {
    nb2 = group_end(c, nb, b1);
    const size_t nv = nb2 - nb;
    const float* w = u_floats(c, xi, nb, nb2);
    float* out = c->m + xi * c->vm_rows * c->cout_pad + nb * nr;
    /* The next column group's panels, spread evenly over this group's
     * calls (at most as many lines per k as the call loads): a few-tile
     * layer reads each panel from L3 or DRAM in its first call only, and
     * the hardware prefetchers see no misses during the other calls to run
     * ahead on. All of it, and from the first call: one line per k from
     * the second call on left most of a wide group's U to demand misses
     * (RepVGG-A0 1 thread 13.26 → 12.66 ms; DESIGN.md). */
    const u_span nx = nb2 < b1 ? u_first_group(c, xi, nb2, b1) : next;
    const size_t pf_total = nx.p ? nx.lines : 0, pf_cap = c->cin * (c->gemm_nv ? nv : 1);
    size_t pf_call = (pf_total + calls - 1) / calls, pf_done = 0;
    if (pf_call > pf_cap) pf_call = pf_cap;
    for (size_t t1, t0 = rc_wino_xi_next(c, xi, 0, &t1); t0 < c->count; t0 = rc_wino_xi_next(c, xi, t1, &t1))
      for (size_t t = t0, r = c->border ? rows_per_call(c, t1 - t0, mr) : r_all; t < t1; t += r) {
        const size_t rows = t1 - t < r ? t1 - t : r;
        const size_t pf_lines = pf_total - pf_done < pf_call ? pf_total - pf_done : pf_call;
        const float* pf = pf_lines ? (const float*)(const void*)(nx.p + pf_done * 64) : NULL;
        pf_done += pf_lines;
        if (c->gemm_nv) {
          c->k->wide(rows, nv, c->cin, a + t * c->cin_pad, c->cin_pad, w, nr, c->cin * nr, out + t * c->cout_pad,
                     c->cout_pad, pf, pf_lines, c->u_pf);
        } else {
          c->tile_gemm(rows, c->cin, a + t * c->cin_pad, c->cin_pad, w, out + t * c->cout_pad, c->cout_pad, pf,
                       pf_lines);
        }
      }
  }
}

/* Column group g of position xi; `next` as for gemm_blocks. */
static void gemm_panel(const rc_wino_run* c, size_t xi, size_t g, u_span next) {
  const size_t b0 = g * group_width(c);
  gemm_blocks(c, xi, b0, group_end(c, b0, c->cout_blocks), next);
}

/* Where tile t of the block goes: its tile_at, top-left output pixel (oy,
 * ox), rows × cols pixels (fewer than m × m at the image's bottom and
 * right). */
typedef struct tile_place {
  rc_wino_tile at;
  size_t oy, ox, rows, cols;
} tile_place;

static tile_place place(const rc_wino_run* c, size_t t) {
  const rc_wino_tile q = rc_wino_tile_at(c, t);
  tile_place p = {q, q.ty * c->tile_m, q.tx * c->tile_m, c->tile_m, c->tile_m};
  if ((size_t)c->out_h - p.oy < p.rows) p.rows = (size_t)c->out_h - p.oy;
  if ((size_t)c->out_w - p.ox < p.cols) p.cols = (size_t)c->out_w - p.ox;
  return p;
}

/* Output channels [c0, c1) of tile t, placed at p, to y, whose pixels are
 * y_pixel_stride floats apart: the output transform of their M columns, or
 * the direct computation from the tile's input window (all channels only). */
static void tile_out(rc_wino_run* c, size_t t, const tile_place* p, const rc_wino_epilogue* ep, float* y,
                     size_t y_row_stride, size_t y_pixel_stride, size_t c0, size_t c1) {
  if (c->direct) {
    const int32_t ix0 = tile_window(c, p->at);
    c->k->direct[c->variant](c->rows, c->in_w - (int32_t)c->x_col0, c->cin, ix0, c->u, c->cout, ep, y, y_row_stride,
                             p->rows, p->cols);
    return;
  }
  rc_wino_epilogue e = *ep;
  if (e.bias) e.bias += c0;
  if (e.slopes) e.slopes += c0;
  output_fn(c, &p->at)(c->m + t * c->cout_pad + c0, c->vm_rows * c->cout_pad, c1 - c0, &e, y + c0, y_row_stride,
                       y_pixel_stride, p->rows, p->cols);
}

/* Channels [c0, c1) of tile t to their place in y (not post-storing). */
static void output_tile_cols(rc_wino_run* c, size_t t, size_t c0, size_t c1) {
  const tile_place p = place(c, t);
  /* A ring's slots hold whole tile rows (its size is a multiple of tile_m). */
  const size_t row = c->y_ring ? p.oy % c->y_ring : p.at.n * (size_t)c->out_h + p.oy;
  float* y = c->y + row * c->y_row + (p.ox - c->y_col0) * c->cout;
  tile_out(c, t, &p, &c->ep, y, c->y_row, c->cout, c0, c1);
}

/* The block's tiles [begin, end), in raster order (rc_wino_slot), to their
 * place. Post-stored tiles go through the scratch's two tile slots, each
 * one's post-store after the next one's transform: read right after the
 * transform's stores (masked, for a 4-channel tail), a tile waited for them
 * to reach the cache, store forwarding failing (ECBSR's tail: a fifth of
 * post_store's time). */
static void output_tiles(rc_wino_run* c, size_t begin, size_t end) {
  if (!c->post) {
    for (size_t j = begin; j < end; j++) output_tile_cols(c, rc_wino_slot(c, j), 0, c->cout);
    return;
  }
  const size_t slot = c->tile_m * c->tile_m * c->cout_pad;
  tile_place prev = {{0, 0, 0, 0, 0}, 0, 0, 0, 0};
  for (size_t j = begin; j <= end; j++) {
    tile_place p = prev;
    if (j < end) {
      const size_t t = rc_wino_slot(c, j);
      p = place(c, t);
      tile_out(c, t, &p, &c->ep_bias, c->scratch + j % 2 * slot, c->tile_m * c->cout, c->cout, 0, c->cout);
    }
    if (j > begin)
      rc_wino_post_store(c, c->scratch + (j - 1) % 2 * slot, prev.at.n, prev.oy, prev.ox, prev.rows, prev.cols);
    prev = p;
  }
}

/* Tiles [begin, end) block by block in the workspace slice c->v/c->m. Every
 * tile goes through the same transforms and the same GEMM rows whatever the
 * blocking, so the result does not depend on how the tiles are split. */
void rc_wino_run_range(rc_wino_run* c, size_t begin, size_t end) {
  if (c->load) { /* the cache may hold another layer's data now */
    memset(c->cache_tag, 0, sizeof(c->cache_tag));
    c->rows_key = 0;
  }
  for (c->first = begin; c->first < end; c->first += c->block_tiles) {
    c->count = end - c->first < c->block_tiles ? end - c->first : c->block_tiles;
    if (c->grouped == RC_WINO_GROUP_BLOCK) rc_wino_block_classes(c);
    if (!c->direct) {
      for (size_t j = 0; j < c->count; j++) input_tile(c, rc_wino_slot(c, j));
      for (size_t xi = 0; xi < c->a2; xi++) {
        for (size_t g = 0; g < c->gemm_groups; g++) {
          const u_span next = g + 1 < c->gemm_groups ? u_group(c, xi, g + 1)
                              : xi + 1 < c->a2       ? u_group(c, xi + 1, 0)
                                                     : k_none;
          gemm_panel(c, xi, g, next);
        }
      }
    }
    output_tiles(c, 0, c->count);
  }
}

/* A job of `total` units (tiles, or output-channel blocks) in `parts`
 * items, each run in the workspace slice of the thread that claimed it. */
typedef struct range_ctx {
  const rc_wino_run* base;
  size_t total, parts, slice_floats;
} range_ctx;

/* The run state of thread `thread`: its own V, M and scratch. */
static rc_wino_run thread_run(const range_ctx* r, size_t thread) {
  rc_wino_run c = *r->base;
  c.u_panel += thread * r->slice_floats;
  c.v += thread * r->slice_floats;
  c.m += thread * r->slice_floats;
  c.scratch += thread * r->slice_floats;
  return c;
}

/* Range i of the tiles. */
static void range_task(void* arg, size_t i, size_t thread) {
  const range_ctx* r = arg;
  rc_wino_run c = thread_run(r, thread);
  rc_wino_run_range(&c, r->total * i / r->parts, r->total * (i + 1) / r->parts);
}

float* rc_wino_align_ws(void* workspace) {
  return (float*)(((uintptr_t)workspace + RC_WINO_WS_ALIGN - 1) & ~(uintptr_t)(RC_WINO_WS_ALIGN - 1));
}

/* Few-tile convs on T threads, when each thread gets at least
 * RC_WINO_COLS_MIN_BLOCKS blocks of 16 output channels and no post-store:
 * T items, item i the i-th share of the blocks. An item transforms every
 * input tile into its thread's own V, runs its blocks' GEMMs at every ξ
 * into its thread's M, then their output transform: one dispatch, and each
 * thread reads only the V and M it wrote. In the three phases (below) every
 * thread read half of V and M from the other core's cache and wrote lines
 * the other core held: on 2 threads at 192 channels 14x14 (AVX-512) the
 * input phase took as long as on 1 thread and the GEMMs 15% more thread
 * time, more than transforming the input on both threads costs (bench/
 * wino_time, 2 threads, U from L3: 0.20 → 0.19 ms; AVX2 0.38 → 0.33 ms;
 * 96 channels 28x28 F(4,3), 3 blocks a thread: 0.137 → 0.128 ms). */
#define RC_WINO_COLS_MIN_BLOCKS 2

/* A conv that is one block, on T threads, with at least this many tiles
 * a thread: T ranges of the tiles instead (range_task), each in its
 * thread's own V and M and streaming all of U. Within a network the split
 * by output channels had each thread transform every input tile, half of
 * them from lines the other core had just written, and V that does not fit
 * L2; U read twice cost less wherever each thread keeps enough tiles to
 * reuse it. Zen 5, 2 threads, steady runs, per layer: RepVGG-A0 stage3
 * (C192 14x14 F(2,3), 49 tiles) 0.148 → 0.128–0.135 ms, RepVGG-B0 stage2
 * (C128 28x28 F(4,3)) −7 to −22%, stage3 (C256 14x14) −13%, DBB-ResNet18
 * layer3 −4 to −16%; but DBB-ResNet18 layer4 (C512 7x7, 16 tiles, 8 a
 * thread, 17 MB of U) +32 to +43%, where U's traffic decides. */
#define RC_WINO_SPLIT_MIN_TILES 16

/* Whether a conv of `total` tiles on `threads` threads runs as output-channel
 * shares (cols_task, rc_wino_conv2d_nhwc): one block, too few tiles a
 * thread for tile ranges, enough blocks a thread, no post-store. */
static int cols_split(const rc_wino_run* c, size_t total, size_t threads) {
  return threads > 1 && total <= c->block_tiles && !c->direct && total < RC_WINO_SPLIT_MIN_TILES * threads &&
         !c->post && c->cout_blocks >= RC_WINO_COLS_MIN_BLOCKS * threads;
}

static void run_init(rc_wino_run* c, const rc_wino_conv_params* p, const float* x, const float* u, const float* bias,
                     float* y, float* ws, size_t threads) {
  pthread_once(&g_once, init_table);
  memset(c, 0, sizeof(*c));
  c->k = g_table[rc_wino_isa_resolve(p->isa)];
  c->variant = p->variant;
  c->x = x;
  c->u = u;
  c->u_half = p->u_half;
  c->y = y;
  c->ep.bias = bias;
  c->ep.activation = p->activation;
  c->ep.min = p->act_min;
  c->ep.max = p->act_max;
  c->ep.slopes = p->prelu_slopes;
  c->ep_bias.bias = bias;
  c->ep_bias.activation = RC_WINO_ACT_NONE;
  c->residual = p->residual;
  c->residual_load = p->residual_load;
  c->load = p->load;
  c->residual_c = (p->residual || p->residual_load) && p->residual_c > 1 ? (size_t)p->out_c : 1;
  c->shuffle = p->shuffle > 1 ? (size_t)p->shuffle : 1;
  c->shuffle_crd = p->shuffle_crd != 0;
  c->store = p->store;
  c->conv = rc_convert_kernels_get((rc_convert_isa)rc_wino_isa_resolve(p->isa));
  c->post = p->residual != NULL || p->residual_load != NULL || c->shuffle > 1 || p->store != NULL;
  c->in_h = p->in_h;
  c->in_w = p->in_w;
  c->out_h = p->out_h;
  c->out_w = p->out_w;
  c->pad_top = p->pad_top;
  c->pad_left = p->pad_left;
  c->cin = (size_t)p->in_c;
  c->cout = (size_t)p->out_c;
  c->x_row = (size_t)p->in_w * c->cin;
  c->y_row = (size_t)p->out_w * c->cout;
  c->cin_pad = rc_round_up(c->cin, RC_WINO_V_CPAD);
  c->cout_pad = rc_round_up(c->cout, RC_WINO_M_CPAD);
  c->cout_blocks = c->cout_pad / RC_GEMM_NR;
  c->direct = rc_wino_is_direct(p->variant, c->cin);
  c->tile_m = (size_t)rc_wino_tile_m(p->variant);
  c->tile_step = c->tile_m * (size_t)rc_wino_stride(p->variant);
  c->tiles_w = ((size_t)p->out_w + c->tile_m - 1) / c->tile_m;
  c->tiles_h = ((size_t)p->out_h + c->tile_m - 1) / c->tile_m;
  c->tiles_per_image = c->tiles_h * c->tiles_w;
  c->block_tiles = rc_wino_run_block_tiles(p->variant, c->cin, c->cout, (size_t)p->out_w, p->l2_bytes,
                                           (size_t)p->batch * c->tiles_per_image, threads);
  /* V's and M's position stride: a row or two more where the block's is a
   * multiple of 8 lines (rc_wino_unaliased_tiles). */
  c->vm_rows = rc_wino_unaliased_tiles(c->block_tiles,
                                       rc_wino_slice_rows(p->variant, c->cin, c->cout, (size_t)p->out_w, p->l2_bytes),
                                       c->cin_pad, c->cout_pad);
  c->alpha = (size_t)rc_wino_tile_alpha(p->variant);
  c->a2 = c->alpha * c->alpha;
  /* A last tile row or column of a few output pixels runs a nested variant
   * (wino_ukernels.h): F(4,3) at 14x14 (RepVGG's 14x14 stages) 22² instead
   * of 24² GEMM rows a channel pair, F(6,3) at 56x56 76² instead of 80². */
  if (!c->direct) {
    c->by = rc_wino_border_axis(p->variant, (size_t)p->out_h);
    c->bx = rc_wino_border_axis(p->variant, (size_t)p->out_w);
    c->border = c->by != RC_WINO_AXIS_FULL || c->bx != RC_WINO_AXIS_FULL;
  }
  /* The wide GEMM's group width: set below (rc_wino_wide_nv). */
  c->gemm_nv = 0;
  c->u_pf = 0;
  c->gemm_groups = c->cout_blocks;
  /* The tile GEMM: for few output channels, whose 16-lane GEMM would
   * compute mostly padding, the ISA's ≤ 4- or ≤ 8-channel kernel. */
  c->tile_gemm = c->k->gemm;
  c->tile_mr = c->k->gemm_mr;
  if (c->k->gemm4 && c->cout <= 4) {
    c->tile_gemm = c->k->gemm4;
    c->tile_mr = c->k->gemm4_mr;
  } else if (c->k->gemm8 && c->cout <= 8) {
    c->tile_gemm = c->k->gemm8;
    c->tile_mr = c->k->gemm8_mr;
  }
  if (c->k->wide && c->tile_gemm == c->k->gemm) { /* few channels: the narrow GEMM (gemm_blocks) */
    const size_t total = (size_t)p->batch * c->tiles_per_image;
    /* Over the blocks one GEMM sequence covers: a thread's share under the
     * output-channel split. */
    c->gemm_nv =
        rc_wino_wide_nv(c->block_tiles, cols_split(c, total, threads) ? c->cout_blocks / threads : c->cout_blocks);
    c->gemm_groups = (c->cout_blocks + c->gemm_nv - 1) / c->gemm_nv;
    /* The next panels' prefetch spread over each call's k loop: nv lines a
     * k from the first k put a call's share into its first k's, more misses
     * at once than the L1 tracks, and none later while the FMAs ran. One
     * layer, U from DRAM (wino_time, Zen 5, 1 thread): C192 14x14 F(4,3)
     * 0.31 → 0.22 ms, C512 7x7 F(2,3) 1.08 → 0.87; DBB-ResNet18 8.74 →
     * 8.28 ms. Not where tile ranges on several threads each stream all of
     * U (tile_ranges): there nv a k measured faster (RepVGG-B0, 2
     * threads, 6.36 against 6.57 ms). */
    c->u_pf = (rc_wino_u_nta(c->cin, c->gemm_nv, rc_cpu_get()->l1d_bytes) ? RC_WINO_PF_NTA : 0) | RC_WINO_PF_SPREAD;
  }
  c->u_panel = ws;
  c->v = ws + rc_wino_panel_floats(c->cin, c->u_half != NULL);
  c->m = c->v + c->a2 * c->vm_rows * c->cin_pad;
  c->scratch = c->m + c->a2 * c->vm_rows * c->cout_pad;
}

void rc_wino_run_init(rc_wino_run* c, const rc_wino_conv_params* p, const float* x, const float* u, const float* bias,
                      float* y, float* ws) {
  run_init(c, p, x, u, bias, y, ws, 1);
  if (c->border) c->grouped = RC_WINO_GROUP_BLOCK; /* a chain's ranges are bands of tile rows */
}

/* Share i of the output-channel blocks (r->total of them). */
static void cols_task(void* arg, size_t i, size_t thread) {
  const range_ctx* r = arg;
  rc_wino_run c = thread_run(r, thread);
  const size_t b0 = r->total * i / r->parts, b1 = r->total * (i + 1) / r->parts;
  const size_t c0 = b0 * RC_GEMM_NR, c1 = b1 * RC_GEMM_NR < c.cout ? b1 * RC_GEMM_NR : c.cout;
  for (size_t j = 0; j < c.count; j++) input_tile(&c, rc_wino_slot(&c, j));
  for (size_t xi = 0; xi < c.a2; xi++)
    gemm_blocks(&c, xi, b0, b1, xi + 1 < c.a2 ? u_first_group(&c, xi + 1, b0, b1) : k_none);
  for (size_t j = 0; j < c.count; j++) output_tile_cols(&c, rc_wino_slot(&c, j), c0, c1);
}

/* Otherwise the block is shared by the threads in three phases (one dispatch each):
 * input transform split over tiles, GEMMs over output-channel blocks (each
 * item streams its own part of U, nb-major), output transform over tiles.
 * For convs whose tiles all fit in one block (few tiles): splitting tiles
 * between threads there would leave threads idle or have every thread
 * stream all of U. An item posts its tiles through its thread's scratch. */
typedef struct phase_ctx {
  const rc_wino_run* base;
  size_t parts, slice_floats;
  int phase; /* 0 input, 1 GEMM, 2 output */
} phase_ctx;

static void phase_task(void* arg, size_t i, size_t thread) {
  const phase_ctx* ph = arg;
  rc_wino_run c = *ph->base;
  c.u_panel += thread * ph->slice_floats; /* V and M are the caller's, shared */
  c.scratch += thread * ph->slice_floats;
  const size_t n = ph->phase == 1 ? c.gemm_groups * c.a2 : c.count;
  const size_t begin = n * i / ph->parts, end = n * (i + 1) / ph->parts;
  if (ph->phase == 2) {
    output_tiles(&c, begin, end);
    return;
  }
  for (size_t j = begin; j < end; j++) {
    if (ph->phase == 0) {
      input_tile(&c, rc_wino_slot(&c, j));
    } else {
      gemm_panel(&c, j % c.a2, j / c.a2, j + 1 < end ? u_group(&c, (j + 1) % c.a2, (j + 1) / c.a2) : k_none);
    }
  }
}

/* Tiles [0, total) in `parts` ranges on the pool's threads. Every thread
 * streams all of U: its prefetch is not spread (run_init). */
static void tile_ranges(rc_wino_run* c, size_t total, size_t parts, size_t slice, rc_pool* pool) {
  c->u_pf &= ~RC_WINO_PF_SPREAD;
  range_ctx r = {c, total, parts, slice};
  rc_pool_parallelize(pool, range_task, &r, r.parts);
}

void rc_wino_conv2d_nhwc(const rc_wino_conv_params* p, const float* x, const float* u, const float* bias, float* y,
                         void* workspace, rc_pool* pool) {
  if (p->batch <= 0 || p->out_h <= 0 || p->out_w <= 0 || p->out_c <= 0 || p->in_c <= 0) return;
  const size_t threads = rc_pool_threads(pool);
  rc_wino_run c;
  run_init(&c, p, x, u, bias, y, rc_wino_align_ws(workspace), threads);
  const size_t total = (size_t)p->batch * c.tiles_per_image;
  size_t slice = rc_wino_slice_bytes(p) / sizeof(float);
  /* The caller's slice stride when larger (its largest conv's): each thread
   * then finds the lines it used in the conv before still in its cache. */
  const size_t given = p->ws_slice_bytes / RC_WINO_WS_ALIGN * RC_WINO_WS_ALIGN / sizeof(float);
  if (given > slice) slice = given;
  /* Border tiles are grouped (wino_run.h): each position's GEMM is then
   * one range of tiles, not one per tile row. Per image but with an input
   * binding, whose row cache must see the tiles in raster order: those
   * group each block's tiles, the transforms walking them in raster order. */
  if (c.border) c.grouped = p->load ? RC_WINO_GROUP_BLOCK : RC_WINO_GROUP_IMAGE;
  if (threads <= 1) {
    rc_wino_run_range(&c, 0, total);
    return;
  }
  if (total <= c.block_tiles) {
    c.first = 0;
    c.count = total;
    if (c.grouped == RC_WINO_GROUP_BLOCK) rc_wino_block_classes(&c);
    if (!c.direct && total >= RC_WINO_SPLIT_MIN_TILES * threads) {
      tile_ranges(&c, total, threads, slice, pool);
      return;
    }
    if (cols_split(&c, total, threads)) {
      range_ctx cols = {&c, c.cout_blocks, threads, slice};
      rc_pool_parallelize(pool, cols_task, &cols, cols.parts);
      return;
    }
    /* Items of a few tiles or panels each, RC_POOL_ITEMS_PER_THREAD per thread: a descheduled
     * thread's share is taken by the others. */
    phase_ctx ph = {&c, 0, slice, 0};
    for (ph.phase = c.direct ? 2 : 0; ph.phase < 3; ph.phase++) { /* direct tiles: the output phase only */
      ph.parts = rc_pool_parts(pool, ph.phase == 1 ? c.gemm_groups * c.a2 : c.count);
      rc_pool_parallelize(pool, phase_task, &ph, ph.parts);
    }
    return;
  }
  /* Ranges of at most one block each, a multiple of the thread count of
   * them: claimed dynamically, so a descheduled thread's share is taken by
   * the others, and no more blocks (U streamed once per block) than one
   * range per thread would make. */
  const size_t blocks = (total + c.block_tiles - 1) / c.block_tiles;
  tile_ranges(&c, total, (blocks + threads - 1) / threads * threads, slice, pool);
}

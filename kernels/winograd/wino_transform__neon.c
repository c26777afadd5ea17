/* AArch64 NEON Winograd input and output transforms, one tile per call, 4
 * channels per q vector (NHWC keeps them contiguous). NEON has no masked
 * loads or stores: a channel tail of 1–3 is read and written lane by lane.
 * V rows are padded to 8 channels (RC_WINO_V_CPAD, the AVX2 width), so a
 * tile whose channels end on a multiple of 4 but not of 8 also writes one
 * chunk of zeros. Built only for AArch64.
 *
 * The same scheme as the AVX2 file: the transforms are written once,
 * generically in α, over the generated matrices (wino_matrices.h); helpers
 * are always_inline and their loops fully unrolled, so every matrix entry is
 * a compile-time constant: zero entries generate no code, ±1 an add or a
 * subtract, others one FMA by a scalar (vfmaq_n_f32). Each 2-D transform is
 * two passes of 1-D transforms (rows into a stack buffer, then columns). */
#include <arm_neon.h>
#include <stddef.h>

#include "kernels/winograd/wino_matrices.h"
#include "kernels/winograd/wino_ukernels.h"

#define INLINE static inline __attribute__((always_inline))
#define MAX_ALPHA 8

static const float bt23[4][4] = RC_WINO23_BT_INIT;
static const float at23[2][4] = RC_WINO23_AT_INIT;
static const float bt43[6][6] = RC_WINO43_BT_INIT;
static const float at43[4][6] = RC_WINO43_AT_INIT;
static const float bt63[8][8] = RC_WINO63_BT_INIT;
static const float at63[6][8] = RC_WINO63_AT_INIT;

/* Σ_j coef[j]·x[j·stride] over the nonzero coefficients, ascending j. */
INLINE float32x4_t lincomb(const float* coef, const float32x4_t* x, const int n, const int stride) {
  float32x4_t acc = vdupq_n_f32(0.0f);
  int have = 0;
#pragma GCC unroll 8
  for (int j = 0; j < n; j++) {
    const float c = coef[j];
    const float32x4_t xj = x[j * stride];
    if (c == 0.0f) continue;
    if (!have) {
      acc = c == 1.0f ? xj : c == -1.0f ? vnegq_f32(xj) : vmulq_n_f32(xj, c);
      have = 1;
    } else {
      acc = c == 1.0f ? vaddq_f32(acc, xj) : c == -1.0f ? vsubq_f32(acc, xj) : vfmaq_n_f32(acc, xj, c);
    }
  }
  return acc;
}

/* Lanes [0, n) from p, the others 0; 0 < n < 4 (a channel tail). */
INLINE float32x4_t load_tail(const float* p, size_t n) {
  float32x4_t v = vdupq_n_f32(0.0f);
  v = vld1q_lane_f32(p, v, 0);
  if (n > 1) v = vld1q_lane_f32(p + 1, v, 1);
  if (n > 2) v = vld1q_lane_f32(p + 2, v, 2);
  return v;
}

INLINE void store_tail(float* p, float32x4_t v, size_t n) {
  vst1q_lane_f32(p, v, 0);
  if (n > 1) vst1q_lane_f32(p + 1, v, 1);
  if (n > 2) vst1q_lane_f32(p + 2, v, 2);
}

/* n == 4: a whole vector; else a tail. */
INLINE float32x4_t load4(const float* p, const size_t n) { return n == 4 ? vld1q_f32(p) : load_tail(p, n); }

/* One 4-channel chunk (n ≤ 4 real channels) of one input tile. col:
 * element offset of the window's first column, channel c, within a row (may
 * be negative: only columns in [jlo, jhi) are read, and only rows that are
 * not NULL). */
INLINE void input_chunk(const int A, const float* bt, const float* const* rows, ptrdiff_t col, ptrdiff_t cin,
                        const int interior, int jlo, int jhi, const size_t n, float* v, size_t v_stride) {
  float32x4_t t[MAX_ALPHA * MAX_ALPHA];
#pragma GCC unroll 8
  for (int i = 0; i < A; i++) {
    if (!interior && !rows[i]) {
#pragma GCC unroll 8
      for (int k = 0; k < A; k++) t[i * A + k] = vdupq_n_f32(0.0f);
      continue;
    }
    float32x4_t d[MAX_ALPHA];
#pragma GCC unroll 8
    for (int j = 0; j < A; j++) {
      if (interior || (j >= jlo && j < jhi))
        d[j] = load4(rows[i] + (col + j * cin), n);
      else
        d[j] = vdupq_n_f32(0.0f);
    }
    /* t = d B: t[i][k] = Σ_j d[i][j]·Bᵀ[k][j] */
#pragma GCC unroll 8
    for (int k = 0; k < A; k++) t[i * A + k] = lincomb(bt + k * A, d, A, 1);
  }
  /* V = Bᵀ t: V[l][k] = Σ_i Bᵀ[l][i]·t[i][k] */
#pragma GCC unroll 8
  for (int l = 0; l < A; l++) {
#pragma GCC unroll 8
    for (int k = 0; k < A; k++) vst1q_f32(v + (size_t)(l * A + k) * v_stride, lincomb(bt + l * A, t + k, A, A));
  }
}

INLINE void input_tile(const int A, const float* bt, const float* const* rows, int32_t in_w, size_t cin, int32_t ix0,
                       float* v, size_t v_stride) {
  const int jlo = ix0 < 0 ? -ix0 : 0;
  int jhi = in_w - ix0;
  jhi = jhi > A ? A : jhi;
  int interior = jlo == 0 && jhi == A;
  for (int i = 0; i < A; i++) interior &= rows[i] != NULL;
  const ptrdiff_t cs = (ptrdiff_t)cin, col = (ptrdiff_t)ix0 * cs;
  size_t c = 0;
  /* The interior/border split is a template argument: interior tiles (most
   * of them) get straight-line loads with no bounds tests. */
  if (interior) {
    for (; c + 4 <= cin; c += 4) input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 1, 0, A, 4, v + c, v_stride);
    if (c < cin) input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 1, 0, A, cin - c, v + c, v_stride);
  } else {
    for (; c + 4 <= cin; c += 4) input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 0, jlo, jhi, 4, v + c, v_stride);
    if (c < cin) input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 0, jlo, jhi, cin - c, v + c, v_stride);
  }
  /* Channels [round_up(cin, 4), round_up(cin, 8)) get 0, as the contract
   * says (the scalar and AVX2 transforms write the whole padded row). */
  c = (cin + 3) / 4 * 4;
  if (c % RC_WINO_V_CPAD != 0) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    for (int xi = 0; xi < A * A; xi++) vst1q_f32(v + (size_t)xi * v_stride + c, zero);
  }
}

/* One 4-channel chunk (n ≤ 4 real channels) of one output tile; mm, y and
 * the epilogue vectors already point at channel c. */
INLINE void output_chunk(const int A, const int M, const float* at, const float* mm, size_t m_stride, float32x4_t bias,
                         const int prelu, float32x4_t lo, float32x4_t hi, float32x4_t slope, float* y,
                         size_t y_row_stride, size_t cstride, size_t rows, size_t cols, const size_t n) {
  float32x4_t s[MAX_ALPHA * (MAX_ALPHA - 2)];
#pragma GCC unroll 8
  for (int i = 0; i < A; i++) {
    float32x4_t in[MAX_ALPHA];
    /* M rows are padded to 16 channels: whole-vector loads are in bounds. */
#pragma GCC unroll 8
    for (int j = 0; j < A; j++) in[j] = vld1q_f32(mm + (size_t)(i * A + j) * m_stride);
      /* s = M A: s[i][x] = Σ_j M[i][j]·Aᵀ[x][j] */
#pragma GCC unroll 8
    for (int xx = 0; xx < M; xx++) s[i * M + xx] = lincomb(at + xx * A, in, A, 1);
  }
  /* Y = Aᵀ s: Y[yy][x] = Σ_i Aᵀ[yy][i]·s[i][x] */
#pragma GCC unroll 8
  for (int yy = 0; yy < M; yy++) {
    if ((size_t)yy >= rows) break;
#pragma GCC unroll 8
    for (int xx = 0; xx < M; xx++) {
      if ((size_t)xx >= cols) break;
      float32x4_t o = vaddq_f32(lincomb(at + yy * A, s + xx, A, M), bias);
      if (prelu) {
        const uint32x4_t neg = vcltq_f32(o, vdupq_n_f32(0.0f)); /* false for NaN: NaN passes */
        o = vbslq_f32(neg, vmulq_f32(o, slope), o);
      } else {
        /* FMAX/FMIN (not FMAXNM) return NaN when either input is NaN: NaN
         * passes, as in the scalar y < lo ? lo : ... */
        o = vminq_f32(hi, vmaxq_f32(lo, o));
      }
      float* p = y + (size_t)yy * y_row_stride + (size_t)xx * cstride;
      if (n == 4)
        vst1q_f32(p, o);
      else
        store_tail(p, o, n);
    }
  }
}

INLINE void output_tile(const int A, const int M, const float* at, const float* mm, size_t m_stride, size_t cout,
                        const rc_wino_epilogue* ep, float* y, size_t y_row_stride, size_t rows, size_t cols) {
  const int prelu = ep->activation == RC_WINO_ACT_PRELU;
  const float lo_s = ep->activation == RC_WINO_ACT_RELU   ? 0.0f
                     : ep->activation == RC_WINO_ACT_CLIP ? ep->min
                                                          : -__builtin_inff();
  const float hi_s = ep->activation == RC_WINO_ACT_CLIP ? ep->max : __builtin_inff();
  const float32x4_t lo = vdupq_n_f32(lo_s), hi = vdupq_n_f32(hi_s), zero = vdupq_n_f32(0.0f);
  size_t c = 0;
  for (; c + 4 <= cout; c += 4) {
    const float32x4_t b = ep->bias ? vld1q_f32(ep->bias + c) : zero;
    const float32x4_t sl = prelu ? vld1q_f32(ep->slopes + c) : zero;
    output_chunk(A, M, at, mm + c, m_stride, b, prelu, lo, hi, sl, y + c, y_row_stride, cout, rows, cols, 4);
  }
  if (c < cout) {
    const size_t n = cout - c;
    const float32x4_t b = ep->bias ? load_tail(ep->bias + c, n) : zero;
    const float32x4_t sl = prelu ? load_tail(ep->slopes + c, n) : zero;
    output_chunk(A, M, at, mm + c, m_stride, b, prelu, lo, hi, sl, y + c, y_row_stride, cout, rows, cols, n);
  }
}

#define DEFINE_VARIANT(name, A, M, bt, at)                                                                          \
  void rc_##name##_input_transform__neon(const float* const* rows, int32_t in_w, size_t cin, int32_t ix0, float* v, \
                                         size_t v_stride) {                                                         \
    input_tile(A, &bt[0][0], rows, in_w, cin, ix0, v, v_stride);                                                    \
  }                                                                                                                 \
  void rc_##name##_output_transform__neon(const float* m, size_t m_stride, size_t cout, const rc_wino_epilogue* ep, \
                                          float* y, size_t y_row_stride, size_t rows, size_t cols) {                \
    output_tile(A, M, &at[0][0], m, m_stride, cout, ep, y, y_row_stride, rows, cols);                               \
  }

DEFINE_VARIANT(wino23, 4, 2, bt23, at23)
DEFINE_VARIANT(wino43, 6, 4, bt43, at43)
DEFINE_VARIANT(wino63, 8, 6, bt63, at63)

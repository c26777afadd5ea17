/* AVX-512F Winograd input and output transforms, one tile per call, 16
 * channels per vector; channel tails use mask registers. The same code as
 * the AVX2 file (wino_transform__avx512f.c) one vector width up: on CPUs with a
 * full-width 512-bit datapath a 16-channel layer (a super-resolution body)
 * takes one vector per tile position instead of two. Compiled with
 * -mavx512f (CMakeLists.txt); called only when cpuinfo reports AVX-512F. */
#include <immintrin.h>
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
INLINE __m512 neg(__m512 x) { /* sign flip (xor: AVX-512F has no xor_ps) */
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}

INLINE __m512 lincomb(const float* coef, const __m512* x, const int n, const int stride) {
  __m512 acc = _mm512_setzero_ps();
  int have = 0;
#pragma GCC unroll 8
  for (int j = 0; j < n; j++) {
    const float c = coef[j];
    const __m512 xj = x[j * stride];
    if (c == 0.0f) continue;
    if (!have) {
      acc = c == 1.0f    ? xj
            : c == -1.0f ? neg(xj)
                         : _mm512_mul_ps(_mm512_set1_ps(c), xj);
      have = 1;
    } else {
      acc = c == 1.0f    ? _mm512_add_ps(acc, xj)
            : c == -1.0f ? _mm512_sub_ps(acc, xj)
                         : _mm512_fmadd_ps(_mm512_set1_ps(c), xj, acc);
    }
  }
  return acc;
}

INLINE __mmask16 tail_mask(size_t n) { return (__mmask16)((1u << n) - 1u); } /* lanes < n, 0 < n < 16 */

INLINE __m512 load16(const float* p, const int masked, __mmask16 mask) {
  return masked ? _mm512_maskz_loadu_ps(mask, p) : _mm512_loadu_ps(p);
}

/* One 16-channel chunk of one input tile. col: element offset of the
 * window's first column, channel c, within a row (may be negative: only
 * columns in [jlo, jhi) are read, and only rows that are not NULL). */
INLINE void input_chunk(const int A, const float* bt, const float* const* rows, ptrdiff_t col, ptrdiff_t cin,
                        const int interior, int jlo, int jhi, const int masked, __mmask16 mask, __mmask16 smask,
                        float* v, size_t v_stride) {
  __m512 t[MAX_ALPHA * MAX_ALPHA];
#pragma GCC unroll 8
  for (int i = 0; i < A; i++) {
    if (!interior && !rows[i]) {
#pragma GCC unroll 8
      for (int k = 0; k < A; k++) t[i * A + k] = _mm512_setzero_ps();
      continue;
    }
    __m512 d[MAX_ALPHA];
#pragma GCC unroll 8
    for (int j = 0; j < A; j++) {
      if (interior || (j >= jlo && j < jhi))
        d[j] = load16(rows[i] + (col + j * cin), masked, mask);
      else
        d[j] = _mm512_setzero_ps();
    }
    /* t = d B: t[i][k] = Σ_j d[i][j]·Bᵀ[k][j] */
#pragma GCC unroll 8
    for (int k = 0; k < A; k++) t[i * A + k] = lincomb(bt + k * A, d, A, 1);
  }
  /* V = Bᵀ t: V[l][k] = Σ_i Bᵀ[l][i]·t[i][k] */
#pragma GCC unroll 8
  for (int l = 0; l < A; l++) {
#pragma GCC unroll 8
    for (int k = 0; k < A; k++)
      _mm512_mask_storeu_ps(v + (size_t)(l * A + k) * v_stride, smask, lincomb(bt + l * A, t + k, A, A));
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
  /* The tail chunk loads its real channels and stores up to the row's
   * padding (round_up(cin, 8)): the padding lanes get the transform of 0. */
  const size_t cpad = (cin + RC_WINO_V_CPAD - 1) / RC_WINO_V_CPAD * RC_WINO_V_CPAD;
  size_t c = 0;
  if (interior) {
    for (; c + 16 <= cin; c += 16)
      input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 1, 0, A, 0, 0, 0xFFFF, v + c, v_stride);
    if (c < cin)
      input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 1, 0, A, 1, tail_mask(cin - c), tail_mask(cpad - c), v + c,
                  v_stride);
  } else {
    for (; c + 16 <= cin; c += 16)
      input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 0, jlo, jhi, 0, 0, 0xFFFF, v + c, v_stride);
    if (c < cin)
      input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 0, jlo, jhi, 1, tail_mask(cin - c), tail_mask(cpad - c),
                  v + c, v_stride);
  }
}

/* One 16-channel chunk of one output tile; mm, y and the epilogue vectors
 * already point at channel c. */
INLINE void output_chunk(const int A, const int M, const float* at, const float* mm, size_t m_stride, __m512 bias,
                         const int prelu, __m512 lo, __m512 hi, __m512 slope, float* y, size_t y_row_stride,
                         size_t cstride, size_t rows, size_t cols, const int masked, __mmask16 mask) {
  __m512 s[MAX_ALPHA * (MAX_ALPHA - 2)];
#pragma GCC unroll 8
  for (int i = 0; i < A; i++) {
    __m512 in[MAX_ALPHA];
#pragma GCC unroll 8
    for (int j = 0; j < A; j++) in[j] = _mm512_loadu_ps(mm + (size_t)(i * A + j) * m_stride);
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
      __m512 o = _mm512_add_ps(lincomb(at + yy * A, s + xx, A, M), bias);
      if (prelu) {
        const __mmask16 lt = _mm512_cmp_ps_mask(o, _mm512_setzero_ps(), _CMP_LT_OQ);
        o = _mm512_mask_mul_ps(o, lt, o, slope);
      } else {
        o = _mm512_min_ps(hi, _mm512_max_ps(lo, o)); /* NaN passes: max/min return the second operand */
      }
      float* p = y + (size_t)yy * y_row_stride + (size_t)xx * cstride;
      if (masked)
        _mm512_mask_storeu_ps(p, mask, o);
      else
        _mm512_storeu_ps(p, o);
    }
  }
}

INLINE void output_tile(const int A, const int M, const float* at, const float* mm, size_t m_stride, size_t cout,
                        const rc_wino_epilogue* ep, float* y, size_t y_row_stride, size_t rows, size_t cols) {
  const int prelu = ep->activation == RC_WINO_ACT_PRELU;
  const float lo_s = ep->activation == RC_WINO_ACT_RELU ? 0.0f
                     : ep->activation == RC_WINO_ACT_CLIP ? ep->min
                                                          : -__builtin_inff();
  const float hi_s = ep->activation == RC_WINO_ACT_CLIP ? ep->max : __builtin_inff();
  const __m512 lo = _mm512_set1_ps(lo_s), hi = _mm512_set1_ps(hi_s);
  const __mmask16 none = 0;
  size_t c = 0;
  for (; c + 16 <= cout; c += 16) {
    const __m512 b = ep->bias ? _mm512_loadu_ps(ep->bias + c) : _mm512_setzero_ps();
    const __m512 sl = prelu ? _mm512_loadu_ps(ep->slopes + c) : _mm512_setzero_ps();
    output_chunk(A, M, at, mm + c, m_stride, b, prelu, lo, hi, sl, y + c, y_row_stride, cout, rows, cols, 0, none);
  }
  if (c < cout) {
    const __mmask16 mask = tail_mask(cout - c);
    const __m512 b = ep->bias ? _mm512_maskz_loadu_ps(mask, ep->bias + c) : _mm512_setzero_ps();
    const __m512 sl = prelu ? _mm512_maskz_loadu_ps(mask, ep->slopes + c) : _mm512_setzero_ps();
    output_chunk(A, M, at, mm + c, m_stride, b, prelu, lo, hi, sl, y + c, y_row_stride, cout, rows, cols, 1, mask);
  }
}

#define DEFINE_VARIANT(name, A, M, bt, at)                                                                         \
  void rc_##name##_input_transform__avx512f(const float* const* rows, int32_t in_w, size_t cin, int32_t ix0,       \
                                         float* v, size_t v_stride) {                                             \
    input_tile(A, &bt[0][0], rows, in_w, cin, ix0, v, v_stride);                                                  \
  }                                                                                                               \
  void rc_##name##_output_transform__avx512f(const float* m, size_t m_stride, size_t cout,                           \
                                          const rc_wino_epilogue* ep, float* y, size_t y_row_stride, size_t rows, \
                                          size_t cols) {                                                          \
    output_tile(A, M, &at[0][0], m, m_stride, cout, ep, y, y_row_stride, rows, cols);                             \
  }

DEFINE_VARIANT(wino23, 4, 2, bt23, at23)
DEFINE_VARIANT(wino43, 6, 4, bt43, at43)
DEFINE_VARIANT(wino63, 8, 6, bt63, at63)

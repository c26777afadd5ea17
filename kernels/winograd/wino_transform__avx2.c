/* AVX2+FMA Winograd input and output transforms, one tile per call, 8
 * channels per vector (NHWC keeps them contiguous); channel tails use masked
 * loads and stores. Compiled with -mavx2 -mfma (CMakeLists.txt); called only
 * when cpuinfo reports AVX2 and FMA3.
 *
 * The transforms are written once, generically in α, over the generated
 * matrices (wino_matrices.h) held in static const arrays. The helpers are
 * always_inline and their loops fully unrolled, so every matrix entry is a
 * compile-time constant: zero entries generate no code, ±1 entries an add or
 * a subtract, others one FMA with a broadcast constant. Each 2-D transform is
 * two passes of 1-D transforms (rows into a stack buffer, then columns). */
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
INLINE __m256 lincomb(const float* coef, const __m256* x, const int n, const int stride) {
  __m256 acc = _mm256_setzero_ps();
  int have = 0;
#pragma GCC unroll 8
  for (int j = 0; j < n; j++) {
    const float c = coef[j];
    const __m256 xj = x[j * stride];
    if (c == 0.0f) continue;
    if (!have) {
      acc = c == 1.0f    ? xj
            : c == -1.0f ? _mm256_xor_ps(xj, _mm256_set1_ps(-0.0f))
                         : _mm256_mul_ps(_mm256_set1_ps(c), xj);
      have = 1;
    } else {
      acc = c == 1.0f    ? _mm256_add_ps(acc, xj)
            : c == -1.0f ? _mm256_sub_ps(acc, xj)
                         : _mm256_fmadd_ps(_mm256_set1_ps(c), xj, acc);
    }
  }
  return acc;
}

INLINE __m256i tail_mask(size_t n) {
  /* lanes < n set, 0 < n < 8 */
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), idx);
}

INLINE __m256 load8(const float* p, const int masked, __m256i mask) {
  return masked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

/* One 8-channel chunk of one input tile. col: element offset of the
 * window's first column, channel c, within a row (may be negative: only
 * columns in [jlo, jhi) are read, and only rows that are not NULL). */
INLINE void input_chunk(const int A, const float* bt, const float* const* rows, ptrdiff_t col, ptrdiff_t cin,
                        const int interior, int jlo, int jhi, const int masked, __m256i mask, float* v,
                        size_t v_stride) {
  __m256 t[MAX_ALPHA * MAX_ALPHA];
#pragma GCC unroll 8
  for (int i = 0; i < A; i++) {
    if (!interior && !rows[i]) {
#pragma GCC unroll 8
      for (int k = 0; k < A; k++) t[i * A + k] = _mm256_setzero_ps();
      continue;
    }
    __m256 d[MAX_ALPHA];
#pragma GCC unroll 8
    for (int j = 0; j < A; j++) {
      if (interior || (j >= jlo && j < jhi))
        d[j] = load8(rows[i] + (col + j * cin), masked, mask);
      else
        d[j] = _mm256_setzero_ps();
    }
    /* t = d B: t[i][k] = Σ_j d[i][j]·Bᵀ[k][j] */
#pragma GCC unroll 8
    for (int k = 0; k < A; k++) t[i * A + k] = lincomb(bt + k * A, d, A, 1);
  }
  /* V = Bᵀ t: V[l][k] = Σ_i Bᵀ[l][i]·t[i][k] */
#pragma GCC unroll 8
  for (int l = 0; l < A; l++) {
#pragma GCC unroll 8
    for (int k = 0; k < A; k++) _mm256_storeu_ps(v + (size_t)(l * A + k) * v_stride, lincomb(bt + l * A, t + k, A, A));
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
  const __m256i none = _mm256_setzero_si256();
  size_t c = 0;
  if (interior) {
    for (; c + 8 <= cin; c += 8) input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 1, 0, A, 0, none, v + c, v_stride);
    if (c < cin)
      input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 1, 0, A, 1, tail_mask(cin - c), v + c, v_stride);
  } else {
    for (; c + 8 <= cin; c += 8)
      input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 0, jlo, jhi, 0, none, v + c, v_stride);
    if (c < cin)
      input_chunk(A, bt, rows, col + (ptrdiff_t)c, cs, 0, jlo, jhi, 1, tail_mask(cin - c), v + c, v_stride);
  }
}

/* One 8-channel chunk of one output tile; mm, y and the epilogue vectors
 * already point at channel c. */
INLINE void output_chunk(const int A, const int M, const float* at, const float* mm, size_t m_stride, __m256 bias,
                         const int prelu, __m256 lo, __m256 hi, __m256 slope, float* y, size_t y_row_stride,
                         size_t cstride, size_t rows, size_t cols, const int masked, __m256i mask) {
  __m256 s[MAX_ALPHA * (MAX_ALPHA - 2)];
#pragma GCC unroll 8
  for (int i = 0; i < A; i++) {
    __m256 in[MAX_ALPHA];
#pragma GCC unroll 8
    for (int j = 0; j < A; j++) in[j] = _mm256_loadu_ps(mm + (size_t)(i * A + j) * m_stride);
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
      __m256 o = _mm256_add_ps(lincomb(at + yy * A, s + xx, A, M), bias);
      if (prelu) {
        const __m256 neg = _mm256_cmp_ps(o, _mm256_setzero_ps(), _CMP_LT_OQ);
        o = _mm256_blendv_ps(o, _mm256_mul_ps(o, slope), neg);
      } else {
        o = _mm256_min_ps(hi, _mm256_max_ps(lo, o)); /* NaN passes: max/min return the second operand */
      }
      float* p = y + (size_t)yy * y_row_stride + (size_t)xx * cstride;
      if (masked)
        _mm256_maskstore_ps(p, mask, o);
      else
        _mm256_storeu_ps(p, o);
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
  const __m256 lo = _mm256_set1_ps(lo_s), hi = _mm256_set1_ps(hi_s);
  const __m256i none = _mm256_setzero_si256();
  size_t c = 0;
  for (; c + 8 <= cout; c += 8) {
    const __m256 b = ep->bias ? _mm256_loadu_ps(ep->bias + c) : _mm256_setzero_ps();
    const __m256 sl = prelu ? _mm256_loadu_ps(ep->slopes + c) : _mm256_setzero_ps();
    output_chunk(A, M, at, mm + c, m_stride, b, prelu, lo, hi, sl, y + c, y_row_stride, cout, rows, cols, 0, none);
  }
  if (c < cout) {
    const __m256i mask = tail_mask(cout - c);
    const __m256 b = ep->bias ? _mm256_maskload_ps(ep->bias + c, mask) : _mm256_setzero_ps();
    const __m256 sl = prelu ? _mm256_maskload_ps(ep->slopes + c, mask) : _mm256_setzero_ps();
    output_chunk(A, M, at, mm + c, m_stride, b, prelu, lo, hi, sl, y + c, y_row_stride, cout, rows, cols, 1, mask);
  }
}

#define DEFINE_VARIANT(name, A, M, bt, at)                                                                         \
  void rc_##name##_input_transform__avx2(const float* const* rows, int32_t in_w, size_t cin, int32_t ix0,       \
                                         float* v, size_t v_stride) {                                             \
    input_tile(A, &bt[0][0], rows, in_w, cin, ix0, v, v_stride);                                                  \
  }                                                                                                               \
  void rc_##name##_output_transform__avx2(const float* m, size_t m_stride, size_t cout,                           \
                                          const rc_wino_epilogue* ep, float* y, size_t y_row_stride, size_t rows, \
                                          size_t cols) {                                                          \
    output_tile(A, M, &at[0][0], m, m_stride, cout, ep, y, y_row_stride, rows, cols);                             \
  }

DEFINE_VARIANT(wino23, 4, 2, bt23, at23)
DEFINE_VARIANT(wino43, 6, 4, bt43, at43)
DEFINE_VARIANT(wino63, 8, 6, bt63, at63)

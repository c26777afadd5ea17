/* Scalar (portable C) Winograd input and output transforms, one tile per
 * call, one channel at a time. The reference for the SIMD variants: the same
 * matrices (wino_matrices.h), the same order of operations (zero matrix
 * entries skipped, sums in ascending index order), without FMA contraction. */
#include <string.h>

#include "kernels/winograd/wino_matrices.h"
#include "kernels/winograd/wino_ukernels.h"

#define MAX_ALPHA 8

static const float bt23[4][4] = RC_WINO23_BT_INIT;
static const float at23[2][4] = RC_WINO23_AT_INIT;
static const float bt43[6][6] = RC_WINO43_BT_INIT;
static const float at43[4][6] = RC_WINO43_AT_INIT;
static const float bt63[8][8] = RC_WINO63_BT_INIT;
static const float at63[6][8] = RC_WINO63_AT_INIT;

/* Σ_j coef[j]·x[j·stride] over the nonzero coefficients, ascending j. */
static inline float lincomb(const float* coef, const float* x, int n, int stride) {
  float acc = 0.0f;
  int have = 0;
  for (int j = 0; j < n; j++) {
    const float c = coef[j];
    if (c == 0.0f) continue;
    const float t = c == 1.0f ? x[j * stride] : (c == -1.0f ? -x[j * stride] : c * x[j * stride]);
    acc = have ? acc + t : t;
    have = 1;
  }
  return acc;
}

static inline void input_tile(int alpha, const float* bt, const float* const* rows, int32_t in_w, size_t cin,
                              int32_t ix0, float* v, size_t v_stride) {
  const size_t cpad = (cin + RC_WINO_V_CPAD - 1) / RC_WINO_V_CPAD * RC_WINO_V_CPAD;
  float d[MAX_ALPHA * MAX_ALPHA], t[MAX_ALPHA * MAX_ALPHA];
  for (size_t c = 0; c < cpad; c++) {
    if (c >= cin) {
      for (int xi = 0; xi < alpha * alpha; xi++) v[(size_t)xi * v_stride + c] = 0.0f;
      continue;
    }
    for (int i = 0; i < alpha; i++) {
      for (int j = 0; j < alpha; j++) {
        const int32_t ix = ix0 + j;
        d[i * alpha + j] = (rows[i] && ix >= 0 && ix < in_w) ? rows[i][(size_t)ix * cin + c] : 0.0f;
      }
    }
    /* t = d B: t[i][k] = Σ_j d[i][j]·Bᵀ[k][j] */
    for (int i = 0; i < alpha; i++)
      for (int k = 0; k < alpha; k++) t[i * alpha + k] = lincomb(bt + k * alpha, d + i * alpha, alpha, 1);
    /* V = Bᵀ t: V[l][k] = Σ_i Bᵀ[l][i]·t[i][k] */
    for (int l = 0; l < alpha; l++)
      for (int k = 0; k < alpha; k++)
        v[(size_t)(l * alpha + k) * v_stride + c] = lincomb(bt + l * alpha, t + k, alpha, alpha);
  }
}

static inline float activate(const rc_wino_epilogue* ep, size_t c, float y) {
  switch (ep->activation) {
    case RC_WINO_ACT_NONE: return y;
    case RC_WINO_ACT_RELU: return y < 0.0f ? 0.0f : y;
    case RC_WINO_ACT_CLIP: return y < ep->min ? ep->min : (y > ep->max ? ep->max : y);
    case RC_WINO_ACT_PRELU: return y < 0.0f ? ep->slopes[c] * y : y;
  }
  return y;
}

static inline void output_tile(int alpha, int m, const float* at, const float* mm, size_t m_stride, size_t cout,
                               const rc_wino_epilogue* ep, float* y, size_t y_row_stride, size_t rows, size_t cols) {
  float s[MAX_ALPHA * MAX_ALPHA], in[MAX_ALPHA * MAX_ALPHA];
  for (size_t c = 0; c < cout; c++) {
    for (int xi = 0; xi < alpha * alpha; xi++) in[xi] = mm[(size_t)xi * m_stride + c];
    /* s = M A: s[i][x] = Σ_j M[i][j]·Aᵀ[x][j] */
    for (int i = 0; i < alpha; i++)
      for (int xx = 0; xx < m; xx++) s[i * m + xx] = lincomb(at + xx * alpha, in + i * alpha, alpha, 1);
    const float b = ep->bias ? ep->bias[c] : 0.0f;
    /* Y = Aᵀ s: Y[yy][x] = Σ_i Aᵀ[yy][i]·s[i][x] */
    for (size_t yy = 0; yy < rows; yy++)
      for (size_t xx = 0; xx < cols; xx++) {
        const float o = lincomb(at + yy * (size_t)alpha, s + xx, alpha, m) + b;
        y[yy * y_row_stride + xx * cout + c] = activate(ep, c, o);
      }
  }
}

#define DEFINE_VARIANT(name, A, M, bt, at)                                                                            \
  void rc_##name##_input_transform__scalar(const float* const* rows, int32_t in_w, size_t cin, int32_t ix0, float* v, \
                                           size_t v_stride) {                                                         \
    input_tile(A, &bt[0][0], rows, in_w, cin, ix0, v, v_stride);                                                      \
  }                                                                                                                   \
  void rc_##name##_output_transform__scalar(const float* m, size_t m_stride, size_t cout, const rc_wino_epilogue* ep, \
                                            float* y, size_t y_row_stride, size_t rows, size_t cols) {                \
    output_tile(A, M, &at[0][0], m, m_stride, cout, ep, y, y_row_stride, rows, cols);                                 \
  }

DEFINE_VARIANT(wino23, 4, 2, bt23, at23)
DEFINE_VARIANT(wino43, 6, 4, bt43, at43)
DEFINE_VARIANT(wino63, 8, 6, bt63, at63)

#include "fold/matmap.h"

#include <stdlib.h>
#include <string.h>

static rc_status alloc(rc_matmap* a, int64_t rows, int64_t cols) {
  memset(a, 0, sizeof(*a));
  if (rows < 1 || cols < 1 || rows > RC_MATMAP_MAX_SIDE || cols > RC_MATMAP_MAX_SIDE) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "fold: a %lldx%lld matrix map is past the size cap", (long long)rows,
                    (long long)cols);
  }
  a->rows = rows;
  a->cols = cols;
  a->m = calloc((size_t)(rows * cols), sizeof(double));
  a->b = calloc((size_t)rows, sizeof(double));
  if (!a->m || !a->b) {
    rc_matmap_free(a);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory (matrix map)");
  }
  return REPCONV_OK;
}

void rc_matmap_free(rc_matmap* a) {
  free(a->m);
  free(a->b);
  memset(a, 0, sizeof(*a));
}

rc_status rc_matmap_identity(rc_matmap* a, int64_t n) {
  RC_CHECK(alloc(a, n, n));
  for (int64_t i = 0; i < n; i++) a->m[i * n + i] = 1.0;
  a->identity = 1;
  return REPCONV_OK;
}

rc_status rc_matmap_from_affine(const rc_affine* f, rc_matmap* out) {
  const int64_t cols = f->cin * f->in_h * f->in_w, rows = f->cout * f->out_h * f->out_w;
  RC_CHECK(alloc(out, rows, cols));
  for (int64_t o = 0; o < f->cout; o++) {
    for (int64_t y = 0; y < f->out_h; y++) {
      for (int64_t x = 0; x < f->out_w; x++) {
        const int64_t r = (o * f->out_h + y) * f->out_w + x;
        out->b[r] = f->b[o];
        for (int64_t c = 0; c < f->cin; c++) {
          for (int32_t i = 0; i < f->kh; i++) {
            const int64_t iy = y * f->sh - f->pt + i;
            if (iy < 0 || iy >= f->in_h) continue;
            for (int32_t j = 0; j < f->kw; j++) {
              const int64_t ix = x * f->sw - f->pl + j;
              if (ix < 0 || ix >= f->in_w) continue;
              double v = f->w_identity ? (c == o && i == 0 && j == 0)
                                       : f->w[(((size_t)o * f->cin + c) * f->kh + i) * f->kw + j];
              out->m[r * cols + (c * f->in_h + iy) * f->in_w + ix] += v;
            }
          }
        }
      }
    }
  }
  return REPCONV_OK;
}

rc_status rc_matmap_gemm(const rc_matmap* a, const float* w, int64_t o, const float* bias, double alpha, double beta,
                         rc_matmap* out) {
  RC_CHECK(alloc(out, o, a->cols));
  for (int64_t r = 0; r < o; r++) {
    double* dst = out->m + r * a->cols;
    double bb = bias ? beta * bias[r] : 0.0;
    for (int64_t k = 0; k < a->rows; k++) {
      const double v = alpha * w[r * a->rows + k];
      if (v == 0.0) continue;
      if (a->identity) { /* row k of I is e_k: the other columns would add v·0 */
        dst[k] += v;
      } else {
        const double* src = a->m + k * a->cols;
        for (int64_t c = 0; c < a->cols; c++) dst[c] += v * src[c];
      }
      bb += v * a->b[k];
    }
    out->b[r] = bb;
  }
  return REPCONV_OK;
}

rc_status rc_matmap_conv(const rc_matmap* a, int64_t c, int64_t h, int64_t w, int64_t co, const float* wt,
                         const float* bias, int32_t kh, int32_t kw, const int32_t s[2], const int32_t d[2],
                         const int32_t p[4], int32_t groups, int64_t oh, int64_t ow, rc_matmap* out) {
  RC_CHECK(alloc(out, co * oh * ow, a->cols));
  const int64_t cg = c / groups, og = co / groups;
  for (int64_t o = 0; o < co; o++) {
    const int64_t c0 = (o / og) * cg;
    for (int64_t y = 0; y < oh; y++) {
      for (int64_t x = 0; x < ow; x++) {
        const int64_t r = (o * oh + y) * ow + x;
        double* dst = out->m + r * a->cols;
        double bb = bias ? bias[o] : 0.0;
        for (int64_t ci = 0; ci < cg; ci++) {
          for (int32_t i = 0; i < kh; i++) {
            const int64_t iy = y * s[0] - p[0] + (int64_t)i * d[0];
            if (iy < 0 || iy >= h) continue;
            for (int32_t j = 0; j < kw; j++) {
              const int64_t ix = x * s[1] - p[1] + (int64_t)j * d[1];
              if (ix < 0 || ix >= w) continue;
              const double v = wt[((o * cg + ci) * kh + i) * kw + j];
              if (v == 0.0) continue;
              const int64_t k = ((c0 + ci) * h + iy) * w + ix;
              if (a->identity) {
                dst[k] += v;
              } else {
                const double* src = a->m + k * a->cols;
                for (int64_t q = 0; q < a->cols; q++) dst[q] += v * src[q];
              }
              bb += v * a->b[k];
            }
          }
        }
        out->b[r] = bb;
      }
    }
  }
  return REPCONV_OK;
}

void rc_matmap_scale_shift(rc_matmap* a, int64_t inner, const double* scale, const double* shift) {
  a->identity = 0;
  for (int64_t r = 0; r < a->rows; r++) {
    const int64_t ch = r / inner;
    if (scale) {
      for (int64_t q = 0; q < a->cols; q++) a->m[r * a->cols + q] *= scale[ch];
      a->b[r] *= scale[ch];
    }
    if (shift) a->b[r] += shift[ch];
  }
}

rc_status rc_matmap_add(const rc_matmap* a, const rc_matmap* c, double sign, rc_matmap* out) {
  if (a->rows != c->rows || a->cols != c->cols) {
    return rc_error(REPCONV_ERROR_INTERNAL, "fold: adding matrix maps of different sizes");
  }
  RC_CHECK(alloc(out, a->rows, a->cols));
  for (int64_t k = 0; k < a->rows * a->cols; k++) out->m[k] = a->m[k] + sign * c->m[k];
  for (int64_t r = 0; r < a->rows; r++) out->b[r] = a->b[r] + sign * c->b[r];
  out->identity = a->identity && sign == 0.0; /* a copy (finite terms: the weights are checked at load) */
  return REPCONV_OK;
}

int rc_matmap_is_identity(const rc_matmap* a) {
  if (a->rows != a->cols) return 0;
  for (int64_t r = 0; r < a->rows; r++) {
    if (a->b[r] != 0.0) return 0;
    for (int64_t q = 0; q < a->cols; q++) {
      if (a->m[r * a->cols + q] != (r == q ? 1.0 : 0.0)) return 0;
    }
  }
  return 1;
}

int32_t rc_matmap_groups(const rc_matmap* a) {
  int64_t x = a->rows, y = a->cols;
  while (y) {
    int64_t t = x % y;
    x = y;
    y = t;
  }
  for (int64_t g = x; g >= 2; g--) {
    if (a->rows % g || a->cols % g) continue;
    const int64_t rg = a->rows / g, cg = a->cols / g;
    int ok = 1;
    for (int64_t r = 0; ok && r < a->rows; r++) {
      for (int64_t q = 0; ok && q < a->cols; q++) ok = q / cg == r / rg || a->m[r * a->cols + q] == 0.0;
    }
    if (ok) return (int32_t)g;
  }
  return 1;
}

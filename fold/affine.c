#include "fold/affine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W(a, o, c, i, j) ((a)->w[(((size_t)(o) * (a)->cin + (c)) * (a)->kh + (i)) * (a)->kw + (j)])

static rc_status oom(const char* what) {
  return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory (%s)", what);
}

static double* alloc_d(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

void rc_affine_free(rc_affine* a) {
  free(a->w);
  free(a->b);
  memset(a, 0, sizeof(*a));
}

rc_status rc_affine_identity(rc_affine* a, int32_t c, int64_t h, int64_t w) {
  memset(a, 0, sizeof(*a));
  a->cout = a->cin = c;
  a->kh = a->kw = a->sh = a->sw = 1;
  a->in_h = a->out_h = h;
  a->in_w = a->out_w = w;
  a->w_identity = 1;
  a->b = alloc_d((size_t)c);
  return a->b ? REPCONV_OK : oom("identity");
}

static size_t wsize(const rc_affine* a) { return (size_t)a->cout * a->cin * a->kh * a->kw; }

rc_status rc_affine_copy(const rc_affine* a, rc_affine* out) {
  *out = *a;
  out->w = NULL;
  out->b = alloc_d((size_t)a->cout);
  if (!out->b) return oom("copy");
  memcpy(out->b, a->b, (size_t)a->cout * sizeof(double));
  if (a->w) {
    out->w = malloc(wsize(a) * sizeof(double));
    if (!out->w) {
      rc_affine_free(out);
      return oom("copy");
    }
    memcpy(out->w, a->w, wsize(a) * sizeof(double));
  }
  return REPCONV_OK;
}

rc_status rc_affine_densify(rc_affine* a) {
  if (!a->w_identity) return REPCONV_OK;
  a->w = alloc_d(wsize(a));
  if (!a->w) return oom("densify");
  for (int32_t c = 0; c < a->cout; c++) W(a, c, c, 0, 0) = 1.0;
  a->w_identity = 0;
  return REPCONV_OK;
}

int rc_affine_is_copy(const rc_affine* a) {
  if (a->kh != 1 || a->kw != 1 || a->sh != 1 || a->sw != 1 || a->cin != a->cout) return 0;
  for (int32_t o = 0; o < a->cout; o++) {
    if (a->b[o] != 0.0) return 0; /* a shift: x + K is not x */
    if (a->w_identity) continue;
    for (int32_t i = 0; i < a->cin; i++) {
      if (a->w[(size_t)o * a->cin + i] != (o == i ? 1.0 : 0.0)) return 0;
    }
  }
  return 1;
}

static int extent_pad(int64_t in, int64_t out, int32_t k, int32_t s, int32_t p0, int32_t* p1) {
  int64_t pb = (out - 1) * s + k - in - p0;
  if (pb >= 0) {
    if (pb > 4096) return -1;
    *p1 = (int32_t)pb;
    return 0;
  }
  /* The last window ends before X does: no extra padding, if the floor in
   * the output-size formula still gives out. */
  int64_t span = in + p0 - k;
  if (span >= 0 && span / s + 1 == out) {
    *p1 = 0;
    return 0;
  }
  return -1;
}

int rc_affine_bottom_right(const rc_affine* a, int32_t* pb, int32_t* pr) {
  if (extent_pad(a->in_h, a->out_h, a->kh, a->sh, a->pt, pb) != 0) return -1;
  return extent_pad(a->in_w, a->out_w, a->kw, a->sw, a->pl, pr);
}

/* Rows/columns of the kernel holding a non-zero weight; 0 if none. */
static int support(const rc_affine* a, int32_t* r0, int32_t* r1, int32_t* c0, int32_t* c1) {
  if (a->w_identity) {
    *r0 = *r1 = *c0 = *c1 = 0;
    return 1;
  }
  *r0 = a->kh;
  *r1 = -1;
  *c0 = a->kw;
  *c1 = -1;
  for (int32_t o = 0; o < a->cout; o++) {
    for (int32_t c = 0; c < a->cin; c++) {
      for (int32_t i = 0; i < a->kh; i++) {
        for (int32_t j = 0; j < a->kw; j++) {
          if (W(a, o, c, i, j) == 0.0) continue;
          if (i < *r0) *r0 = i;
          if (i > *r1) *r1 = i;
          if (j < *c0) *c0 = j;
          if (j > *c1) *c1 = j;
        }
      }
    }
  }
  return *r1 >= 0;
}

int rc_affine_pad_exact(const rc_affine* a, const int32_t pad[4], const float* values, char* why, size_t why_size) {
  if (!pad[0] && !pad[1] && !pad[2] && !pad[3]) return 1; /* nothing is padded */
  int32_t r0, r1, c0, c1;
  if (support(a, &r0, &r1, &c0, &c1)) {
    /* The first padded position on each side must read X's zero padding only. */
    const char* side = NULL;
    if (pad[0] > 0 && !(r1 < a->sh + a->pt))
      side = "top";
    else if (pad[2] > 0 && !(a->out_h * a->sh - a->pt + r0 >= a->in_h))
      side = "bottom";
    else if (pad[1] > 0 && !(c1 < a->sw + a->pl))
      side = "left";
    else if (pad[3] > 0 && !(a->out_w * a->sw - a->pl + c0 >= a->in_w))
      side = "right";
    if (side) {
      snprintf(why, why_size,
               "padding a %dx%d-window map: its %s border would read the input's interior, not a constant", a->kh,
               a->kw, side);
      return 0;
    }
  }
  /* There the map is its bias, which must be the pad value (0 for a conv's
   * zero padding; the per-channel value of BN-and-pad). The bias is computed
   * in float64 from float32 parameters, the pad value was rounded to float32
   * by the exporter: equal within float rounding. */
  for (int32_t o = 0; o < a->cout; o++) {
    double v = values ? values[o] : 0.0;
    if (!(fabs(a->b[o] - v) <= 1e-5 * fmax(1.0, fabs(v)))) {
      snprintf(why, why_size, "the padded map's bias %.6g at channel %d is not the pad value %.6g", a->b[o], o, v);
      return 0;
    }
  }
  return 1;
}

rc_status rc_affine_conv(const rc_affine* a, int32_t co, const float* w2, double w2_scale, const float* b2, int32_t k2h,
                         int32_t k2w, const int32_t s2[2], const int32_t d2[2], const int32_t p2[4], int32_t groups,
                         int64_t out_h, int64_t out_w, rc_affine* out) {
  memset(out, 0, sizeof(*out));
  const int32_t ct = a->cout, tg = ct / groups, og = co / groups;
  out->cout = co;
  out->cin = a->cin;
  out->sh = a->sh * s2[0];
  out->sw = a->sw * s2[1];
  /* Taps of the second conv land d2·a.s apart on X. */
  const int32_t step_h = d2[0] * a->sh, step_w = d2[1] * a->sw;
  out->kh = (k2h - 1) * step_h + a->kh;
  out->kw = (k2w - 1) * step_w + a->kw;
  out->pt = p2[0] * a->sh + a->pt;
  out->pl = p2[1] * a->sw + a->pl;
  out->in_h = a->in_h;
  out->in_w = a->in_w;
  out->out_h = out_h;
  out->out_w = out_w;
  out->w = alloc_d(wsize(out));
  out->b = alloc_d((size_t)co);
  if (!out->w || !out->b) {
    rc_affine_free(out);
    return oom("conv");
  }
  /* Bias: b2 + Σ_t Σ_taps W2 · b_a[t] (the padded border holds b_a too,
   * which the caller checked). */
  for (int32_t o = 0; o < co; o++) {
    const int32_t t0 = (o / og) * tg;
    double bias = b2 ? b2[o] : 0.0;
    for (int32_t tt = 0; tt < tg; tt++) {
      for (int32_t k = 0; k < k2h * k2w; k++)
        bias += w2[((size_t)o * tg + tt) * k2h * k2w + k] * w2_scale * a->b[t0 + tt];
    }
    out->b[o] = bias;
  }
  if (a->w_identity) {
    /* Composing with the identity places the (dilated) taps. */
    for (int32_t o = 0; o < co; o++) {
      const int32_t t0 = (o / og) * tg;
      for (int32_t tt = 0; tt < tg; tt++) {
        for (int32_t j = 0; j < k2h; j++) {
          for (int32_t l = 0; l < k2w; l++) {
            W(out, o, t0 + tt, j * step_h, l * step_w) += w2[(((size_t)o * tg + tt) * k2h + j) * k2w + l] * w2_scale;
          }
        }
      }
    }
    return REPCONV_OK;
  }
  /* For each pair of taps (conv tap j,l; map tap m,n) the weights combine as
   * a matrix product over the intermediate channels t:
   *   out[o][c][j·step+m][l·step+n] += Σ_t W2[o][t][j][l] · a.w[t][c][m][n].
   * a.w is first laid out [m][n][t][c] so each product streams rows. */
  const size_t cin = (size_t)a->cin, plane = (size_t)ct * cin;
  double* at = malloc((size_t)a->kh * a->kw * plane * sizeof(double));
  double* acc = malloc((size_t)og * cin * sizeof(double));
  double* m1 = malloc((size_t)og * tg * sizeof(double));
  if (!at || !acc || !m1) {
    free(at);
    free(acc);
    free(m1);
    rc_affine_free(out);
    return oom("conv");
  }
  for (int32_t t = 0; t < ct; t++) {
    for (size_t c = 0; c < cin; c++) {
      for (int32_t m = 0; m < a->kh; m++) {
        for (int32_t n = 0; n < a->kw; n++)
          at[((size_t)m * a->kw + n) * plane + (size_t)t * cin + c] = W(a, t, c, m, n);
      }
    }
  }
  enum { TB = 64 }; /* rows of a.w per block: 64 × cin doubles stay in L2 */
  for (int32_t g = 0; g < groups; g++) {
    for (int32_t j = 0; j < k2h; j++) {
      for (int32_t l = 0; l < k2w; l++) {
        int any = 0;
        for (int32_t o = 0; o < og; o++) {
          for (int32_t tt = 0; tt < tg; tt++) {
            double v = w2[(((size_t)(g * og + o) * tg + tt) * k2h + j) * k2w + l] * w2_scale;
            m1[(size_t)o * tg + tt] = v;
            any |= v != 0.0;
          }
        }
        if (!any) continue;
        for (int32_t m = 0; m < a->kh; m++) {
          for (int32_t n = 0; n < a->kw; n++) {
            const double* rows = at + ((size_t)m * a->kw + n) * plane + (size_t)g * tg * cin;
            memset(acc, 0, (size_t)og * cin * sizeof(double));
            for (int32_t tb = 0; tb < tg; tb += TB) {
              const int32_t te = tb + TB < tg ? tb + TB : tg;
              for (int32_t o = 0; o < og; o++) {
                double* dst = acc + (size_t)o * cin;
                for (int32_t tt = tb; tt < te; tt++) {
                  const double v = m1[(size_t)o * tg + tt];
                  if (v == 0.0) continue;
                  const double* src = rows + (size_t)tt * cin;
                  for (size_t c = 0; c < cin; c++) dst[c] += v * src[c];
                }
              }
            }
            for (int32_t o = 0; o < og; o++) {
              for (size_t c = 0; c < cin; c++) {
                W(out, g * og + o, (int32_t)c, j * step_h + m, l * step_w + n) += acc[(size_t)o * cin + c];
              }
            }
          }
        }
      }
    }
  }
  free(at);
  free(acc);
  free(m1);
  return REPCONV_OK;
}

rc_status rc_affine_scale_shift(rc_affine* a, const double* scale, const double* shift) {
  if (scale) {
    RC_CHECK(rc_affine_densify(a));
    size_t per = (size_t)a->cin * a->kh * a->kw;
    for (int32_t o = 0; o < a->cout; o++) {
      for (size_t k = 0; k < per; k++) a->w[o * per + k] *= scale[o];
      a->b[o] *= scale[o];
    }
  }
  if (shift) {
    for (int32_t o = 0; o < a->cout; o++) a->b[o] += shift[o];
  }
  return REPCONV_OK;
}

int rc_affine_same_grid(const rc_affine* a, const rc_affine* c) {
  return a->cin == c->cin && a->sh == c->sh && a->sw == c->sw && a->in_h == c->in_h && a->in_w == c->in_w &&
         a->out_h == c->out_h && a->out_w == c->out_w;
}

/* Places the parts' kernels in a common window (the union of their windows,
 * aligned on X) and stacks their rows: add sums rows pairwise, concat keeps
 * them apart. */
static rc_status merge(const rc_affine* const* parts, const double* signs, int32_t n, int stack, rc_affine* out) {
  memset(out, 0, sizeof(*out));
  int32_t pt = 0, pl = 0, below = 0, right = 0, co = 0;
  for (int32_t k = 0; k < n; k++) {
    const rc_affine* p = parts[k];
    if (p->pt > pt) pt = p->pt;
    if (p->pl > pl) pl = p->pl;
    if (p->kh - p->pt > below) below = p->kh - p->pt;
    if (p->kw - p->pl > right) right = p->kw - p->pl;
    co = stack ? co + p->cout : p->cout;
  }
  *out = *parts[0];
  out->w_identity = 0;
  out->cout = co;
  out->pt = pt;
  out->pl = pl;
  out->kh = pt + below;
  out->kw = pl + right;
  out->w = alloc_d(wsize(out));
  out->b = alloc_d((size_t)co);
  if (!out->w || !out->b) {
    rc_affine_free(out);
    return oom("merge");
  }
  int32_t row = 0;
  for (int32_t k = 0; k < n; k++) {
    const rc_affine* p = parts[k];
    const double sg = signs ? signs[k] : 1.0;
    const int32_t di = pt - p->pt, dj = pl - p->pl;
    for (int32_t o = 0; o < p->cout; o++) {
      out->b[row + o] += sg * p->b[o];
      if (p->w_identity) {
        W(out, row + o, o, di, dj) += sg;
        continue;
      }
      for (int32_t c = 0; c < p->cin; c++) {
        for (int32_t i = 0; i < p->kh; i++) {
          for (int32_t j = 0; j < p->kw; j++) W(out, row + o, c, di + i, dj + j) += sg * W(p, o, c, i, j);
        }
      }
    }
    if (stack) row += p->cout;
  }
  return REPCONV_OK;
}

rc_status rc_affine_add(const rc_affine* a, const rc_affine* c, double sign, rc_affine* out) {
  const rc_affine* parts[2] = {a, c};
  const double signs[2] = {1.0, sign};
  return merge(parts, signs, 2, 0, out);
}

rc_status rc_affine_concat(const rc_affine* const* parts, int32_t n, rc_affine* out) {
  return merge(parts, NULL, n, 1, out);
}

void rc_affine_pad(rc_affine* a, const int32_t pad[4]) {
  a->pt += pad[0] * a->sh;
  a->pl += pad[1] * a->sw;
  a->out_h += pad[0] + pad[2];
  a->out_w += pad[1] + pad[3];
}

static int32_t gcd32(int32_t x, int32_t y) {
  while (y) {
    int32_t t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/* Largest d > 1 such that the k taps (after trimming) are non-zero only at
 * multiples of d: the map is then a dilated conv. */
static int32_t detect_dilation(const rc_affine* a, int32_t i0, int32_t k, int rows) {
  for (int32_t d = k - 1; d >= 2; d--) {
    if ((k - 1) % d != 0) continue;
    int ok = 1;
    for (int32_t o = 0; ok && o < a->cout; o++) {
      for (int32_t c = 0; ok && c < a->cin; c++) {
        for (int32_t i = 0; ok && i < (rows ? k : a->kh); i++) {
          for (int32_t j = 0; ok && j < (rows ? a->kw : k); j++) {
            int32_t r = rows ? i : j;
            double v = rows ? W(a, o, c, i0 + i, j) : W(a, o, c, i, i0 + j);
            if (v != 0.0 && r % d != 0) ok = 0;
          }
        }
      }
    }
    if (ok) return d;
  }
  return 1;
}

rc_status rc_affine_to_conv(const rc_affine* a0, rc_affine_conv_desc* out) {
  memset(out, 0, sizeof(*out));
  rc_affine a;
  RC_CHECK(rc_affine_copy(a0, &a));
  rc_status s = rc_affine_densify(&a);
  if (s != REPCONV_OK) {
    rc_affine_free(&a);
    return s;
  }
  int32_t r0, r1, c0, c1;
  if (!support(&a, &r0, &r1, &c0, &c1)) r0 = r1 = c0 = c1 = 0;
  /* Trim zero rows/columns: at the top/left as far as the padding allows, at
   * the bottom/right as far as the output extent stays. */
  int32_t top = r0 < a.pt ? r0 : a.pt, left = c0 < a.pl ? c0 : a.pl;
  rc_affine t = a;
  t.pt = a.pt - top;
  t.pl = a.pl - left;
  int32_t kh = r1 - top + 1, kw = c1 - left + 1, pb = 0, pr = 0;
  for (;; kh++) {
    t.kh = kh;
    if (extent_pad(t.in_h, t.out_h, kh, t.sh, t.pt, &pb) == 0 || kh >= a.kh - top) break;
  }
  for (;; kw++) {
    t.kw = kw;
    if (extent_pad(t.in_w, t.out_w, kw, t.sw, t.pl, &pr) == 0 || kw >= a.kw - left) break;
  }
  if (extent_pad(t.in_h, t.out_h, kh, t.sh, t.pt, &pb) != 0 || extent_pad(t.in_w, t.out_w, kw, t.sw, t.pl, &pr) != 0) {
    rc_affine_free(&a);
    return rc_error(REPCONV_ERROR_INTERNAL, "fold: the folded %dx%d conv cannot produce a %lldx%lld output", kh, kw,
                    (long long)a.out_h, (long long)a.out_w);
  }
  int32_t dh = detect_dilation(&a, top, kh, 1), dw = detect_dilation(&a, left, kw, 0);
  /* Only a square dilation is worth it (a dilated region, PSConv): a kernel
   * that merely has a zero middle column, like Sobel-x, stays a plain 3x3,
   * which every backend runs faster than a 3x2 with dilation 1x2. */
  if (dh != dw) dh = dw = 1;
  int32_t kh2 = (kh - 1) / dh + 1, kw2 = (kw - 1) / dw + 1;
  /* Groups: the largest g whose off-block weights are all exactly zero. */
  int32_t g = 1;
  for (int32_t cand = gcd32(a.cin, a.cout); cand >= 2 && g == 1; cand--) {
    if (a.cin % cand || a.cout % cand) continue;
    int32_t ig = a.cin / cand, og = a.cout / cand, ok = 1;
    for (int32_t o = 0; ok && o < a.cout; o++) {
      for (int32_t c = 0; ok && c < a.cin; c++) {
        if (c / ig == o / og) continue;
        for (int32_t i = 0; ok && i < a.kh; i++) {
          for (int32_t j = 0; ok && j < a.kw; j++) ok = W(&a, o, c, i, j) == 0.0;
        }
      }
    }
    if (ok) g = cand;
  }
  const int32_t ig = a.cin / g, og = a.cout / g;
  out->weight = malloc((size_t)a.cout * ig * kh2 * kw2 * sizeof(float));
  out->bias = malloc((size_t)a.cout * sizeof(float));
  if (!out->weight || !out->bias) {
    free(out->weight);
    free(out->bias);
    rc_affine_free(&a);
    return oom("conv weights");
  }
  int any_bias = 0;
  for (int32_t o = 0; o < a.cout; o++) {
    const int32_t cbase = (o / og) * ig;
    for (int32_t c = 0; c < ig; c++) {
      for (int32_t i = 0; i < kh2; i++) {
        for (int32_t j = 0; j < kw2; j++) {
          out->weight[(((size_t)o * ig + c) * kh2 + i) * kw2 + j] =
              (float)W(&a, o, cbase + c, top + i * dh, left + j * dw);
        }
      }
    }
    out->bias[o] = (float)a.b[o];
    any_bias |= out->bias[o] != 0.0f;
  }
  if (!any_bias) {
    free(out->bias);
    out->bias = NULL;
  }
  out->kh = kh2;
  out->kw = kw2;
  out->sh = a.sh;
  out->sw = a.sw;
  out->dh = dh;
  out->dw = dw;
  out->pad[0] = t.pt;
  out->pad[1] = t.pl;
  out->pad[2] = pb;
  out->pad[3] = pr;
  out->groups = g;
  rc_affine_free(&a);
  return REPCONV_OK;
}

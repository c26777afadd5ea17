/* Separable bicubic resize: each source row is resized horizontally once
 * into a ring of four float rows, and every output row is a vertical
 * 4-tap sum over the ring, so memory is four rows, not a plane.
 *
 * Speed (video chroma, every frame): one loop per sample type instead of a
 * switch per sample; source rows converted to floats once, edges padded,
 * so no tap is clamped; when the taps repeat (an integer or rational
 * ratio: the x2 of a x2 model has two phases) the horizontal pass runs per
 * phase with fixed weights; rounding by integer conversion, not libm, without branches. The
 * arithmetic is the same float operations in the same order as the plain
 * filter (tests/test_resample_ref.c holds that reference), so outputs are
 * bit-identical to it. */
#include "tools/cli/img/resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CUBIC_A (-0.75f)
#define MAX_PHASES 16 /* longer periods take the per-output path */

/* Keys' cubic convolution kernel at distance t (|t| < 2). */
static float cubic(float t) {
  t = fabsf(t);
  if (t <= 1.0f) return ((CUBIC_A + 2.0f) * t - (CUBIC_A + 3.0f)) * t * t + 1.0f;
  if (t < 2.0f) return ((CUBIC_A * t - 5.0f * CUBIC_A) * t + 8.0f * CUBIC_A) * t - 4.0f * CUBIC_A;
  return 0.0f;
}

/* For output positions 0..n_out-1: the first of four source indices (before
 * clamping) and their four weights; the padding the taps reach past either
 * edge; and, when the taps repeat every `period` outputs `step` inputs
 * further on, that period (else 0). */
typedef struct taps {
  int* first;
  float* w; /* 4 per output */
  int pad_lo, pad_hi;
  int period, step;
} taps;

static int gcd(int a, int b) {
  while (b) {
    const int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static int taps_make(int n_in, int n_out, taps* t) {
  t->first = malloc((size_t)n_out * sizeof(int));
  t->w = malloc((size_t)n_out * 4 * sizeof(float));
  if (!t->first || !t->w) return -1;
  const double scale = (double)n_in / n_out;
  t->pad_lo = t->pad_hi = 0;
  for (int o = 0; o < n_out; o++) {
    const double x = (o + 0.5) * scale - 0.5; /* half-pixel centres, as PyTorch */
    const int x0 = (int)floor(x);
    const float f = (float)(x - x0);
    t->first[o] = x0 - 1;
    for (int k = 0; k < 4; k++) t->w[o * 4 + k] = cubic(f - (float)(k - 1));
    if (-t->first[o] > t->pad_lo) t->pad_lo = -t->first[o];
    if (t->first[o] + 3 - (n_in - 1) > t->pad_hi) t->pad_hi = t->first[o] + 3 - (n_in - 1);
  }
  /* Periodic only if every output's taps equal (bitwise) those one period
   * before, shifted by the step: then the phase path computes the same. */
  const int g = gcd(n_in, n_out);
  t->period = n_out / g;
  t->step = n_in / g;
  if (t->period > MAX_PHASES) t->period = 0;
  for (int o = t->period; t->period && o < n_out; o++) {
    if (t->first[o] != t->first[o - t->period] + t->step ||
        memcmp(t->w + o * 4, t->w + (o - t->period) * 4, 4 * sizeof(float)) != 0) {
      t->period = 0;
    }
  }
  return 0;
}

static void taps_free(taps* t) {
  free(t->first);
  free(t->w);
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Source row sy as floats into buf[pad_lo ..], the edge samples repeated
 * pad_lo to the left and pad_hi to the right. */
static void row_load(const cli_plane* p, int sy, const taps* tx, float* buf) {
  const int n = p->width;
  float* b = buf + tx->pad_lo;
  const ptrdiff_t at = (ptrdiff_t)sy * p->stride;
  switch (p->type) {
    case CLI_SAMPLE_U8: {
      const uint8_t* s = (const uint8_t*)p->data + at;
      for (int x = 0; x < n; x++) b[x] = s[x];
      break;
    }
    case CLI_SAMPLE_U16: {
      const uint16_t* s = (const uint16_t*)p->data + at;
      for (int x = 0; x < n; x++) b[x] = s[x];
      break;
    }
    default: memcpy(b, (const float*)p->data + at, (size_t)n * sizeof(float));
  }
  for (int k = 1; k <= tx->pad_lo; k++) b[-k] = b[0];
  for (int k = 0; k < tx->pad_hi; k++) b[n + k] = b[n - 1];
}

/* The padded row resized horizontally into out (dw floats). Each output is
 * ((((0 + w0 v0) + w1 v1) + w2 v2) + w3 v3), as the plain filter sums. */
static void row_h(const float* buf, const taps* tx, int dw, float* out) {
  const float* b = buf + tx->pad_lo;
  const int P = tx->period, Q = tx->step;
  if (P == 2 && Q == 1) { /* x2: both phases in one loop the compiler vectorises */
    const float* w = tx->w;
    const float a0 = w[0], a1 = w[1], a2 = w[2], a3 = w[3], c0 = w[4], c1 = w[5], c2 = w[6], c3 = w[7];
    const float* pa = b + tx->first[0];
    const float* pc = b + tx->first[1];
    const int n = dw / 2;
    for (int i = 0; i < n; i++) {
      out[2 * i] = 0.0f + a0 * pa[i] + a1 * pa[i + 1] + a2 * pa[i + 2] + a3 * pa[i + 3];
      out[2 * i + 1] = 0.0f + c0 * pc[i] + c1 * pc[i + 1] + c2 * pc[i + 2] + c3 * pc[i + 3];
    }
    return; /* dw is a multiple of the period */
  }
  if (P > 0) { /* each phase has fixed weights and a fixed stride */
    for (int ph = 0; ph < P; ph++) {
      const float* w = tx->w + ph * 4;
      const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
      const float* p = b + tx->first[ph];
      for (int o = ph, i = 0; o < dw; o += P, i += Q) {
        out[o] = 0.0f + w0 * p[i] + w1 * p[i + 1] + w2 * p[i + 2] + w3 * p[i + 3];
      }
    }
    return;
  }
  for (int o = 0; o < dw; o++) {
    const float* w = tx->w + o * 4;
    const float* p = b + tx->first[o];
    out[o] = 0.0f + w[0] * p[0] + w[1] * p[1] + w[2] * p[2] + w[3] * p[3];
  }
}

/* roundf(v) clamped to 0..hi (an integer up to 65535), without libm and
 * without branches, so the loops vectorise: clamping before rounding gives
 * the same result (the bounds are integers), and (int)(v + 0.5f) is
 * roundf(v) for v in [0.5, 65536) (v + 0.5f is exact there or, in
 * [0.5, 1), can only round within [1, 1.5]); below 0.5 the result is 0,
 * which the lower clamp gives for every float up to 0.49999997f (whose
 * v + 0.5f would round up to 1). NaN gives 0. */
static inline int round_clamp(float v, float hi) {
  v = v > 0.49999997f ? v : 0.0f;
  v = v < hi ? v : hi;
  return (int)(v + 0.5f);
}

/* One output row: the vertical 4-tap sum of the ring rows, stored as the
 * output type, integers clamped to 0..hi. */
static void row_v(const float* const r[4], const float* w, const cli_plane* dst, int y, float hi) {
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
  const float *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3];
  const int n = dst->width;
  const ptrdiff_t at = (ptrdiff_t)y * dst->stride;
  switch (dst->type) {
    case CLI_SAMPLE_U8: {
      uint8_t* d = (uint8_t*)dst->data + at;
      for (int x = 0; x < n; x++) d[x] = (uint8_t)round_clamp(w0 * r0[x] + w1 * r1[x] + w2 * r2[x] + w3 * r3[x], hi);
      break;
    }
    case CLI_SAMPLE_U16: {
      uint16_t* d = (uint16_t*)dst->data + at;
      for (int x = 0; x < n; x++) d[x] = (uint16_t)round_clamp(w0 * r0[x] + w1 * r1[x] + w2 * r2[x] + w3 * r3[x], hi);
      break;
    }
    default: {
      float* d = (float*)dst->data + at;
      for (int x = 0; x < n; x++) d[x] = w0 * r0[x] + w1 * r1[x] + w2 * r2[x] + w3 * r3[x];
    }
  }
}

int cli_resize_bicubic(const cli_plane* src, const cli_plane* dst, int maxval) {
  return cli_resize_bicubic_rows(src, dst, dst->height, 0, maxval);
}

int cli_resize_bicubic_rows(const cli_plane* src, const cli_plane* dst, int full_height, int first_row, int maxval) {
  if (src->width < 1 || src->height < 1 || dst->width < 1 || dst->height < 1 || first_row < 0 ||
      dst->height > full_height - first_row) {
    return -1;
  }
  taps tx = {0}, ty = {0};
  float* ring = malloc((size_t)dst->width * 4 * sizeof(float));
  float* line = NULL;
  int ring_row[4] = {-1, -1, -1, -1}; /* which source row each slot holds */
  int rc = -1;
  if (!ring || taps_make(src->width, dst->width, &tx) != 0 || taps_make(src->height, full_height, &ty) != 0) {
    goto done;
  }
  /* hi is not a constant in row_v: with 255 there GCC turns the u8 clamps
   * into branches and does not vectorise the loop */
  const float hi = dst->type == CLI_SAMPLE_U8 ? 255.0f : (float)maxval;
  line = malloc(((size_t)src->width + (size_t)tx.pad_lo + (size_t)tx.pad_hi) * sizeof(float));
  if (!line) goto done;
  for (int oy = first_row; oy < first_row + dst->height; oy++) {
    const float* rows[4];
    for (int k = 0; k < 4; k++) {
      const int sy = clampi(ty.first[oy] + k, 0, src->height - 1);
      float* slot = ring + (size_t)(sy & 3) * (size_t)dst->width;
      /* Four consecutive clamped rows never need two slots with equal sy & 3
       * at once, except repeats of the same edge row, which share a slot. */
      if (ring_row[sy & 3] != sy) {
        row_load(src, sy, &tx, line);
        row_h(line, &tx, dst->width, slot);
        ring_row[sy & 3] = sy;
      }
      rows[k] = slot;
    }
    row_v(rows, ty.w + oy * 4, dst, oy - first_row, hi);
  }
  rc = 0;
done:
  taps_free(&tx);
  taps_free(&ty);
  free(ring);
  free(line);
  return rc;
}

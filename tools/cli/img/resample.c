/* Separable bicubic resize: each source row is resized horizontally once
 * into a ring of four float rows, and every output row is a vertical
 * 4-tap sum over the ring, so memory is four rows, not a plane. */
#include "tools/cli/img/resample.h"

#include <math.h>
#include <stdlib.h>

#define CUBIC_A (-0.75f)

/* Keys' cubic convolution kernel at distance t (|t| < 2). */
static float cubic(float t) {
  t = fabsf(t);
  if (t <= 1.0f) return ((CUBIC_A + 2.0f) * t - (CUBIC_A + 3.0f)) * t * t + 1.0f;
  if (t < 2.0f) return ((CUBIC_A * t - 5.0f * CUBIC_A) * t + 8.0f * CUBIC_A) * t - 4.0f * CUBIC_A;
  return 0.0f;
}

/* For output positions 0..n_out-1: the first of four source indices (before
 * clamping) and their four weights. */
typedef struct taps {
  int* first;
  float* w; /* 4 per output */
} taps;

static int taps_make(int n_in, int n_out, taps* t) {
  t->first = malloc((size_t)n_out * sizeof(int));
  t->w = malloc((size_t)n_out * 4 * sizeof(float));
  if (!t->first || !t->w) return -1;
  const double scale = (double)n_in / n_out;
  for (int o = 0; o < n_out; o++) {
    const double x = (o + 0.5) * scale - 0.5; /* half-pixel centres, as PyTorch */
    const int x0 = (int)floor(x);
    const float f = (float)(x - x0);
    t->first[o] = x0 - 1;
    for (int k = 0; k < 4; k++) t->w[o * 4 + k] = cubic(f - (float)(k - 1));
  }
  return 0;
}

static void taps_free(taps* t) {
  free(t->first);
  free(t->w);
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

static float load(const cli_plane* p, int x, int y) {
  const ptrdiff_t i = (ptrdiff_t)y * p->stride + x;
  switch (p->type) {
    case CLI_SAMPLE_U8: return ((const uint8_t*)p->data)[i];
    case CLI_SAMPLE_U16: return ((const uint16_t*)p->data)[i];
    default: return ((const float*)p->data)[i];
  }
}

static void store(const cli_plane* p, int x, int y, float v, int maxval) {
  const ptrdiff_t i = (ptrdiff_t)y * p->stride + x;
  switch (p->type) {
    case CLI_SAMPLE_U8: {
      float r = roundf(v);
      ((uint8_t*)p->data)[i] = (uint8_t)(r < 0.0f ? 0.0f : (r > 255.0f ? 255.0f : r));
      break;
    }
    case CLI_SAMPLE_U16: {
      float r = roundf(v);
      ((uint16_t*)p->data)[i] = (uint16_t)(r < 0.0f ? 0.0f : (r > (float)maxval ? (float)maxval : r));
      break;
    }
    default: ((float*)p->data)[i] = v;
  }
}

/* Source row sy resized horizontally into out (dst width floats). */
static void row_h(const cli_plane* src, int sy, const taps* tx, int dw, float* out) {
  for (int o = 0; o < dw; o++) {
    const float* w = tx->w + o * 4;
    float s = 0.0f;
    for (int k = 0; k < 4; k++) s += w[k] * load(src, clampi(tx->first[o] + k, 0, src->width - 1), sy);
    out[o] = s;
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
  int ring_row[4] = {-1, -1, -1, -1}; /* which source row each slot holds */
  int rc = -1;
  if (!ring || taps_make(src->width, dst->width, &tx) != 0 || taps_make(src->height, full_height, &ty) != 0) {
    goto done;
  }
  for (int oy = first_row; oy < first_row + dst->height; oy++) {
    const float* rows[4];
    for (int k = 0; k < 4; k++) {
      const int sy = clampi(ty.first[oy] + k, 0, src->height - 1);
      float* slot = ring + (size_t)(sy & 3) * (size_t)dst->width;
      /* Four consecutive clamped rows never need two slots with equal sy & 3
       * at once, except repeats of the same edge row, which share a slot. */
      if (ring_row[sy & 3] != sy) {
        row_h(src, sy, &tx, dst->width, slot);
        ring_row[sy & 3] = sy;
      }
      rows[k] = slot;
    }
    const float* w = ty.w + oy * 4;
    for (int ox = 0; ox < dst->width; ox++) {
      const float v = w[0] * rows[0][ox] + w[1] * rows[1][ox] + w[2] * rows[2][ox] + w[3] * rows[3][ox];
      store(dst, ox, oy - first_row, v, maxval);
    }
  }
  rc = 0;
done:
  taps_free(&tx);
  taps_free(&ty);
  free(ring);
  return rc;
}

/* BT.601 full-range colour conversion (ycbcr.h). */
#include "tools/cli/img/ycbcr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/cli/img/image.h"

float cli_luma(float r, float g, float b) { return 0.299f * r + 0.587f * g + 0.114f * b; }

void cli_rgb_to_ycbcr(float r, float g, float b, float* y, float* cb, float* cr) {
  const float l = cli_luma(r, g, b);
  *y = l;
  *cb = (b - l) * (1.0f / 1.772f);
  *cr = (r - l) * (1.0f / 1.402f);
}

void cli_ycbcr_to_rgb(float y, float cb, float cr, float* r, float* g, float* b) {
  *r = y + 1.402f * cr;
  *b = y + 1.772f * cb;
  /* G from Y = 0.299 R + 0.587 G + 0.114 B. */
  *g = y - (0.299f * 1.402f / 0.587f) * cr - (0.114f * 1.772f / 0.587f) * cb;
}

float cli_sample_to_unit(uint32_t v, int depth) { return depth > 8 ? (float)v * (1.0f / 257.0f) : (float)v; }

uint32_t cli_unit_to_sample(float v, int depth) {
  const float maxv = depth > 8 ? 65535.0f : 255.0f;
  float s = depth > 8 ? v * 257.0f : v;
  if (!(s > 0.0f)) return 0; /* NaN too */
  s = roundf(s);
  return (uint32_t)(s > maxv ? maxv : s);
}

int cli_image_luma(const cli_image* img, float** out, char* err, size_t err_size) {
  const size_t n = (size_t)img->width * img->height;
  float* y = malloc(n * sizeof(float));
  *out = y;
  if (!y) {
    snprintf(err, err_size, "out of memory for a %dx%d luma plane", img->width, img->height);
    return -1;
  }
  const int c = img->channels;
  for (size_t i = 0; i < n; i++) {
    float v[3];
    for (int k = 0; k < (c >= 3 ? 3 : 1); k++) {
      const size_t at = i * (size_t)c + (size_t)k;
      v[k] = cli_sample_to_unit(img->depth > 8 ? ((const uint16_t*)img->data)[at] : ((const uint8_t*)img->data)[at],
                                img->depth);
    }
    y[i] = c >= 3 ? cli_luma(v[0], v[1], v[2]) : v[0];
  }
  return 0;
}

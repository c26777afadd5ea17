/* Reference elementwise activations. NaN inputs give NaN outputs throughout:
 * comparisons are written so that a NaN takes the pass-through branch. */
#include <math.h>

#include "kernels/ref/ref.h"

void rc_ref_relu(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void rc_ref_leaky_relu(size_t n, float alpha, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
}

void rc_ref_clip(size_t n, float min, float max, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    y[i] = v < min ? min : (v > max ? max : v);
  }
}

void rc_ref_sigmoid(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) {
    const double v = x[i];
    /* exp of a non-positive argument only: no overflow for large |x|. */
    if (v >= 0.0) {
      y[i] = (float)(1.0 / (1.0 + exp(-v)));
    } else {
      const double e = exp(v); /* NaN lands here and stays NaN */
      y[i] = (float)(e / (1.0 + e));
    }
  }
}

void rc_ref_hard_sigmoid(size_t n, float alpha, float beta, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) {
    const double v = (double)alpha * x[i] + beta;
    y[i] = (float)(v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v));
  }
}

void rc_ref_prelu_nhwc(size_t pixels, size_t channels, const float* slopes, size_t num_slopes, const float* x,
                       float* y) {
  for (size_t px = 0; px < pixels; px++) {
    const float* xp = x + px * channels;
    float* yp = y + px * channels;
    for (size_t c = 0; c < channels; c++) {
      const float s = slopes[num_slopes == 1 ? 0 : c];
      yp[c] = xp[c] < 0.0f ? s * xp[c] : xp[c];
    }
  }
}

/* Reference inference-mode batch normalization over the channel axis (NHWC). */
#include <math.h>

#include "kernels/ref/ref.h"

void rc_ref_batchnorm_nhwc(size_t pixels, size_t channels, const float* x, const float* gamma, const float* beta,
                           const float* mean, const float* var, float eps, float* y) {
  for (size_t px = 0; px < pixels; px++) {
    const float* xp = x + px * channels;
    float* yp = y + px * channels;
    for (size_t c = 0; c < channels; c++) {
      const double inv = 1.0 / sqrt((double)var[c] + (double)eps);
      yp[c] = (float)(((double)xp[c] - (double)mean[c]) * inv * (double)gamma[c] + (double)beta[c]);
    }
  }
}

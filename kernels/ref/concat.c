/* Reference channel concatenation of NHWC tensors. */
#include <string.h>

#include "kernels/ref/ref.h"

void rc_ref_concat_nhwc(size_t pixels, size_t count, const float* const* xs, const int32_t* channels, float* y) {
  size_t total = 0;
  for (size_t i = 0; i < count; i++) total += (size_t)channels[i];
  for (size_t px = 0; px < pixels; px++) {
    float* yp = y + px * total;
    for (size_t i = 0; i < count; i++) {
      const size_t c = (size_t)channels[i];
      if (c == 0) continue;
      memcpy(yp, xs[i] + px * c, c * sizeof(float));
      yp += c;
    }
  }
}

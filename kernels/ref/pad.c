/* Reference constant padding of NHWC tensors (per-channel border values). */
#include <string.h>

#include "kernels/ref/ref.h"

void rc_ref_pad_nhwc(int32_t batch, int32_t h, int32_t w, int32_t c, int32_t top, int32_t left, int32_t bottom,
                     int32_t right, const float* values, const float* x, float* y) {
  const int64_t oh_n = (int64_t)h + top + bottom, ow_n = (int64_t)w + left + right;
  const size_t cs = (size_t)c;
  for (int64_t n = 0; n < batch; n++) {
    for (int64_t oh = 0; oh < oh_n; oh++) {
      const int64_t ih = oh - top;
      for (int64_t ow = 0; ow < ow_n; ow++) {
        const int64_t iw = ow - left;
        float* yp = y + (size_t)((n * oh_n + oh) * ow_n + ow) * cs;
        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
          if (cs) memcpy(yp, x + (size_t)((n * h + ih) * w + iw) * cs, cs * sizeof(float));
        } else {
          for (size_t ch = 0; ch < cs; ch++) yp[ch] = values ? values[ch] : 0.0f;
        }
      }
    }
  }
}

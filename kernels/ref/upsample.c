/* Reference nearest-neighbour upsampling by integer factors (NHWC). */
#include <string.h>

#include "kernels/ref/ref.h"

void rc_ref_upsample_nearest_nhwc(int32_t batch, int32_t h, int32_t w, int32_t c, int32_t scale_h, int32_t scale_w,
                                  const float* x, float* y) {
  const int64_t oh_n = (int64_t)h * scale_h, ow_n = (int64_t)w * scale_w;
  const size_t cs = (size_t)c;
  if (cs == 0) return;
  for (int64_t n = 0; n < batch; n++) {
    for (int64_t oh = 0; oh < oh_n; oh++) {
      const int64_t ih = oh / scale_h;
      for (int64_t ow = 0; ow < ow_n; ow++) {
        const int64_t iw = ow / scale_w;
        memcpy(y + (size_t)((n * oh_n + oh) * ow_n + ow) * cs, x + (size_t)((n * h + ih) * w + iw) * cs,
               cs * sizeof(float));
      }
    }
  }
}

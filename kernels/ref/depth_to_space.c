/* Reference depth-to-space (pixel shuffle), CRD and DCR channel orders. */
#include "kernels/ref/ref.h"

void rc_ref_depth_to_space_nhwc(int32_t batch, int32_t h, int32_t w, int32_t c_in, int32_t block, int32_t mode,
                                const float* x, float* y) {
  const int64_t r = block, c_out = (int64_t)c_in / (r * r);
  const int64_t oh_n = (int64_t)h * r, ow_n = (int64_t)w * r;
  for (int64_t n = 0; n < batch; n++) {
    for (int64_t oh = 0; oh < oh_n; oh++) {
      const int64_t ih = oh / r, by = oh % r;
      for (int64_t ow = 0; ow < ow_n; ow++) {
        const int64_t iw = ow / r, bx = ow % r;
        const float* xp = x + (size_t)(((n * h + ih) * w + iw) * c_in);
        float* yp = y + (size_t)(((n * oh_n + oh) * ow_n + ow) * c_out);
        for (int64_t c = 0; c < c_out; c++) {
          const int64_t ic = mode == 0 ? c * r * r + by * r + bx : (by * r + bx) * c_out + c;
          yp[c] = xp[ic];
        }
      }
    }
  }
}

/* Reference patch partition and merge (RepMLP): pure data movement between
 * an image [n][gh·ph][gw·pw][c] and its gh·gw patches
 * [(n·gh + i)·gw + j][ph][pw][c]. In NHWC one row of a patch is pw·c
 * contiguous floats on both sides, so each row is one copy. */
#include <string.h>

#include "kernels/ref/ref.h"

/* Row y of patch (i, j) of image n, in the image and in the patch batch. */
static size_t image_row(int64_t n, int64_t i, int64_t j, int64_t y, int32_t ph, int32_t pw, int32_t c, int32_t grid_h,
                        int32_t grid_w) {
  const int64_t img_h = (int64_t)grid_h * ph, img_w = (int64_t)grid_w * pw;
  return (size_t)((((n * img_h) + i * ph + y) * img_w + j * pw) * c);
}

static size_t patch_row(int64_t n, int64_t i, int64_t j, int64_t y, int32_t ph, int32_t pw, int32_t c, int32_t grid_h,
                        int32_t grid_w) {
  const int64_t b = (n * grid_h + i) * grid_w + j;
  return (size_t)(((b * ph) + y) * pw * c);
}

void rc_ref_patch_partition_nhwc(int32_t batch, int32_t ph, int32_t pw, int32_t c, int32_t grid_h, int32_t grid_w,
                                 const float* x, float* y) {
  const size_t row = (size_t)pw * (size_t)c * sizeof(float);
  for (int64_t n = 0; n < batch; n++)
    for (int64_t i = 0; i < grid_h; i++)
      for (int64_t j = 0; j < grid_w; j++)
        for (int64_t r = 0; r < ph; r++) {
          memcpy(y + patch_row(n, i, j, r, ph, pw, c, grid_h, grid_w),
                 x + image_row(n, i, j, r, ph, pw, c, grid_h, grid_w), row);
        }
}

void rc_ref_patch_merge_nhwc(int32_t batch, int32_t ph, int32_t pw, int32_t c, int32_t grid_h, int32_t grid_w,
                             const float* x, float* y) {
  const size_t row = (size_t)pw * (size_t)c * sizeof(float);
  for (int64_t n = 0; n < batch; n++)
    for (int64_t i = 0; i < grid_h; i++)
      for (int64_t j = 0; j < grid_w; j++)
        for (int64_t r = 0; r < ph; r++) {
          memcpy(y + image_row(n, i, j, r, ph, pw, c, grid_h, grid_w),
                 x + patch_row(n, i, j, r, ph, pw, c, grid_h, grid_w), row);
        }
}

/* The band walk the SIMD transposes share (convert__avx2.c,
 * convert__avx512f.c): bands of `band` rows, each in groups of 4 columns by
 * the ISA's band kernel; the last 1–3 columns as the group of the last 4 and
 * the last rows as the band ending at the last row, which write again
 * values already written (the same ones): masked blocks cost as much as
 * whole ones. Needs rows ≥ band and cols ≥ 4. Internal to kernels/common/. */
#ifndef RC_KERNELS_COMMON_TRANSPOSE_BANDS_H
#define RC_KERNELS_COMMON_TRANSPOSE_BANDS_H

#include <stddef.h>

/* `groups` column groups of 4 of one band, from s (row stride ss) to d
 * (row stride ds). */
typedef void (*rc_transpose_band_fn)(const float* s, ptrdiff_t ss, size_t groups, float* d, ptrdiff_t ds);

static inline void rc_transpose_bands(const float* src, ptrdiff_t src_stride, size_t rows, size_t cols, float* dst,
                                      ptrdiff_t dst_stride, size_t band, rc_transpose_band_fn band_groups) {
  for (size_t i0 = 0; i0 < rows; i0 += band) {
    if (i0 + band > rows) i0 = rows - band;
    const float* s = src + (ptrdiff_t)i0 * src_stride;
    float* d = dst + i0;
    band_groups(s, src_stride, cols / 4, d, dst_stride);
    if (cols % 4) band_groups(s + cols - 4, src_stride, 1, d + (ptrdiff_t)(cols - 4) * dst_stride, dst_stride);
  }
}

#endif

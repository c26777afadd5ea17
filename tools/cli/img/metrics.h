/* Picture quality for `upscale --reference`: PSNR and SSIM of two float
 * planes, computed as scikit-image's metrics compute them, so that figures
 * can be checked against skimage.metrics:
 *  - PSNR: 10 log10(range^2 / MSE) (peak_signal_noise_ratio with data_range);
 *  - SSIM: structural_similarity's defaults for one channel: a 7x7 uniform
 *    window, sample covariances (divided by 48), K1 = 0.01, K2 = 0.03, and
 *    the mean over the windows that lie inside the plane.
 * Sums are in double. Planes are `stride` floats from one row to the next. */
#ifndef CLI_IMG_METRICS_H
#define CLI_IMG_METRICS_H

#include <stddef.h>

/* +inf for identical planes. */
double cli_psnr(const float* a, const float* b, int width, int height, ptrdiff_t stride, double data_range);
/* -1 when the plane is smaller than the 7x7 window or out of memory. */
int cli_ssim(const float* a, const float* b, int width, int height, ptrdiff_t stride, double data_range, double* out);

#endif

/* PSNR and SSIM (metrics.h). SSIM keeps, per column, the sums over the
 * current 7 rows of a, b, a², b², ab, recomputed for each output row (no
 * running subtraction, whose rounding would drift over thousands of rows),
 * and sums 7 columns of them per window. */
#include "tools/cli/img/metrics.h"

#include <math.h>
#include <stdlib.h>

#define WIN 7

double cli_psnr(const float* a, const float* b, int width, int height, ptrdiff_t stride, double data_range) {
  double sum = 0.0;
  for (int y = 0; y < height; y++) {
    const float* ra = a + (ptrdiff_t)y * stride;
    const float* rb = b + (ptrdiff_t)y * stride;
    for (int x = 0; x < width; x++) {
      const double d = (double)ra[x] - (double)rb[x];
      sum += d * d;
    }
  }
  const double mse = sum / ((double)width * height);
  if (mse == 0.0) return INFINITY;
  return 10.0 * log10(data_range * data_range / mse);
}

int cli_ssim(const float* a, const float* b, int width, int height, ptrdiff_t stride, double data_range, double* out) {
  if (width < WIN || height < WIN) return -1;
  double* col = malloc((size_t)width * 5 * sizeof(double));
  if (!col) return -1;
  const double np = WIN * WIN;
  const double cov_norm = np / (np - 1.0);
  const double c1 = (0.01 * data_range) * (0.01 * data_range);
  const double c2 = (0.03 * data_range) * (0.03 * data_range);
  double total = 0.0;
  for (int y = 0; y + WIN <= height; y++) {
    for (int x = 0; x < width; x++) {
      double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (int k = 0; k < WIN; k++) {
        const double va = a[(ptrdiff_t)(y + k) * stride + x];
        const double vb = b[(ptrdiff_t)(y + k) * stride + x];
        sa += va;
        sb += vb;
        saa += va * va;
        sbb += vb * vb;
        sab += va * vb;
      }
      double* c = col + (size_t)x * 5;
      c[0] = sa;
      c[1] = sb;
      c[2] = saa;
      c[3] = sbb;
      c[4] = sab;
    }
    for (int x = 0; x + WIN <= width; x++) {
      double s[5] = {0, 0, 0, 0, 0};
      for (int k = 0; k < WIN; k++) {
        const double* c = col + (size_t)(x + k) * 5;
        for (int j = 0; j < 5; j++) s[j] += c[j];
      }
      const double ux = s[0] / np, uy = s[1] / np;
      const double vx = cov_norm * (s[2] / np - ux * ux);
      const double vy = cov_norm * (s[3] / np - uy * uy);
      const double vxy = cov_norm * (s[4] / np - ux * uy);
      total += ((2.0 * ux * uy + c1) * (2.0 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
  }
  free(col);
  *out = total / ((double)(width - WIN + 1) * (height - WIN + 1));
  return 0;
}

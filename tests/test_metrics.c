/* tools/cli/img/metrics: PSNR and SSIM against scikit-image's
 * (tests/fixtures/images/metrics.txt, made by make_images.py from the pair
 * metrics_hr.png / metrics_test.png), and their fixed points. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/cli/img/image.h"
#include "tools/cli/img/metrics.h"
#include "tests/support/test_util.h"
#include "tools/cli/img/ycbcr.h"

static float* luma_of(const char* name, int* w, int* h) {
  const char* dir = rc_test_fixtures();
  char path[1024], err[512] = "";
  snprintf(path, sizeof path, "%s/images/%s", dir, name);
  cli_image img;
  if (cli_image_read(path, &img, err, sizeof err) != 0) fail_msg("%s: %s", path, err);
  float* y = NULL;
  assert_int_equal(cli_image_luma(&img, &y, err, sizeof err), 0);
  *w = img.width;
  *h = img.height;
  cli_image_free(&img);
  return y;
}

/* Tolerances: the luma is computed in float32 here, in float64 by the
 * script (differences ~1e-5 of a level); the sums are double in both, in
 * another order. 1e-4 dB and 1e-5 in SSIM are far above both, far below
 * any real difference. */
static void test_against_skimage(void** state) {
  (void)state;
  const char* dir = rc_test_fixtures();
  char path[1024];
  snprintf(path, sizeof path, "%s/images/metrics.txt", dir);
  FILE* f = fopen(path, "r");
  assert_non_null(f);
  char line[256];
  double want_psnr = NAN, want_ssim = NAN;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "psnr ", 5) == 0) want_psnr = atof(line + 5);
    if (strncmp(line, "ssim ", 5) == 0) want_ssim = atof(line + 5);
  }
  fclose(f);
  int w, h, w2, h2;
  float* hr = luma_of("metrics_hr.png", &w, &h);
  float* test = luma_of("metrics_test.png", &w2, &h2);
  assert_int_equal(w, w2);
  assert_int_equal(h, h2);
  const int b = 2; /* the border the script crops */
  const size_t off = (size_t)b * w + b;
  const double psnr = cli_psnr(test + off, hr + off, w - 2 * b, h - 2 * b, w, 255.0);
  double ssim = 0;
  assert_int_equal(cli_ssim(test + off, hr + off, w - 2 * b, h - 2 * b, w, 255.0, &ssim), 0);
  if (fabs(psnr - want_psnr) > 1e-4) fail_msg("PSNR %.8f, skimage %.8f", psnr, want_psnr);
  if (fabs(ssim - want_ssim) > 1e-5) fail_msg("SSIM %.8f, skimage %.8f", ssim, want_ssim);
  free(hr);
  free(test);
}

static void test_fixed_points(void** state) {
  (void)state;
  float a[9 * 8], b[9 * 8];
  for (int i = 0; i < 9 * 8; i++) {
    a[i] = (float)((i * 37) % 251);
    b[i] = a[i] + 1.0f;
  }
  double s = 0;
  assert_true(isinf(cli_psnr(a, a, 9, 8, 9, 255.0)));
  assert_int_equal(cli_ssim(a, a, 9, 8, 9, 255.0, &s), 0);
  assert_true(fabs(s - 1.0) < 1e-12);
  /* MSE 1: PSNR = 20 log10(255). */
  assert_true(fabs(cli_psnr(a, b, 9, 8, 9, 255.0) - 20.0 * log10(255.0)) < 1e-9);
  /* Smaller than the 7x7 window: refused. */
  assert_int_equal(cli_ssim(a, b, 6, 8, 9, 255.0, &s), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_skimage),
      cmocka_unit_test(test_fixed_points),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests of the reference linear / cubic resize (kernels/ref/resize.c):
 * hand-computed tiny cases (2x2 → 4x4 bilinear with half-pixel and
 * align-corners maps, bicubic 2x2 → 4x4, the cubic border with clamped
 * taps, exclude_outside), PyTorch's values for the same, then random shapes
 * against a direct 2-D oracle written here, and thread-count independence.
 *
 * Tolerances: the half-pixel cases at scale 2 are dyadic (weights k/256,
 * inputs small integers): every value is exact in float, compared with 0
 * tolerance. The align-corners weights are thirds: the kernel computes in
 * double and rounds once, so they are within one float ulp (rtol 1.2e-7) of
 * the exact values (PyTorch's, computed in float, within 1e-6). The random sweep compares the separable kernel (rows,
 * then columns, in double) with a direct 2-D sum in double: one rounding to
 * float each, so within 2 ulps (rtol 2.4e-7 of the output's magnitude). */
#include <math.h>
#include "kernels/thread/pool.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/ref/ref.h"
#include "tests/support/test_util.h"

static rc_resize_params params(int h, int w, int c, int oh, int ow, rc_ref_resize_mode mode,
                               rc_ref_resize_coord coord) {
  rc_resize_params p = {.batch = 1,
                        .in_h = h,
                        .in_w = w,
                        .channels = c,
                        .out_h = oh,
                        .out_w = ow,
                        .mode = mode,
                        .coord = coord,
                        .inv_scale_h = (double)h / oh,
                        .inv_scale_w = (double)w / ow,
                        .cubic_a = -0.75,
                        .exclude_outside = 0};
  return p;
}

static void test_bilinear_hand(void** state) {
  (void)state;
  const float x[4] = {1, 2, 3, 4};
  float y[16];
  /* Half-pixel, scale 2: sources −0.25 (clamped to 0), 0.25, 0.75, 1.25
   * (clamped to 1): weights (1, 0), (.75, .25), (.25, .75), (0, 1). */
  rc_resize_params p = params(2, 2, 1, 4, 4, RC_REF_RESIZE_LINEAR, RC_REF_RESIZE_HALF_PIXEL);
  rc_ref_resize_nhwc(&p, x, y, NULL);
  const float half[16] = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
  rc_test_expect_close_f("bilinear half-pixel 2x2→4x4", y, half, 16, 0, 0);
  /* pytorch_half_pixel is the same map when the output extent is not 1. */
  p.coord = RC_REF_RESIZE_PYTORCH_HALF_PIXEL;
  rc_ref_resize_nhwc(&p, x, y, NULL);
  rc_test_expect_close_f("bilinear pytorch_half_pixel 2x2→4x4", y, half, 16, 0, 0);
  /* Align corners: sources 0, 1/3, 2/3, 1: each row is x[0] + (col + 2·row)/3. */
  p.coord = RC_REF_RESIZE_ALIGN_CORNERS;
  rc_ref_resize_nhwc(&p, x, y, NULL);
  float ac[16];
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++) ac[r * 4 + c] = (float)(1.0 + (c + 2.0 * r) / 3.0);
  rc_test_expect_close_f("bilinear align-corners 2x2→4x4", y, ac, 16, 0, 1.2e-7);
  /* Asymmetric: sources 0, .5, 1, 1.5 (the last clamped to 1). */
  p.coord = RC_REF_RESIZE_ASYMMETRIC;
  rc_ref_resize_nhwc(&p, x, y, NULL);
  const float asym[16] = {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4};
  rc_test_expect_close_f("bilinear asymmetric 2x2→4x4", y, asym, 16, 0, 0);
  /* An output extent of 1: pytorch_half_pixel samples pixel 0, half_pixel the centre. */
  p = params(2, 2, 1, 1, 1, RC_REF_RESIZE_LINEAR, RC_REF_RESIZE_PYTORCH_HALF_PIXEL);
  rc_ref_resize_nhwc(&p, x, y, NULL);
  assert_true(y[0] == 1.0f);
  p.coord = RC_REF_RESIZE_HALF_PIXEL;
  rc_ref_resize_nhwc(&p, x, y, NULL);
  assert_true(y[0] == 2.5f);
}

/* Keys' weights with a = −0.75 at t = 0.75 (taps −1..2): −0.03515625,
 * 0.26171875, 0.87890625, −0.10546875 (k/256; they sum to 1). */
static void test_bicubic_hand(void** state) {
  (void)state;
  const float x[4] = {1, 2, 3, 4};
  float y[16];
  rc_resize_params p = params(2, 2, 1, 4, 4, RC_REF_RESIZE_CUBIC, RC_REF_RESIZE_HALF_PIXEL);
  rc_ref_resize_nhwc(&p, x, y, NULL);
  /* PyTorch's F.interpolate(..., mode='bicubic', align_corners=False). */
  const float want[16] = {0.68359375f, 1.015625f,   1.5625f,     1.89453125f, 1.34765625f, 1.6796875f,
                          2.2265625f,  2.55859375f, 2.44140625f, 2.7734375f,  3.3203125f,  3.65234375f,
                          3.10546875f, 3.4375f,     3.984375f,   4.31640625f};
  rc_test_expect_close_f("bicubic 2x2→4x4", y, want, 16, 0, 0);
}

/* The border: 1x4 → 1x8, half-pixel. Output 0 samples −0.25: taps −2..1
 * clamped to 0, 0, 0, 1, so y = (−0.03515625 + 0.26171875 + 0.87890625)·x0
 * − 0.10546875·x1 = 0.89453125 for x = 1, 2, 4, 8; output 7 samples 3.25:
 * taps 2, 3, 3, 3: 8.421875. Every value is PyTorch's. */
static void test_bicubic_border(void** state) {
  (void)state;
  const float x[4] = {1, 2, 4, 8};
  float y[8];
  rc_resize_params p = params(1, 4, 1, 1, 8, RC_REF_RESIZE_CUBIC, RC_REF_RESIZE_HALF_PIXEL);
  rc_ref_resize_nhwc(&p, x, y, NULL);
  const float torch_half[8] = {0.89453125f, 1.15625f,   1.5625f,    2.41796875f,
                               3.16015625f, 5.1171875f, 7.1640625f, 8.421875f};
  rc_test_expect_close_f("bicubic border, half-pixel", y, torch_half, 8, 0, 0);
  int64_t idx[4];
  double w[4];
  assert_int_equal(rc_ref_resize_taps(&p, 1, 0, idx, w), 4);
  const int64_t want_idx[4] = {0, 0, 0, 1};
  const double want_w[4] = {-0.03515625, 0.26171875, 0.87890625, -0.10546875};
  for (int k = 0; k < 4; k++) {
    assert_int_equal(idx[k], want_idx[k]);
    assert_true(w[k] == want_w[k]);
  }
  /* Align corners (PyTorch's values): sources o·3/7. PyTorch computes the
   * source and Keys' weights in float, which moves them by a few 1e-7
   * relative (measured 6.6e-7 here); the kernel computes them in double. */
  p.coord = RC_REF_RESIZE_ALIGN_CORNERS;
  rc_ref_resize_nhwc(&p, x, y, NULL);
  const float torch_ac[8] = {1.0f,
                             1.2623897790908813f,
                             1.721573829650879f,
                             2.4620981216430664f,
                             3.078718662261963f,
                             4.641400337219238f,
                             6.4781341552734375f,
                             8.0f};
  rc_test_expect_close_f("bicubic border, align-corners", y, torch_ac, 8, 0, 1e-6);
  /* exclude_outside: taps −2 and −1 weigh 0, the others are renormalised:
   * (0.87890625·1 − 0.10546875·2) / 0.7734375 = 171/198. */
  p.coord = RC_REF_RESIZE_HALF_PIXEL;
  p.exclude_outside = 1;
  rc_ref_resize_nhwc(&p, x, y, NULL);
  const float excl0 = (float)(171.0 / 198.0);
  rc_test_expect_close_f("bicubic exclude_outside", y, &excl0, 1, 0, 1.2e-7);
}

/* Direct 2-D oracle: taps and weights from the formulas, independently of
 * the kernel's helper, summed in double over the 2-D window. */
static double src_of(const rc_resize_params* p, int64_t o, int64_t in, int64_t out, double r) {
  switch (p->coord) {
    case RC_REF_RESIZE_HALF_PIXEL: return (o + 0.5) * r - 0.5;
    case RC_REF_RESIZE_PYTORCH_HALF_PIXEL: return out > 1 ? (o + 0.5) * r - 0.5 : 0.0;
    case RC_REF_RESIZE_ALIGN_CORNERS: return out > 1 ? (double)o * (in - 1) / (out - 1) : 0.0;
    default: return o * r;
  }
}

static int oracle_taps(const rc_resize_params* p, int64_t o, int64_t in, int64_t out, double r, int64_t* idx,
                       double* w) {
  double s = src_of(p, o, in, out, r);
  if (p->mode == RC_REF_RESIZE_LINEAR) {
    s = fmin(fmax(s, 0.0), (double)(in - 1));
    int64_t i = (int64_t)s;
    idx[0] = i, idx[1] = i + 1 < in ? i + 1 : i;
    w[0] = 1 - (s - i), w[1] = s - i;
    return 2;
  }
  const double a = p->cubic_a, f = floor(s), t = s - f;
  const double d[4] = {t + 1, t, 1 - t, 2 - t};
  for (int k = 0; k < 4; k++) {
    const double z = d[k];
    w[k] = z <= 1 ? (a + 2) * z * z * z - (a + 3) * z * z + 1 : a * z * z * z - 5 * a * z * z + 8 * a * z - 4 * a;
    int64_t i = (int64_t)f - 1 + k;
    idx[k] = i < 0 ? 0 : i >= in ? in - 1 : i;
  }
  return 4;
}

static void test_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 31);
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  for (int rep = 0; rep < 40; rep++) {
    const int N = rc_test_rng_int(&rng, 1, 2), C = rc_test_rng_int(&rng, 1, 5), H = rc_test_rng_int(&rng, 1, 9),
              W = rc_test_rng_int(&rng, 1, 9), OH = rc_test_rng_int(&rng, 1, 21), OW = rc_test_rng_int(&rng, 1, 21);
    rc_resize_params p =
        params(H, W, C, OH, OW, rc_test_rng_int(&rng, 0, 1) ? RC_REF_RESIZE_CUBIC : RC_REF_RESIZE_LINEAR,
               (rc_ref_resize_coord)rc_test_rng_int(&rng, 0, 3));
    p.batch = N;
    if (rep % 3 == 0) { /* scales given: the map's factor is 1/scale, not in/out */
      p.inv_scale_h = 1.0 / (rc_test_rng_int(&rng, 2, 9) * 0.5);
      p.inv_scale_w = 1.0 / (rc_test_rng_int(&rng, 2, 9) * 0.5);
    }
    p.cubic_a = rep % 2 ? -0.75 : -0.5;
    const size_t nx = (size_t)N * H * W * C, ny = (size_t)N * OH * OW * C;
    float* x = malloc(nx * sizeof(float));
    float* y = malloc(ny * sizeof(float));
    float* y2 = malloc(ny * sizeof(float));
    float* want = malloc(ny * sizeof(float));
    assert_true(x && y && y2 && want);
    rc_test_fill_uniform(&rng, x, nx, -1.0f, 1.0f);
    for (int n = 0; n < N; n++)
      for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++) {
          int64_t ih[4], iw[4];
          double wh[4], ww[4];
          const int th = oracle_taps(&p, oh, H, OH, p.inv_scale_h, ih, wh);
          const int tw = oracle_taps(&p, ow, W, OW, p.inv_scale_w, iw, ww);
          for (int c = 0; c < C; c++) {
            double acc = 0;
            for (int i = 0; i < th; i++)
              for (int j = 0; j < tw; j++) acc += wh[i] * ww[j] * x[(((size_t)n * H + ih[i]) * W + iw[j]) * C + c];
            want[(((size_t)n * OH + oh) * OW + ow) * C + c] = (float)acc;
          }
        }
    rc_ref_resize_nhwc(&p, x, y, NULL);
    rc_ref_resize_nhwc(&p, x, y2, pool);
    char what[96];
    snprintf(what, sizeof(what), "resize sweep %d (%s, coord %d)", rep,
             p.mode == RC_REF_RESIZE_CUBIC ? "cubic" : "linear", (int)p.coord);
    rc_test_expect_close_f(what, y, want, ny, 2.4e-7, 0);
    assert_memory_equal(y, y2, ny * sizeof(float)); /* the same values on 2 threads */
    free(x), free(y), free(y2), free(want);
  }
  rc_pool_destroy(pool);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bilinear_hand),
      cmocka_unit_test(test_bicubic_hand),
      cmocka_unit_test(test_bicubic_border),
      cmocka_unit_test(test_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

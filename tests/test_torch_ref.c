/* The reference kernels against PyTorch: op semantics that are easy to get
 * subtly wrong (ceil_mode pooling windows, count_include_pad divisors,
 * grouped/dilated convs with asymmetric padding, PixelShuffle order, eval
 * BatchNorm), each as a one-node model through the public API, compared
 * with PyTorch 1.13's output saved by tests/fixtures/gen_ref.py.
 *
 * Tolerance: PyTorch computes in float with its own summation order, the
 * reference in double with one rounding; for ≤ 150 terms of magnitude ≤ 1
 * the float sum's error is below ~150·2⁻²⁴·Σ|terms| ≈ 1e-5·Σ|terms| in the
 * worst case and ~1e-6 typically: atol 1e-5, rtol 1e-5. Data movement and
 * max pooling must match exactly (tested with atol 0 where it applies). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/io/npy.h"
#include "repconv.h"
#include "tests/support/test_util.h"

static rc_npy load(const char* c, const char* t) {
  const char* dir = rc_test_fixtures();
  char path[1024];
  snprintf(path, sizeof(path), "%s/ref/%s.%s.npy", dir, c, t);
  rc_npy a;
  if (rc_npy_read_file(path, &a) != REPCONV_OK) fail_msg("%s", repconv_last_error());
  return a;
}

typedef repconv_status (*add_fn)(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y);

/* Builds input → add() → output, runs the case's x, compares with its y. */
static void check_case(const char* c, add_fn add, double atol, double rtol) {
  rc_npy x = load(c, "x"), y = load(c, "y");
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  repconv_id xi, yi;
  assert_int_equal(repconv_builder_input(b, "x", x.ndim, x.dims, &xi), REPCONV_OK);
  if (add(b, xi, c, &yi) != REPCONV_OK) fail_msg("%s: %s", c, repconv_last_error());
  assert_int_equal(repconv_builder_output(b, yi, "y"), REPCONV_OK);
  repconv_model_t* m;
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK); /* the reference kernels, one node each */
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("%s: %s", c, repconv_last_error());
  repconv_options_destroy(o);
  repconv_builder_destroy(b);
  repconv_tensor_info_t info;
  assert_int_equal(repconv_model_output(m, 0, &info), REPCONV_OK);
  assert_int_equal(info.ndim, y.ndim);
  size_t n = 1;
  for (int i = 0; i < y.ndim; i++) {
    assert_int_equal(info.dims[i], y.dims[i]);
    n *= (size_t)y.dims[i];
  }
  float* got = malloc(n * sizeof(float));
  assert_non_null(got);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  repconv_tensor_t in = {"x", x.ndim, {0}, x.data};
  repconv_tensor_t out = {"y", y.ndim, {0}, got};
  memcpy(in.dims, x.dims, sizeof(in.dims));
  memcpy(out.dims, y.dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("%s", repconv_session_error(s));
  rc_test_expect_close_f(c, got, y.data, n, atol, rtol);
  free(got);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  rc_npy_free(&x);
  rc_npy_free(&y);
}

static repconv_status add_conv_group(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  rc_npy w = load(c, "w"), bias = load(c, "b");
  repconv_conv2d_desc_t d = {.out_channels = 6,
                             .kernel_h = 3,
                             .kernel_w = 2,
                             .stride_h = 2,
                             .stride_w = 1,
                             .dilation_h = 1,
                             .dilation_w = 2,
                             .pad_top = 2,
                             .pad_left = 0,
                             .pad_bottom = 1,
                             .pad_right = 3,
                             .groups = 2};
  repconv_status s = repconv_builder_conv2d(b, "conv", x, &d, w.data, bias.data, y);
  rc_npy_free(&w);
  rc_npy_free(&bias);
  return s;
}

static repconv_status add_conv_dw(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  rc_npy w = load(c, "w");
  repconv_conv2d_desc_t d = {.out_channels = 8,
                             .kernel_h = 5,
                             .kernel_w = 5,
                             .pad_top = 2,
                             .pad_left = 2,
                             .pad_bottom = 2,
                             .pad_right = 2,
                             .groups = 8};
  repconv_status s = repconv_builder_conv2d(b, "conv", x, &d, w.data, NULL, y);
  rc_npy_free(&w);
  return s;
}

static repconv_pool_desc_t pool3(int cip) {
  repconv_pool_desc_t p = {3, 3, 2, 2, 1, 1, 1, 1, 1, cip};
  return p;
}

static repconv_status add_avg_cip(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  repconv_pool_desc_t p = pool3(1);
  return repconv_builder_avgpool(b, c, x, &p, y);
}

static repconv_status add_avg_nocip(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  repconv_pool_desc_t p = pool3(0);
  return repconv_builder_avgpool(b, c, x, &p, y);
}

static repconv_status add_avg_2x2(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  repconv_pool_desc_t p = {2, 2, 2, 2, 0, 0, 0, 0, 1, 0};
  return repconv_builder_avgpool(b, c, x, &p, y);
}

static repconv_status add_max(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  repconv_pool_desc_t p = pool3(0);
  return repconv_builder_maxpool(b, c, x, &p, y);
}

static repconv_status add_shuffle(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  return repconv_builder_depth_to_space(b, c, x, 2, REPCONV_D2S_CRD, y);
}

static repconv_status add_bn(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  rc_npy g = load(c, "gamma"), be = load(c, "beta"), mu = load(c, "mean"), var = load(c, "var");
  repconv_status s = repconv_builder_batchnorm(b, c, x, g.data, be.data, mu.data, var.data, 1e-5f, y);
  rc_npy_free(&g);
  rc_npy_free(&be);
  rc_npy_free(&mu);
  rc_npy_free(&var);
  return s;
}

static repconv_status add_prelu(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  rc_npy sl = load(c, "slope");
  repconv_status s = repconv_builder_prelu(b, c, x, sl.data, sl.dims[0], y);
  rc_npy_free(&sl);
  return s;
}

static repconv_status add_linear(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  rc_npy w = load(c, "w"), bias = load(c, "b");
  repconv_status s = repconv_builder_gemm(b, c, x, (int32_t)w.dims[0], w.data, bias.data, 1.0f, 1.0f, y);
  rc_npy_free(&w);
  rc_npy_free(&bias);
  return s;
}

static repconv_status add_upsample(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  return repconv_builder_upsample_nearest(b, c, x, 2, 3, y);
}

static repconv_status add_sigmoid(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  return repconv_builder_activation(b, c, REPCONV_SIGMOID, x, 0, 0, y);
}

static repconv_status add_leaky(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  return repconv_builder_activation(b, c, REPCONV_LEAKY_RELU, x, 0.1f, 0, y);
}

static repconv_status add_hardtanh(repconv_builder_t* b, repconv_id x, const char* c, repconv_id* y) {
  return repconv_builder_activation(b, c, REPCONV_CLIP, x, -0.5f, 0.7f, y);
}

#define ATOL 1e-5
#define RTOL 1e-5

static void test_conv(void** state) {
  (void)state;
  check_case("conv_group", add_conv_group, ATOL, RTOL);
  check_case("conv_dw", add_conv_dw, ATOL, RTOL);
}

static void test_pools(void** state) {
  (void)state;
  check_case("avgpool_cip", add_avg_cip, ATOL, RTOL);
  check_case("avgpool_nocip", add_avg_nocip, ATOL, RTOL);
  check_case("avgpool_2x2", add_avg_2x2, ATOL, RTOL);
  check_case("maxpool_ceil", add_max, 0, 0);
}

static void test_other_ops(void** state) {
  (void)state;
  check_case("pixel_shuffle", add_shuffle, 0, 0);
  check_case("upsample", add_upsample, 0, 0);
  check_case("batchnorm", add_bn, ATOL, RTOL);
  check_case("prelu", add_prelu, ATOL, RTOL);
  check_case("linear", add_linear, ATOL, RTOL);
  check_case("sigmoid", add_sigmoid, ATOL, RTOL);
  check_case("leaky_relu", add_leaky, ATOL, RTOL);
  check_case("hardtanh", add_hardtanh, 0, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv),
      cmocka_unit_test(test_pools),
      cmocka_unit_test(test_other_ops),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

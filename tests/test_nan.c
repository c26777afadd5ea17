/* NaN semantics (include/repconv.h): ReLU, clip, leaky ReLU, PReLU and max
 * pooling propagate a NaN input, as PyTorch does (torch.relu, clamp,
 * max_pool2d), on every backend and whether or not the activation is fused
 * into the conv, FC, pool or add before it. Each model below gets a few NaN
 * inputs; the NaN positions and the finite values of every backend are
 * compared with the reference backend's. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repconv.h"
#include "tests/support/test_util.h"

enum { N = 1, C = 8, H = 9, W = 10 };

static const repconv_backend k_backends[] = {REPCONV_BACKEND_REF, REPCONV_BACKEND_XNNPACK, REPCONV_BACKEND_WINOGRAD,
                                             REPCONV_BACKEND_GEMM, REPCONV_BACKEND_AUTO};
static const char* const k_backend_names[] = {"ref", "xnnpack", "winograd", "gemm", "auto"};

typedef enum tail { T_RELU, T_CLIP, T_LEAKY, T_PRELU, T_NONE } tail;

static repconv_id add_tail(repconv_builder_t* b, const char* name, tail t, repconv_id x) {
  repconv_id y = x;
  static const float slopes[C] = {0.25f, -0.5f, 0.1f, 1.5f, 0.3f, 0.0f, 2.0f, -1.0f};
  switch (t) {
    case T_RELU: assert_int_equal(repconv_builder_activation(b, name, REPCONV_RELU, x, 0, 0, &y), REPCONV_OK); break;
    case T_CLIP:
      assert_int_equal(repconv_builder_activation(b, name, REPCONV_CLIP, x, -0.5f, 0.75f, &y), REPCONV_OK);
      break;
    case T_LEAKY:
      assert_int_equal(repconv_builder_activation(b, name, REPCONV_LEAKY_RELU, x, 0.1f, 0, &y), REPCONV_OK);
      break;
    case T_PRELU: assert_int_equal(repconv_builder_prelu(b, name, x, slopes, C, &y), REPCONV_OK); break;
    case T_NONE: break;
  }
  return y;
}

typedef enum head {
  H_INPUT,
  H_CONV3,
  H_CONV3S2,
  H_CONV1,
  H_ADD,
  H_MAXPOOL,
  H_MAXPOOL_S2,
  H_FC,
  H_AVGPOOL,
  H_GAP,
  H_CONV3_D2S
} head;

/* head(x) then tail; the output is "y". */
static repconv_model_t* make_model(head hd, tail tl) {
  rc_test_rng r;
  rc_test_rng_seed(&r, 5);
  static float w[C * C * H * W], bias[C]; /* the FC reads C·H·W weights per output */
  rc_test_fill_uniform(&r, w, sizeof(w) / sizeof(w[0]), -0.4f, 0.4f);
  rc_test_fill_uniform(&r, bias, C, -0.2f, 0.2f);
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {N, C, H, W};
  repconv_id x, x2, y = -1;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  repconv_conv2d_desc_t c3 = {
      .out_channels = C, .kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  repconv_conv2d_desc_t c1 = {.out_channels = C, .kernel_h = 1, .kernel_w = 1};
  repconv_pool_desc_t mp = {.kernel_h = 3,
                            .kernel_w = 3,
                            .stride_h = 1,
                            .stride_w = 1,
                            .pad_top = 1,
                            .pad_left = 1,
                            .pad_bottom = 1,
                            .pad_right = 1};
  switch (hd) {
    case H_INPUT: y = x; break;
    case H_CONV3S2:
      c3.stride_h = c3.stride_w = 2;
      /* fallthrough */
    case H_CONV3: assert_int_equal(repconv_builder_conv2d(b, "conv", x, &c3, w, bias, &y), REPCONV_OK); break;
    case H_CONV1: assert_int_equal(repconv_builder_conv2d(b, "conv", x, &c1, w, bias, &y), REPCONV_OK); break;
    case H_ADD:
      assert_int_equal(repconv_builder_input(b, "x2", 4, d, &x2), REPCONV_OK);
      assert_int_equal(repconv_builder_binary(b, "add", REPCONV_ADD, x, x2, &y), REPCONV_OK);
      break;
    case H_MAXPOOL_S2:
      mp.kernel_h = mp.kernel_w = 2;
      mp.stride_h = mp.stride_w = 2;
      mp.pad_top = mp.pad_left = mp.pad_bottom = mp.pad_right = 0;
      mp.ceil_mode = 1;
      /* fallthrough */
    case H_MAXPOOL: assert_int_equal(repconv_builder_maxpool(b, "pool", x, &mp, &y), REPCONV_OK); break;
    case H_AVGPOOL: assert_int_equal(repconv_builder_avgpool(b, "pool", x, &mp, &y), REPCONV_OK); break;
    case H_GAP: assert_int_equal(repconv_builder_global_avgpool(b, "pool", x, &y), REPCONV_OK); break;
    case H_CONV3_D2S: /* the XNNPACK conv writes its channels in DCR order for the shuffle after it */
      assert_int_equal(repconv_builder_conv2d(b, "conv", x, &c3, w, bias, &y), REPCONV_OK);
      assert_int_equal(repconv_builder_activation(b, "relu", REPCONV_RELU, y, 0, 0, &y), REPCONV_OK);
      assert_int_equal(repconv_builder_depth_to_space(b, "shuffle", y, 2, REPCONV_D2S_CRD, &y), REPCONV_OK);
      break;
    case H_FC:
      assert_int_equal(repconv_builder_flatten(b, "flat", x, 1, &y), REPCONV_OK);
      assert_int_equal(repconv_builder_gemm(b, "fc", y, C, w, bias, 1.0f, 1.0f, &y), REPCONV_OK);
      break;
  }
  y = add_tail(b, "act", tl, y);
  assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
  repconv_model_t* m;
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK); /* keep the graph as built */
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("finish: %s", repconv_last_error());
  repconv_options_destroy(o);
  repconv_builder_destroy(b);
  return m;
}

/* Inputs in [-1, 1) with NaN at a few pixels: a whole pixel (every channel),
 * single channels, and at the border. */
static int g_infinities; /* also +inf and -inf at one pixel */

static void fill_input(float* x, size_t n, uint64_t seed) {
  rc_test_rng r;
  rc_test_rng_seed(&r, seed);
  rc_test_fill_uniform(&r, x, n, -1.0f, 1.0f);
  for (int c = 0; c < C; c++) x[(size_t)c * H * W + 4 * W + 5] = NAN; /* pixel (4, 5), every channel */
  x[0] = NAN;                                                         /* corner, channel 0 */
  x[(size_t)3 * H * W + 7 * W + 9] = NAN;                             /* right border, channel 3 */
  x[(size_t)6 * H * W + 1 * W + 2] = NAN;
  if (g_infinities) {
    for (int c = 0; c < C; c++) x[(size_t)c * H * W + 7 * W + 2] = c % 3 ? INFINITY : -INFINITY;
  }
}

static size_t out_numel(const repconv_model_t* m) {
  repconv_tensor_info_t info;
  assert_int_equal(repconv_model_output(m, 0, &info), REPCONV_OK);
  size_t n = 1;
  for (int i = 0; i < info.ndim; i++) n *= (size_t)info.dims[i];
  return n;
}

static void run(const repconv_model_t* m, repconv_backend be, int threads, const float* x, const float* x2, float* y) {
  repconv_session_t* s = rc_test_session(m, be, threads);
  repconv_tensor_info_t info;
  assert_int_equal(repconv_model_output(m, 0, &info), REPCONV_OK);
  repconv_tensor_t in[2] = {{"x", 4, {N, C, H, W}, (float*)x}, {"x2", 4, {N, C, H, W}, (float*)x2}};
  repconv_tensor_t out = {"y", info.ndim, {0}, y};
  memcpy(out.dims, info.dims, sizeof(out.dims));
  size_t ni = repconv_model_num_inputs(m);
  if (repconv_session_run(s, in, ni, &out, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  repconv_session_destroy(s);
}

/* Every backend: NaN wherever ref has NaN (exactly there, unless spread is
 * allowed: a Winograd tile mixes the inputs of its whole tile, so a NaN input
 * may make NaN every output of its tiles, never fewer); elsewhere within
 * 1e-5 + 1e-5·|ref| (fp32 sums of 72 products in [-0.4, 0.4] × [-1, 1]
 * reordered or transformed: errors of order 1e-6). */
static void check_model(const char* what, head hd, tail tl, int spread_ok) {
  repconv_model_t* m = make_model(hd, tl);
  enum { NX = N * C * H * W };
  static float x[NX], x2[NX];
  fill_input(x, NX, 1);
  fill_input(x2, NX, 2);
  x2[(size_t)2 * H * W + 3] = NAN; /* a NaN in x2 only */
  const size_t ny = out_numel(m);
  float* ref = malloc(ny * sizeof(float));
  float* got = malloc(ny * sizeof(float));
  assert_non_null(ref);
  assert_non_null(got);
  run(m, REPCONV_BACKEND_REF, 1, x, x2, ref);
  size_t ref_nans = 0;
  for (size_t i = 0; i < ny; i++) ref_nans += isnan(ref[i]) != 0;
  if (ref_nans == 0) fail_msg("%s: the reference output has no NaN: the test does not test", what);
  for (size_t k = 0; k < sizeof(k_backends) / sizeof(k_backends[0]); k++) {
    for (int threads = 1; threads <= 2; threads++) {
      for (size_t i = 0; i < ny; i++) got[i] = 12345.0f;
      run(m, k_backends[k], threads, x, x2, got);
      for (size_t i = 0; i < ny; i++) {
        const int rn = isnan(ref[i]) != 0, gn = isnan(got[i]) != 0;
        if (rn && !gn) {
          fail_msg("%s, backend %s, %d thread(s): y[%zu] = %.9g, want NaN (as the reference backend)", what,
                   k_backend_names[k], threads, i, (double)got[i]);
        }
        if (gn && !rn && !spread_ok) {
          fail_msg("%s, backend %s, %d thread(s): y[%zu] = NaN, want %.9g (as the reference backend)", what,
                   k_backend_names[k], threads, i, (double)ref[i]);
        }
        if (!gn && !rn && got[i] != ref[i] &&
            !(fabs((double)got[i] - (double)ref[i]) <= 1e-5 + 1e-5 * fabs((double)ref[i]))) {
          fail_msg("%s, backend %s, %d thread(s): y[%zu] = %.9g, the reference backend gives %.9g", what,
                   k_backend_names[k], threads, i, (double)got[i], (double)ref[i]);
        }
      }
    }
  }
  free(ref);
  free(got);
  repconv_model_destroy(m);
}

static void test_activations_alone(void** state) {
  (void)state;
  check_model("relu(x)", H_INPUT, T_RELU, 0);
  check_model("clip(x, -0.5, 0.75)", H_INPUT, T_CLIP, 0);
  check_model("leaky_relu(x, 0.1)", H_INPUT, T_LEAKY, 0);
  check_model("prelu(x)", H_INPUT, T_PRELU, 0);
}

static void test_maxpool(void** state) {
  (void)state;
  check_model("maxpool3x3(x)", H_MAXPOOL, T_NONE, 0);
  check_model("maxpool2x2s2(x)", H_MAXPOOL_S2, T_NONE, 0);
  check_model("relu(maxpool3x3(x))", H_MAXPOOL, T_RELU, 0);
  check_model("clip(maxpool2x2s2(x))", H_MAXPOOL_S2, T_CLIP, 0);
}

static void test_fused_into_conv(void** state) {
  (void)state;
  check_model("conv3x3(x)", H_CONV3, T_NONE, 1);
  check_model("relu(conv3x3(x))", H_CONV3, T_RELU, 1);
  check_model("clip(conv3x3(x))", H_CONV3, T_CLIP, 1);
  check_model("prelu(conv3x3(x))", H_CONV3, T_PRELU, 1);
  check_model("relu(conv3x3s2(x))", H_CONV3S2, T_RELU, 0);
  check_model("clip(conv1x1(x))", H_CONV1, T_CLIP, 0);
  check_model("relu(conv1x1(x))", H_CONV1, T_RELU, 0);
}

static void test_fused_into_add_and_fc(void** state) {
  (void)state;
  check_model("x + x2", H_ADD, T_NONE, 0);
  check_model("relu(x + x2)", H_ADD, T_RELU, 0);
  check_model("clip(x + x2)", H_ADD, T_CLIP, 0);
  check_model("relu(fc(x))", H_FC, T_RELU, 0);
  check_model("clip(fc(x))", H_FC, T_CLIP, 0);
}

static void test_pools_and_shuffle(void** state) {
  (void)state;
  check_model("avgpool3x3(x)", H_AVGPOOL, T_NONE, 0);
  check_model("global_avgpool(x)", H_GAP, T_NONE, 0);
  check_model("clip(global_avgpool(x))", H_GAP, T_CLIP, 0);
  check_model("d2s(relu(conv3x3(x)))", H_CONV3_D2S, T_NONE, 1);
}

/* inf - inf inside a conv or an add is NaN: +inf and -inf in one pixel. */
static void test_infinities(void** state) {
  (void)state;
  g_infinities = 1;
  check_model("relu(conv1x1(x)) with ±inf", H_CONV1, T_RELU, 0);
  check_model("conv1x1(x) with ±inf", H_CONV1, T_NONE, 0);
  check_model("relu(x + x2) with ±inf", H_ADD, T_RELU, 0);
  check_model("maxpool3x3(x) with ±inf", H_MAXPOOL, T_NONE, 0);
  g_infinities = 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_activations_alone), cmocka_unit_test(test_maxpool),
      cmocka_unit_test(test_fused_into_conv),   cmocka_unit_test(test_fused_into_add_and_fc),
      cmocka_unit_test(test_pools_and_shuffle), cmocka_unit_test(test_infinities),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

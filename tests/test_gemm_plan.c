/* Tests of the GEMM steps of the planner and executor: which nodes the auto
 * rule and backend gemm give to kernels/gemm (RepVGG-A0 folded: its five
 * stride-2 convs and the FC), fused ReLU/PReLU, the CRD pixel-shuffle
 * permutation, grouped and dilated convs, and whole models on backend gemm
 * and auto against backend ref; 1 and 2 threads bitwise equal.
 *
 * Model tolerance: max |got − ref| ≤ 1e-4 · max |ref|, as in test_xnnpack.c:
 * each layer's fp32 sums carry ≤ K·2⁻²⁴ relative to Σ|terms| (K ≤ 9·1280 in
 * these models; typical random-sign error √K·2⁻²⁴ ≈ 1e-5), over ~20 layers;
 * a wrong tap, channel or border shows up at ≥ 1e-2. Winograd's F(6,3) under
 * auto stays within it too (test_winograd_plan.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/common/cpu.h"
#include "kernels/gemm/gemm.h"
#include "repconv.h"
#include "tests/support/test_util.h"

static repconv_model_t* load_builtin(const char* name, const int64_t* shape) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, shape), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_model_load(name, o, &m) != REPCONV_OK) fail_msg("%s: %s", name, repconv_last_error());
  repconv_options_destroy(o);
  return m;
}

static size_t numel(int32_t ndim, const int64_t* d) {
  size_t n = 1;
  for (int32_t i = 0; i < ndim; i++) n *= (size_t)d[i];
  return n;
}

static float* run_model(const repconv_model_t* m, repconv_backend be, int threads, const float* x, size_t* n_out) {
  repconv_session_t* s = rc_test_session(m, be, threads);
  repconv_tensor_info_t ii, oi;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  const size_t n = numel(oi.ndim, oi.dims);
  float* y = malloc(n * sizeof(float));
  assert_non_null(y);
  repconv_tensor_t in = {ii.name, ii.ndim, {0}, (float*)x};
  repconv_tensor_t out = {oi.name, oi.ndim, {0}, y};
  memcpy(in.dims, ii.dims, sizeof(in.dims));
  memcpy(out.dims, oi.dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  repconv_session_destroy(s);
  *n_out = n;
  return y;
}

static float* model_input(const repconv_model_t* m, rc_test_rng* rng) {
  repconv_tensor_info_t ii;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  size_t n = numel(ii.ndim, ii.dims);
  float* x = malloc(n * sizeof(float));
  assert_non_null(x);
  rc_test_fill_uniform(rng, x, n, -1.0f, 1.0f);
  return x;
}

/* The plan entry of the first node called name whose op is op. */
static void entry(repconv_session_t* s, const char* name, const char* op, repconv_plan_entry_t* e) {
  const size_t n = repconv_session_num_plan_entries(s);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(repconv_session_plan(s, i, e), REPCONV_OK);
    if (strcmp(e->node, name) == 0 && strcmp(e->op, op) == 0) return;
  }
  fail_msg("no plan entry %s (%s)", name, op);
}

/* The auto rule on this CPU (plan.h): GEMM for non-Winograd convs only with
 * a SIMD kernel no narrower than XNNPACK's (512-bit on an AVX-512 CPU); FCs
 * of ≤ 4 rows with any SIMD kernel. */
static int simd(void) { return rc_gemm_ukernel_resolve(RC_GEMM_UK_AUTO) != RC_GEMM_UK_SCALAR; }
static int auto_conv_gemm(void) {
  return simd() && !(rc_cpu_get()->avx512f && rc_gemm_ukernel_nr(RC_GEMM_UK_AUTO) < 32);
}

/* The stem (3→48, 3×3 s2 at 224²) on the direct path (no im2col) of the auto micro-kernel. */
static int stem_direct(void) {
  rc_gemm_conv_params p;
  memset(&p, 0, sizeof p);
  p.ukernel = RC_GEMM_UK_AUTO;
  p.batch = 1;
  p.in_h = p.in_w = 224;
  p.in_c = 3;
  p.out_h = p.out_w = 112;
  p.out_c = 48;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = 1;
  p.groups = 1;
  return rc_gemm_direct_used(&p);
}

static const char* k_stride2[] = {"stage0.0.add", "stage1.0.add", "stage2.0.add", "stage3.0.add", "stage4.0.add"};

static void test_repvgg_a0_plan(void** state) {
  (void)state;
  const int64_t shape[4] = {1, 3, 224, 224};
  repconv_model_t* m = load_builtin("repvgg-a0", shape);
  repconv_session_t* sg = rc_test_session(m, REPCONV_BACKEND_GEMM, 1);
  repconv_session_t* sa = rc_test_session(m, REPCONV_BACKEND_AUTO, 1);
  repconv_session_t* sx = rc_test_session(m, REPCONV_BACKEND_XNNPACK, 1);
  repconv_plan_entry_t e;
  for (size_t i = 0; i < 5; i++) {
    entry(sg, k_stride2[i], "conv2d", &e);
    printf("  gemm  %-14s %s | %s\n", e.node, e.kernel, e.note);
    assert_string_equal(e.backend, "gemm");
    assert_non_null(strstr(e.kernel, "gemm:gemm_6x"));
    assert_non_null(strstr(e.kernel, "+relu (fused)"));
    assert_non_null(strstr(e.note, "3x3 s2"));
    entry(sa, k_stride2[i], "conv2d", &e);
    printf("  auto  %-14s %s | %s\n", e.node, e.kernel, e.note);
    /* stage1.0–4.0 (48–192 input channels, 784–16 output tiles of 2×2) run
     * on a stride-2 Winograd variant (which one: test_winograd_rule.c); the
     * stem (3 input channels) does not, and the note says why. */
    if (i >= 1) {
      assert_string_equal(e.backend, "winograd");
      assert_non_null(strstr(e.kernel, "winograd:wino"));
      assert_non_null(strstr(e.kernel, "3s2__"));
      assert_non_null(strstr(e.note, "3s2: stride 2"));
    } else {
      assert_non_null(strstr(e.note, "too few input channels"));
      /* The stem runs on the GEMM's direct path where the auto
       * micro-kernel has one (AVX2, AVX-512F), else on XNNPACK. */
      const int wide = rc_gemm_ukernel_nr(RC_GEMM_UK_AUTO) == 32;
      const int want = auto_conv_gemm() && (i == 0 ? !wide && stem_direct() : 1);
      if (i == 0 && want) assert_non_null(strstr(e.kernel, "+direct"));
      assert_string_equal(e.backend, want ? "gemm" : "xnnpack");
      if (!want) assert_non_null(strstr(e.note, "GEMM not chosen"));
    }
    entry(sx, k_stride2[i], "conv2d", &e);
    assert_string_equal(e.backend, "xnnpack"); /* backend xnnpack: never GEMM */
  }
  entry(sg, "linear", "gemm", &e);
  assert_string_equal(e.backend, "gemm");
  entry(sa, "linear", "gemm", &e);
  printf("  auto  %-14s %s | %s\n", e.node, e.kernel, e.note);
  assert_string_equal(e.backend, simd() ? "gemm" : "xnnpack");
  entry(sx, "linear", "gemm", &e);
  assert_string_equal(e.backend, "xnnpack");
  /* Backend gemm runs the stride-1 3x3 convs on GEMM too (no Winograd). */
  entry(sg, "stage1.1.add_identity", "conv2d", &e);
  assert_string_equal(e.backend, "gemm");
  entry(sa, "stage1.1.add_identity", "conv2d", &e);
  assert_string_equal(e.backend, "winograd");
  repconv_session_destroy(sg);
  repconv_session_destroy(sa);
  repconv_session_destroy(sx);
  repconv_model_destroy(m);
}

/* Built-in models folded on backend gemm (1 and 2 threads) and auto vs ref. */
static void test_models_close(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 777);
  const struct {
    const char* name;
    int64_t shape[4];
  } models[] = {{"repvgg-a0", {1, 3, 64, 64}}, {"ecbsr-m4c16-x2", {2, 1, 23, 17}}, {"dbb-resnet18", {1, 3, 48, 48}}};
  for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
    repconv_model_t* m = load_builtin(models[i].name, models[i].shape);
    float* x = model_input(m, &rng);
    size_t n, n1;
    float* want = run_model(m, REPCONV_BACKEND_REF, 1, x, &n);
    float* g1 = run_model(m, REPCONV_BACKEND_GEMM, 1, x, &n1);
    float* g2 = run_model(m, REPCONV_BACKEND_GEMM, 2, x, &n1);
    float* ga = run_model(m, REPCONV_BACKEND_AUTO, 1, x, &n1);
    double mag = 0, e1 = 0, ea = 0;
    for (size_t k = 0; k < n; k++) mag = fmax(mag, fabs(want[k]));
    for (size_t k = 0; k < n; k++) {
      e1 = fmax(e1, fabs((double)g1[k] - want[k]));
      ea = fmax(ea, fabs((double)ga[k] - want[k]));
    }
    printf("  %-16s gemm vs ref: max rel %.2e, auto %.2e; 1 vs 2 threads %s\n", models[i].name, e1 / mag, ea / mag,
           memcmp(g1, g2, n * sizeof(float)) == 0 ? "bit-identical" : "differ");
    if (!(e1 <= 1e-4 * mag) || !(ea <= 1e-4 * mag)) {
      fail_msg("%s: gemm / auto vs ref %.3g / %.3g relative > 1e-4", models[i].name, e1 / mag, ea / mag);
    }
    assert_memory_equal(g1, g2, n * sizeof(float));
    free(x);
    free(want);
    free(g1);
    free(g2);
    free(ga);
    repconv_model_destroy(m);
  }
}

/* A conv → PReLU → conv (grouped, dilated, asymmetric padding) → clip →
 * 1x1 conv → CRD pixel shuffle net, built with the builder: on backend
 * gemm every conv is a GEMM step with its activation fused, the shuffle
 * runs as DCR on the permuted last conv and writes the output (the
 * identity naming it fused away), and the output matches ref. */
static void test_builder_net(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 99);
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {2, 6, 13, 11};
  repconv_id x;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  float w[32 * 32 * 25], bias[64], slopes[32];
  rc_test_fill_uniform(&r, w, sizeof w / sizeof w[0], -0.3f, 0.3f);
  rc_test_fill_uniform(&r, bias, 64, -0.1f, 0.1f);
  rc_test_fill_uniform(&r, slopes, 32, -0.5f, 0.5f);
  repconv_conv2d_desc_t c0 = {.out_channels = 20,
                              .kernel_h = 5,
                              .kernel_w = 5,
                              .stride_h = 2,
                              .stride_w = 2,
                              .pad_top = 2,
                              .pad_left = 1,
                              .pad_bottom = 1,
                              .pad_right = 2};
  assert_int_equal(repconv_builder_conv2d(b, "conv0", x, &c0, w, bias, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_prelu(b, "act0", x, slopes, 20, &x), REPCONV_OK);
  repconv_conv2d_desc_t c1 = {.out_channels = 34,
                              .kernel_h = 3,
                              .kernel_w = 3,
                              .dilation_h = 2,
                              .dilation_w = 2,
                              .groups = 2,
                              .pad_top = 2,
                              .pad_left = 2,
                              .pad_bottom = 2,
                              .pad_right = 2};
  assert_int_equal(repconv_builder_conv2d(b, "conv1", x, &c1, w, bias, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_activation(b, "act1", REPCONV_CLIP, x, -0.25f, 0.5f, &x), REPCONV_OK);
  repconv_conv2d_desc_t c2 = {.out_channels = 12, .kernel_h = 1, .kernel_w = 1};
  assert_int_equal(repconv_builder_conv2d(b, "conv2", x, &c2, w, bias, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_depth_to_space(b, "shuffle", x, 2, REPCONV_D2S_CRD, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, x, "y"), REPCONV_OK);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  repconv_model_t* m;
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("%s", repconv_last_error());
  repconv_options_destroy(o);
  repconv_builder_destroy(b);

  repconv_session_t* s = rc_test_session(m, REPCONV_BACKEND_GEMM, 1);
  repconv_plan_entry_t e;
  const char* convs[] = {"conv0", "conv1", "conv2"};
  const char* acts[] = {"+prelu (fused)", "+clip (fused)", "CRD->DCR"};
  for (int i = 0; i < 3; i++) {
    entry(s, convs[i], "conv2d", &e);
    printf("  %s: %s | %s\n", e.node, e.kernel, e.note);
    assert_string_equal(e.backend, "gemm");
    assert_non_null(strstr(e.kernel, acts[i]));
  }
  entry(s, "shuffle", "depth_to_space", &e);
  assert_string_equal(e.backend, "xnnpack");
  /* The identity naming the output "y": the shuffle writes y, no copy. */
  entry(s, "y", "identity", &e);
  assert_string_equal(e.kernel, "fused");
  assert_non_null(strstr(e.note, "computed by 'shuffle'"));
  repconv_session_destroy(s);

  float* xin = model_input(m, &r);
  size_t n, n1;
  float* want = run_model(m, REPCONV_BACKEND_REF, 1, xin, &n);
  float* g1 = run_model(m, REPCONV_BACKEND_GEMM, 1, xin, &n1);
  float* g2 = run_model(m, REPCONV_BACKEND_GEMM, 2, xin, &n1);
  double mag = 0, err = 0;
  for (size_t k = 0; k < n; k++) {
    mag = fmax(mag, fabs(want[k]));
    err = fmax(err, fabs((double)g1[k] - want[k]));
  }
  printf("  builder net: gemm vs ref max rel %.2e\n", err / mag);
  assert_true(err <= 1e-5 * mag); /* K ≤ 500 per layer, 3 layers */
  assert_memory_equal(g1, g2, n * sizeof(float));
  free(xin);
  free(want);
  free(g1);
  free(g2);
  repconv_model_destroy(m);
}

static void test_backend_name(void** state) {
  (void)state;
  repconv_backend be;
  assert_int_equal(repconv_backend_from_name("gemm", &be), REPCONV_OK);
  assert_int_equal(be, REPCONV_BACKEND_GEMM);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, REPCONV_BACKEND_GEMM), REPCONV_OK);
  repconv_options_destroy(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backend_name),
      cmocka_unit_test(test_repvgg_a0_plan),
      cmocka_unit_test(test_builder_net),
      cmocka_unit_test(test_models_close),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The SR and RepVGG-family ops against PyTorch (issue 13, item 6): every
 * fixture of tests/fixtures/onnx/ops_manifest.txt (tests/fixtures/gen_ops.py:
 * F.interpolate bilinear/bicubic with align_corners both ways, scales 2
 * and 3, a size-given 17x23 → 40x31 and a downscale; hand-made Upsample-9
 * and Resize-10 linear (asymmetric, numpy's values); bilinear/bicubic skip
 * connections in a small SR net; ReduceMean over (2, 3); squeeze-and-
 * excitation blocks inside a RepVGG-like net) on every backend (auto, ref,
 * xnnpack, gemm), folded and unfolded, on 1 and 2 threads; and what the plan
 * and the fold make of them. */
#define _GNU_SOURCE /* strcasestr, strtok_r */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "runtime/io/npy.h"
#include "repconv.h"
#include "tests/support/onnx_fixture.h"
#include "tests/support/test_util.h"

/* Tolerance, relative to the output's largest magnitude: float32 all
 * through. PyTorch and the reference kernels agree to a few ulps of the
 * output's scale (the reference accumulates in double, PyTorch in float;
 * the interpolation weights are computed in float by PyTorch and XNNPACK,
 * in double by the reference). The fan-in here is at most 9·16 = 144 taps
 * per conv plus 16 resize taps, whose float32 worst case is 160·2⁻²⁴ ≈ 1e-5
 * per layer; measured (printed below) worst 1.5e-6 (bilinear x3 on XNNPACK). A wrong tap, a wrong
 * coordinate map (half-pixel vs align-corners moves a pixel by up to half a
 * source pixel) or a border off by one moves outputs by more than 1e-2. */
#define OPS_REL_TOL 1e-5

static repconv_model_t* load(const char* name, int fold, repconv_backend backend, int threads) {
  char path[1024];
  snprintf(path, sizeof(path), "%.900s/onnx/%.60s.onnx", rc_test_fixtures(), name);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, backend), REPCONV_OK);
  assert_int_equal(repconv_options_set_threads(o, threads), REPCONV_OK);
  repconv_model_t* m;
  if (repconv_model_load(path, o, &m) != REPCONV_OK) fail_msg("%s: %s", name, repconv_last_error());
  repconv_options_destroy(o);
  return m;
}

/* The plan's kernel of the first resize and mul entries ("" if none). */
typedef struct {
  char resize[96], mul[96];
} plan_kernels;

static void find_kernels(repconv_session_t* s, void* ctx) {
  plan_kernels* k = ctx;
  k->resize[0] = k->mul[0] = '\0';
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    repconv_plan_entry_t e;
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    char* dst = strcmp(e.op, "resize") == 0 ? k->resize : strcmp(e.op, "mul") == 0 ? k->mul : NULL;
    if (dst && !dst[0]) snprintf(dst, sizeof(k->resize), "%s", e.kernel);
  }
}

/* Runs the fixture; returns max |diff| / max(1, max |want|). */
static double run(const char* name, int fold, repconv_backend backend, int threads, plan_kernels* k) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, backend), REPCONV_OK);
  assert_int_equal(repconv_options_set_threads(o, threads), REPCONV_OK);
  const double rel = rc_test_fixture_run(name, o, find_kernels, k);
  repconv_options_destroy(o);
  return rel;
}

static int read_manifest(char names[][64], int cap) {
  char path[1024];
  snprintf(path, sizeof(path), "%.900s/onnx/ops_manifest.txt", rc_test_fixtures());
  FILE* f = fopen(path, "r");
  assert_non_null(f);
  char line[256];
  int count = 0;
  while (count < cap && fgets(line, sizeof(line), f)) {
    if (line[0] == '#' || sscanf(line, "%63s", names[count]) != 1) continue;
    count++;
  }
  fclose(f);
  return count;
}

/* Every fixture × backend × fold × threads within OPS_REL_TOL; the resize
 * runs on XNNPACK exactly where XNNPACK computes the same map (bilinear,
 * scale = out/in or sizes given) on the backends that use XNNPACK, else on
 * the reference kernel; the SE's Mul of two activations runs everywhere. */
static void test_every_backend(void** state) {
  (void)state;
  char names[64][64];
  const int count = read_manifest(names, 64);
  assert_true(count >= 18);
  static const repconv_backend backends[] = {REPCONV_BACKEND_AUTO, REPCONV_BACKEND_REF, REPCONV_BACKEND_XNNPACK,
                                             REPCONV_BACKEND_GEMM};
  static const char* bnames[] = {"auto", "ref", "xnnpack", "gemm"};
  double worst = 0;
  for (int i = 0; i < count; i++) {
    const char* name = names[i];
    const int cubic = strstr(name, "bicubic") != NULL, skip = strstr(name, "_skip_") != NULL;
    const int has_resize = strstr(name, "resize") || strstr(name, "upsample") || skip;
    for (int b = 0; b < 4; b++) {
      for (int fold = 0; fold < 2; fold++) {
        for (int t = 1; t <= 2; t++) {
          plan_kernels k;
          const double rel = run(name, fold, backends[b], t, &k);
          const char *rk = k.resize, *mk = k.mul;
          if (!(rel <= OPS_REL_TOL)) {
            fail_msg("%s (%s, fold %d, %d threads): max error %.3g relative to the output's magnitude > %g", name,
                     bnames[b], fold, t, rel, OPS_REL_TOL);
          }
          if (rel > worst) worst = rel;
          if (fold == 1 && t == 1) printf("  %-24s %-8s resize %-40s max rel err %.2e\n", name, bnames[b], rk, rel);
          if (has_resize) {
            /* XNNPACK from 4 channels (rules_xnn.c): the others have 4, the SR skips 1 */
            const int xnn = backends[b] != REPCONV_BACKEND_REF && !cubic && !skip;
            if (strcmp(rk, xnn ? "xnnpack:resize_bilinear2d_nhwc_f32" : "ref:resize") != 0)
              fail_msg("%s (%s): resize on '%s'", name, bnames[b], rk);
          }
          if (strcmp(name, "repvgg_se") == 0 && !mk[0]) fail_msg("repvgg_se: no mul in the plan");
        }
      }
    }
  }
  printf("  worst %.2e over %d fixtures × 4 backends × folded/unfolded × 1/2 threads\n", worst, count);
}

/* Folding runs around the SE blocks: each RepVGG block (3x3, 1x1, identity
 * BN) becomes one conv, the stem conv-BN one, and the SE's 1x1 convs, the
 * Mul of two activations and the head stay: 8 convs → 6. The resize of the
 * SR net is a cut too: its two convs stay two, the resize stays. */
static void test_fold_around(void** state) {
  (void)state;
  repconv_model_t* m = load("repvgg_se", 1, REPCONV_BACKEND_AUTO, 1);
  repconv_fold_summary_t fs;
  assert_int_equal(repconv_model_fold_summary(m, &fs), REPCONV_OK);
  printf("  repvgg_se: convs %d -> %d, nodes %d -> %d\n", fs.convs_before, fs.convs_after, fs.nodes_before,
         fs.nodes_after);
  assert_int_equal(fs.convs_before, 8);
  assert_int_equal(fs.convs_after, 6);
  int muls = 0;
  for (size_t i = 0; i < repconv_model_num_nodes(m); i++) {
    repconv_node_info_t ni;
    assert_int_equal(repconv_model_node(m, i, &ni), REPCONV_OK);
    muls += strcmp(ni.op, "mul") == 0;
  }
  assert_int_equal(muls, 2);
  repconv_model_destroy(m);

  m = load("sr_skip_bicubic", 1, REPCONV_BACKEND_AUTO, 1);
  assert_int_equal(repconv_model_fold_summary(m, &fs), REPCONV_OK);
  assert_int_equal(fs.convs_after, 2);
  int resizes = 0;
  for (size_t i = 0; i < repconv_model_num_nodes(m); i++) {
    repconv_node_info_t ni;
    assert_int_equal(repconv_model_node(m, i, &ni), REPCONV_OK);
    resizes += strcmp(ni.op, "resize") == 0;
  }
  assert_int_equal(resizes, 1);
  repconv_model_destroy(m);

  /* conv 3x3 → bilinear ×2 → conv 3x3 (builder): the resize is a cut, both
   * convs stay, and the folded model computes what the unfolded one does. */
  repconv_model_t* fm[2];
  for (int fold = 0; fold < 2; fold++) {
    repconv_builder_t* b;
    assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
    const int64_t d[4] = {1, 2, 6, 5};
    repconv_id x, c1, r, c2;
    assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
    float w[2 * 2 * 9], bias[2] = {0.25f, -0.5f};
    for (int i = 0; i < 36; i++) w[i] = (float)((i * 7) % 11) / 10.0f - 0.5f;
    const repconv_conv2d_desc_t cd = {2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(repconv_builder_conv2d(b, "c1", x, &cd, w, bias, &c1), REPCONV_OK);
    const repconv_resize_desc_t rd = {REPCONV_RESIZE_LINEAR, REPCONV_RESIZE_HALF_PIXEL, 0, 0, 2, 2, -0.75f, 0};
    assert_int_equal(repconv_builder_resize(b, "up", c1, &rd, &r), REPCONV_OK);
    assert_int_equal(repconv_builder_conv2d(b, "c2", r, &cd, w, NULL, &c2), REPCONV_OK);
    assert_int_equal(repconv_builder_output(b, c2, "out"), REPCONV_OK);
    repconv_options_t* o;
    assert_int_equal(repconv_options_create(&o), REPCONV_OK);
    assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
    assert_int_equal(repconv_builder_finish(b, o, &fm[fold]), REPCONV_OK);
    repconv_options_destroy(o);
    repconv_builder_destroy(b);
  }
  assert_int_equal(repconv_model_fold_summary(fm[1], &fs), REPCONV_OK);
  assert_int_equal(fs.folded, 1);
  assert_int_equal(fs.convs_after, 2);
  float xin[60], y0[240], y1[240];
  for (int i = 0; i < 60; i++) xin[i] = (float)((i * 13) % 17) / 8.0f - 1.0f;
  for (int fold = 0; fold < 2; fold++) {
    repconv_session_t* s = rc_test_session(fm[fold], REPCONV_BACKEND_REF, 1);
    repconv_tensor_t in = {"x", 4, {1, 2, 6, 5}, xin};
    repconv_tensor_t out = {"out", 4, {1, 2, 12, 10}, fold ? y1 : y0};
    assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_OK);
    repconv_session_destroy(s);
    repconv_model_destroy(fm[fold]);
  }
  rc_test_expect_close_f("conv-resize-conv folded", y1, y0, 240, 1e-6, 0);
}

/* Hostile Resize/ReduceMean nodes (zero, negative, NaN, infinite and huge
 * scales; sizes overflowing; an output of 2^48 elements from a 60-element
 * input; antialias; unsupported modes and axes): a clear error naming the
 * node and what is wrong, never a crash or a huge allocation. */
static void test_bad_files(void** state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof(path), "%.900s/onnx_bad/ops_manifest.txt", rc_test_fixtures());
  FILE* f = fopen(path, "r");
  assert_non_null(f);
  char line[512];
  int count = 0;
  while (fgets(line, sizeof(line), f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    char* save = NULL;
    char* file = strtok_r(line, " \t\n", &save);
    if (!file) continue;
    snprintf(path, sizeof(path), "%.900s/onnx_bad/%.100s", rc_test_fixtures(), file);
    repconv_model_t* m = NULL;
    if (repconv_model_load(path, NULL, &m) == REPCONV_OK) fail_msg("%s loaded", file);
    assert_null(m);
    const char* msg = repconv_last_error();
    for (char* w = strtok_r(NULL, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
      if (!strcasestr(msg, w)) fail_msg("%s: message '%s' lacks '%s'", file, msg, w);
    }
    printf("  %-32s %s\n", file, msg);
    count++;
  }
  fclose(f);
  assert_true(count >= 18);
}

/* The builder's resize: x [1, 2, 5, 7] → bilinear ×(2.5, 3) (scales given,
 * half-pixel: 12x21) → bicubic to 9x8 (sizes given, align-corners,
 * exclude_outside); the model's nodes say "resize", every backend agrees
 * with the reference backend within OPS_REL_TOL (the XNNPACK plan must not
 * take the first resize: 2.5 · 5 is not the output extent 12), and bad
 * descriptions are refused naming the node. */
static void test_builder(void** state) {
  (void)state;
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  const int64_t d[4] = {1, 2, 5, 7};
  repconv_id x, y, z, bad;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  repconv_resize_desc_t rd = {REPCONV_RESIZE_LINEAR, REPCONV_RESIZE_HALF_PIXEL, 0, 0, 2.5f, 3.0f, -0.75f, 0};
  assert_int_equal(repconv_builder_resize(b, "up", x, &rd, &y), REPCONV_OK);
  repconv_resize_desc_t bd = rd;
  bd.scale_h = 0.0f;
  assert_int_equal(repconv_builder_resize(b, "zero", y, &bd, &bad), REPCONV_ERROR_SHAPE);
  assert_non_null(strstr(repconv_last_error(), "node 'zero' (resize): scale 0 along H"));
  bd = rd;
  bd.scale_w = NAN;
  assert_int_equal(repconv_builder_resize(b, "nan", y, &bd, &bad), REPCONV_ERROR_SHAPE);
  bd = rd;
  bd.out_h = 1 << 25;
  bd.out_w = 4;
  assert_int_equal(repconv_builder_resize(b, "big", y, &bd, &bad), REPCONV_ERROR_SHAPE);
  assert_non_null(strstr(repconv_last_error(), "node 'big' (resize): output size 33554432x4"));
  bd.mode = (repconv_resize_mode)7;
  assert_int_equal(repconv_builder_resize(b, "mode", y, &bd, &bad), REPCONV_ERROR_UNSUPPORTED);
  assert_int_equal(repconv_builder_resize(b, "null", y, NULL, &bad), REPCONV_ERROR_INVALID_ARGUMENT);
  repconv_resize_desc_t cd = {REPCONV_RESIZE_CUBIC, REPCONV_RESIZE_ALIGN_CORNERS, 9, 8, 0, 0, -0.5f, 1};
  assert_int_equal(repconv_builder_resize(b, "down", y, &cd, &z), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, z, "out"), REPCONV_OK);
  repconv_model_t* m;
  assert_int_equal(repconv_builder_finish(b, NULL, &m), REPCONV_OK);
  repconv_builder_destroy(b);
  repconv_node_info_t ni;
  assert_int_equal(repconv_model_node(m, 0, &ni), REPCONV_OK);
  assert_string_equal(ni.op, "resize");
  assert_int_equal(ni.output.dims[2], 12);
  assert_int_equal(ni.output.dims[3], 21);
  float xin[70], want[144], got[144];
  for (int i = 0; i < 70; i++) xin[i] = (float)((i * 37) % 23) / 11.0f - 1.0f;
  static const repconv_backend backends[] = {REPCONV_BACKEND_REF, REPCONV_BACKEND_AUTO, REPCONV_BACKEND_XNNPACK,
                                             REPCONV_BACKEND_GEMM};
  for (int k = 0; k < 4; k++) {
    repconv_session_t* s = rc_test_session(m, backends[k], 1 + k % 2);
    repconv_tensor_t in = {"x", 4, {1, 2, 5, 7}, xin};
    repconv_tensor_t out = {"out", 4, {1, 2, 9, 8}, k ? got : want};
    assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_OK);
    repconv_plan_entry_t e;
    assert_int_equal(repconv_session_plan(s, 0, &e), REPCONV_OK);
    assert_string_equal(e.kernel, "ref:resize");
    if (k) rc_test_expect_close_f("builder resize", got, want, 144, OPS_REL_TOL, 0);
    repconv_session_destroy(s);
  }
  repconv_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_backend),
      cmocka_unit_test(test_fold_around),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_builder),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Weights stored as binary16 (repconv_options_set_weights_fp16), through the
 * public API:
 *
 *   models    RepVGG-A0 and ECBSR-M4C16 x2 (a Winograd chain at 270x480),
 *             1 and 2 threads: every Winograd entry of more than 4 input
 *             channels and every GEMM entry off the direct path says
 *             "as binary16" and moves exactly half the weight bytes of the
 *             float32 plan; the outputs differ from the float32 weights'
 *             (so the option did something) by at most 2e-3 of their
 *             largest value. binary16 rounds each weight by up to 2^-11
 *             (4.9e-4) relative; measured 2.7e-4 (RepVGG-A0) and 5.3e-4
 *             (ECBSR): the bound is ~4x that, and a wrong panel, channel or
 *             K block gives errors of order 1.
 *   range     a conv whose transformed weights exceed 65504 (on Winograd and
 *             on the GEMM) keeps float32 and its note says why, never inf;
 *             the others of the model get halves. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "include/repconv.h"
#include "tests/support/test_util.h"

static repconv_options_t* options_on(repconv_backend backend, int fp16, int threads, int ndim, const int64_t* shape) {
  repconv_options_t* o = NULL;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, backend), REPCONV_OK);
  assert_int_equal(repconv_options_set_weights_fp16(o, fp16), REPCONV_OK);
  assert_int_equal(repconv_options_set_threads(o, threads), REPCONV_OK);
  if (shape) assert_int_equal(repconv_options_set_input_shape(o, NULL, ndim, shape), REPCONV_OK);
  return o;
}

static repconv_options_t* options(int fp16, int threads, int ndim, const int64_t* shape) {
  return options_on(REPCONV_BACKEND_AUTO, fp16, threads, ndim, shape);
}

/* One run of the model's first output on input x; the caller frees. */
static float* run_once(repconv_model_t* m, const repconv_options_t* o, const float* x, size_t* n_out,
                       repconv_session_t** keep) {
  repconv_session_t* s = NULL;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  repconv_tensor_info_t ii, oi;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  size_t n = 1;
  for (int32_t i = 0; i < oi.ndim; i++) n *= (size_t)oi.dims[i];
  repconv_tensor_t in = {ii.name, ii.ndim, {0}, (float*)x};
  memcpy(in.dims, ii.dims, sizeof in.dims);
  repconv_tensor_t out = {oi.name, oi.ndim, {0}, malloc(n * sizeof(float))};
  memcpy(out.dims, oi.dims, sizeof out.dims);
  assert_non_null(out.data);
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  *n_out = n;
  *keep = s;
  return out.data;
}

static size_t input_numel(const repconv_model_t* m) {
  repconv_tensor_info_t ii;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  size_t n = 1;
  for (int32_t i = 0; i < ii.ndim; i++) n *= (size_t)ii.dims[i];
  return n;
}

/* max |a − b| / max |b|. */
static double rel_diff(const float* a, const float* b, size_t n) {
  double d = 0, m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(a[i])) return HUGE_VAL;
    d = fmax(d, fabs((double)a[i] - b[i]));
    m = fmax(m, fabs((double)b[i]));
  }
  return m > 0 ? d / m : d;
}

/* One model loaded twice, float32 (o32, m32) and binary16 weights (o16,
 * m16), run once each on the same uniform input (seed): sessions and first
 * outputs (n values each). */
typedef struct pair_run {
  repconv_options_t *o32, *o16;
  repconv_model_t *m32, *m16;
  repconv_session_t *s32, *s16;
  float *y32, *y16;
  size_t n;
} pair_run;

static void pair_run_once(pair_run* pr, uint64_t seed) {
  const size_t nx = input_numel(pr->m32);
  float* x = malloc(nx * sizeof(float));
  assert_non_null(x);
  rc_test_rng r;
  rc_test_rng_seed(&r, seed);
  rc_test_fill_uniform(&r, x, nx, -1.0f, 1.0f);
  size_t n16 = 0;
  pr->y32 = run_once(pr->m32, pr->o32, x, &pr->n, &pr->s32);
  pr->y16 = run_once(pr->m16, pr->o16, x, &n16, &pr->s16);
  assert_int_equal(pr->n, n16);
  free(x);
}

static void pair_free(pair_run* pr) {
  free(pr->y32);
  free(pr->y16);
  repconv_session_destroy(pr->s32);
  repconv_session_destroy(pr->s16);
  repconv_model_destroy(pr->m32);
  repconv_model_destroy(pr->m16);
  repconv_options_destroy(pr->o32);
  repconv_options_destroy(pr->o16);
}

static void check_model(const char* name, int ndim, const int64_t* shape) {
  for (int threads = 1; threads <= 2; threads++) {
    pair_run pr = {.o32 = options(0, threads, ndim, shape), .o16 = options(1, threads, ndim, shape)};
    assert_int_equal(repconv_model_load(name, pr.o32, &pr.m32), REPCONV_OK);
    assert_int_equal(repconv_model_load(name, pr.o16, &pr.m16), REPCONV_OK);
    pair_run_once(&pr, 21);
    repconv_session_t *s32 = pr.s32, *s16 = pr.s16;
    const double err = rel_diff(pr.y16, pr.y32, pr.n);
    print_message("%s, %d thread%s: binary16 weights vs float32 max rel %.2e\n", name, threads, threads > 1 ? "s" : "",
                  err);
    if (!(err > 0 && err <= 2e-3)) fail_msg("%s: binary16 weights vs float32 max rel %.3g (want (0, 2e-3])", name, err);
    /* Plan entries: the same kernels; halves where they apply, and half the bytes. */
    const size_t ne = repconv_session_num_plan_entries(s32);
    assert_int_equal(ne, repconv_session_num_plan_entries(s16));
    size_t halved = 0;
    uint64_t total32 = 0, total16 = 0;
    for (size_t i = 0; i < ne; i++) {
      repconv_plan_entry_t e32, e16;
      repconv_step_bytes_t b32, b16;
      assert_int_equal(repconv_session_plan(s32, i, &e32), REPCONV_OK);
      assert_int_equal(repconv_session_plan(s16, i, &e16), REPCONV_OK);
      assert_string_equal(e32.kernel, e16.kernel);
      assert_int_equal(repconv_session_step_bytes(s32, i, &b32), REPCONV_OK);
      assert_int_equal(repconv_session_step_bytes(s16, i, &b16), REPCONV_OK);
      total32 += b32.weights;
      total16 += b16.weights;
      if (strstr(e32.note, "binary16")) fail_msg("%s: a float32 plan's note mentions binary16: %s", e32.node, e32.note);
      /* One layer (a chain's head speaks for itself only): exactly half. */
      if (strstr(e16.note, "as binary16") && b16.layers <= 1) {
        halved++;
        if (b16.weights * 2 != b32.weights)
          fail_msg("%s: %llu weight bytes as halves, %llu as floats", e16.node, (unsigned long long)b16.weights,
                   (unsigned long long)b32.weights);
        /* The note gives the size kept: the halves' MiB (a chain member's
         * bytes are its head's entry, 0 here). */
        const char* at = strstr(e16.note, "as binary16: ");
        const double mib = at ? strtod(at + strlen("as binary16: "), NULL) : -1.0;
        if (b16.weights && !(fabs(mib - (double)b16.weights / (1 << 20)) <= 0.006))
          fail_msg("%s: note says %.3f MiB as binary16, the step keeps %llu bytes: %s", e16.node, mib,
                   (unsigned long long)b16.weights, e16.note);
      } else if (b16.layers <= 1) {
        assert_int_equal(b16.weights, b32.weights);
      }
    }
    print_message("  weight bytes %llu as floats, %llu with halves\n", (unsigned long long)total32,
                  (unsigned long long)total16);
    if (!(total16 < total32)) fail_msg("%s: no fewer weight bytes with halves", name);
    if (halved < 1) fail_msg("%s: no single-layer plan entry with binary16 weights", name);
    pair_free(&pr);
  }
}

static void test_models(void** state) {
  (void)state;
  check_model("repvgg-a0", 0, NULL);
  const int64_t sr[4] = {1, 1, 270, 480};
  check_model("ecbsr-m4c16-x2", 4, sr);
}

/* x (40 channels) → conv "wide" 3x3 40→40 (Winograd) → ReLU → conv "s2"
 * 3x3 stride 2 40→48 (GEMM, im2col: over 32 input channels) → ReLU → conv
 * "tail" 3x3 48→40 (Winograd); "wide" and
 * "s2" each have one weight of 1e5 (U's corner is that weight itself),
 * beyond binary16; "tail" has ordinary weights. */
static repconv_model_t* big_weights_model(const repconv_options_t* o) {
  enum { C = 40, C2 = 48, H = 20, W = 22 };
  static float w1[C * C * 9], w2[C2 * C * 9], w3[C * C2 * 9], b1[C], b2[C2], b3[C];
  rc_test_rng r;
  rc_test_rng_seed(&r, 5);
  rc_test_fill_uniform(&r, w1, sizeof w1 / sizeof w1[0], -0.2f, 0.2f);
  rc_test_fill_uniform(&r, w2, sizeof w2 / sizeof w2[0], -0.2f, 0.2f);
  rc_test_fill_uniform(&r, w3, sizeof w3 / sizeof w3[0], -0.2f, 0.2f);
  rc_test_fill_uniform(&r, b1, C, -0.1f, 0.1f);
  rc_test_fill_uniform(&r, b2, C2, -0.1f, 0.1f);
  rc_test_fill_uniform(&r, b3, C, -0.1f, 0.1f);
  w1[5 * C * 9] = 1e5f; /* output channel 5, input 0, tap (0, 0) */
  w2[7 * C * 9 + 4] = -1e5f;
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  const int64_t d[4] = {1, C, H, W};
  repconv_id x, c1, r1, c2, r2, c3;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  repconv_conv2d_desc_t cd = {
      .out_channels = C, .kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  assert_int_equal(repconv_builder_conv2d(b, "wide", x, &cd, w1, b1, &c1), REPCONV_OK);
  assert_int_equal(repconv_builder_activation(b, "relu", REPCONV_RELU, c1, 0, 0, &r1), REPCONV_OK);
  repconv_conv2d_desc_t cs = cd;
  cs.out_channels = C2;
  cs.stride_h = cs.stride_w = 2;
  assert_int_equal(repconv_builder_conv2d(b, "s2", r1, &cs, w2, b2, &c2), REPCONV_OK);
  assert_int_equal(repconv_builder_activation(b, "relu2", REPCONV_RELU, c2, 0, 0, &r2), REPCONV_OK);
  assert_int_equal(repconv_builder_conv2d(b, "tail", r2, &cd, w3, b3, &c3), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, c3, "tail"), REPCONV_OK);
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_builder_finish(b, o, &m), REPCONV_OK);
  repconv_builder_destroy(b);
  return m;
}

static const char* note_of(const repconv_session_t* s, const char* node, const char** kernel) {
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    repconv_plan_entry_t e;
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    if (strcmp(e.node, node) == 0 && strcmp(e.backend, "fused") != 0) {
      *kernel = e.kernel;
      return e.note;
    }
  }
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    repconv_plan_entry_t e;
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    print_message("  entry %zu: %s %s %s\n", i, e.node, e.backend, e.kernel);
  }
  fail_msg("no plan entry for '%s'", node);
  return NULL;
}

/* Under backend auto "wide" and "tail" run on Winograd ("s2" on XNNPACK,
 * which keeps float32); under backend gemm all three on the GEMM. */
static void check_range(repconv_backend backend, const char* kernel) {
  pair_run pr = {.o32 = options_on(backend, 0, 1, 0, NULL), .o16 = options_on(backend, 1, 1, 0, NULL)};
  pr.m32 = big_weights_model(pr.o32);
  pr.m16 = big_weights_model(pr.o16);
  pair_run_once(&pr, 8);
  const repconv_session_t* s16 = pr.s16;
  const char *k1, *k2, *k3;
  const char* n1 = note_of(s16, "wide", &k1);
  const char* n2 = note_of(s16, "s2", &k2);
  const char* n3 = note_of(s16, "tail", &k3);
  print_message("wide: %s | %s\ns2: %s | %s\ntail: %s | %s\n", k1, n1, k2, n2, k3, n3);
  const size_t kl = strlen(kernel);
  if (strncmp(k1, kernel, kl) != 0 || strncmp(k3, kernel, kl) != 0)
    fail_msg("the test wants %s for wide and tail; got %s, %s", kernel, k1, k3);
  const char* what = strcmp(kernel, "gemm") == 0 ? "weights" : "U";
  char kept[64], half[32];
  snprintf(kept, sizeof kept, "%s kept float32: |%s| up to 100000", what, what);
  snprintf(half, sizeof half, "%s as binary16", what);
  if (!strstr(n1, kept)) fail_msg("wide: %s", n1);
  if (strncmp(k2, "gemm", 4) == 0 && !strstr(n2, "weights kept float32: |weights| up to 100000"))
    fail_msg("s2: %s", n2);
  if (!strstr(n3, half)) fail_msg("tail: %s", n3);
  const double err = rel_diff(pr.y16, pr.y32, pr.n);
  print_message("binary16 tail only: max rel %.2e\n", err);
  if (!(err > 0 && err <= 2e-3)) fail_msg("max rel %.3g (want (0, 2e-3])", err);
  pair_free(&pr);
}

static void test_range(void** state) {
  (void)state;
  check_range(REPCONV_BACKEND_AUTO, "winograd");
  check_range(REPCONV_BACKEND_GEMM, "gemm");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_models),
      cmocka_unit_test(test_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The XNNPACK backend against the reference kernels.
 *
 * Each delegated op is built into a one-node model (fold off) and run with
 * backend xnnpack and backend ref on random inputs with odd sizes, stride 2,
 * dilation, groups/depthwise, asymmetric padding, batch 2, with and without
 * a fused ReLU/clip; the plan dump must show the kernel the planner chose
 * (and say why when it falls back to ref).
 *
 * Tolerance. The reference sums in double and rounds once; XNNPACK sums K
 * terms in float32 in its own order (FMA or not), so per output element
 *   |xnnpack − ref| ≤ γ_K · Σ|terms|,  γ_K = K·u/(1 − K·u), u = 2⁻²⁴
 * (Higham, the standard bound for recursive summation, which also covers
 * pairwise and blocked orders). The test computes Σ|terms| exactly for every
 * element by running the reference model on |x| with |weights| and |bias|
 * (bias counts as one more term), and allows 2·γ_{K+1} of it (factor 2 for
 * the final rounding of the reference and XNNPACK's own rounding of the
 * average-pool scale). A clamp is 1-Lipschitz, so fused ReLU/clip keep the
 * bound. Ops without sums (max pool, PReLU, elementwise add/sub/mul, clamp,
 * depth-to-space) must match bit for bit.
 *
 * Whole models: max |xnnpack − ref| ≤ 1e-4 · max |ref| (see
 * test_models_close). Sessions on several threads at once, each with its own
 * operators, must give the same bits as one session alone. */
#include <math.h>
#include <pthread.h>
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

#define U 5.9604644775390625e-8 /* 2^-24 */

typedef struct tensor {
  int32_t ndim;
  int64_t dims[4];
  float* data;
  size_t n;
} tensor;

static size_t numel(int32_t ndim, const int64_t* d) {
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= (size_t)d[i];
  return n;
}

/* A graph under test: built by fn with |weights| when abs_w. */
typedef repconv_id (*build_fn)(repconv_builder_t* b, repconv_id x, const void* params, int abs_w);

static repconv_model_t* build_model(const int64_t* in_dims, int32_t in_ndim, build_fn fn, const void* params,
                                    int abs_w) {
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  repconv_id x, y;
  assert_int_equal(repconv_builder_input(b, "x", in_ndim, in_dims, &x), REPCONV_OK);
  y = fn(b, x, params, abs_w);
  if (y < 0) fail_msg("builder: %s", repconv_last_error());
  assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("finish: %s", repconv_last_error());
  repconv_options_destroy(o);
  repconv_builder_destroy(b);
  return m;
}

/* Runs the model's single input → single output; returns malloc'd output. */
static float* run_session(repconv_session_t* s, const repconv_model_t* m, const float* x, size_t* n_out) {
  repconv_tensor_info_t ii, oi;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  size_t n = numel(oi.ndim, oi.dims);
  float* y = malloc(n * sizeof(float) + 4);
  assert_non_null(y);
  repconv_tensor_t in = {ii.name, ii.ndim, {0}, (float*)x};
  repconv_tensor_t out = {oi.name, oi.ndim, {0}, y};
  memcpy(in.dims, ii.dims, sizeof(in.dims));
  memcpy(out.dims, oi.dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  *n_out = n;
  return y;
}

static float* run_model(const repconv_model_t* m, repconv_backend be, int threads, const float* x, size_t* n) {
  repconv_session_t* s = rc_test_session(m, be, threads);
  float* y = run_session(s, m, x, n);
  repconv_session_destroy(s);
  return y;
}

/* The kernel of the plan entry for node `name` (session backend be). */
static void expect_kernel(const repconv_model_t* m, repconv_backend be, const char* name, const char* want_sub) {
  repconv_session_t* s = rc_test_session(m, be, 1);
  size_t n = repconv_session_num_plan_entries(s);
  assert_int_equal(n, repconv_model_num_nodes(m));
  for (size_t i = 0; i < n; i++) {
    repconv_plan_entry_t e;
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    if (strcmp(e.node, name) != 0) continue;
    if (!strstr(e.kernel, want_sub))
      fail_msg("node '%s': kernel '%s' (note '%s'), wanted '%s'", name, e.kernel, e.note, want_sub);
    if (strncmp(e.kernel, "ref:", 4) == 0 && be != REPCONV_BACKEND_REF && !e.note[0]) {
      fail_msg("node '%s' falls back to ref without a reason", name);
    }
    repconv_session_destroy(s);
    return;
  }
  fail_msg("no plan entry for node '%s'", name);
}

/* Builds fn twice (weights, |weights|), runs xnnpack and ref, checks the
 * γ bound with K terms per output (K = 0: bitwise). Returns max error / bound. */
static double check_case(const char* what, const int64_t* in_dims, int32_t in_ndim, build_fn fn, const void* params,
                         int k_terms, rc_test_rng* rng) {
  size_t nx = numel(in_ndim, in_dims);
  float* x = malloc(nx * sizeof(float));
  float* ax = malloc(nx * sizeof(float));
  assert_non_null(x);
  assert_non_null(ax);
  rc_test_fill_uniform(rng, x, nx, -1.0f, 1.0f);
  for (size_t i = 0; i < nx; i++) ax[i] = fabsf(x[i]);
  repconv_model_t* m = build_model(in_dims, in_ndim, fn, params, 0);
  size_t n, n2;
  float* want = run_model(m, REPCONV_BACKEND_REF, 1, x, &n);
  float* got = run_model(m, REPCONV_BACKEND_XNNPACK, 1, x, &n2);
  assert_int_equal(n, n2);
  double worst = 0;
  if (k_terms == 0) {
    for (size_t i = 0; i < n; i++) {
      if (memcmp(&got[i], &want[i], sizeof(float)) != 0 && !(got[i] == want[i])) {
        fail_msg("%s: element %zu: xnnpack %.9g, ref %.9g (must be exact)", what, i, (double)got[i], (double)want[i]);
      }
    }
  } else {
    repconv_model_t* ma = build_model(in_dims, in_ndim, fn, params, 1);
    size_t na;
    float* sabs = run_model(ma, REPCONV_BACKEND_REF, 1, ax, &na);
    assert_int_equal(na, n);
    const double ku = (double)(k_terms + 1) * U;
    const double gamma = 2.0 * ku / (1.0 - ku);
    for (size_t i = 0; i < n; i++) {
      double bound = gamma * (double)sabs[i] + 1e-37;
      double e = fabs((double)got[i] - (double)want[i]);
      if (!(e <= bound)) {
        fail_msg("%s: element %zu: xnnpack %.9g, ref %.9g, |diff| %.3g > bound %.3g (K=%d, Σ|terms| %.4g)", what, i,
                 (double)got[i], (double)want[i], e, bound, k_terms, (double)sabs[i]);
      }
      if (e / bound > worst) worst = e / bound;
    }
    free(sabs);
    repconv_model_destroy(ma);
  }
  free(want);
  free(got);
  free(x);
  free(ax);
  repconv_model_destroy(m);
  return worst;
}

static float* rand_weights(rc_test_rng* rng, size_t n, int abs_w) {
  float* w = malloc(n * sizeof(float) + 4);
  assert_non_null(w);
  rc_test_fill_uniform(rng, w, n, -1.0f, 1.0f);
  if (abs_w) {
    for (size_t i = 0; i < n; i++) w[i] = fabsf(w[i]);
  }
  return w;
}

/* ------------------------------------------------------------------- conv */

typedef struct conv_case {
  repconv_conv2d_desc_t d;
  int64_t in_c;
  int has_bias;
  int act;      /* 0 none, 1 relu, 2 clip */
  int d2s;      /* 0 none; r > 1: conv → (act) → depth-to-space r */
  int d2s_mode; /* REPCONV_D2S_CRD / DCR */
  uint64_t seed;
} conv_case;

static repconv_id build_conv(repconv_builder_t* b, repconv_id x, const void* params, int abs_w) {
  const conv_case* c = params;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, c->seed);
  int32_t g = c->d.groups ? c->d.groups : 1;
  size_t nw = (size_t)c->d.out_channels * (size_t)(c->in_c / g) * (size_t)c->d.kernel_h * (size_t)c->d.kernel_w;
  float* w = rand_weights(&rng, nw, abs_w);
  float* bias = c->has_bias ? rand_weights(&rng, (size_t)c->d.out_channels, abs_w) : NULL;
  repconv_id y;
  if (repconv_builder_conv2d(b, "conv", x, &c->d, w, bias, &y) != REPCONV_OK) y = -1;
  free(w);
  free(bias);
  if (y >= 0 && c->act == 1) {
    if (repconv_builder_activation(b, "act", REPCONV_RELU, y, 0, 0, &y) != REPCONV_OK) y = -1;
  } else if (y >= 0 && c->act == 2) {
    /* With |weights| the clip must not cut the bound's Σ|terms|: clip is
     * 1-Lipschitz, so the unclipped bound holds; use a clip that leaves
     * positive sums alone in the abs model. */
    float hi = abs_w ? 1e30f : 0.4f;
    if (repconv_builder_activation(b, "act", REPCONV_CLIP, y, -0.3f, hi, &y) != REPCONV_OK) y = -1;
  }
  if (y >= 0 && c->d2s > 1) {
    if (repconv_builder_depth_to_space(b, "d2s", y, c->d2s, (repconv_d2s_mode)c->d2s_mode, &y) != REPCONV_OK) y = -1;
  }
  return y;
}

static void test_conv_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 20240501);
  double worst = 0;
  for (int iter = 0; iter < 60; iter++) {
    conv_case c;
    memset(&c, 0, sizeof(c));
    int kind = iter % 4; /* 0 dense, 1 grouped, 2 depthwise, 3 depthwise ×2 */
    int gic = kind >= 2 ? 1 : rc_test_rng_int(&rng, 1, 5);
    int g = kind == 0 ? 1 : (kind == 1 ? rc_test_rng_int(&rng, 2, 3) : rc_test_rng_int(&rng, 3, 9));
    int goc = kind == 2 ? 1 : (kind == 3 ? 2 : rc_test_rng_int(&rng, 1, 5));
    c.in_c = (int64_t)gic * g;
    c.d.groups = g;
    c.d.out_channels = goc * g;
    c.d.kernel_h = rc_test_rng_int(&rng, 1, 5);
    c.d.kernel_w = iter % 5 == 0 ? c.d.kernel_h : rc_test_rng_int(&rng, 1, 5);
    c.d.stride_h = rc_test_rng_int(&rng, 1, 2);
    c.d.stride_w = rc_test_rng_int(&rng, 1, 2);
    c.d.dilation_h = rc_test_rng_int(&rng, 1, 2);
    c.d.dilation_w = rc_test_rng_int(&rng, 1, 2);
    c.d.pad_top = rc_test_rng_int(&rng, 0, 2);
    c.d.pad_left = rc_test_rng_int(&rng, 0, 2);
    c.d.pad_bottom = rc_test_rng_int(&rng, 0, 3);
    c.d.pad_right = rc_test_rng_int(&rng, 0, 1);
    c.has_bias = iter % 3 != 2;
    c.act = iter % 3;
    c.seed = (uint64_t)iter * 7919u + 1;
    int64_t dims[4] = {iter % 2 ? 2 : 1, c.in_c, 2 * rc_test_rng_int(&rng, 2, 6) + 1,
                       2 * rc_test_rng_int(&rng, 2, 6) + 1};
    /* Keep the dilated kernel inside the padded input. */
    int64_t ekh = (int64_t)(c.d.kernel_h - 1) * c.d.dilation_h + 1,
            ekw = (int64_t)(c.d.kernel_w - 1) * c.d.dilation_w + 1;
    if (dims[2] + c.d.pad_top + c.d.pad_bottom < ekh) dims[2] = ekh;
    if (dims[3] + c.d.pad_left + c.d.pad_right < ekw) dims[3] = ekw;
    char what[256];
    snprintf(what, sizeof(what),
             "conv n%lld c%lld %lldx%lld g%d oc%d k%dx%d s%dx%d d%dx%d pad t%d l%d b%d r%d bias%d act%d",
             (long long)dims[0], (long long)dims[1], (long long)dims[2], (long long)dims[3], g, c.d.out_channels,
             c.d.kernel_h, c.d.kernel_w, c.d.stride_h, c.d.stride_w, c.d.dilation_h, c.d.dilation_w, c.d.pad_top,
             c.d.pad_left, c.d.pad_bottom, c.d.pad_right, c.has_bias, c.act);
    int k = c.d.kernel_h * c.d.kernel_w * gic + (c.has_bias ? 1 : 0);
    double r = check_case(what, dims, 4, build_conv, &c, k, &rng);
    if (r > worst) worst = r;
    if (iter < 6) {
      repconv_model_t* m = build_model(dims, 4, build_conv, &c, 0);
      expect_kernel(m, REPCONV_BACKEND_XNNPACK, "conv",
                    c.act == 0 ? "xnnpack:convolution2d_nhwc_f32"
                               : (c.act == 1 ? "convolution2d_nhwc_f32+relu (fused)" : "+clip (fused)"));
      if (c.act) expect_kernel(m, REPCONV_BACKEND_XNNPACK, "act", "fused");
      expect_kernel(m, REPCONV_BACKEND_AUTO, "conv", "xnnpack:convolution2d_nhwc_f32");
      expect_kernel(m, REPCONV_BACKEND_REF, "conv", "ref:conv2d");
      repconv_model_destroy(m);
    }
  }
  printf("  conv: worst |diff| / bound = %.3f\n", worst);
}

/* --------------------------------------------------------- depth-to-space */

static void test_depth_to_space(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 77);
  /* conv → d2s CRD (permuted), conv → relu → d2s CRD, conv → d2s DCR, r = 2 and 3, batch 2. */
  const struct {
    int r, mode, act, groups;
    const char* conv_kernel;
    const char* d2s_kernel;
  } cases[] = {
      {2, REPCONV_D2S_CRD, 0, 1, "CRD->DCR r=2", "xnnpack:depth_to_space_nhwc_x32"},
      {3, REPCONV_D2S_CRD, 1, 1, "+relu (fused) [out channels CRD->DCR r=3]", "xnnpack:depth_to_space_nhwc_x32"},
      {2, REPCONV_D2S_CRD, 2, 1, "+clip (fused) [out channels CRD->DCR r=2]", "xnnpack:depth_to_space_nhwc_x32"},
      {2, REPCONV_D2S_DCR, 0, 1, "xnnpack:convolution2d_nhwc_f32", "xnnpack:depth_to_space_nhwc_x32"},
      {2, REPCONV_D2S_CRD, 0, 2, "xnnpack:convolution2d_nhwc_f32", "ref:depth_to_space"}, /* grouped: no permutation */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    conv_case c;
    memset(&c, 0, sizeof(c));
    c.in_c = 4;
    c.d.groups = cases[i].groups;
    c.d.out_channels = 3 * cases[i].r * cases[i].r * cases[i].groups;
    c.d.kernel_h = c.d.kernel_w = 3;
    c.d.pad_top = c.d.pad_left = c.d.pad_bottom = c.d.pad_right = 1;
    c.has_bias = 1;
    c.act = cases[i].act;
    c.d2s = cases[i].r;
    c.d2s_mode = cases[i].mode;
    c.seed = 100 + i;
    int64_t dims[4] = {2, 4, 7, 5};
    char what[64];
    snprintf(what, sizeof(what), "d2s case %zu", i);
    check_case(what, dims, 4, build_conv, &c, 9 * 4 / cases[i].groups + 1, &rng);
    repconv_model_t* m = build_model(dims, 4, build_conv, &c, 0);
    expect_kernel(m, REPCONV_BACKEND_XNNPACK, "conv", cases[i].conv_kernel);
    expect_kernel(m, REPCONV_BACKEND_XNNPACK, "d2s", cases[i].d2s_kernel);
    expect_kernel(m, REPCONV_BACKEND_REF, "d2s", "ref:depth_to_space");
    repconv_model_destroy(m);
  }
}

/* CRD depth-to-space whose input is a graph input (no conv to permute) and one
 * whose conv output has a second reader: both stay on ref, exact. */
static repconv_id build_d2s_plain(repconv_builder_t* b, repconv_id x, const void* params, int abs_w) {
  (void)abs_w;
  const int* mode = params;
  repconv_id y;
  if (repconv_builder_depth_to_space(b, "d2s", x, 2, (repconv_d2s_mode)*mode, &y) != REPCONV_OK) return -1;
  return y;
}

static repconv_id build_d2s_two_readers(repconv_builder_t* b, repconv_id x, const void* params, int abs_w) {
  (void)params;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 5);
  repconv_conv2d_desc_t d = {.out_channels = 8, .kernel_h = 1, .kernel_w = 1};
  float* w = rand_weights(&rng, 8 * 4, abs_w);
  repconv_id c, s1, s2, y;
  int ok = repconv_builder_conv2d(b, "conv", x, &d, w, NULL, &c) == REPCONV_OK &&
           repconv_builder_depth_to_space(b, "d2s", c, 2, REPCONV_D2S_CRD, &s1) == REPCONV_OK &&
           repconv_builder_depth_to_space(b, "d2s_b", c, 2, REPCONV_D2S_CRD, &s2) == REPCONV_OK &&
           repconv_builder_binary(b, "sum", REPCONV_ADD, s1, s2, &y) == REPCONV_OK;
  free(w);
  return ok ? y : -1;
}

static void test_depth_to_space_fallbacks(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 78);
  int64_t dims[4] = {2, 12, 3, 5};
  for (int mode = 0; mode < 2; mode++) {
    check_case("d2s on an input", dims, 4, build_d2s_plain, &mode, 0, &rng);
    repconv_model_t* m = build_model(dims, 4, build_d2s_plain, &mode, 0);
    expect_kernel(m, REPCONV_BACKEND_XNNPACK, "d2s",
                  mode == REPCONV_D2S_DCR ? "xnnpack:depth_to_space_nhwc_x32" : "ref:depth_to_space");
    repconv_model_destroy(m);
  }
  int64_t d2[4] = {1, 4, 5, 3};
  check_case("d2s, conv with two readers", d2, 4, build_d2s_two_readers, NULL, 4 + 1, &rng);
  repconv_model_t* m = build_model(d2, 4, build_d2s_two_readers, NULL, 0);
  expect_kernel(m, REPCONV_BACKEND_XNNPACK, "d2s", "ref:depth_to_space");
  expect_kernel(m, REPCONV_BACKEND_XNNPACK, "conv", "xnnpack:convolution2d_nhwc_f32");
  repconv_model_destroy(m);
}

/* ------------------------------------------------------------------ pools */

typedef struct pool_case {
  int max;
  repconv_pool_desc_t d;
  int64_t dims[4];
  const char* kernel; /* expected under xnnpack */
} pool_case;

static repconv_id build_pool(repconv_builder_t* b, repconv_id x, const void* params, int abs_w) {
  (void)abs_w;
  const pool_case* c = params;
  repconv_id y;
  repconv_status s =
      c->max ? repconv_builder_maxpool(b, "pool", x, &c->d, &y) : repconv_builder_avgpool(b, "pool", x, &c->d, &y);
  return s == REPCONV_OK ? y : -1;
}

#define POOL(mx, kh, kw, sh, sw, pt, pl, pb, pr, ceil, cip, n, c, h, w, kern) \
  { mx, {kh, kw, sh, sw, pt, pl, pb, pr, ceil, cip}, {n, c, h, w}, kern }

static void test_pools(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 99);
  static const pool_case cases[] = {
      POOL(1, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 2, 5, 11, 9, "xnnpack:max_pooling2d_nhwc_f32"),
      POOL(1, 3, 2, 2, 2, 0, 1, 1, 0, 1, 0, 1, 3, 10, 7, "xnnpack:max_pooling2d_nhwc_f32"), /* ceil, asym */
      POOL(1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 0, 2, 7, 9, 7, "xnnpack:max_pooling2d_nhwc_f32"),  /* ceil extra */
      POOL(1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1, 4, 6, 5, "xnnpack:max_pooling2d_nhwc_f32"),
      POOL(1, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 1, 4, 7, 7, "ref:maxpool"), /* 1x1 */
      POOL(0, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 2, 5, 9, 7, "xnnpack:average_pooling2d_nhwc_f32"),
      POOL(0, 3, 3, 2, 2, 1, 0, 1, 1, 1, 0, 1, 3, 10, 9, "xnnpack:average_pooling2d_nhwc_f32"), /* ceil, !cip */
      POOL(0, 2, 3, 2, 2, 0, 0, 0, 0, 0, 1, 2, 6, 9, 11, "xnnpack:average_pooling2d_nhwc_f32"), /* cip, no pad */
      POOL(0, 2, 2, 2, 2, 0, 0, 0, 0, 1, 0, 1, 4, 9, 7, "xnnpack:average_pooling2d_nhwc_f32"),  /* ceil, !cip */
      POOL(0, 3, 3, 2, 2, 1, 1, 1, 1, 0, 1, 1, 4, 9, 9, "ref:avgpool"),                         /* cip + pad */
      POOL(0, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 4, 9, 7, "ref:avgpool"),                         /* cip + ceil */
      POOL(0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 4, 5, 5, "ref:avgpool"),                         /* 1x1 */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const pool_case* c = &cases[i];
    char what[64];
    snprintf(what, sizeof(what), "pool case %zu (%s)", i, c->kernel);
    check_case(what, c->dims, 4, build_pool, c, c->max ? 0 : c->d.kernel_h * c->d.kernel_w + 1, &rng);
    repconv_model_t* m = build_model(c->dims, 4, build_pool, c, 0);
    expect_kernel(m, REPCONV_BACKEND_XNNPACK, "pool", c->kernel);
    repconv_model_destroy(m);
  }
}

static repconv_id build_gap(repconv_builder_t* b, repconv_id x, const void* params, int abs_w) {
  (void)abs_w;
  (void)params;
  repconv_id y;
  return repconv_builder_global_avgpool(b, "gap", x, &y) == REPCONV_OK ? y : -1;
}

static void test_global_avgpool(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 3);
  int64_t dims[4] = {2, 19, 7, 9};
  check_case("global avgpool", dims, 4, build_gap, NULL, 7 * 9 + 1, &rng);
  repconv_model_t* m = build_model(dims, 4, build_gap, NULL, 0);
  expect_kernel(m, REPCONV_BACKEND_XNNPACK, "gap", "xnnpack:global_average_pooling_nwc_f32");
  repconv_model_destroy(m);
}

/* ------------------------------------------------------------ gemm / FC */

typedef struct gemm_case {
  int32_t out;
  int has_bias, act;
  float alpha;
} gemm_case;

static repconv_id build_gemm(repconv_builder_t* b, repconv_id x, const void* params, int abs_w) {
  const gemm_case* c = params;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 11);
  float* w = rand_weights(&rng, (size_t)c->out * 37, abs_w);
  float* bias = c->has_bias ? rand_weights(&rng, (size_t)c->out, abs_w) : NULL;
  repconv_id y;
  repconv_status s = repconv_builder_gemm(b, "fc", x, c->out, w, bias, c->alpha, 1.0f, &y);
  free(w);
  free(bias);
  if (s != REPCONV_OK) return -1;
  if (c->act && repconv_builder_activation(b, "act", REPCONV_RELU, y, 0, 0, &y) != REPCONV_OK) return -1;
  return y;
}

static void test_gemm(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 12);
  int64_t dims[2] = {3, 37};
  const gemm_case cases[] = {{13, 1, 0, 1.0f}, {5, 0, 1, 1.0f}, {9, 1, 1, 0.5f}};
  const char* kern[] = {"xnnpack:fully_connected_nc_f32", "xnnpack:fully_connected_nc_f32+relu (fused)", "ref:gemm"};
  for (int i = 0; i < 3; i++) {
    check_case(kern[i], dims, 2, build_gemm, &cases[i], 37 + 1, &rng);
    repconv_model_t* m = build_model(dims, 2, build_gemm, &cases[i], 0);
    expect_kernel(m, REPCONV_BACKEND_XNNPACK, "fc", kern[i]);
    repconv_model_destroy(m);
  }
}

/* --------------------------------------------- prelu, binary, clamp (exact) */

typedef struct elt_case {
  int kind; /* 0 prelu per-channel, 1 prelu shared, 2 add same shape, 3 add const [1,C,1,1] (+relu),
                4 mul const [W], 5 sub const [1,1,H,W], 6 add const [1,C,H,W] (ref), 7 clip, 8 relu */
  int64_t c, h, w;
} elt_case;

static repconv_id build_elt(repconv_builder_t* b, repconv_id x, const void* params, int abs_w) {
  (void)abs_w;
  const elt_case* e = params;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 21 + (uint64_t)e->kind);
  float buf[4096];
  rc_test_fill_uniform(&rng, buf, 4096, -1.0f, 1.0f);
  repconv_id y, k, t;
  switch (e->kind) {
    case 0: return repconv_builder_prelu(b, "op", x, buf, e->c, &y) == REPCONV_OK ? y : -1;
    case 1: return repconv_builder_prelu(b, "op", x, buf, 1, &y) == REPCONV_OK ? y : -1;
    case 2:
      if (repconv_builder_activation(b, "clip0", REPCONV_CLIP, x, -0.5f, 0.25f, &t) != REPCONV_OK) return -1;
      return repconv_builder_binary(b, "op", REPCONV_ADD, x, t, &y) == REPCONV_OK ? y : -1;
    case 3: {
      int64_t d[4] = {1, e->c, 1, 1};
      if (repconv_builder_constant(b, "k", 4, d, buf, &k) != REPCONV_OK) return -1;
      if (repconv_builder_binary(b, "op", REPCONV_ADD, x, k, &t) != REPCONV_OK) return -1;
      return repconv_builder_activation(b, "act", REPCONV_RELU, t, 0, 0, &y) == REPCONV_OK ? y : -1;
    }
    case 4: {
      int64_t d[1] = {e->w};
      if (repconv_builder_constant(b, "k", 1, d, buf, &k) != REPCONV_OK) return -1;
      return repconv_builder_binary(b, "op", REPCONV_MUL, k, x, &y) == REPCONV_OK ? y : -1;
    }
    case 5: {
      int64_t d[4] = {1, 1, e->h, e->w};
      if (repconv_builder_constant(b, "k", 4, d, buf, &k) != REPCONV_OK) return -1;
      return repconv_builder_binary(b, "op", REPCONV_SUB, x, k, &y) == REPCONV_OK ? y : -1;
    }
    case 6: {
      int64_t d[4] = {1, e->c, e->h, e->w};
      if (repconv_builder_constant(b, "k", 4, d, buf, &k) != REPCONV_OK) return -1;
      return repconv_builder_binary(b, "op", REPCONV_ADD, x, k, &y) == REPCONV_OK ? y : -1;
    }
    case 7: return repconv_builder_activation(b, "op", REPCONV_CLIP, x, -0.2f, 0.6f, &y) == REPCONV_OK ? y : -1;
    case 8: return repconv_builder_activation(b, "op", REPCONV_RELU, x, 0, 0, &y) == REPCONV_OK ? y : -1;
  }
  return -1;
}

static void test_elementwise_exact(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 31);
  const char* kern[] = {"xnnpack:prelu_nc_f32",
                        "xnnpack:prelu_nc_f32",
                        "xnnpack:add_nd_f32",
                        "xnnpack:add_nd_f32+relu (fused)",
                        "xnnpack:multiply_nd_f32",
                        "xnnpack:subtract_nd_f32",
                        "ref:add",
                        "xnnpack:clamp_nc_f32",
                        "xnnpack:clamp_nc_f32"};
  for (int kind = 0; kind < 9; kind++) {
    elt_case e = {kind, 13, 7, 11};
    int64_t dims[4] = {2, e.c, e.h, e.w};
    check_case(kern[kind], dims, 4, build_elt, &e, 0, &rng);
    repconv_model_t* m = build_model(dims, 4, build_elt, &e, 0);
    expect_kernel(m, REPCONV_BACKEND_XNNPACK, "op", kern[kind]);
    repconv_model_destroy(m);
  }
}

/* --------------------------------------------------------------- models */

static repconv_model_t* load_builtin(const char* name, const int64_t* shape) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, shape), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_model_load(name, o, &m) != REPCONV_OK) fail_msg("%s: %s", name, repconv_last_error());
  repconv_options_destroy(o);
  return m;
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

/* Built-in models (folded) with backend xnnpack vs ref, threads 1 and 2.
 * Tolerance: max |xnnpack − ref| ≤ 1e-4 · max |ref|. Per layer the float32
 * sums carry ≤ K·2⁻²⁴ relative to Σ|terms| (K ≤ 9·256 = 2304 in repvgg-a0's
 * folded 3x3 convs → 1.4e-4 worst case, √K·2⁻²⁴ ≈ 3e-6 typical for random
 * signs); over ~20 layers random-sign errors add up like √L, so the typical
 * total is ~1e-5 and the observed gap is printed below; 1e-4 is ≥ 10×
 * the observed while a wrong tap/channel/border shows up at ≥ 1e-2. */
static void test_models_close(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 4242);
  const struct {
    const char* name;
    int64_t shape[4];
  } models[] = {{"repvgg-a0", {1, 3, 64, 64}}, {"ecbsr-m4c16-x2", {2, 1, 23, 17}}, {"dbb-resnet18", {1, 3, 48, 48}}};
  for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
    repconv_model_t* m = load_builtin(models[i].name, models[i].shape);
    float* x = model_input(m, &rng);
    size_t n, n1, n2;
    float* want = run_model(m, REPCONV_BACKEND_REF, 1, x, &n);
    float* got1 = run_model(m, REPCONV_BACKEND_XNNPACK, 1, x, &n1);
    float* got2 = run_model(m, REPCONV_BACKEND_XNNPACK, 2, x, &n2);
    float* gota = run_model(m, REPCONV_BACKEND_AUTO, 2, x, &n2);
    double mag = 0, e1 = 0, e2 = 0, ea = 0;
    for (size_t k = 0; k < n; k++) mag = fmax(mag, fabs(want[k]));
    for (size_t k = 0; k < n; k++) {
      e1 = fmax(e1, fabs((double)got1[k] - want[k]));
      e2 = fmax(e2, fabs((double)got2[k] - want[k]));
      ea = fmax(ea, fabs((double)gota[k] - want[k]));
    }
    int same_bits = memcmp(got1, got2, n * sizeof(float)) == 0;
    printf("  %-16s xnnpack vs ref: max rel %.2e (1 thread), %.2e (2 threads), auto %.2e; 1 vs 2 threads %s\n",
           models[i].name, e1 / mag, e2 / mag, ea / mag, same_bits ? "bit-identical" : "differ");
    if (!(e1 <= 1e-4 * mag) || !(e2 <= 1e-4 * mag) || !(ea <= 1e-4 * mag)) {
      fail_msg("%s: xnnpack vs ref %.3g / %.3g / %.3g relative > 1e-4", models[i].name, e1 / mag, e2 / mag, ea / mag);
    }
    free(x);
    free(want);
    free(got1);
    free(got2);
    free(gota);
    repconv_model_destroy(m);
  }
}

/* ---------------------------------------------------- sessions on threads */

typedef struct worker {
  const repconv_model_t* m;
  const float* x;
  const float* want;
  size_t n;
  int threads;
  int mismatches;
  int failed;
} worker;

static void* worker_main(void* arg) {
  worker* w = arg;
  repconv_options_t* o = NULL;
  repconv_session_t* s = NULL;
  if (repconv_options_create(&o) != REPCONV_OK || repconv_options_set_backend(o, REPCONV_BACKEND_XNNPACK) ||
      repconv_options_set_threads(o, w->threads) || repconv_session_create(w->m, o, &s) != REPCONV_OK) {
    w->failed = 1;
    repconv_options_destroy(o);
    return NULL;
  }
  repconv_options_destroy(o);
  repconv_tensor_info_t ii, oi;
  repconv_model_input(w->m, 0, &ii);
  repconv_model_output(w->m, 0, &oi);
  float* y = malloc(w->n * sizeof(float));
  for (int rep = 0; y && rep < 3; rep++) {
    repconv_tensor_t in = {ii.name, ii.ndim, {0}, (float*)w->x};
    repconv_tensor_t out = {oi.name, oi.ndim, {0}, y};
    memcpy(in.dims, ii.dims, sizeof(in.dims));
    memcpy(out.dims, oi.dims, sizeof(out.dims));
    if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) {
      w->failed = 1;
      break;
    }
    if (memcmp(y, w->want, w->n * sizeof(float)) != 0) w->mismatches++;
  }
  if (!y) w->failed = 1;
  free(y);
  repconv_session_destroy(s);
  return NULL;
}

static void test_sessions_on_threads(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 9);
  int64_t shape[4] = {1, 1, 31, 29};
  repconv_model_t* m = load_builtin("ecbsr-m4c16-x2", shape);
  float* x = model_input(m, &rng);
  size_t n;
  for (int threads = 1; threads <= 2; threads++) {
    float* want = run_model(m, REPCONV_BACKEND_XNNPACK, threads, x, &n);
    enum { W = 4 };
    worker ws[W];
    pthread_t th[W];
    for (int i = 0; i < W; i++) {
      ws[i] = (worker){m, x, want, n, threads, 0, 0};
      assert_int_equal(pthread_create(&th[i], NULL, worker_main, &ws[i]), 0);
    }
    for (int i = 0; i < W; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < W; i++) {
      if (ws[i].failed) fail_msg("worker %d: a call failed", i);
      if (ws[i].mismatches)
        fail_msg("worker %d (%d threads): %d runs differ from the single session", i, threads, ws[i].mismatches);
    }
    free(want);
  }
  free(x);
  repconv_model_destroy(m);
}

/* ----------------------------------------------------------- plan API */

static void test_plan_api(void** state) {
  (void)state;
  repconv_backend be;
  assert_int_equal(repconv_backend_from_name("xnnpack", &be), REPCONV_OK);
  assert_int_equal(be, REPCONV_BACKEND_XNNPACK);
  int64_t shape[4] = {1, 3, 32, 32};
  repconv_model_t* m = load_builtin("repvgg-a0", shape);
  /* NULL options: the model's load backend (auto). */
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  assert_int_equal(repconv_session_backend(s), REPCONV_BACKEND_AUTO);
  size_t n = repconv_session_num_plan_entries(s);
  assert_int_equal(n, repconv_model_num_nodes(m));
  int xnn = 0, fused = 0;
  for (size_t i = 0; i < n; i++) {
    repconv_plan_entry_t e;
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    assert_non_null(e.node);
    assert_non_null(e.note);
    /* auto runs the stride-1 3x3 convs on Winograd, the rest on repconv's GEMM or XNNPACK */
    xnn += strcmp(e.backend, "xnnpack") == 0 || strcmp(e.backend, "winograd") == 0 || strcmp(e.backend, "gemm") == 0;
    fused += strcmp(e.backend, "fused") == 0;
    if (strcmp(e.backend, "fused") == 0) {
      /* The entry before computes it. */
      repconv_plan_entry_t prev;
      assert_true(i > 0);
      assert_int_equal(repconv_session_plan(s, i - 1, &prev), REPCONV_OK);
      assert_non_null(strstr(prev.kernel, "(fused)"));
    }
  }
  assert_true(xnn >= 22);   /* 22 folded convs (Winograd, GEMM or XNNPACK), the FC, the pool */
  assert_true(fused >= 21); /* every ReLU after a conv */
  repconv_plan_entry_t e;
  assert_int_equal(repconv_session_plan(s, n, &e), REPCONV_ERROR_NOT_FOUND);
  size_t arena_auto = repconv_session_arena_bytes(s);
  repconv_session_destroy(s);
  s = rc_test_session(m, REPCONV_BACKEND_REF, 1);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    assert_string_equal(e.backend, "ref");
    /* No reason to give, but where the output goes (external I/O plans). */
    if (e.note[0] && !strstr(e.note, "kept in the arena, converted after the run")) fail_msg("%s", e.note);
  }
  /* Fusion leaves the conv outputs unstored: the ref plan needs at least as much. */
  assert_true(repconv_session_arena_bytes(s) >= arena_auto);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv_sweep),
      cmocka_unit_test(test_depth_to_space),
      cmocka_unit_test(test_depth_to_space_fallbacks),
      cmocka_unit_test(test_pools),
      cmocka_unit_test(test_global_avgpool),
      cmocka_unit_test(test_gemm),
      cmocka_unit_test(test_elementwise_exact),
      cmocka_unit_test(test_models_close),
      cmocka_unit_test(test_sessions_on_threads),
      cmocka_unit_test(test_plan_api),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

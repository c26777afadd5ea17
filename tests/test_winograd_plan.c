/* The planner's Winograd path (runtime/plan, runtime/exec): models built
 * with the builder run with backend winograd, each variant forced, against
 * the reference backend; plan entries name the variant (the rule's choices
 * and reasons: test_winograd_rule.c); sessions on several threads and pool sizes 1 and 2 give the same bits.
 *
 * Tolerance (model level): max |winograd − ref| ≤ tol · max |ref| over the
 * whole output. tests/test_winograd.c bounds the kernel's error per element
 * by k · tile-mag, where tile-mag is Σ|terms| (bias + Σ|x·w|) of the largest
 * output of the tile, with k = 1e-6 / 4e-6 / 2e-5 for F(2,3) / F(4,3) /
 * F(6,3) (measured maxima 1.6e-7 / 1.0e-6 / 5.8e-6). Here the scale is
 * max |ref| instead of Σ|terms|: with the weights below (uniform, scaled by
 * 1/√(9·Cin) so activations keep their size from layer to layer) Σ|terms| is
 * at most about √(9·Cin) ≤ 24 (Cin ≤ 64) times a typical |output| and about
 * 5× max |ref|, and the error of one layer passes through the next (gain
 * about 1 by the scaling, activations 1-Lipschitz), adding over the 3 convs.
 * So tol = k · 5 · 3 ≈ 15·k, rounded up to F(2,3) 2e-5, F(4,3) 6e-5, F(6,3)
 * 3e-4; the measured worst case is printed (a wrong tap, pad, channel
 * permutation or fused slope moves outputs by ≥ 1e-2 of max |ref|). */
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
#include "kernels/common/cpu.h"
#include "kernels/gemm/gemm.h"
#include "kernels/winograd/wino.h"
#include "tests/support/test_util.h"

static const double k_tol[3] = {2e-5, 6e-5, 3e-4}; /* F(2,3), F(4,3), F(6,3); see above */
static const int k_tiles[3] = {2, 4, 6};
static double g_worst[3];

typedef enum { ACT_NONE, ACT_RELU, ACT_CLIP, ACT_PRELU, ACT_PRELU1 } act_kind;

typedef struct layer {
  int cout;
  int pad[4]; /* top, left, bottom, right */
  act_kind act;
} layer;

typedef struct net {
  int batch, cin, h, w;
  int n_layers;
  layer layers[4];
  int shuffle; /* CRD pixel shuffle block after the last layer (0: none) */
  uint64_t seed;
  int residual; /* 1: last conv + input x, 2: x + last conv, before its activation (0: none) */
} net;

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

static void add_act(repconv_builder_t* b, const char* name, act_kind a, int c, rc_test_rng* r, repconv_id* x) {
  float slopes[256];
  switch (a) {
    case ACT_NONE: return;
    case ACT_RELU: assert_int_equal(repconv_builder_activation(b, name, REPCONV_RELU, *x, 0, 0, x), REPCONV_OK); return;
    case ACT_CLIP:
      assert_int_equal(repconv_builder_activation(b, name, REPCONV_CLIP, *x, -0.25f, 0.5f, x), REPCONV_OK);
      return;
    case ACT_PRELU:
    case ACT_PRELU1:
      rc_test_fill_uniform(r, slopes, (size_t)c, -0.5f, 0.5f);
      assert_int_equal(repconv_builder_prelu(b, name, *x, slopes, a == ACT_PRELU ? c : 1, x), REPCONV_OK);
      return;
  }
}

/* Conv "conv<l>" 3x3, cin → cout, at stride and pad (top, left, bottom,
 * right) on x: weights uniform scaled by 1/√(9·cin) (activations keep their
 * size from layer to layer), small biases, both drawn from r. */
static repconv_id add_conv(repconv_builder_t* b, rc_test_rng* r, int l, repconv_id x, int cin, int cout, int stride,
                           const int* pad) {
  repconv_conv2d_desc_t cd = {.out_channels = cout,
                              .kernel_h = 3,
                              .kernel_w = 3,
                              .stride_h = stride,
                              .stride_w = stride,
                              .pad_top = pad[0],
                              .pad_left = pad[1],
                              .pad_bottom = pad[2],
                              .pad_right = pad[3]};
  const size_t nw = (size_t)cout * (size_t)cin * 9;
  float* w = xmalloc(nw * sizeof(float));
  float* bias = xmalloc((size_t)cout * sizeof(float));
  const float s = 1.7f / sqrtf(9.0f * (float)cin);
  rc_test_fill_uniform(r, w, nw, -s, s);
  rc_test_fill_uniform(r, bias, (size_t)cout, -0.1f, 0.1f);
  char name[32];
  snprintf(name, sizeof(name), "conv%d", l);
  assert_int_equal(repconv_builder_conv2d(b, name, x, &cd, w, bias, &x), REPCONV_OK);
  free(w);
  free(bias);
  return x;
}

/* The model of builder b with output y, under options o (NULL: auto, one
 * thread); b is destroyed. */
static repconv_model_t* finish(repconv_builder_t* b, repconv_id y, const repconv_options_t* o) {
  assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
  repconv_model_t* m;
  repconv_options_t* dflt = o ? NULL : rc_test_options(REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_AUTO, 1);
  if (repconv_builder_finish(b, o ? o : dflt, &m) != REPCONV_OK) fail_msg("%s", repconv_last_error());
  repconv_options_destroy(dflt);
  repconv_builder_destroy(b);
  return m;
}

static repconv_model_t* build(const net* n, const repconv_options_t* o) {
  rc_test_rng r;
  rc_test_rng_seed(&r, n->seed);
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {n->batch, n->cin, n->h, n->w};
  repconv_id x, in;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  in = x;
  int c = n->cin;
  for (int l = 0; l < n->n_layers; l++) {
    const layer* ly = &n->layers[l];
    x = add_conv(b, &r, l, x, c, ly->cout, 1, ly->pad);
    char name[32];
    if (n->residual && l == n->n_layers - 1) {
      const repconv_id a = n->residual == 1 ? x : in, c2 = n->residual == 1 ? in : x;
      assert_int_equal(repconv_builder_binary(b, "res", REPCONV_ADD, a, c2, &x), REPCONV_OK);
    }
    snprintf(name, sizeof(name), "act%d", l);
    add_act(b, name, ly->act, ly->cout, &r, &x);
    c = ly->cout;
  }
  if (n->shuffle)
    assert_int_equal(repconv_builder_depth_to_space(b, "shuffle", x, n->shuffle, REPCONV_D2S_CRD, &x), REPCONV_OK);
  return finish(b, x, o);
}

static size_t out_numel(const repconv_model_t* m) {
  repconv_tensor_info_t oi;
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  size_t n = 1;
  for (int i = 0; i < oi.ndim; i++) n *= (size_t)oi.dims[i];
  return n;
}

/* Runs session s on x; returns the output (malloc'ed). */
static float* run(const repconv_model_t* m, repconv_session_t* s, const float* x) {
  repconv_tensor_info_t ii, oi;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  float* y = xmalloc(out_numel(m) * sizeof(float));
  repconv_tensor_t in = {ii.name, ii.ndim, {0}, (float*)x};
  repconv_tensor_t out = {oi.name, oi.ndim, {0}, y};
  memcpy(in.dims, ii.dims, sizeof(in.dims));
  memcpy(out.dims, oi.dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("%s", repconv_session_error(s));
  return y;
}

static float* run_with(const repconv_model_t* m, repconv_backend be, int wino, int threads, const float* x) {
  repconv_options_t* o = rc_test_options(be, wino, threads);
  repconv_session_t* s;
  if (repconv_session_create(m, o, &s) != REPCONV_OK) fail_msg("%s", repconv_last_error());
  float* y = run(m, s, x);
  repconv_session_destroy(s);
  repconv_options_destroy(o);
  return y;
}

static float* make_input(const net* n) {
  size_t nx = (size_t)n->batch * (size_t)n->cin * (size_t)n->h * (size_t)n->w;
  float* x = xmalloc(nx * sizeof(float));
  rc_test_rng r;
  rc_test_rng_seed(&r, n->seed + 1000);
  rc_test_fill_uniform(&r, x, nx, -1.0f, 1.0f);
  return x;
}

/* Every Winograd-capable conv of the plan runs that variant. */
static void expect_variant(const repconv_model_t* m, repconv_backend be, int wino, int want_convs) {
  repconv_options_t* o = rc_test_options(be, wino, 1);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  char want[16];
  snprintf(want, sizeof(want), "wino%d3", wino);
  int convs = 0;
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    repconv_plan_entry_t e;
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    if (strcmp(e.op, "conv2d") != 0) continue;
    if (strcmp(e.backend, "winograd") != 0 || !strstr(e.kernel, want) || !strstr(e.note, want) ||
        !strstr(e.note, "forced by the option")) {
      fail_msg("%s: backend %s kernel '%s' note '%s', wanted %s forced", e.node, e.backend, e.kernel, e.note, want);
    }
    convs++;
  }
  assert_int_equal(convs, want_convs);
  repconv_session_destroy(s);
  repconv_options_destroy(o);
}

static void check_net(const net* n, const char* what) {
  repconv_model_t* m = build(n, NULL);
  float* x = make_input(n);
  float* want = run_with(m, REPCONV_BACKEND_REF, 0, 1, x);
  const size_t ny = out_numel(m);
  double mag = 0;
  for (size_t i = 0; i < ny; i++) mag = fmax(mag, fabs(want[i]));
  assert_true(mag > 0.05);
  for (int v = 0; v < 3; v++) {
    expect_variant(m, REPCONV_BACKEND_WINOGRAD, k_tiles[v], n->n_layers);
    float* got = run_with(m, REPCONV_BACKEND_WINOGRAD, k_tiles[v], 1, x);
    double err = 0;
    size_t at = 0;
    for (size_t i = 0; i < ny; i++) {
      double e = fabs((double)got[i] - want[i]);
      if (!(e <= err)) err = e, at = i; /* NaN counts */
    }
    const double rel = err / mag;
    if (rel > g_worst[v]) g_worst[v] = rel;
    if (!(rel <= k_tol[v])) {
      fail_msg("%s F(%d,3): [%zu] %.9g vs ref %.9g: max|diff|/max|ref| %.3g > %.3g", what, k_tiles[v], at, got[at],
               want[at], rel, k_tol[v]);
    }
    free(got);
  }
  if (n->residual || n->shuffle) { /* the add and the shuffle run in the last conv's output transform */
    repconv_options_t* o = rc_test_options(REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_AUTO, 1);
    repconv_session_t* s;
    assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
    repconv_plan_entry_t e;
    if (n->residual) {
      rc_test_plan_entry(s, "res", &e);
      if (strcmp(e.backend, "fused") != 0) fail_msg("%s: the residual add runs as %s", what, e.kernel);
    }
    if (n->shuffle) {
      rc_test_plan_entry(s, "shuffle", &e);
      if (strcmp(e.backend, "fused") != 0) fail_msg("%s: the shuffle runs as %s", what, e.kernel);
    }
    repconv_session_destroy(s);
    repconv_options_destroy(o);
  }
  /* auto (the rule) must agree with ref as well, within the loosest bound. */
  float* got = run_with(m, REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_AUTO, 1, x);
  for (size_t i = 0; i < ny; i++) {
    if (!(fabs((double)got[i] - want[i]) <= k_tol[2] * mag))
      fail_msg("%s auto: [%zu] %g vs %g", what, i, got[i], want[i]);
  }
  free(got);
  free(want);
  free(x);
  repconv_model_destroy(m);
}

static void test_variants_vs_ref(void** state) {
  (void)state;
  /* Channels with tails (not multiples of 8/16), odd and even sizes, padding
   * 0, 1 and asymmetric, every fused activation, batch 2, a CRD shuffle. */
  const net nets[] = {
      {2,
       3,
       17,
       13,
       3,
       {{8, {1, 1, 1, 1}, ACT_RELU}, {16, {1, 1, 1, 1}, ACT_PRELU}, {12, {1, 1, 1, 1}, ACT_NONE}},
       2,
       1,
       0},
      {2,
       5,
       20,
       23,
       3,
       {{17, {0, 0, 0, 0}, ACT_CLIP}, {17, {2, 1, 0, 1}, ACT_PRELU1}, {36, {1, 0, 2, 1}, ACT_RELU}},
       3,
       2,
       0},
      {2,
       16,
       12,
       30,
       3,
       {{16, {1, 1, 1, 1}, ACT_PRELU}, {33, {0, 1, 1, 0}, ACT_CLIP}, {4, {1, 1, 1, 1}, ACT_PRELU}},
       2,
       3,
       0},
      {2,
       64,
       15,
       14,
       3,
       {{64, {1, 1, 1, 1}, ACT_RELU}, {40, {1, 1, 1, 1}, ACT_NONE}, {64, {1, 1, 1, 1}, ACT_CLIP}},
       2,
       4,
       0},
      {2,
       1,
       5,
       4,
       3,
       {{4, {1, 1, 1, 1}, ACT_PRELU}, {4, {0, 0, 0, 0}, ACT_RELU}, {4, {2, 2, 2, 2}, ACT_NONE}},
       2,
       5,
       0},
      /* no shuffle: the conv output is the graph output */
      {2, 7, 9, 11, 2, {{9, {1, 1, 1, 1}, ACT_PRELU}, {5, {1, 2, 0, 1}, ACT_NONE}}, 0, 6, 0},
      /* fused residual adds: a super-resolution tail (one input channel added
       * to every output channel, then the shuffle), a ResNet-style
       * relu(conv + x), and clip(x + conv) then the shuffle */
      {2, 1, 13, 11, 2, {{16, {1, 1, 1, 1}, ACT_PRELU}, {4, {1, 1, 1, 1}, ACT_NONE}}, 2, 8, 1},
      {2, 16, 9, 14, 2, {{16, {1, 1, 1, 1}, ACT_RELU}, {16, {1, 1, 1, 1}, ACT_RELU}}, 0, 9, 2},
      {1, 4, 10, 7, 1, {{4, {1, 1, 1, 1}, ACT_CLIP}}, 2, 10, 1},
  };
  for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
    char what[64];
    snprintf(what, sizeof(what), "net %zu", i);
    check_net(&nets[i], what);
  }
  printf("  worst max|winograd-ref|/max|ref|: F(2,3) %.3g (tol %.0e)  F(4,3) %.3g (tol %.0e)  F(6,3) %.3g (tol %.0e)\n",
         g_worst[0], k_tol[0], g_worst[1], k_tol[1], g_worst[2], k_tol[2]);
}

/* Stride-2 convs: two in a row, batch 2, odd sizes, asymmetric padding, the
 * first reading the caller's input, the second (3 output channels, PReLU)
 * storing the caller's output; backend winograd (both convs on it) with the
 * option auto (the rule's variants), F23 and F43 (that stride-2 variant for
 * both), on 1 and 2 threads, and auto, against ref, within F(2,3)'s and
 * F(4,3)'s bounds (their kernel errors: tests/test_winograd.c). Then
 * autotuned: both variants timed for both convs, the output as close. */
static repconv_model_t* build_stride2(void) {
  rc_test_rng r;
  rc_test_rng_seed(&r, 77);
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {2, 24, 37, 41};
  repconv_id x;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  const int couts[2] = {40, 3}, pads[2][4] = {{1, 1, 1, 1}, {0, 1, 2, 1}};
  int c = 24;
  for (int l = 0; l < 2; l++) {
    x = add_conv(b, &r, l, x, c, couts[l], 2, pads[l]);
    char name[16];
    snprintf(name, sizeof(name), "act%d", l);
    add_act(b, name, l == 0 ? ACT_RELU : ACT_PRELU, couts[l], &r, &x);
    c = couts[l];
  }
  return finish(b, x, NULL);
}

static void test_stride2_vs_ref(void** state) {
  (void)state;
  repconv_model_t* m = build_stride2();
  const net shape = {2, 24, 37, 41, 0, {{0, {0, 0, 0, 0}, ACT_NONE}}, 0, 88, 0};
  float* x = make_input(&shape);
  float* want = run_with(m, REPCONV_BACKEND_REF, 0, 1, x);
  const size_t ny = out_numel(m);
  assert_int_equal(ny, 2 * 3 * 10 * 11);
  double mag = 0;
  for (size_t i = 0; i < ny; i++) mag = fmax(mag, fabs(want[i]));
  assert_true(mag > 0.05);
  static const int opt[3] = {REPCONV_WINOGRAD_AUTO, REPCONV_WINOGRAD_F23, REPCONV_WINOGRAD_F43};
  static const char* kernel[3] = {"s2__", "wino23s2__", "wino43s2__"}; /* "s2__": either stride-2 variant */
  double worst[3] = {0, 0, 0};
  for (int q = 0; q < 3; q++) {
    repconv_options_t* o = rc_test_options(REPCONV_BACKEND_WINOGRAD, opt[q], 1);
    repconv_session_t* s;
    assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
    for (int l = 0; l < 2; l++) {
      repconv_plan_entry_t e;
      rc_test_plan_entry(s, l ? "conv1" : "conv0", &e);
      if (!strstr(e.kernel, kernel[q])) fail_msg("option %d, %s: %s (%s)", opt[q], e.node, e.kernel, e.note);
    }
    repconv_session_destroy(s);
    repconv_options_destroy(o);
    const double tol = opt[q] == REPCONV_WINOGRAD_F23 ? k_tol[0] : k_tol[1];
    for (int k = 0; k < 3; k++) {
      const repconv_backend be = k < 2 ? REPCONV_BACKEND_WINOGRAD : REPCONV_BACKEND_AUTO;
      float* got = run_with(m, be, opt[q], k == 1 ? 2 : 1, x);
      for (size_t i = 0; i < ny; i++) {
        const double e = fabs((double)got[i] - want[i]) / mag;
        if (!(e <= tol)) fail_msg("option %d run %d: [%zu] %.9g vs ref %.9g", opt[q], k, i, got[i], want[i]);
        if (e > worst[q]) worst[q] = e;
      }
      free(got);
    }
  }
  /* autotune times both stride-2 variants (and the GEMM, XNNPACK) for both */
  repconv_options_t* o = rc_test_options(REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_AUTO, 1);
  assert_int_equal(repconv_options_set_autotune(o, 1), REPCONV_OK);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  for (int l = 0; l < 2; l++) {
    repconv_plan_entry_t e;
    rc_test_plan_entry(s, l ? "conv1" : "conv0", &e);
    if (!strstr(e.note, "autotuned, 1 thread: F2s2 ") || !strstr(e.note, ", F4s2 "))
      fail_msg("%s: note '%s'", e.node, e.note);
  }
  float* got = run(m, s, x);
  for (size_t i = 0; i < ny; i++)
    if (!(fabs((double)got[i] - want[i]) <= k_tol[1] * mag)) fail_msg("autotuned: [%zu] %g vs %g", i, got[i], want[i]);
  free(got);
  repconv_session_destroy(s);
  repconv_options_destroy(o);
  printf("  stride 2: max|winograd-ref|/max|ref| F(2,3) %.3g (tol %.0e), F(4,3) %.3g (tol %.0e)\n", worst[1], k_tol[0],
         worst[2], k_tol[1]);
  free(want);
  free(x);
  repconv_model_destroy(m);
}

/* clang-format off */
static const net k_chain_net = {1, 1, 260, 520, 4, {{8, {1, 1, 1, 1}, ACT_PRELU}, {8, {1, 1, 1, 1}, ACT_RELU},
                                {8, {1, 1, 1, 1}, ACT_CLIP}, {4, {1, 1, 1, 1}, ACT_NONE}}, 2, 31, 1};
/* clang-format on */

/* A super-resolution-like net over an image whose activations (8 channels,
 * 4.3 MB) exceed the chain threshold: auto chains all four convs (the 1→8
 * head too, which alone would go to XNNPACK), runs the chain in the first
 * conv's entry (the others show as fused), gives on 1 and 2 threads bitwise
 * the output of the same Winograd layers run one by one (backend winograd,
 * chains off: the head on Winograd too), agrees with ref, and needs a smaller
 * arena than auto without chains (the activations between the convs are not
 * materialised). */
static void test_chains(void** state) {
  (void)state;
  const net n = k_chain_net;
  repconv_model_t* m = build(&n, NULL);
  float* x = make_input(&n);
  const size_t ny = out_numel(m);
  float* want = run_with(m, REPCONV_BACKEND_REF, 0, 1, x);
  float* ys[2][2]; /* [chains][threads − 1] */
  size_t arena[2][2];
  for (int chains = 0; chains < 2; chains++)
    for (int t = 1; t <= 2; t++) {
      repconv_options_t* o = rc_test_options(REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_AUTO, t);
      assert_int_equal(repconv_options_set_chains(o, chains), REPCONV_OK);
      repconv_session_t* s;
      assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
      repconv_plan_entry_t e;
      for (int l = 0; l < 4; l++) {
        char name[16];
        snprintf(name, sizeof name, "conv%d", l);
        rc_test_plan_entry(s, name, &e);
        /* Alone, the 1→8 head is XNNPACK's (Cin < 4); heading a chain, Winograd's. */
        const char* want_backend = chains && l > 0 ? "fused" : !chains && l == 0 ? "xnnpack" : "winograd";
        const char* want_tag = !chains ? (l == 0 ? "xnnpack:" : "winograd:") : l == 0 ? "[chain of 4]" : "[in chain]";
        if (strcmp(e.backend, want_backend) != 0 || !strstr(e.kernel, want_tag) ||
            (!chains && strstr(e.kernel, "chain")))
          fail_msg("chains %d: %s runs as %s '%s' (%s)", chains, name, e.backend, e.kernel, e.note);
        if (chains && l == 0 && !strstr(e.note, "chain of 4 layers to 'conv3'")) fail_msg("head note: %s", e.note);
      }
      ys[chains][t - 1] = run(m, s, x);
      arena[chains][t - 1] = repconv_session_arena_bytes(s);
      repconv_session_destroy(s);
      repconv_options_destroy(o);
    }
  repconv_options_t* o = rc_test_options(REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_AUTO, 1);
  assert_int_equal(repconv_options_set_chains(o, 0), REPCONV_OK);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  float* layers = run(m, s, x);
  repconv_session_destroy(s);
  repconv_options_destroy(o);
  for (int t = 0; t < 2; t++) {
    if (memcmp(ys[1][t], layers, ny * sizeof(float)) != 0)
      fail_msg("chain on %d threads: output differs from the layers run one by one", t + 1);
  }
  free(layers);
  double mag = 0, err = 0;
  for (size_t i = 0; i < ny; i++) mag = fmax(mag, fabs(want[i]));
  for (size_t i = 0; i < ny; i++) {
    const double e = fabs((double)ys[1][0][i] - want[i]);
    if (!(e <= err)) err = e;
  }
  print_message("chain vs ref: max|diff|/max|ref| %.3g; arena %zu bytes with chains, %zu without\n", err / mag,
                arena[1][0], arena[0][0]);
  assert_true(mag > 0.05);
  assert_true(err <= k_tol[1] * mag);
  assert_true(arena[1][0] < arena[0][0]);
  for (int chains = 0; chains < 2; chains++)
    for (int t = 0; t < 2; t++) free(ys[chains][t]);
  free(want);
  free(x);
  repconv_model_destroy(m);
}

/* Fused PReLU, clip and pixel shuffle show in the plan; with Winograd off
 * the CRD shuffle runs on XNNPACK by permuting the conv's channels to DCR. */
static void test_fusion_entries(void** state) {
  (void)state;
  const net n = {1, 8, 10, 10, 2, {{16, {1, 1, 1, 1}, ACT_PRELU}, {12, {1, 1, 1, 1}, ACT_CLIP}}, 2, 7, 0};
  repconv_model_t* m = build(&n, NULL);
  repconv_options_t* o = rc_test_options(REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_F43, 2);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  assert_int_equal(repconv_session_backend(s), REPCONV_BACKEND_WINOGRAD);
  repconv_plan_entry_t e;
  rc_test_plan_entry(s, "conv0", &e);
  assert_non_null(strstr(e.kernel, "winograd:wino43__"));
  assert_non_null(strstr(e.kernel, "+prelu (fused)"));
  rc_test_plan_entry(s, "act0", &e);
  assert_string_equal(e.backend, "fused");
  rc_test_plan_entry(s, "conv1", &e);
  assert_non_null(strstr(e.kernel, "+clip+depth_to_space (fused)"));
  rc_test_plan_entry(s, "shuffle", &e);
  assert_string_equal(e.backend, "fused");
  assert_non_null(strstr(e.note, "CRD pixel shuffle r=2"));
  repconv_session_destroy(s);
  repconv_options_destroy(o);
  /* Winograd off: auto plans as xnnpack. */
  o = rc_test_options(REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_OFF, 1);
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    assert_string_not_equal(e.backend, "winograd");
  }
  rc_test_plan_entry(s, "conv1", &e);
  assert_non_null(strstr(e.kernel, "+clip (fused) [out channels CRD->DCR r=2]"));
  rc_test_plan_entry(s, "shuffle", &e);
  assert_string_equal(e.kernel, "xnnpack:depth_to_space_nhwc_x32");
  repconv_session_destroy(s);
  repconv_options_destroy(o);
  repconv_model_destroy(m);
}

/* Autotune keeps a chain: the convs that chain into the next one are timed
 * on the Winograd variants only (alone, the GEMM or XNNPACK could win the
 * 1→8 head, and the chain would lose it), so the test_chains net still runs
 * its first three convs as one chain, and agrees with ref. */
static void test_autotune_chain(void** state) {
  (void)state;
  const net n = k_chain_net;
  repconv_model_t* m = build(&n, NULL);
  float* x = make_input(&n);
  float* want = run_with(m, REPCONV_BACKEND_REF, 0, 1, x);
  repconv_options_t* o = rc_test_options(REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_AUTO, 1);
  assert_int_equal(repconv_options_set_autotune(o, 1), REPCONV_OK);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  for (int l = 0; l < 4; l++) {
    char name[16];
    repconv_plan_entry_t e;
    snprintf(name, sizeof name, "conv%d", l);
    rc_test_plan_entry(s, name, &e);
    /* (the last conv chains into no conv: every kernel is timed for it and
     * the fastest runs, in the chain or not; timings decide, so the test
     * does not say which) */
    const char* tag = l == 0 ? "[chain of " : l < 3 ? "[in chain]" : "";
    if (!strstr(e.kernel, tag) || !strstr(e.note, "autotuned, 1 thread: F2 "))
      fail_msg("%s: '%s' (%s)", name, e.kernel, e.note);
    if ((l < 3) != (strstr(e.note, "Winograd only") != NULL) || (l < 3 && strstr(e.note, "gemm ")))
      fail_msg("%s: note '%s'", name, e.note);
  }
  float* got = run(m, s, x);
  double mag = 0, err = 0;
  for (size_t i = 0; i < out_numel(m); i++) {
    mag = fmax(mag, fabs(want[i]));
    err = fmax(err, fabs((double)got[i] - want[i]));
  }
  if (!(err <= k_tol[2] * mag)) fail_msg("autotuned chain: max|diff| %g vs max|ref| %g", err, mag);
  repconv_session_destroy(s);
  repconv_options_destroy(o);
  free(got);
  free(want);
  free(x);
  repconv_model_destroy(m);
}

/* Autotune: every conv's kernel is the fastest timed one (the note lists
 * the times of the Winograd variants, the GEMM and XNNPACK), the model still
 * matches ref, and a session with autotune off plans by the rule again. */
static void test_autotune(void** state) {
  (void)state;
  const net n = {1,  8,  30,
                 26, 3,  {{32, {1, 1, 1, 1}, ACT_RELU}, {32, {1, 1, 1, 1}, ACT_PRELU}, {8, {1, 1, 1, 1}, ACT_NONE}},
                 0,  12, 0};
  repconv_model_t* m = build(&n, NULL);
  float* x = make_input(&n);
  float* want = run_with(m, REPCONV_BACKEND_REF, 0, 1, x);
  repconv_options_t* o = rc_test_options(REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_AUTO, 1);
  assert_int_equal(repconv_options_set_autotune(o, 1), REPCONV_OK);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  int tuned = 0;
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    repconv_plan_entry_t e;
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    if (strcmp(e.op, "conv2d") != 0) continue;
    printf("  %s: %s | %s\n", e.node, e.kernel, e.note);
    if (!strstr(e.note, "autotuned, 1 thread: F2 ") || !strstr(e.note, " ms, xnnpack")) {
      fail_msg("%s: note '%s'", e.node, e.note);
    }
    tuned++;
  }
  assert_int_equal(tuned, 3);
  float* got = run(m, s, x);
  double mag = 0, err = 0;
  for (size_t i = 0; i < out_numel(m); i++) {
    mag = fmax(mag, fabs(want[i]));
    err = fmax(err, fabs((double)got[i] - want[i]));
  }
  if (!(err <= k_tol[2] * mag)) fail_msg("autotuned: max|diff| %g vs max|ref| %g", err, mag);
  repconv_session_destroy(s);
  assert_int_equal(repconv_options_set_autotune(o, 0), REPCONV_OK);
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  repconv_plan_entry_t e;
  rc_test_plan_entry(s, "conv0", &e);
  assert_null(strstr(e.note, "autotuned"));
  repconv_session_destroy(s);
  repconv_options_destroy(o);
  free(got);
  free(want);
  free(x);
  repconv_model_destroy(m);
}

/* On a plan for 2 threads autotune times one Winograd variant, the one the
 * rule picks for 2 threads (a 1-thread timing cannot see the bandwidth the
 * threads share): the note names it, and it is the rule plan's variant. */
static void test_autotune_threads(void** state) {
  (void)state;
  const net n = {1, 8, 30, 26, 2, {{48, {1, 1, 1, 1}, ACT_RELU}, {48, {1, 1, 1, 1}, ACT_NONE}}, 0, 13, 0};
  repconv_options_t* o = rc_test_options(REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_AUTO, 2);
  repconv_model_t* m = build(&n, o);
  repconv_session_t *rule, *tuned;
  assert_int_equal(repconv_session_create(m, o, &rule), REPCONV_OK);
  assert_int_equal(repconv_options_set_autotune(o, 1), REPCONV_OK);
  assert_int_equal(repconv_session_create(m, o, &tuned), REPCONV_OK);
  for (int l = 0; l < 2; l++) {
    char name[16];
    snprintf(name, sizeof name, "conv%d", l);
    repconv_plan_entry_t r, t;
    rc_test_plan_entry(rule, name, &r);
    rc_test_plan_entry(tuned, name, &t);
    printf("  %s: rule %s | tuned %s | %s\n", name, r.kernel, t.kernel, t.note);
    const char* w = strstr(r.kernel, "winograd:wino");
    if (!w) fail_msg("%s: the rule plans '%s', not Winograd", name, r.kernel);
    char want[64];
    snprintf(want, sizeof want, "autotuned, 1 thread (Winograd: the rule's variant): F%c ", w[13]);
    if (strncmp(t.note, want, strlen(want)) != 0) fail_msg("%s: note '%s', want '%s...'", name, t.note, want);
    int labels = 0;
    for (const char* q = t.note; (q = strstr(q, " ms")) != NULL; q++) labels++;
    /* no other variant timed: the rest of the note is the GEMM and XNNPACK */
    const char* rest = t.note + strlen(want);
    assert_null(strstr(rest, "F2 "));
    assert_null(strstr(rest, "F4 "));
    assert_null(strstr(rest, "F6 "));
    assert_true(labels >= 2);
  }
  repconv_session_destroy(rule);
  repconv_session_destroy(tuned);
  repconv_options_destroy(o);
  repconv_model_destroy(m);
}

static void test_options_api(void** state) {
  (void)state;
  repconv_backend be;
  assert_int_equal(repconv_backend_from_name("winograd", &be), REPCONV_OK);
  assert_int_equal(be, REPCONV_BACKEND_WINOGRAD);
  int t = 99;
  assert_int_equal(repconv_winograd_from_name("off", &t), REPCONV_OK);
  assert_int_equal(t, REPCONV_WINOGRAD_OFF);
  assert_int_equal(repconv_winograd_from_name("F(6,3)", &t), REPCONV_OK);
  assert_int_equal(t, 6);
  assert_int_equal(repconv_winograd_from_name("4", &t), REPCONV_OK);
  assert_int_equal(t, 4);
  assert_int_equal(repconv_winograd_from_name("8", &t), REPCONV_ERROR_INVALID_ARGUMENT);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_winograd(o, 3), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(repconv_options_set_winograd(o, 8), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(repconv_options_set_winograd(NULL, 2), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(repconv_options_set_backend(o, (repconv_backend)5), REPCONV_ERROR_INVALID_ARGUMENT);
  repconv_options_destroy(o);
}

/* ------------------------------------------------------------ threads */

/* Big enough that the large layers run on the pool (≥ 4 M multiply-adds). */
static const net k_thread_net = {
    2, 16, 36, 40, 3, {{64, {1, 1, 1, 1}, ACT_RELU}, {64, {1, 1, 1, 1}, ACT_PRELU}, {16, {1, 1, 1, 1}, ACT_CLIP}},
    2, 11, 0};

static void test_threads_same_bits(void** state) {
  (void)state;
  float* x = make_input(&k_thread_net);
  for (int v = 0; v < 4; v++) {
    const int wino = v < 3 ? k_tiles[v] : REPCONV_WINOGRAD_AUTO;
    repconv_options_t* o = rc_test_options(REPCONV_BACKEND_WINOGRAD, wino, 1);
    repconv_model_t* m = build(&k_thread_net, o);
    repconv_options_destroy(o);
    const size_t ny = out_numel(m);
    float* y1 = run_with(m, REPCONV_BACKEND_WINOGRAD, wino, 1, x);
    float* y2 = run_with(m, REPCONV_BACKEND_WINOGRAD, wino, 2, x);
    float* y3 = run_with(m, REPCONV_BACKEND_WINOGRAD, wino, 3, x);
    if (memcmp(y1, y2, ny * sizeof(float)) != 0 || memcmp(y1, y3, ny * sizeof(float)) != 0) {
      fail_msg("winograd %d: 1, 2 and 3 threads differ", wino);
    }
    free(y1);
    free(y2);
    free(y3);
    repconv_model_destroy(m);
  }
  free(x);
}

typedef struct worker {
  const repconv_model_t* m;
  const float* x;
  const float* want;
  size_t ny;
  int threads;
  int ok;
} worker;

static void* work(void* arg) {
  worker* w = arg;
  repconv_options_t* o = NULL;
  repconv_session_t* s = NULL;
  w->ok = 0;
  /* Options NULL: the model's plan, its transformed filters shared read-only. */
  if (w->threads > 1) {
    if (repconv_options_create(&o) != REPCONV_OK) return NULL;
    repconv_options_set_backend(o, REPCONV_BACKEND_WINOGRAD);
    repconv_options_set_threads(o, w->threads);
  }
  if (repconv_session_create(w->m, o, &s) != REPCONV_OK) {
    repconv_options_destroy(o);
    return NULL;
  }
  repconv_tensor_info_t ii, oi;
  repconv_model_input(w->m, 0, &ii);
  repconv_model_output(w->m, 0, &oi);
  float* y = malloc(w->ny * sizeof(float));
  int ok = y != NULL;
  for (int it = 0; it < 3 && ok; it++) {
    repconv_tensor_t in = {ii.name, ii.ndim, {0}, (float*)w->x};
    repconv_tensor_t out = {oi.name, oi.ndim, {0}, y};
    memcpy(in.dims, ii.dims, sizeof(in.dims));
    memcpy(out.dims, oi.dims, sizeof(out.dims));
    ok = repconv_session_run(s, &in, 1, &out, 1) == REPCONV_OK && memcmp(y, w->want, w->ny * sizeof(float)) == 0;
  }
  free(y);
  repconv_session_destroy(s);
  repconv_options_destroy(o);
  w->ok = ok;
  return NULL;
}

static void test_sessions_on_threads(void** state) {
  (void)state;
  repconv_options_t* o = rc_test_options(REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_AUTO, 1);
  repconv_model_t* m = build(&k_thread_net, o);
  repconv_options_destroy(o);
  float* x = make_input(&k_thread_net);
  float* want = run_with(m, REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_AUTO, 1, x);
  enum { N = 4 };
  pthread_t th[N];
  worker w[N];
  for (int i = 0; i < N; i++) {
    w[i] = (worker){m, x, want, out_numel(m), i % 2 ? 2 : 1, 0};
    assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    if (!w[i].ok) fail_msg("session on thread %d (%d pool threads) differs or failed", i, w[i].threads);
  }
  free(want);
  free(x);
  repconv_model_destroy(m);
}

int main(void) {
  /* clang-format off */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_variants_vs_ref),
      cmocka_unit_test(test_stride2_vs_ref),
      cmocka_unit_test(test_fusion_entries),
      cmocka_unit_test(test_chains),
      cmocka_unit_test(test_autotune),
      cmocka_unit_test(test_autotune_chain),
      cmocka_unit_test(test_autotune_threads),
      cmocka_unit_test(test_options_api),
      cmocka_unit_test(test_threads_same_bits),
      cmocka_unit_test(test_sessions_on_threads),
  };
  /* clang-format on */
  return cmocka_run_group_tests(tests, NULL, NULL);
}

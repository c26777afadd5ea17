/* Built-in models in train-time form: each loads, has the nodes its paper's
 * block layout gives (counted by op, kernel and groups), has the documented
 * input/output shapes, runs at a small size given through the input-shape
 * option (the graphs fix no spatial size), gives finite and varied outputs
 * and the same bits on two runs, and two loads build the same graph bit for
 * bit. The padded intermediates of DBB (BN-and-pad) and ECB (pad with the
 * 1×1's bias) are checked independently: the producer of each pad, rebuilt
 * alone and run by the reference kernels on a zero input, must give a
 * tensor whose every pixel of a channel, pad ring included, holds the same
 * bits.
 *
 * Models load with folding off: the counts are of the train-time graph. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/api/handles.h"
#include "repconv.h"
#include "tests/support/test_util.h"

/* ------------------------------------------------------------- helpers */

static repconv_model_t* load(const char* name, int ndim, const int64_t* dims) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  if (ndim > 0) assert_int_equal(repconv_options_set_input_shape(o, NULL, ndim, dims), REPCONV_OK);
  repconv_model_t* m = NULL;
  repconv_status s = repconv_model_load(name, o, &m);
  if (s != REPCONV_OK) fail_msg("loading %s: %s", name, repconv_last_error());
  repconv_options_destroy(o);
  return m;
}

static size_t numel(const repconv_tensor_info_t* t) {
  size_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= (size_t)t->dims[i];
  return n;
}

/* Runs m (2 threads) on x and returns the malloc'd first output. */
static float* run(const repconv_model_t* m, const float* x, size_t* n_out) {
  repconv_tensor_info_t ii, oi;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_threads(o, 2), REPCONV_OK);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  repconv_options_destroy(o);
  *n_out = numel(&oi);
  float* y = malloc(*n_out * sizeof(float));
  assert_non_null(y);
  repconv_tensor_t in = {ii.name, ii.ndim, {0}, (float*)x};
  repconv_tensor_t out = {oi.name, oi.ndim, {0}, y};
  memcpy(in.dims, ii.dims, sizeof(in.dims));
  memcpy(out.dims, oi.dims, sizeof(out.dims));
  repconv_status st = repconv_session_run(s, &in, 1, &out, 1);
  if (st != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  repconv_session_destroy(s);
  return y;
}

/* ------------------------------------------------------- node counts */

typedef struct count {
  const char* op;
  int kernel;    /* convs: kernel_h (0 = any) */
  int depthwise; /* convs: -1 any, 0 groups == 1, 1 groups > 1 */
  int expect;
} count;

static void expect_counts(const repconv_model_t* m, const char* model, const count* c, size_t nc, size_t total) {
  size_t n = repconv_model_num_nodes(m);
  for (size_t k = 0; k < nc; k++) {
    int got = 0;
    for (size_t i = 0; i < n; i++) {
      repconv_node_info_t ni;
      assert_int_equal(repconv_model_node(m, i, &ni), REPCONV_OK);
      if (strcmp(ni.op, c[k].op) != 0) continue;
      if (c[k].kernel && ni.kernel_h != c[k].kernel) continue;
      if (c[k].depthwise >= 0 && (ni.groups > 1) != c[k].depthwise) continue;
      got++;
    }
    if (got != c[k].expect) {
      fail_msg("%s: %d %s nodes (kernel %d, depthwise %d), expected %d", model, got, c[k].op, c[k].kernel,
               c[k].depthwise, c[k].expect);
    }
  }
  if (n != total) fail_msg("%s: %zu nodes, expected %zu", model, n, total);
}

#define COUNT(m, model, total, ...)                                   \
  do {                                                                \
    static const count c_[] = {__VA_ARGS__};                          \
    expect_counts(m, model, c_, sizeof(c_) / sizeof(c_[0]), (total)); \
  } while (0)

static void expect_dims(const repconv_tensor_info_t* t, int ndim, const int64_t* d) {
  assert_int_equal(t->ndim, ndim);
  for (int i = 0; i < ndim; i++) {
    if (t->dims[i] != d[i])
      fail_msg("'%s' dim %d is %lld, expected %lld", t->name, i, (long long)t->dims[i], (long long)d[i]);
  }
}

/* Loads `name` at its default shape: it is listed, has one input of in[4]
 * and one output of out[]. The caller counts its nodes, then destroys it. */
static repconv_model_t* load_default(const char* name, const int64_t in[4], int out_ndim, const int64_t* out) {
  int listed = 0;
  for (size_t j = 0; repconv_builtin_name(j); j++) listed |= strcmp(repconv_builtin_name(j), name) == 0;
  if (!listed) fail_msg("%s is not listed by repconv_builtin_name", name);
  repconv_model_t* m = load(name, 0, NULL);
  repconv_tensor_info_t t;
  assert_int_equal(repconv_model_num_inputs(m), 1);
  assert_int_equal(repconv_model_num_outputs(m), 1);
  assert_int_equal(repconv_model_input(m, 0, &t), REPCONV_OK);
  expect_dims(&t, 4, in);
  assert_int_equal(repconv_model_output(m, 0, &t), REPCONV_OK);
  expect_dims(&t, out_ndim, out);
  return m;
}

/* Two loads build the same graph bit for bit: the same nodes (op, name,
 * inputs) and the same constants (name, shape, data). The input shape may
 * differ: constants never depend on it. Together with two runs of one model
 * giving the same bits (run_small), two loads give the same output; the
 * constants are compared directly because that is exact where comparing
 * outputs could miss a difference, and it spares a third load of models with
 * tens of millions of weights (the test stays fast under ASan). */
static void expect_same_build(const repconv_model_t* a, const repconv_model_t* b, const char* name) {
  const rc_graph* ga = &a->g;
  const rc_graph* gb = &b->g;
  assert_int_equal(ga->n_tensors, gb->n_tensors);
  assert_int_equal(ga->n_nodes, gb->n_nodes);
  for (int32_t i = 0; i < ga->n_nodes; i++) {
    const rc_node* na = &ga->nodes[i];
    const rc_node* nb = &gb->nodes[i];
    if (na->op != nb->op || strcmp(na->name, nb->name) != 0 || na->n_inputs != nb->n_inputs ||
        memcmp(na->inputs, nb->inputs, (size_t)na->n_inputs * sizeof(int32_t)) != 0) {
      fail_msg("%s: node %d differs between two loads ('%s' / '%s')", name, i, na->name, nb->name);
    }
  }
  int consts = 0;
  for (int32_t i = 0; i < ga->n_tensors; i++) {
    const rc_tensor* ta = &ga->tensors[i];
    const rc_tensor* tb = &gb->tensors[i];
    assert_int_equal(ta->kind, tb->kind);
    if (ta->kind != RC_TENSOR_CONST) continue;
    consts++;
    if (strcmp(ta->name, tb->name) != 0 || !rc_shape_equal(&ta->shape, &tb->shape) ||
        memcmp(ta->data, tb->data, (size_t)rc_shape_numel(&ta->shape) * sizeof(float)) != 0) {
      fail_msg("%s: constant '%s' differs between two loads", name, ta->name);
    }
  }
  assert_true(consts > 0);
}

/* Loads `name` at in[4], runs it twice (two sessions) on the same input (x,
 * or uniform in [-1, 1) when x is NULL), checks the output shape,
 * finiteness, spread and that both runs give the same bits. Returns the
 * output (malloc'd) and the model (the caller destroys it). */
static float* run_small(const char* name, const int64_t in[4], int out_ndim, const int64_t* out_dims,
                        const float* x_given, size_t* n_out, repconv_model_t** model) {
  repconv_model_t* m = load(name, 4, in);
  repconv_tensor_info_t oi;
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  expect_dims(&oi, out_ndim, out_dims);
  size_t nx = (size_t)(in[0] * in[1] * in[2] * in[3]);
  float* x = malloc(nx * sizeof(float));
  assert_non_null(x);
  if (x_given) {
    memcpy(x, x_given, nx * sizeof(float));
  } else {
    rc_test_rng r;
    rc_test_rng_seed(&r, 42);
    rc_test_fill_uniform(&r, x, nx, -1.0f, 1.0f);
  }
  size_t n1, n2;
  float* y1 = run(m, x, &n1);
  float* y2 = run(m, x, &n2);
  assert_int_equal(n1, n2);
  float mn = INFINITY, mx = -INFINITY;
  for (size_t i = 0; i < n1; i++) {
    if (!isfinite(y1[i])) fail_msg("%s: output[%zu] = %g", name, i, (double)y1[i]);
    mn = fminf(mn, y1[i]);
    mx = fmaxf(mx, y1[i]);
  }
  if (!(mx > mn)) fail_msg("%s: every output is %g", name, (double)mn);
  if (memcmp(y1, y2, n1 * sizeof(float)) != 0) fail_msg("%s: two runs give different outputs", name);
  free(y2);
  free(x);
  *model = m;
  *n_out = n1;
  return y1;
}

/* Logits of a randomly initialised classifier: order one, not blown up. */
static void expect_sane_logits(const char* name, const float* y, size_t n) {
  for (size_t j = 0; j < n; j++) {
    if (fabsf(y[j]) > 100.0f) fail_msg("%s: logit %zu is %g", name, j, (double)y[j]);
  }
}

/* Classifiers run at 16×16: every stage still sees ≥ 1 pixel, and the test
 * stays fast with tens of millions of weights (loads dominate). */
static const int64_t k_class_in[4] = {1, 3, 224, 224}, k_class_small[4] = {1, 3, 16, 16}, k_logits[2] = {1, 1000};

static void check_pads(const repconv_model_t* m, const char* name, rc_op want, int expect_pads);

/* RepVGG-A0 (run by test_plan and test_session too): shapes and counts. */
static void test_repvgg_a0(void** state) {
  (void)state;
  repconv_model_t* m = load_default("repvgg-a0", k_class_in, 2, k_logits);
  /* Depths 1, 2, 4, 14, 1 (22 blocks); an identity BN in every block but a
   * stage's first (cin == cout, stride 1): 0+1+3+13+0 = 17. */
  COUNT(m, "repvgg-a0", 169, {"conv2d", 3, 0, 22}, {"conv2d", 1, 0, 22}, {"batchnorm", 0, -1, 22 * 2 + 17},
        {"add", 0, -1, 22 + 17}, {"relu", 0, -1, 22}, {"gemm", 0, -1, 1});
  repconv_model_destroy(m);
}

static void test_repvgg_b0(void** state) {
  (void)state;
  repconv_model_t* m = load_default("repvgg-b0", k_class_in, 2, k_logits);
  /* Depths 1, 4, 6, 16, 1 (28 blocks); identity BNs 0+3+5+15+0 = 23. */
  COUNT(m, "repvgg-b0", 217, {"conv2d", 3, 0, 28}, {"conv2d", 1, 0, 28}, {"conv2d", 0, 1, 0},
        {"batchnorm", 0, -1, 28 * 2 + 23}, {"add", 0, -1, 28 + 23}, {"relu", 0, -1, 28}, {"gemm", 0, -1, 1},
        {"global_avgpool", 0, -1, 1}, {"flatten", 0, -1, 1});
  size_t n;
  repconv_model_t* small;
  float* y = run_small("repvgg-b0", k_class_small, 2, k_logits, NULL, &n, &small);
  expect_sane_logits("repvgg-b0", y, n);
  expect_same_build(m, small, "repvgg-b0");
  free(y);
  repconv_model_destroy(small);
  repconv_model_destroy(m);
}

static void test_dbb_resnet18(void** state) {
  (void)state;
  repconv_model_t* m = load_default("dbb-resnet18", k_class_in, 2, k_logits);
  /* 17 DBBs (stem 7×7 + 16 3×3). Each: K×K origin, 1×1, avg-branch 1×1,
   * idconv1 1×1 and the K×K after it: 2 K×K + 3 1×1 convs; 6 BNs (two of
   * them BN-and-pad), 2 pads, 1 avg pool, 3 adds: 17 nodes. Plus 3
   * downsample 1×1+BN shortcuts, 8 residual adds, 1 + 16 ReLUs, the max pool
   * and the head (gap, flatten, gemm). */
  COUNT(m, "dbb-resnet18", 17 * 17 + 3 * 2 + 8 + 17 + 1 + 3, {"conv2d", 7, 0, 2}, {"conv2d", 3, 0, 16 * 2},
        {"conv2d", 1, 0, 17 * 3 + 3}, {"conv2d", 0, -1, 17 * 5 + 3}, {"batchnorm", 0, -1, 17 * 6 + 3},
        {"pad", 0, -1, 17 * 2}, {"avgpool", 0, -1, 17}, {"add", 0, -1, 17 * 3 + 8}, {"relu", 0, -1, 17},
        {"maxpool", 0, -1, 1}, {"gemm", 0, -1, 1});
  size_t n;
  repconv_model_t* small;
  float* y = run_small("dbb-resnet18", k_class_small, 2, k_logits, NULL, &n, &small);
  expect_sane_logits("dbb-resnet18", y, n);
  expect_same_build(m, small, "dbb-resnet18");
  free(y);
  check_pads(small, "dbb-resnet18", RC_OP_BATCHNORM, 34);
  repconv_model_destroy(small);
  repconv_model_destroy(m);
}

/* ECBSR at 19×23 (odd, so every border case of the pads is hit) on a Y image
 * in 0..255: the output is 38×46, and stays a modest correction of the
 * nearest-upsampled input (the built-in's tail is scaled for that). */
static void test_ecbsr(void** state) {
  (void)state;
  const int64_t def_in[4] = {1, 1, 540, 960}, def_out[4] = {1, 1, 1080, 1920};
  repconv_model_t* m = load_default("ecbsr-m4c16-x2", def_in, 4, def_out);
  /* 6 ECBs × 5 branches: conv3x3; 1×1 → pad → 3×3; 3 × (1×1 → pad →
   * depthwise 3×3). Per ECB 9 convs (2 dense 3×3, 3 depthwise, 4 1×1),
   * 4 pads, 4 adds; 5 PReLUs; the residual add and the pixel shuffle. */
  COUNT(m, "ecbsr-m4c16-x2", 6 * 17 + 5 + 2, {"conv2d", 3, 0, 6 * 2}, {"conv2d", 3, 1, 6 * 3}, {"conv2d", 1, 0, 6 * 4},
        {"pad", 0, -1, 6 * 4}, {"add", 0, -1, 6 * 4 + 1}, {"prelu", 0, -1, 5}, {"depth_to_space", 0, -1, 1});

  enum { H = 19, W = 23 };
  const int64_t in[4] = {1, 1, H, W}, out[4] = {1, 1, 2 * H, 2 * W};
  static float x[H * W];
  rc_test_rng r;
  rc_test_rng_seed(&r, 3);
  for (int i = 0; i < H; i++) {
    for (int j = 0; j < W; j++) {
      /* A smooth pattern plus noise, clamped to 0..255. */
      float v = 128.0f + 90.0f * sinf((float)j / 3.0f) * cosf((float)i / 4.0f) + rc_test_rng_uniform(&r, -15, 15);
      x[i * W + j] = fminf(255.0f, fmaxf(0.0f, v));
    }
  }
  size_t n;
  repconv_model_t* small;
  float* y = run_small("ecbsr-m4c16-x2", in, 4, out, x, &n, &small);
  assert_int_equal(n, (size_t)(4 * H * W));
  expect_same_build(m, small, "ecbsr-m4c16-x2");
  double max_dev = 0.0;
  for (int i = 0; i < 2 * H; i++) {
    for (int j = 0; j < 2 * W; j++) {
      double d = fabs((double)y[i * 2 * W + j] - (double)x[(i / 2) * W + j / 2]);
      if (d > max_dev) max_dev = d;
    }
  }
  /* Nonzero (the network does something) and bounded (outputs near 0..255). */
  if (!(max_dev > 0.5 && max_dev < 64.0)) fail_msg("ecbsr: max |y − upsampled x| = %g", max_dev);
  free(y);
  check_pads(small, "ecbsr-m4c16-x2", RC_OP_CONV2D, 24);
  repconv_model_destroy(small);
  repconv_model_destroy(m);
}

/* ---------------------------------------------------- pad values, exactly */

static const float* cdata(const rc_graph* g, int32_t t) {
  assert_true(t >= 0 && t < g->n_tensors);
  assert_int_equal(g->tensors[t].kind, RC_TENSOR_CONST);
  return g->tensors[t].data;
}

/* Rebuilds node p (a BN, or a 1×1 conv with bias) alone on a zero input of
 * 2×3 pixels, followed by the pad node q, runs it with the reference
 * kernels and checks that each channel is one value throughout: the pad
 * ring holds what the producer gives a zero input, bit for bit. Returns the
 * number of channels whose pad value differs from the producer's raw bias
 * constant (β for a BN) by more than 1e-3: proof the values are not β. */
static int check_one_pad(const rc_graph* g, const rc_node* p, const rc_node* q) {
  const rc_shape* xs = &g->tensors[p->inputs[0]].shape;
  const int64_t cin = xs->d[1];
  const int64_t c = g->tensors[p->output].shape.d[1];
  const float* values = cdata(g, q->inputs[1]);
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, cin, 2, 3};
  repconv_id x, y;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  int differs = 0;
  if (p->op == RC_OP_BATCHNORM) {
    const float* beta = cdata(g, p->inputs[2]);
    assert_int_equal(repconv_builder_batchnorm(b, "bn", x, cdata(g, p->inputs[1]), beta, cdata(g, p->inputs[3]),
                                               cdata(g, p->inputs[4]), p->a.eps, &y),
                     REPCONV_OK);
    for (int64_t i = 0; i < c; i++) differs += fabsf(values[i] - beta[i]) > 1e-3f;
  } else {
    assert_int_equal(p->op, RC_OP_CONV2D);
    assert_int_equal(p->a.kernel[0], 1);
    assert_int_equal(p->a.kernel[1], 1);
    assert_int_equal(p->a.stride[0], 1);
    assert_int_equal(p->a.pad[0], 0);
    assert_int_equal(p->n_inputs, 3);
    assert_true(p->inputs[2] >= 0);
    repconv_conv2d_desc_t cd = {.out_channels = (int32_t)c, .kernel_h = 1, .kernel_w = 1, .groups = p->a.groups};
    assert_int_equal(repconv_builder_conv2d(b, "conv0", x, &cd, cdata(g, p->inputs[1]), cdata(g, p->inputs[2]), &y),
                     REPCONV_OK);
    differs = (int)c; /* the ECB pads with b0 itself: nothing to contrast */
  }
  assert_int_equal(repconv_builder_pad(b, "pad", y, q->a.pad[0], q->a.pad[1], q->a.pad[2], q->a.pad[3], values, &y),
                   REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, REPCONV_BACKEND_REF), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  repconv_model_t* m;
  assert_int_equal(repconv_builder_finish(b, o, &m), REPCONV_OK);
  repconv_builder_destroy(b);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  repconv_options_destroy(o);
  const int64_t oh = 2 + q->a.pad[0] + q->a.pad[2], ow = 3 + q->a.pad[1] + q->a.pad[3];
  float* zeros = calloc((size_t)(cin * 6), sizeof(float));
  float* out = malloc((size_t)(c * oh * ow) * sizeof(float));
  assert_non_null(zeros);
  assert_non_null(out);
  repconv_tensor_t ti = {"x", 4, {1, cin, 2, 3}, zeros};
  repconv_tensor_t to = {"y", 4, {1, c, oh, ow}, out};
  assert_int_equal(repconv_session_run(s, &ti, 1, &to, 1), REPCONV_OK);
  for (int64_t ch = 0; ch < c; ch++) {
    const float* o_c = out + ch * oh * ow;
    /* Pixel (pad_top, pad_left) is inside; (0, 0) is in the ring. */
    const float inside = o_c[q->a.pad[0] * ow + q->a.pad[1]];
    if (memcmp(&inside, &values[ch], sizeof(float)) != 0) {
      fail_msg("pad '%s' channel %lld: value %.9g, the producer '%s' gives %.9g for a zero input", q->name,
               (long long)ch, (double)values[ch], p->name, (double)inside);
    }
    for (int64_t i = 0; i < oh * ow; i++) {
      if (memcmp(&o_c[i], &inside, sizeof(float)) != 0) {
        fail_msg("pad '%s' channel %lld pixel %lld: %.9g, interior %.9g", q->name, (long long)ch, (long long)i,
                 (double)o_c[i], (double)inside);
      }
    }
  }
  free(zeros);
  free(out);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  return differs;
}

/* Every pad node of the model: its producer is `want` (a BN for DBB, a 1×1
 * conv for ECB), it feeds a window op reading no padding of its own, and its
 * ring is exact. */
static void check_pads(const repconv_model_t* m, const char* name, rc_op want, int expect_pads) {
  const rc_graph* g = &m->g;
  int pads = 0, differs = 0;
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const rc_node* q = &g->nodes[i];
    if (q->op != RC_OP_PAD) continue;
    pads++;
    assert_int_equal(q->n_inputs, 2);
    int32_t prod = g->tensors[q->inputs[0]].producer;
    assert_true(prod >= 0);
    const rc_node* p = &g->nodes[prod];
    if (p->op != want) fail_msg("%s: pad '%s' follows a %s", name, q->name, rc_op_name(p->op));
    for (int32_t j = 0; j < g->n_nodes; j++) {
      const rc_node* r = &g->nodes[j];
      if (r->n_inputs < 1 || r->inputs[0] != q->output) continue;
      if (r->op != RC_OP_CONV2D && r->op != RC_OP_AVGPOOL)
        fail_msg("%s: pad '%s' feeds a %s", name, q->name, rc_op_name(r->op));
      for (int k = 0; k < 4; k++) {
        if (r->a.pad[k] != 0) fail_msg("%s: '%s' after pad '%s' pads again", name, r->name, q->name);
      }
    }
    differs += check_one_pad(g, p, q);
  }
  assert_int_equal(pads, expect_pads);
  /* β − μγ/σ is not β: some channels must show it. */
  assert_true(differs > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_repvgg_a0),
      cmocka_unit_test(test_repvgg_b0),
      cmocka_unit_test(test_dbb_resnet18),
      cmocka_unit_test(test_ecbsr),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests of runtime/eval, the load-time evaluation of IR graphs on the
 * reference kernels (what the ONNX importer runs for constant Conv, BN,
 * Pad, ...). Hand-computed cases whose results are exact in float32, so they
 * are compared bit for bit; inputs and outputs are in logical C order (NCHW)
 * while the kernels run channels-last, so a mix-up of layouts shows. Then the
 * limits: the multiply-add budget is taken before any work, and the values
 * held must fit arena-bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "repconv.h"
#include "runtime/eval/eval.h"
#include "runtime/graph/graph.h"

static int32_t add_input(rc_graph* g, const char* name, int32_t ndim, const int64_t* d) {
  rc_shape s = {ndim, {0}};
  memcpy(s.d, d, (size_t)ndim * sizeof(int64_t));
  int32_t id;
  assert_int_equal(rc_graph_add_input(g, name, &s, &id), REPCONV_OK);
  return id;
}

static int32_t add_const(rc_graph* g, const char* name, int32_t ndim, const int64_t* d, const float* data) {
  rc_shape s = {ndim, {0}};
  memcpy(s.d, d, (size_t)ndim * sizeof(int64_t));
  int32_t id;
  assert_int_equal(rc_graph_add_const(g, name, &s, data, &id), REPCONV_OK);
  return id;
}

static int32_t add_node(rc_graph* g, rc_op op, const char* name, const int32_t* ins, int32_t n, const rc_attrs* a) {
  int32_t id;
  assert_int_equal(rc_graph_add_node(g, op, name, ins, n, a, name, &id), REPCONV_OK);
  assert_int_equal(rc_graph_infer_node(g, g->n_nodes - 1), REPCONV_OK);
  return id;
}

/* x = 1..9 as [1, 1, 3, 3]; conv 2x2 valid, 2 output channels: a diagonal
 * pair (+0.5) and the 2x2 sum (−1); then ReLU after subtracting 13 (a
 * second node, run after the first). */
static void build_conv(rc_graph* g, int with_relu) {
  rc_graph_init(g);
  static const float w[8] = {1, 0, 0, 1, 1, 1, 1, 1};
  static const float b[2] = {0.5f, -1.0f};
  static const float k13[1] = {13};
  int32_t x = add_input(g, "x", 4, (int64_t[]){1, 1, 3, 3});
  int32_t ins[3] = {x, add_const(g, "w", 4, (int64_t[]){2, 1, 2, 2}, w), add_const(g, "b", 1, (int64_t[]){2}, b)};
  rc_attrs a = rc_attrs_default();
  a.kernel[0] = a.kernel[1] = 2;
  int32_t y = add_node(g, RC_OP_CONV2D, "conv", ins, 3, &a);
  if (with_relu) {
    int32_t sub[2] = {y, add_const(g, "k13", 1, (int64_t[]){1}, k13)};
    y = add_node(g, RC_OP_SUB, "sub", sub, 2, NULL);
    y = add_node(g, RC_OP_RELU, "relu", &y, 1, NULL);
  }
  assert_int_equal(rc_graph_add_output(g, y), REPCONV_OK);
}

static const float k_x9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static void test_conv(void** state) {
  (void)state;
  rc_graph g;
  build_conv(&g, 0);
  float y[8];
  const float* in[1] = {k_x9};
  float* out[1] = {y};
  rc_budget macs = {.limits = &g.limits, .which = REPCONV_LIMIT_LOAD_MACS};
  assert_int_equal(rc_eval_graph(&g, in, out, &macs), REPCONV_OK);
  /* Channel 0: x[i][j] + x[i+1][j+1] + 0.5; channel 1: the 2x2 sums − 1. */
  static const float want[8] = {6.5f, 8.5f, 12.5f, 14.5f, 11, 15, 23, 27};
  assert_memory_equal(y, want, sizeof(want));
  assert_int_equal(macs.used, 2 * 2 * 2 * 4); /* out pixels × channels × taps */
  rc_graph_free(&g);

  build_conv(&g, 1);
  assert_int_equal(rc_eval_graph(&g, in, out, NULL), REPCONV_OK);
  static const float want_relu[8] = {0, 0, 0, 1.5f, 0, 2, 10, 14};
  assert_memory_equal(y, want_relu, sizeof(want_relu));
  rc_graph_free(&g);
}

/* BN on [1, 2, 1, 2] and a per-channel pad: values exact in float32. */
static void test_batchnorm_and_pad(void** state) {
  (void)state;
  rc_graph g;
  rc_graph_init(&g);
  static const float gamma[2] = {2, 1}, beta[2] = {0, 1}, mean[2] = {1, 0}, var[2] = {3, 0};
  int32_t ins[5] = {add_input(&g, "x", 4, (int64_t[]){1, 2, 1, 2}), add_const(&g, "g", 1, (int64_t[]){2}, gamma),
                    add_const(&g, "b", 1, (int64_t[]){2}, beta), add_const(&g, "m", 1, (int64_t[]){2}, mean),
                    add_const(&g, "v", 1, (int64_t[]){2}, var)};
  rc_attrs a = rc_attrs_default();
  a.eps = 1.0f;
  int32_t y = add_node(&g, RC_OP_BATCHNORM, "bn", ins, 5, &a);
  static const float pv[2] = {9, -9};
  rc_attrs p = rc_attrs_default();
  p.pad[0] = 1; /* top */
  p.pad[3] = 1; /* right */
  int32_t pins[2] = {y, add_const(&g, "pv", 1, (int64_t[]){2}, pv)};
  y = add_node(&g, RC_OP_PAD, "pad", pins, 2, &p);
  assert_int_equal(rc_graph_add_output(&g, y), REPCONV_OK);
  static const float x[4] = {1, 2, 3, 4}; /* channel 0: 1, 2; channel 1: 3, 4 */
  float out_y[2 * 2 * 3];
  const float* in[1] = {x};
  float* out[1] = {out_y};
  assert_int_equal(rc_eval_graph(&g, in, out, NULL), REPCONV_OK);
  /* BN: channel 0 (x − 1) / 2 · 2 = 0, 1; channel 1 x + 1 = 4, 5. Pad: a
   * row on top and a column on the right of each channel's value. */
  static const float want[12] = {9, 9, 9, 0, 1, 9, -9, -9, -9, 4, 5, -9};
  assert_memory_equal(out_y, want, sizeof(want));
  rc_graph_free(&g);
}

/* rc_eval_node alone: the executor's storage (channels-last activations,
 * C-order constants). */
static void test_node(void** state) {
  (void)state;
  rc_graph g;
  build_conv(&g, 0);
  float y[8];
  const float* in[3] = {k_x9, g.tensors[1].data, g.tensors[2].data}; /* 1 channel: NHWC = NCHW */
  assert_int_equal(rc_eval_node(&g, &g.nodes[0], in, y), REPCONV_OK);
  static const float want_nhwc[8] = {6.5f, 11, 8.5f, 15, 12.5f, 23, 14.5f, 27};
  assert_memory_equal(y, want_nhwc, sizeof(want_nhwc));
  rc_graph_free(&g);
}

/* Over the multiply-add budget: refused before computing, naming the node
 * and the limit; the outputs are not written. Over arena-bytes: refused. */
static void test_limits(void** state) {
  (void)state;
  rc_graph g;
  build_conv(&g, 0);
  float y[8];
  memset(y, 0x7f, sizeof(y));
  const float* in[1] = {k_x9};
  float* out[1] = {y};
  g.limits.v[REPCONV_LIMIT_LOAD_MACS] = 31; /* the conv takes 32 */
  rc_budget macs = {.limits = &g.limits, .which = REPCONV_LIMIT_LOAD_MACS};
  assert_int_equal(rc_eval_graph(&g, in, out, &macs), REPCONV_ERROR_FORMAT);
  assert_non_null(strstr(repconv_last_error(), "constant evaluation of node 'conv'"));
  assert_non_null(strstr(repconv_last_error(), "'load-macs'"));
  for (int k = 0; k < 8; k++) assert_int_equal(((const unsigned char*)y)[k], 0x7f);
  g.limits.v[REPCONV_LIMIT_LOAD_MACS] = 32;
  macs.used = 0;
  assert_int_equal(rc_eval_graph(&g, in, out, &macs), REPCONV_OK);
  /* The input (9 floats) and the output (8) are held at once. */
  g.limits.v[REPCONV_LIMIT_ARENA_BYTES] = 16 * sizeof(float);
  assert_int_equal(rc_eval_graph(&g, in, out, NULL), REPCONV_ERROR_OUT_OF_MEMORY);
  assert_non_null(strstr(repconv_last_error(), "'arena-bytes'"));
  g.limits.v[REPCONV_LIMIT_ARENA_BYTES] = 17 * sizeof(float);
  assert_int_equal(rc_eval_graph(&g, in, out, NULL), REPCONV_OK);
  rc_graph_free(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv),
      cmocka_unit_test(test_batchnorm_and_pad),
      cmocka_unit_test(test_node),
      cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

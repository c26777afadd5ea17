/* Builder, shape inference and graph-order errors: each bad graph gives the
 * right status and a message naming the node and the shapes; a failed
 * builder call leaves the builder usable. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/graph/graph.h"
#include "repconv.h"

#define assert_contains(haystack, needle)                                                            \
  do {                                                                                               \
    if (!strstr((haystack), (needle))) fail_msg("'%s' does not contain '%s'", (haystack), (needle)); \
  } while (0)

static repconv_builder_t* new_builder(repconv_id* x, int64_t c, int64_t h, int64_t w) {
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, c, h, w};
  assert_int_equal(repconv_builder_input(b, "x", 4, d, x), REPCONV_OK);
  return b;
}

static float g_zeros[4096];

static void test_builder_valid(void** state) {
  (void)state;
  repconv_id x, y, z, o;
  repconv_builder_t* b = new_builder(&x, 4, 9, 7);
  repconv_conv2d_desc_t d = {.out_channels = 8,
                             .kernel_h = 3,
                             .kernel_w = 3,
                             .stride_h = 2,
                             .stride_w = 2,
                             .pad_top = 1,
                             .pad_left = 1,
                             .pad_bottom = 1,
                             .pad_right = 1,
                             .groups = 2};
  assert_int_equal(repconv_builder_conv2d(b, "conv", x, &d, g_zeros, g_zeros, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_activation(b, "relu", REPCONV_RELU, y, 0, 0, &z), REPCONV_OK);
  assert_int_equal(repconv_builder_global_avgpool(b, "gap", z, &o), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, o, "out"), REPCONV_OK);
  repconv_model_t* m;
  repconv_options_t* opt;
  assert_int_equal(repconv_options_create(&opt), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(opt, 0), REPCONV_OK); /* the graph as built */
  assert_int_equal(repconv_builder_finish(b, opt, &m), REPCONV_OK);
  repconv_options_destroy(opt);
  repconv_builder_destroy(b);
  repconv_tensor_info_t info;
  assert_int_equal(repconv_model_output(m, 0, &info), REPCONV_OK);
  assert_string_equal(info.name, "out");
  assert_int_equal(info.ndim, 4);
  assert_int_equal(info.dims[1], 8);
  /* conv 9x7 → 5x4 with stride 2, pad 1 */
  repconv_node_info_t ni;
  assert_int_equal(repconv_model_node(m, 0, &ni), REPCONV_OK);
  assert_string_equal(ni.op, "conv2d");
  assert_int_equal(ni.output.dims[2], 5);
  assert_int_equal(ni.output.dims[3], 4);
  assert_int_equal(ni.flops, 2LL * 8 * 5 * 4 * 2 * 9);
  assert_int_equal(ni.params, 8 * 2 * 9 + 8);
  repconv_model_destroy(m);
}

static void test_builder_errors(void** state) {
  (void)state;
  repconv_id x, y;
  repconv_builder_t* b = new_builder(&x, 3, 5, 5);

  repconv_conv2d_desc_t d = {.out_channels = 4, .kernel_h = 3, .kernel_w = 3, .groups = 2};
  assert_int_equal(repconv_builder_conv2d(b, "bad_groups", x, &d, g_zeros, NULL, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "bad_groups");
  assert_contains(repconv_last_error(), "1x3x5x5");

  d.groups = 1;
  d.kernel_h = d.kernel_w = 7;
  assert_int_equal(repconv_builder_conv2d(b, "too_big", x, &d, g_zeros, NULL, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "too_big");
  assert_contains(repconv_last_error(), "smaller than the 7x7 kernel");

  int64_t cd[4] = {1, 4, 5, 5};
  repconv_id c;
  assert_int_equal(repconv_builder_constant(b, "c4", 4, cd, g_zeros, &c), REPCONV_OK);
  assert_int_equal(repconv_builder_binary(b, "add", REPCONV_ADD, x, c, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "'add'");
  assert_contains(repconv_last_error(), "1x3x5x5 and 1x4x5x5 do not broadcast");

  assert_int_equal(repconv_builder_activation(b, "r", REPCONV_RELU, 999, 0, 0, &y), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(repconv_last_error(), "999");

  int64_t rs[2] = {-1, -1};
  assert_int_equal(repconv_builder_reshape(b, "rs", x, 2, rs, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "more than one -1");
  int64_t rs2[2] = {7, -1};
  assert_int_equal(repconv_builder_reshape(b, "rs", x, 2, rs2, &y), REPCONV_ERROR_SHAPE);

  int64_t d2[4] = {1, 3, 4, 5};
  repconv_id x2;
  assert_int_equal(repconv_builder_input(b, "x2", 4, d2, &x2), REPCONV_OK);
  repconv_id both[2] = {x, x2};
  assert_int_equal(repconv_builder_concat(b, "cat", both, 2, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "does not match");

  assert_int_equal(repconv_builder_depth_to_space(b, "d2s", x, 2, REPCONV_D2S_CRD, &y), REPCONV_ERROR_SHAPE);
  assert_int_equal(repconv_builder_input(b, "x", 4, d2, &y), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(repconv_last_error(), "already exists");

  repconv_pool_desc_t pd = {.kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2, .pad_top = -1};
  assert_int_equal(repconv_builder_avgpool(b, "pool", x, &pd, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "padding");

  /* Failed calls rolled back: the names are free and the builder works. */
  d.kernel_h = d.kernel_w = 3;
  d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = 1;
  assert_int_equal(repconv_builder_conv2d(b, "bad_groups", x, &d, g_zeros, NULL, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, y, "bad_groups"), REPCONV_OK);
  repconv_model_t* m;
  assert_int_equal(repconv_builder_finish(b, NULL, &m), REPCONV_OK);
  assert_int_equal(repconv_model_num_nodes(m), 1);
  repconv_model_destroy(m);
  repconv_builder_destroy(b);
}

static void test_finish_errors(void** state) {
  (void)state;
  repconv_id x;
  repconv_builder_t* b = new_builder(&x, 3, 5, 5);
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_builder_finish(b, NULL, &m), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(repconv_last_error(), "no outputs");
  assert_null(m);
  repconv_builder_destroy(b);

  /* A NaN weight is refused at finish, naming the constant. */
  b = new_builder(&x, 1, 5, 5);
  float w[9] = {0, 0, 0, 0, NAN, 0, 0, 0, 0};
  repconv_conv2d_desc_t d = {.out_channels = 1, .kernel_h = 3, .kernel_w = 3};
  repconv_id y;
  assert_int_equal(repconv_builder_conv2d(b, "c", x, &d, w, NULL, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
  assert_int_equal(repconv_builder_finish(b, NULL, &m), REPCONV_ERROR_FORMAT);
  assert_contains(repconv_last_error(), "c.weight");
  assert_contains(repconv_last_error(), "NaN at element 4");
  repconv_builder_destroy(b);
}

/* Loaders may declare tensors first and list nodes in any order. */
static void test_topo_order_and_cycles(void** state) {
  (void)state;
  rc_graph g;
  rc_graph_init(&g);
  rc_shape s = {4, {1, 2, 3, 3}};
  int32_t x, a, bb, c;
  assert_int_equal(rc_graph_add_input(&g, "x", &s, &x), REPCONV_OK);
  assert_int_equal(rc_graph_add_value(&g, "a", &a), REPCONV_OK);
  assert_int_equal(rc_graph_add_value(&g, "b", &bb), REPCONV_OK);
  assert_int_equal(rc_graph_add_value(&g, "c", &c), REPCONV_OK);
  int32_t in_c[2] = {a, bb};
  assert_int_equal(rc_graph_add_node_to(&g, RC_OP_ADD, "n_c", in_c, 2, NULL, c), REPCONV_OK);
  assert_int_equal(rc_graph_add_node_to(&g, RC_OP_RELU, "n_b", &a, 1, NULL, bb), REPCONV_OK);
  assert_int_equal(rc_graph_add_node_to(&g, RC_OP_SIGMOID, "n_a", &x, 1, NULL, a), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, c), REPCONV_OK);
  int32_t order[3];
  assert_int_equal(rc_graph_topo_order(&g, order), REPCONV_OK);
  assert_int_equal(order[0], 2);
  assert_int_equal(order[1], 1);
  assert_int_equal(order[2], 0);
  assert_int_equal(rc_graph_infer_shapes(&g), REPCONV_OK);
  assert_true(rc_shape_equal(&g.tensors[c].shape, &s));
  /* A second producer for the same tensor is refused. */
  assert_int_equal(rc_graph_add_node_to(&g, RC_OP_RELU, "dup", &x, 1, NULL, a), REPCONV_ERROR_INVALID_ARGUMENT);
  rc_graph_free(&g);

  /* p = relu(q), q = relu(p): a cycle. */
  rc_graph_init(&g);
  int32_t p, q;
  assert_int_equal(rc_graph_add_input(&g, "x", &s, &x), REPCONV_OK);
  assert_int_equal(rc_graph_add_value(&g, "p", &p), REPCONV_OK);
  assert_int_equal(rc_graph_add_value(&g, "q", &q), REPCONV_OK);
  assert_int_equal(rc_graph_add_node_to(&g, RC_OP_RELU, "np", &q, 1, NULL, p), REPCONV_OK);
  assert_int_equal(rc_graph_add_node_to(&g, RC_OP_RELU, "nq", &p, 1, NULL, q), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, p), REPCONV_OK);
  assert_int_equal(rc_graph_infer_shapes(&g), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(rc_error_message(), "cycle");
  rc_graph_free(&g);

  /* A value nobody computes. */
  rc_graph_init(&g);
  assert_int_equal(rc_graph_add_input(&g, "x", &s, &x), REPCONV_OK);
  assert_int_equal(rc_graph_add_value(&g, "orphan", &p), REPCONV_OK);
  int32_t in2[2] = {x, p};
  assert_int_equal(rc_graph_add_node(&g, RC_OP_ADD, "add", in2, 2, NULL, "sum", &q), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, q), REPCONV_OK);
  assert_int_equal(rc_graph_infer_shapes(&g), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(rc_error_message(), "orphan");
  rc_graph_free(&g);
}

/* Attribute values a hostile file could carry are range-checked. */
static void test_shape_attr_ranges(void** state) {
  (void)state;
  rc_shape s = {4, {1, 4, 8, 8}};
  rc_shape ws = {4, {4, 4, 3, 3}};
  float w[144] = {0};
  struct {
    int field, value;
  } cases[] = {{0, 0}, {0, -3}, {1, 0}, {2, 0}, {3, -1}, {3, 1 << 30}, {4, 0}, {4, 3}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    rc_graph g;
    rc_graph_init(&g);
    int32_t x, wt, y;
    assert_int_equal(rc_graph_add_input(&g, "x", &s, &x), REPCONV_OK);
    assert_int_equal(rc_graph_add_const(&g, "w", &ws, w, &wt), REPCONV_OK);
    rc_attrs a = rc_attrs_default();
    a.kernel[0] = a.kernel[1] = 3;
    switch (cases[i].field) {
      case 0: a.kernel[0] = cases[i].value; break;
      case 1: a.stride[1] = cases[i].value; break;
      case 2: a.dilation[0] = cases[i].value; break;
      case 3: a.pad[2] = cases[i].value; break;
      case 4: a.groups = cases[i].value; break;
    }
    int32_t in[2] = {x, wt};
    assert_int_equal(rc_graph_add_node(&g, RC_OP_CONV2D, "conv", in, 2, &a, "y", &y), REPCONV_OK);
    assert_int_equal(rc_graph_add_output(&g, y), REPCONV_OK);
    rc_status st = rc_graph_infer_shapes(&g);
    if (st == REPCONV_OK) fail_msg("case %zu was accepted", i);
    assert_contains(rc_error_message(), "node 'conv' (conv2d)");
    rc_graph_free(&g);
  }
}

static void test_constant_input_rejected(void** state) {
  (void)state;
  rc_graph g;
  rc_graph_init(&g);
  rc_shape s = {4, {1, 2, 3, 3}};
  int32_t x, c, y;
  assert_int_equal(rc_graph_add_input(&g, "x", &s, &x), REPCONV_OK);
  assert_int_equal(rc_graph_add_const(&g, "c", &s, NULL, &c), REPCONV_OK);
  assert_int_equal(rc_graph_add_node(&g, RC_OP_RELU, "relu_of_const", &c, 1, NULL, "y", &y), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, y), REPCONV_OK);
  assert_int_equal(rc_graph_infer_shapes(&g), REPCONV_ERROR_UNSUPPORTED);
  assert_contains(rc_error_message(), "relu_of_const");
  assert_contains(rc_error_message(), "constant");
  rc_graph_free(&g);
}

/* patch_partition / patch_merge: shapes through the builder, and every bad
 * case names the node, the op and the input shape. */
static void test_patch_shapes(void** state) {
  (void)state;
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {2, 6, 10, 9};
  repconv_id x, p, m, y;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_patch_partition(b, "part", x, 2, 3, &p), REPCONV_OK);
  assert_int_equal(repconv_builder_patch_merge(b, "merge", p, 2, 3, &m), REPCONV_OK);
  /* 10 rows in 3 patch rows, 9 columns in 2: neither divides. */
  assert_int_equal(repconv_builder_patch_partition(b, "part_h", x, 3, 3, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "node 'part_h' (patch_partition)");
  assert_contains(repconv_last_error(), "2x6x10x9");
  assert_contains(repconv_last_error(), "H = 10");
  assert_int_equal(repconv_builder_patch_partition(b, "part_w", x, 2, 2, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "W = 9");
  /* 12 patches (2 images of 2x3) do not make whole 5x1 grids. */
  assert_int_equal(repconv_builder_patch_merge(b, "merge_b", p, 5, 1, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "node 'merge_b' (patch_merge)");
  assert_contains(repconv_last_error(), "12x6x5x3");
  assert_int_equal(repconv_builder_patch_merge(b, "merge_0", p, 0, 1, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "grid 0x1");
  assert_int_equal(repconv_builder_patch_partition(b, "part_big", x, 1, 1 << 20, &y), REPCONV_ERROR_SHAPE);
  int64_t flat[2] = {2, -1};
  repconv_id f;
  assert_int_equal(repconv_builder_reshape(b, "flat", x, 2, flat, &f), REPCONV_OK);
  assert_int_equal(repconv_builder_patch_partition(b, "part_rank", f, 1, 1, &y), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_last_error(), "expected rank 4");
  assert_int_equal(repconv_builder_output(b, m, "y"), REPCONV_OK);
  repconv_model_t* model;
  assert_int_equal(repconv_builder_finish(b, NULL, &model), REPCONV_OK);
  const int64_t want[2][4] = {{12, 6, 5, 3}, {2, 6, 10, 9}};
  for (size_t i = 0; i < 2; i++) {
    repconv_node_info_t ni;
    assert_int_equal(repconv_model_node(model, i, &ni), REPCONV_OK);
    assert_string_equal(ni.op, i ? "patch_merge" : "patch_partition");
    assert_int_equal(ni.output.ndim, 4);
    for (int k = 0; k < 4; k++) assert_int_equal(ni.output.dims[k], want[i][k]);
  }
  repconv_model_destroy(model);
  repconv_builder_destroy(b);
}

/* Issue 11 item 3: a reshape target whose known dims multiply past int64
 * (2^72 wraps to 0) made `total % known` divide by zero (SIGFPE). */
static void test_reshape_overflow(void** state) {
  (void)state;
  repconv_id x, y;
  repconv_builder_t* b = new_builder(&x, 4, 8, 8);
  const int64_t big = (int64_t)1 << 24;
  const int64_t targets[][4] = {{big, big, big, -1}, {big, big, big, big}, {-1, big, big, big}, {big, big, 0, -1}};
  char name[32];
  for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
    snprintf(name, sizeof(name), "reshape_%zu", i);
    assert_int_equal(repconv_builder_reshape(b, name, x, 4, targets[i], &y), REPCONV_ERROR_SHAPE);
    assert_contains(repconv_last_error(), name);
    assert_contains(repconv_last_error(), "(reshape)");
  }
  /* the builder is still usable, and a sane target works */
  const int64_t ok[2] = {0, -1};
  assert_int_equal(repconv_builder_reshape(b, "reshape_ok", x, 2, ok, &y), REPCONV_OK);
  repconv_builder_destroy(b);

  /* the same through the IR (what a loader builds) */
  rc_graph g;
  rc_graph_init(&g);
  rc_shape s = {4, {1, 4, 8, 8}};
  int32_t xi, yi;
  assert_int_equal(rc_graph_add_input(&g, "x", &s, &xi), REPCONV_OK);
  rc_attrs a = rc_attrs_default();
  a.reshape_ndim = 4;
  for (int k = 0; k < 4; k++) a.reshape[k] = targets[0][k];
  assert_int_equal(rc_graph_add_node(&g, RC_OP_RESHAPE, "r", &xi, 1, &a, "y", &yi), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, yi), REPCONV_OK);
  assert_int_equal(rc_graph_infer_shapes(&g), REPCONV_ERROR_SHAPE);
  assert_contains(rc_error_message(), "node 'r' (reshape)");
  rc_graph_free(&g);
}

/* Issue 11 item 6 (last case): an input shape given through the options
 * (fold off) of 2^72 elements wrapped the element count; a global average
 * pool then gives a valid-looking output and the model loaded. */
static void test_input_shape_overflow(void** state) {
  (void)state;
  const int64_t big = (int64_t)1 << 24;
  const int64_t shapes[][4] = {{1, big, big, big}, {big, big, 1, 1}, {1, 2, big, big}};
  for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
    for (int fold = 0; fold < 2; fold++) {
      repconv_id x, y;
      repconv_builder_t* b = new_builder(&x, 4, 8, 8);
      assert_int_equal(repconv_builder_global_avgpool(b, "gap", x, &y), REPCONV_OK);
      assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
      repconv_options_t* o;
      assert_int_equal(repconv_options_create(&o), REPCONV_OK);
      assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
      assert_int_equal(repconv_options_set_input_shape(o, "x", 4, shapes[i]), REPCONV_OK);
      repconv_model_t* m = NULL;
      repconv_status st = repconv_builder_finish(b, o, &m);
      if (st != REPCONV_ERROR_SHAPE) fail_msg("shape %zu, fold %d: status %d (%s)", i, fold, st, repconv_last_error());
      assert_null(m);
      assert_contains(repconv_last_error(), "graph input 'x'");
      assert_contains(repconv_last_error(), "out of range");
      repconv_options_destroy(o);
      repconv_builder_destroy(b);
    }
  }
}

/* Issue 11 item 4 (the IR side; the .rcm side is in test_rcm): an absent
 * (-1) input is refused where it is not optional. */
static void test_absent_inputs(void** state) {
  (void)state;
  rc_graph g;
  rc_graph_init(&g);
  rc_shape s = {4, {1, 2, 3, 3}};
  int32_t x, y;
  assert_int_equal(rc_graph_add_input(&g, "x", &s, &x), REPCONV_OK);
  int32_t cat[3] = {x, -1, x};
  assert_int_equal(rc_graph_add_node(&g, RC_OP_CONCAT, "cat", cat, 3, NULL, "y", &y), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(rc_error_message(), "node 'cat' (concat): input 1 is absent");
  int32_t add[2] = {x, -1};
  assert_int_equal(rc_graph_add_node(&g, RC_OP_ADD, "add", add, 2, NULL, "y", &y), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(rc_error_message(), "input 1 is absent");
  /* the failed calls left nothing behind: "y" is free */
  assert_int_equal(rc_graph_find_tensor(&g, "y"), -1);
  int32_t pad[2] = {x, -1}; /* pad values are optional */
  rc_attrs a = rc_attrs_default();
  assert_int_equal(rc_graph_add_node(&g, RC_OP_PAD, "pad", pad, 2, &a, "y", &y), REPCONV_OK);
  assert_int_equal(rc_graph_find_tensor(&g, "y"), y);
  rc_graph_free(&g);
}

/* Issue 11 item 8: a graph output no node writes was planned as a rank-0
 * tensor and returned whatever the arena held. */
static void test_output_not_computed(void** state) {
  (void)state;
  rc_graph g;
  rc_graph_init(&g);
  rc_shape s = {4, {1, 2, 3, 3}};
  int32_t x, y, ghost;
  assert_int_equal(rc_graph_add_input(&g, "x", &s, &x), REPCONV_OK);
  assert_int_equal(rc_graph_add_node(&g, RC_OP_RELU, "relu", &x, 1, NULL, "y", &y), REPCONV_OK);
  assert_int_equal(rc_graph_add_value(&g, "ghost", &ghost), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, y), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, ghost), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, ghost), REPCONV_ERROR_INVALID_ARGUMENT); /* listed twice */
  assert_int_equal(rc_graph_infer_shapes(&g), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(rc_error_message(), "graph output 'ghost' is not computed by any node");
  rc_graph_free(&g);
}

/* The tensor name index across many tensors and rollbacks (failed builder
 * calls drop what they added; the names are free again, the others still
 * found). */
static void test_name_index(void** state) {
  (void)state;
  rc_graph g;
  rc_graph_init(&g);
  rc_shape s = {1, {4}};
  char name[32];
  enum { N = 5000 };
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof(name), "t%d", i);
    int32_t id;
    assert_int_equal(rc_graph_add_const(&g, name, &s, NULL, &id), REPCONV_OK);
    assert_int_equal(id, i);
    assert_int_equal(rc_graph_add_const(&g, name, &s, NULL, &id), REPCONV_ERROR_INVALID_ARGUMENT);
  }
  for (int cut = N - 1; cut >= N - 1000; cut -= 7) {
    rc_graph_truncate(&g, cut, 0);
    for (int i = 0; i < N; i++) {
      snprintf(name, sizeof(name), "t%d", i);
      if (rc_graph_find_tensor(&g, name) != (i < cut ? i : -1)) fail_msg("cut %d: '%s' found wrongly", cut, name);
    }
    for (int i = cut; i < N; i++) { /* add them back */
      snprintf(name, sizeof(name), "t%d", i);
      int32_t id;
      assert_int_equal(rc_graph_add_const(&g, name, &s, NULL, &id), REPCONV_OK);
      assert_int_equal(id, i);
    }
  }
  assert_int_equal(rc_graph_find_tensor(&g, "t"), -1);
  assert_int_equal(rc_graph_find_tensor(&g, "t5000"), -1);
  rc_graph_free(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builder_valid),        cmocka_unit_test(test_builder_errors),
      cmocka_unit_test(test_finish_errors),        cmocka_unit_test(test_topo_order_and_cycles),
      cmocka_unit_test(test_shape_attr_ranges),    cmocka_unit_test(test_constant_input_rejected),
      cmocka_unit_test(test_patch_shapes),         cmocka_unit_test(test_reshape_overflow),
      cmocka_unit_test(test_input_shape_overflow), cmocka_unit_test(test_absent_inputs),
      cmocka_unit_test(test_output_not_computed),  cmocka_unit_test(test_name_index),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

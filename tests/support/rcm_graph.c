/* Helpers of the .rcm tests (rcm_graph.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/rcm/rcm.h"
#include "tests/support/rcm_graph.h"

uint32_t rd32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
uint64_t rd64(const uint8_t* p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }
void wr32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
void wr64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

rc_shape shape4(int64_t a, int64_t b, int64_t c, int64_t d) {
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = 4;
  s.d[0] = a;
  s.d[1] = b;
  s.d[2] = c;
  s.d[3] = d;
  return s;
}
rc_shape shape1(int64_t a) {
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = 1;
  s.d[0] = a;
  return s;
}

int32_t add_const(rc_graph* g, rc_test_rng* r, const char* name, rc_shape s) {
  size_t n = (size_t)rc_shape_numel(&s);
  float* d = malloc(n * sizeof(float));
  assert_non_null(d);
  rc_test_fill_uniform(r, d, n, -1.0f, 1.0f);
  int32_t id = -1;
  assert_int_equal(rc_graph_add_const(g, name, &s, d, &id), REPCONV_OK);
  free(d);
  return id;
}

int32_t add_node(rc_graph* g, rc_op op, const char* name, const int32_t* in, int32_t n, const rc_attrs* a,
                 const char* out) {
  int32_t id = -1;
  rc_status s = rc_graph_add_node(g, op, name, in, n, a, out, &id);
  if (s != REPCONV_OK) fail_msg("add_node %s: %s", name, rc_error_message());
  return id;
}

/* A graph that uses every attribute kind the brief names, an optional input
 * left out (-1), a rank-0 constant, a NaN weight, two inputs listed in an
 * order that differs from tensor order, and a node declared before the node
 * that produces its input. */
void build_graph(rc_graph* g) {
  rc_test_rng r;
  rc_test_rng_seed(&r, 42);
  rc_graph_init(g);
  rc_shape xs = shape4(1, 4, 8, 8);
  int32_t x, y;
  assert_int_equal(rc_graph_add_input(g, "x", &xs, &x), REPCONV_OK);
  rc_shape ys = shape4(1, 8, 8, 8);
  assert_int_equal(rc_graph_add_input(g, "y", &ys, &y), REPCONV_OK);

  int32_t w1 = add_const(g, &r, "conv1.weight", shape4(8, 4, 3, 3));
  g->tensors[w1].data[5] = NAN; /* stored as is */
  int32_t b1 = add_const(g, &r, "conv1.bias", shape1(8));
  rc_attrs a = rc_attrs_default();
  a.kernel[0] = a.kernel[1] = 3;
  a.pad[0] = 1, a.pad[1] = 1, a.pad[2] = 1, a.pad[3] = 1;
  int32_t in3[3] = {x, w1, b1};
  int32_t c1 = add_node(g, RC_OP_CONV2D, "conv1", in3, 3, &a, "c1");

  int32_t w2 = add_const(g, &r, "conv2.weight", shape4(8, 2, 1, 3));
  a = rc_attrs_default();
  a.kernel[0] = 1, a.kernel[1] = 3;
  a.stride[0] = 1, a.stride[1] = 1;
  a.dilation[0] = 1, a.dilation[1] = 2;
  a.pad[0] = 0, a.pad[1] = 2, a.pad[2] = 0, a.pad[3] = 2;
  a.groups = 4;
  int32_t in3b[3] = {c1, w2, -1};
  int32_t c2 = add_node(g, RC_OP_CONV2D, "conv2", in3b, 3, &a, "c2");

  int32_t bn_in[5] = {c2, add_const(g, &r, "bn.gamma", shape1(8)), add_const(g, &r, "bn.beta", shape1(8)),
                      add_const(g, &r, "bn.mean", shape1(8)), add_const(g, &r, "bn.var", shape1(8))};
  a = rc_attrs_default();
  a.eps = 1e-5f;
  int32_t bn = add_node(g, RC_OP_BATCHNORM, "bn", bn_in, 5, &a, "bn_out");

  int32_t k = add_const(g, &r, "shift", shape4(1, 8, 1, 1));
  int32_t add_in[2] = {bn, k};
  int32_t added = add_node(g, RC_OP_ADD, "add_shift", add_in, 2, NULL, "added");
  int32_t add2_in[2] = {added, y};
  int32_t added2 = add_node(g, RC_OP_ADD, "add_y", add2_in, 2, NULL, "added2");

  rc_shape scalar;
  memset(&scalar, 0, sizeof(scalar));
  int32_t sc = -1;
  float two = 2.0f;
  assert_int_equal(rc_graph_add_const(g, "two", &scalar, &two, &sc), REPCONV_OK);
  int32_t mul_in[2] = {added2, sc};
  int32_t mul = add_node(g, RC_OP_MUL, "mul_two", mul_in, 2, NULL, "scaled");

  int32_t cat_in[3] = {bn, mul, added};
  a = rc_attrs_default();
  a.axis = 1;
  int32_t cat = add_node(g, RC_OP_CONCAT, "cat", cat_in, 3, &a, "cat_out");

  int32_t pv = add_const(g, &r, "pad.values", shape1(24));
  a = rc_attrs_default();
  a.pad[0] = 1, a.pad[1] = 2, a.pad[2] = 3, a.pad[3] = 4;
  int32_t pad_in[2] = {cat, pv};
  int32_t padded = add_node(g, RC_OP_PAD, "pad", pad_in, 2, &a, "padded");

  a = rc_attrs_default();
  a.kernel[0] = 3, a.kernel[1] = 2;
  a.stride[0] = 2, a.stride[1] = 1;
  a.pad[0] = 1, a.pad[1] = 0, a.pad[2] = 1, a.pad[3] = 0;
  a.ceil_mode = 1;
  a.count_include_pad = 0;
  int32_t pool = add_node(g, RC_OP_AVGPOOL, "pool", &padded, 1, &a, "pooled");

  a = rc_attrs_default();
  a.min = -0.5f;
  a.max = 6.0f;
  int32_t clip = add_node(g, RC_OP_CLIP, "clip", &pool, 1, &a, "clipped");

  a = rc_attrs_default();
  a.block = 2;
  a.mode = 1;
  int32_t d2s = add_node(g, RC_OP_DEPTH_TO_SPACE, "d2s", &clip, 1, &a, "d2s_out");

  /* Declared before its input's producer. */
  int32_t late = -1, after = -1;
  assert_int_equal(rc_graph_add_value(g, "late", &late), REPCONV_OK);
  assert_int_equal(rc_graph_add_value(g, "after", &after), REPCONV_OK);
  a = rc_attrs_default();
  a.alpha = 0.125f;
  assert_int_equal(rc_graph_add_node_to(g, RC_OP_LEAKY_RELU, "leaky", &late, 1, &a, after), REPCONV_OK);
  assert_int_equal(rc_graph_add_node_to(g, RC_OP_IDENTITY, "ident", &d2s, 1, NULL, late), REPCONV_OK);

  a = rc_attrs_default();
  a.reshape_ndim = 2;
  a.reshape[0] = 0;
  a.reshape[1] = -1;
  int32_t flat = add_node(g, RC_OP_RESHAPE, "reshape", &after, 1, &a, "flat");

  (void)add_const(g, &r, "unused.weight", shape4(3, 5, 1, 1)); /* a constant no node reads */

  assert_int_equal(rc_graph_add_output(g, flat), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(g, d2s), REPCONV_OK);
  /* The file keeps this order, not tensor order. */
  g->inputs[0] = y;
  g->inputs[1] = x;
}

void expect_same_attrs(const char* node, const rc_attrs* a, const rc_attrs* b) {
  /* field by field (floats bit for bit) so a mismatch names the field */
#define SAME_I(f) \
  if (a->f != b->f) fail_msg("node %s: attr " #f " %lld != %lld", node, (long long)a->f, (long long)b->f)
#define SAME_F(f)                               \
  if (memcmp(&a->f, &b->f, sizeof(float)) != 0) \
  fail_msg("node %s: attr " #f " %.9g != %.9g", node, (double)a->f, (double)b->f)
  for (int k = 0; k < 2; k++) {
    SAME_I(kernel[k]);
    SAME_I(stride[k]);
    SAME_I(dilation[k]);
    SAME_I(scale[k]);
  }
  for (int k = 0; k < 4; k++) {
    SAME_I(pad[k]);
    SAME_I(reshape[k]);
  }
  SAME_I(groups);
  SAME_I(ceil_mode);
  SAME_I(count_include_pad);
  SAME_I(axis);
  SAME_I(block);
  SAME_I(mode);
  SAME_I(reshape_ndim);
  SAME_F(alpha);
  SAME_F(beta);
  SAME_F(eps);
  SAME_F(min);
  SAME_F(max);
#undef SAME_I
#undef SAME_F
}

void expect_same_graph(const rc_graph* a, const rc_graph* b) {
  assert_int_equal(a->n_tensors, b->n_tensors);
  for (int32_t i = 0; i < a->n_tensors; i++) {
    const rc_tensor* ta = &a->tensors[i];
    const rc_tensor* tb = &b->tensors[i];
    assert_string_equal(ta->name, tb->name);
    assert_int_equal(ta->kind, tb->kind);
    assert_int_equal(ta->producer, tb->producer);
    if (ta->kind == RC_TENSOR_VALUE) continue; /* value shapes are inferred, not stored */
    if (!rc_shape_equal(&ta->shape, &tb->shape)) fail_msg("tensor %s: shape differs", ta->name);
    if (ta->kind == RC_TENSOR_CONST) {
      size_t n = (size_t)rc_shape_numel(&ta->shape);
      assert_non_null(tb->data);
      if (memcmp(ta->data, tb->data, n * sizeof(float)) != 0) fail_msg("tensor %s: data differs", ta->name);
    }
  }
  assert_int_equal(a->n_nodes, b->n_nodes);
  for (int32_t i = 0; i < a->n_nodes; i++) {
    const rc_node* na = &a->nodes[i];
    const rc_node* nb = &b->nodes[i];
    assert_string_equal(na->name, nb->name);
    assert_int_equal(na->op, nb->op);
    assert_int_equal(na->n_inputs, nb->n_inputs);
    for (int32_t k = 0; k < na->n_inputs; k++) assert_int_equal(na->inputs[k], nb->inputs[k]);
    assert_int_equal(na->output, nb->output);
    expect_same_attrs(na->name, &na->a, &nb->a);
  }
  assert_int_equal(a->n_inputs, b->n_inputs);
  for (int32_t i = 0; i < a->n_inputs; i++) assert_int_equal(a->inputs[i], b->inputs[i]);
  assert_int_equal(a->n_outputs, b->n_outputs);
  for (int32_t i = 0; i < a->n_outputs; i++) assert_int_equal(a->outputs[i], b->outputs[i]);
}

void expect_borrowed_aligned(const rc_graph* g) {
  int consts = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const rc_tensor* t = &g->tensors[i];
    if (t->kind != RC_TENSOR_CONST) continue;
    consts++;
    assert_int_equal(t->data_owned, 0);
    assert_int_equal((uintptr_t)t->data % 64, 0);
    assert_true((const uint8_t*)t->data >= (const uint8_t*)g->blob);
    assert_true((const uint8_t*)t->data < (const uint8_t*)g->blob + g->blob_size);
  }
  assert_true(consts > 5);
}

/* The saved image of the test graph (malloc'd). */
uint8_t* saved_image(size_t* size) {
  rc_graph g;
  build_graph(&g);
  void* data = NULL;
  assert_int_equal(rc_rcm_save_memory(&g, &data, size), REPCONV_OK);
  rc_graph_free(&g);
  return data;
}

/* The same without the NaN weight (model load refuses NaN constants), so
 * that mutants can go on to run. */
uint8_t* saved_image_finite(size_t* size) {
  rc_graph g;
  build_graph(&g);
  g.tensors[rc_graph_find_tensor(&g, "conv1.weight")].data[5] = 0.25f;
  void* data = NULL;
  assert_int_equal(rc_rcm_save_memory(&g, &data, size), REPCONV_OK);
  rc_graph_free(&g);
  return data;
}

/* Loads the image (copied to an exact-size buffer) and frees the graph. */
rc_status load_copy(const uint8_t* img, size_t size) {
  rc_graph g;
  rc_graph_init(&g);
  rc_status s = rc_rcm_load_memory(img, size, &g);
  rc_graph_free(&g);
  return s;
}

void expect_error(const uint8_t* img, size_t size, rc_status want, const char* const* words) {
  rc_status s = load_copy(img, size);
  const char* msg = rc_error_message();
  if (s != want) fail_msg("status %d, want %d (%s)", s, want, msg);
  for (; *words; words++) {
    if (!strstr(msg, *words)) fail_msg("message \"%s\" lacks \"%s\"", msg, *words);
  }
}

size_t tensor_rec(const uint8_t* img, int32_t i) { return (size_t)rd64(img + OFF_TENSORS) + (size_t)i * 56; }
size_t node_rec(const uint8_t* img, int32_t i) { return (size_t)rd64(img + OFF_NODES) + (size_t)i * 152; }

/* Tests of the .rcm loader and saver: a round trip through memory and a file
 * that must reproduce every tensor, attribute, node and input/output list and
 * re-save to identical bytes; then hostile images (every truncation, 2000
 * fixed-seed mutations, a newer version, bad magic, misaligned data, bad ids)
 * that must fail cleanly with a message naming what is wrong. A mutant that
 * loads goes on as a user's file would: model load with folding off and on,
 * session, run (tests/fuzz/fuzz_common.c, as the fuzz targets do). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/fuzz/fuzz_common.h"
#include "runtime/graph/graph.h"
#include "repconv.h"
#include "runtime/rcm/rcm.h"
#include "tests/support/test_util.h"

/* Header and record field offsets, as docs/rcm-format.md states them. */
enum {
  OFF_MAJOR = 4,
  OFF_MINOR = 6,
  OFF_FILE_SIZE = 16,
  OFF_N_TENSORS = 24,
  OFF_N_NODES = 28,
  OFF_TENSORS = 72,
  OFF_NODES = 80,
  OFF_NODE_INPUTS = 88,
  OFF_IO = 96,
  OFF_DATA = 104,
  REC_T_NAME = 0,
  REC_T_KIND = 4,
  REC_T_DIMS = 8,
  REC_T_DATA_OFF = 40,
  REC_N_OP = 0,
  REC_N_N_INPUTS = 8,
  REC_N_FIRST_INPUT = 12,
  REC_N_OUTPUT = 16,
  REC_N_RESHAPE_NDIM = 112
};

static uint32_t rd32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t* p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }
static void wr32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void wr64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static rc_shape shape4(int64_t a, int64_t b, int64_t c, int64_t d) {
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = 4;
  s.d[0] = a;
  s.d[1] = b;
  s.d[2] = c;
  s.d[3] = d;
  return s;
}
static rc_shape shape1(int64_t a) {
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = 1;
  s.d[0] = a;
  return s;
}

static int32_t add_const(rc_graph* g, rc_test_rng* r, const char* name, rc_shape s) {
  size_t n = (size_t)rc_shape_numel(&s);
  float* d = malloc(n * sizeof(float));
  assert_non_null(d);
  rc_test_fill_uniform(r, d, n, -1.0f, 1.0f);
  int32_t id = -1;
  assert_int_equal(rc_graph_add_const(g, name, &s, d, &id), REPCONV_OK);
  free(d);
  return id;
}

static int32_t add_node(rc_graph* g, rc_op op, const char* name, const int32_t* in, int32_t n, const rc_attrs* a,
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
static void build_graph(rc_graph* g) {
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

static void expect_same_attrs(const char* node, const rc_attrs* a, const rc_attrs* b) {
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

static void expect_same_graph(const rc_graph* a, const rc_graph* b) {
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

static void expect_borrowed_aligned(const rc_graph* g) {
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
static uint8_t* saved_image(size_t* size) {
  rc_graph g;
  build_graph(&g);
  void* data = NULL;
  assert_int_equal(rc_rcm_save_memory(&g, &data, size), REPCONV_OK);
  rc_graph_free(&g);
  return data;
}

/* The same without the NaN weight (model load refuses NaN constants), so
 * that mutants can go on to run. */
static uint8_t* saved_image_finite(size_t* size) {
  rc_graph g;
  build_graph(&g);
  g.tensors[rc_graph_find_tensor(&g, "conv1.weight")].data[5] = 0.25f;
  void* data = NULL;
  assert_int_equal(rc_rcm_save_memory(&g, &data, size), REPCONV_OK);
  rc_graph_free(&g);
  return data;
}

static void test_round_trip_memory(void** state) {
  (void)state;
  rc_graph g;
  build_graph(&g);
  void* img = NULL;
  size_t size = 0;
  assert_int_equal(rc_rcm_save_memory(&g, &img, &size), REPCONV_OK);
  assert_true(size > 128);
  assert_int_equal(size % 64, 0);
  assert_memory_equal(img, "RCM\0", 4);
  assert_int_equal(rd64((uint8_t*)img + OFF_FILE_SIZE), size);

  rc_graph h;
  rc_graph_init(&h);
  rc_status s = rc_rcm_load_memory(img, size, &h);
  if (s != REPCONV_OK) fail_msg("load: %s", rc_error_message());
  assert_int_equal(h.blob_mapped, 0);
  expect_same_graph(&g, &h);
  expect_borrowed_aligned(&h);

  void* img2 = NULL;
  size_t size2 = 0;
  assert_int_equal(rc_rcm_save_memory(&h, &img2, &size2), REPCONV_OK);
  assert_int_equal(size2, size);
  assert_memory_equal(img, img2, size);
  free(img2);

  /* The loaded graph topo-sorts (the out-of-order node is fine). */
  int32_t* order = malloc((size_t)h.n_nodes * sizeof(int32_t));
  assert_non_null(order);
  assert_int_equal(rc_graph_topo_order(&h, order), REPCONV_OK);
  free(order);

  free(img);
  rc_graph_free(&h);
  rc_graph_free(&g);
}

static void test_round_trip_file(void** state) {
  (void)state;
  char path[512], path2[512];
  rc_test_tmp_path("test_rcm_round_trip.rcm", path, sizeof(path));
  rc_test_tmp_path("test_rcm_round_trip2.rcm", path2, sizeof(path2));
  rc_graph g;
  build_graph(&g);
  rc_status s = rc_rcm_save_file(&g, path);
  if (s != REPCONV_OK) fail_msg("save: %s", rc_error_message());

  rc_graph h;
  rc_graph_init(&h);
  s = rc_rcm_load_file(path, &h);
  if (s != REPCONV_OK) fail_msg("load: %s", rc_error_message());
  assert_int_equal(h.blob_mapped, 0); /* read, not mapped: see test_file_truncated_while_loaded */
  expect_same_graph(&g, &h);
  expect_borrowed_aligned(&h);

  /* Memory and file images are the same bytes. */
  void* img = NULL;
  size_t size = 0;
  assert_int_equal(rc_rcm_save_memory(&g, &img, &size), REPCONV_OK);
  assert_int_equal(rc_rcm_save_file(&h, path2), REPCONV_OK);
  FILE* f = fopen(path2, "rb");
  assert_non_null(f);
  uint8_t* back = malloc(size + 1);
  assert_non_null(back);
  size_t got = fread(back, 1, size + 1, f);
  fclose(f);
  assert_int_equal(got, size);
  assert_memory_equal(back, img, size);
  free(back);
  free(img);
  remove(path2);
  remove(path);
  rc_graph_free(&h);
  rc_graph_free(&g);
}

static void test_empty_graph(void** state) {
  (void)state;
  rc_graph g, h;
  rc_graph_init(&g);
  void* img = NULL;
  size_t size = 0;
  assert_int_equal(rc_rcm_save_memory(&g, &img, &size), REPCONV_OK);
  rc_graph_init(&h);
  assert_int_equal(rc_rcm_load_memory(img, size, &h), REPCONV_OK);
  assert_int_equal(h.n_tensors, 0);
  assert_int_equal(h.n_nodes, 0);
  rc_graph_free(&h);
  free(img);
}

/* Loads the image (copied to an exact-size buffer) and frees the graph. */
static rc_status load_copy(const uint8_t* img, size_t size) {
  rc_graph g;
  rc_graph_init(&g);
  rc_status s = rc_rcm_load_memory(img, size, &g);
  rc_graph_free(&g);
  return s;
}

static void expect_error(const uint8_t* img, size_t size, rc_status want, const char* const* words) {
  rc_status s = load_copy(img, size);
  const char* msg = rc_error_message();
  if (s != want) fail_msg("status %d, want %d (%s)", s, want, msg);
  for (; *words; words++) {
    if (!strstr(msg, *words)) fail_msg("message \"%s\" lacks \"%s\"", msg, *words);
  }
}

static void test_truncation(void** state) {
  (void)state;
  size_t size;
  uint8_t* img = saved_image(&size);
  for (size_t len = 0; len < size; len++) {
    uint8_t* cut = malloc(len ? len : 1);
    assert_non_null(cut);
    memcpy(cut, img, len);
    rc_status s = load_copy(cut, len);
    if (s == REPCONV_OK) fail_msg("truncated to %zu of %zu bytes: loaded", len, size);
    assert_int_equal(s, REPCONV_ERROR_FORMAT);
    free(cut);
  }
  /* A truncated file names the sizes. */
  const char* words[] = {"truncated", "<memory>", NULL};
  expect_error(img, size - 64, REPCONV_ERROR_FORMAT, words);
  free(img);
}

/* A mutant that parses: model load (folding off, BN-only, and with full
 * when full is set: folding this graph whole takes ~50 ms, so only every
 * 20th mutant does), session and run on small inputs; returns how many
 * loads ran. Crashes and broken promises (a second run that differs) abort. */
static int run_mutant(const uint8_t* img, size_t size, int full) {
  static const int levels[3] = {REPCONV_FOLD_OFF, REPCONV_FOLD_BN, REPCONV_FOLD_FULL};
  int ran = 0;
  for (int k = 0; k < (full ? 3 : 2); k++) {
    rc_fuzz_cfg cfg = rc_fuzz_config(img, size);
    cfg.fold = levels[k];
    repconv_options_t* o = rc_fuzz_options(&cfg);
    assert_non_null(o);
    repconv_model_t* model = NULL;
    if (repconv_model_load_memory(img, size, o, &model) == REPCONV_OK) {
      ran += rc_fuzz_run_model(model, &cfg, NULL, 0);
      repconv_model_destroy(model);
    } else {
      assert_true(repconv_last_error()[0] != '\0');
    }
    repconv_options_destroy(o);
  }
  return ran;
}

static void test_mutations(void** state) {
  (void)state;
  size_t size;
  uint8_t* img = saved_image_finite(&size);
  size_t meta = (size_t)rd64(img + OFF_DATA); /* header and tables; mutate these mostly */
  uint8_t* m = malloc(size);
  assert_non_null(m);
  rc_test_rng r;
  rc_test_rng_seed(&r, 7);
  static const uint32_t huge32[] = {0xffffffffu, 0x7fffffffu, 0x80000000u, 0x10000000u, 0x01000001u, 4097u, 255u};
  int ok = 0, failed = 0, ran = 0;
  for (int it = 0; it < 2000; it++) {
    memcpy(m, img, size);
    int kind = rc_test_rng_int(&r, 0, 3);
    size_t at = (size_t)rc_test_rng_int(&r, 0, (int)((it % 8 == 0 ? size : meta) - 1));
    switch (kind) {
      case 0: m[at] ^= (uint8_t)rc_test_rng_int(&r, 1, 255); break;
      case 1:
        at &= ~(size_t)3;
        if (at + 4 <= size) wr32(m + at, huge32[rc_test_rng_int(&r, 0, 6)]);
        break;
      case 2:
        at &= ~(size_t)7;
        if (at + 8 <= size) wr64(m + at, (uint64_t)size + (uint64_t)rc_test_rng_int(&r, -200, 200));
        break;
      default:
        at &= ~(size_t)3;
        if (at + 4 <= size) wr32(m + at, rd32(m + at) + (uint32_t)rc_test_rng_int(&r, -3, 3));
        break;
    }
    rc_graph g;
    rc_graph_init(&g);
    rc_status s = rc_rcm_load_memory(m, size, &g);
    if (s == REPCONV_OK) {
      ok++;
      /* Anything that loads saves and loads again. */
      void* again = NULL;
      size_t again_size = 0;
      rc_status s2 = rc_rcm_save_memory(&g, &again, &again_size);
      if (s2 != REPCONV_OK) fail_msg("mutation %d at %zu: loaded but does not save: %s", it, at, rc_error_message());
      assert_int_equal(load_copy(again, again_size), REPCONV_OK);
      free(again);
      ran += run_mutant(m, size, ok % 20 == 1);
    } else {
      failed++;
      assert_true(s == REPCONV_ERROR_FORMAT || s == REPCONV_ERROR_VERSION);
      assert_true(rc_error_message()[0] != '\0');
    }
    rc_graph_free(&g);
  }
  print_message("mutations: %d loaded, %d refused; %d runs of loaded mutants (fold off, bn, full)\n", ok, failed, ran);
  assert_true(failed > 500);
  assert_true(ran > 100); /* the run half is not vacuous */
  free(m);
  free(img);
}

static void test_newer_version(void** state) {
  (void)state;
  size_t size;
  uint8_t* img = saved_image(&size);
  img[OFF_MAJOR] = 2;
  img[OFF_MINOR] = 0;
  const char* words[] = {"newer", "2.0", "1.x", NULL};
  expect_error(img, size, REPCONV_ERROR_VERSION, words);

  /* Through a file: the message names it. */
  char path[512];
  rc_test_tmp_path("test_rcm_v2.rcm", path, sizeof(path));
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(img, 1, size, f), size);
  fclose(f);
  rc_graph g;
  rc_graph_init(&g);
  assert_int_equal(rc_rcm_load_file(path, &g), REPCONV_ERROR_VERSION);
  assert_non_null(strstr(rc_error_message(), "test_rcm_v2.rcm: format version 2.0 is newer"));
  rc_graph_free(&g);
  remove(path);

  /* A newer minor version of 1.x still loads. */
  img[OFF_MAJOR] = 1;
  img[OFF_MINOR] = 3;
  assert_int_equal(load_copy(img, size), REPCONV_OK);
  /* Version 0.x does not exist. */
  img[OFF_MAJOR] = 0;
  const char* w0[] = {"version 0.3", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w0);
  free(img);
}

static void test_bad_magic(void** state) {
  (void)state;
  size_t size;
  uint8_t* img = saved_image(&size);
  img[1] = 'X';
  const char* words[] = {"offset 0x0", "not an .rcm file", "magic", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, words);
  free(img);
}

/* Offset of tensor i's record. */
static size_t tensor_rec(const uint8_t* img, int32_t i) { return (size_t)rd64(img + OFF_TENSORS) + (size_t)i * 56; }
static size_t node_rec(const uint8_t* img, int32_t i) { return (size_t)rd64(img + OFF_NODES) + (size_t)i * 152; }

static void test_misaligned_data(void** state) {
  (void)state;
  size_t size;
  uint8_t* img = saved_image(&size);
  int32_t nt = (int32_t)rd32(img + OFF_N_TENSORS);
  int32_t c = -1;
  for (int32_t i = 0; i < nt && c < 0; i++) {
    if (img[tensor_rec(img, i) + REC_T_KIND] == RC_TENSOR_CONST) c = i;
  }
  assert_true(c >= 0);
  size_t rec = tensor_rec(img, c);
  wr64(img + rec + REC_T_DATA_OFF, rd64(img + rec + REC_T_DATA_OFF) + 4);
  char where[64];
  snprintf(where, sizeof(where), "offset 0x%zx", rec + REC_T_DATA_OFF);
  const char* words[] = {where, "conv1.weight", "not 64-byte aligned", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, words);

  /* The data section offset itself. */
  uint8_t* img2 = saved_image(&size);
  wr64(img2 + OFF_DATA, rd64(img2 + OFF_DATA) + 8);
  wr64(img2 + OFF_DATA + 8, rd64(img2 + OFF_DATA + 8) - 8);
  const char* w2[] = {"data section offset", "aligned", NULL};
  expect_error(img2, size, REPCONV_ERROR_FORMAT, w2);
  free(img2);
  free(img);
}

static void test_bad_ids(void** state) {
  (void)state;
  size_t size;
  uint8_t* img = saved_image(&size);
  /* Node 0 ("conv1") input 1 → tensor 9999. */
  size_t first = (size_t)rd64(img + OFF_NODE_INPUTS);
  wr32(img + first + 4, 9999);
  char where[64];
  snprintf(where, sizeof(where), "offset 0x%zx:", first + 4);
  char of[64];
  snprintf(of, sizeof(of), "of %u", (unsigned)rd32(img + OFF_N_TENSORS));
  const char* words[] = {where, "node 0 ('conv1') input 1 refers to tensor 9999", of, NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, words);
  wr32(img + first + 4, 0xfffffffe); /* -2 */
  const char* w_neg[] = {"refers to tensor -2", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_neg);
  wr32(img + first, 0xffffffff); /* input 0 absent */
  const char* w_abs[] = {"input 0 is absent", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_abs);
  free(img);

  /* Issue 11 item 4: concat ("cat", node 6) input 1 absent was accepted
   * and shape inference dereferenced NULL. Only a bias or pad values may be
   * absent. */
  img = saved_image(&size);
  size_t cat = node_rec(img, 6);
  assert_int_equal(rd32(img + cat + REC_N_OP), RC_OP_CONCAT);
  size_t cat_in1 = first + ((size_t)rd32(img + cat + REC_N_FIRST_INPUT) + 1) * 4;
  wr32(img + cat_in1, 0xffffffff);
  char cat_where[64];
  snprintf(cat_where, sizeof(cat_where), "offset 0x%zx:", cat_in1);
  const char* w_cat[] = {cat_where, "node 6 ('cat', concat) input 1 is absent (-1)", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_cat);
  repconv_model_t* model = NULL;
  assert_int_equal(repconv_model_load_memory(img, size, NULL, &model), REPCONV_ERROR_FORMAT);
  assert_null(model);
  free(img);

  /* Output of node 0 → a constant; then → a tensor another node writes. */
  img = saved_image(&size);
  size_t n0 = node_rec(img, 0), n1 = node_rec(img, 1);
  wr32(img + n0 + REC_N_OUTPUT, 2); /* conv1.weight */
  const char* w_const[] = {"node 0 ('conv1') writes constant tensor 2 ('conv1.weight')", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_const);
  wr32(img + n0 + REC_N_OUTPUT, rd32(img + n1 + REC_N_OUTPUT));
  const char* w_twice[] = {"node 1 ('conv2')", "another node already writes", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_twice);
  free(img);

  /* Op code, input count, reshape rank. */
  img = saved_image(&size);
  wr32(img + n0 + REC_N_OP, RC_OP_COUNT);
  const char* w_op[] = {"node 0 ('conv1') has op code", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_op);
  free(img);
  img = saved_image(&size);
  wr32(img + n0 + REC_N_N_INPUTS, 100000);
  const char* w_nin[] = {"100000 inputs", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_nin);
  wr32(img + n0 + REC_N_N_INPUTS, 4000);
  const char* w_range[] = {"beyond the node input list", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_range);
  free(img);
  img = saved_image(&size);
  wr32(img + n0 + REC_N_RESHAPE_NDIM, 5);
  const char* w_rs[] = {"reshape rank 5", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_rs);
  free(img);

  /* Graph output list → out of range. */
  img = saved_image(&size);
  size_t io = (size_t)rd64(img + OFF_IO);
  wr32(img + io + 2 * 4, 12345);
  const char* w_out[] = {"graph output 0 refers to tensor 12345", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_out);
  /* Graph input list → a constant. */
  free(img);
  img = saved_image(&size);
  wr32(img + io, 2);
  const char* w_in[] = {"graph input 0 is constant tensor 2", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_in);
  free(img);
}

static void test_bad_tensors(void** state) {
  (void)state;
  size_t size;
  uint8_t* img = saved_image(&size);
  size_t t0 = tensor_rec(img, 0), t1 = tensor_rec(img, 1), t2 = tensor_rec(img, 2);
  /* Duplicate name: tensor 1 takes tensor 0's name. */
  wr32(img + t1 + REC_T_NAME, rd32(img + t0 + REC_T_NAME));
  const char* w_dup[] = {"tensor 1 has the name 'x' of tensor 0", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_dup);
  /* Name outside the string table. */
  wr32(img + t1 + REC_T_NAME, 0x7fffffff);
  const char* w_str[] = {"outside the string table", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_str);
  free(img);

  img = saved_image(&size);
  /* Dims: 0, too large, element count too large, kind. */
  wr64(img + t2 + REC_T_DIMS, 0);
  const char* w_d0[] = {"tensor 2 ('conv1.weight'): dimension 0 is 0", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_d0);
  wr64(img + t2 + REC_T_DIMS, (uint64_t)1 << 40);
  const char* w_big[] = {"dimension 0 is 1099511627776", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_big);
  wr64(img + t2 + REC_T_DIMS, 9);
  const char* w_size[] = {"data size 1152 bytes, expected 1296", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_size);
  for (int k = 0; k < 4; k++) wr64(img + t2 + REC_T_DIMS + 8 * k, (uint64_t)1 << 24);
  const char* w_many[] = {"more than", "elements", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_many);
  free(img);
  img = saved_image(&size);
  img[t2 + REC_T_KIND] = 7;
  const char* w_kind[] = {"kind 7", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_kind);
  free(img);

  /* Counts larger than the file can hold. */
  img = saved_image(&size);
  wr32(img + OFF_N_TENSORS, 0x00ffffff);
  const char* w_cnt[] = {"tensor table", "past the end of the file", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_cnt);
  wr32(img + OFF_N_TENSORS, 0xffffffff);
  const char* w_lim[] = {"tensor count", "exceeds the limit", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_lim);
  free(img);
  img = saved_image(&size);
  wr32(img + OFF_N_NODES, 0x00ffffff);
  const char* w_nodes[] = {"node", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_nodes);
  free(img);
  img = saved_image(&size);
  wr64(img + OFF_TENSORS, UINT64_MAX - 8);
  const char* w_off[] = {"tensor table offset", "beyond the end of the file", NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, w_off);
  free(img);
}

/* patch_partition / patch_merge: op codes and grids survive a save/load, and
 * a hostile grid in the file is refused when the graph's shapes are
 * inferred (the loader checks ids and offsets, shape inference every
 * attribute), with an error naming the node and the input shape. */
static void test_patch_ops(void** state) {
  (void)state;
  rc_graph g;
  rc_graph_init(&g);
  rc_shape xs = shape4(2, 3, 6, 4);
  int32_t x;
  assert_int_equal(rc_graph_add_input(&g, "x", &xs, &x), REPCONV_OK);
  rc_attrs a = rc_attrs_default();
  a.scale[0] = 3;
  a.scale[1] = 2;
  int32_t p = add_node(&g, RC_OP_PATCH_PARTITION, "part", &x, 1, &a, "patches");
  int32_t r = add_node(&g, RC_OP_RELU, "relu", &p, 1, NULL, "act");
  int32_t m = add_node(&g, RC_OP_PATCH_MERGE, "merge", &r, 1, &a, "merged");
  assert_int_equal(rc_graph_add_output(&g, m), REPCONV_OK);
  void* img = NULL;
  size_t size = 0;
  assert_int_equal(rc_rcm_save_memory(&g, &img, &size), REPCONV_OK);
  assert_int_equal(rd32((uint8_t*)img + node_rec(img, 0)), 22); /* codes are part of the format */
  assert_int_equal(rd32((uint8_t*)img + node_rec(img, 2)), 23);
  rc_graph h;
  rc_graph_init(&h);
  if (rc_rcm_load_memory(img, size, &h) != REPCONV_OK) fail_msg("load: %s", rc_error_message());
  expect_same_graph(&g, &h);
  assert_int_equal(rc_graph_infer_shapes(&h), REPCONV_OK);
  const rc_shape* ps = &h.tensors[h.nodes[0].output].shape;
  assert_int_equal(ps->d[0], 12);
  assert_int_equal(ps->d[2], 2);
  assert_int_equal(ps->d[3], 2);
  assert_true(rc_shape_equal(&h.tensors[h.nodes[2].output].shape, &xs));
  rc_graph_free(&h);

  uint8_t* bad = malloc(size);
  assert_non_null(bad);
  /* grid values: zero, negative, past the bound, not dividing H = 6 */
  static const int32_t grids[] = {0, -1, 1 << 30, 4};
  for (size_t k = 0; k < sizeof(grids) / sizeof(grids[0]); k++) {
    memcpy(bad, img, size);
    wr32(bad + node_rec(bad, 0) + 84, (uint32_t)grids[k]);
    rc_graph_init(&h);
    assert_int_equal(rc_rcm_load_memory(bad, size, &h), REPCONV_OK);
    rc_status s = rc_graph_infer_shapes(&h);
    if (s != REPCONV_ERROR_SHAPE) fail_msg("grid %d: status %d", grids[k], s);
    const char* msg = rc_error_message();
    if (!strstr(msg, "node 'part' (patch_partition)") || !strstr(msg, "2x3x6x4"))
      fail_msg("grid %d: %s", grids[k], msg);
    rc_graph_free(&h);
  }
  /* an op code past the last one */
  memcpy(bad, img, size);
  wr32(bad + node_rec(bad, 2), 24);
  const char* words[] = {"op code 24", "merge", NULL};
  expect_error(bad, size, REPCONV_ERROR_FORMAT, words);
  free(bad);
  free(img);
  rc_graph_free(&g);
}

static void test_api_misuse(void** state) {
  (void)state;
  size_t size;
  uint8_t* img = saved_image(&size);
  rc_graph g;
  rc_graph_init(&g);
  assert_int_equal(rc_rcm_load_memory(img, size, &g), REPCONV_OK);
  /* Loading into a non-empty graph. */
  assert_int_equal(rc_rcm_load_memory(img, size, &g), REPCONV_ERROR_INVALID_ARGUMENT);
  rc_graph_free(&g);
  rc_graph_init(&g);
  assert_int_equal(rc_rcm_load_file("/nonexistent/dir/model.rcm", &g), REPCONV_ERROR_IO);
  assert_non_null(strstr(rc_error_message(), "/nonexistent/dir/model.rcm"));
  rc_graph_free(&g);
  free(img);

  /* A graph the loader would refuse is not saved. */
  build_graph(&g);
  g.nodes[0].inputs[1] = 9999;
  void* out = NULL;
  size_t out_size = 0;
  assert_int_equal(rc_rcm_save_memory(&g, &out, &out_size), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_null(out);
  assert_non_null(strstr(rc_error_message(), "refers to tensor 9999"));
  assert_int_equal(rc_rcm_save_file(&g, "/nonexistent/dir/x.rcm"), REPCONV_ERROR_INVALID_ARGUMENT);
  g.nodes[0].inputs[1] = 2;
  assert_int_equal(rc_rcm_save_file(&g, "/nonexistent/dir/x.rcm"), REPCONV_ERROR_IO);
  rc_graph_free(&g);
}

/* Issue 11 item 8: a graph output that no node writes loaded (fold off) as
 * a rank-0 output whose run returned whatever the arena held. The file:
 * build_graph plus relu(x) → "ghost" as an output, and the node count cut
 * by one so that the relu (the last node) is gone. */
static void test_output_without_producer(void** state) {
  (void)state;
  rc_graph g;
  build_graph(&g);
  int32_t x = rc_graph_find_tensor(&g, "x"), ghost;
  assert_int_equal(rc_graph_add_node(&g, RC_OP_RELU, "ghost_node", &x, 1, NULL, "ghost", &ghost), REPCONV_OK);
  assert_int_equal(rc_graph_add_output(&g, ghost), REPCONV_OK);
  void* data = NULL;
  size_t size = 0;
  assert_int_equal(rc_rcm_save_memory(&g, &data, &size), REPCONV_OK);
  rc_graph_free(&g);
  uint8_t* img = data;
  wr32(img + OFF_N_NODES, rd32(img + OFF_N_NODES) - 1);
  char what[96];
  snprintf(what, sizeof(what), "value tensor %d ('ghost'), which no node computes", ghost);
  const char* words[] = {"graph output 2", what, NULL};
  expect_error(img, size, REPCONV_ERROR_FORMAT, words);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_model_load_memory(img, size, o, &m), REPCONV_ERROR_FORMAT);
  assert_null(m);
  assert_non_null(strstr(repconv_last_error(), "ghost"));
  repconv_options_destroy(o);
  free(img);
}

/* Issue 11 item 8: with fold off the constants point into the loaded image;
 * when that was a mapping of the file, truncating the file under a loaded
 * model made the next read of a weight raise SIGBUS. The reference backend
 * reads the weights from the image on every run. */
static void test_file_truncated_while_loaded(void** state) {
  (void)state;
  char path[512];
  rc_test_tmp_path("test_rcm_truncated.rcm", path, sizeof(path));
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, REPCONV_BACKEND_REF), REPCONV_OK);
  const int64_t shape[4] = {1, 3, 32, 32};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, shape), REPCONV_OK);
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_model_load("repvgg-a0", o, &m), REPCONV_OK);
  assert_int_equal(repconv_model_save(m, path), REPCONV_OK);
  repconv_model_destroy(m);
  m = NULL;
  if (repconv_model_load(path, o, &m) != REPCONV_OK) fail_msg("load: %s", repconv_last_error());
  FILE* f = fopen(path, "wb"); /* truncates it to 0 bytes */
  assert_non_null(f);
  fclose(f);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  repconv_tensor_info_t oi;
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  size_t n_out = 1;
  for (int i = 0; i < oi.ndim; i++) n_out *= (size_t)oi.dims[i];
  static float in[3 * 32 * 32];
  for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) in[i] = (float)(i % 17) / 17.0f - 0.5f;
  float* out = malloc(n_out * sizeof(float));
  assert_non_null(out);
  repconv_tensor_t ti = {.name = NULL, .ndim = 4, .dims = {1, 3, 32, 32}, .data = in};
  repconv_tensor_info_t ii;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  ti.name = ii.name;
  repconv_tensor_t to = {.name = oi.name, .ndim = oi.ndim, .data = out};
  for (int i = 0; i < oi.ndim; i++) to.dims[i] = oi.dims[i];
  if (repconv_session_run(s, &ti, 1, &to, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  for (size_t i = 0; i < n_out; i++) assert_true(isfinite(out[i]));
  free(out);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_options_destroy(o);
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_memory),
      cmocka_unit_test(test_round_trip_file),
      cmocka_unit_test(test_empty_graph),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_mutations),
      cmocka_unit_test(test_newer_version),
      cmocka_unit_test(test_bad_magic),
      cmocka_unit_test(test_misaligned_data),
      cmocka_unit_test(test_bad_ids),
      cmocka_unit_test(test_bad_tensors),
      cmocka_unit_test(test_api_misuse),
      cmocka_unit_test(test_patch_ops),
      cmocka_unit_test(test_output_without_producer),
      cmocka_unit_test(test_file_truncated_while_loaded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

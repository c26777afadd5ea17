/* Tests of the .rcm loader and saver: a round trip through memory and a file
 * that must reproduce every tensor, attribute, node and input/output list and
 * re-save to identical bytes; the empty graph, the patch ops, misuse of the
 * API, an output without a producer, a file truncated under a loaded model.
 * Hostile images: tests/test_rcm_corrupt.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repconv.h"
#include "runtime/graph/graph.h"
#include "runtime/rcm/rcm.h"
#include "tests/support/rcm_graph.h"
#include "tests/support/test_util.h"

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

/* Format 1.1: the symbolic-dims mask of graph inputs round-trips; a graph
 * without one is still written as 1.0; a mask in a 1.0 file, on a
 * constant, or on dims past the rank is refused, naming the tensor. */
static void test_symbolic_dims_mask(void** state) {
  (void)state;
  rc_graph g;
  build_graph(&g);
  size_t size = 0;
  void* img = NULL;
  assert_int_equal(rc_rcm_save_memory(&g, &img, &size), REPCONV_OK);
  assert_int_equal(((uint8_t*)img)[OFF_MINOR], 0);
  free(img);

  assert_int_equal(rc_graph_set_input_dyn(&g, 0, 0x0d), REPCONV_OK); /* N, H, W */
  const int32_t x = g.inputs[0];
  assert_int_equal(rc_rcm_save_memory(&g, &img, &size), REPCONV_OK);
  uint8_t* p = img;
  assert_int_equal(p[OFF_MINOR], 1);
  assert_int_equal(p[tensor_rec(p, x) + REC_T_DYN], 0x0d);
  rc_graph h;
  rc_graph_init(&h);
  if (rc_rcm_load_memory(p, size, &h) != REPCONV_OK) fail_msg("load: %s", rc_error_message());
  assert_int_equal(h.tensors[h.inputs[0]].dyn, 0x0d);
  assert_int_equal(h.tensors[h.inputs[1]].dyn, 0);
  rc_graph_free(&h);

  char quoted[80];
  snprintf(quoted, sizeof(quoted), "'%s'", g.tensors[x].name);
  const char* const words[] = {"symbolic-dims mask", quoted, NULL};
  p[OFF_MINOR] = 0;
  expect_error(p, size, REPCONV_ERROR_FORMAT, words);
  p[OFF_MINOR] = 1;
  p[tensor_rec(p, x) + REC_T_DYN] = 0x10; /* rank 4: bits 0-3 only */
  expect_error(p, size, REPCONV_ERROR_FORMAT, words);
  p[tensor_rec(p, x) + REC_T_DYN] = 0;
  int32_t c = -1;
  for (int32_t i = 0; i < g.n_tensors && c < 0; i++)
    if (g.tensors[i].kind == RC_TENSOR_CONST) c = i;
  assert_true(c >= 0);
  p[tensor_rec(p, c) + REC_T_DYN] = 1;
  const char* const on_const[] = {"symbolic-dims mask", "constant", NULL};
  expect_error(p, size, REPCONV_ERROR_FORMAT, on_const);
  free(img);
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
  wr32(bad + node_rec(bad, 2), RC_OP_COUNT);
  char code[32];
  snprintf(code, sizeof(code), "op code %d", (int)RC_OP_COUNT);
  const char* words[] = {code, "merge", NULL};
  expect_error(bad, size, REPCONV_ERROR_FORMAT, words);
  free(bad);
  free(img);
  rc_graph_free(&g);
}

/* Resize (issue 13): op code 24 and its attributes in the existing record
 * fields (mode, coordinate map in axis, sizes in kernel, scales in
 * alpha/beta, cubic a in eps, exclude_outside in count_include_pad): the
 * record size and the format version stay 1.0, and files without it load
 * as before. */
static void test_resize_op(void** state) {
  (void)state;
  rc_graph g;
  rc_graph_init(&g);
  rc_shape xs = shape4(1, 2, 5, 7);
  int32_t x;
  assert_int_equal(rc_graph_add_input(&g, "x", &xs, &x), REPCONV_OK);
  rc_attrs a = rc_attrs_default();
  a.mode = REPCONV_RESIZE_CUBIC;
  a.axis = REPCONV_RESIZE_ALIGN_CORNERS;
  a.alpha = 2.5f;
  a.beta = 3.0f;
  a.eps = -0.5f;
  a.count_include_pad = 1;
  int32_t r = add_node(&g, RC_OP_RESIZE, "up", &x, 1, &a, "y");
  a.mode = REPCONV_RESIZE_LINEAR;
  a.kernel[0] = 40;
  a.kernel[1] = 31;
  int32_t r2 = add_node(&g, RC_OP_RESIZE, "up2", &r, 1, &a, "z");
  assert_int_equal(rc_graph_add_output(&g, r2), REPCONV_OK);
  void* img = NULL;
  size_t size = 0;
  assert_int_equal(rc_rcm_save_memory(&g, &img, &size), REPCONV_OK);
  assert_int_equal(rd32((uint8_t*)img + node_rec(img, 0)), 24); /* codes are part of the format */
  assert_int_equal(rd32((uint8_t*)img + 4), 1);                 /* major 1, minor 0 */
  rc_graph h;
  rc_graph_init(&h);
  if (rc_rcm_load_memory(img, size, &h) != REPCONV_OK) fail_msg("load: %s", rc_error_message());
  expect_same_graph(&g, &h);
  assert_int_equal(rc_graph_infer_shapes(&h), REPCONV_OK);
  const rc_shape* ys = &h.tensors[h.nodes[0].output].shape;
  assert_int_equal(ys->d[2], 12); /* floor(5 · 2.5) */
  assert_int_equal(ys->d[3], 21);
  const rc_shape* zs = &h.tensors[h.nodes[1].output].shape;
  assert_int_equal(zs->d[2], 40);
  assert_int_equal(zs->d[3], 31);
  rc_graph_free(&h);
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
  const int64_t shape[4] = {1, 1, 32, 32};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, shape), REPCONV_OK);
  repconv_model_t* m = NULL;
  /* ECBSR's trained form: a ~10 KB file (RepVGG-A0's, 36 MB, failed to
   * save on a CI machine with a full disk). */
  assert_int_equal(repconv_model_load("ecbsr-x2", o, &m), REPCONV_OK);
  if (repconv_model_save(m, path) != REPCONV_OK) fail_msg("save: %s", repconv_last_error());
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
  static float in[32 * 32];
  for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) in[i] = (float)(i % 17) / 17.0f - 0.5f;
  float* out = malloc(n_out * sizeof(float));
  assert_non_null(out);
  repconv_tensor_t ti = {.name = NULL, .ndim = 4, .dims = {1, 1, 32, 32}, .data = in};
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
      cmocka_unit_test(test_symbolic_dims_mask),
      cmocka_unit_test(test_round_trip_file),
      cmocka_unit_test(test_empty_graph),
      cmocka_unit_test(test_api_misuse),
      cmocka_unit_test(test_patch_ops),
      cmocka_unit_test(test_resize_op),
      cmocka_unit_test(test_output_without_producer),
      cmocka_unit_test(test_file_truncated_while_loaded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

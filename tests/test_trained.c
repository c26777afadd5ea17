/* The trained built-in ecbsr-x2 and its weight blob (runtime/zoo/wblob.c).
 *
 * - The C model computes the PyTorch train-time model's function: on the
 *   fixture (tests/fixtures/ecbsr_x2: a 1×1×32×48 window of a held-out
 *   image's LR Y, and PyTorch's float32 output of the multi-branch model,
 *   written by tools/train/eval_ecbsr.py), folded and unfolded, on the auto,
 *   reference and Winograd backends. Tolerance 1e-3 absolute on outputs of
 *   0..255 (4e-6 of the range): float32's relative step is 6e-8 (1.5e-5 at
 *   255), and each of the six layers sums up to 16·9·5 products in an order
 *   that differs between PyTorch, our kernels and the folded single conv
 *   (folded in double); measured: PyTorch float32 vs float64 1.8e-5, ours vs
 *   PyTorch 1.5e-5 (ref) to 5.3e-5 (Winograd, folded). 1e-3 is 20 times the
 *   worst of those and 1000 times below the 8-bit step an app rounds to; a
 *   wrong branch, scale, bias, pad ring or tensor order errs by 0.1 and
 *   more.
 * - The graph is the one the random built-in ecbsr-m4c16-x2 has, node for
 *   node (same ops, names, attributes, shapes): only the weights differ.
 * - The blob parser: every corruption (bad magic, version, payload size,
 *   checksum, a tensor renamed, reshaped, missing or extra, any truncation)
 *   fails with REPCONV_ERROR_FORMAT / _VERSION / _SHAPE and a message
 *   naming the blob and what is wrong, never a crash (ASan runs this). */
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
#include "runtime/io/npy.h"
#include "runtime/zoo/trained.h"
#include "runtime/zoo/wblob.h"
#include "runtime/zoo/zoo.h"
#include "tests/support/test_util.h"

enum { HEADER = 20 };

/* ------------------------------------------------- against PyTorch */

static void read_fixture(const char* file, rc_npy* t) {
  const char* dir = rc_test_fixtures();
  char path[1024];
  snprintf(path, sizeof(path), "%s/ecbsr_x2/%s", dir, file);
  if (rc_npy_read_file(path, t) != REPCONV_OK) fail_msg("%s: %s", path, rc_error_message());
}

static void run_case(int fold, repconv_backend be, const rc_npy* x, const rc_npy* want) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
  assert_int_equal(repconv_options_set_input_shape(o, NULL, x->ndim, x->dims), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_model_load("ecbsr-x2", o, &m) != REPCONV_OK) fail_msg("load: %s", repconv_last_error());
  repconv_options_destroy(o);
  repconv_session_t* s = rc_test_session(m, be, 2);
  size_t n = (size_t)(want->dims[0] * want->dims[1] * want->dims[2] * want->dims[3]);
  float* y = malloc(n * sizeof(float));
  assert_non_null(y);
  repconv_tensor_t in = {"input", 4, {0}, x->data};
  repconv_tensor_t out = {"output", 4, {0}, y};
  memcpy(in.dims, x->dims, sizeof(in.dims));
  memcpy(out.dims, want->dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  char what[64];
  snprintf(what, sizeof(what), "ecbsr-x2 %s backend %d", fold ? "folded" : "unfolded", (int)be);
  rc_test_expect_close_f(what, y, want->data, n, 1e-3, 0.0);
  free(y);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
}

static void test_matches_pytorch(void** state) {
  (void)state;
  rc_npy x, want;
  read_fixture("input.npy", &x);
  read_fixture("output.npy", &want);
  assert_int_equal(x.ndim, 4);
  assert_int_equal(want.ndim, 4);
  assert_int_equal(want.dims[2], 2 * x.dims[2]);
  assert_int_equal(want.dims[3], 2 * x.dims[3]);
  for (int fold = 0; fold <= 1; fold++) {
    run_case(fold, REPCONV_BACKEND_AUTO, &x, &want);
    run_case(fold, REPCONV_BACKEND_REF, &x, &want);
    run_case(fold, REPCONV_BACKEND_WINOGRAD, &x, &want);
  }
  rc_npy_free(&x);
  rc_npy_free(&want);
}

/* ------------------------------------------ same graph as the random one */

static void test_same_graph_as_random(void** state) {
  (void)state;
  rc_graph a, b;
  rc_graph_init(&a);
  rc_graph_init(&b);
  assert_int_equal(rc_builtin_build("ecbsr-m4c16-x2", &a), REPCONV_OK);
  assert_int_equal(rc_builtin_build("ecbsr-x2", &b), REPCONV_OK);
  assert_int_equal(a.n_nodes, b.n_nodes);
  assert_int_equal(a.n_tensors, b.n_tensors);
  for (int32_t i = 0; i < a.n_nodes; i++) {
    const rc_node *na = &a.nodes[i], *nb = &b.nodes[i];
    assert_int_equal(na->op, nb->op);
    assert_string_equal(na->name, nb->name);
    assert_int_equal(na->n_inputs, nb->n_inputs);
    assert_memory_equal(na->inputs, nb->inputs, (size_t)na->n_inputs * sizeof(int32_t));
    assert_memory_equal(&na->a, &nb->a, sizeof(na->a));
  }
  int differ = 0;
  for (int32_t i = 0; i < a.n_tensors; i++) {
    const rc_tensor *ta = &a.tensors[i], *tb = &b.tensors[i];
    assert_string_equal(ta->name, tb->name);
    assert_true(rc_shape_equal(&ta->shape, &tb->shape));
    if (ta->data && tb->data) {
      differ += memcmp(ta->data, tb->data, (size_t)rc_shape_numel(&ta->shape) * sizeof(float)) != 0;
    }
  }
  assert_true(differ > 50); /* the weights are not the random ones */
  rc_graph_free(&a);
  rc_graph_free(&b);
}

/* ------------------------------------------------------ corrupt blobs */

static unsigned char* copy_blob(void) {
  unsigned char* p = malloc(rc_zoo_ecbsr_x2_blob_size);
  assert_non_null(p);
  memcpy(p, rc_zoo_ecbsr_x2_blob, rc_zoo_ecbsr_x2_blob_size);
  return p;
}

static void put32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void fix_crc(unsigned char* p, size_t size) { put32(p + 16, rc_wblob_crc32(p + HEADER, size - HEADER)); }

/* Builds from the blob; expects code and every needle in the message. */
static void expect_fail(const unsigned char* p, size_t size, rc_status code, const char* n1, const char* n2) {
  rc_graph g;
  rc_graph_init(&g);
  rc_status s = rc_zoo_build_ecbsr_x2_from(&g, p, size);
  const char* msg = rc_error_message();
  if (s != code) fail_msg("status %d, want %d: %s", (int)s, (int)code, msg);
  if (!strstr(msg, "ecbsr-x2 weights")) fail_msg("message does not name the blob: %s", msg);
  if (n1 && !strstr(msg, n1)) fail_msg("message lacks '%s': %s", n1, msg);
  if (n2 && !strstr(msg, n2)) fail_msg("message lacks '%s': %s", n2, msg);
  rc_graph_free(&g);
}

static void test_blob_valid(void** state) {
  (void)state;
  rc_wblob w;
  assert_int_equal(rc_wblob_open(&w, "x", rc_zoo_ecbsr_x2_blob, rc_zoo_ecbsr_x2_blob_size), REPCONV_OK);
  assert_int_equal(w.count, 5 * 19 + 18); /* 19 tensors an ECB, 18 for the tail (no PReLU) */
  /* zlib's crc32 check value. */
  assert_int_equal(rc_wblob_crc32((const unsigned char*)"123456789", 9), 0xCBF43926u);
}

static void test_blob_header(void** state) {
  (void)state;
  const size_t n = rc_zoo_ecbsr_x2_blob_size;
  unsigned char* p = copy_blob();
  p[0] = 'X';
  expect_fail(p, n, REPCONV_ERROR_FORMAT, "magic", NULL);
  memcpy(p, rc_zoo_ecbsr_x2_blob, n);
  put32(p + 4, 2);
  expect_fail(p, n, REPCONV_ERROR_VERSION, "version 2", NULL);
  memcpy(p, rc_zoo_ecbsr_x2_blob, n);
  expect_fail(p, n - 1, REPCONV_ERROR_FORMAT, "payload", NULL);
  expect_fail(p, 7, REPCONV_ERROR_FORMAT, "header", NULL);
  expect_fail(p, 0, REPCONV_ERROR_FORMAT, "header", NULL);
  p[n / 2] ^= 0x10;
  expect_fail(p, n, REPCONV_ERROR_FORMAT, "checksum", "corrupt");
  free(p);
}

static void test_blob_tensors(void** state) {
  (void)state;
  const size_t n = rc_zoo_ecbsr_x2_blob_size;
  unsigned char* p = copy_blob();
  /* The first record: "backbone.0.conv3x3.weight" [16, 1, 3, 3]. */
  const size_t name_len = p[HEADER];
  assert_int_equal(name_len, strlen("backbone.0.conv3x3.weight"));
  unsigned char* dims = p + HEADER + 1 + name_len + 1;
  assert_int_equal(dims[-1], 4);
  /* Reshaped (same size): the shape error names the tensor. */
  put32(dims, 1);
  put32(dims + 4, 16);
  fix_crc(p, n);
  expect_fail(p, n, REPCONV_ERROR_SHAPE, "'backbone.0.conv3x3.weight'", "1x16x3x3");
  /* Renamed. */
  memcpy(p, rc_zoo_ecbsr_x2_blob, n);
  p[HEADER + 1 + 10] = (unsigned char)'X';
  fix_crc(p, n);
  expect_fail(p, n, REPCONV_ERROR_FORMAT, "backbone.0Xconv3x3.weight", "expects 'backbone.0.conv3x3.weight'");
  /* One tensor more declared than present; one fewer. */
  memcpy(p, rc_zoo_ecbsr_x2_blob, n);
  put32(p + 8, 114);
  expect_fail(p, n, REPCONV_ERROR_FORMAT, "truncated", NULL);
  put32(p + 8, 112);
  expect_fail(p, n, REPCONV_ERROR_FORMAT, "bytes after the last tensor", NULL);
  /* A dimension of 0, a huge one, a rank of 5, a name length of 0. */
  memcpy(p, rc_zoo_ecbsr_x2_blob, n);
  put32(dims, 0);
  fix_crc(p, n);
  expect_fail(p, n, REPCONV_ERROR_FORMAT, "dimension", NULL);
  put32(dims, 0xFFFFFFFFu);
  put32(dims + 4, 0xFFFFFFFFu);
  put32(dims + 8, 0xFFFFFFFFu);
  fix_crc(p, n);
  expect_fail(p, n, REPCONV_ERROR_FORMAT, NULL, NULL);
  memcpy(p, rc_zoo_ecbsr_x2_blob, n);
  dims[-1] = 5;
  fix_crc(p, n);
  expect_fail(p, n, REPCONV_ERROR_FORMAT, "rank", NULL);
  memcpy(p, rc_zoo_ecbsr_x2_blob, n);
  p[HEADER] = 0;
  fix_crc(p, n);
  expect_fail(p, n, REPCONV_ERROR_FORMAT, "name length", NULL);
  free(p);
}

/* Every prefix of the blob, its size field and checksum made consistent so
 * the record walk (not the checksum) meets the cut: an error, no crash. */
static void test_blob_truncated(void** state) {
  (void)state;
  const size_t n = rc_zoo_ecbsr_x2_blob_size;
  unsigned char* p = copy_blob();
  for (size_t cut = HEADER; cut < n; cut += cut < HEADER + 256 ? 1 : 997) {
    memcpy(p, rc_zoo_ecbsr_x2_blob, n);
    put32(p + 12, (uint32_t)(cut - HEADER));
    fix_crc(p, cut);
    rc_graph g;
    rc_graph_init(&g);
    rc_status s = rc_zoo_build_ecbsr_x2_from(&g, p, cut);
    if (s == REPCONV_OK) fail_msg("a blob cut at %zu bytes of %zu loaded", cut, n);
    rc_graph_free(&g);
  }
  free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_pytorch), cmocka_unit_test(test_same_graph_as_random),
      cmocka_unit_test(test_blob_valid),      cmocka_unit_test(test_blob_header),
      cmocka_unit_test(test_blob_tensors),    cmocka_unit_test(test_blob_truncated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

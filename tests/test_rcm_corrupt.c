/* Hostile .rcm images (tests/test_rcm.c has the round trips): every
 * truncation, 2000 fixed-seed mutations, a newer version, bad magic,
 * misaligned data, bad ids and tensors must fail cleanly with a message
 * naming what is wrong. A mutant that loads goes on as a user's file would:
 * model load with folding off and on, session, run (tests/fuzz/fuzz_common.c,
 * as the fuzz targets do). */
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
#include "repconv.h"
#include "runtime/graph/graph.h"
#include "runtime/rcm/rcm.h"
#include "tests/support/rcm_graph.h"
#include "tests/support/test_util.h"

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_truncation),  cmocka_unit_test(test_mutations),       cmocka_unit_test(test_newer_version),
      cmocka_unit_test(test_bad_magic),   cmocka_unit_test(test_misaligned_data), cmocka_unit_test(test_bad_ids),
      cmocka_unit_test(test_bad_tensors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

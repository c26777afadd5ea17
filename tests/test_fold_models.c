/* The fold pass on real models and through the options: the PyTorch
 * fixtures folded still match PyTorch, the built-in RepVGG-A0 folds to its
 * deploy form, the BN-only level, and how repconv_options_set_fold and
 * repconv_options_set_fold_level combine. Tolerances: tests/test_fold.c. */
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
#include "runtime/io/npy.h"
#include "tests/support/fold_net.h"
#include "tests/support/test_util.h"

/* --------------------------------------------------- PyTorch fixtures */

/* The ONNX fixtures loaded folded still match PyTorch, and the exactly
 * foldable ones fold to the manifest's conv count. Same tolerance as
 * test_onnx (5e-6 relative to the output's magnitude): folding only moves
 * float rounding. */
static void test_fixtures_folded(void** state) {
  (void)state;
  const char* dir = rc_test_fixtures();
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx/manifest.txt", dir);
  FILE* f = fopen(path, "r");
  if (!f) {
    skip();
    return;
  }
  char line[512];
  int count = 0;
  while (fgets(line, sizeof(line), f)) {
    char name[256];
    int blocks;
    if (line[0] == '#' || sscanf(line, "%255s %d", name, &blocks) != 2) continue;
    char p[1100];
    snprintf(p, sizeof(p), "%s/onnx/%s.in.npy", dir, name);
    rc_npy x, y;
    if (rc_npy_read_file(p, &x) != REPCONV_OK) fail_msg("%s", repconv_last_error());
    snprintf(p, sizeof(p), "%s/onnx/%s.out.npy", dir, name);
    if (rc_npy_read_file(p, &y) != REPCONV_OK) fail_msg("%s", repconv_last_error());
    repconv_options_t* o;
    assert_int_equal(repconv_options_create(&o), REPCONV_OK);
    assert_int_equal(repconv_options_set_input_shape(o, NULL, x.ndim, x.dims), REPCONV_OK);
    snprintf(p, sizeof(p), "%s/onnx/%s.onnx", dir, name);
    repconv_model_t* m;
    repconv_status ls = repconv_model_load(p, o, &m);
    repconv_options_destroy(o);
    if (ls == REPCONV_ERROR_UNSUPPORTED && strstr(repconv_last_error(), "without ONNX")) {
      /* A build with -DREPCONV_ONNX=OFF: nothing to check here. */
      rc_npy_free(&x);
      rc_npy_free(&y);
      fclose(f);
      skip();
      return;
    }
    if (ls != REPCONV_OK) fail_msg("%s: %s", name, repconv_last_error());
    size_t n;
    float* got = run(m, x.data, &n);
    double mag = 1, err = 0;
    for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(y.data[i]));
    for (size_t i = 0; i < n; i++) err = fmax(err, fabs((double)got[i] - y.data[i]));
    repconv_fold_summary_t fs;
    assert_int_equal(repconv_model_fold_summary(m, &fs), REPCONV_OK);
    printf("  %-26s folded: convs %d -> %d (manifest %d), max rel err %.2e\n", name, fs.convs_before, fs.convs_after,
           blocks, err / mag);
    if (!(err / mag <= 5e-6)) fail_msg("%s folded: %.3g relative to PyTorch", name, err / mag);
    if (blocks >= 0 && fs.convs_after != blocks)
      fail_msg("%s: %d convs after folding, expected %d", name, fs.convs_after, blocks);
    /* A depthwise region must stay depthwise after folding. */
    if (strcmp(name, "mobileone_dw") == 0) assert_int_equal(only_conv(m)->a.groups, 16);
    free(got);
    repconv_model_destroy(m);
    rc_npy_free(&x);
    rc_npy_free(&y);
    count++;
  }
  fclose(f);
  assert_true(count >= 20);
}

/* The built-in RepVGG-A0 folds to its 22 convs, within float rounding. */
static void test_builtin_repvgg_a0(void** state) {
  (void)state;
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  int64_t d[4] = {1, 3, 64, 64};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, d), REPCONV_OK);
  repconv_model_t* folded;
  assert_int_equal(repconv_model_load("repvgg-a0", o, &folded), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  repconv_model_t* plain;
  assert_int_equal(repconv_model_load("repvgg-a0", o, &plain), REPCONV_OK);
  repconv_options_destroy(o);
  repconv_fold_summary_t fs;
  assert_int_equal(repconv_model_fold_summary(folded, &fs), REPCONV_OK);
  assert_int_equal(fs.convs_before, 44);
  assert_int_equal(fs.convs_after, 22);
  float* x = rnd(3 * 64 * 64, -1, 1);
  size_t n1, n2;
  float* y1 = run(plain, x, &n1);
  float* y2 = run(folded, x, &n2);
  double rel = max_rel(y2, y1, n1);
  printf("  repvgg-a0 folded vs unfolded: max rel diff %.2e\n", rel);
  assert_true(rel <= FOLD_RTOL);
  free(x);
  free(y1);
  free(y2);
  repconv_model_destroy(plain);
  repconv_model_destroy(folded);
}

/* The BN-only level (what other runtimes do with a train-time export):
 * conv+BN pairs fuse, the branches and the identity BN stay. */
static void test_bn_only_level(void** state) {
  (void)state;
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  int64_t d[4] = {1, 3, 32, 32};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, d), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold_level(o, REPCONV_FOLD_BN), REPCONV_OK);
  repconv_model_t* bnf;
  assert_int_equal(repconv_model_load("repvgg-a0", o, &bnf), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold_level(o, REPCONV_FOLD_OFF), REPCONV_OK);
  repconv_model_t* plain;
  assert_int_equal(repconv_model_load("repvgg-a0", o, &plain), REPCONV_OK);
  repconv_options_destroy(o);
  int convs = 0, bns = 0, adds = 0;
  for (size_t i = 0; i < repconv_model_num_nodes(bnf); i++) {
    repconv_node_info_t ni;
    assert_int_equal(repconv_model_node(bnf, i, &ni), REPCONV_OK);
    convs += strcmp(ni.op, "conv2d") == 0;
    bns += strcmp(ni.op, "batchnorm") == 0;
    adds += strcmp(ni.op, "add") == 0;
  }
  assert_int_equal(convs, 44); /* every branch conv kept */
  assert_int_equal(bns, 17);   /* only the identity BNs */
  assert_int_equal(adds, 39);
  float* x = rnd(3 * 32 * 32, -1, 1);
  size_t n1, n2;
  float* y1 = run(plain, x, &n1);
  float* y2 = run(bnf, x, &n2);
  assert_true(max_rel(y2, y1, n1) <= FOLD_RTOL);
  free(x);
  free(y1);
  free(y2);
  repconv_model_destroy(plain);
  repconv_model_destroy(bnf);
}

static int count_convs(const repconv_model_t* m) {
  int convs = 0;
  for (size_t i = 0; i < repconv_model_num_nodes(m); i++) {
    repconv_node_info_t ni;
    assert_int_equal(repconv_model_node(m, i, &ni), REPCONV_OK);
    convs += strcmp(ni.op, "conv2d") == 0;
  }
  return convs;
}

/* repconv_options_set_fold(1) keeps a level chosen before (BN stays BN) and
 * turns folding on at FULL after OFF; set_fold(0) is the level OFF. */
static void test_set_fold_keeps_level(void** state) {
  (void)state;
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(o->fold_level, REPCONV_FOLD_FULL); /* the default */
  int64_t d[4] = {1, 3, 32, 32};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, d), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold_level(o, REPCONV_FOLD_BN), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 1), REPCONV_OK);
  assert_int_equal(o->fold_level, REPCONV_FOLD_BN);
  repconv_model_t* m;
  assert_int_equal(repconv_model_load("repvgg-a0", o, &m), REPCONV_OK);
  repconv_fold_summary_t fs;
  assert_int_equal(repconv_model_fold_summary(m, &fs), REPCONV_OK);
  assert_int_equal(fs.folded, 1);
  assert_int_equal(count_convs(m), 44); /* BN-only: every branch conv kept */
  repconv_model_destroy(m);

  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  assert_int_equal(o->fold_level, REPCONV_FOLD_OFF);
  assert_int_equal(repconv_model_load("repvgg-a0", o, &m), REPCONV_OK);
  assert_int_equal(repconv_model_fold_summary(m, &fs), REPCONV_OK);
  assert_int_equal(fs.folded, 0);
  repconv_model_destroy(m);

  assert_int_equal(repconv_options_set_fold(o, 1), REPCONV_OK); /* from OFF: FULL */
  assert_int_equal(o->fold_level, REPCONV_FOLD_FULL);
  assert_int_equal(repconv_model_load("repvgg-a0", o, &m), REPCONV_OK);
  assert_int_equal(count_convs(m), 22);
  repconv_model_destroy(m);

  assert_int_equal(repconv_options_set_fold_level(o, REPCONV_FOLD_OFF), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 7), REPCONV_OK); /* any nonzero is on */
  assert_int_equal(o->fold_level, REPCONV_FOLD_FULL);
  assert_int_equal(repconv_options_set_fold_level(o, REPCONV_FOLD_BN), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 1), REPCONV_OK); /* twice: still BN */
  assert_int_equal(repconv_options_set_fold(o, 1), REPCONV_OK);
  assert_int_equal(o->fold_level, REPCONV_FOLD_BN);
  repconv_options_destroy(o);
}

static int setup(void** state) {
  (void)state;
  rc_test_rng_seed(&fold_rng, 4243);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures_folded),
      cmocka_unit_test(test_builtin_repvgg_a0),
      cmocka_unit_test(test_bn_only_level),
      cmocka_unit_test(test_set_fold_keeps_level),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

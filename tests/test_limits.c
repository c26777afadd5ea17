/* Resource limits (repconv_options_set_limit): each one refuses what is
 * over it with the status and a message naming the limit, and lets through
 * what is under it; the fold budget cuts regions instead of failing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repconv.h"
#include "tests/support/test_util.h"

#define assert_contains(haystack, needle)                                                            \
  do {                                                                                               \
    if (!strstr((haystack), (needle))) fail_msg("'%s' does not contain '%s'", (haystack), (needle)); \
  } while (0)

static repconv_options_t* options_with(repconv_limit which, uint64_t value) {
  repconv_options_t* o = NULL;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_limit(o, which, value), REPCONV_OK);
  return o;
}

/* Default options but no folding (one shared object: the tests run on one thread). */
static const repconv_options_t* o_nofold(void) {
  static repconv_options_t* o;
  if (!o) {
    assert_int_equal(repconv_options_create(&o), REPCONV_OK);
    assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  }
  return o;
}

/* x [1, 1, 2, 2] → nearest upsample ×scale: a tiny graph with a large activation. */
static repconv_builder_t* upsample_graph(int32_t scale) {
  repconv_builder_t* b = NULL;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, 1, 2, 2};
  repconv_id x, y;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_upsample_nearest(b, "up", x, scale, scale, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
  return b;
}

/* A chain of n ReLUs over [1, 4, 8, 8]. */
static repconv_builder_t* relu_chain(int n) {
  repconv_builder_t* b = NULL;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, 4, 8, 8};
  repconv_id x;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  for (int i = 0; i < n; i++) {
    char nm[32];
    snprintf(nm, sizeof(nm), "relu%d", i);
    assert_int_equal(repconv_builder_activation(b, nm, REPCONV_RELU, x, 0, 0, &x), REPCONV_OK);
  }
  assert_int_equal(repconv_builder_output(b, x, "y"), REPCONV_OK);
  return b;
}

static void test_option_api(void** state) {
  (void)state;
  repconv_options_t* o = NULL;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_get_limit(o, REPCONV_LIMIT_ARENA_BYTES), (uint64_t)4 << 30);
  assert_int_equal(repconv_options_get_limit(o, REPCONV_LIMIT_CONSTANT_BYTES), (uint64_t)2 << 30);
  assert_int_equal(repconv_options_get_limit(o, REPCONV_LIMIT_NODES), (uint64_t)1 << 20);
  assert_int_equal(repconv_options_get_limit(o, REPCONV_LIMIT_LOAD_MACS), (uint64_t)1 << 36);
  assert_int_equal(repconv_options_set_limit(o, REPCONV_LIMIT_NODES, 7), REPCONV_OK);
  assert_int_equal(repconv_options_get_limit(o, REPCONV_LIMIT_NODES), 7);
  assert_int_equal(repconv_options_set_limit(o, REPCONV_LIMIT_COUNT, 1), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(repconv_options_set_limit(NULL, REPCONV_LIMIT_NODES, 1), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(repconv_options_get_limit(NULL, REPCONV_LIMIT_NODES), 0);
  for (int k = 0; k < REPCONV_LIMIT_COUNT; k++) {
    repconv_limit back;
    assert_non_null(repconv_limit_name((repconv_limit)k));
    assert_int_equal(repconv_limit_from_name(repconv_limit_name((repconv_limit)k), &back), REPCONV_OK);
    assert_int_equal(back, k);
  }
  repconv_limit back;
  assert_int_equal(repconv_limit_from_name("bogus", &back), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_null(repconv_limit_name(REPCONV_LIMIT_COUNT));
  repconv_options_destroy(o);
}

/* Issue 11 item 6: a ×4096 upsample asks for a 512 MiB activation; a session
 * under a 64 MiB arena limit is refused before the arena exists. */
static void test_arena_limit(void** state) {
  (void)state;
  repconv_options_t* o = options_with(REPCONV_LIMIT_ARENA_BYTES, (uint64_t)64 << 20);
  repconv_builder_t* b = upsample_graph(4096);
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_builder_finish(b, o, &m), REPCONV_OK);
  repconv_session_t* s = NULL;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_ERROR_OUT_OF_MEMORY);
  assert_null(s);
  assert_contains(repconv_last_error(), "'arena-bytes'");
  assert_contains(repconv_last_error(), "REPCONV_LIMIT_ARENA_BYTES");
  /* Without options the session takes the model's (load) limits. */
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_ERROR_OUT_OF_MEMORY);
  /* No limit: the same graph at a small factor runs. */
  assert_int_equal(repconv_options_set_limit(o, REPCONV_LIMIT_ARENA_BYTES, 0), REPCONV_OK);
  repconv_model_destroy(m);
  repconv_builder_destroy(b);
  b = upsample_graph(4);
  assert_int_equal(repconv_builder_finish(b, o, &m), REPCONV_OK);
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  float x[4] = {1, 2, 3, 4}, y[64];
  int64_t xd[4] = {1, 1, 2, 2}, yd[4] = {1, 1, 8, 8};
  repconv_tensor_t in = {.name = "x", .ndim = 4, .data = x}, out = {.name = "y", .ndim = 4, .data = y};
  memcpy(in.dims, xd, sizeof(xd));
  memcpy(out.dims, yd, sizeof(yd));
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_OK);
  assert_float_equal(y[63], 4.0f, 0.0f);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_builder_destroy(b);
  repconv_options_destroy(o);
}

static void test_node_limit(void** state) {
  (void)state;
  repconv_options_t* o = options_with(REPCONV_LIMIT_NODES, 50);
  repconv_builder_t* b = relu_chain(100);
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_builder_finish(b, o, &m), REPCONV_ERROR_FORMAT);
  assert_contains(repconv_last_error(), "'nodes'");
  repconv_builder_destroy(b); /* finish took the graph */
  /* Loaders stop at the limit while adding: an .rcm of the same chain. */
  b = relu_chain(100);
  assert_int_equal(repconv_builder_finish(b, o_nofold(), &m), REPCONV_OK);
  char path[512];
  rc_test_tmp_path("limits_chain.rcm", path, sizeof(path));
  assert_int_equal(repconv_model_save(m, path), REPCONV_OK);
  repconv_model_destroy(m);
  m = NULL;
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  assert_int_equal(repconv_model_load(path, o, &m), REPCONV_ERROR_FORMAT);
  assert_null(m);
  assert_contains(repconv_last_error(), "node 'relu50'");
  assert_contains(repconv_last_error(), "'nodes'");
  assert_int_equal(repconv_options_set_limit(o, REPCONV_LIMIT_NODES, 101), REPCONV_OK); /* and the output's identity */
  assert_int_equal(repconv_model_load(path, o, &m), REPCONV_OK);
  repconv_model_destroy(m);
  repconv_builder_destroy(b);
  repconv_options_destroy(o);
}

/* A 1x1 conv of 256 → 256 channels: 256 KiB of weights. */
static repconv_builder_t* conv_graph(void) {
  enum { CH = 256 };
  repconv_builder_t* b = NULL;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, CH, 4, 4};
  repconv_id x, y;
  float* w = calloc((size_t)CH * CH, sizeof(float));
  assert_non_null(w);
  rc_test_rng r;
  rc_test_rng_seed(&r, 5);
  rc_test_fill_uniform(&r, w, (size_t)CH * CH, -0.1f, 0.1f);
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  repconv_conv2d_desc_t cd = {.out_channels = CH, .kernel_h = 1, .kernel_w = 1};
  assert_int_equal(repconv_builder_conv2d(b, "conv", x, &cd, w, NULL, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
  free(w);
  return b;
}

static void test_constant_limit(void** state) {
  (void)state;
  repconv_options_t* o = options_with(REPCONV_LIMIT_CONSTANT_BYTES, 128 << 10);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  repconv_builder_t* b = conv_graph();
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_builder_finish(b, o, &m), REPCONV_ERROR_OUT_OF_MEMORY);
  assert_contains(repconv_last_error(), "'constant-bytes'");
  repconv_builder_destroy(b); /* finish took the graph */
  b = conv_graph();
  assert_int_equal(repconv_builder_finish(b, o_nofold(), &m), REPCONV_OK);
  char path[512];
  rc_test_tmp_path("limits_conv.rcm", path, sizeof(path));
  assert_int_equal(repconv_model_save(m, path), REPCONV_OK);
  repconv_model_destroy(m);
  m = NULL;
  assert_int_equal(repconv_model_load(path, o, &m), REPCONV_ERROR_OUT_OF_MEMORY);
  assert_contains(repconv_last_error(), "constant 'conv");
  assert_contains(repconv_last_error(), "'constant-bytes'");
  assert_int_equal(repconv_options_set_limit(o, REPCONV_LIMIT_CONSTANT_BYTES, 256 << 10), REPCONV_OK);
  assert_int_equal(repconv_model_load(path, o, &m), REPCONV_OK);
  repconv_model_destroy(m);
  repconv_builder_destroy(b);
  repconv_options_destroy(o);
}

/* conv 1x1 → BN → conv 3x3 (pad 0): one region when folding may spend what it
 * takes; under a 1-multiply-add budget the region is cut (kept as trained)
 * and the output is the same. */
static void test_fold_budget(void** state) {
  (void)state;
  enum { C = 8, HW = 9 };
  rc_test_rng r;
  rc_test_rng_seed(&r, 3);
  float w1[C * C], w3[C * C * 9], g[C], be[C], mu[C], var[C], x[C * HW * HW];
  rc_test_fill_uniform(&r, w1, C * C, -0.5f, 0.5f);
  rc_test_fill_uniform(&r, w3, C * C * 9, -0.5f, 0.5f);
  rc_test_fill_uniform(&r, g, C, 0.5f, 1.5f);
  rc_test_fill_uniform(&r, be, C, -0.2f, 0.2f);
  rc_test_fill_uniform(&r, mu, C, -0.2f, 0.2f);
  rc_test_fill_uniform(&r, var, C, 0.5f, 2.0f);
  rc_test_fill_uniform(&r, x, C * HW * HW, -1.0f, 1.0f);
  float y[2][C * (HW - 2) * (HW - 2)];
  int convs[2];
  for (int limited = 0; limited < 2; limited++) {
    repconv_builder_t* b = NULL;
    assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
    int64_t d[4] = {1, C, HW, HW};
    repconv_id t;
    assert_int_equal(repconv_builder_input(b, "x", 4, d, &t), REPCONV_OK);
    repconv_conv2d_desc_t c1 = {.out_channels = C, .kernel_h = 1, .kernel_w = 1};
    repconv_conv2d_desc_t c3 = {.out_channels = C, .kernel_h = 3, .kernel_w = 3};
    assert_int_equal(repconv_builder_conv2d(b, "c1", t, &c1, w1, NULL, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_batchnorm(b, "bn", t, g, be, mu, var, 1e-5f, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_conv2d(b, "c3", t, &c3, w3, NULL, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_output(b, t, "y"), REPCONV_OK);
    repconv_options_t* o = options_with(REPCONV_LIMIT_LOAD_MACS, limited ? 1 : 0);
    assert_int_equal(repconv_options_set_backend(o, REPCONV_BACKEND_REF), REPCONV_OK);
    repconv_model_t* m = NULL;
    assert_int_equal(repconv_builder_finish(b, o, &m), REPCONV_OK);
    repconv_fold_summary_t fs;
    assert_int_equal(repconv_model_fold_summary(m, &fs), REPCONV_OK);
    convs[limited] = fs.convs_after;
    if (limited) {
      int seen = 0;
      for (size_t k = 0; k < (size_t)fs.regions; k++) {
        repconv_fold_region_t reg;
        assert_int_equal(repconv_model_fold_region(m, k, &reg), REPCONV_OK);
        seen |= reg.note && strstr(reg.note, "'load-macs'") != NULL;
      }
      assert_true(seen);
    }
    repconv_session_t* s = NULL;
    assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
    repconv_tensor_t in = {.name = "x", .ndim = 4, .dims = {1, C, HW, HW}, .data = x};
    repconv_tensor_t out = {.name = "y", .ndim = 4, .dims = {1, C, HW - 2, HW - 2}, .data = y[limited]};
    assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_OK);
    repconv_session_destroy(s);
    repconv_model_destroy(m);
    repconv_builder_destroy(b);
    repconv_options_destroy(o);
  }
  assert_int_equal(convs[0], 1);
  assert_int_equal(convs[1], 2);
  /* Folded vs cut: the same map in another rounding order. 1e-5 relative:
   * two float32 convs of 8 and 72 terms against one of 72 (a few ulps). */
  rc_test_expect_close_f("cut vs folded", y[1], y[0], sizeof(y[0]) / sizeof(float), 1e-5, 1e-5);
}

/* Issue 11 item 6 from ONNX (the reproducers in tests/fuzz/corpus): a
 * 164-byte ConstantOfShape asking for 512 MiB and a constant MatMul of two
 * 4096² matrices (2^36 multiply-adds) are refused before the work under an
 * app's limits, quickly and with the limit named. */
static void onnx_corpus_path(const char* file, char* buf, size_t size) {
  const char* fixtures = rc_test_fixtures();
  snprintf(buf, size, "%s/../fuzz/corpus/fuzz_onnx/%s", fixtures, file);
}

static void test_onnx_amplification(void** state) {
  (void)state;
#ifdef REPCONV_TEST_HAVE_ONNX
  char path[1024];
  repconv_model_t* m = NULL;
  repconv_options_t* o = options_with(REPCONV_LIMIT_CONSTANT_BYTES, (uint64_t)64 << 20);
  onnx_corpus_path("item06_constantofshape.onnx", path, sizeof(path));
  assert_int_equal(repconv_model_load(path, o, &m), REPCONV_ERROR_OUT_OF_MEMORY);
  assert_contains(repconv_last_error(), "ConstantOfShape");
  assert_contains(repconv_last_error(), "'constant-bytes'");
  repconv_options_destroy(o);
  o = options_with(REPCONV_LIMIT_LOAD_MACS, (uint64_t)1 << 30);
  onnx_corpus_path("item06_const_matmul.onnx", path, sizeof(path));
  assert_int_equal(repconv_model_load(path, o, &m), REPCONV_ERROR_FORMAT);
  assert_contains(repconv_last_error(), "MatMul");
  assert_contains(repconv_last_error(), "'load-macs'");
  assert_null(m);
  repconv_options_destroy(o);
#else
  skip();
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_option_api),  cmocka_unit_test(test_arena_limit),
      cmocka_unit_test(test_node_limit),  cmocka_unit_test(test_constant_limit),
      cmocka_unit_test(test_fold_budget), cmocka_unit_test(test_onnx_amplification),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

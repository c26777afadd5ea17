/* Any input size from one loaded model (issue 13, item 4): a session that
 * changes size gives bitwise what a model loaded at that size gives (same
 * backend, same threads), folded and unfolded, odd sizes included, and going
 * back to an earlier size (a cached plan), whose plans point at the model
 * plan's transformed and packed weights wherever a step runs the same kernel
 * (and hold only the others); models with symbolic ONNX dims;
 * what must be refused is refused with a message that says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repconv.h"
#include "runtime/api/session_impl.h"
#include "tests/support/test_util.h"

static repconv_model_t* load(const char* path, int fold, const int64_t* shape4) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
  if (shape4) assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, shape4), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_model_load(path, o, &m) != REPCONV_OK) fail_msg("%s: %s", path, repconv_last_error());
  repconv_options_destroy(o);
  return m;
}

/* Runs session s on a deterministic input of dims d; returns the first
 * output (malloc'd) and its element count. */
static float* run_at(const repconv_model_t* m, repconv_session_t* s, const int64_t* d, size_t* n_out) {
  repconv_tensor_info_t ii;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  size_t n = (size_t)(d[0] * d[1] * d[2] * d[3]);
  float* x = malloc(n * sizeof(float));
  assert_non_null(x);
  rc_test_rng r;
  rc_test_rng_seed(&r, (uint64_t)(d[2] * 1000 + d[3]));
  rc_test_fill_uniform(&r, x, n, -1.0f, 1.0f);
  repconv_tensor_t in = {ii.name, 4, {d[0], d[1], d[2], d[3]}, x};
  repconv_tensor_info_t oi;
  if (repconv_model_infer_output(m, &in, 1, 0, &oi) != REPCONV_OK) fail_msg("infer: %s", repconv_last_error());
  size_t no = 1;
  for (int k = 0; k < oi.ndim; k++) no *= (size_t)oi.dims[k];
  float* y = malloc(no * sizeof(float));
  assert_non_null(y);
  repconv_tensor_t out = {oi.name, oi.ndim, {0}, y};
  memcpy(out.dims, oi.dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  free(x);
  *n_out = no;
  return y;
}

/* The output of a model loaded at dims d. */
static float* static_at(const char* path, int fold, const int64_t* d, size_t* n) {
  repconv_model_t* m = load(path, fold, d);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  float* y = run_at(m, s, d, n);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  return y;
}

static void expect_same(const char* what, const float* a, const float* b, size_t n) {
  if (memcmp(a, b, n * sizeof(float)) != 0) {
    size_t i = 0;
    while (i < n && memcmp(a + i, b + i, sizeof(float)) == 0) i++;
    fail_msg("%s: element %zu differs: %.9g vs %.9g", what, i, a[i], b[i]);
  }
}

/* The step of plan p computing node, or NULL. */
static const rc_step* step_of(const rc_plan* p, int32_t node) {
  for (int32_t i = 0; i < p->n_order; i++) {
    if (p->steps[i].node == node && p->steps[i].kind != RC_KERNEL_FUSED) return &p->steps[i];
  }
  return NULL;
}

/* Session s's current plan points at the model plan's weights wherever a
 * step runs the same kernel (rc_plan_options.share) and holds only the
 * others; returns how many steps it shares. */
static int expect_shared(const repconv_model_t* m, const repconv_session_t* s, const char* what) {
  const rc_plan* p = s->cur->plan;
  if (p == &m->plan) return 0;
  int shared = 0;
  size_t own = 0;
  for (int32_t i = 0; i < p->n_order; i++) {
    const rc_step* st = &p->steps[i];
    const rc_step* ms = step_of(&m->plan, st->node);
    if (st->kind == RC_KERNEL_WINOGRAD) {
      if (ms && ms->kind == st->kind && ms->wino_variant == st->wino_variant) {
        if (st->wino_u != ms->wino_u) fail_msg("%s: step %d does not share its U", what, (int)i);
        shared++;
      } else {
        own += rc_wino_filter_size((rc_wino_variant)st->wino_variant, (size_t)s->cur->g->tensors[st->out].shape.d[1],
                                   (size_t)s->cur->g->tensors[s->cur->g->nodes[st->node].inputs[0]].shape.d[1]);
      }
    } else if (st->kind == RC_KERNEL_GEMM) {
      if (!ms || ms->kind != st->kind || st->gemm_w != ms->gemm_w) fail_msg("%s: step %d does not share", what, (int)i);
      shared++;
    }
  }
  assert_int_equal(p->gemm_weight_bytes, 0);
  assert_int_equal(p->wino_weight_bytes, own * sizeof(float));
  return shared;
}

/* One session of the model as loaded (load_shape, NULL: its own) runs each
 * size of sizes in turn (the list repeats sizes: cache hits), each compared
 * with a model loaded at that size. */
static void sizes_match_static(const char* path, const int64_t* load_shape, const int64_t (*sizes)[4], int n_sizes) {
  for (int fold = 0; fold < 2; fold++) {
    repconv_model_t* m = load(path, fold, load_shape);
    repconv_session_t* s;
    assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
    int shared = 0;
    for (int i = 0; i < n_sizes; i++) {
      size_t n1, n2;
      float* got = run_at(m, s, sizes[i], &n1);
      float* want = static_at(path, fold, sizes[i], &n2);
      assert_int_equal(n1, n2);
      char what[256];
      snprintf(what, sizeof(what), "%s %s at %lldx%lldx%lldx%lld (run %d)", path, fold ? "folded" : "unfolded",
               (long long)sizes[i][0], (long long)sizes[i][1], (long long)sizes[i][2], (long long)sizes[i][3], i);
      expect_same(what, got, want, n1);
      shared += expect_shared(m, s, what);
      free(got);
      free(want);
    }
    if (shared == 0) fail_msg("%s: no plan shares the model plan's weights", path);
    repconv_session_destroy(s);
    repconv_model_destroy(m);
  }
}

/* repconv_session_reshape plans a size without running: the arena and the
 * plan then describe it (as a run at that size does), a run there gives the
 * same bits as without it, and a size the model cannot take is refused. */
static void test_reshape(void** state) {
  (void)state;
  repconv_model_t* m = load("ecbsr-m4c16-x2", 1, NULL);
  repconv_tensor_info_t ii;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  repconv_session_t *s, *t;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  assert_int_equal(repconv_session_create(m, NULL, &t), REPCONV_OK);
  static const int64_t d[4] = {1, 1, 45, 67};
  const repconv_tensor_t x = {ii.name, 4, {1, 1, 45, 67}, NULL};
  assert_int_equal(repconv_session_reshape(s, &x, 1), REPCONV_OK);
  size_t n1, n2;
  float* want = run_at(m, t, d, &n2); /* t planned by the run */
  assert_int_equal(repconv_session_arena_bytes(s), repconv_session_arena_bytes(t));
  assert_int_equal(repconv_session_num_plan_entries(s), repconv_session_num_plan_entries(t));
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    repconv_plan_entry_t a, b;
    assert_int_equal(repconv_session_plan(s, i, &a), REPCONV_OK);
    assert_int_equal(repconv_session_plan(t, i, &b), REPCONV_OK);
    assert_string_equal(a.kernel, b.kernel);
  }
  float* got = run_at(m, s, d, &n1);
  assert_int_equal(n1, n2);
  expect_same("ecbsr-m4c16-x2 after a reshape", got, want, n1);
  free(got);
  free(want);
  const repconv_tensor_t bad = {ii.name, 4, {1, 2, 45, 67}, NULL};
  assert_int_equal(repconv_session_reshape(s, &bad, 1), REPCONV_ERROR_SHAPE);
  if (!strstr(repconv_session_error(s), "1x2x45x67")) fail_msg("%s", repconv_session_error(s));
  const repconv_tensor_t unnamed = {"no such input", 4, {1, 1, 45, 67}, NULL};
  assert_int_not_equal(repconv_session_reshape(s, &unnamed, 1), REPCONV_OK);
  assert_int_equal(repconv_session_reshape(NULL, &x, 1), REPCONV_ERROR_INVALID_ARGUMENT);
  repconv_session_destroy(s);
  repconv_session_destroy(t);
  repconv_model_destroy(m);
}

static void test_ecbsr_sizes(void** state) {
  (void)state;
  /* Odd sizes, more sizes than the cache holds, and back to earlier ones;
   * 17x19 and the load size 20x28 run F(4,3) as the model plan does (the
   * others F(6,3) or F(2,3)), so their plans share its U. */
  static const int64_t sizes[][4] = {{1, 1, 37, 53}, {1, 1, 24, 32}, {1, 1, 37, 53}, {1, 1, 9, 7},
                                     {1, 1, 64, 48}, {1, 1, 31, 30}, {1, 1, 24, 32}, {2, 1, 17, 19},
                                     {1, 1, 17, 19}, {1, 1, 37, 53}, {1, 1, 20, 28}};
  static const int64_t small[4] = {1, 1, 20, 28};
  sizes_match_static("ecbsr-m4c16-x2", small, sizes, (int)(sizeof(sizes) / sizeof(sizes[0])));
}

static void test_repvgg_sizes(void** state) {
  (void)state;
  /* Stride-2 folded stages: at odd sizes the folded convs' bottom/right
   * padding differs from the load-time size's, and must be what a load at
   * that size folds. */
  static const int64_t sizes[][4] = {{1, 3, 64, 64}, {1, 3, 65, 47}, {1, 3, 64, 64}};
  static const int64_t load_shape[4] = {1, 3, 32, 32};
  sizes_match_static("repvgg-a0", load_shape, sizes, 3);
}

/* A static ONNX export changing size, against the dynamic export of the
 * same weights loaded at that size (a static export cannot be loaded at
 * another size: its dims are checked). */
static void sizes_match_export(const char* name, const int64_t (*sizes)[4], int n_sizes) {
  char path[1024], dyn[1024];
  snprintf(path, sizeof(path), "%s/onnx/%s.onnx", rc_test_fixtures(), name);
  snprintf(dyn, sizeof(dyn), "%s/onnx/%s_dyn.onnx", rc_test_fixtures(), name);
  for (int fold = 0; fold < 2; fold++) {
    repconv_model_t* m = load(path, fold, NULL);
    repconv_session_t* s;
    assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
    for (int i = 0; i < n_sizes; i++) {
      size_t n1, n2;
      float* got = run_at(m, s, sizes[i], &n1);
      float* want = static_at(dyn, fold, sizes[i], &n2);
      assert_int_equal(n1, n2);
      expect_same(name, got, want, n1);
      free(got);
      free(want);
    }
    repconv_session_destroy(s);
    repconv_model_destroy(m);
  }
}

static void test_onnx_sizes(void** state) {
  (void)state;
#ifndef REPCONV_TEST_HAVE_ONNX
  skip(); /* built with -DREPCONV_ONNX=OFF: the ONNX fixtures do not load */
#endif
  static const int64_t sr[][4] = {{1, 1, 37, 53}, {1, 1, 16, 18}, {1, 1, 37, 53}};
  sizes_match_export("ecbsr_x2", sr, 3);
  static const int64_t vgg[][4] = {{1, 3, 37, 53}, {2, 3, 16, 18}, {1, 3, 37, 53}};
  sizes_match_export("plain_vgg", vgg, 3);
  /* repvgg_classifier (batch 2) at batch 1 is refused, not run: its folded
   * FC region flattened the batch into a reshape of 64 = 2 x 32 elements. */
}

/* Symbolic dims: reported as -1, planned at the first run, any size; and
 * the same bits as the static export. */
static void test_symbolic_dims(void** state) {
  (void)state;
#ifndef REPCONV_TEST_HAVE_ONNX
  skip(); /* built with -DREPCONV_ONNX=OFF: the ONNX fixtures do not load */
#endif
  char dyn[1024], stat[1024];
  snprintf(dyn, sizeof(dyn), "%s/onnx/ecbsr_x2_dyn.onnx", rc_test_fixtures());
  snprintf(stat, sizeof(stat), "%s/onnx/ecbsr_x2.onnx", rc_test_fixtures());
  repconv_model_t* m = load(dyn, 1, NULL);
  repconv_tensor_info_t ii, oi;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  assert_int_equal(ii.dims[0], -1);
  assert_int_equal(ii.dims[1], 1);
  assert_int_equal(ii.dims[2], -1);
  assert_int_equal(ii.dims[3], -1);
  assert_int_equal(oi.dims[1], 1);
  assert_int_equal(oi.dims[2], -1);
  /* Folded and saved as .rcm (format 1.1), it stays symbolic. */
  char rcm[1024];
  assert_int_equal(repconv_model_save(m, rc_test_tmp_path("ecbsr_x2_dyn.rcm", rcm, sizeof(rcm))), REPCONV_OK);
  repconv_model_t* saved = load(rcm, 1, NULL);
  repconv_tensor_info_t si;
  assert_int_equal(repconv_model_input(saved, 0, &si), REPCONV_OK);
  assert_memory_equal(si.dims, ii.dims, sizeof(si.dims));
  repconv_session_t* ss;
  assert_int_equal(repconv_session_create(saved, NULL, &ss), REPCONV_OK);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  assert_int_equal(repconv_session_num_plan_entries(s), 0); /* plans at the first run */
  static const int64_t sizes[][4] = {{1, 1, 23, 31}, {1, 1, 40, 16}, {1, 1, 23, 31}};
  for (int i = 0; i < 3; i++) {
    size_t n1, n2;
    float* got = run_at(m, s, sizes[i], &n1);
    float* want = static_at(dyn, 1, sizes[i], &n2);
    assert_int_equal(n1, n2);
    expect_same("ecbsr_x2_dyn: symbolic vs loaded at the size", got, want, n1);
    free(want);
    want = run_at(saved, ss, sizes[i], &n2);
    expect_same("ecbsr_x2_dyn: the saved .rcm vs the ONNX", got, want, n1);
    free(want);
    if (i == 0) {
      /* The static export (23x31) computes the same bits. */
      want = static_at(stat, 1, sizes[0], &n2);
      expect_same("ecbsr_x2_dyn vs ecbsr_x2", got, want, n1);
      free(want);
    }
    free(got);
  }
  assert_true(repconv_session_num_plan_entries(s) > 0);
  /* The static dims must match: channels 2 is refused, naming the input. */
  float x[2 * 4 * 4] = {0}, y[2 * 4 * 8 * 8];
  repconv_tensor_t in = {ii.name, 4, {1, 2, 4, 4}, x}, out = {oi.name, 4, {1, 2, 8, 8}, y};
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_ERROR_SHAPE);
  if (!strstr(repconv_session_error(s), "?x1x?x?")) fail_msg("%s", repconv_session_error(s));
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_session_destroy(ss);
  repconv_model_destroy(saved);
}

/* What cannot run at another size says why. */
static void test_refusals(void** state) {
  (void)state;
  /* A classifier's FC: the shape error names the node and the shapes. */
  repconv_model_t* m = load("repvgg-a0", 1, NULL);
  float x[1];
  repconv_tensor_t in = {"input", 4, {1, 3, 37, 53}, x};
  repconv_tensor_info_t oi;
  repconv_status st = repconv_model_infer_output(m, &in, 1, 0, &oi);
  if (st == REPCONV_OK) {
    /* RepVGG-A0 ends in a global pool: any size ≥ 32 infers. */
    assert_int_equal(oi.dims[1], 1000);
  }
  in.dims[1] = 4;
  assert_int_equal(repconv_model_infer_output(m, &in, 1, 0, &oi), REPCONV_ERROR_SHAPE);
  if (!strstr(repconv_last_error(), "node '") || !strstr(repconv_last_error(), "1x4x37x53")) {
    fail_msg("%s", repconv_last_error());
  }
  repconv_model_destroy(m);
}

/* ONNX models whose importer read a Shape: refused at another size. */
static void test_onnx_refusals(void** state) {
  (void)state;
#ifndef REPCONV_TEST_HAVE_ONNX
  skip(); /* built with -DREPCONV_ONNX=OFF: the ONNX fixtures do not load */
#endif
  repconv_model_t* m;
  repconv_tensor_info_t oi;
  float x[1];
  /* An ONNX model whose importer read a Shape (the official ECB's pad
   * indices): static, so it loads, but runs only at its load-time size. */
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx/ecb_block_official.onnx", rc_test_fixtures());
  m = load(path, 1, NULL);
  repconv_tensor_info_t ii;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  repconv_tensor_t in2 = {ii.name, 4, {ii.dims[0], ii.dims[1], ii.dims[2] + 1, ii.dims[3]}, x};
  assert_int_equal(repconv_model_infer_output(m, &in2, 1, 0, &oi), REPCONV_ERROR_SHAPE);
  const char* msg = repconv_last_error();
  if (!strstr(msg, "Shape") || !strstr(msg, "repconv_options_set_input_shape")) fail_msg("%s", msg);
  repconv_model_destroy(m);
  /* Its dynamic export is refused at load, naming the Shape node. */
  snprintf(path, sizeof(path), "%s/onnx/ecb_block_official_dyn.onnx", rc_test_fixtures());
  assert_int_not_equal(repconv_model_load(path, NULL, &m), REPCONV_OK);
  msg = repconv_last_error();
  if (!strstr(msg, "(Shape)") || !strstr(msg, "repconv_options_set_input_shape") || strstr(msg, "--shape")) {
    fail_msg("%s", msg);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ecbsr_sizes),   cmocka_unit_test(test_reshape),       cmocka_unit_test(test_repvgg_sizes),
      cmocka_unit_test(test_onnx_sizes),    cmocka_unit_test(test_symbolic_dims), cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_onnx_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Sessions: one model shared by sessions on several threads gives the same
 * bits as one session alone; the pool's thread count does not change the
 * bits; run-time errors name the tensor and the shapes; .rcm save/load
 * through the API keeps the outputs. The float API's two paths (the plan
 * with external I/O: the chain reads the caller's input, the tail stores
 * its output; or, for outputs not all asked for or buffers that overlap, a
 * plan that copies through the arena) give the same bits. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/api/handles.h"
#include "runtime/api/session_impl.h"
#include "repconv.h"
#include "tests/support/test_util.h"

#define assert_contains(haystack, needle)                                                            \
  do {                                                                                               \
    if (!strstr((haystack), (needle))) fail_msg("'%s' does not contain '%s'", (haystack), (needle)); \
  } while (0)

enum { N = 2, C = 8, H = 19, W = 23, OUTC = 12 };

/* A small branchy network: two RepVGG-like blocks, a pool and a head. */
static repconv_model_t* small_model(void) {
  rc_test_rng r;
  rc_test_rng_seed(&r, 7);
  static float w3[OUTC * OUTC * 9], w1[OUTC * OUTC], bias[OUTC], g[OUTC], be[OUTC], mu[OUTC], var[OUTC];
  rc_test_fill_uniform(&r, w3, sizeof(w3) / 4, -0.3f, 0.3f);
  rc_test_fill_uniform(&r, w1, sizeof(w1) / 4, -0.3f, 0.3f);
  rc_test_fill_uniform(&r, bias, OUTC, -0.1f, 0.1f);
  rc_test_fill_uniform(&r, g, OUTC, 0.5f, 1.5f);
  rc_test_fill_uniform(&r, be, OUTC, -0.2f, 0.2f);
  rc_test_fill_uniform(&r, mu, OUTC, -0.2f, 0.2f);
  rc_test_fill_uniform(&r, var, OUTC, 0.5f, 2.0f);
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {N, C, H, W};
  repconv_id x, a, c, s, y;
  assert_int_equal(repconv_builder_input(b, "image", 4, d, &x), REPCONV_OK);
  int cin = C;
  char nm[64];
  for (int i = 0; i < 2; i++) {
    repconv_conv2d_desc_t d3 = {.out_channels = OUTC,
                                .kernel_h = 3,
                                .kernel_w = 3,
                                .stride_h = 1 + (i == 0),
                                .stride_w = 1 + (i == 0),
                                .pad_top = 1,
                                .pad_left = 1,
                                .pad_bottom = 1,
                                .pad_right = 1};
    repconv_conv2d_desc_t d1 = {
        .out_channels = OUTC, .kernel_h = 1, .kernel_w = 1, .stride_h = 1 + (i == 0), .stride_w = 1 + (i == 0)};
    (void)cin;
    snprintf(nm, sizeof(nm), "b%d.dense", i);
    assert_int_equal(repconv_builder_conv2d(b, nm, x, &d3, w3, bias, &a), REPCONV_OK);
    snprintf(nm, sizeof(nm), "b%d.bn", i);
    assert_int_equal(repconv_builder_batchnorm(b, nm, a, g, be, mu, var, 1e-5f, &a), REPCONV_OK);
    snprintf(nm, sizeof(nm), "b%d.1x1", i);
    assert_int_equal(repconv_builder_conv2d(b, nm, x, &d1, w1, NULL, &c), REPCONV_OK);
    snprintf(nm, sizeof(nm), "b%d.add", i);
    assert_int_equal(repconv_builder_binary(b, nm, REPCONV_ADD, a, c, &s), REPCONV_OK);
    snprintf(nm, sizeof(nm), "b%d.relu", i);
    assert_int_equal(repconv_builder_activation(b, nm, REPCONV_RELU, s, 0, 0, &x), REPCONV_OK);
    cin = OUTC;
  }
  assert_int_equal(repconv_builder_global_avgpool(b, "gap", x, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_flatten(b, "flat", y, 1, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_gemm(b, "fc", y, 5, w1, bias, 1.0f, 1.0f, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, y, "logits"), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, x, "features"), REPCONV_OK);
  repconv_model_t* m;
  assert_int_equal(repconv_builder_finish(b, NULL, &m), REPCONV_OK);
  repconv_builder_destroy(b);
  return m;
}

static float g_input[N * C * H * W];
enum { FEAT = N * OUTC * 10 * 12, LOGITS = N * 5 };

static void run_once(repconv_session_t* s, float* feat, float* logits) {
  repconv_tensor_t in = {"image", 4, {N, C, H, W}, g_input};
  repconv_tensor_t out[2] = {{"features", 4, {N, OUTC, 10, 12}, feat}, {"logits", 2, {N, 5}, logits}};
  if (repconv_session_run(s, &in, 1, out, 2) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
}

typedef struct worker {
  const repconv_model_t* m;
  float feat[FEAT], logits[LOGITS];
  int ok;
} worker;

/* runs of small_model on g_input; 1 if every one succeeded. */
static int run_small(repconv_session_t* s, int runs, float* feat, float* logits) {
  for (int i = 0; i < runs; i++) {
    repconv_tensor_t in = {"image", 4, {N, C, H, W}, g_input};
    repconv_tensor_t out[2] = {{"features", 4, {N, OUTC, 10, 12}, feat}, {"logits", 2, {N, 5}, logits}};
    if (repconv_session_run(s, &in, 1, out, 2) != REPCONV_OK) return 0;
  }
  return 1;
}

static void* work(void* arg) {
  worker* w = arg;
  repconv_session_t* s;
  if (repconv_session_create(w->m, NULL, &s) != REPCONV_OK) return NULL;
  w->ok = run_small(s, 3, w->feat, w->logits);
  repconv_session_destroy(s);
  return NULL;
}

static void test_sessions_on_threads(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 11);
  rc_test_fill_uniform(&r, g_input, sizeof(g_input) / 4, -1.0f, 1.0f);
  repconv_model_t* m = small_model();
  static float feat[FEAT], logits[LOGITS];
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  run_once(s, feat, logits);
  repconv_session_destroy(s);

  /* The same model in four sessions on four threads at once. */
  enum { T = 4 };
  static worker ws[T];
  pthread_t th[T];
  for (int i = 0; i < T; i++) {
    ws[i].m = m;
    ws[i].ok = 0;
    assert_int_equal(pthread_create(&th[i], NULL, work, &ws[i]), 0);
  }
  for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < T; i++) {
    assert_true(ws[i].ok);
    assert_memory_equal(ws[i].feat, feat, sizeof(feat));
    assert_memory_equal(ws[i].logits, logits, sizeof(logits));
  }

  /* A session with a pool of 3 threads: the same bits. */
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_threads(o, 3), REPCONV_OK);
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  static float feat3[FEAT], logits3[LOGITS];
  run_once(s, feat3, logits3);
  assert_memory_equal(feat3, feat, sizeof(feat));
  assert_memory_equal(logits3, logits, sizeof(logits));
  repconv_session_destroy(s);
  repconv_options_destroy(o);

  /* Save, load from file and from memory: same outputs. */
  char path[512];
  rc_test_tmp_path("session_small.rcm", path, sizeof(path));
  assert_int_equal(repconv_model_save(m, path), REPCONV_OK);
  repconv_model_t* m2;
  assert_int_equal(repconv_model_load(path, NULL, &m2), REPCONV_OK);
  assert_int_equal(repconv_session_create(m2, NULL, &s), REPCONV_OK);
  run_once(s, feat3, logits3);
  assert_memory_equal(feat3, feat, sizeof(feat));
  assert_memory_equal(logits3, logits, sizeof(logits));
  repconv_session_destroy(s);
  repconv_model_destroy(m2);

  FILE* f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* bytes = malloc((size_t)size);
  assert_non_null(bytes);
  assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  assert_int_equal(repconv_model_load_memory(bytes, (size_t)size, NULL, &m2), REPCONV_OK);
  free(bytes);
  assert_int_equal(repconv_session_create(m2, NULL, &s), REPCONV_OK);
  run_once(s, feat3, logits3);
  assert_memory_equal(logits3, logits, sizeof(logits));
  repconv_session_destroy(s);
  repconv_model_destroy(m2);
  repconv_model_destroy(m);
}

static void test_run_errors(void** state) {
  (void)state;
  repconv_model_t* m = small_model();
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  static float feat[FEAT], logits[LOGITS];
  /* Another height is another size (issue 13: any size whose shapes
   * infer); other channels do not infer, and the error names the input,
   * its shape and the node. */
  static float taller[N * (C + 1) * (H + 1) * W];
  repconv_tensor_t in = {"image", 4, {N, C, H + 1, W}, taller};
  repconv_tensor_t out = {"logits", 2, {N, 5}, logits};
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_OK);
  in.dims[1] = C + 1;
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_session_error(s), "'image'");
  assert_contains(repconv_session_error(s), "2x9x20x23");
  assert_contains(repconv_session_error(s), "b0.dense");
  assert_contains(repconv_last_error(), "2x9x20x23");
  in.dims[1] = C;
  in.data = g_input;

  in.dims[2] = H;
  in.name = "img";
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_ERROR_NOT_FOUND);
  assert_contains(repconv_session_error(s), "no input named 'img'");
  in.name = "image";
  out.name = "nope";
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_ERROR_NOT_FOUND);
  assert_contains(repconv_session_error(s), "no output named 'nope'");
  out.name = "features";
  out.ndim = 4;
  out.dims[0] = N;
  out.dims[1] = OUTC;
  out.dims[2] = 10;
  out.dims[3] = 11;
  out.data = feat;
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_ERROR_SHAPE);
  assert_contains(repconv_session_error(s), "2x12x10x12");
  assert_int_equal(repconv_session_run(s, &in, 0, &out, 1), REPCONV_ERROR_INVALID_ARGUMENT);
  in.data = NULL;
  out.dims[3] = 12;
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_ERROR_INVALID_ARGUMENT);
  in.data = g_input;
  /* Asking for no output is allowed; a good run clears the error. */
  assert_int_equal(repconv_session_run(s, &in, 1, NULL, 0), REPCONV_OK);
  assert_string_equal(repconv_session_error(s), "");
  assert_int_equal(repconv_session_run(NULL, &in, 1, NULL, 0), REPCONV_ERROR_INVALID_ARGUMENT);
  repconv_session_destroy(s);
  repconv_model_destroy(m);

  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_threads(o, 0), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(repconv_options_set_threads(o, 100000), REPCONV_ERROR_INVALID_ARGUMENT);
  repconv_backend be;
  assert_int_equal(repconv_backend_from_name("ref", &be), REPCONV_OK);
  assert_int_equal(be, REPCONV_BACKEND_REF);
  assert_int_equal(repconv_backend_from_name("cuda", &be), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_contains(repconv_last_error(), "cuda");
  repconv_options_destroy(o);

  repconv_model_t* none = (repconv_model_t*)1;
  assert_int_equal(repconv_model_load("no-such-model", NULL, &none), REPCONV_ERROR_NOT_FOUND);
  assert_null(none);
  assert_contains(repconv_last_error(), "repvgg-a0");
}

/* Sessions with thread pools (2 and 4 threads), on every backend, running
 * at the same time on two threads: the bits of a 1-thread run. Also what the
 * TSan job (tools/test-tsan.sh) runs to see the kernels' tasks, the shared
 * model plan and XNNPACK's global state used from several sessions at once. */
typedef struct pooled {
  const repconv_model_t* m;
  repconv_backend be;
  int threads;
  float feat[FEAT], logits[LOGITS];
  int ok;
} pooled;

static void* pooled_work(void* arg) {
  pooled* w = arg;
  repconv_options_t* o;
  if (repconv_options_create(&o) != REPCONV_OK) return NULL;
  repconv_options_set_backend(o, w->be);
  repconv_options_set_threads(o, w->threads);
  repconv_session_t* s;
  repconv_status st = repconv_session_create(w->m, o, &s);
  repconv_options_destroy(o);
  if (st != REPCONV_OK) return NULL;
  w->ok = run_small(s, 2, w->feat, w->logits);
  repconv_session_destroy(s);
  return NULL;
}

static void test_pooled_sessions_in_parallel(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 11);
  rc_test_fill_uniform(&r, g_input, sizeof(g_input) / 4, -1.0f, 1.0f);
  repconv_model_t* m = small_model();
  static const repconv_backend bes[] = {REPCONV_BACKEND_AUTO, REPCONV_BACKEND_XNNPACK, REPCONV_BACKEND_WINOGRAD,
                                        REPCONV_BACKEND_GEMM, REPCONV_BACKEND_REF};
  for (size_t b = 0; b < sizeof(bes) / sizeof(bes[0]); b++) {
    repconv_session_t* s = rc_test_session(m, bes[b], 1);
    static float feat[FEAT], logits[LOGITS];
    run_once(s, feat, logits);
    repconv_session_destroy(s);
    enum { T = 2 };
    static pooled ws[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
      ws[i].m = m;
      ws[i].be = bes[b];
      ws[i].threads = 2 + 2 * i;
      ws[i].ok = 0;
      assert_int_equal(pthread_create(&th[i], NULL, pooled_work, &ws[i]), 0);
    }
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < T; i++) {
      assert_true(ws[i].ok);
      assert_memory_equal(ws[i].feat, feat, sizeof(feat));
      assert_memory_equal(ws[i].logits, logits, sizeof(logits));
    }
  }
  repconv_model_destroy(m);
}

/* A run that blocks: the hook (runtime/api/handles.h) holds the first run inside the
 * session until the main thread has tried its own calls. No sleeps: each
 * side waits on a condition the other sets. */
typedef struct gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int calls, inside, go;
} gate;

static void gate_hook(void* arg) {
  gate* g = arg;
  pthread_mutex_lock(&g->mu);
  if (g->calls++ == 0) { /* only the first run blocks */
    g->inside = 1;
    pthread_cond_broadcast(&g->cv);
    while (!g->go) pthread_cond_wait(&g->cv, &g->mu);
  }
  pthread_mutex_unlock(&g->mu);
}

typedef struct runner {
  repconv_session_t* s;
  float feat[FEAT], logits[LOGITS];
  repconv_status status;
} runner;

static void* run_thread(void* arg) {
  runner* r = arg;
  repconv_tensor_t in = {"image", 4, {N, C, H, W}, g_input};
  repconv_tensor_t out[2] = {{"features", 4, {N, OUTC, 10, 12}, r->feat}, {"logits", 2, {N, 5}, r->logits}};
  r->status = repconv_session_run(r->s, &in, 1, out, 2);
  return NULL;
}

/* Worker placement (repconv_options_set_thread_affinity) never changes the
 * output: 1 thread, 2 and 3 pinned, 2 and 3 left to the OS, bitwise. */
static void test_thread_affinity(void** state) {
  (void)state;
  assert_int_equal(repconv_options_set_thread_affinity(NULL, 1), REPCONV_ERROR_INVALID_ARGUMENT);
  rc_test_rng r;
  rc_test_rng_seed(&r, 12);
  rc_test_fill_uniform(&r, g_input, sizeof(g_input) / 4, -1.0f, 1.0f);
  repconv_model_t* m = small_model();
  static float feat1[FEAT], logits1[LOGITS], feat[FEAT], logits[LOGITS];
  repconv_session_t* one = rc_test_session(m, REPCONV_BACKEND_AUTO, 1);
  run_once(one, feat1, logits1);
  repconv_session_destroy(one);
  for (int threads = 2; threads <= 3; threads++) {
    for (int pin = 0; pin < 2; pin++) {
      repconv_session_t* s = rc_test_session_pinned(m, REPCONV_BACKEND_AUTO, threads, pin);
      for (int run = 0; run < 3; run++) {
        run_once(s, feat, logits);
        assert_memory_equal(feat, feat1, sizeof(feat));
        assert_memory_equal(logits, logits1, sizeof(logits));
      }
      repconv_session_destroy(s);
    }
  }
  repconv_model_destroy(m);
}

static void test_concurrent_run_refused(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 11);
  rc_test_fill_uniform(&r, g_input, sizeof(g_input) / 4, -1.0f, 1.0f);
  repconv_model_t* m = small_model();
  for (int threads = 1; threads <= 2; threads++) {
    repconv_session_t* s = rc_test_session(m, REPCONV_BACKEND_AUTO, threads);
    static float feat[FEAT], logits[LOGITS];
    run_once(s, feat, logits);

    static gate g;
    memset(&g, 0, sizeof(g));
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    s->run_hook = gate_hook; /* before the thread starts: it sees them */
    s->run_hook_arg = &g;
    static runner a;
    a.s = s;
    a.status = REPCONV_ERROR_INTERNAL;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_thread, &a), 0);
    pthread_mutex_lock(&g.mu);
    while (!g.inside) pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);

    /* The first run holds the session: a second call is refused at once. */
    static float feat2[FEAT], logits2[LOGITS];
    repconv_tensor_t in = {"image", 4, {N, C, H, W}, g_input};
    repconv_tensor_t out[2] = {{"features", 4, {N, OUTC, 10, 12}, feat2}, {"logits", 2, {N, 5}, logits2}};
    assert_int_equal(repconv_session_run(s, &in, 1, out, 2), REPCONV_ERROR_INVALID_ARGUMENT);
    assert_contains(repconv_last_error(), "in use by another call");
    assert_int_equal(repconv_session_set_profiling(s, 1), REPCONV_ERROR_INVALID_ARGUMENT);

    pthread_mutex_lock(&g.mu);
    g.go = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_join(th, NULL);
    s->run_hook = NULL; /* the gate dies below; later runs must not reach it */
    s->run_hook_arg = NULL;
    pthread_cond_destroy(&g.cv);
    pthread_mutex_destroy(&g.mu);
    assert_int_equal(a.status, REPCONV_OK);
    assert_memory_equal(a.feat, feat, sizeof(feat));
    assert_memory_equal(a.logits, logits, sizeof(logits));

    /* Released: the next calls go through. */
    assert_int_equal(repconv_session_set_profiling(s, 1), REPCONV_OK);
    run_once(s, feat2, logits2);
    assert_memory_equal(logits2, logits, sizeof(logits));
    repconv_session_destroy(s);
  }
  repconv_model_destroy(m);
}

/* The model may be destroyed before its sessions: they hold it (under ASan
 * a use after free otherwise). One session shares the model's plan, one
 * plans its own (another backend). */
static void test_model_outlived_by_sessions(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 11);
  rc_test_fill_uniform(&r, g_input, sizeof(g_input) / 4, -1.0f, 1.0f);
  repconv_model_t* m = small_model();
  repconv_session_t* shared;
  assert_int_equal(repconv_session_create(m, NULL, &shared), REPCONV_OK);
  repconv_session_t* own = rc_test_session(m, REPCONV_BACKEND_REF, 2);
  static float feat[FEAT], logits[LOGITS], feat_ref[FEAT], logits_ref[LOGITS], f2[FEAT], l2[LOGITS];
  run_once(shared, feat, logits);
  run_once(own, feat_ref, logits_ref);
  repconv_model_destroy(m);
  /* Reuse the freed sizes, as an application would. */
  void* junk[64];
  for (int i = 0; i < 64; i++) {
    junk[i] = malloc((size_t)(i + 1) * 256);
    assert_non_null(junk[i]);
    memset(junk[i], 0xff, (size_t)(i + 1) * 256);
  }
  run_once(shared, f2, l2);
  assert_memory_equal(f2, feat, sizeof(feat));
  assert_memory_equal(l2, logits, sizeof(logits));
  repconv_session_destroy(shared);
  run_once(own, f2, l2);
  assert_memory_equal(f2, feat_ref, sizeof(feat));
  assert_memory_equal(l2, logits_ref, sizeof(logits));
  assert_int_equal(repconv_session_num_plan_entries(own) > 0, 1);
  repconv_plan_entry_t e;
  assert_int_equal(repconv_session_plan(own, 0, &e), REPCONV_OK);
  assert_non_null(e.node);
  repconv_session_destroy(own);
  for (int i = 0; i < 64; i++) free(junk[i]);
}

static void test_version(void** state) {
  (void)state;
  assert_string_equal(repconv_version(), REPCONV_VERSION_STRING);
  assert_string_equal(repconv_status_string(REPCONV_ERROR_SHAPE), "shape error");
  assert_non_null(repconv_builtin_name(0));
  assert_true(strlen(repconv_cpu_summary()) > 0);
}

/* Issue 11 item 7: loading was quadratic in the node count (name lookup per
 * add, Kahn's sort, arena placement, fused-step bookkeeping): a 16k-node
 * chain took 2.3 s. A 200k-node chain now loads in about 1.5 s (release
 * build, docs/load-scaling.md): here it must load and compute the right
 * thing (no time is asserted). relu and clip [-2, 2]
 * alternate: the output is clamp(x, 0, 2), exactly. */
static void test_long_chain(void** state) {
  (void)state;
  enum { NODES = 200000, CH = 4, HW = 3 };
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, CH, HW, HW};
  repconv_id x;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  char name[32];
  for (int i = 0; i < NODES; i++) {
    snprintf(name, sizeof(name), "n%d", i);
    repconv_status st = (i & 1) ? repconv_builder_activation(b, name, REPCONV_CLIP, x, -2.0f, 2.0f, &x)
                                : repconv_builder_activation(b, name, REPCONV_RELU, x, 0, 0, &x);
    if (st != REPCONV_OK) fail_msg("node %d: %s", i, repconv_last_error());
  }
  assert_int_equal(repconv_builder_output(b, x, "y"), REPCONV_OK);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, REPCONV_BACKEND_REF), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("finish: %s", repconv_last_error());
  repconv_builder_destroy(b);
  assert_int_equal(repconv_model_num_nodes(m), NODES + 1); /* and the output's identity */
  repconv_session_t* s;
  if (repconv_session_create(m, o, &s) != REPCONV_OK) fail_msg("session: %s", repconv_last_error());
  float in[CH * HW * HW], out[CH * HW * HW];
  for (int i = 0; i < CH * HW * HW; i++) in[i] = (float)(i - 18) / 6.0f; /* -3 .. 2.83 */
  repconv_tensor_t ti = {.name = "x", .ndim = 4, .dims = {1, CH, HW, HW}, .data = in};
  repconv_tensor_t to = {.name = "y", .ndim = 4, .dims = {1, CH, HW, HW}, .data = out};
  if (repconv_session_run(s, &ti, 1, &to, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  for (int i = 0; i < CH * HW * HW; i++) {
    const float want = in[i] < 0 ? 0.0f : in[i] > 2 ? 2.0f : in[i];
    if (out[i] != want) fail_msg("element %d: %g, want %g", i, (double)out[i], (double)want);
  }
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_options_destroy(o);
}

/* Many tensors alive at once (4000 graph outputs of one input): past the
 * overlap budget of the arena placement the rest go on top; every output
 * must still get its own memory. */
static void test_many_outputs(void** state) {
  (void)state;
  enum { OUTS = 4000, LEN = 8 };
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[2] = {1, LEN};
  repconv_id x;
  assert_int_equal(repconv_builder_input(b, "x", 2, d, &x), REPCONV_OK);
  char name[32];
  for (int i = 0; i < OUTS; i++) {
    repconv_id y;
    snprintf(name, sizeof(name), "y%d", i);
    /* leaky relu with a slope per output: every output differs */
    assert_int_equal(repconv_builder_activation(b, name, REPCONV_LEAKY_RELU, x, (float)i, 0, &y), REPCONV_OK);
    assert_int_equal(repconv_builder_output(b, y, name), REPCONV_OK);
  }
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, REPCONV_BACKEND_REF), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("finish: %s", repconv_last_error());
  repconv_builder_destroy(b);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  /* 4001 tensors of 8 floats, each padded to 16 floats, all alive at the end */
  assert_true(repconv_session_arena_bytes(s) >= (size_t)(OUTS + 1) * 16 * sizeof(float));
  float in[LEN] = {-1, 2, -3, 4, -5, 6, -7, 8};
  float* out = malloc((size_t)OUTS * LEN * sizeof(float));
  repconv_tensor_t* to = calloc(OUTS, sizeof(*to));
  char(*names)[32] = malloc((size_t)OUTS * 32);
  assert_non_null(out);
  assert_non_null(to);
  assert_non_null(names);
  for (int i = 0; i < OUTS; i++) {
    snprintf(names[i], 32, "y%d", i);
    to[i] = (repconv_tensor_t){.name = names[i], .ndim = 2, .dims = {1, LEN}, .data = out + (size_t)i * LEN};
  }
  repconv_tensor_t ti = {.name = "x", .ndim = 2, .dims = {1, LEN}, .data = in};
  if (repconv_session_run(s, &ti, 1, to, OUTS) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  for (int i = 0; i < OUTS; i++) {
    for (int k = 0; k < LEN; k++) {
      const float want = in[k] < 0 ? in[k] * (float)i : in[k];
      if (out[(size_t)i * LEN + k] != want)
        fail_msg("output %d element %d: %g, want %g", i, k, (double)out[i * LEN + k], (double)want);
    }
  }
  free(names);
  free(to);
  free(out);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_options_destroy(o);
}

/* A model path that is a FIFO or a device is refused before anything opens
 * it (opening a FIFO with no writer blocks; /dev/zero never ends). The alarm
 * turns a hang into a failure. */
static void test_model_not_regular_file(void** state) {
  (void)state;
  char fifo[512];
  rc_test_tmp_path("test_session_fifo.rcm", fifo, sizeof(fifo));
  remove(fifo);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  const char* paths[2] = {fifo, "/dev/zero"};
  alarm(30);
  for (int k = 0; k < 2; k++) {
    repconv_model_t* m = NULL;
    assert_int_equal(repconv_model_load(paths[k], NULL, &m), REPCONV_ERROR_IO);
    assert_null(m);
    assert_contains(repconv_last_error(), "not a regular file");
  }
  alarm(0);
  remove(fifo);
}

/* A 3x3 conv 8 -> 8 channels at 40x50, its output named by the builder: a
 * Winograd step in no chain that reads the caller's input itself. */
static repconv_model_t* lone_conv(void) {
  repconv_builder_t* b = NULL;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  const int64_t dims[4] = {1, 8, 40, 50};
  repconv_id x, y;
  assert_int_equal(repconv_builder_input(b, "x", 4, dims, &x), REPCONV_OK);
  static float w[8 * 8 * 9], bias[8];
  rc_test_rng r;
  rc_test_rng_seed(&r, 3);
  rc_test_fill_uniform(&r, w, sizeof w / sizeof *w, -0.3f, 0.3f);
  rc_test_fill_uniform(&r, bias, 8, -0.1f, 0.1f);
  repconv_conv2d_desc_t d = {.out_channels = 8, .kernel_h = 3, .kernel_w = 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  assert_int_equal(repconv_builder_conv2d(b, "conv", x, &d, w, bias, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, y, "y"), REPCONV_OK);
  repconv_options_t* o = NULL;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, REPCONV_BACKEND_WINOGRAD), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("builder: %s", repconv_last_error());
  repconv_options_destroy(o);
  repconv_builder_destroy(b);
  return m;
}

/* ecbsr-x2 at its own size (its plan streams the input through the chain
 * and stores the output from the tail), and a lone conv (reads the input
 * itself; 8 output channels are converted after the run). A run into
 * separate buffers takes the model's plan; in place (the output buffer
 * starts with the input) and with no output asked for take the arena-copy
 * plan; all agree bitwise. */
static void float_io_paths(repconv_model_t* m, repconv_backend be, int want_out_ext) {
  int in_ext = 0, out_ext = 0;
  for (int32_t i = 0; i < m->plan.n_order; i++) {
    in_ext += m->plan.steps[i].in_external >= 0;
    out_ext += m->plan.steps[i].out_external >= 0;
  }
  assert_int_equal(in_ext, 1);
  assert_int_equal(out_ext, want_out_ext);
  repconv_tensor_info_t ti, to;
  assert_int_equal(repconv_model_input(m, 0, &ti), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &to), REPCONV_OK);
  size_t ni = 1, no = 1;
  for (int k = 0; k < 4; k++) ni *= (size_t)ti.dims[k], no *= (size_t)to.dims[k];
  float* x = malloc(ni * sizeof(float));
  float* y = malloc(no * sizeof(float));
  float* inplace = malloc(no * sizeof(float));
  assert_true(x && y && inplace && no >= ni);
  rc_test_rng r;
  rc_test_rng_seed(&r, 5);
  rc_test_fill_uniform(&r, x, ni, 0.0f, 1.0f);
  for (int threads = 1; threads <= 2; threads++) {
    repconv_session_t* s = rc_test_session(m, be, threads);
    repconv_tensor_t tin = {ti.name, 4, {ti.dims[0], ti.dims[1], ti.dims[2], ti.dims[3]}, x};
    repconv_tensor_t tout = {to.name, 4, {to.dims[0], to.dims[1], to.dims[2], to.dims[3]}, y};
    assert_int_equal(repconv_session_run(s, &tin, 1, &tout, 1), REPCONV_OK);
    assert_ptr_equal(s->cur->plan, &m->plan);
    memcpy(inplace, x, ni * sizeof(float));
    tin.data = inplace;
    tout.data = inplace;
    assert_int_equal(repconv_session_run(s, &tin, 1, &tout, 1), REPCONV_OK);
    assert_int_equal(s->cur->external, 0);
    assert_memory_equal(inplace, y, no * sizeof(float));
    tin.data = x;
    assert_int_equal(repconv_session_run(s, &tin, 1, NULL, 0), REPCONV_OK);
    assert_int_equal(s->cur->external, 0);
    repconv_session_destroy(s);
  }
  free(x);
  free(y);
  free(inplace);
  repconv_model_destroy(m);
}

static void test_float_io_paths(void** state) {
  (void)state;
  repconv_model_t* m = rc_test_load_ecbsr_x2(); /* 256x256 under an emulator */
  float_io_paths(m, REPCONV_BACKEND_AUTO, 1);
  float_io_paths(lone_conv(), REPCONV_BACKEND_WINOGRAD, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_model_not_regular_file),
      cmocka_unit_test(test_sessions_on_threads),
      cmocka_unit_test(test_run_errors),
      cmocka_unit_test(test_concurrent_run_refused),
      cmocka_unit_test(test_thread_affinity),
      cmocka_unit_test(test_pooled_sessions_in_parallel),
      cmocka_unit_test(test_model_outlived_by_sessions),
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_long_chain),
      cmocka_unit_test(test_many_outputs),
      cmocka_unit_test(test_float_io_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

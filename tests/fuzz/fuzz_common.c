/* The fuzz targets' shared half: options from the input, the size guard, and
 * session create + run on small inputs. */
#include "tests/fuzz/fuzz_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/api/handles.h"
#include "runtime/rcm/rcm.h"

int rc_fuzz_fold_override = -1;

/* REPCONV_FUZZ_VERBOSE=1: one line per stage (to see how far seeds get). */
static void note(const char* fmt, const char* detail) {
  static int verbose = -1;
  if (verbose < 0) verbose = getenv("REPCONV_FUZZ_VERBOSE") != NULL;
  if (verbose) {
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
  }
}

/* A broken promise: say which and stop, so libFuzzer keeps the input. */
static void fuzz_fail(const char* what, const char* detail) {
  fprintf(stderr, "fuzz: %s: %s\n", what, detail ? detail : "");
  abort();
}

rc_fuzz_cfg rc_fuzz_config(const uint8_t* data, size_t size) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
  rc_fuzz_cfg c;
  memset(&c, 0, sizeof(c));
  c.hash = h;
  static const int folds[4] = {REPCONV_FOLD_FULL, REPCONV_FOLD_OFF, REPCONV_FOLD_FULL, REPCONV_FOLD_BN};
  c.fold = rc_fuzz_fold_override >= 0 ? rc_fuzz_fold_override : folds[h & 3];
  static const repconv_backend backends[8] = {
      REPCONV_BACKEND_AUTO, REPCONV_BACKEND_REF,  REPCONV_BACKEND_XNNPACK, REPCONV_BACKEND_WINOGRAD,
      REPCONV_BACKEND_GEMM, REPCONV_BACKEND_AUTO, REPCONV_BACKEND_REF,     REPCONV_BACKEND_WINOGRAD};
  c.backend = backends[(h >> 2) & 7];
  c.session_defaults = (h >> 5) & 1;
  c.specials = ((h >> 6) & 3) == 0;
  c.rerun = ((h >> 8) & 3) == 0;
  /* The options that change which kernels run and what they read (binary16
   * panels, tile sizes, chained layers, a second thread's share): a path
   * no seed takes is a path the sanitizers never see. */
  c.weights_fp16 = ((h >> 10) & 3) == 0;
  static const int tiles[4] = {REPCONV_WINOGRAD_AUTO, REPCONV_WINOGRAD_F23, REPCONV_WINOGRAD_F43, REPCONV_WINOGRAD_F63};
  c.winograd = ((h >> 12) & 1) ? tiles[(h >> 13) & 3] : REPCONV_WINOGRAD_AUTO;
  c.chains = ((h >> 15) & 3) != 0;
  c.threads = ((h >> 17) & 3) == 0 ? 2 : 1;
  return c;
}

repconv_options_t* rc_fuzz_options(const rc_fuzz_cfg* cfg) {
  repconv_options_t* o = NULL;
  if (repconv_options_create(&o) != REPCONV_OK) return NULL;
  /* Limits an app loading untrusted files would set: a run stays within the
   * fuzzer's memory and time (-rss_limit_mb, -timeout) and a file asking for
   * more is refused, not executed. */
  if (repconv_options_set_fold_level(o, (repconv_fold_level)cfg->fold) != REPCONV_OK ||
      repconv_options_set_backend(o, cfg->backend) != REPCONV_OK ||
      repconv_options_set_weights_fp16(o, cfg->weights_fp16) != REPCONV_OK ||
      repconv_options_set_winograd(o, cfg->winograd) != REPCONV_OK ||
      repconv_options_set_chains(o, cfg->chains) != REPCONV_OK ||
      repconv_options_set_threads(o, cfg->threads) != REPCONV_OK ||
      repconv_options_set_limit(o, REPCONV_LIMIT_ARENA_BYTES, (uint64_t)256 << 20) != REPCONV_OK ||
      repconv_options_set_limit(o, REPCONV_LIMIT_CONSTANT_BYTES, (uint64_t)256 << 20) != REPCONV_OK ||
      repconv_options_set_limit(o, REPCONV_LIMIT_NODES, (uint64_t)1 << 16) != REPCONV_OK ||
      repconv_options_set_limit(o, REPCONV_LIMIT_LOAD_MACS, (uint64_t)1 << 27) != REPCONV_OK) {
    fuzz_fail("options", repconv_last_error());
  }
  return o;
}

int64_t rc_fuzz_numel(int32_t ndim, const int64_t* dims) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim && i < REPCONV_MAX_DIMS; i++) {
    if (dims[i] < 0) return INT64_MAX;
    if (__builtin_mul_overflow(n, dims[i], &n)) return INT64_MAX;
  }
  return n;
}

static int64_t sat_add(int64_t a, int64_t b) {
  int64_t s;
  return __builtin_add_overflow(a, b, &s) ? INT64_MAX : s;
}

/* Reads every byte of a string the API hands out (ASan checks it is live). */
static size_t touch(const char* s) { return s ? strlen(s) : 0; }

/* Queries everything about the model; returns 1 when it is small enough to run. */
static int survey(const repconv_model_t* m) {
  size_t bytes = 0;
  int64_t elems = 0, flops = 0;
  repconv_tensor_info_t ti;
  for (size_t i = 0; i < repconv_model_num_inputs(m); i++) {
    if (repconv_model_input(m, i, &ti) != REPCONV_OK) fuzz_fail("model_input", repconv_last_error());
    bytes += touch(ti.name);
    elems = sat_add(elems, rc_fuzz_numel(ti.ndim, ti.dims));
  }
  for (size_t i = 0; i < repconv_model_num_outputs(m); i++) {
    if (repconv_model_output(m, i, &ti) != REPCONV_OK) fuzz_fail("model_output", repconv_last_error());
    bytes += touch(ti.name);
  }
  for (size_t i = 0; i < repconv_model_num_nodes(m); i++) {
    repconv_node_info_t ni;
    if (repconv_model_node(m, i, &ni) != REPCONV_OK) fuzz_fail("model_node", repconv_last_error());
    bytes += touch(ni.name) + touch(ni.op) + touch(ni.output.name);
    elems = sat_add(elems, rc_fuzz_numel(ni.output.ndim, ni.output.dims));
    flops = sat_add(flops, ni.flops < 0 ? INT64_MAX : ni.flops);
  }
  repconv_fold_summary_t fs;
  if (repconv_model_fold_summary(m, &fs) != REPCONV_OK) fuzz_fail("fold_summary", repconv_last_error());
  for (int32_t i = 0; i < fs.regions; i++) {
    repconv_fold_region_t r;
    if (repconv_model_fold_region(m, (size_t)i, &r) != REPCONV_OK) fuzz_fail("fold_region", repconv_last_error());
    bytes += touch(r.output) + touch(r.note);
  }
  (void)bytes;
  return elems <= RC_FUZZ_MAX_ELEMENTS && flops <= RC_FUZZ_MAX_FLOPS;
}

/* Deterministic input values from the hash; with specials, a few of the
 * values kernels must not trip on. */
static void fill_input(float* x, size_t n, const rc_fuzz_cfg* cfg, size_t which) {
  uint32_t s = cfg->hash ^ (uint32_t)(which * 2654435761u);
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = (float)(s >> 8) * (4.0f / 16777216.0f) - 2.0f;
  }
  if (!cfg->specials) return;
  static const float special[] = {NAN, INFINITY, -INFINITY, 3e38f, -3e38f, 1e-40f, -0.0f};
  for (size_t k = 0; k < sizeof(special) / sizeof(special[0]) && n; k++) {
    s = s * 1664525u + 1013904223u;
    x[(s >> 8) % n] = special[k];
  }
}

typedef struct io_set {
  repconv_tensor_t* in;
  repconv_tensor_t* out;
  size_t n_in, n_out;
} io_set;

static void io_free(io_set* io) {
  for (size_t i = 0; io->in && i < io->n_in; i++) free(io->in[i].data);
  for (size_t i = 0; io->out && i < io->n_out; i++) free(io->out[i].data);
  free(io->in);
  free(io->out);
  memset(io, 0, sizeof(*io));
}

static int io_tensor(repconv_tensor_t* t, const repconv_tensor_info_t* ti) {
  t->name = ti->name;
  t->ndim = ti->ndim;
  memcpy(t->dims, ti->dims, sizeof(t->dims));
  size_t n = (size_t)rc_fuzz_numel(ti->ndim, ti->dims);
  t->data = malloc((n ? n : 1) * sizeof(float));
  return t->data != NULL;
}

static int io_make(const repconv_model_t* m, const rc_fuzz_cfg* cfg, const float* input0, size_t input0_n, io_set* io) {
  memset(io, 0, sizeof(*io));
  io->n_in = repconv_model_num_inputs(m);
  io->n_out = repconv_model_num_outputs(m);
  io->in = calloc(io->n_in + 1, sizeof(repconv_tensor_t));
  io->out = calloc(io->n_out + 1, sizeof(repconv_tensor_t));
  if (!io->in || !io->out) return 0;
  repconv_tensor_info_t ti;
  for (size_t i = 0; i < io->n_in; i++) {
    if (repconv_model_input(m, i, &ti) != REPCONV_OK || !io_tensor(&io->in[i], &ti)) return 0;
    size_t n = (size_t)rc_fuzz_numel(ti.ndim, ti.dims);
    if (i == 0 && input0 && input0_n == n) {
      memcpy(io->in[i].data, input0, n * sizeof(float));
    } else {
      fill_input(io->in[i].data, n, cfg, i);
    }
  }
  for (size_t i = 0; i < io->n_out; i++) {
    if (repconv_model_output(m, i, &ti) != REPCONV_OK || !io_tensor(&io->out[i], &ti)) return 0;
  }
  return 1;
}

/* Session plan entries: every string read once. */
static void survey_session(const repconv_session_t* s) {
  size_t bytes = 0;
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    repconv_plan_entry_t e;
    if (repconv_session_plan(s, i, &e) != REPCONV_OK) fuzz_fail("session_plan", repconv_last_error());
    bytes += touch(e.node) + touch(e.op) + touch(e.backend) + touch(e.kernel) + touch(e.note);
  }
  (void)bytes;
}

int rc_fuzz_run_model(const repconv_model_t* m, const rc_fuzz_cfg* cfg, const float* input0, size_t input0_n) {
  if (!survey(m)) {
    note("  too large to run%s", "");
    return 0;
  }
  repconv_options_t* o = cfg->session_defaults ? NULL : rc_fuzz_options(cfg);
  repconv_session_t* s = NULL;
  repconv_status st = repconv_session_create(m, o, &s);
  repconv_options_destroy(o);
  if (st != REPCONV_OK) {
    note("  session refused: %s", repconv_last_error());
    return 0;
  }
  survey_session(s);
  io_set io;
  int ran = 0;
  if (io_make(m, cfg, input0, input0_n, &io) &&
      repconv_session_run(s, io.in, io.n_in, io.out, io.n_out) == REPCONV_OK) {
    ran = 1;
    note("  ran%s", cfg->rerun ? " (twice)" : "");
    if (cfg->rerun) {
      /* Same session, same input: bitwise the same output (any threads). */
      float** first = calloc(io.n_out + 1, sizeof(float*));
      for (size_t i = 0; first && i < io.n_out; i++) {
        size_t n = (size_t)rc_fuzz_numel(io.out[i].ndim, io.out[i].dims);
        first[i] = malloc((n ? n : 1) * sizeof(float));
        if (first[i]) memcpy(first[i], io.out[i].data, n * sizeof(float));
      }
      if (repconv_session_run(s, io.in, io.n_in, io.out, io.n_out) != REPCONV_OK) {
        fuzz_fail("second run failed where the first succeeded", repconv_session_error(s));
      }
      for (size_t i = 0; first && i < io.n_out; i++) {
        size_t n = (size_t)rc_fuzz_numel(io.out[i].ndim, io.out[i].dims);
        if (first[i] && memcmp(first[i], io.out[i].data, n * sizeof(float)) != 0) {
          fuzz_fail("two runs of one session differ at output", io.out[i].name);
        }
        free(first[i]);
      }
      free(first);
    }
  }
  if (!ran) note("  run refused: %s", repconv_session_error(s));
  io_free(&io);
  repconv_session_destroy(s);
  return ran;
}

/* Whatever loads must save as .rcm and load back with the same shapes. */
static void check_saves(const repconv_model_t* m) {
  void* img = NULL;
  size_t size = 0;
  if (rc_rcm_save_memory(&m->g, &img, &size) != REPCONV_OK) {
    fuzz_fail("a loaded model does not save as .rcm", rc_error_message());
  }
  rc_graph g;
  rc_graph_init(&g);
  if (rc_rcm_load_memory(img, size, &g) != REPCONV_OK || rc_graph_infer_shapes(&g) != REPCONV_OK) {
    fuzz_fail("a saved model does not load back", rc_error_message());
  }
  rc_graph_free(&g);
  free(img);
}

static repconv_model_t* load(const uint8_t* data, size_t size, const rc_fuzz_cfg* cfg, int ndim, const int64_t* dims) {
  repconv_options_t* o = rc_fuzz_options(cfg);
  if (!o) return NULL;
  repconv_model_t* m = NULL;
  if (ndim > 0 && repconv_options_set_input_shape(o, NULL, ndim, dims) != REPCONV_OK) {
    repconv_options_destroy(o);
    return NULL;
  }
  if (repconv_model_load_memory(data, size, o, &m) != REPCONV_OK) m = NULL;
  note(m ? "  loaded%s" : "  load refused: %s", m ? "" : repconv_last_error());
  repconv_options_destroy(o);
  return m;
}

/* An ONNX input with symbolic dims: 1x3x16x16, with each static dim the
 * importer names ("input 'x' dim 1 is 8 in the model, 3 given") taken over. */
static repconv_model_t* load_dynamic(const uint8_t* data, size_t size, const rc_fuzz_cfg* cfg) {
  int64_t d[4] = {1, 3, 16, 16};
  for (int attempt = 0; attempt < 4; attempt++) {
    repconv_model_t* m = load(data, size, cfg, 4, d);
    if (m) return m;
    const char* at = strstr(repconv_last_error(), " dim ");
    int k;
    long long v;
    if (!at || sscanf(at, " dim %d is %lld in the model", &k, &v) != 2 || k < 0 || k > 3 || v < 1 || v > 64) break;
    d[k] = v;
  }
  return NULL;
}

void rc_fuzz_load_and_run(const uint8_t* data, size_t size) {
  rc_fuzz_cfg cfg = rc_fuzz_config(data, size);
  repconv_model_t* m = load(data, size, &cfg, 0, NULL);
  if (!m && strstr(repconv_last_error(), "is dynamic")) m = load_dynamic(data, size, &cfg);
  if (!m) return;
  check_saves(m);
  if (!rc_fuzz_run_model(m, &cfg, NULL, 0)) {
    /* Too large (or refused): once more with the first input at 1xCx8x8. */
    repconv_tensor_info_t ti;
    if (repconv_model_num_inputs(m) > 0 && repconv_model_input(m, 0, &ti) == REPCONV_OK && ti.ndim == 4 &&
        rc_fuzz_numel(ti.ndim, ti.dims) > 64 * ti.dims[1]) {
      int64_t d[4] = {1, ti.dims[1], ti.dims[2] < 8 ? ti.dims[2] : 8, ti.dims[3] < 8 ? ti.dims[3] : 8};
      repconv_model_destroy(m);
      m = load(data, size, &cfg, 4, d);
      if (m) (void)rc_fuzz_run_model(m, &cfg, NULL, 0);
    }
  }
  repconv_model_destroy(m);
}

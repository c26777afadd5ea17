/* ONNX import against PyTorch: every model in tests/fixtures/onnx/manifest.txt
 * (exported by tests/fixtures/gen.py with PyTorch 1.13's defaults) is loaded
 * through the public API, run unfolded on its input, and compared with
 * PyTorch's output. Then every file in tests/fixtures/onnx_bad/ must fail
 * with a message holding the manifest's words, and truncated or corrupted
 * copies of a real export must fail cleanly.
 *
 * Tolerance, relative to the output's magnitude: max |repconv − torch| ≤
 * 5e-6 · max(1, max |torch|). PyTorch sums in float32 (a few ulp per layer,
 * growing with depth and fan-in), repconv's reference kernels in double with
 * one rounding per op; on these ≤ 12-layer fixtures the measured gap is at
 * most 3.6e-7 relative (printed per model), so 5e-6 leaves >10× headroom for
 * other compilers and libms while any real mistake (a wrong tap, channel or
 * border value) moves the output by ≥ 1e-3 relative. The SR models run on
 * 0–255 inputs, hence the relative form. */
#define _GNU_SOURCE /* strcasestr, strtok_r */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "runtime/io/npy.h"
#include "repconv.h"
#include "tests/support/onnx_fixture.h"
#include "tests/support/test_util.h"

#define REL_TOL 5e-6

/* Runs every fixture of the manifest with these options and checks each
 * against PyTorch at tol (relative to the output's magnitude). */
static void check_manifest(repconv_options_t* o, const char* label, double tol) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx/manifest.txt", rc_test_fixtures());
  FILE* f = fopen(path, "r");
  assert_non_null(f);
  char line[512];
  int count = 0;
  double worst = 0;
  while (fgets(line, sizeof(line), f)) {
    char name[256];
    if (line[0] == '#' || sscanf(line, "%255s", name) != 1) continue;
    double rel = rc_test_fixture_run(name, o, NULL, NULL);
    printf("  %-24s %s: max rel err %.2e\n", name, label, rel);
    if (!(rel <= tol)) {
      fail_msg("%s (%s): max error %.3g relative to the output's magnitude > %g", name, label, rel, tol);
    }
    if (rel > worst) worst = rel;
    count++;
  }
  fclose(f);
  printf("  worst %.2e over %d fixtures (%s)\n", worst, count, label);
  assert_true(count >= 20);
}

static repconv_options_t* options(int fold, repconv_backend backend) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, backend), REPCONV_OK);
  return o;
}

static void test_fixtures_match_pytorch(void** state) {
  (void)state;
  repconv_options_t* o = options(0, REPCONV_BACKEND_REF); /* auto would pick XNNPACK */
  check_manifest(o, "ref, unfolded", REL_TOL);
  repconv_options_destroy(o);
}

/* Second pass: every fixture folded and run with the XNNPACK backend.
 * XNNPACK sums in float32 in its own order (as PyTorch does, in another
 * order), and the folded weights are rounded once more to float32, so the
 * error is no longer the ~1e-7 of the double-accumulating reference: a
 * K-term float32 dot product has a worst-case relative error of K·2⁻²⁴
 * (K = 9·64 = 576 → 3.4e-5), typically √K·2⁻²⁴ (1.4e-6), per layer, on both
 * sides. XNN_REL_TOL = 1e-4 of the output's magnitude covers the worst case of
 * the largest fan-in here with room for a few layers; the measured gap is
 * printed per model (worst 6.7e-7 on these fixtures), and a real mistake (a wrong tap,
 * a channel order, a border) moves outputs by ≥ 1e-3 relative. */
#define XNN_REL_TOL 1e-4
static void test_fixtures_xnnpack_folded(void** state) {
  (void)state;
  repconv_options_t* o = options(1, REPCONV_BACKEND_XNNPACK);
  check_manifest(o, "xnnpack, folded", XNN_REL_TOL);
  repconv_options_destroy(o);
}

/* Third pass: every fixture folded, backend winograd (the planner's variant
 * per layer, then F(6,3) forced on every 3x3 conv, the least accurate
 * variant). tests/test_winograd.c measures the kernels' error per output
 * relative to Σ|terms|: F(2,3) 1.6e-7, F(4,3) 1.0e-6, F(6,3) 5.8e-6 at most
 * (direct fp32: 2.5e-7): F(6,3) carries 7.4× the RMS error of a direct
 * fp32 conv at C ≥ 64 (published: 4–10×), from transform entries up to 32.
 * XNN_REL_TOL (1e-4) covers a direct fp32 conv's worst case K·2⁻²⁴ with
 * headroom; scaled by that ratio and rounded up, WINO_REL_TOL = 1e-3 for
 * F(6,3), which also covers F(2,3) and F(4,3). Measured (printed per model):
 * worst 6.9e-7 with the planner's variants, 4.3e-6 with F(6,3) forced; a
 * real mistake (a wrong tap, tile, pad, channel order or fused slope) moves
 * outputs by ≥ 1e-2 relative, 10× above the bound. */
#define WINO_REL_TOL 1e-3
static void fixtures_winograd(int tile) {
  repconv_options_t* o = options(1, REPCONV_BACKEND_WINOGRAD);
  assert_int_equal(repconv_options_set_winograd(o, tile), REPCONV_OK);
  check_manifest(o, tile ? "winograd F(6,3), folded" : "winograd auto, folded", WINO_REL_TOL);
  repconv_options_destroy(o);
}

static void test_fixtures_winograd_folded(void** state) {
  (void)state;
  fixtures_winograd(REPCONV_WINOGRAD_AUTO);
  fixtures_winograd(REPCONV_WINOGRAD_F63);
}

/* Fails unless msg is well-formed UTF-8 without C0/C1 controls or DEL (issue
 * 11 item 10: names from a file are escaped in messages). */
static void expect_printable(const char* what, const char* msg) {
  const unsigned char* p = (const unsigned char*)msg;
  for (size_t i = 0; p[i];) {
    size_t len = p[i] < 0x80             ? 1
                 : (p[i] & 0xE0) == 0xC0 ? 2
                 : (p[i] & 0xF0) == 0xE0 ? 3
                 : (p[i] & 0xF8) == 0xF0 ? 4
                                         : 0;
    int ok = len > 0 && p[i] >= 0x20 && p[i] != 0x7F && !(p[i] == 0xC2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F);
    for (size_t k = 1; ok && k < len; k++) ok = (p[i + k] & 0xC0) == 0x80;
    if (!ok) fail_msg("%s: message has byte 0x%02x at %zu", what, p[i], i);
    i += len;
  }
}

static void test_bad_files(void** state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx_bad/manifest.txt", rc_test_fixtures());
  FILE* f = fopen(path, "r");
  assert_non_null(f);
  char line[512];
  int count = 0;
  while (fgets(line, sizeof(line), f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    char* save = NULL;
    char* file = strtok_r(line, " \t\n", &save);
    if (!file) continue;
    snprintf(path, sizeof(path), "%s/onnx_bad/%s", rc_test_fixtures(), file);
    repconv_model_t* m = NULL;
    repconv_status st = repconv_model_load(path, NULL, &m);
    if (st == REPCONV_OK) fail_msg("%s loaded", file);
    assert_null(m);
    const char* msg = repconv_last_error();
    expect_printable(file, msg);
    for (char* w = strtok_r(NULL, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
      if (!strcasestr(msg, w)) fail_msg("%s: message '%s' lacks '%s'", file, msg, w);
    }
    printf("  %-28s %s\n", file, msg);
    count++;
  }
  fclose(f);
  assert_true(count >= 10);
}

static void* read_all(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* b = malloc((size_t)n);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *size = (size_t)n;
  return b;
}

/* Truncation at every length and random byte corruption of real exports
 * (with constant subgraphs): an error or a valid model, never a crash. */
static void truncated_and_corrupted(const char* name) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx/%s.onnx", rc_test_fixtures(), name);
  size_t size;
  unsigned char* img = read_all(path, &size);
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_model_load_memory(img, size, NULL, &m), REPCONV_OK);
  repconv_model_destroy(m);
  int failed = 0;
  for (size_t len = 0; len < size; len += (len < 4096 ? 1 : 97)) {
    m = NULL;
    repconv_status st = repconv_model_load_memory(img, len, NULL, &m);
    if (st == REPCONV_OK) {
      repconv_model_destroy(m);
    } else {
      assert_null(m);
      assert_true(strlen(repconv_last_error()) > 0);
      failed++;
    }
  }
  assert_true(failed > 100);
  rc_test_rng r;
  rc_test_rng_seed(&r, 99);
  unsigned char* mut = malloc(size);
  assert_non_null(mut);
  for (int it = 0; it < 600; it++) {
    memcpy(mut, img, size);
    int flips = rc_test_rng_int(&r, 1, 8);
    for (int k = 0; k < flips; k++) mut[rc_test_rng_u32(&r) % size] = (unsigned char)rc_test_rng_u32(&r);
    m = NULL;
    if (repconv_model_load_memory(mut, size, NULL, &m) == REPCONV_OK) repconv_model_destroy(m);
  }
  free(mut);
  free(img);
}

static void test_truncated_and_corrupted(void** state) {
  (void)state;
  truncated_and_corrupted("ecbsr_x2");
  /* Pad + ScatterND chains with their index arithmetic (official BN-and-pad). */
  truncated_and_corrupted("dbb_block_k3_official");
  /* Rank-6 Reshape/Transpose/Add of RepMLP's partition and merge. */
  truncated_and_corrupted("repmlp_block");
  repconv_model_t* m = NULL;
  /* Not protobuf at all. */
  m = NULL;
  assert_int_not_equal(repconv_model_load_memory("hello, world", 12, NULL, &m), REPCONV_OK);
  assert_non_null(strstr(repconv_last_error(), "ONNX"));
}

/* The static shape of a symbolic input comes from the options. */
static void test_dynamic_dim_with_shape(void** state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx_bad/dynamic_dim.onnx", rc_test_fixtures());
  repconv_model_t* m = NULL;
  repconv_tensor_info_t info;
  /* Without a shape it loads with the symbolic dim reported as -1 (issue 13). */
  if (repconv_model_load(path, NULL, &m) != REPCONV_OK) fail_msg("%s", repconv_last_error());
  assert_int_equal(repconv_model_input(m, 0, &info), REPCONV_OK);
  assert_int_equal(info.dims[2], -1);
  assert_int_equal(info.dims[3], 5);
  repconv_model_destroy(m);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  /* Read the stored rank from the error-free path: try rank 4 with the
   * fixture's other dims. */
  int64_t d[4] = {1, 2, 7, 5};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, d), REPCONV_OK);
  repconv_status st = repconv_model_load(path, o, &m);
  if (st != REPCONV_OK) fail_msg("%s", repconv_last_error());
  assert_int_equal(repconv_model_input(m, 0, &info), REPCONV_OK);
  assert_int_equal(info.dims[2], 7);
  repconv_model_destroy(m);
  /* A shape that contradicts a static dim is refused. */
  int64_t bad[4] = {1, 9, 7, 5};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, bad), REPCONV_OK);
  assert_int_equal(repconv_model_load(path, o, &m), REPCONV_ERROR_SHAPE);
  repconv_options_destroy(o);
}

/* Batch > 1 through the input shape on a model exported with a dynamic batch
 * (and dynamic height and width): every batch item must equal the fixture's
 * output. For the official-style BN-and-pad (Pad + ScatterND) the scatter
 * indices then come from Shape ops at the run shape (N = 3). */
static void batch_override(const char* name) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx/%s.onnx", rc_test_fixtures(), name);
  rc_npy x = rc_test_fixture_npy(name, "in"), y = rc_test_fixture_npy(name, "out");
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  repconv_model_t* m;
  /* Without a shape: dims -1 where the export made them symbolic, or (the
   * official ECB, whose pad indices come from Shape ops) refused with what
   * to do (issue 13). */
  if (repconv_model_load(path, NULL, &m) == REPCONV_OK) {
    repconv_tensor_info_t info;
    assert_int_equal(repconv_model_input(m, 0, &info), REPCONV_OK);
    assert_int_equal(info.dims[0], -1);
    repconv_model_destroy(m);
  } else if (!strstr(repconv_last_error(), "repconv_options_set_input_shape") ||
             !strstr(repconv_last_error(), "Shape")) {
    fail_msg("%s", repconv_last_error());
  }
  int64_t d[4] = {3, x.dims[1], x.dims[2], x.dims[3]};
  assert_int_equal(repconv_options_set_input_shape(o, "input", 4, d), REPCONV_OK);
  if (repconv_model_load(path, o, &m) != REPCONV_OK) fail_msg("%s: %s", name, repconv_last_error());
  size_t per = (size_t)(x.dims[1] * x.dims[2] * x.dims[3]), per_out = (size_t)(y.dims[1] * y.dims[2] * y.dims[3]);
  float* xin = malloc(3 * per * sizeof(float));
  float* got = malloc(3 * per_out * sizeof(float));
  assert_non_null(xin);
  assert_non_null(got);
  for (int b = 0; b < 3; b++) memcpy(xin + b * per, x.data, per * sizeof(float));
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  repconv_tensor_t in = {"input", 4, {3, x.dims[1], x.dims[2], x.dims[3]}, xin};
  repconv_tensor_t out = {"output", 4, {3, y.dims[1], y.dims[2], y.dims[3]}, got};
  assert_int_equal(repconv_session_run(s, &in, 1, &out, 1), REPCONV_OK);
  /* The same relative bound as the fixtures. */
  double mag = 1;
  for (size_t i = 0; i < per_out; i++) mag = fmax(mag, fabs(y.data[i]));
  for (int b = 0; b < 3; b++) rc_test_expect_close_f(name, got + b * per_out, y.data, per_out, mag * REL_TOL, 0);
  free(xin);
  free(got);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_options_destroy(o);
  rc_npy_free(&x);
  rc_npy_free(&y);
}

static void test_batch_override(void** state) {
  (void)state;
  batch_override("ecbsr_x2_dyn");
  batch_override("ecb_block_official_dyn");
}

/* The official DBB/ECBSR BN-and-pad (Pad, then four ScatterND overwriting
 * the border) imports as exactly one pad node with per-channel values per
 * BN-and-pad, and nothing else: the index arithmetic is all constant. */
static void expect_ops(const char* name, const int64_t* shape, int want_nodes, int want_pads,
                       const char* const* allowed) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx/%s.onnx", rc_test_fixtures(), name);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  if (shape) assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, shape), REPCONV_OK);
  repconv_model_t* m;
  if (repconv_model_load(path, o, &m) != REPCONV_OK) fail_msg("%s: %s", name, repconv_last_error());
  int pads = 0, nodes = (int)repconv_model_num_nodes(m);
  for (int i = 0; i < nodes; i++) {
    repconv_node_info_t info;
    assert_int_equal(repconv_model_node(m, (size_t)i, &info), REPCONV_OK);
    int ok = 0;
    for (const char* const* a = allowed; *a; a++) ok |= strcmp(*a, info.op) == 0;
    if (!ok) fail_msg("%s: unexpected node '%s' (%s)", name, info.name, info.op);
    pads += strcmp(info.op, "pad") == 0;
  }
  if (nodes != want_nodes || pads != want_pads) {
    fail_msg("%s: %d nodes, %d pads; expected %d and %d", name, nodes, pads, want_nodes, want_pads);
  }
  repconv_model_destroy(m);
  repconv_options_destroy(o);
}

static void test_official_bn_and_pad(void** state) {
  (void)state;
  static const char* const dbb[] = {"conv2d", "batchnorm", "add", "pad", "avgpool", NULL};
  static const char* const ecb[] = {"conv2d", "add", "pad", "prelu", "depth_to_space", NULL};
  /* DBB: 5 convs, 2 BN, 3 adds, avg pool (+ its own zero pad), 2 BN-and-pads. */
  expect_ops("dbb_block_k3_official", NULL, 14, 3, dbb);
  expect_ops("dbb_block_k5_official", NULL, 14, 3, dbb);
  /* ECB: 9 convs, 4 adds, 4 BN-and-pads (1x1-3x3, Sobel x/y, Laplacian), PReLU;
   * the dynamic export at another batch and size (indices from Shape ops). */
  expect_ops("ecb_block_official", NULL, 18, 4, ecb);
  static const int64_t other[4] = {2, 8, 17, 19};
  expect_ops("ecb_block_official_dyn", other, 18, 4, ecb);
  /* PyTorch 1.13 bakes the traced slab shape ([1, C, 1, W]) into the
   * constant it expands the pad value from, so that export is dynamic in the
   * batch only; at another width the Expand is invalid ONNX, and the load
   * says so rather than guessing. */
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx/ecb_block_official_dyn.onnx", rc_test_fixtures());
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  static const int64_t wider[4] = {1, 8, 17, 12};
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, wider), REPCONV_OK);
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_model_load(path, o, &m), REPCONV_ERROR_SHAPE);
  assert_null(m);
  const char* msg = repconv_last_error();
  if (!strstr(msg, "Expand") || !strstr(msg, "do not broadcast")) fail_msg("%s", msg);
  repconv_options_destroy(o);
  /* ECBSR: 4 ECBs, a PReLU after 3, the input residual, pixel shuffle. */
  expect_ops("ecbsr_x2_official", NULL, 4 * 17 + 3 + 2, 16, ecb);
  expect_ops("scatternd_ring_handmade", NULL, 2, 1, ecb);
}

/* RepMLP's rank-6 partition/merge imports as one patch_partition and one
 * patch_merge (plus rank-4 reshapes), and the dynamic export follows the
 * input shape: at 1x8x15x6 the grid is 3x2, and the folded model matches
 * the unfolded one there (no PyTorch output at that shape; the tolerance is
 * test_fold's, float rounding of the intermediates the fold removes). */
static void test_repmlp_import(void** state) {
  (void)state;
  static const char* const ops[] = {"conv2d",      "batchnorm",      "add",  "reshape", "patch_partition",
                                    "patch_merge", "global_avgpool", "relu", "sigmoid", "mul",
                                    NULL};
  /* 5 convs (FC, two branches with PyTorch's Conv+BN fused at export, two
   * in the global perceptron), BN(S), 3 adds, 5 reshapes, the two patch
   * ops, pool, ReLU, sigmoid, mul. */
  expect_ops("repmlp_block", NULL, 20, 0, ops);
  static const int64_t other[4] = {1, 8, 15, 6};
  expect_ops("repmlp_block_dyn", other, 20, 0, ops);
  char path[1024];
  snprintf(path, sizeof(path), "%s/onnx/repmlp_block_dyn.onnx", rc_test_fixtures());
  repconv_model_t* m[2];
  for (int fold = 0; fold < 2; fold++) {
    repconv_options_t* o;
    assert_int_equal(repconv_options_create(&o), REPCONV_OK);
    assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
    assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, other), REPCONV_OK);
    if (repconv_model_load(path, o, &m[fold]) != REPCONV_OK) fail_msg("%s", repconv_last_error());
    repconv_options_destroy(o);
  }
  int found = 0;
  for (size_t i = 0; i < repconv_model_num_nodes(m[1]); i++) {
    repconv_node_info_t info;
    assert_int_equal(repconv_model_node(m[1], i, &info), REPCONV_OK);
    if (strcmp(info.op, "patch_partition") == 0) {
      found = 1;
      assert_int_equal(info.output.dims[0], 6); /* 3x2 patches of 5x3 */
      assert_int_equal(info.output.dims[2], 5);
      assert_int_equal(info.output.dims[3], 3);
    }
  }
  assert_true(found);
  const size_t n = 8 * 15 * 6;
  float x[8 * 15 * 6], y[2][8 * 15 * 6];
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 5);
  rc_test_fill_uniform(&rng, x, n, -1.0f, 1.0f);
  for (int k = 0; k < 2; k++) {
    repconv_session_t* s;
    assert_int_equal(repconv_session_create(m[k], NULL, &s), REPCONV_OK);
    repconv_tensor_t ti = {"input", 4, {1, 8, 15, 6}, x};
    repconv_tensor_t to = {"output", 4, {1, 8, 15, 6}, y[k]};
    if (repconv_session_run(s, &ti, 1, &to, 1) != REPCONV_OK) fail_msg("%s", repconv_session_error(s));
    repconv_session_destroy(s);
    repconv_model_destroy(m[k]);
  }
  double mag = 1.0, err = 0.0;
  for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(y[0][i]));
  for (size_t i = 0; i < n; i++) err = fmax(err, fabs((double)y[1][i] - y[0][i]));
  printf("  repmlp_block_dyn at 1x8x15x6: folded vs unfolded max rel %.2e\n", err / mag);
  assert_true(err / mag <= 2e-6);
}

/* Protobuf bytes written back to front, so that a message's length is known
 * when its key is written: buf[at, cap) holds the encoding so far. */
typedef struct wire {
  unsigned char* buf;
  size_t cap, at;
} wire;

static void w_bytes(wire* w, const void* p, size_t n) {
  assert_true(n <= w->at);
  w->at -= n;
  memcpy(w->buf + w->at, p, n);
}

static void w_varint(wire* w, uint64_t v) {
  unsigned char t[10];
  size_t n = 0;
  do {
    t[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  w_bytes(w, t, n);
}

/* Makes buf[at, end) the payload of length-delimited field `field`. */
static void w_wrap(wire* w, uint32_t field, size_t end) {
  w_varint(w, end - w->at);
  w_varint(w, (uint64_t)field << 3 | 2);
}

static void w_int(wire* w, uint32_t field, uint64_t v) {
  w_varint(w, v);
  w_varint(w, (uint64_t)field << 3);
}

/* An ONNX model whose graph input 'x' has a TypeProto nested `seqs`
 * sequence types deep (TypeProto.sequence_type.elem_type...), the innermost
 * a float tensor type when `tensor`. Message depths: ModelProto 1,
 * GraphProto 2, ValueInfoProto 3, the outer TypeProto 4, then a Sequence
 * and a TypeProto per level, and the innermost Tensor type one more: the
 * deepest message is at 4 + 2·seqs (+1 with the tensor). *key_at: byte
 * offset of the field key of the message at depth `depth`. */
static unsigned char* deep_type_model(int seqs, int tensor, int depth, size_t* size, size_t* key_at) {
  wire w = {NULL, 16 + 8 * (size_t)seqs + 64, 0};
  w.at = w.cap;
  w.buf = malloc(w.cap);
  assert_non_null(w.buf);
  size_t end = w.at, mark = 0;
  if (tensor) {
    w_int(&w, 1, 1);    /* Tensor.elem_type = FLOAT */
    w_wrap(&w, 1, end); /* TypeProto.tensor_type */
    if (depth == 5 + 2 * seqs) mark = w.at;
  }
  for (int k = 0; k < seqs; k++) {
    w_wrap(&w, 1, end); /* Sequence.elem_type: a TypeProto */
    if (depth == 4 + 2 * (seqs - k)) mark = w.at;
    w_wrap(&w, 4, end); /* TypeProto.sequence_type */
    if (depth == 3 + 2 * (seqs - k)) mark = w.at;
  }
  w_wrap(&w, 2, end); /* ValueInfoProto.type */
  w_bytes(&w, "x", 1);
  w_varint(&w, 1);
  w_varint(&w, 1 << 3 | 2); /* ValueInfoProto.name */
  w_wrap(&w, 11, end);      /* GraphProto.input */
  w_wrap(&w, 7, end);       /* ModelProto.graph */
  size_t opset = w.at;
  w_int(&w, 2, 14);     /* OperatorSetIdProto.version */
  w_wrap(&w, 8, opset); /* ModelProto.opset_import */
  w_int(&w, 1, 8);      /* ModelProto.ir_version */
  *size = w.cap - w.at;
  *key_at = mark - w.at;
  memmove(w.buf, w.buf + w.at, *size);
  return w.buf;
}

/* Issue 11 item 5: protobuf-c decodes nested messages recursively, so a
 * deeply nested TypeProto overflowed the stack (5,000 sequence levels: 10,003
 * messages deep, 35 KB). The importer scans the nesting first and refuses
 * more than 64 levels, naming the depth and offset; at exactly 64 the file
 * decodes and fails later for what it is (a sequence-typed input). The
 * message names the first message past the limit (depth 65) and the offset
 * of its field key. */
static void test_deep_nesting(void** state) {
  (void)state;
  static const struct {
    int seqs, tensor, deepest;
  } cases[] = {{5000, 1, 10005}, {30, 1, 65}, {31, 0, 66}, {30, 0, 64}, {29, 1, 63}};
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    size_t size, at;
    unsigned char* b = deep_type_model(cases[c].seqs, cases[c].tensor, 65, &size, &at);
    repconv_model_t* m = NULL;
    repconv_status st = repconv_model_load_memory(b, size, NULL, &m);
    const char* msg = repconv_last_error();
    printf("  %d deep (%zu bytes): %s\n", cases[c].deepest, size, msg);
    assert_int_not_equal(st, REPCONV_OK);
    assert_null(m);
    if (cases[c].deepest > 64) {
      assert_int_equal(st, REPCONV_ERROR_FORMAT);
      char want[96];
      snprintf(want, sizeof(want), "at depth 65, byte offset %zu", at);
      if (!strstr(msg, want) || !strstr(msg, "more than 64 deep")) fail_msg("message '%s' lacks '%s'", msg, want);
    } else {
      if (strstr(msg, "deep")) fail_msg("depth %d refused: %s", cases[c].deepest, msg);
      assert_non_null(strstr(msg, "not a tensor"));
    }
    free(b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures_match_pytorch),
      cmocka_unit_test(test_fixtures_xnnpack_folded),
      cmocka_unit_test(test_fixtures_winograd_folded),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_truncated_and_corrupted),
      cmocka_unit_test(test_dynamic_dim_with_shape),
      cmocka_unit_test(test_batch_override),
      cmocka_unit_test(test_official_bn_and_pad),
      cmocka_unit_test(test_repmlp_import),
      cmocka_unit_test(test_deep_nesting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

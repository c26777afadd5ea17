/* libFuzzer target: a .npy tensor as `repconv run --input` takes it: parse,
 * feed it to a small model of its shape (built, folded or not, planned, run),
 * write the output as .npy and read that back bit for bit. Seeds:
 * the .npy files of tests/fixtures/ref/ and tests/fixtures/onnx/, and
 * tests/fuzz/corpus/fuzz_npy/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_common.h"
#include "runtime/io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

/* Larger tensors are parsed but not run. */
#define NPY_RUN_MAX_ELEMENTS ((int64_t)1 << 18)

static char tmp_path[512];

static void remove_tmp(void) {
  if (tmp_path[0]) remove(tmp_path);
}

static const char* out_path(void) {
  if (!tmp_path[0]) {
    const char* dir = getenv("REPCONV_TEST_TMP");
    if (!dir) dir = getenv("TMPDIR");
    if (!dir) dir = "/tmp";
    snprintf(tmp_path, sizeof(tmp_path), "%s/repconv_fuzz_npy_%ld.npy", dir, (long)getpid());
    atexit(remove_tmp);
  }
  return tmp_path;
}

static void fail(const char* what) {
  fprintf(stderr, "fuzz_npy: %s: %s\n", what, repconv_last_error());
  abort();
}

/* The model: a 1x1 conv to 2 channels (rank 4) or an FC to 3 features
 * (rank 2) when the weights stay small, then ReLU and a scale by 0.5. */
static repconv_model_t* model_for(const rc_npy* t, const rc_fuzz_cfg* cfg) {
  repconv_builder_t* b = NULL;
  if (repconv_builder_create(&b) != REPCONV_OK) return NULL;
  repconv_id x = -1, y = -1;
  static float w[2 * 4096], ones[4096];
  for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) w[i] = (float)((int)(i % 7) - 3) * 0.25f;
  for (size_t i = 0; i < sizeof(ones) / sizeof(ones[0]); i++) ones[i] = 1.0f;
  float half = 0.5f;
  repconv_status s = repconv_builder_input(b, "x", t->ndim, t->dims, &x);
  y = x;
  if (s == REPCONV_OK && t->ndim == 4 && t->dims[1] <= 4096) {
    repconv_conv2d_desc_t d = {.out_channels = 2, .kernel_h = 1, .kernel_w = 1};
    s = repconv_builder_conv2d(b, "conv", x, &d, w, NULL, &y);
  } else if (s == REPCONV_OK && t->ndim == 2 && t->dims[1] <= 4096) {
    s = repconv_builder_gemm(b, "fc", x, 2, w, ones, 1.0f, 1.0f, &y);
  }
  repconv_id c = -1;
  if (s == REPCONV_OK) s = repconv_builder_activation(b, "relu", REPCONV_RELU, y, 0, 0, &y);
  if (s == REPCONV_OK) s = repconv_builder_constant(b, "half", 0, NULL, &half, &c);
  if (s == REPCONV_OK) s = repconv_builder_binary(b, "scale", REPCONV_MUL, y, c, &y);
  if (s == REPCONV_OK) s = repconv_builder_output(b, y, "y");
  repconv_model_t* m = NULL;
  repconv_options_t* o = rc_fuzz_options(cfg);
  if (s == REPCONV_OK && o && repconv_builder_finish(b, o, &m) != REPCONV_OK) m = NULL;
  repconv_options_destroy(o);
  repconv_builder_destroy(b);
  return m;
}

/* Output 0 of a run, written and read back: the same shape and bits. */
static void round_trip(const repconv_model_t* m, const rc_fuzz_cfg* cfg, const rc_npy* t) {
  repconv_tensor_info_t oi;
  if (repconv_model_output(m, 0, &oi) != REPCONV_OK) fail("model_output");
  size_t n = (size_t)rc_fuzz_numel(oi.ndim, oi.dims);
  float* y = malloc((n ? n : 1) * sizeof(float));
  if (!y) return;
  repconv_session_t* s = NULL;
  repconv_tensor_t in = {.name = "x", .ndim = t->ndim, .data = t->data};
  memcpy(in.dims, t->dims, sizeof(in.dims));
  repconv_tensor_t out = {.name = oi.name, .ndim = oi.ndim, .data = y};
  memcpy(out.dims, oi.dims, sizeof(out.dims));
  repconv_options_t* o = cfg->session_defaults ? NULL : rc_fuzz_options(cfg);
  if (repconv_session_create(m, o, &s) != REPCONV_OK) fail("session_create on a small model");
  repconv_options_destroy(o);
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail("session_run on a small model");
  repconv_session_destroy(s);
  if (rc_npy_write_file(out_path(), oi.ndim, oi.dims, y) != REPCONV_OK) fail("npy write");
  rc_npy back;
  if (rc_npy_read_file(out_path(), &back) != REPCONV_OK) fail("npy read back");
  if (back.ndim != oi.ndim || memcmp(back.dims, oi.dims, (size_t)oi.ndim * sizeof(int64_t)) != 0 ||
      memcmp(back.data, y, n * sizeof(float)) != 0) {
    fprintf(stderr, "fuzz_npy: the written .npy reads back different\n");
    abort();
  }
  rc_npy_free(&back);
  free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rc_npy t;
  if (rc_npy_read_memory(data, size, "fuzz input", &t) != REPCONV_OK) {
    rc_npy_free(&t);
    return 0;
  }
  if (rc_fuzz_numel(t.ndim, t.dims) <= NPY_RUN_MAX_ELEMENTS) {
    rc_fuzz_cfg cfg = rc_fuzz_config(data, size);
    repconv_model_t* m = model_for(&t, &cfg);
    if (m) round_trip(m, &cfg, &t);
    repconv_model_destroy(m);
  }
  rc_npy_free(&t);
  return 0;
}

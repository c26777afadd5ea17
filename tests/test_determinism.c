/* Determinism matrix: every built-in model and every ONNX fixture, on every
 * backend, with 1 to 4 threads. The outputs with 2, 3 and 4 threads must be
 * bitwise those of the 1-thread run of the same backend: every kernel splits
 * its work between threads by output elements (rows, tiles, channel blocks),
 * never inside a sum, so each output is the same sequence of float
 * operations whatever the thread count (repconv.h). Backends are not compared
 * with each other here (they round differently; test_models and test_onnx
 * bound that).
 *
 * Sizes: the built-ins at 64x64 (stage 4 of the classifiers is 2x2; every
 * layer kind and kernel choice still appears), ECBSR also at 256x256 on
 * backends winograd and auto: the smallest size at which its six 3x3 convs
 * form a Winograd chain (runtime/plan/chains.c, RC_WINO_CHAIN_MIN_BYTES); the fixtures at the
 * size of their .in.npy.
 *
 * Under an emulator (the AArch64 job under qemu) only backend auto runs:
 * it runs the NEON kernels (Winograd, chains, the GEMM) under the same
 * splitting code that winograd and gemm use, which is portable C checked
 * natively on every backend; ref is portable C and xnnpack Debian's
 * library. All five took 150 s of the job's 350 under qemu, auto a third
 * of the three with NEON code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/io/npy.h"
#include "repconv.h"
#include "tests/support/test_util.h"

static const repconv_backend k_backends[] = {REPCONV_BACKEND_REF, REPCONV_BACKEND_XNNPACK, REPCONV_BACKEND_WINOGRAD,
                                             REPCONV_BACKEND_GEMM, REPCONV_BACKEND_AUTO};
static const char* const k_backend_names[] = {"ref", "xnnpack", "winograd", "gemm", "auto"};
enum { MAX_THREADS = 4, MAX_IO = 8 };

typedef struct io {
  size_t n_in, n_out;
  repconv_tensor_t in[MAX_IO], out[MAX_IO];
  size_t out_numel[MAX_IO];
} io;

static size_t numel(const repconv_tensor_info_t* t) {
  size_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= (size_t)t->dims[i];
  return n;
}

/* Inputs: x0 for input 0 if given (a fixture's .in.npy), else uniform in
 * [-1, 1) from a fixed seed; output buffers for every output. */
static void io_make(const repconv_model_t* m, const float* x0, io* t) {
  memset(t, 0, sizeof(*t));
  t->n_in = repconv_model_num_inputs(m);
  t->n_out = repconv_model_num_outputs(m);
  assert_true(t->n_in <= MAX_IO && t->n_out <= MAX_IO);
  rc_test_rng r;
  rc_test_rng_seed(&r, 2024);
  for (size_t i = 0; i < t->n_in; i++) {
    repconv_tensor_info_t info;
    assert_int_equal(repconv_model_input(m, i, &info), REPCONV_OK);
    repconv_tensor_t* x = &t->in[i];
    x->name = info.name;
    x->ndim = info.ndim;
    memcpy(x->dims, info.dims, sizeof(x->dims));
    x->data = malloc(numel(&info) * sizeof(float));
    assert_non_null(x->data);
    if (i == 0 && x0) {
      memcpy(x->data, x0, numel(&info) * sizeof(float));
    } else {
      rc_test_fill_uniform(&r, x->data, numel(&info), -1.0f, 1.0f);
    }
  }
  for (size_t i = 0; i < t->n_out; i++) {
    repconv_tensor_info_t info;
    assert_int_equal(repconv_model_output(m, i, &info), REPCONV_OK);
    repconv_tensor_t* y = &t->out[i];
    y->name = info.name;
    y->ndim = info.ndim;
    memcpy(y->dims, info.dims, sizeof(y->dims));
    t->out_numel[i] = numel(&info);
    y->data = malloc(t->out_numel[i] * sizeof(float));
    assert_non_null(y->data);
  }
}

static void io_free(io* t) {
  for (size_t i = 0; i < t->n_in; i++) free(t->in[i].data);
  for (size_t i = 0; i < t->n_out; i++) free(t->out[i].data);
}

static void run(const repconv_model_t* m, repconv_backend be, int threads, io* t) {
  repconv_session_t* s = rc_test_session(m, be, threads);
  for (size_t i = 0; i < t->n_out; i++) memset(t->out[i].data, 0xa5, t->out_numel[i] * sizeof(float));
  if (repconv_session_run(s, t->in, t->n_in, t->out, t->n_out) != REPCONV_OK) {
    fail_msg("run: %s", repconv_session_error(s));
  }
  repconv_session_destroy(s);
}

/* The matrix for one model. */
enum { ALL_BACKENDS = 0x1f, CHAIN_BACKENDS = 1 << 2 | 1 << 4 }; /* masks over k_backends: winograd, auto */
enum { EMULATED_BACKENDS = 1 << 4 };                            /* auto */

static void check_model(const char* what, const char* path, int32_t ndim, const int64_t* dims, const float* x0,
                        unsigned backends) {
  repconv_options_t* opt;
  assert_int_equal(repconv_options_create(&opt), REPCONV_OK);
  assert_int_equal(repconv_options_set_input_shape(opt, NULL, ndim, dims), REPCONV_OK);
  repconv_model_t* m;
  if (repconv_model_load(path, opt, &m) != REPCONV_OK) fail_msg("%s: %s", path, repconv_last_error());
  repconv_options_destroy(opt);
  io one, many;
  io_make(m, x0, &one);
  io_make(m, x0, &many);
  if (rc_test_emulated()) backends &= EMULATED_BACKENDS;
  for (size_t b = 0; b < sizeof(k_backends) / sizeof(k_backends[0]); b++) {
    if (!(backends >> b & 1)) continue;
    run(m, k_backends[b], 1, &one);
    for (int threads = 2; threads <= MAX_THREADS; threads++) {
      run(m, k_backends[b], threads, &many);
      for (size_t o = 0; o < one.n_out; o++) {
        const uint32_t* a = (const uint32_t*)(const void*)one.out[o].data;
        const uint32_t* c = (const uint32_t*)(const void*)many.out[o].data;
        for (size_t e = 0; e < one.out_numel[o]; e++) {
          if (a[e] != c[e]) {
            float fa, fc;
            memcpy(&fa, &a[e], sizeof(fa));
            memcpy(&fc, &c[e], sizeof(fc));
            fail_msg("%s, backend %s: output '%s'[%zu] is %.9g (0x%08x) with %d threads, %.9g (0x%08x) with 1", what,
                     k_backend_names[b], one.out[o].name, e, (double)fc, (unsigned)c[e], threads, (double)fa,
                     (unsigned)a[e]);
          }
        }
      }
    }
  }
  io_free(&one);
  io_free(&many);
  repconv_model_destroy(m);
}

static void test_builtins(void** state) {
  (void)state;
  for (size_t i = 0; repconv_builtin_name(i); i++) {
    const char* name = repconv_builtin_name(i);
    repconv_options_t* raw; /* only the input's channels: no fold (it is most of this test's time) */
    assert_int_equal(repconv_options_create(&raw), REPCONV_OK);
    assert_int_equal(repconv_options_set_fold(raw, 0), REPCONV_OK);
    repconv_model_t* m;
    assert_int_equal(repconv_model_load(name, raw, &m), REPCONV_OK);
    repconv_options_destroy(raw);
    repconv_tensor_info_t info;
    assert_int_equal(repconv_model_input(m, 0, &info), REPCONV_OK);
    repconv_model_destroy(m);
    /* At 64x64; a super-resolution net (not 3 channels) also at 256x256 on
     * the backends that chain its convs there (the others run it as at 64). */
    const int64_t d[4] = {1, info.dims[1], 64, 64};
    check_model(name, name, 4, d, NULL, ALL_BACKENDS);
    if (info.dims[1] != 3) {
      const int64_t big[4] = {1, info.dims[1], 256, 256};
      check_model(name, name, 4, big, NULL, CHAIN_BACKENDS);
    }
  }
}

static void test_onnx_fixtures(void** state) {
  (void)state;
#ifndef REPCONV_TEST_ONNX
  skip(); /* built without ONNX import */
#endif
  char path[1024], line[512];
  snprintf(path, sizeof(path), "%s/onnx/manifest.txt", rc_test_fixtures());
  FILE* f = fopen(path, "r");
  if (!f) fail_msg("cannot open %s", path);
  int count = 0;
  while (fgets(line, sizeof(line), f)) {
    char name[256];
    if (line[0] == '#' || sscanf(line, "%255s", name) != 1) continue;
    rc_npy x;
    snprintf(path, sizeof(path), "%s/onnx/%s.in.npy", rc_test_fixtures(), name);
    if (rc_npy_read_file(path, &x) != REPCONV_OK) fail_msg("%s: %s", path, repconv_last_error());
    snprintf(path, sizeof(path), "%s/onnx/%s.onnx", rc_test_fixtures(), name);
    check_model(name, path, x.ndim, x.dims, x.data, ALL_BACKENDS);
    rc_npy_free(&x);
    count++;
  }
  fclose(f);
  assert_true(count >= 40); /* the manifest was read */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builtins),
      cmocka_unit_test(test_onnx_fixtures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

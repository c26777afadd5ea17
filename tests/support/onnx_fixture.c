#include "tests/support/onnx_fixture.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/test_util.h"

rc_npy rc_test_fixture_npy(const char* name, const char* suffix) {
  char path[1024];
  snprintf(path, sizeof(path), "%.900s/onnx/%.60s.%s.npy", rc_test_fixtures(), name, suffix);
  rc_npy a;
  if (rc_npy_read_file(path, &a) != REPCONV_OK) fail_msg("%s", repconv_last_error());
  return a;
}

double rc_test_fixture_run(const char* name, repconv_options_t* opts, void (*inspect)(repconv_session_t*, void* ctx),
                           void* ctx) {
  char path[1024];
  snprintf(path, sizeof(path), "%.900s/onnx/%.60s.onnx", rc_test_fixtures(), name);
  rc_npy x = rc_test_fixture_npy(name, "in"), y = rc_test_fixture_npy(name, "out");
  assert_int_equal(repconv_options_set_input_shape(opts, NULL, x.ndim, x.dims), REPCONV_OK);
  repconv_model_t* m;
  if (repconv_model_load(path, opts, &m) != REPCONV_OK) fail_msg("%s: %s", name, repconv_last_error());
  repconv_tensor_info_t ii, oi;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  size_t n = 1;
  for (int i = 0; i < y.ndim; i++) n *= (size_t)y.dims[i];
  float* got = malloc(n * sizeof(float));
  assert_non_null(got);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, opts, &s), REPCONV_OK);
  repconv_tensor_t in = {ii.name, x.ndim, {0}, x.data};
  repconv_tensor_t out = {oi.name, y.ndim, {0}, got};
  memcpy(in.dims, x.dims, sizeof(in.dims));
  memcpy(out.dims, y.dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("%s: %s", name, repconv_session_error(s));
  if (inspect) inspect(s, ctx);
  double mag = 1, err = 0;
  for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(y.data[i]));
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)got[i] - y.data[i]);
    if (!(e <= err)) err = e; /* NaN counts as an error */
  }
  free(got);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  rc_npy_free(&x);
  rc_npy_free(&y);
  return err / mag;
}

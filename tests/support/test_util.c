#include "tests/support/test_util.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void rc_test_rng_seed(rc_test_rng* r, uint64_t seed) { r->state = seed * 0x9E3779B97F4A7C15ull + 1; }

uint32_t rc_test_rng_u32(rc_test_rng* r) { return rc_rng_u32(r); }

float rc_test_rng_uniform(rc_test_rng* r, float lo, float hi) { return rc_rng_uniform(r, lo, hi); }

int rc_test_rng_int(rc_test_rng* r, int lo, int hi) { return lo + (int)(rc_rng_u32(r) % (uint32_t)(hi - lo + 1)); }

void rc_test_fill_uniform(rc_test_rng* r, float* x, size_t n, float lo, float hi) {
  rc_rng_fill_uniform(r, x, n, lo, hi);
}

static void check(const char* what, size_t i, double got, double want, double atol, double rtol) {
  if (isnan(want) || isnan(got)) {
    if (isnan(want) && isnan(got)) return;
    fail_msg("%s[%zu]: got %.9g, want %.9g", what, i, got, want);
  }
  if (isinf(want) || isinf(got)) {
    if (got == want) return;
    fail_msg("%s[%zu]: got %.9g, want %.9g", what, i, got, want);
  }
  double err = fabs(got - want);
  if (err > atol + rtol * fabs(want)) {
    fail_msg("%s[%zu]: got %.9g, want %.9g (|err| %.3g > %.3g + %.3g·|want|)", what, i, got, want, err, atol, rtol);
  }
}

void rc_test_expect_close(const char* what, const float* got, const double* want, size_t n, double atol, double rtol) {
  for (size_t i = 0; i < n; i++) check(what, i, got[i], want[i], atol, rtol);
}

void rc_test_expect_close_f(const char* what, const float* got, const float* want, size_t n, double atol, double rtol) {
  for (size_t i = 0; i < n; i++) check(what, i, got[i], want[i], atol, rtol);
}

const char* rc_test_fixtures(void) {
  const char* dir = getenv("REPCONV_FIXTURES");
  return dir && dir[0] ? dir : "tests/fixtures";
}

int rc_test_emulated(void) {
  const char* e = getenv("REPCONV_TEST_EMULATED");
  return e && e[0] == '1';
}

repconv_model_t* rc_test_load_ecbsr_x2(void) {
  repconv_options_t* o = NULL;
  if (rc_test_emulated()) {
    const int64_t d[4] = {1, 1, 256, 256};
    assert_int_equal(repconv_options_create(&o), REPCONV_OK);
    assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, d), REPCONV_OK);
  }
  repconv_model_t* m = NULL;
  if (repconv_model_load("ecbsr-x2", o, &m) != REPCONV_OK) fail_msg("load ecbsr-x2: %s", repconv_last_error());
  repconv_options_destroy(o);
  return m;
}

const char* rc_test_tmp_path(const char* file, char* buf, size_t size) {
  const char* dir = getenv("REPCONV_TEST_TMP");
  snprintf(buf, size, "%s/%s", dir && dir[0] ? dir : "/tmp", file);
  return buf;
}

repconv_options_t* rc_test_options(repconv_backend be, int winograd, int threads) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, be), REPCONV_OK);
  assert_int_equal(repconv_options_set_winograd(o, winograd), REPCONV_OK);
  assert_int_equal(repconv_options_set_threads(o, threads), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK);
  return o;
}

void rc_test_plan_entry(repconv_session_t* s, const char* node, repconv_plan_entry_t* out) {
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    assert_int_equal(repconv_session_plan(s, i, out), REPCONV_OK);
    if (strcmp(out->node, node) == 0) return;
  }
  fail_msg("no plan entry for '%s'", node);
}

repconv_session_t* rc_test_session(const repconv_model_t* m, repconv_backend be, int threads) {
  return rc_test_session_pinned(m, be, threads, 1);
}

repconv_session_t* rc_test_session_pinned(const repconv_model_t* m, repconv_backend be, int threads, int pin) {
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, be), REPCONV_OK);
  assert_int_equal(repconv_options_set_threads(o, threads), REPCONV_OK);
  assert_int_equal(repconv_options_set_thread_affinity(o, pin), REPCONV_OK);
  repconv_session_t* s = NULL;
  if (repconv_session_create(m, o, &s) != REPCONV_OK) fail_msg("session: %s", repconv_last_error());
  repconv_options_destroy(o);
  return s;
}

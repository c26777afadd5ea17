/* Helpers shared by the cmocka tests: a fixed-seed generator, tolerance
 * checks that report the first offending index, temp file paths. */
#ifndef RC_TEST_UTIL_H
#define RC_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "repconv.h"
#include "runtime/graph/rng.h"

/* The project's generator (runtime/graph/rng.h), seeded the tests' way. */
typedef rc_rng rc_test_rng;

void rc_test_rng_seed(rc_test_rng* r, uint64_t seed);
uint32_t rc_test_rng_u32(rc_test_rng* r);
/* Uniform in [lo, hi). */
float rc_test_rng_uniform(rc_test_rng* r, float lo, float hi);
/* Integer in [lo, hi]. */
int rc_test_rng_int(rc_test_rng* r, int lo, int hi);
void rc_test_fill_uniform(rc_test_rng* r, float* x, size_t n, float lo, float hi);

/* Fails the cmocka test unless |got[i] − want[i]| ≤ atol + rtol·|want[i]| for
 * every i; the message names what, the index and both values. NaN must match
 * NaN. */
void rc_test_expect_close(const char* what, const float* got, const double* want, size_t n, double atol, double rtol);
void rc_test_expect_close_f(const char* what, const float* got, const float* want, size_t n, double atol, double rtol);

/* A session of m with that backend and thread count; fails the test with
 * the library's message if it cannot be made. */
repconv_session_t* rc_test_session(const repconv_model_t* m, repconv_backend be, int threads);
/* The same with worker pinning on (1, the default) or off (0). */
repconv_session_t* rc_test_session_pinned(const repconv_model_t* m, repconv_backend be, int threads, int pin);

/* Options with that backend, Winograd option and thread count, folding
 * off (models run as built); the caller destroys them. */
repconv_options_t* rc_test_options(repconv_backend be, int winograd, int threads);
/* Plan entry of node `node` in session s; fails the test if there is none. */
void rc_test_plan_entry(repconv_session_t* s, const char* node, repconv_plan_entry_t* out);

/* The fixtures folder ($REPCONV_FIXTURES, else tests/fixtures). */
const char* rc_test_fixtures(void);
/* 1 when the tests run under an emulator (a cross build's ctest sets
 * REPCONV_TEST_EMULATED): tests may then skip what has no code specific to
 * the architecture, which the native run checks. */
int rc_test_emulated(void);

/* Built-in ecbsr-x2 at its own 540x960, or under an emulator at 256x256,
 * the smallest size at which its convs still form a chain
 * (test_determinism): its 540x960 cost test_session 2 minutes and
 * test_frame 30 s of the AArch64 job under qemu. Fails the test if it
 * cannot be loaded. */
repconv_model_t* rc_test_load_ecbsr_x2(void);

/* A path under the test temp directory ($REPCONV_TEST_TMP, else /tmp). */
const char* rc_test_tmp_path(const char* file, char* buf, size_t size);

#endif

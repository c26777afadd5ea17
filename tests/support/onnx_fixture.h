/* The ONNX fixtures exported from PyTorch (tests/fixtures/onnx: NAME.onnx,
 * NAME.in.npy, NAME.out.npy), run the one way test_onnx and test_ops_models
 * both check them. */
#ifndef RC_TEST_ONNX_FIXTURE_H
#define RC_TEST_ONNX_FIXTURE_H

#include "repconv.h"
#include "runtime/io/npy.h"

/* NAME.SUFFIX.npy from the fixtures' onnx folder; fails the test if absent. */
rc_npy rc_test_fixture_npy(const char* name, const char* suffix);

/* Loads NAME.onnx with opts at the shape of NAME.in.npy (models exported with
 * dynamic axes need it given), runs it once, lets inspect (if not NULL) look
 * at the session, and returns max |got - want| / max(1, max |want|); NaN
 * counts as an error (returns NaN or infinity). */
double rc_test_fixture_run(const char* name, repconv_options_t* opts, void (*inspect)(repconv_session_t*, void* ctx),
                           void* ctx);

#endif

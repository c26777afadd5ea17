/* libFuzzer target: an ONNX file → import (constant evaluation included) →
 * fold (or not) → session → run. Seeds: the .onnx files of tests/fixtures/onnx/,
 * tests/fixtures/onnx_bad/ and tests/fuzz/corpus/fuzz_onnx/. */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_common.h"
#include "runtime/rcm/rcm.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  /* .rcm images are fuzz_rcm's job. */
  if (rc_rcm_has_magic(data, size)) return 0;
  rc_fuzz_load_and_run(data, size);
  return 0;
}

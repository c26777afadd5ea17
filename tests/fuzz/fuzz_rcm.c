/* libFuzzer target: an .rcm image → load → fold (or not) → session → run.
 * Seeds: tests/fuzz/corpus/fuzz_rcm/ (made by gen_corpus.sh). */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_common.h"
#include "runtime/rcm/rcm.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  /* Anything else would go to the ONNX importer: fuzz_onnx's job. */
  if (!rc_rcm_has_magic(data, size)) return 0;
  rc_fuzz_load_and_run(data, size);
  return 0;
}

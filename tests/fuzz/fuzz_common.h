/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c): how an input picks its
 * options, and "given a model, create a session with small inputs and run
 * it". Every target goes the whole way a user's file goes: load → fold →
 * plan → session → run.
 *
 * A target calls abort() only when repconv breaks a promise that holds for
 * any input (a loaded model does not save, two runs of one session differ);
 * refusing an input is fine and returns quietly. */
#ifndef RC_FUZZ_COMMON_H
#define RC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "repconv.h"

/* What an input chooses besides its bytes: a hash of the bytes picks it, so
 * every mutant of a seed tries another combination. */
typedef struct rc_fuzz_cfg {
  uint32_t hash;
  int fold; /* fold level: REPCONV_FOLD_OFF, _FULL or _BN */
  repconv_backend backend;
  int session_defaults; /* 1: session options NULL (the model's plan) */
  int specials;         /* 1: inputs hold NaN, ±inf, huge and subnormal values */
  int rerun;            /* 1: run twice, outputs must be bitwise equal */
  int weights_fp16;     /* 1: repconv_options_set_weights_fp16 */
  int winograd;         /* repconv_options_set_winograd: AUTO, F23, F43 or F63 */
  int chains;           /* 0: repconv_options_set_chains off */
  int threads;          /* 1 or 2 */
} rc_fuzz_cfg;

/* -1 (fuzzing): the fold level comes from the input. The corpus replay sets
 * REPCONV_FOLD_OFF, then REPCONV_FOLD_FULL, to run every file both ways. */
extern int rc_fuzz_fold_override;

/* Bounds on what one input may cost once loaded: activations (elements summed
 * over inputs and node outputs) and FLOPs. A larger model is loaded again at
 * a smaller input size, else not run. */
#define RC_FUZZ_MAX_ELEMENTS ((int64_t)1 << 22)
#define RC_FUZZ_MAX_FLOPS ((int64_t)50 * 1000 * 1000)

rc_fuzz_cfg rc_fuzz_config(const uint8_t* data, size_t size);
/* Options for cfg; NULL when out of memory. */
repconv_options_t* rc_fuzz_options(const rc_fuzz_cfg* cfg);

/* Every model query (nodes, fold report) with every string read once, then,
 * when the model is small enough, a session and a run (inputs from
 * input0 for the first input when not NULL and of the right size, else
 * deterministic values). Returns 1 when it ran. */
int rc_fuzz_run_model(const repconv_model_t* model, const rc_fuzz_cfg* cfg, const float* input0, size_t input0_n);

/* An .rcm or ONNX image: load it from memory with cfg's options (an ONNX
 * file with dynamic dims gets a few small static shapes in turn), check that
 * the loaded graph saves and loads as .rcm, shrink the input when the model
 * is too large, and run it. */
void rc_fuzz_load_and_run(const uint8_t* data, size_t size);

/* Saturating element count of dims. */
int64_t rc_fuzz_numel(int32_t ndim, const int64_t* dims);

#endif

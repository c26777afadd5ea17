/* A C face for Google Benchmark (shim.cc): benchmark cases are C functions
 * registered by name; the shim wraps benchmark::State and runs them. Every
 * case is timed in real (wall-clock) time: sessions run on a thread pool. */
#ifndef REPCONV_BENCH_SHIM_H
#define REPCONV_BENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rcb_state rcb_state; /* a benchmark::State */
typedef void (*rcb_fn)(rcb_state* state, const void* arg);

/* Parses and removes --benchmark_* flags; returns 0 on success, 1 when an
 * unrecognized argument was reported. */
int rcb_initialize(int* argc, char** argv);
/* A key: value line of the benchmark's context header. */
void rcb_add_context(const char* key, const char* value);
/* Registers fn(state, arg) under name (copied). arg is not copied. */
void rcb_register(const char* name, rcb_fn fn, const void* arg);
/* Runs the registered (and --benchmark_filter'ed) cases. */
void rcb_run_all(void);

/* Inside a case: the timing loop, as `while (rcb_keep_running(s)) { ... }`. */
int rcb_keep_running(rcb_state* state);
void rcb_pause_timing(rcb_state* state);
void rcb_resume_timing(rcb_state* state);
int64_t rcb_iterations(const rcb_state* state);
/* A per-case figure printed beside the times (e.g. "GFLOPS", "peak%"). */
void rcb_set_counter(rcb_state* state, const char* name, double value);
/* Marks the case failed with a message (call before or instead of the loop). */
void rcb_skip_with_error(rcb_state* state, const char* message);
void rcb_set_label(rcb_state* state, const char* label);

#ifdef __cplusplus
}
#endif
#endif

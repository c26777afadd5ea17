/* What the C benchmark cases share: the measured FMA peak, deterministic
 * random data, and the timing loop of one model in one session. */
#ifndef REPCONV_BENCH_UTIL_H
#define REPCONV_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "repconv.h"
#include "bench/shim.h"

#define RCB_MAX_THREADS 8

/* The FMA peak (GFLOP/s) measured for `threads` threads by bench_main.c;
 * 0 when not measured. */
double rcb_peak(int threads);
void rcb_set_peak(int threads, double gflops);

/* n floats uniform in [-scale, scale) from the seed (rc_rng_fill_signed). */
void rcb_fill_uniform(float* data, size_t n, uint64_t seed, float scale);

/* The body of a case: creates a session of `model` with (threads, backend),
 * fills every input from a fixed seed, runs once untimed (warm-up), then
 * times session runs in the benchmark loop. Counters: GFLOPS = flops / time
 * per run (flops: the effective work, e.g. the folded graph's), peak% = that
 * over rcb_peak(threads). A failure marks the case with its message. */
void rcb_time_model(rcb_state* state, const repconv_model_t* model, int threads, repconv_backend backend,
                    int64_t flops);
/* The same with a Winograd option (REPCONV_WINOGRAD_*: 2/4/6 forces a variant). */
void rcb_time_model_wino(rcb_state* state, const repconv_model_t* model, int threads, repconv_backend backend,
                         int winograd, int64_t flops);

const char* rcb_backend_name(repconv_backend backend);

/* Case registration, one function per case file; *_free at exit. */
void rcb_register_layer_cases(void);
void rcb_free_layer_cases(void);
void rcb_register_gemm_cases(void); /* case_layers.c: repconv's GEMM vs XNNPACK per layer */
void rcb_free_gemm_cases(void);
void rcb_register_chain_cases(void); /* case_chain.c: Winograd chains vs layer by layer, kernel level */
void rcb_free_chain_cases(void);
void rcb_register_net_cases(void);
void rcb_free_net_cases(void);

#endif

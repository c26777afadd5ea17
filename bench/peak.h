/* The machine's FMA throughput peak, measured: many independent FMA chains
 * (more accumulators than FMA latency × FMA ports), run by 1..N threads at
 * once, timed with CLOCK_MONOTONIC. It is the yardstick of `repconv bench`
 * and of bench/repconv_bench ("fraction of peak"), not a library feature.
 *
 * ISA code lives in peak__avx2.c (-mavx2 -mfma), peak__avx512f.c
 * (-mavx512f) and peak__neon.c (AArch64 only); this module dispatches on
 * cpuinfo at run time (NEON is always there on AArch64) and falls back to
 * SSE2 mul+add (x86-64 baseline) or scalar C elsewhere. */
#ifndef REPCONV_BENCH_PEAK_H
#define REPCONV_BENCH_PEAK_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rc_peak_isa {
  RC_PEAK_BASELINE = 0, /* SSE2 mul+add (4 lanes) on x86-64, scalar C elsewhere */
  RC_PEAK_FMA3 = 1,     /* AVX2/FMA3: 8-lane ymm FMA */
  RC_PEAK_AVX512F = 2,  /* 16-lane zmm FMA */
  RC_PEAK_NEON = 3      /* AArch64 Advanced SIMD: 4-lane q FMA */
} rc_peak_isa;

/* 1 if this CPU (and OS) runs the ISA. */
int rc_peak_isa_available(rc_peak_isa isa);
/* The widest available ISA. */
rc_peak_isa rc_peak_best_isa(void);
/* "avx512f", "fma3", "neon", "sse2" or "scalar". */
const char* rc_peak_isa_name(rc_peak_isa isa);

/* GFLOP/s of `threads` threads (1..256) each running the FMA loop of `isa`
 * at once (an FMA on a lane counts 2 FLOPs): the best of `trials` timings
 * of about `ms_per_trial` ms each. Returns 0 if the ISA is not available or
 * the thread pool could not be created. */
double rc_peak_gflops(rc_peak_isa isa, int threads, int trials, double ms_per_trial);

/* Kernels, one per ISA file: run `iters` iterations of the loop and return
 * a value that depends on every accumulator (so nothing is optimized away).
 * FLOPs done = iters × rc_peak_flops_per_iter__ISA. */
float rc_peak_loop__avx2(long iters);
float rc_peak_loop__avx512f(long iters);
float rc_peak_loop__neon(long iters);
extern const double rc_peak_flops_per_iter__avx2;
extern const double rc_peak_flops_per_iter__avx512f;
extern const double rc_peak_flops_per_iter__neon;

#ifdef __cplusplus
}
#endif
#endif

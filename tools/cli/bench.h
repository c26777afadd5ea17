/* The parts of `repconv bench` (cmd_bench.c runs the three forms side by
 * side): the steady-state mode (bench_steady.c), the per-entry profile and
 * its roofline (bench_profile.c), and the byte counts both report
 * (bench_bytes.c). Everything goes through the public API. */
#ifndef REPCONV_CLI_BENCH_H
#define REPCONV_CLI_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/bandwidth.h"
#include "bench/peak.h"
#include "tools/cli/cli.h"

/* ------------------------------------------------------------ shared */

/* The interleaved rounds run each form untimed for this long before its
 * timed run (with --cold and --threads > 1, pause this long instead), so
 * that the idle workers of the form that ran before sleep (docs/DESIGN.md,
 * "bench: why the timing loop ..."). The steady mode does neither: frames
 * follow each other. */
#define BENCH_SETTLE_MS 30

void bench_settle(void);
int bench_compare_double(const void* pa, const void* pb);
/* The median of n ≥ 1 sorted values; the nearest-rank percentile q (0..100). */
double bench_median(const double* sorted, int n);
double bench_percentile(const double* sorted, int n, double q);
/* What the session's plan runs: plan entries per backend, as text ("winograd
 * 12, xnnpack 3") and as a JSON object. */
void bench_describe_kernels(const repconv_session_t* session, char* text, size_t text_size, char* json,
                            size_t json_size);

/* What else ran between begin and end (Linux: /proc/stat; the timed runs,
 * and the FMA peak probe): the CPU time of every other process and the time
 * the hypervisor took from this machine (steal), each in cores on average.
 * Neighbours slow every form alike (the rounds interleave) but make the
 * times slower and noisier; the lines say when a run or the probe had them.
 * known is 0 without /proc/stat. */
typedef struct bench_load {
  int known;
  double wall0, own0;                         /* s: monotonic clock, this process's CPU time */
  unsigned long long busy0, steal0;           /* clock ticks, all CPUs */
  double other_cores, steal_cores, own_cores; /* bench_load_end */
} bench_load;
void bench_load_begin(bench_load* l);
void bench_load_end(bench_load* l);
/* "machine: other processes 0.02 cores, steal 0.00 during the timed runs
 * (this process 1.00)", and a warning past BENCH_BUSY_CORES. */
void bench_load_print(const bench_load* l);
/* ",\n  \"<key>\": {\"other_cores\": ...}" (a member after others), or
 * nothing when not known: key "other_load" for the timed runs,
 * "peak_other_load" for the FMA peak probe. */
void bench_load_json(FILE* f, const char* key, const bench_load* l);
#define BENCH_BUSY_CORES 0.1

/* The FMA peak on `threads` threads and on one (bench/peak.h, best of 5
 * trials of 40 ms each). A 2-vCPU VM sometimes ran the threads of every
 * trial one after the other (tools/main.sh once printed 117.3 GFLOP/s on 2
 * threads beside 117.5 on one, and "% peak" twice what it was): while the
 * threaded peak is below BENCH_PEAK_SCALING × min(threads, CPUs) × the
 * 1-thread one, both are measured again, up to BENCH_PEAK_TRIES times in
 * all, keeping the best of each (both again, so that a 1-thread figure
 * taken in a quiet moment is not what a busy moment's threaded one is held
 * to). Returns the tries; *probe: what else ran while they were measured
 * (a neighbour then takes FMA issue slots or the core, and "% peak" reads
 * high). */
#define BENCH_PEAK_SCALING 0.75
#define BENCH_PEAK_TRIES 4
int bench_peaks(rc_peak_isa isa, int threads, double* peak, double* peak_1t, bench_load* probe);
/* For the FMA peak line: "; the 2-thread peak measured 4 times, ..."
 * (nothing when tries is 1), then, past BENCH_BUSY_CORES of other load
 * during the probe, "; other processes 0.98 cores, steal 0.00 while it was
 * measured: it may read low". */
void bench_peaks_print_notes(int threads, int tries, double peak, double peak_1t, const bench_load* probe);

/* ------------------------------------------------------------ bytes */

/* The weights a model costs an app once a session runs it (issue 14: "the
 * resident weight bytes against its parameter bytes"). The model keeps its
 * (folded) parameters as float32, which re-planning and saving read; the
 * plan adds its transformed Winograd filters and packed GEMM panels; every
 * XNNPACK operator packs its own copy, counted here as the parameter bytes
 * of those entries (XNNPACK pads them to its register tile: a little more). */
typedef struct bench_weights {
  uint64_t params;   /* 4 x the parameters of the model's nodes */
  uint64_t winograd; /* transformed filters, biases and slopes of the Winograd entries */
  uint64_t gemm;     /* packed weights, biases and slopes of the GEMM entries */
  uint64_t xnnpack;  /* the constants of the XNNPACK entries (their packed copies: at least this) */
  uint64_t resident; /* the sum of the four */
} bench_weights;
void bench_weights_of(const repconv_model_t* model, const repconv_session_t* session, bench_weights* w);
/* "weights: parameters 3.35 MB; resident 9.6 MB (2.9x the parameters) = ..." */
void bench_weights_print(const bench_weights* w);
/* "memory: transparent huge pages madvise; 90.2 MB of this process on huge pages" */
void bench_memory_print(void);
/* {"param_bytes": ..., ...} */
void bench_weights_json(FILE* f, const bench_weights* w);

/* ------------------------------------------------------------ --profile */

typedef struct bench_profile_row {
  repconv_plan_entry_t entry;
  repconv_step_bytes_t bytes;
  int fused;
  double ms;     /* median over the rounds */
  int64_t flops; /* the entry's and those of the entries fused into it */
} bench_profile_row;

typedef struct bench_profile {
  bench_profile_row* rows;
  size_t n;
  int runs, threads;
  const char* form; /* "folded", or bench --steady's --form */
  int steady;       /* 1: the runs back to back (bench --steady); 0: each after a pause on > 1 thread */
  double total_ms;
  /* Medians over the profiled runs of the run's wall time and of the sum
   * of its entries' times: their difference is the time outside the
   * steps (the executor's input and output conversions, the session), and
   * total_ms below the second is the steps' run-to-run spread. */
  double run_ms, steps_ms;
  double peak;     /* GFLOP/s, the FMA peak on `threads` threads */
  rc_bandwidth bw; /* the stream rates on `threads` threads; read_gbs 0 when not measured */
} bench_profile;

/* A session to profile: its model, the threads it runs on and the FMA
 * peak on them (GFLOP/s). */
typedef struct bench_profiled {
  const repconv_model_t* model;
  repconv_session_t* session;
  int threads;
  double peak;
} bench_profiled;

/* The sessions one profile run takes (bench --steady --scaling: two). */
#define BENCH_PROFILE_MAX 2

/* Runs each of the ns (≤ BENCH_PROFILE_MAX) sessions of `form` `runs` more
 * times with profiling on, alternating (run r of each before run r + 1 of
 * any, so the machine's drift from minute to minute falls on all alike),
 * and fills p[k] for s[k] (the caller frees them with bench_profile_free,
 * also on failure): back to back when steady, else each run after a pause
 * on more than one thread (the interleaved mode's rounds: the workers
 * asleep, as between frames). bw: the stream rates for p[0]'s roofline. */
int bench_profile_run(const cli_args* a, const char* form, int steady, const bench_profiled* s, size_t ns,
                      const repconv_tensor_t* inputs, size_t num_in, repconv_tensor_t* outs, size_t num_out, int runs,
                      const rc_bandwidth* bw, bench_profile* p);
/* The per-entry table, then the roofline table. base (or NULL): a profile
 * of the same model on fewer threads, run alternating with p's: the times
 * table then gives each entry's time there and p's speedup over it. */
void bench_profile_print(const bench_profile* p, const bench_profile* base);
/* "profile": {...} as one JSON member (no leading comma), indented two;
 * with base, its times ("baseline") and the speedups too. */
void bench_profile_json(FILE* f, const bench_profile* p, const bench_profile* base);
void bench_profile_free(bench_profile* p);

/* ------------------------------------------------------------ --steady */

int bench_steady(const cli_args* a);

#endif

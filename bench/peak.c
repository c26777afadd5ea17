/* The FMA-peak probe: dispatch on cpuinfo, threads through pthreadpool,
 * timing with CLOCK_MONOTONIC. See peak.h. */
#define _POSIX_C_SOURCE 200809L

#include "bench/peak.h"

#include <cpuinfo.h>
#include <pthreadpool.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define RC_PEAK_X86 1
#else
#define RC_PEAK_X86 0
#endif
#if defined(__aarch64__)
#define RC_PEAK_ARM64 1
#else
#define RC_PEAK_ARM64 0
#endif

/* ---- the baseline loop: SSE2 mul + add (no FMA), or scalar */

#if RC_PEAK_X86
#define BASE_ACCS 12
static const double kBaseFlopsPerIter = 2.0 * 4.0 * BASE_ACCS;
#define BASE_STEP(k) c##k = _mm_add_ps(_mm_mul_ps(c##k, a), b)
static float peak_loop_baseline(long iters) {
  const __m128 a = _mm_set1_ps(0.999999f);
  const __m128 b = _mm_set1_ps(1e-6f);
  __m128 c0 = _mm_set1_ps(0.0f), c1 = _mm_set1_ps(0.1f), c2 = _mm_set1_ps(0.2f), c3 = _mm_set1_ps(0.3f),
         c4 = _mm_set1_ps(0.4f), c5 = _mm_set1_ps(0.5f), c6 = _mm_set1_ps(0.6f), c7 = _mm_set1_ps(0.7f),
         c8 = _mm_set1_ps(0.8f), c9 = _mm_set1_ps(0.9f), c10 = _mm_set1_ps(1.0f), c11 = _mm_set1_ps(1.1f);
  for (long i = 0; i < iters; ++i) {
    BASE_STEP(0);
    BASE_STEP(1);
    BASE_STEP(2);
    BASE_STEP(3);
    BASE_STEP(4);
    BASE_STEP(5);
    BASE_STEP(6);
    BASE_STEP(7);
    BASE_STEP(8);
    BASE_STEP(9);
    BASE_STEP(10);
    BASE_STEP(11);
  }
  __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(c0, c1), _mm_add_ps(c2, c3)), _mm_add_ps(c4, c5));
  s = _mm_add_ps(s, _mm_add_ps(_mm_add_ps(_mm_add_ps(c6, c7), _mm_add_ps(c8, c9)), _mm_add_ps(c10, c11)));
  float out[4];
  _mm_storeu_ps(out, s);
  return out[0] + out[1] + out[2] + out[3];
}
#else
#define BASE_ACCS 16
static const double kBaseFlopsPerIter = 2.0 * BASE_ACCS;
static float peak_loop_baseline(long iters) {
  float c[BASE_ACCS];
  for (int k = 0; k < BASE_ACCS; ++k) c[k] = 0.1f * (float)k;
  for (long i = 0; i < iters; ++i) {
    for (int k = 0; k < BASE_ACCS; ++k) c[k] = c[k] * 0.999999f + 1e-6f;
  }
  float s = 0;
  for (int k = 0; k < BASE_ACCS; ++k) s += c[k];
  return s;
}
#endif

typedef float (*peak_loop_fn)(long iters);

#if RC_PEAK_X86 /* only the x86 loops need cpuinfo */
static int cpu_ready(void) {
  static int state = 0; /* 0 unknown, 1 ok, -1 failed; a benign race fills it once */
  if (state == 0) state = cpuinfo_initialize() ? 1 : -1;
  return state > 0;
}
#endif

int rc_peak_isa_available(rc_peak_isa isa) {
  switch (isa) {
    case RC_PEAK_BASELINE: return 1;
#if RC_PEAK_X86
    case RC_PEAK_FMA3: return cpu_ready() && cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3();
    case RC_PEAK_AVX512F: return cpu_ready() && cpuinfo_has_x86_avx512f();
#endif
#if RC_PEAK_ARM64
    case RC_PEAK_NEON: return 1;
#endif
    default: return 0;
  }
}

rc_peak_isa rc_peak_best_isa(void) {
  if (rc_peak_isa_available(RC_PEAK_AVX512F)) return RC_PEAK_AVX512F;
  if (rc_peak_isa_available(RC_PEAK_FMA3)) return RC_PEAK_FMA3;
  if (rc_peak_isa_available(RC_PEAK_NEON)) return RC_PEAK_NEON;
  return RC_PEAK_BASELINE;
}

const char* rc_peak_isa_name(rc_peak_isa isa) {
  switch (isa) {
    case RC_PEAK_FMA3: return "fma3";
    case RC_PEAK_AVX512F: return "avx512f";
    case RC_PEAK_NEON: return "neon";
    default: return RC_PEAK_X86 ? "sse2" : "scalar";
  }
}

static int loop_for(rc_peak_isa isa, peak_loop_fn* fn, double* flops_per_iter) {
  if (!rc_peak_isa_available(isa)) return 0;
  switch (isa) {
#if RC_PEAK_X86
    case RC_PEAK_FMA3:
      *fn = rc_peak_loop__avx2;
      *flops_per_iter = rc_peak_flops_per_iter__avx2;
      return 1;
    case RC_PEAK_AVX512F:
      *fn = rc_peak_loop__avx512f;
      *flops_per_iter = rc_peak_flops_per_iter__avx512f;
      return 1;
#endif
#if RC_PEAK_ARM64
    case RC_PEAK_NEON:
      *fn = rc_peak_loop__neon;
      *flops_per_iter = rc_peak_flops_per_iter__neon;
      return 1;
#endif
    default:
      *fn = peak_loop_baseline;
      *flops_per_iter = kBaseFlopsPerIter;
      return 1;
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct peak_task {
  peak_loop_fn fn;
  long iters;
  volatile float sink[256];
} peak_task;

static void peak_task_run(void* context, size_t i) {
  peak_task* t = (peak_task*)context;
  t->sink[i & 255] = t->fn(t->iters);
}

double rc_peak_gflops(rc_peak_isa isa, int threads, int trials, double ms_per_trial) {
  peak_loop_fn fn = NULL;
  double flops_per_iter = 0;
  if (threads < 1 || threads > 256 || !loop_for(isa, &fn, &flops_per_iter)) return 0.0;
  if (trials < 1) trials = 1;
  if (ms_per_trial <= 0) ms_per_trial = 20;
  pthreadpool_t pool = NULL;
  if (threads > 1) {
    pool = pthreadpool_create((size_t)threads);
    if (!pool) return 0.0;
  }
  peak_task local = {0};
  local.fn = fn;
  /* Calibrate on one thread: iterations for ~ms_per_trial. */
  long iters = 1000;
  for (;;) {
    double t0 = now_s();
    local.sink[0] = fn(iters);
    double dt = now_s() - t0;
    if (dt * 1e3 >= ms_per_trial / 4 || iters > (1L << 40)) {
      double want = (double)iters * ms_per_trial / (dt * 1e3 > 1e-6 ? dt * 1e3 : 1e-6);
      iters = want < 1000 ? 1000 : (long)want;
      break;
    }
    iters *= 4;
  }
  local.iters = iters;
  double best = 0;
  for (int k = 0; k < trials; ++k) {
    double t0 = now_s();
    if (pool) {
      pthreadpool_parallelize_1d(pool, peak_task_run, &local, (size_t)threads, 0);
    } else {
      peak_task_run(&local, 0);
    }
    double dt = now_s() - t0;
    double g = (double)threads * (double)iters * flops_per_iter / dt * 1e-9;
    if (g > best) best = g;
  }
  pthreadpool_destroy(pool);
  return best;
}

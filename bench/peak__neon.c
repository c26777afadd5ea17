/* FMA-throughput loop, AArch64 Advanced SIMD (baseline there: no flag, no
 * run-time check). 16 independent q accumulators: FMLA latency is 4 cycles
 * at up to 4 per cycle on the widest current cores (2 on most), so 16
 * chains keep every FMA pipe busy. FMLA overwrites its accumulator, so the
 * step is acc += a·b (acc·a + b would need a register copy per FMA); with
 * a·b = 1e-6 the accumulators grow by 1e-6 per iteration: bounded and
 * normal for any run this probe makes. */
#include <arm_neon.h>

#include "bench/peak.h"

#define ACCS 16

const double rc_peak_flops_per_iter__neon = 2.0 * 4.0 * ACCS;

#define STEP(k) c##k = vfmaq_f32(c##k, a, b)

float rc_peak_loop__neon(long iters) {
  const float32x4_t a = vdupq_n_f32(0.999999f);
  const float32x4_t b = vdupq_n_f32(1e-6f);
  float32x4_t c0 = vdupq_n_f32(0.0f), c1 = vdupq_n_f32(0.1f), c2 = vdupq_n_f32(0.2f), c3 = vdupq_n_f32(0.3f),
              c4 = vdupq_n_f32(0.4f), c5 = vdupq_n_f32(0.5f), c6 = vdupq_n_f32(0.6f), c7 = vdupq_n_f32(0.7f),
              c8 = vdupq_n_f32(0.8f), c9 = vdupq_n_f32(0.9f), c10 = vdupq_n_f32(1.0f), c11 = vdupq_n_f32(1.1f),
              c12 = vdupq_n_f32(1.2f), c13 = vdupq_n_f32(1.3f), c14 = vdupq_n_f32(1.4f), c15 = vdupq_n_f32(1.5f);
  for (long i = 0; i < iters; ++i) {
    STEP(0);
    STEP(1);
    STEP(2);
    STEP(3);
    STEP(4);
    STEP(5);
    STEP(6);
    STEP(7);
    STEP(8);
    STEP(9);
    STEP(10);
    STEP(11);
    STEP(12);
    STEP(13);
    STEP(14);
    STEP(15);
  }
  float32x4_t s =
      vaddq_f32(vaddq_f32(vaddq_f32(c0, c1), vaddq_f32(c2, c3)), vaddq_f32(vaddq_f32(c4, c5), vaddq_f32(c6, c7)));
  s = vaddq_f32(s, vaddq_f32(vaddq_f32(vaddq_f32(c8, c9), vaddq_f32(c10, c11)),
                             vaddq_f32(vaddq_f32(c12, c13), vaddq_f32(c14, c15))));
  return vaddvq_f32(s);
}

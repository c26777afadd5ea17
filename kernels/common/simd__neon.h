/* SIMD primitives (kernels/common/simd.h) for AArch64 Advanced SIMD: 4
 * floats in a q register. NEON has no masked loads or stores: a mask is the
 * count of lanes, and a tail of 1–3 lanes is read and written lane by lane.
 * AArch64 only. */
#ifndef RC_KERNELS_COMMON_SIMD_NEON_H
#define RC_KERNELS_COMMON_SIMD_NEON_H

#include <arm_neon.h>
#include <stddef.h>

typedef float32x4_t vec;
typedef size_t vmask; /* lanes [0, n) */
#define SIMD_W 4
#define SIMD_REGS 32
#define SIMD_INLINE static inline __attribute__((always_inline))

SIMD_INLINE vec v_zero(void) { return vdupq_n_f32(0.0f); }
SIMD_INLINE vec v_set1(float c) { return vdupq_n_f32(c); }
SIMD_INLINE vec v_add(vec a, vec b) { return vaddq_f32(a, b); }
SIMD_INLINE vec v_sub(vec a, vec b) { return vsubq_f32(a, b); }
SIMD_INLINE vec v_mul(vec a, vec b) { return vmulq_f32(a, b); }
SIMD_INLINE vec v_fma(vec a, vec b, vec acc) { return vfmaq_f32(acc, a, b); }
SIMD_INLINE vec v_neg(vec x) { return vnegq_f32(x); }
/* FMAX/FMIN (not FMAXNM) return NaN when either input is NaN: NaN passes. */
SIMD_INLINE vec v_min(vec a, vec b) { return vminq_f32(a, b); }
SIMD_INLINE vec v_max(vec a, vec b) { return vmaxq_f32(a, b); }
SIMD_INLINE vec v_load(const float* p) { return vld1q_f32(p); }
SIMD_INLINE void v_store(float* p, vec x) { vst1q_f32(p, x); }
SIMD_INLINE vec v_load_mask(const float* p, vmask n) { /* 0 < n < 4 */
  vec v = vdupq_n_f32(0.0f);
  v = vld1q_lane_f32(p, v, 0);
  if (n > 1) v = vld1q_lane_f32(p + 1, v, 1);
  if (n > 2) v = vld1q_lane_f32(p + 2, v, 2);
  return v;
}
SIMD_INLINE void v_store_mask(float* p, vmask n, vec x) { /* 0 < n < 4 */
  vst1q_lane_f32(p, x, 0);
  if (n > 1) vst1q_lane_f32(p + 1, x, 1);
  if (n > 2) vst1q_lane_f32(p + 2, x, 2);
}
SIMD_INLINE vmask v_tail(size_t n) { return n; }
SIMD_INLINE vec v_prelu(vec o, vec slope) {
  const uint32x4_t neg = vcltq_f32(o, vdupq_n_f32(0.0f)); /* false for NaN: NaN passes */
  return vbslq_f32(neg, vmulq_f32(o, slope), o);
}

#include "kernels/common/simd.h"

#endif

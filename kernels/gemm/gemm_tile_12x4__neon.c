/* AArch64 NEON (FMA) tile GEMM for layers of at most 4 output channels, up
 * to 12 tiles × 4 channels: one q accumulator per tile holds its 4 channels,
 * where the 6x16 kernel would spend three of its four FMAs on padding lanes.
 * Per 4 k: four U rows (lanes 0..3), each tile's V[t][k..k+3] as one q and
 * four FMAs by element: 12 accumulators, 4 U and at most 12 V registers of
 * the 32. Each lane sums k ascending, as the 6x16 kernel does. Rows beyond
 * mr alias the last real row and are stored first. Built only for AArch64. */
#include <arm_neon.h>

#include "kernels/gemm/gemm_ukernels.h"

#define MR 12

static inline __attribute__((always_inline)) void tile(const size_t R, size_t mr, size_t kc, const float* a,
                                                       size_t a_stride, const float* w, float* c, size_t c_stride,
                                                       const float* pf, size_t pf_lines) {
  const float* ar[MR];
  float* cr[MR];
  float32x4_t acc[MR];
#pragma GCC unroll 12
  for (size_t i = 0; i < R; i++) {
    const size_t r = i < mr ? i : mr - 1;
    ar[i] = a + r * a_stride;
    cr[i] = c + r * c_stride;
    acc[i] = vdupq_n_f32(0.0f);
  }
  size_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    for (size_t j = k; j < k + 4 && j < pf_lines; j++) __builtin_prefetch(pf + 16 * j, 0, 2); /* prfm pldl2keep */
    const float32x4_t u0 = vld1q_f32(w + k * RC_GEMM_NR), u1 = vld1q_f32(w + (k + 1) * RC_GEMM_NR);
    const float32x4_t u2 = vld1q_f32(w + (k + 2) * RC_GEMM_NR), u3 = vld1q_f32(w + (k + 3) * RC_GEMM_NR);
#pragma GCC unroll 12
    for (size_t i = 0; i < R; i++) {
      const float32x4_t v = vld1q_f32(ar[i] + k);
      acc[i] = vfmaq_laneq_f32(acc[i], u0, v, 0);
      acc[i] = vfmaq_laneq_f32(acc[i], u1, v, 1);
      acc[i] = vfmaq_laneq_f32(acc[i], u2, v, 2);
      acc[i] = vfmaq_laneq_f32(acc[i], u3, v, 3);
    }
  }
  for (; k < kc; k++) { /* 1–3 k left */
    if (k < pf_lines) __builtin_prefetch(pf + 16 * k, 0, 2);
    const float32x4_t u = vld1q_f32(w + k * RC_GEMM_NR);
#pragma GCC unroll 12
    for (size_t i = 0; i < R; i++) acc[i] = vfmaq_n_f32(acc[i], u, ar[i][k]);
  }
#pragma GCC unroll 12
  for (size_t i = R; i-- > 0;) vst1q_f32(cr[i], acc[i]);
}

void rc_gemm_tile_12x4__neon(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride, const float* pf, size_t pf_lines) {
  if (mr <= 4) {
    tile(4, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  } else if (mr <= 8) {
    tile(8, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  } else {
    tile(12, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  }
}

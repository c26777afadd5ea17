/* AArch64 NEON (FMA) tile GEMM, 6 tiles × 16 output channels: 24 q
 * accumulators, per k four loads of the packed U panel (16 channels) and the
 * six V values of that k gathered into two registers by lane loads, 24 FMAs
 * by element: 24 + 4 + 2 live vector registers of the 32. Loading four k of
 * each row at once (vfmaq_laneq_f32 over k) would keep 6 A vectors live
 * (34 > 32) and spill.
 * A call of r < 6 rows (a Winograd block's last tiles, a border position's
 * range) computes those r rows only, as AVX2's (gemm_tile_6x16__avx2.c):
 * an instance per row count, each row the same FMA chain as in a full
 * tile, so outputs are bitwise those of the aliased tail rows before.
 * GCC 12 -O3: no spill in any instance (callee-saved d8–d13 only). Built
 * only for AArch64. */
#include <arm_neon.h>

#include "kernels/gemm/gemm_ukernels.h"

/* Row i of the k step: four FMAs by element (lane of reg), rows ≥ R none;
 * and its store. */
#define NEON_ROW(i, fma, reg, lane)            \
  if (R > (i)) {                               \
    acc##i##0 = fma(acc##i##0, b0, reg, lane); \
    acc##i##1 = fma(acc##i##1, b1, reg, lane); \
    acc##i##2 = fma(acc##i##2, b2, reg, lane); \
    acc##i##3 = fma(acc##i##3, b3, reg, lane); \
  }
#define NEON_STORE(i)                \
  if (R > (i)) {                     \
    vst1q_f32(c##i, acc##i##0);      \
    vst1q_f32(c##i + 4, acc##i##1);  \
    vst1q_f32(c##i + 8, acc##i##2);  \
    vst1q_f32(c##i + 12, acc##i##3); \
  }

/* R rows (a compile-time constant: 4R accumulators live). */
static inline __attribute__((always_inline)) void tile_rows(const int R, size_t kc, const float* a, size_t a_stride,
                                                            const float* w, float* c, size_t c_stride, const float* pf,
                                                            size_t pf_lines) {
  const float* ar[6];
  float* cr[6];
  RC_GEMM_6_ROWS(ar, a, a_stride, (size_t)R);
  RC_GEMM_6_ROWS(cr, c, c_stride, (size_t)R);
  const float *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3], *a4 = ar[4], *a5 = ar[5];
  float *c0 = cr[0], *c1 = cr[1], *c2 = cr[2], *c3 = cr[3], *c4 = cr[4], *c5 = cr[5];

  const float32x4_t z = vdupq_n_f32(0.0f);
  float32x4_t acc00 = z, acc01 = z, acc02 = z, acc03 = z;
  float32x4_t acc10 = z, acc11 = z, acc12 = z, acc13 = z;
  float32x4_t acc20 = z, acc21 = z, acc22 = z, acc23 = z;
  float32x4_t acc30 = z, acc31 = z, acc32 = z, acc33 = z;
  float32x4_t acc40 = z, acc41 = z, acc42 = z, acc43 = z;
  float32x4_t acc50 = z, acc51 = z, acc52 = z, acc53 = z;
  for (size_t k = 0; k < kc; k++) {
    if (k < pf_lines) __builtin_prefetch(pf + 16 * k, 0, 2); /* prfm pldl2keep */
    const float32x4_t b0 = vld1q_f32(w);
    const float32x4_t b1 = vld1q_f32(w + 4);
    const float32x4_t b2 = vld1q_f32(w + 8);
    const float32x4_t b3 = vld1q_f32(w + 12);
    w += 16;
    /* The six A values of this k in two registers, rows 0-3 and 4-5: with
     * one broadcast per row GCC 12 hoists all six loads into six registers
     * (fmla by element from s registers) and spills three accumulators. */
    float32x4_t va0123 = vld1q_dup_f32(a0 + k);
    if (R > 1) va0123 = vld1q_lane_f32(a1 + k, va0123, 1);
    if (R > 2) va0123 = vld1q_lane_f32(a2 + k, va0123, 2);
    if (R > 3) va0123 = vld1q_lane_f32(a3 + k, va0123, 3);
    float32x2_t va45 = vdup_n_f32(0.0f);
    if (R > 4) va45 = vld1_dup_f32(a4 + k);
    if (R > 5) va45 = vld1_lane_f32(a5 + k, va45, 1);
    /* An empty asm that takes the two as vector registers: otherwise GCC
     * turns the lane loads back into six scalar loads (the spill above). */
    if (R > 4)
      __asm__("" : "+w"(va0123), "+w"(va45));
    else
      __asm__("" : "+w"(va0123));
    NEON_ROW(0, vfmaq_laneq_f32, va0123, 0)
    NEON_ROW(1, vfmaq_laneq_f32, va0123, 1)
    NEON_ROW(2, vfmaq_laneq_f32, va0123, 2)
    NEON_ROW(3, vfmaq_laneq_f32, va0123, 3)
    NEON_ROW(4, vfmaq_lane_f32, va45, 0)
    NEON_ROW(5, vfmaq_lane_f32, va45, 1)
  }
  NEON_STORE(5)
  NEON_STORE(4)
  NEON_STORE(3)
  NEON_STORE(2)
  NEON_STORE(1)
  NEON_STORE(0)
}
#undef NEON_ROW
#undef NEON_STORE

void rc_gemm_tile_6x16__neon(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride, const float* pf, size_t pf_lines) {
  RC_GEMM_BY_ROWS(mr, tile_rows, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
}

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
    acc00 = vfmaq_laneq_f32(acc00, b0, va0123, 0);
    acc01 = vfmaq_laneq_f32(acc01, b1, va0123, 0);
    acc02 = vfmaq_laneq_f32(acc02, b2, va0123, 0);
    acc03 = vfmaq_laneq_f32(acc03, b3, va0123, 0);
    if (R > 1) {
      acc10 = vfmaq_laneq_f32(acc10, b0, va0123, 1);
      acc11 = vfmaq_laneq_f32(acc11, b1, va0123, 1);
      acc12 = vfmaq_laneq_f32(acc12, b2, va0123, 1);
      acc13 = vfmaq_laneq_f32(acc13, b3, va0123, 1);
    }
    if (R > 2) {
      acc20 = vfmaq_laneq_f32(acc20, b0, va0123, 2);
      acc21 = vfmaq_laneq_f32(acc21, b1, va0123, 2);
      acc22 = vfmaq_laneq_f32(acc22, b2, va0123, 2);
      acc23 = vfmaq_laneq_f32(acc23, b3, va0123, 2);
    }
    if (R > 3) {
      acc30 = vfmaq_laneq_f32(acc30, b0, va0123, 3);
      acc31 = vfmaq_laneq_f32(acc31, b1, va0123, 3);
      acc32 = vfmaq_laneq_f32(acc32, b2, va0123, 3);
      acc33 = vfmaq_laneq_f32(acc33, b3, va0123, 3);
    }
    if (R > 4) {
      acc40 = vfmaq_lane_f32(acc40, b0, va45, 0);
      acc41 = vfmaq_lane_f32(acc41, b1, va45, 0);
      acc42 = vfmaq_lane_f32(acc42, b2, va45, 0);
      acc43 = vfmaq_lane_f32(acc43, b3, va45, 0);
    }
    if (R > 5) {
      acc50 = vfmaq_lane_f32(acc50, b0, va45, 1);
      acc51 = vfmaq_lane_f32(acc51, b1, va45, 1);
      acc52 = vfmaq_lane_f32(acc52, b2, va45, 1);
      acc53 = vfmaq_lane_f32(acc53, b3, va45, 1);
    }
  }
  if (R > 5) {
    vst1q_f32(c5, acc50);
    vst1q_f32(c5 + 4, acc51);
    vst1q_f32(c5 + 8, acc52);
    vst1q_f32(c5 + 12, acc53);
  }
  if (R > 4) {
    vst1q_f32(c4, acc40);
    vst1q_f32(c4 + 4, acc41);
    vst1q_f32(c4 + 8, acc42);
    vst1q_f32(c4 + 12, acc43);
  }
  if (R > 3) {
    vst1q_f32(c3, acc30);
    vst1q_f32(c3 + 4, acc31);
    vst1q_f32(c3 + 8, acc32);
    vst1q_f32(c3 + 12, acc33);
  }
  if (R > 2) {
    vst1q_f32(c2, acc20);
    vst1q_f32(c2 + 4, acc21);
    vst1q_f32(c2 + 8, acc22);
    vst1q_f32(c2 + 12, acc23);
  }
  if (R > 1) {
    vst1q_f32(c1, acc10);
    vst1q_f32(c1 + 4, acc11);
    vst1q_f32(c1 + 8, acc12);
    vst1q_f32(c1 + 12, acc13);
  }
  vst1q_f32(c0, acc00);
  vst1q_f32(c0 + 4, acc01);
  vst1q_f32(c0 + 8, acc02);
  vst1q_f32(c0 + 12, acc03);
}

void rc_gemm_tile_6x16__neon(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride, const float* pf, size_t pf_lines) {
  switch (mr) {
    case 1: tile_rows(1, kc, a, a_stride, w, c, c_stride, pf, pf_lines); return;
    case 2: tile_rows(2, kc, a, a_stride, w, c, c_stride, pf, pf_lines); return;
    case 3: tile_rows(3, kc, a, a_stride, w, c, c_stride, pf, pf_lines); return;
    case 4: tile_rows(4, kc, a, a_stride, w, c, c_stride, pf, pf_lines); return;
    case 5: tile_rows(5, kc, a, a_stride, w, c, c_stride, pf, pf_lines); return;
    default: tile_rows(6, kc, a, a_stride, w, c, c_stride, pf, pf_lines); return;
  }
}

/* The AVX2+FMA 6×16 GEMM loop, the one copy: the fused conv micro-kernel
 * (gemm_6x16__avx2.c) and the tile kernel (gemm_tile_6x16__avx2.c) both run
 * it and differ only in how they finish the tile. Include only from files
 * compiled with -mavx2 -mfma. Internal to kernels/gemm/. */
#ifndef RC_KERNELS_GEMM_6X16_AVX2_H
#define RC_KERNELS_GEMM_6X16_AVX2_H

#include <immintrin.h>
#include <stddef.h>

#include "kernels/gemm/gemm_ukernels.h"

/* acc[i][h] = Σ_{k<kc} a[i][k] · w[k·16 + 8h .. +8), fused multiply-adds in
 * k order: 12 ymm accumulators; per k two loads of the packed [kc][16]
 * panel, six broadcasts of A (one per row), 12 FMAs. */
static inline __attribute__((always_inline)) void rc_gemm_6x16_loop__avx2(size_t kc, const float* const a[6],
                                                                          const float* w, __m256 acc[6][2]) {
  const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
  __m256 acc00 = _mm256_setzero_ps(), acc01 = _mm256_setzero_ps();
  __m256 acc10 = _mm256_setzero_ps(), acc11 = _mm256_setzero_ps();
  __m256 acc20 = _mm256_setzero_ps(), acc21 = _mm256_setzero_ps();
  __m256 acc30 = _mm256_setzero_ps(), acc31 = _mm256_setzero_ps();
  __m256 acc40 = _mm256_setzero_ps(), acc41 = _mm256_setzero_ps();
  __m256 acc50 = _mm256_setzero_ps(), acc51 = _mm256_setzero_ps();
  for (size_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(w);
    const __m256 b1 = _mm256_loadu_ps(w + 8);
    w += 16;
    __m256 va = _mm256_broadcast_ss(a0 + k);
    acc00 = _mm256_fmadd_ps(va, b0, acc00);
    acc01 = _mm256_fmadd_ps(va, b1, acc01);
    va = _mm256_broadcast_ss(a1 + k);
    acc10 = _mm256_fmadd_ps(va, b0, acc10);
    acc11 = _mm256_fmadd_ps(va, b1, acc11);
    va = _mm256_broadcast_ss(a2 + k);
    acc20 = _mm256_fmadd_ps(va, b0, acc20);
    acc21 = _mm256_fmadd_ps(va, b1, acc21);
    va = _mm256_broadcast_ss(a3 + k);
    acc30 = _mm256_fmadd_ps(va, b0, acc30);
    acc31 = _mm256_fmadd_ps(va, b1, acc31);
    va = _mm256_broadcast_ss(a4 + k);
    acc40 = _mm256_fmadd_ps(va, b0, acc40);
    acc41 = _mm256_fmadd_ps(va, b1, acc41);
    va = _mm256_broadcast_ss(a5 + k);
    acc50 = _mm256_fmadd_ps(va, b0, acc50);
    acc51 = _mm256_fmadd_ps(va, b1, acc51);
  }
  acc[0][0] = acc00, acc[0][1] = acc01, acc[1][0] = acc10, acc[1][1] = acc11;
  acc[2][0] = acc20, acc[2][1] = acc21, acc[3][0] = acc30, acc[3][1] = acc31;
  acc[4][0] = acc40, acc[4][1] = acc41, acc[5][0] = acc50, acc[5][1] = acc51;
}

#endif

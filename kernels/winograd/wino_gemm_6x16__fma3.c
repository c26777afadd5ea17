/* AVX2+FMA tile GEMM, 6 tiles × 16 output channels: 12 ymm accumulators,
 * per k two aligned-or-not loads of the packed U panel (16 channels) and six
 * broadcasts of V (one per tile), 12 FMAs. Rows beyond mr alias row 0 (their
 * loads are valid, their results identical) and are stored first, so row 0's
 * store wins: the XNNPACK way of handling the mr tail without branches in
 * the loop. Compiled with -mavx2 -mfma. */
#include <immintrin.h>

#include "kernels/winograd/wino_ukernels.h"

void rc_wino_gemm_6x16__fma3(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride) {
  const float* a0 = a;
  float* c0 = c;
  const float* a1 = a0 + a_stride;
  float* c1 = c0 + c_stride;
  if (mr < 2) {
    a1 = a0;
    c1 = c0;
  }
  const float* a2 = a1 + a_stride;
  float* c2 = c1 + c_stride;
  if (mr <= 2) {
    a2 = a1;
    c2 = c1;
  }
  const float* a3 = a2 + a_stride;
  float* c3 = c2 + c_stride;
  if (mr < 4) {
    a3 = a2;
    c3 = c2;
  }
  const float* a4 = a3 + a_stride;
  float* c4 = c3 + c_stride;
  if (mr <= 4) {
    a4 = a3;
    c4 = c3;
  }
  const float* a5 = a4 + a_stride;
  float* c5 = c4 + c_stride;
  if (mr != 6) {
    a5 = a4;
    c5 = c4;
  }

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
  _mm256_storeu_ps(c5, acc50);
  _mm256_storeu_ps(c5 + 8, acc51);
  _mm256_storeu_ps(c4, acc40);
  _mm256_storeu_ps(c4 + 8, acc41);
  _mm256_storeu_ps(c3, acc30);
  _mm256_storeu_ps(c3 + 8, acc31);
  _mm256_storeu_ps(c2, acc20);
  _mm256_storeu_ps(c2 + 8, acc21);
  _mm256_storeu_ps(c1, acc10);
  _mm256_storeu_ps(c1 + 8, acc11);
  _mm256_storeu_ps(c0, acc00);
  _mm256_storeu_ps(c0 + 8, acc01);
}

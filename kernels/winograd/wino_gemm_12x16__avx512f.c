/* AVX-512F tile GEMM, 12 tiles × 16 output channels: 12 zmm accumulators
 * (one 16-channel U panel row per k, one zmm), per k one load of U, twelve
 * broadcasts of V and twelve FMAs: enough independent FMAs to cover their
 * latency on two 512-bit pipes. Rows beyond mr alias the last real row and
 * are stored first, so the real row's store wins (as in the 6x16 FMA3
 * kernel). Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/winograd/wino_ukernels.h"

#define MR 12

void rc_wino_gemm_12x16__avx512f(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                                 size_t c_stride) {
  const float* ar[MR];
  float* cr[MR];
#pragma GCC unroll 12
  for (size_t i = 0; i < MR; i++) {
    const size_t r = i < mr ? i : mr - 1;
    ar[i] = a + r * a_stride;
    cr[i] = c + r * c_stride;
  }
  __m512 acc[MR];
#pragma GCC unroll 12
  for (size_t i = 0; i < MR; i++) acc[i] = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; k++) {
    const __m512 b = _mm512_loadu_ps(w + k * 16);
#pragma GCC unroll 12
    for (size_t i = 0; i < MR; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(ar[i][k]), b, acc[i]);
  }
#pragma GCC unroll 12
  for (size_t i = MR; i-- > 0;) _mm512_storeu_ps(cr[i], acc[i]);
}

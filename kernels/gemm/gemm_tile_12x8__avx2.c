/* AVX2+FMA tile GEMM for layers of at most 8 output channels (a
 * super-resolution tail, 16→4): up to 12 tiles × 8 channels, one ymm
 * accumulator per tile, reading only the first 8 lanes of each 16-lane U
 * row. The 6x16 kernel would spend half its FMAs (or more) on padding lanes;
 * this one does 12 useful FMAs per k, enough to cover their latency. Rows
 * beyond mr alias the last real row and are stored first (as in 6x16).
 * Compiled with -mavx2 -mfma. */
#include <immintrin.h>

#include "kernels/gemm/gemm_ukernels.h"

#define MR 12

static inline __attribute__((always_inline)) void tile(const size_t R, size_t mr, size_t kc, const float* a,
                                                       size_t a_stride, const float* w, float* c, size_t c_stride,
                                                       const float* pf, size_t pf_lines) {
  const float* ar[MR];
  float* cr[MR];
  __m256 acc[MR];
#pragma GCC unroll 12
  for (size_t i = 0; i < R; i++) {
    const size_t r = i < mr ? i : mr - 1;
    ar[i] = a + r * a_stride;
    cr[i] = c + r * c_stride;
    acc[i] = _mm256_setzero_ps();
  }
  for (size_t k = 0; k < kc; k++) {
    if (k < pf_lines) _mm_prefetch((const char*)pf + 64 * k, _MM_HINT_T1);
    const __m256 b = _mm256_loadu_ps(w + k * RC_GEMM_NR);
#pragma GCC unroll 12
    for (size_t i = 0; i < R; i++) acc[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(ar[i] + k), b, acc[i]);
  }
#pragma GCC unroll 12
  for (size_t i = R; i-- > 0;) _mm256_storeu_ps(cr[i], acc[i]);
}

void rc_gemm_tile_12x8__avx2(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride, const float* pf, size_t pf_lines) {
  if (mr <= 6) {
    tile(6, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  } else {
    tile(12, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  }
}

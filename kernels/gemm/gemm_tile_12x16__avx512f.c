/* AVX-512F tile GEMM, up to 12 tiles × 16 output channels: one zmm
 * accumulator per tile (the 16-channel U panel row is one zmm), per k one
 * load of U, a broadcast of V per tile and one FMA per tile. Twelve rows give
 * enough independent FMAs to cover their latency on two 512-bit pipes; a
 * short call (the last tiles of a block) runs the 4- or 8-row form instead of
 * computing 12 rows. Rows beyond mr in a form alias the last real row and are
 * stored first, so the real row's store wins (as in the 6x16 FMA3 kernel).
 * Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/gemm/gemm_ukernels.h"

#define MR 12

static inline __attribute__((always_inline)) void tile(const size_t R, size_t mr, size_t kc, const float* a,
                                                       size_t a_stride, const float* w, float* c, size_t c_stride,
                                                       const float* pf, size_t pf_lines) {
  const float* ar[MR];
  float* cr[MR];
  __m512 acc[MR];
#pragma GCC unroll 12
  for (size_t i = 0; i < R; i++) {
    const size_t r = i < mr ? i : mr - 1;
    ar[i] = a + r * a_stride;
    cr[i] = c + r * c_stride;
    acc[i] = _mm512_setzero_ps();
  }
  for (size_t k = 0; k < kc; k++) {
    if (k < pf_lines) _mm_prefetch((const char*)pf + 64 * k, _MM_HINT_T1);
    const __m512 b = _mm512_loadu_ps(w + k * 16);
#pragma GCC unroll 12
    for (size_t i = 0; i < R; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(ar[i][k]), b, acc[i]);
  }
#pragma GCC unroll 12
  for (size_t i = R; i-- > 0;) _mm512_storeu_ps(cr[i], acc[i]);
}

void rc_gemm_tile_12x16__avx512f(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                                 size_t c_stride, const float* pf, size_t pf_lines) {
  if (mr <= 4) {
    tile(4, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  } else if (mr <= 8) {
    tile(8, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  } else {
    tile(12, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  }
}

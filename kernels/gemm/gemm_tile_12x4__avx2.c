/* AVX2+FMA tile GEMM for layers of at most 4 output channels, up to 12
 * tiles × 4 channels: the AVX2 form of the k-in-lanes kernel
 * (gemm_tile_12x4__avx512f.c). Per pair of k, a ymm holds U[2g+kk][co] at
 * lane 2·co + kk and each tile's V[t][2g..2g+1] is broadcast as one 64-bit
 * element (vbroadcastsd, a load without a shuffle), so all 8 lanes of every
 * FMA are useful: half the FMAs of the 12x8 kernel for a 4-channel tail.
 * Two tiles' accumulators reduce together (one horizontal add and one
 * 64-bit lane permute).
 *
 * Each lane sums its k in order 2g+kk, g ascending; a channel's two chains
 * are then added. k ≥ kc of V and lanes ≥ 4 of U are not read; rows beyond
 * mr alias the last real row. Compiled with -mavx2 -mfma. */
#include <immintrin.h>

#include "kernels/gemm/gemm_ukernels.h"

#define MR 12

/* U[2g], U[2g+1] (lanes 0..3; zero for the second when one is left), laid out
 * channel-major: lane 2·co + kk = U[2g+kk][co]. */
static inline __attribute__((always_inline)) __m256 u_pair(const float* w, int both) {
  const __m128 r0 = _mm_loadu_ps(w);
  const __m128 r1 = both ? _mm_loadu_ps(w + RC_GEMM_NR) : _mm_setzero_ps();
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_unpacklo_ps(r0, r1)), _mm_unpackhi_ps(r0, r1), 1);
}

/* Σ over kk of two tiles' accumulators (lane 2·co + kk), stored as 4
 * channels per tile. */
static inline __attribute__((always_inline)) void reduce_store2(__m256 acc0, __m256 acc1, float* c0, float* c1) {
  /* [t0 co0, t0 co1, t1 co0, t1 co1 | t0 co2, t0 co3, t1 co2, t1 co3] */
  const __m256 h = _mm256_hadd_ps(acc0, acc1);
  const __m256 tc = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(h), _MM_SHUFFLE(3, 1, 2, 0)));
  _mm_storeu_ps(c1, _mm256_extractf128_ps(tc, 1));
  _mm_storeu_ps(c0, _mm256_castps256_ps128(tc));
}

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
  size_t k = 0;
  for (; k + 2 <= kc; k += 2) {
    for (size_t j = k; j < k + 2 && j < pf_lines; j++) _mm_prefetch((const char*)pf + 64 * j, _MM_HINT_T1);
    const __m256 u = u_pair(w + k * RC_GEMM_NR, 1);
#pragma GCC unroll 12
    for (size_t i = 0; i < R; i++)
      acc[i] =
          _mm256_fmadd_ps(_mm256_castpd_ps(_mm256_broadcast_sd((const double*)(const void*)(ar[i] + k))), u, acc[i]);
  }
  if (k < kc) { /* the last odd k: V's and U's k + 1 lanes zero (not 0·inf) */
    if (k < pf_lines) _mm_prefetch((const char*)pf + 64 * k, _MM_HINT_T1);
    const __m256 u = u_pair(w + k * RC_GEMM_NR, 0);
#pragma GCC unroll 12
    for (size_t i = 0; i < R; i++)
      acc[i] = _mm256_fmadd_ps(_mm256_blend_ps(_mm256_set1_ps(ar[i][k]), _mm256_setzero_ps(), 0xAA), u, acc[i]);
  }
#pragma GCC unroll 6
  for (size_t i = R; i > 0; i -= 2) reduce_store2(acc[i - 2], acc[i - 1], cr[i - 2], cr[i - 1]);
}

void rc_gemm_tile_12x4__avx2(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride, const float* pf, size_t pf_lines) {
  if (mr <= 6) {
    tile(6, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  } else {
    tile(12, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  }
}

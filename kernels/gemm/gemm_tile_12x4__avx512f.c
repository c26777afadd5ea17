/* AVX-512F tile GEMM for layers of at most 4 output channels (a
 * super-resolution tail, 16→4), up to 12 tiles × 4 channels. Lanes of the
 * broadcast form (one accumulator per tile, U's row as the vector) would be
 * three quarters padding; here k goes in the lanes instead: per group of 4 k,
 * a zmm holds U[4g+kk][co] at lane 4·co + kk, and each tile's
 * V[t][4g..4g+3] is broadcast to the four 128-bit lanes, so every FMA lane is
 * a useful product. A tile's accumulator then holds 4 partial sums per
 * channel; four tiles' accumulators reduce together (two rounds of unpack or
 * shuffle and add, then one permute to tile-major order), 10 shuffles per 4
 * tiles against 4·⌈kc/4⌉ FMAs. ECBSR's 16→4 tail: 16 FMAs per 4 tiles
 * against 64 half-used ymm FMAs in the 12x8 kernel.
 *
 * Each lane sums its k in order 4g+kk, g ascending; the four chains of a
 * channel are then added pairwise (a different fp32 order from the other
 * tile kernels). k ≥ kc of V and lanes ≥ 4 of U are not read; rows beyond mr
 * alias the last real row. Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/gemm/gemm_ukernels.h"

#define MR 12

/* U[4g..4g+n) (n ≤ 4 rows, lanes 0..3), zero rows for n < 4, laid out
 * channel-major: lane 4·co + kk = U[4g+kk][co]. */
static inline __attribute__((always_inline)) __m512 u_group(const float* w, size_t n) {
  const __m128 r0 = _mm_loadu_ps(w);
  const __m128 r1 = n > 1 ? _mm_loadu_ps(w + RC_GEMM_NR) : _mm_setzero_ps();
  const __m128 r2 = n > 2 ? _mm_loadu_ps(w + 2 * RC_GEMM_NR) : _mm_setzero_ps();
  const __m128 r3 = n > 3 ? _mm_loadu_ps(w + 3 * RC_GEMM_NR) : _mm_setzero_ps();
  const __m256 r01 = _mm256_insertf128_ps(_mm256_castps128_ps256(r0), r1, 1);
  const __m256 r23 = _mm256_insertf128_ps(_mm256_castps128_ps256(r2), r3, 1);
  const __m512 kmaj = _mm512_castpd_ps(
      _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(r01)), _mm256_castps_pd(r23), 1)); /* lane 4·kk + co */
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), kmaj);
}

/* Σ over kk of four tiles' accumulators (lane 4·co + kk), stored as 4
 * channels per tile. */
static inline __attribute__((always_inline)) void reduce_store4(const __m512* acc, float* const* cr) {
  /* per 128-bit lane co: [a0+a2, b0+b2, a1+a3, b1+b3] */
  const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(acc[0], acc[1]), _mm512_unpackhi_ps(acc[0], acc[1]));
  const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(acc[2], acc[3]), _mm512_unpackhi_ps(acc[2], acc[3]));
  /* lane 4·co + t: tile t's channel co */
  const __m512 ct = _mm512_add_ps(_mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 tc = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), ct);
  _mm_storeu_ps(cr[3], _mm512_extractf32x4_ps(tc, 3));
  _mm_storeu_ps(cr[2], _mm512_extractf32x4_ps(tc, 2));
  _mm_storeu_ps(cr[1], _mm512_extractf32x4_ps(tc, 1));
  _mm_storeu_ps(cr[0], _mm512_castps512_ps128(tc));
}

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
  size_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    for (size_t j = k; j < k + 4 && j < pf_lines; j++) _mm_prefetch((const char*)pf + 64 * j, _MM_HINT_T1);
    const __m512 u = u_group(w + k * RC_GEMM_NR, 4);
#pragma GCC unroll 12
    for (size_t i = 0; i < R; i++) acc[i] = _mm512_fmadd_ps(_mm512_broadcast_f32x4(_mm_loadu_ps(ar[i] + k)), u, acc[i]);
  }
  if (k < kc) { /* 1–3 k left: V's lanes past kc masked to zero, U's rows zero */
    const size_t n = kc - k;
    for (size_t j = k; j < kc && j < pf_lines; j++) _mm_prefetch((const char*)pf + 64 * j, _MM_HINT_T1);
    const __m512 u = u_group(w + k * RC_GEMM_NR, n);
    const __mmask16 m = (__mmask16)((1u << n) - 1);
#pragma GCC unroll 12
    for (size_t i = 0; i < R; i++) {
      const __m512 v = _mm512_maskz_loadu_ps(m, ar[i] + k);
      acc[i] = _mm512_fmadd_ps(_mm512_shuffle_f32x4(v, v, 0), u, acc[i]);
    }
  }
#pragma GCC unroll 3
  for (size_t i = R; i > 0; i -= 4) reduce_store4(acc + i - 4, cr + i - 4);
}

void rc_gemm_tile_12x4__avx512f(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                                size_t c_stride, const float* pf, size_t pf_lines) {
  if (mr <= 4) {
    tile(4, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  } else if (mr <= 8) {
    tile(8, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  } else {
    tile(12, mr, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
  }
}

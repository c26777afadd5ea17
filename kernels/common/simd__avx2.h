/* SIMD primitives (kernels/common/simd.h) for AVX2 + FMA3: 8 floats in a
 * ymm register, masks in integer lanes. For files compiled with -mavx2
 * -mfma only. */
#ifndef RC_KERNELS_COMMON_SIMD_AVX2_H
#define RC_KERNELS_COMMON_SIMD_AVX2_H

#include <immintrin.h>
#include <stddef.h>

typedef __m256 vec;
typedef __m256i vmask;
#define SIMD_W 8
#define SIMD_REGS 16
#define SIMD_INLINE static inline __attribute__((always_inline))

SIMD_INLINE vec v_zero(void) { return _mm256_setzero_ps(); }
SIMD_INLINE vec v_set1(float c) { return _mm256_set1_ps(c); }
SIMD_INLINE vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
SIMD_INLINE vec v_sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
SIMD_INLINE vec v_mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
SIMD_INLINE vec v_fma(vec a, vec b, vec acc) { return _mm256_fmadd_ps(a, b, acc); }
SIMD_INLINE vec v_neg(vec x) { return _mm256_xor_ps(x, _mm256_set1_ps(-0.0f)); }
SIMD_INLINE vec v_min(vec a, vec b) { return _mm256_min_ps(a, b); }
SIMD_INLINE vec v_max(vec a, vec b) { return _mm256_max_ps(a, b); }
SIMD_INLINE vec v_load(const float* p) { return _mm256_loadu_ps(p); }
SIMD_INLINE void v_store(float* p, vec x) { _mm256_storeu_ps(p, x); }
SIMD_INLINE vec v_load_mask(const float* p, vmask m) { return _mm256_maskload_ps(p, m); }
/* Masks are v_tail's prefixes. The store writes the n lanes with plain
 * 16-, 8- and 4-byte stores: vmaskmovps stores take about 12 cycles each on
 * AMD Zen (Zen 4: 0.08 a cycle, against 1 for plain ymm stores; a 4-channel
 * super-resolution tail stores 36 of them a tile). n is the same for every
 * store of a chunk, so the branches predict. */
SIMD_INLINE void v_store_mask(float* p, vmask m, vec x) {
  int n = __builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(m)));
  __m128 part = _mm256_castps256_ps128(x);
  if (n >= 4) {
    _mm_storeu_ps(p, part);
    if (n == 4) return;
    part = _mm256_extractf128_ps(x, 1);
    p += 4;
    n -= 4;
  }
  if (n & 2) {
    _mm_storel_pi((__m64*)(void*)p, part);
    part = _mm_movehl_ps(part, part);
    p += 2;
  }
  if (n & 1) _mm_store_ss(p, part);
}
SIMD_INLINE vmask v_tail(size_t n) { /* lanes < n, 0 < n ≤ 8 */
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
SIMD_INLINE vec v_prelu(vec o, vec slope) {
  return _mm256_blendv_ps(o, _mm256_mul_ps(o, slope), _mm256_cmp_ps(o, _mm256_setzero_ps(), _CMP_LT_OQ));
}

#include "kernels/common/simd.h"

#endif

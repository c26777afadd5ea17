/* SIMD primitives (kernels/common/simd.h) for AVX-512F: 16 floats in a zmm
 * register, masks in mask registers. For files compiled with -mavx512f
 * only. */
#ifndef RC_KERNELS_COMMON_SIMD_AVX512F_H
#define RC_KERNELS_COMMON_SIMD_AVX512F_H

#include <immintrin.h>
#include <stddef.h>

typedef __m512 vec;
typedef __mmask16 vmask;
#define SIMD_W 16
#define SIMD_REGS 32
#define SIMD_INLINE static inline __attribute__((always_inline))

SIMD_INLINE vec v_zero(void) { return _mm512_setzero_ps(); }
SIMD_INLINE vec v_set1(float c) { return _mm512_set1_ps(c); }
SIMD_INLINE vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
SIMD_INLINE vec v_sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
SIMD_INLINE vec v_mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
SIMD_INLINE vec v_fma(vec a, vec b, vec acc) { return _mm512_fmadd_ps(a, b, acc); }
SIMD_INLINE vec v_neg(vec x) { /* xor of the sign bit: AVX-512F has no xor_ps */
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}
SIMD_INLINE vec v_min(vec a, vec b) { return _mm512_min_ps(a, b); }
SIMD_INLINE vec v_max(vec a, vec b) { return _mm512_max_ps(a, b); }
SIMD_INLINE vec v_load(const float* p) { return _mm512_loadu_ps(p); }
SIMD_INLINE void v_store(float* p, vec x) { _mm512_storeu_ps(p, x); }
SIMD_INLINE vec v_load_mask(const float* p, vmask m) { return _mm512_maskz_loadu_ps(m, p); }
SIMD_INLINE void v_store_mask(float* p, vmask m, vec x) { _mm512_mask_storeu_ps(p, m, x); }
SIMD_INLINE vmask v_tail(size_t n) { return (vmask)((1u << n) - 1u); } /* lanes < n, 0 < n ≤ 16 */
SIMD_INLINE vec v_prelu(vec o, vec slope) {
  return _mm512_mask_mul_ps(o, _mm512_cmp_ps_mask(o, _mm512_setzero_ps(), _CMP_LT_OQ), o, slope);
}

#include "kernels/common/simd.h"

#endif

/* AVX-512F conversion kernels (convert.h): 16 values per vector, the tail
 * under a mask. Bitwise rc_float_to_u8 / rc_u8_to_float: the product and
 * the sum round separately (no FMA), max(v, 0) returns its second operand
 * for a NaN v (so NaN → 0), and cvtps2dq rounds to nearest even under the
 * default MXCSR. Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/common/convert.h"

static inline __attribute__((always_inline)) __m512i to_u8_lanes(__m512 v, __m512 s, __m512 b) {
  v = _mm512_add_ps(_mm512_mul_ps(v, s), b);
  v = _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
  return _mm512_cvtps_epi32(v);
}

void rc_f32_to_u8__avx512f(const float* x, size_t n, float scale, float bias, uint8_t* y) {
  const __m512 s = _mm512_set1_ps(scale), b = _mm512_set1_ps(bias);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512i a = to_u8_lanes(_mm512_loadu_ps(x + i), s, b);
    const __m512i c = to_u8_lanes(_mm512_loadu_ps(x + i + 16), s, b);
    _mm_storeu_si128((__m128i*)(y + i), _mm512_cvtepi32_epi8(a));
    _mm_storeu_si128((__m128i*)(y + i + 16), _mm512_cvtepi32_epi8(c));
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
    _mm512_mask_cvtepi32_storeu_epi8(y + i, m, to_u8_lanes(_mm512_maskz_loadu_ps(m, x + i), s, b));
  }
}

void rc_u8_to_f32__avx512f(const uint8_t* x, size_t n, float scale, float bias, float* y) {
  const __m512 s = _mm512_set1_ps(scale), b = _mm512_set1_ps(bias);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(x + i))));
    _mm512_storeu_ps(y + i, _mm512_add_ps(_mm512_mul_ps(v, s), b));
  }
  for (; i < n; i++) y[i] = rc_u8_to_float(x[i], scale, bias);
}

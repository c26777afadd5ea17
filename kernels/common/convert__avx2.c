/* AVX2 conversion kernels (convert.h): 32 values per step, packed to bytes
 * with the saturating packs (values are already in [0, 255]) and one lane
 * permute; tails go through the scalar definition. Bitwise
 * rc_float_to_u8 / rc_u8_to_float: the product and the sum round separately
 * (no FMA), max(v, 0) returns its second operand for a NaN v (NaN → 0), and
 * cvtps2dq rounds to nearest even under the default MXCSR. Compiled with
 * -mavx2 -mfma. */
#include <immintrin.h>

#include "kernels/common/convert.h"

static inline __attribute__((always_inline)) __m256i to_i32(const float* x, __m256 s, __m256 b) {
  __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x), s), b);
  v = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
  return _mm256_cvtps_epi32(v);
}

void rc_f32_to_u8__avx2(const float* x, size_t n, float scale, float bias, uint8_t* y) {
  const __m256 s = _mm256_set1_ps(scale), b = _mm256_set1_ps(bias);
  /* the packs work within 128-bit lanes: this permute puts their dwords
   * (4 values each) back in order */
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i ab = _mm256_packs_epi32(to_i32(x + i, s, b), to_i32(x + i + 8, s, b));
    const __m256i cd = _mm256_packs_epi32(to_i32(x + i + 16, s, b), to_i32(x + i + 24, s, b));
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd), order);
    _mm256_storeu_si256((__m256i*)(y + i), bytes);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256i v = to_i32(x + i, s, b);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i*)(y + i), _mm_packus_epi16(w, w));
  }
  for (; i < n; i++) y[i] = rc_float_to_u8(x[i], scale, bias);
}

void rc_u8_to_f32__avx2(const uint8_t* x, size_t n, float scale, float bias, float* y) {
  const __m256 s = _mm256_set1_ps(scale), b = _mm256_set1_ps(bias);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(x + i))));
    _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_mul_ps(v, s), b));
  }
  for (; i < n; i++) y[i] = rc_u8_to_float(x[i], scale, bias);
}

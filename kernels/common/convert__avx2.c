/* AVX2 conversion kernels (convert.h): 32 values per step, packed to bytes
 * with the saturating packs (values are already in [0, 255]) and one lane
 * permute; tails go through the scalar definition. Bitwise
 * rc_float_to_u8 / rc_u8_to_float: the product and the sum round separately
 * (no FMA), max(v, 0) returns its second operand for a NaN v (NaN → 0), and
 * cvtps2dq rounds to nearest even under the default MXCSR. Compiled with
 * -mavx2 -mfma -mf16c (VCVTPH2PS for binary16 weights). */
#include <immintrin.h>

#include "kernels/common/convert.h"
#include "kernels/common/transpose_bands.h"

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

/* A band of 8 rows, 4·groups columns, as column groups of 4: vector x[p]
 * of group c holds in 128-bit lane L columns 4c..4c+3 of row 4L + p (a
 * 128-bit load and an insert from memory); a 4×4 transpose within the
 * lanes (8 shuffles) then gives x[k] = column 4c + k. 16 shuffles an 8×8
 * block and none lane-crossing, against a network over whole rows' 24 (8 lane
 * permutes). Not inlined, as AVX-512's band: the caller's loop keeps few
 * live addresses. */
static __attribute__((noinline)) void band_groups(const float* s, ptrdiff_t ss, size_t groups, float* d, ptrdiff_t ds) {
  for (size_t c = 0; c < groups; c++, s += 4, d += 4 * ds) {
    __m256 x[4];
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) {
      const float* r = s + (ptrdiff_t)p * ss;
      x[p] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(r)), _mm_loadu_ps(r + 4 * ss), 1);
    }
    const __m256 t0 = _mm256_unpacklo_ps(x[0], x[1]), t1 = _mm256_unpackhi_ps(x[0], x[1]);
    const __m256 t2 = _mm256_unpacklo_ps(x[2], x[3]), t3 = _mm256_unpackhi_ps(x[2], x[3]);
    _mm256_storeu_ps(d, _mm256_shuffle_ps(t0, t2, 0x44));
    _mm256_storeu_ps(d + ds, _mm256_shuffle_ps(t0, t2, 0xEE));
    _mm256_storeu_ps(d + 2 * ds, _mm256_shuffle_ps(t1, t3, 0x44));
    _mm256_storeu_ps(d + 3 * ds, _mm256_shuffle_ps(t1, t3, 0xEE));
  }
}

/* Three planes and packed 3-float pixels (an RGB image's NCHW input or
 * output), 8 pixels (24 floats) a step: each vector of one side is three
 * lane permutes of the other's, blended. To pixels: lane l of pixel vector
 * v holds float e = 8v + l, pixel e / 3 of the step, channel e % 3 (the
 * blend masks: the lanes of G, of B). To planes: pixel p of channel c is
 * float 3p + c, lane (3p + c) % 8 of vector (3p + c) / 8. The tails go
 * through the scalar kernel. */
static void planes3_to_pixels(const float* src, ptrdiff_t src_stride, size_t cols, float* dst) {
  const __m256i i0 = _mm256_setr_epi32(0, 0, 0, 1, 1, 1, 2, 2), i1 = _mm256_setr_epi32(2, 3, 3, 3, 4, 4, 4, 5),
                i2 = _mm256_setr_epi32(5, 5, 6, 6, 6, 7, 7, 7);
  size_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    const __m256 r = _mm256_loadu_ps(src + j), g = _mm256_loadu_ps(src + src_stride + j),
                 b = _mm256_loadu_ps(src + 2 * src_stride + j);
    float* d = dst + 3 * j;
    /* G lanes, B lanes: v0 0x92 (1 4 7), 0x24 (2 5); v1 0x24, 0x49 (0 3 6); v2 0x49, 0x92 */
    _mm256_storeu_ps(
        d, _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(r, i0), _mm256_permutevar8x32_ps(g, i0), 0x92),
                           _mm256_permutevar8x32_ps(b, i0), 0x24));
    _mm256_storeu_ps(
        d + 8, _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(r, i1), _mm256_permutevar8x32_ps(g, i1), 0x24),
                               _mm256_permutevar8x32_ps(b, i1), 0x49));
    _mm256_storeu_ps(
        d + 16, _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(r, i2), _mm256_permutevar8x32_ps(g, i2), 0x49),
                                _mm256_permutevar8x32_ps(b, i2), 0x92));
  }
  if (j < cols) rc_transpose_f32__scalar(src + j, src_stride, 3, cols - j, dst + 3 * j, 3);
}

static void pixels_to_planes3(const float* src, size_t rows, float* dst, ptrdiff_t dst_stride) {
  /* per channel: the lanes (3p + c) % 8, and the pixels taken from vectors 1 and 2 */
  const __m256i ir = _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5), ig = _mm256_setr_epi32(1, 4, 7, 2, 5, 0, 3, 6),
                ib = _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7);
  size_t i = 0;
  for (; i + 8 <= rows; i += 8) {
    const __m256 p0 = _mm256_loadu_ps(src + 3 * i), p1 = _mm256_loadu_ps(src + 3 * i + 8),
                 p2 = _mm256_loadu_ps(src + 3 * i + 16);
    _mm256_storeu_ps(dst + i, _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(p0, ir),
                                                              _mm256_permutevar8x32_ps(p1, ir), 0x38),
                                              _mm256_permutevar8x32_ps(p2, ir), 0xC0));
    _mm256_storeu_ps(dst + dst_stride + i, _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(p0, ig),
                                                                           _mm256_permutevar8x32_ps(p1, ig), 0x18),
                                                           _mm256_permutevar8x32_ps(p2, ig), 0xE0));
    _mm256_storeu_ps(dst + 2 * dst_stride + i, _mm256_blend_ps(_mm256_blend_ps(_mm256_permutevar8x32_ps(p0, ib),
                                                                               _mm256_permutevar8x32_ps(p1, ib), 0x1C),
                                                               _mm256_permutevar8x32_ps(p2, ib), 0xE0));
  }
  if (i < rows) rc_transpose_f32__scalar(src + 3 * i, 3, rows - i, 3, dst + i, dst_stride);
}

/* Bands of 8 rows in groups of 4 columns (transpose_bands.h). Matrices of
 * fewer than 8 rows or columns go to the scalar kernel (a shuffle network
 * for 3 rows or columns costs more than the moves). */
void rc_transpose_f32__avx2(const float* src, ptrdiff_t src_stride, size_t rows, size_t cols, float* dst,
                            ptrdiff_t dst_stride) {
  if (rows == 3 && dst_stride == 3) {
    planes3_to_pixels(src, src_stride, cols, dst);
    return;
  }
  if (cols == 3 && src_stride == 3) {
    pixels_to_planes3(src, rows, dst, dst_stride);
    return;
  }
  if (rows < 8 || cols < 8) {
    rc_transpose_f32__scalar(src, src_stride, rows, cols, dst, dst_stride);
    return;
  }
  rc_transpose_bands(src, src_stride, rows, cols, dst, dst_stride, 8, band_groups);
}

void rc_f16_to_f32__avx2(const uint16_t* x, size_t n, float* y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(x + i))));
  for (; i < n; i++) y[i] = rc_f16_to_f32(x[i]);
}

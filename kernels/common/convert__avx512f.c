/* AVX-512F conversion kernels (convert.h): 16 values per vector, the tail
 * under a mask. Bitwise rc_float_to_u8 / rc_u8_to_float: the product and
 * the sum round separately (no FMA), max(v, 0) returns its second operand
 * for a NaN v (so NaN → 0), and cvtps2dq rounds to nearest even under the
 * default MXCSR. Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/common/convert.h"
#include "kernels/common/transpose_bands.h"

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

/* A band of 16 rows, 4·groups columns, as column groups of 4: vector x[p]
 * of group c holds in 128-bit lane L columns 4c..4c+3 of row 4L + p, put
 * there by the loads (a 128-bit load and 3 inserts from memory); one 4×4
 * transpose within the lanes (8 shuffles) then gives x[k] = column 4c + k,
 * all 16 rows. A network over whole rows takes 64 shuffles a 16×16 block,
 * 32 of them lane-crossing: Zen 5, in L1, 88 cycles a block against 49,
 * and the NCHW boundary of a C64 56x56 conv spent 13% of its run in it.
 * Not inlined: inlined into the band loop, GCC hoisted the 64 row
 * addresses and spilled them (95 cycles a block). */
static __attribute__((noinline)) void band_groups(const float* s, ptrdiff_t ss, size_t groups, float* d, ptrdiff_t ds) {
  for (size_t c = 0; c < groups; c++, s += 4, d += 4 * ds) {
    __m512 x[4];
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) {
      const float* r = s + (ptrdiff_t)p * ss;
      x[p] = _mm512_castps128_ps512(_mm_loadu_ps(r));
      x[p] = _mm512_insertf32x4(x[p], _mm_loadu_ps(r + 4 * ss), 1);
      x[p] = _mm512_insertf32x4(x[p], _mm_loadu_ps(r + 8 * ss), 2);
      x[p] = _mm512_insertf32x4(x[p], _mm_loadu_ps(r + 12 * ss), 3);
    }
    const __m512 t0 = _mm512_unpacklo_ps(x[0], x[1]), t1 = _mm512_unpackhi_ps(x[0], x[1]);
    const __m512 t2 = _mm512_unpacklo_ps(x[2], x[3]), t3 = _mm512_unpackhi_ps(x[2], x[3]);
    _mm512_storeu_ps(d, _mm512_shuffle_ps(t0, t2, 0x44));
    _mm512_storeu_ps(d + ds, _mm512_shuffle_ps(t0, t2, 0xEE));
    _mm512_storeu_ps(d + 2 * ds, _mm512_shuffle_ps(t1, t3, 0x44));
    _mm512_storeu_ps(d + 3 * ds, _mm512_shuffle_ps(t1, t3, 0xEE));
  }
}

/* Bands of 16 rows in groups of 4 columns (transpose_bands.h). Matrices
 * of fewer than 16 rows or columns go to the AVX2 kernel, three planes to
 * or from packed 3-float pixels (an RGB image's NCHW input or output) among
 * them (a 16×16 shuffle network for 3 rows or columns took twice the time of scalar moves;
 * AVX2's 8-pixel permutes move a 224x224 RGB image in 8.5 µs either way,
 * as fast as two-source zmm permutes did, 8.3, against 23–34 for scalar
 * moves). */
void rc_transpose_f32__avx512f(const float* src, ptrdiff_t src_stride, size_t rows, size_t cols, float* dst,
                               ptrdiff_t dst_stride) {
  if (rows < 16 || cols < 16) {
    rc_transpose_f32__avx2(src, src_stride, rows, cols, dst, dst_stride);
    return;
  }
  rc_transpose_bands(src, src_stride, rows, cols, dst, dst_stride, 16, band_groups);
}

void rc_f16_to_f32__avx512f(const uint16_t* x, size_t n, float* y) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(x + i))));
  for (; i < n; i++) y[i] = rc_f16_to_f32(x[i]); /* a masked 16-bit load needs AVX-512BW */
}

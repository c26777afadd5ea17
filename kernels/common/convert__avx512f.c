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

/* r[i] (row i of a 16×16 block) becomes r[j] = column j: unpacks pair the
 * rows, shuffles make 4×4 blocks within the 128-bit lanes, two lane
 * shuffles put the blocks in place (64 shuffles a block). */
static inline __attribute__((always_inline)) void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  /* u[4g + p], lane L: rows 4g..4g+3 of column 4L + p */
  for (int g = 0; g < 4; g++) {
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int p = 0; p < 4; p++) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[p], u[4 + p], 0x88), v1 = _mm512_shuffle_f32x4(u[p], u[4 + p], 0xDD);
    const __m512 w0 = _mm512_shuffle_f32x4(u[8 + p], u[12 + p], 0x88);
    const __m512 w1 = _mm512_shuffle_f32x4(u[8 + p], u[12 + p], 0xDD);
    r[p] = _mm512_shuffle_f32x4(v0, w0, 0x88);
    r[4 + p] = _mm512_shuffle_f32x4(v1, w1, 0x88);
    r[8 + p] = _mm512_shuffle_f32x4(v0, w0, 0xDD);
    r[12 + p] = _mm512_shuffle_f32x4(v1, w1, 0xDD);
  }
}

/* The last ni < 16 rows, cols ≥ 16: 16×16 blocks with the missing rows
 * zero, stored under a mask of ni lanes. Not inlined: within the band loop
 * GCC hoisted the 32 row addresses and spilled the full blocks' vectors. */
static __attribute__((noinline)) void last_band(const float* src, ptrdiff_t src_stride, size_t ni, size_t cols,
                                                float* dst, ptrdiff_t dst_stride) {
  const __mmask16 mi = (__mmask16)((1u << ni) - 1u);
  for (size_t j0 = 0; j0 < cols; j0 += 16) {
    const size_t nj = cols - j0 < 16 ? cols - j0 : 16;
    const __mmask16 mj = (__mmask16)((1u << nj) - 1u);
    __m512 r[16];
#pragma GCC unroll 16
    for (size_t i = 0; i < 16; i++)
      r[i] = i < ni ? _mm512_maskz_loadu_ps(mj, src + (ptrdiff_t)i * src_stride + (ptrdiff_t)j0) : _mm512_setzero_ps();
    transpose16(r);
#pragma GCC unroll 16
    for (size_t j = 0; j < 16; j++)
      if (j < nj) _mm512_mask_storeu_ps(dst + (ptrdiff_t)(j0 + j) * dst_stride, mi, r[j]);
  }
}

/* 16×16 blocks over full bands of 16 rows, the last block of a band under
 * masks (masked-off lanes neither fault nor write), and over the rows left
 * below them when there are 8 or more (last_band), which the AVX2 kernel
 * took as an 8-row band and scalar moves: an NHWC output of 128 channels to
 * planes, 28 rows of W pixels, Zen 5: W = 14 7.1 → 2.5 µs, 28 9.6 → 6.8,
 * 60 20.9 → 18.7, 56 unchanged. Three planes to or from packed pixels (an
 * RGB image's NCHW input or output), fewer rows left, and matrices of fewer
 * than 16 columns go to the AVX2 kernel (a 16×16 shuffle network for 3 rows
 * or columns took twice the time of scalar moves; AVX2's 8-pixel permutes
 * move a 224x224 RGB image in 8.5 µs either way, as fast as two-source
 * zmm permutes did, 8.3, against 23–34 for scalar moves). */
void rc_transpose_f32__avx512f(const float* src, ptrdiff_t src_stride, size_t rows, size_t cols, float* dst,
                               ptrdiff_t dst_stride) {
  if ((rows == 3 && dst_stride == 3) || (cols == 3 && src_stride == 3)) {
    rc_transpose_f32__avx2(src, src_stride, rows, cols, dst, dst_stride);
    return;
  }
  const size_t rows16 = cols < 16 ? 0 : rows & ~(size_t)15;
  for (size_t i0 = 0; i0 < rows16; i0 += 16) {
    for (size_t j0 = 0; j0 < cols; j0 += 16) {
      const size_t nj = cols - j0 < 16 ? cols - j0 : 16;
      const float* s = src + (ptrdiff_t)i0 * src_stride + (ptrdiff_t)j0;
      float* d = dst + (ptrdiff_t)j0 * dst_stride + (ptrdiff_t)i0;
      __m512 r[16];
      if (nj == 16) {
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(s + (ptrdiff_t)i * src_stride);
        transpose16(r);
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) _mm512_storeu_ps(d + (ptrdiff_t)j * dst_stride, r[j]);
        continue;
      }
      const __mmask16 mj = (__mmask16)((1u << nj) - 1u);
#pragma GCC unroll 16
      for (int i = 0; i < 16; i++) r[i] = _mm512_maskz_loadu_ps(mj, s + (ptrdiff_t)i * src_stride);
      transpose16(r);
#pragma GCC unroll 16
      for (size_t j = 0; j < 16; j++)
        if (j < nj) _mm512_storeu_ps(d + (ptrdiff_t)j * dst_stride, r[j]);
    }
  }
  if (cols >= 16 && rows - rows16 >= 8) {
    last_band(src + (ptrdiff_t)rows16 * src_stride, src_stride, rows - rows16, cols, dst + rows16, dst_stride);
  } else if (rows16 < rows) {
    rc_transpose_f32__avx2(src + (ptrdiff_t)rows16 * src_stride, src_stride, rows - rows16, cols, dst + rows16,
                           dst_stride);
  }
}

void rc_f16_to_f32__avx512f(const uint16_t* x, size_t n, float* y) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(x + i))));
  for (; i < n; i++) y[i] = rc_f16_to_f32(x[i]); /* a masked 16-bit load needs AVX-512BW */
}

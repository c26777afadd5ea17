/* AVX2+FMA direct micro-kernel (gemm_direct.h), 6 pixels × 16 columns: the
 * 6×16 GEMM kernel's loop (12 ymm accumulators; per k two panel loads, six
 * broadcasts, 12 FMAs) with A read from the input strip at the offsets
 * koff (one more load per k). Rows ≥ mr alias the last
 * real one (valid loads; only rows < mr are stored). The epilogue is the
 * 6×16 kernel's (gemm_6x16__avx2.c: + previous, + bias, activation, in
 * registers; column tails through a stack row). Compiled with -mavx2 -mfma. */
#include <immintrin.h>
#include <string.h>

#include "kernels/common/simd__avx2.h"
#include "kernels/gemm/gemm_6x16__avx2.h"
#include "kernels/gemm/gemm_direct.h"

/* Named accumulators and a constant-indexed finish: an array indexed by the
 * runtime mr went to the stack, spilled on every k (16 ymm registers hold
 * the 12 accumulators, the two panel rows and the broadcasts only just). */
#define STEP(i, ai)                                  \
  do {                                               \
    const __m256 va = _mm256_broadcast_ss((ai) + o); \
    acc##i##0 = _mm256_fmadd_ps(va, b0, acc##i##0);  \
    acc##i##1 = _mm256_fmadd_ps(va, b1, acc##i##1);  \
  } while (0)
static void tile(size_t mr, size_t k0, size_t k1, const int32_t* koff, const float* const* r, const float* w, float* c,
                 size_t c_stride, const rc_gemm_6x16_finish__avx2* f) {
  const float *a0 = r[0], *a1 = r[1], *a2 = r[2], *a3 = r[3], *a4 = r[4], *a5 = r[5];
  __m256 acc00 = _mm256_setzero_ps(), acc01 = _mm256_setzero_ps();
  __m256 acc10 = _mm256_setzero_ps(), acc11 = _mm256_setzero_ps();
  __m256 acc20 = _mm256_setzero_ps(), acc21 = _mm256_setzero_ps();
  __m256 acc30 = _mm256_setzero_ps(), acc31 = _mm256_setzero_ps();
  __m256 acc40 = _mm256_setzero_ps(), acc41 = _mm256_setzero_ps();
  __m256 acc50 = _mm256_setzero_ps(), acc51 = _mm256_setzero_ps();
  for (size_t k = k0; k < k1; k++, w += 16) {
    const ptrdiff_t o = koff[k];
    const __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
    STEP(0, a0);
    STEP(1, a1);
    STEP(2, a2);
    STEP(3, a3);
    STEP(4, a4);
    STEP(5, a5);
  }
  rc_gemm_6x16_finish_row__avx2(f, acc00, acc01, c);
  if (mr > 1) rc_gemm_6x16_finish_row__avx2(f, acc10, acc11, c + c_stride);
  if (mr > 2) rc_gemm_6x16_finish_row__avx2(f, acc20, acc21, c + 2 * c_stride);
  if (mr > 3) rc_gemm_6x16_finish_row__avx2(f, acc30, acc31, c + 3 * c_stride);
  if (mr > 4) rc_gemm_6x16_finish_row__avx2(f, acc40, acc41, c + 4 * c_stride);
  if (mr > 5) rc_gemm_6x16_finish_row__avx2(f, acc50, acc51, c + 5 * c_stride);
}
#undef STEP

void rc_gemm_direct_6x16__avx2(size_t n, size_t nc, size_t k0, size_t k1, const int32_t* koff, const float* a,
                               size_t a_stride, const float* w, size_t w_stride, float* c, size_t c_stride,
                               uint32_t flags, const rc_gemm_epilogue* ep) {
  (void)w_stride; /* one panel per call */
  rc_gemm_6x16_finish__avx2 f;
  rc_gemm_6x16_finish_init__avx2(&f, nc, flags, ep);
  for (size_t p = 0; p < n; p += RC_GEMM_MR) {
    const size_t mr = n - p < RC_GEMM_MR ? n - p : RC_GEMM_MR;
    const float* r[6];
    RC_GEMM_6_ROWS(r, a + p * a_stride, a_stride, mr);
    tile(mr, k0, k1, koff, r, w, c + p * c_stride, c_stride, &f);
  }
}

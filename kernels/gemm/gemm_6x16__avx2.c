/* AVX2+FMA gemm micro-kernel, 6 rows × 16 columns: the shared 6×16 loop
 * (gemm_6x16__avx2.h, also the tile kernel's). Rows beyond mr alias a real
 * row in the loop (valid loads, no branches); only rows < mr are finished and
 * stored. The partial sum of an earlier K block, bias and activation are
 * applied in registers, in the order of rc_gemm_tile_epilogue.
 *
 * mr == 1 (a fully connected layer on one sample) has its own loop: the
 * aliased 6-row loop would spend 6× the FMAs, and one row's two accumulator
 * chains would wait on the FMA latency, so it keeps 4 k-interleaved pairs
 * and sums them at the end. Compiled with -mavx2 -mfma. */
#include <immintrin.h>
#include <string.h>

#include "kernels/common/simd__avx2.h"
#include "kernels/gemm/gemm_6x16__avx2.h"
#include "kernels/gemm/gemm_ukernels.h"

static void one_row(size_t nc, size_t kc, const float* a, const float* w, float* c, uint32_t flags,
                    const rc_gemm_epilogue* ep) {
  __m256 p0 = _mm256_setzero_ps(), p1 = _mm256_setzero_ps();
  __m256 q0 = _mm256_setzero_ps(), q1 = _mm256_setzero_ps();
  __m256 r0 = _mm256_setzero_ps(), r1 = _mm256_setzero_ps();
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    __m256 va = _mm256_broadcast_ss(a + k);
    p0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w), p0);
    p1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w + 8), p1);
    va = _mm256_broadcast_ss(a + k + 1);
    q0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w + 16), q0);
    q1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w + 24), q1);
    va = _mm256_broadcast_ss(a + k + 2);
    r0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w + 32), r0);
    r1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w + 40), r1);
    va = _mm256_broadcast_ss(a + k + 3);
    s0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w + 48), s0);
    s1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w + 56), s1);
    w += 64;
  }
  for (; k < kc; k++) {
    const __m256 va = _mm256_broadcast_ss(a + k);
    p0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w), p0);
    p1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(w + 8), p1);
    w += 16;
  }
  p0 = _mm256_add_ps(_mm256_add_ps(p0, q0), _mm256_add_ps(r0, s0));
  p1 = _mm256_add_ps(_mm256_add_ps(p1, q1), _mm256_add_ps(r1, s1));
  rc_gemm_6x16_finish__avx2 f;
  rc_gemm_6x16_finish_init__avx2(&f, nc, flags, ep);
  rc_gemm_6x16_finish_row__avx2(&f, p0, p1, c);
}

void rc_gemm_6x16__avx2(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                        size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep, const float* pf, size_t pf_lines) {
  if (mr == 1) {
    one_row(nc, kc, a, w, c, flags, ep);
    return;
  }
  const float* ar[6];
  RC_GEMM_6_ROWS(ar, a, a_stride, mr);
  __m256 acc[6][2];
  rc_gemm_6x16_loop__avx2(kc, ar, w, acc, pf, pf_lines);
  rc_gemm_6x16_finish__avx2 f;
  rc_gemm_6x16_finish_init__avx2(&f, nc, flags, ep);
  rc_gemm_6x16_finish_row__avx2(&f, acc[0][0], acc[0][1], c);
  if (mr > 1) rc_gemm_6x16_finish_row__avx2(&f, acc[1][0], acc[1][1], c + c_stride);
  if (mr > 2) rc_gemm_6x16_finish_row__avx2(&f, acc[2][0], acc[2][1], c + 2 * c_stride);
  if (mr > 3) rc_gemm_6x16_finish_row__avx2(&f, acc[3][0], acc[3][1], c + 3 * c_stride);
  if (mr > 4) rc_gemm_6x16_finish_row__avx2(&f, acc[4][0], acc[4][1], c + 4 * c_stride);
  if (mr > 5) rc_gemm_6x16_finish_row__avx2(&f, acc[5][0], acc[5][1], c + 5 * c_stride);
}

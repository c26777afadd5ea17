/* AVX2+FMA tile kernel, 6 rows × 16 columns: the shared 6×16 loop
 * (gemm_6x16__avx2.h), then a plain store. Rows beyond mr alias the last
 * real row and are stored first, so the real row's store wins: the XNNPACK
 * way of handling the mr tail without branches in the loop. Compiled with
 * -mavx2 -mfma. */
#include "kernels/gemm/gemm_6x16__avx2.h"
#include "kernels/gemm/gemm_ukernels.h"

void rc_gemm_tile_6x16__avx2(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride, const float* pf, size_t pf_lines) {
  const float* ar[6];
  float* cr[6];
  RC_GEMM_6_ROWS(ar, a, a_stride, mr);
  RC_GEMM_6_ROWS(cr, c, c_stride, mr);
  __m256 acc[6][2];
  rc_gemm_6x16_loop__avx2(kc, ar, w, acc, pf, pf_lines);
  for (int i = 5; i >= 0; i--) {
    _mm256_storeu_ps(cr[i], acc[i][0]);
    _mm256_storeu_ps(cr[i] + 8, acc[i][1]);
  }
}

/* AVX2+FMA tile kernel, up to 6 rows × 16 columns: the shared loop
 * (gemm_6x16__avx2.h) over the call's rows only, then a plain store. A
 * Winograd block's last GEMM call of fewer than 6 rows (a tile count not a
 * multiple of 6, a border position's tiles) had computed all 6, its tail
 * rows aliasing the last real one: RepVGG-A0 on AVX2 put 17% of its tile
 * GEMM calls at 1–5 rows, 9% of the 6-row work wasted. Each row's sum is
 * the same FMA chain either way (bitwise the same outputs). Compiled with
 * -mavx2 -mfma. */
#include "kernels/gemm/gemm_6x16__avx2.h"
#include "kernels/gemm/gemm_ukernels.h"

/* R rows (a constant per instance: the loop keeps 2R accumulators). */
static inline __attribute__((always_inline)) void tile_rows(const int R, size_t kc, const float* a, size_t a_stride,
                                                            const float* w, float* c, size_t c_stride, const float* pf,
                                                            size_t pf_lines) {
  const float* ar[6];
  RC_GEMM_6_ROWS(ar, a, a_stride, (size_t)R);
  __m256 acc[6][2];
  rc_gemm_rx16_loop__avx2(R, kc, ar, w, acc, pf, pf_lines);
  for (int i = 0; i < R; i++) {
    _mm256_storeu_ps(c + (size_t)i * c_stride, acc[i][0]);
    _mm256_storeu_ps(c + (size_t)i * c_stride + 8, acc[i][1]);
  }
}

void rc_gemm_tile_6x16__avx2(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride, const float* pf, size_t pf_lines) {
  RC_GEMM_BY_ROWS(mr, tile_rows, kc, a, a_stride, w, c, c_stride, pf, pf_lines);
}

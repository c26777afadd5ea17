/* Scalar direct micro-kernel (gemm_direct.h), 6 pixels × 16 columns per
 * tile: the reference for the SIMD ones and the path of the SCALAR GEMM
 * kernel. Sums run over k in ascending order, one rounding per multiply and
 * add, then the GEMM's C epilogue (rc_gemm_tile_finish). */
#include "kernels/gemm/gemm_direct.h"

void rc_gemm_direct_6x16__scalar(size_t n, size_t nc, size_t k0, size_t k1, const int32_t* koff, const float* a,
                                 size_t a_stride, const float* w, size_t w_stride, float* c, size_t c_stride,
                                 uint32_t flags, const rc_gemm_epilogue* ep) {
  (void)w_stride; /* one panel per call */
  for (size_t p = 0; p < n; p += RC_GEMM_MR) {
    const size_t mr = n - p < RC_GEMM_MR ? n - p : RC_GEMM_MR;
    float t[RC_GEMM_MR][RC_GEMM_NR] = {{0.0f}};
    for (size_t k = k0; k < k1; k++) {
      const float* wk = w + (k - k0) * RC_GEMM_NR;
      for (size_t i = 0; i < mr; i++) {
        const float ai = a[(p + i) * a_stride + (size_t)koff[k]];
        for (int j = 0; j < RC_GEMM_NR; j++) t[i][j] += ai * wk[j];
      }
    }
    rc_gemm_tile_finish(&t[0][0], mr, nc, c + p * c_stride, c_stride, flags, ep);
  }
}

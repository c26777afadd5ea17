/* Scalar tile GEMM, 6 tiles × 16 output channels per call (the same tile as
 * the SIMD kernels, so the driver and the packed layouts are ISA-independent).
 * Sums run over k in ascending order, one rounding per multiply and add. */
#include "kernels/gemm/gemm_ukernels.h"

void rc_gemm_tile_6x16__scalar(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                               size_t c_stride, const float* pf, size_t pf_lines) {
  (void)pf; /* the reference: no prefetch */
  (void)pf_lines;
  float acc[6][RC_GEMM_NR] = {{0.0f}};
  for (size_t k = 0; k < kc; k++) {
    const float* wk = w + k * RC_GEMM_NR;
    for (size_t i = 0; i < mr; i++) {
      const float ai = a[i * a_stride + k];
      for (int j = 0; j < RC_GEMM_NR; j++) acc[i][j] += ai * wk[j];
    }
  }
  for (size_t i = 0; i < mr; i++)
    for (int j = 0; j < RC_GEMM_NR; j++) c[i * c_stride + j] = acc[i][j];
}

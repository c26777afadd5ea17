/* Scalar 6×16 gemm micro-kernel: the Winograd scalar tile kernel (sums over
 * k ascending, one rounding per multiply and per add) plus the C epilogue. */
#include "kernels/gemm/gemm_ukernels.h"

void rc_gemm_6x16__scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                          size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep) {
  rc_gemm_tile_epilogue(rc_wino_gemm_6x16__scalar, mr, nc, kc, a, a_stride, w, c, c_stride, flags, ep);
}

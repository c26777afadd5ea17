/* The NEON GEMM tile: the Winograd NEON 6x16 kernel (same contract) plus
 * the C epilogue. Built on AArch64 only (CMakeLists.txt). */
#include "kernels/gemm/gemm_ukernels.h"

void rc_gemm_6x16__neon(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                        size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep) {
  rc_gemm_tile_epilogue(rc_wino_gemm_6x16__neon, mr, nc, kc, a, a_stride, w, c, c_stride, flags, ep);
}

/* The Winograd FMA3 tile kernel plus the C epilogue: the building block a
 * NEON port gets for free (same contract), kept on x86 as a cross-check of
 * the fused FMA3 kernel. Only calls into other files, so no ISA flags are
 * needed, but it is named __fma3 because it runs FMA3 code. */
#include "kernels/gemm/gemm_ukernels.h"

void rc_gemm_6x16_wino__fma3(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                             size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep) {
  rc_gemm_tile_epilogue(rc_wino_gemm_6x16__fma3, mr, nc, kc, a, a_stride, w, c, c_stride, flags, ep);
}

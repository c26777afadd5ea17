/* The C epilogue: a tile kernel (c = a·w, full 16-lane rows) made into a
 * gemm micro-kernel by finishing its 6×16 tile in C, in the same order of
 * operations as the fused kernels (partial sum, + previous, + bias,
 * activation), so the ISAs differ only in how each product is rounded. The
 * micro-kernels of kind TILE in gemm_ukernels.inc are defined here, one
 * line each. */
#include "kernels/gemm/gemm_ukernels.h"

void rc_gemm_tile_finish(const float* t, size_t mr, size_t nc, float* c, size_t c_stride, uint32_t flags,
                         const rc_gemm_epilogue* ep) {
  for (size_t i = 0; i < mr; i++) {
    float* ci = c + i * c_stride;
    const float* ti = t + i * RC_GEMM_NR;
    for (size_t j = 0; j < nc; j++) {
      float s = ti[j];
      if (flags & RC_GEMM_ACCUMULATE) s = ci[j] + s;
      if (flags & RC_GEMM_FINAL) {
        if (ep->bias) s = s + ep->bias[j];
        if (ep->slopes) {
          if (s < 0.0f) s = ep->slopes[j] * s;
        } else {
          /* NaN passes, as in the SIMD max/min with the operands this way round */
          if (s < ep->min) s = ep->min;
          if (s > ep->max) s = ep->max;
        }
      }
      ci[j] = s;
    }
  }
}

void rc_gemm_tile_epilogue(rc_gemm_tile_fn tile, size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                           const float* w, float* c, size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep,
                           const float* pf, size_t pf_lines) {
  float t[RC_GEMM_MR][RC_GEMM_NR];
  tile(mr, kc, a, a_stride, w, &t[0][0], RC_GEMM_NR, pf, pf_lines);
  rc_gemm_tile_finish(&t[0][0], mr, nc, c, c_stride, flags, ep);
}

/* Only calls into other files: no ISA flags needed here. */
#define RC_GEMM_DEFINE_FUSED(name, tile)
#define RC_GEMM_DEFINE_TILE(name, tile)                                                                                \
  void rc_gemm_##name(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w, float* c,      \
                      size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep, const float* pf, size_t pf_lines) { \
    rc_gemm_tile_epilogue(rc_gemm_##tile, mr, nc, kc, a, a_stride, w, c, c_stride, flags, ep, pf, pf_lines);           \
  }
#define RC_GEMM_UKERNEL(ID, name, ISA, nr, rows, autopick, kind, tile) \
  RC_IF_ISA_##ISA(RC_GEMM_DEFINE_##kind(name, tile))
#include "kernels/gemm/gemm_ukernels.inc"
#undef RC_GEMM_UKERNEL

/* GEMM micro-kernels (internal to kernels/gemm/): one 6×16 register tile of
 * the conv/FC GEMM with K-blocking and the fused epilogue. Names follow
 * op_variant__isa; gemm.c calls them through a dispatch table filled once
 * from cpuinfo. Pure functions: no allocation, no threads.
 *
 * A tile kernel of kernels/winograd (rc_wino_gemm_fn: plain c = a·w into
 * full 16-lane rows) becomes a gemm micro-kernel through
 * rc_gemm_tile_epilogue: run it into a local 6×16 tile, then this adds the
 * previous partial sum, the bias and the activation and stores nc columns.
 * That is how the scalar kernel (and a NEON one) plug in; the FMA3 kernel does
 * the same arithmetic in registers. */
#ifndef RC_KERNELS_GEMM_UKERNELS_H
#define RC_KERNELS_GEMM_UKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/winograd/wino_ukernels.h"

#define RC_GEMM_MR 6
#define RC_GEMM_NR 16

/* Flags of one call. */
#define RC_GEMM_ACCUMULATE 1u /* add to c the partial sum an earlier K block stored there */
#define RC_GEMM_FINAL 2u      /* the last K block: add bias, apply the activation */

/* What the last K block applies, per 16-lane column block: y = acc + bias,
 * then PReLU (slopes non-NULL: y < 0 ? slope·y : y) or the clamp
 * min(max, max(min, y)) with NaN passing (±inf: no clamp). bias and slopes
 * point at 16 readable lanes (the plan pads them) or are NULL. */
typedef struct rc_gemm_epilogue {
  const float* bias;
  const float* slopes;
  float min, max;
} rc_gemm_epilogue;

/* For i < mr ≤ 6, j < nc ≤ 16:
 *   s = Σ_{k<kc} a[i·a_stride + k] · w[k·16 + j]   (k ascending, fp32)
 *   if ACCUMULATE: s = c[i·c_stride + j] + s
 *   if FINAL:      s = act(s + bias[j])
 *   c[i·c_stride + j] = s
 * w is a packed [kc][16] panel. Rows i ≥ mr and columns j ≥ nc of c are
 * neither read nor written; rows ≥ mr of a are not read. */
typedef void (*rc_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                                   float* c, size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep);

/* The same over up to 32 columns: nc ≤ 32, columns 16..31 from the panel at
 * w + w_stride (read only when nc > 16); bias and slopes then point at 32
 * lanes. */
typedef void (*rc_gemm_wide_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                        const float* w, size_t w_stride, float* c, size_t c_stride, uint32_t flags,
                                        const rc_gemm_epilogue* ep);

/* The epilogue in C around a Winograd tile kernel (see above). */
void rc_gemm_tile_epilogue(rc_wino_gemm_fn tile, size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                           const float* w, float* c, size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep);

void rc_gemm_6x16__scalar(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t, uint32_t,
                          const rc_gemm_epilogue*);
#if defined(__x86_64__) || defined(_M_X64)
#define RC_GEMM_HAVE_X86 1
/* Registers-only (accumulate and epilogue fused); and the Winograd FMA3 tile
 * kernel behind rc_gemm_tile_epilogue, kept as a tested cross-check. */
void rc_gemm_6x16__fma3(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t, uint32_t,
                        const rc_gemm_epilogue*);
void rc_gemm_6x16_wino__fma3(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t, uint32_t,
                             const rc_gemm_epilogue*);
/* 512-bit, two column blocks per call (bitwise equal to the FMA3 kernel). */
void rc_gemm_6x32__avx512f(size_t, size_t, size_t, const float*, size_t, const float*, size_t, float*, size_t, uint32_t,
                           const rc_gemm_epilogue*);
#endif

#if defined(__aarch64__)
#define RC_GEMM_HAVE_ARM64 1
void rc_gemm_6x16__neon(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t, uint32_t,
                        const rc_gemm_epilogue*);
#endif

#endif

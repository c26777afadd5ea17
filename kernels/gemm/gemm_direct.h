/* The direct (implicit-GEMM) path of the GEMM conv, internal to
 * kernels/gemm/: for convs with few input channels (RepVGG's 3→48 stem), the
 * im2col copies cost more than the GEMM (27 floats copied per output pixel
 * in 3-float pieces), so the micro-kernel reads its A operand from a ring of
 * kernel_h padded input rows instead: in NHWC, with dilation 1, the taps
 * (kx, ic) of one ky are kernel_w·in_c consecutive floats, so output pixel
 * ox's im2col row is kernel_h such segments, one per ring slot, at
 * ox·stride_w·in_c in each. The packed weights, K order, K blocks, bias, activation
 * and threads are the GEMM's (gemm.h); only where A comes from differs.
 * docs/DESIGN.md ("GEMM conv", "Direct path"). */
#ifndef RC_KERNELS_GEMM_DIRECT_H
#define RC_KERNELS_GEMM_DIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_ukernels.h"

/* The direct micro-kernel, over a run of n pixels (6 or 8 per register tile).
 * For i < n, j < nc ≤ its nr (16 or 48):
 *   s = Σ_{k0 ≤ k < k1} a[i·a_stride + koff[k]] · w[(j / 16)·w_stride + (k − k0)·16 + j % 16]
 * (k ascending, one fp32 chain per output: the GEMM micro-kernel's order),
 * then ACCUMULATE, FINAL and the store as rc_gemm_ukernel_fn (gemm_ukernels.h)
 * into c[i·c_stride + j]: columns ≥ nc are neither read nor written, bias and
 * slopes point at 16·⌈nc/16⌉ lanes. koff[k] is where tap k of a pixel's
 * im2col row sits in the ring: slot(k / seg)·row floats + k % seg, seg =
 * kernel_w·in_c. */
typedef void (*rc_gemm_direct_fn)(size_t n, size_t nc, size_t k0, size_t k1, const int32_t* koff, const float* a,
                                  size_t a_stride, const float* w, size_t w_stride, float* c, size_t c_stride,
                                  uint32_t flags, const rc_gemm_epilogue* ep);

#define RC_GEMM_DIRECT_DECLARE(name)                                                                              \
  void rc_gemm_##name(size_t, size_t, size_t, size_t, const int32_t*, const float*, size_t, const float*, size_t, \
                      float*, size_t, uint32_t, const rc_gemm_epilogue*);
RC_GEMM_DIRECT_DECLARE(direct_6x16__scalar)
#if RC_ARCH_X86_64
RC_GEMM_DIRECT_DECLARE(direct_6x16__avx2)
RC_GEMM_DIRECT_DECLARE(direct_8x48__avx512f)
#endif
#undef RC_GEMM_DIRECT_DECLARE

/* A resolved GEMM micro-kernel's direct counterpart: the kernel and its
 * 16-lane panels per call; fn NULL when there is none (NEON: its im2col
 * GEMM). */
typedef struct rc_gemm_direct_kernel {
  rc_gemm_direct_fn fn;
  size_t panels;
} rc_gemm_direct_kernel;
rc_gemm_direct_kernel rc_gemm_direct_kernel_of(rc_gemm_ukernel resolved);

/* The GEMM's K blocks (gemm.c): kc per block (the last one shorter), nk blocks. */
void rc_gemm_k_blocks(const rc_gemm_conv_params* p, size_t* kc, size_t* nk);

/* Bytes of one thread's workspace slice of the direct path. */
size_t rc_gemm_direct_workspace_size(const rc_gemm_conv_params* p);
/* The direct path of rc_gemm_conv2d_nhwc (same contract), when rc_gemm_direct_used(p). */
void rc_gemm_direct_conv2d_nhwc(const rc_gemm_conv_params* p, rc_gemm_direct_kernel dk, const float* x,
                                const float* packed, const float* bias, const float* slopes, float* y, void* workspace,
                                rc_pool* pool);

#endif

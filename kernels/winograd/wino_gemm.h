/* The wide Winograd tile GEMM (internal to kernels/winograd/): c = a·w on a
 * register tile of rows × nv·16 output channels, for ISAs with 32 vector
 * registers (AVX-512F). Where an ISA has none, the driver runs the 16-column
 * tile GEMMs of kernels/gemm. Why the wide tile: wino_gemm__avx512f.c. */
#ifndef RC_KERNELS_WINO_GEMM_H
#define RC_KERNELS_WINO_GEMM_H

#include <stddef.h>

#include "kernels/common/isa.h"

/* The most rows of any form (nv 1 or 2). */
#define RC_WINO_GEMM_WIDE_RMAX 14
/* Vectors (16 channels each) per row: 1..4. */
#define RC_WINO_GEMM_WIDE_NVMAX 4

/* Rows at most for nv vectors per row: accumulators, the nv panel registers
 * and the broadcast register the compiler uses within 32 (7×4 would spill
 * one accumulator; measured 5% slower than 6×4 and 9×3). */
static inline size_t rc_wino_gemm_wide_rmax(size_t nv) { return nv <= 2 ? 14 : nv == 3 ? 9 : 6; }

/* c[i·c_stride + j] = Σ_k a[i·a_stride + k] · w[k·wk + (j/16)·wp + j%16]
 * for i < rows (1..rmax(nv)), j < nv·16 (nv 1..4), k < kc; plain store.
 * Also prefetches the pf_lines (≤ nv·kc) 64-byte lines from pf (NULL when
 * pf_lines is 0) as the flags say: into L2, or non-temporal (kept out of L2
 * and L3 where the CPU allows); nv a k from the first k, or spread evenly
 * over the k loop. */
#define RC_WINO_PF_NTA 1u    /* the non-temporal hint (rc_wino_u_nta) */
#define RC_WINO_PF_SPREAD 2u /* spread over the k loop (wino.c's run_init says when) */
typedef void (*rc_wino_gemm_wide_fn)(size_t rows, size_t nv, size_t kc, const float* a, size_t a_stride, const float* w,
                                     size_t wk, size_t wp, float* c, size_t c_stride, const float* pf, size_t pf_lines,
                                     unsigned pf_flags);

RC_IF_ISA_AVX512F(void rc_wino_gemm__avx512f(size_t rows, size_t nv, size_t kc, const float* a, size_t a_stride,
                                             const float* w, size_t wk, size_t wp, float* c, size_t c_stride,
                                             const float* pf, size_t pf_lines, unsigned pf_flags);)

#endif

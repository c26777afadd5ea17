/* AVX-512F gemm micro-kernel, 6 rows × up to 48 columns (up to three
 * adjacent 16-lane column blocks, panel j at w + j·w_stride): up to 32
 * columns the 6×32 kernel, 33..48 a three-panel loop. The three-panel loop (18 zmm accumulators, one broadcast per three FMAs)
 * serves layers of 48, 80, 112... output channels, which the 6×32 kernel
 * runs as 32 + 16 with the second call's other half wasted: RepVGG-A0
 * stage1.0 (48→48) 113 → 131 GFLOP/s (DESIGN.md, "GEMM conv"). Four panels
 * were slower: 4·kc rows of 64 bytes leave L1. Per lane the arithmetic is
 * the AVX2 kernel's (FMA chain over k, then + previous, + bias, activation),
 * including its 4-way k interleave for mr == 1: the same bits. Compiled with
 * -mavx512f. */
#include <immintrin.h>

#include "kernels/gemm/gemm_finish__avx512f.h"
#include "kernels/gemm/gemm_ukernels.h"

/* One row: four interleaved k chains per panel, summed (p + q) + (r + s). */
static void one_row(size_t nc, size_t kc, const float* a, const float* w, size_t w_stride, float* c, uint32_t flags,
                    const rc_gemm_epilogue* ep) {
  rc_gemm_finish__avx512f f;
  rc_gemm_finish_init__avx512f(&f, nc, flags, ep);
  for (size_t j = 0; j < f.panels; j++) {
    const float* wj = w + j * w_stride;
    __m512 p = _mm512_setzero_ps(), q = _mm512_setzero_ps(), r = _mm512_setzero_ps(), s = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + 4 <= kc; k += 4, wj += 64) {
      p = _mm512_fmadd_ps(_mm512_set1_ps(a[k]), _mm512_loadu_ps(wj), p);
      q = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 1]), _mm512_loadu_ps(wj + 16), q);
      r = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 2]), _mm512_loadu_ps(wj + 32), r);
      s = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 3]), _mm512_loadu_ps(wj + 48), s);
    }
    for (; k < kc; k++, wj += 16) p = _mm512_fmadd_ps(_mm512_set1_ps(a[k]), _mm512_loadu_ps(wj), p);
    rc_gemm_finish_panel__avx512f(&f, j, _mm512_add_ps(_mm512_add_ps(p, q), _mm512_add_ps(r, s)), c + 16 * j);
  }
}

/* The 6-row loop over NP panels (a compile-time constant: the arrays live in
 * registers once unrolled). A rows by one shared index k: per-row pointer
 * increments cost six more uops per k, measured 7% slower. */
#define DEFINE_ROWS(NP)                                                                                               \
  static void rows_##NP(size_t mr, size_t kc, const float* const* a, const float* w, size_t w_stride, float* c,       \
                        size_t c_stride, const rc_gemm_finish__avx512f* f, const float* pf, size_t pf_lines) {        \
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];                               \
    __m512 acc[6][NP];                                                                                                \
    for (int i = 0; i < 6; i++)                                                                                       \
      for (int j = 0; j < NP; j++) acc[i][j] = _mm512_setzero_ps();                                                   \
    for (size_t k = 0; k < kc; k++, w += 16) {                                                                        \
      if (k < pf_lines) _mm_prefetch((const char*)pf + 64 * k, _MM_HINT_T1);                                          \
      __m512 b[NP];                                                                                                   \
      for (int j = 0; j < NP; j++) b[j] = _mm512_loadu_ps(w + j * w_stride);                                          \
      const __m512 va[6] = {_mm512_set1_ps(a0[k]), _mm512_set1_ps(a1[k]), _mm512_set1_ps(a2[k]),                      \
                            _mm512_set1_ps(a3[k]), _mm512_set1_ps(a4[k]), _mm512_set1_ps(a5[k])};                     \
      for (int i = 0; i < 6; i++)                                                                                     \
        for (int j = 0; j < NP; j++) acc[i][j] = _mm512_fmadd_ps(va[i], b[j], acc[i][j]);                             \
    }                                                                                                                 \
    for (size_t i = 0; i < mr; i++)                                                                                   \
      for (int j = 0; j < NP; j++) rc_gemm_finish_panel__avx512f(f, (size_t)j, acc[i][j], c + i * c_stride + 16 * j); \
  }
#ifndef __clang__ /* GCC unrolls the k loop; clang has no optimize pragma (its own unrolling applies) */
#pragma GCC push_options
#pragma GCC optimize("unroll-loops")
#endif
DEFINE_ROWS(3)
#ifndef __clang__
#pragma GCC pop_options
#endif

void rc_gemm_6x48__avx512f(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                           size_t w_stride, float* c, size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep,
                           const float* pf, size_t pf_lines) {
  /* Up to two panels: the 6×32 kernel (its loop measured 7% faster than
   * this file's generic one on two panels). */
  if (nc <= 32) {
    rc_gemm_6x32__avx512f(mr, nc, kc, a, a_stride, w, w_stride, c, c_stride, flags, ep, pf, pf_lines);
    return;
  }
  if (mr == 1) {
    one_row(nc, kc, a, w, w_stride, c, flags, ep);
    return;
  }
  const float* r[6];
  RC_GEMM_6_ROWS(r, a, a_stride, mr);
  rc_gemm_finish__avx512f f;
  rc_gemm_finish_init__avx512f(&f, nc, flags, ep);
  rows_3(mr, kc, r, w, w_stride, c, c_stride, &f, pf, pf_lines);
}

/* AVX-512F gemm micro-kernel, 6 rows × up to 48 columns (up to three
 * adjacent 16-lane column blocks, panel j at w + j·w_stride): up to 32
 * columns the 6×32 kernel, 33..48 a three-panel loop. The three-panel loop (18 zmm accumulators, one broadcast per three FMAs)
 * serves layers of 48, 80, 112... output channels, which the 6×32 kernel
 * runs as 32 + 16 with the second call's other half wasted: RepVGG-A0
 * stage1.0 (48→48) 113 → 131 GFLOP/s (DESIGN.md, "GEMM conv"). Four panels
 * were slower: 4·kc rows of 64 bytes leave L1. Per lane the arithmetic is
 * the AVX2 kernel's (FMA chain over k, then + previous, + bias, activation),
 * including its 4-way k interleave for mr == 1: the same bits. Twelve rows
 * (two whole 6-row tiles, the driver's pairs) over two panels run in one
 * loop that loads each panel row once for both tiles: with few pixels and
 * K blocks whose two panels fill L1 (RepVGG-A0 stage4.0: 49 pixels, 44 KB
 * of panels per call) the panels come from L2 once per call, and halving
 * the calls took that layer from 1.82 to 1.64 ms. Compiled with -mavx512f. */
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

DEFINE_ROWS(1)

/* Twelve rows over NP ≤ 2 panels: 12·NP accumulators, per k NP panel loads
 * and twelve broadcasts. Named accumulators, one row's broadcast and FMAs
 * together: with arrays GCC hoisted the twelve broadcasts and spilled. One
 * panel (≤ 16 output channels) is a loop of its own: the two-panel loop
 * computed a second panel for nothing (16 → 16 channels at 128², stride 1:
 * 39% of the FMA peak). Rows 3q, 3q+1, 3q+2 at r[q], r[q] + s, r[q] + 2s (s
 * in bytes): four pointers and one stride, where twelve row pointers left
 * too few registers and GCC spilled (Zen 4: 90% of the FMA peak in L1, 6x32
 * 96%). */
#define ROW12_ACC(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps()
#define ROW12_FMA(NP, i, row)                               \
  do {                                                      \
    const __m512 va = _mm512_set1_ps(*(const float*)(row)); \
    c##i##0 = _mm512_fmadd_ps(va, b0, c##i##0);             \
    if (NP > 1) c##i##1 = _mm512_fmadd_ps(va, b1, c##i##1); \
  } while (0)
#define DEFINE_ROWS12(NP)                                                                                        \
  static void rows12_##NP(size_t kc, const float* a, size_t a_stride, const float* w, size_t w_stride, float* c, \
                          size_t c_stride, const rc_gemm_finish__avx512f* f, const float* pf, size_t pf_lines) { \
    const size_t s = a_stride * sizeof(float);                                                                   \
    const char *r0 = (const char*)a, *r1 = r0 + 3 * s, *r2 = r1 + 3 * s, *r3 = r2 + 3 * s;                       \
    const float* w1 = f->panels > 1 ? w + w_stride : w; /* one panel: the second is not there to read */         \
    ROW12_ACC(0);                                                                                                \
    ROW12_ACC(1);                                                                                                \
    ROW12_ACC(2);                                                                                                \
    ROW12_ACC(3);                                                                                                \
    ROW12_ACC(4);                                                                                                \
    ROW12_ACC(5);                                                                                                \
    ROW12_ACC(6);                                                                                                \
    ROW12_ACC(7);                                                                                                \
    ROW12_ACC(8);                                                                                                \
    ROW12_ACC(9);                                                                                                \
    ROW12_ACC(10);                                                                                               \
    ROW12_ACC(11);                                                                                               \
    for (size_t k = 0; k < kc; k++, r0 += 4, r1 += 4, r2 += 4, r3 += 4) {                                        \
      if (k < pf_lines) _mm_prefetch((const char*)pf + 64 * k, _MM_HINT_T1);                                     \
      const __m512 b0 = _mm512_loadu_ps(w + 16 * k), b1 = NP > 1 ? _mm512_loadu_ps(w1 + 16 * k) : b0;            \
      ROW12_FMA(NP, 0, r0);                                                                                      \
      ROW12_FMA(NP, 1, r0 + s);                                                                                  \
      ROW12_FMA(NP, 2, r0 + 2 * s);                                                                              \
      ROW12_FMA(NP, 3, r1);                                                                                      \
      ROW12_FMA(NP, 4, r1 + s);                                                                                  \
      ROW12_FMA(NP, 5, r1 + 2 * s);                                                                              \
      ROW12_FMA(NP, 6, r2);                                                                                      \
      ROW12_FMA(NP, 7, r2 + s);                                                                                  \
      ROW12_FMA(NP, 8, r2 + 2 * s);                                                                              \
      ROW12_FMA(NP, 9, r3);                                                                                      \
      ROW12_FMA(NP, 10, r3 + s);                                                                                 \
      ROW12_FMA(NP, 11, r3 + 2 * s);                                                                             \
    }                                                                                                            \
    const __m512 out[12][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41},   {c50, c51},         \
                               {c60, c61}, {c70, c71}, {c80, c81}, {c90, c91}, {c100, c101}, {c110, c111}};      \
    for (size_t i = 0; i < 12; i++)                                                                              \
      for (size_t j = 0; j < f->panels; j++)                                                                     \
        rc_gemm_finish_panel__avx512f(f, j, out[i][j], c + i * c_stride + 16 * j);                               \
  }
DEFINE_ROWS12(1)
DEFINE_ROWS12(2)
#undef ROW12_ACC
#undef ROW12_FMA
#ifndef __clang__
#pragma GCC pop_options
#endif

void rc_gemm_6x48__avx512f(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                           size_t w_stride, float* c, size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep,
                           const float* pf, size_t pf_lines) {
  /* Two 6-row tiles: over one or two panels in one loop, else one after the other. */
  if (mr == 12 && nc <= 32) {
    rc_gemm_finish__avx512f f;
    rc_gemm_finish_init__avx512f(&f, nc, flags, ep);
    (nc <= 16 ? rows12_1 : rows12_2)(kc, a, a_stride, w, w_stride, c, c_stride, &f, pf, pf_lines);
    return;
  }
  if (nc <= 16 && mr > 1) { /* one panel (one row: the 6×32 kernel's k-interleaved loop) */
    const float* r[6];
    RC_GEMM_6_ROWS(r, a, a_stride, mr);
    rc_gemm_finish__avx512f f;
    rc_gemm_finish_init__avx512f(&f, nc, flags, ep);
    rows_1(mr, kc, r, w, w_stride, c, c_stride, &f, pf, pf_lines);
    return;
  }
  if (mr == 12) {
    rc_gemm_6x48__avx512f(6, nc, kc, a, a_stride, w, w_stride, c, c_stride, flags, ep, pf, pf_lines);
    rc_gemm_6x48__avx512f(6, nc, kc, a + 6 * a_stride, a_stride, w, w_stride, c + 6 * c_stride, c_stride, flags, ep,
                          NULL, 0);
    return;
  }
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

/* AVX-512F Winograd tile GEMM with a wide register tile: rows (tiles) ×
 * nv·16 output channels, nv ≤ 4 zmm per row, one accumulator per (row,
 * vector). Per k: nv loads of the U panels, and per row one FMA per vector
 * with the V value broadcast from memory ({1to16}). The 12×16 kernel
 * (kernels/gemm) spends 13 loads per 12 FMAs, so on a CPU with two 512-bit
 * loads and two FMAs per cycle it is bound by the loads; a 9×48 tile spends
 * 12 loads per 27 FMAs. rows · nv ≥ 8 keeps two FMA pipes of latency 4 busy;
 * rows·nv + nv + 1 ≤ 32 registers (GCC broadcasts into a register).
 * Every (rows, nv) form is its own loop (fully unrolled, accumulators in
 * registers); rc_wino_gemm__avx512f dispatches. The sums run over k in order,
 * one FMA per k, as in every other tile GEMM, so the result is bitwise that
 * of the 12×16 kernel. Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/winograd/wino_gemm.h"

static inline __attribute__((always_inline)) void tile(const size_t R, const size_t NV, size_t kc, const float* a,
                                                       size_t a_stride, const float* w, size_t wk, size_t wp, float* c,
                                                       size_t c_stride) {
  __m512 acc[RC_WINO_GEMM_WIDE_RMAX][4];
#pragma GCC unroll 14
  for (size_t i = 0; i < R; i++)
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; k++) {
    __m512 b[4];
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; v++) b[v] = _mm512_loadu_ps(w + k * wk + v * wp);
#pragma GCC unroll 14
    for (size_t i = 0; i < R; i++) {
      const __m512 x = _mm512_set1_ps(a[i * a_stride + k]);
#pragma GCC unroll 4
      for (size_t v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(x, b[v], acc[i][v]);
    }
  }
#pragma GCC unroll 14
  for (size_t i = 0; i < R; i++)
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; v++) _mm512_storeu_ps(c + i * c_stride + v * 16, acc[i][v]);
}

#define FORM(r, nv) \
  case r: tile(r, nv, kc, a, a_stride, w, wk, wp, c, c_stride); return;

void rc_wino_gemm__avx512f(size_t rows, size_t nv, size_t kc, const float* a, size_t a_stride, const float* w,
                           size_t wk, size_t wp, float* c, size_t c_stride) {
  switch (nv) {
    case 1:
      switch (rows) {
        FORM(1, 1)
        FORM(2, 1)
        FORM(3, 1) FORM(4, 1) FORM(5, 1) FORM(6, 1) FORM(7, 1) FORM(8, 1) FORM(9, 1) FORM(10, 1) FORM(11, 1) FORM(12, 1)
            FORM(13, 1) FORM(14, 1) default : return;
      }
    case 2:
      switch (rows) {
        FORM(1, 2)
        FORM(2, 2)
        FORM(3, 2) FORM(4, 2) FORM(5, 2) FORM(6, 2) FORM(7, 2) FORM(8, 2) FORM(9, 2) FORM(10, 2) FORM(11, 2) FORM(12, 2)
            FORM(13, 2) FORM(14, 2) default : return;
      }
    case 3:
      switch (rows) {
        FORM(1, 3)
        FORM(2, 3) FORM(3, 3) FORM(4, 3) FORM(5, 3) FORM(6, 3) FORM(7, 3) FORM(8, 3) FORM(9, 3) default : return;
      }
    default:
      switch (rows) { FORM(1, 4) FORM(2, 4) FORM(3, 4) FORM(4, 4) FORM(5, 4) FORM(6, 4) default : return; }
  }
}

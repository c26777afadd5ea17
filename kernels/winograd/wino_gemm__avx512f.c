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
 * of the 12×16 kernel. Prefetches (at most nv a k, as many lines as the
 * k's own loads) bring in the panels the caller reads next (wino.c's
 * gemm_blocks), as its flags say (wino_gemm.h). Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/winograd/wino_gemm.h"

/* The tile with PQ prefetched lines a k (NV, a constant, or the spread
 * rate: a runtime PQ in every form cost 3% where nothing is spread). */
static inline __attribute__((always_inline)) void tile_pq(const size_t R, const size_t NV, const size_t PQ, size_t kc,
                                                          const float* a, size_t a_stride, const float* w, size_t wk,
                                                          size_t wp, float* c, size_t c_stride, const float* pf,
                                                          size_t pf_lines, unsigned pf_flags) {
  /* Row i at r[i/3] + (i%3)·s (bytes), panel v at w + v·wp: five row
   * pointers and a stride instead of fourteen, which left GCC too few
   * registers (9×3 spilled: 94% of the FMA peak on Zen 4, 6×4 98%). */
  const size_t s = a_stride * sizeof(float), pb = wp * sizeof(float);
  const char* r[(RC_WINO_GEMM_WIDE_RMAX + 2) / 3];
#pragma GCC unroll 5
  for (size_t q = 0; q < (R + 2) / 3; q++) r[q] = (const char*)(a + 3 * q * a_stride);
  const char* wb = (const char*)w;
  __m512 acc[RC_WINO_GEMM_WIDE_RMAX][4];
#pragma GCC unroll 14
  for (size_t i = 0; i < R; i++)
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; k++, wb += wk * sizeof(float)) {
    __m512 b[4];
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; v++)
      if (v < PQ && k * PQ + v < pf_lines) {
        if (pf_flags & RC_WINO_PF_NTA)
          _mm_prefetch((const char*)pf + 64 * (k * PQ + v), _MM_HINT_NTA);
        else
          _mm_prefetch((const char*)pf + 64 * (k * PQ + v), _MM_HINT_T1);
      }
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; v++) b[v] = _mm512_loadu_ps((const float*)(wb + v * pb));
#pragma GCC unroll 14
    for (size_t i = 0; i < R; i++) {
      const __m512 x = _mm512_set1_ps(*(const float*)(r[i / 3] + (i % 3) * s));
#pragma GCC unroll 4
      for (size_t v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(x, b[v], acc[i][v]);
    }
#pragma GCC unroll 5
    for (size_t q = 0; q < (R + 2) / 3; q++) r[q] += sizeof(float);
  }
#pragma GCC unroll 14
  for (size_t i = 0; i < R; i++)
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; v++) _mm512_storeu_ps(c + i * c_stride + v * 16, acc[i][v]);
}

static inline __attribute__((always_inline)) void tile(const size_t R, const size_t NV, size_t kc, const float* a,
                                                       size_t a_stride, const float* w, size_t wk, size_t wp, float* c,
                                                       size_t c_stride, const float* pf, size_t pf_lines,
                                                       unsigned pf_flags) {
  /* Spread: ⌈pf_lines / kc⌉ lines a k (≤ NV, the caller's cap; no
   * division: many calls are short). One panel: one a k either way. */
  if (NV > 1 && (pf_flags & RC_WINO_PF_SPREAD)) {
    size_t pq = 0;
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; v++) pq += v * kc < pf_lines;
    tile_pq(R, NV, pq, kc, a, a_stride, w, wk, wp, c, c_stride, pf, pf_lines, pf_flags);
  } else {
    tile_pq(R, NV, NV, kc, a, a_stride, w, wk, wp, c, c_stride, pf, pf_lines, pf_flags);
  }
}

typedef void (*form_fn)(size_t kc, const float* a, size_t a_stride, const float* w, size_t wk, size_t wp, float* c,
                        size_t c_stride, const float* pf, size_t pf_lines, unsigned pf_flags);

#define FORM(r, nv)                                                                                             \
  static void form_##r##x##nv(size_t kc, const float* a, size_t a_stride, const float* w, size_t wk, size_t wp, \
                              float* c, size_t c_stride, const float* pf, size_t pf_lines, unsigned pf_flags) { \
    tile(r, nv, kc, a, a_stride, w, wk, wp, c, c_stride, pf, pf_lines, pf_flags);                               \
  }
#define FORMS_14(nv) \
  FORM(1, nv)        \
  FORM(2, nv)        \
  FORM(3, nv)        \
  FORM(4, nv)        \
  FORM(5, nv)        \
  FORM(6, nv)        \
  FORM(7, nv)        \
  FORM(8, nv)        \
  FORM(9, nv)        \
  FORM(10, nv)       \
  FORM(11, nv)       \
  FORM(12, nv)       \
  FORM(13, nv)       \
  FORM(14, nv)
FORMS_14(1)
FORMS_14(2)
FORM(1, 3)
FORM(2, 3)
FORM(3, 3)
FORM(4, 3)
FORM(5, 3)
FORM(6, 3)
FORM(7, 3)
FORM(8, 3)
FORM(9, 3)
FORM(1, 4)
FORM(2, 4)
FORM(3, 4)
FORM(4, 4)
FORM(5, 4)
FORM(6, 4)

/* k_forms[nv − 1][rows − 1]; NULL beyond rc_wino_gemm_wide_rmax(nv). */
#define ROW14(nv)                                                                                           \
  {                                                                                                         \
    form_1x##nv, form_2x##nv, form_3x##nv, form_4x##nv, form_5x##nv, form_6x##nv, form_7x##nv, form_8x##nv, \
        form_9x##nv, form_10x##nv, form_11x##nv, form_12x##nv, form_13x##nv, form_14x##nv                   \
  }
static const form_fn k_forms[RC_WINO_GEMM_WIDE_NVMAX][RC_WINO_GEMM_WIDE_RMAX] = {
    ROW14(1),
    ROW14(2),
    {form_1x3, form_2x3, form_3x3, form_4x3, form_5x3, form_6x3, form_7x3, form_8x3, form_9x3},
    {form_1x4, form_2x4, form_3x4, form_4x4, form_5x4, form_6x4},
};

void rc_wino_gemm__avx512f(size_t rows, size_t nv, size_t kc, const float* a, size_t a_stride, const float* w,
                           size_t wk, size_t wp, float* c, size_t c_stride, const float* pf, size_t pf_lines,
                           unsigned pf_flags) {
  k_forms[nv - 1][rows - 1](kc, a, a_stride, w, wk, wp, c, c_stride, pf, pf_lines, pf_flags);
}

/* The AVX2+FMA 6×16 GEMM loop, the one copy: the fused conv micro-kernel
 * (gemm_6x16__avx2.c) and the tile kernel (gemm_tile_6x16__avx2.c) both run
 * it and differ only in how they finish the tile; and the finish of the
 * fused conv and direct (gemm_direct_6x16__avx2.c) kernels. Include only from files
 * compiled with -mavx2 -mfma. Internal to kernels/gemm/. */
#ifndef RC_KERNELS_GEMM_6X16_AVX2_H
#define RC_KERNELS_GEMM_6X16_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/common/simd__avx2.h"
#include "kernels/gemm/gemm_ukernels.h"

/* acc[i][h] = Σ_{k<kc} a[i][k] · w[k·16 + 8h .. +8) for the first R ≤ 6
 * rows, fused multiply-adds in k order: 2R ymm accumulators; per k two
 * loads of the packed [kc][16] panel, R broadcasts of A (one per row), 2R
 * FMAs; and the prefetch of line k from pf while k < pf_lines
 * (rc_gemm_tile_fn). R a compile-time constant: each row's sum is the same
 * FMA chain whatever R, so a row's bits do not depend on the rows beside it. */
/* Row i of the k step: one broadcast, two FMAs (rows ≥ R: none). */
#define RX16_ROW(i)                                  \
  if (R > (i)) {                                     \
    const __m256 va = _mm256_broadcast_ss(a##i + k); \
    acc##i##0 = _mm256_fmadd_ps(va, b0, acc##i##0);  \
    acc##i##1 = _mm256_fmadd_ps(va, b1, acc##i##1);  \
  }
static inline __attribute__((always_inline)) void rc_gemm_rx16_loop__avx2(const int R, size_t kc,
                                                                          const float* const a[6], const float* w,
                                                                          __m256 acc[6][2], const float* pf,
                                                                          size_t pf_lines) {
  const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
  __m256 acc00 = _mm256_setzero_ps(), acc01 = _mm256_setzero_ps();
  __m256 acc10 = _mm256_setzero_ps(), acc11 = _mm256_setzero_ps();
  __m256 acc20 = _mm256_setzero_ps(), acc21 = _mm256_setzero_ps();
  __m256 acc30 = _mm256_setzero_ps(), acc31 = _mm256_setzero_ps();
  __m256 acc40 = _mm256_setzero_ps(), acc41 = _mm256_setzero_ps();
  __m256 acc50 = _mm256_setzero_ps(), acc51 = _mm256_setzero_ps();
  for (size_t k = 0; k < kc; k++) {
    if (k < pf_lines) _mm_prefetch((const char*)pf + 64 * k, _MM_HINT_T1);
    const __m256 b0 = _mm256_loadu_ps(w);
    const __m256 b1 = _mm256_loadu_ps(w + 8);
    w += 16;
    RX16_ROW(0)
    RX16_ROW(1)
    RX16_ROW(2)
    RX16_ROW(3)
    RX16_ROW(4)
    RX16_ROW(5)
  }
  acc[0][0] = acc00, acc[0][1] = acc01, acc[1][0] = acc10, acc[1][1] = acc11;
  acc[2][0] = acc20, acc[2][1] = acc21, acc[3][0] = acc30, acc[3][1] = acc31;
  acc[4][0] = acc40, acc[4][1] = acc41, acc[5][0] = acc50, acc[5][1] = acc51;
}

#undef RX16_ROW

/* All six rows: the conv micro-kernel, whose row tails alias the last row. */
static inline __attribute__((always_inline)) void rc_gemm_6x16_loop__avx2(size_t kc, const float* const a[6],
                                                                          const float* w, __m256 acc[6][2],
                                                                          const float* pf, size_t pf_lines) {
  rc_gemm_rx16_loop__avx2(6, kc, a, w, acc, pf, pf_lines);
}

/* The finish of a 6×16 tile row, the one copy (the GEMM micro-kernel and
 * the direct kernel): + the previous K block's partial sum, + bias,
 * activation, in registers, in the order of rc_gemm_tile_epilogue; column
 * tails through a stack row. */
typedef struct rc_gemm_6x16_finish__avx2 {
  uint32_t flags;
  size_t nc;
  __m256 b0, b1, s0, s1, lo, hi;
  int prelu;
} rc_gemm_6x16_finish__avx2;

static inline void rc_gemm_6x16_finish_init__avx2(rc_gemm_6x16_finish__avx2* f, size_t nc, uint32_t flags,
                                                  const rc_gemm_epilogue* ep) {
  f->flags = flags;
  f->nc = nc;
  f->b0 = f->b1 = f->s0 = f->s1 = _mm256_setzero_ps();
  f->lo = _mm256_set1_ps(-__builtin_inff());
  f->hi = _mm256_set1_ps(__builtin_inff());
  f->prelu = 0;
  if (!(flags & RC_GEMM_FINAL)) return;
  if (ep->bias) { /* (padded to 16 lanes) */
    f->b0 = _mm256_loadu_ps(ep->bias);
    f->b1 = _mm256_loadu_ps(ep->bias + 8);
  }
  if (ep->slopes) {
    f->prelu = 1;
    f->s0 = _mm256_loadu_ps(ep->slopes);
    f->s1 = _mm256_loadu_ps(ep->slopes + 8);
  } else {
    f->lo = _mm256_set1_ps(ep->min);
    f->hi = _mm256_set1_ps(ep->max);
  }
}

static inline void rc_gemm_6x16_finish_row__avx2(const rc_gemm_6x16_finish__avx2* f, __m256 v0, __m256 v1, float* c) {
  float t[RC_GEMM_NR];
  const int full = f->nc == RC_GEMM_NR;
  if (f->flags & RC_GEMM_ACCUMULATE) {
    if (!full) memcpy(t, c, f->nc * sizeof(float));
    const float* src = full ? c : t;
    v0 = _mm256_add_ps(_mm256_loadu_ps(src), v0);
    v1 = _mm256_add_ps(_mm256_loadu_ps(src + 8), v1);
  }
  if (f->flags & RC_GEMM_FINAL) {
    v0 = _mm256_add_ps(v0, f->b0);
    v1 = _mm256_add_ps(v1, f->b1);
    if (f->prelu) {
      v0 = v_prelu(v0, f->s0);
      v1 = v_prelu(v1, f->s1);
    } else {
      v0 = v_clamp(v0, f->lo, f->hi);
      v1 = v_clamp(v1, f->lo, f->hi);
    }
  }
  if (full) {
    _mm256_storeu_ps(c, v0);
    _mm256_storeu_ps(c + 8, v1);
  } else {
    _mm256_storeu_ps(t, v0);
    _mm256_storeu_ps(t + 8, v1);
    memcpy(c, t, f->nc * sizeof(float));
  }
}

#endif

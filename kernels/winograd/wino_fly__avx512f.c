/* F(4,3)'s U made at run time (wino.h, w_fly): one row i of the 6×6
 * positions, for 16-channel output blocks [b0, b1), from the 3x3 weights
 * packed by rc_wino_fly_pack ([block][in_c][9][16]). U = G g Gᵀ row by
 * row: the row t = G[i]·g (three columns), then its six positions G·t,
 * each in the factored form of F(4,3)'s G (rows 1, 2 and 3, 4 share their
 * even and odd parts): 10 operations for a column of 6 instead of 18
 * multiply-adds. A layer of few tiles and many channels (RepVGG's 14x14:
 * U 4x the weights, streamed from DRAM every run) reads the weights and
 * makes U into L2 instead. fp32 (the plan-time transform is fp64, rounded
 * once; the two differ in the last bits). Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/gemm/gemm_ukernels.h"
#include "kernels/winograd/wino_ukernels.h"

/* G of F(4,3) (wino_matrices.h, RC_WINO43_G_INIT): rows 1, 2 are
 * ∓(x0/6 + x2/3) − r·x1 and rows 3, 4 are ±(2x0/3 + x2/3) + 2r·x1, r = √2/6. */
#define G43_R 0.23570226039551584f

/* Row i of G·(x0, x1, x2). */
static inline __attribute__((always_inline)) __m512 g_row(size_t i, __m512 x0, __m512 x1, __m512 x2) {
  const __m512 third = _mm512_set1_ps(1.0f / 3.0f);
  switch (i) {
    case 0: return x0;
    case 1:
    case 2: {
      const __m512 e = _mm512_fmadd_ps(_mm512_set1_ps(1.0f / 6.0f), x0, _mm512_mul_ps(third, x2));
      const __m512 o = _mm512_mul_ps(_mm512_set1_ps(-G43_R), x1);
      return i == 1 ? _mm512_sub_ps(o, e) : _mm512_add_ps(o, e);
    }
    case 3:
    case 4: {
      const __m512 e = _mm512_fmadd_ps(_mm512_set1_ps(2.0f / 3.0f), x0, _mm512_mul_ps(third, x2));
      const __m512 o = _mm512_mul_ps(_mm512_set1_ps(2.0f * G43_R), x1);
      return i == 3 ? _mm512_add_ps(o, e) : _mm512_sub_ps(o, e);
    }
    default: return x2;
  }
}

void rc_wino43_fly_row__avx512f(const float* w9, size_t in_c, size_t b0, size_t b1, size_t i, float* u) {
  const size_t pos_stride = (b1 - b0) * in_c * RC_GEMM_NR; /* floats between positions j */
  for (size_t b = b0; b < b1; b++) {
    const float* g = w9 + b * in_c * 9 * RC_GEMM_NR;
    float* o = u + (b - b0) * in_c * RC_GEMM_NR;
    for (size_t ci = 0; ci < in_c; ci++, g += 9 * RC_GEMM_NR, o += RC_GEMM_NR) {
      /* t[c] = Σ_a G[i][a]·g[a][c] */
      __m512 t[3];
#pragma GCC unroll 3
      for (int c = 0; c < 3; c++)
        t[c] = g_row(i, _mm512_loadu_ps(g + c * RC_GEMM_NR), _mm512_loadu_ps(g + (3 + c) * RC_GEMM_NR),
                     _mm512_loadu_ps(g + (6 + c) * RC_GEMM_NR));
#pragma GCC unroll 6
      for (size_t j = 0; j < 6; j++) _mm512_storeu_ps(o + j * pos_stride, g_row(j, t[0], t[1], t[2]));
    }
  }
}

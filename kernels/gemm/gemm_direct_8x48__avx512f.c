/* AVX-512F direct micro-kernel (gemm_direct.h), up to 48 columns (one to
 * three 16-lane panels, panel j at w + j·w_stride): on three panels 8-pixel
 * tiles (24 zmm accumulators; per k one offset load, three panel loads,
 * eight broadcasts, 24 FMAs), on one or two 6-pixel tiles. A is read from
 * the input strip at the offsets koff. Tail rows alias the last real one
 * (valid loads; only real rows are stored). Per lane the arithmetic is the
 * GEMM kernels' (an FMA chain over k, + previous, + bias, activation), so
 * it gives the AVX2 direct kernel's bits. Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/gemm/gemm_direct.h"
#include "kernels/gemm/gemm_finish__avx512f.h"

/* One tile of MR pixels over NP panels (compile-time constants, so the
 * accumulators live in registers): per k one offset load, NP panel loads,
 * MR broadcasts, MR·NP FMAs. With K as short as the stem's 27, the finish
 * costs as much as a third of the loop, so the common one (a single K
 * block, + bias, clamp: SIMPLE) is straight-line code on local vectors;
 * the others go through rc_gemm_finish_panel__avx512f. Rows are finished by constant indices (a
 * loop to the runtime mr put the accumulators on the stack).
 * Row i's taps: with row pointers (any tile: tail rows alias the last real
 * one), a[i] + koff[k]; in a full tile (UNI), whose rows sit one stride s
 * (bytes) apart in the strip, three pointers a k, row i at r[i / 3] + (i %
 * 3)·s. Eight row pointers and the loop's own left GCC too few registers:
 * it kept koff in a vector register and moved it back every k. With that,
 * and the full tiles' function picked once per call instead of per tile,
 * RepVGG-A0's stem (bench/gemm_time, Zen 5) went 0.162 → 0.147 ms, 70% →
 * 80% of the FMA peak. */
#define FINISH_ROW(i, NP, SIMPLE)                                                          \
  if ((i) < rows) {                                                                        \
    for (int j = 0; j < NP; j++) {                                                         \
      float* cij = c + (i)*c_stride + 16 * j;                                              \
      if (SIMPLE) {                                                                        \
        _mm512_mask_storeu_ps(cij, m[j], v_clamp(_mm512_add_ps(acc[i][j], b[j]), lo, hi)); \
      } else {                                                                             \
        rc_gemm_finish_panel__avx512f(f, (size_t)j, acc[i][j], cij);                       \
      }                                                                                    \
    }                                                                                      \
  }
#define FINISH_ROWS_6(NP, S) \
  FINISH_ROW(0, NP, S)       \
  FINISH_ROW(1, NP, S) FINISH_ROW(2, NP, S) FINISH_ROW(3, NP, S) FINISH_ROW(4, NP, S) FINISH_ROW(5, NP, S)
#define FINISH_ROWS_8(NP, S) FINISH_ROWS_6(NP, S) FINISH_ROW(6, NP, S) FINISH_ROW(7, NP, S)
#define DEFINE_TILE(MR, NP, SIMPLE, UNI)                                                                     \
  static void tile_##MR##x##NP##_##SIMPLE##UNI(                                                              \
      size_t mr, size_t k0, size_t k1, const int32_t* koff, const float* const* a, size_t s, const float* w, \
      size_t w_stride, float* restrict c, size_t c_stride, const rc_gemm_finish__avx512f* restrict f) {      \
    const size_t rows = UNI ? MR : mr; /* (a constant in full tiles) */                                      \
    __m512 acc[MR][NP];                                                                                      \
    for (int i = 0; i < MR; i++)                                                                             \
      for (int j = 0; j < NP; j++) acc[i][j] = _mm512_setzero_ps();                                          \
    size_t k = k0;                                                                                           \
    do { /* (k0 < k1; a for loop that may not run kept acc in memory) */                                     \
      const ptrdiff_t o = koff[k];                                                                           \
      const char* r[3] = {NULL, NULL, NULL};                                                                 \
      if (UNI) {                                                                                             \
        r[0] = (const char*)(a[0] + o);                                                                      \
        r[1] = r[0] + 3 * s;                                                                                 \
        r[2] = r[1] + 3 * s;                                                                                 \
      }                                                                                                      \
      __m512 bw[NP];                                                                                         \
      for (int j = 0; j < NP; j++) bw[j] = _mm512_loadu_ps(w + j * w_stride);                                \
      for (int i = 0; i < MR; i++) {                                                                         \
        const __m512 va = _mm512_set1_ps(UNI ? *(const float*)(r[i / 3] + (i % 3) * s) : a[i][o]);           \
        for (int j = 0; j < NP; j++) acc[i][j] = _mm512_fmadd_ps(va, bw[j], acc[i][j]);                      \
      }                                                                                                      \
      k++;                                                                                                   \
      w += 16;                                                                                               \
    } while (k < k1);                                                                                        \
    __m512 b[NP];                                                                                            \
    __mmask16 m[NP];                                                                                         \
    for (int j = 0; j < NP; j++) b[j] = f->b[j], m[j] = f->m[j];                                             \
    const __m512 lo = f->lo, hi = f->hi;                                                                     \
    FINISH_ROWS_##MR(NP, SIMPLE)                                                                             \
  }
#ifndef __clang__ /* GCC unrolls the k loop; clang has no optimize pragma (its own unrolling applies) */
#pragma GCC push_options
#pragma GCC optimize("unroll-loops")
#endif
/* The three panel counts' tiles (6×16, 6×32, 8×48) of one finish and row form. */
#define DEFINE_TILES(SIMPLE, UNI) \
  DEFINE_TILE(6, 1, SIMPLE, UNI)  \
  DEFINE_TILE(6, 2, SIMPLE, UNI)  \
  DEFINE_TILE(8, 3, SIMPLE, UNI)
DEFINE_TILES(0, 0)
DEFINE_TILES(1, 0)
DEFINE_TILES(0, 1)
DEFINE_TILES(1, 1)
#ifndef __clang__
#pragma GCC pop_options
#endif

typedef void (*tile_fn)(size_t, size_t, size_t, const int32_t*, const float* const*, size_t, const float*, size_t,
                        float*, size_t, const rc_gemm_finish__avx512f*);

/* k_tiles[full tile][simple finish][panels − 1] */
static const tile_fn k_tiles[2][2][3] = {
    {{tile_6x1_00, tile_6x2_00, tile_8x3_00}, {tile_6x1_10, tile_6x2_10, tile_8x3_10}},
    {{tile_6x1_01, tile_6x2_01, tile_8x3_01}, {tile_6x1_11, tile_6x2_11, tile_8x3_11}},
};

void rc_gemm_direct_8x48__avx512f(size_t n, size_t nc, size_t k0, size_t k1, const int32_t* koff, const float* a,
                                  size_t a_stride, const float* w, size_t w_stride, float* c, size_t c_stride,
                                  uint32_t flags, const rc_gemm_epilogue* ep) {
  rc_gemm_finish__avx512f f;
  rc_gemm_finish_init__avx512f(&f, nc, flags, ep);
  const size_t panels = f.panels;
  /* 8-pixel tiles on three panels (24 accumulators), 6 on fewer. */
  const size_t rows = panels == 3 ? 8 : 6;
  const int simple = flags == RC_GEMM_FINAL && !f.prelu;
  const tile_fn full = k_tiles[1][simple][panels - 1], tail = k_tiles[0][simple][panels - 1];
  const size_t s = a_stride * sizeof(float);
  size_t p = 0;
  for (const float* r = a; p + rows <= n; p += rows, r += rows * a_stride)
    full(rows, k0, k1, koff, &r, s, w, w_stride, c + p * c_stride, c_stride, &f);
  if (p < n) {
    const size_t mr = n - p;
    const float* r[8];
    for (size_t i = 0; i < rows; i++) r[i] = a + (p + (i < mr ? i : mr - 1)) * a_stride; /* (tails alias the last) */
    tail(mr, k0, k1, koff, r, s, w, w_stride, c + p * c_stride, c_stride, &f);
  }
}

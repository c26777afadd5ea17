/* AVX-512F direct micro-kernel (gemm_direct.h), 6 pixels × up to 48 columns
 * (one to three 16-lane panels, panel j at w + j·w_stride): the 6×48 GEMM
 * kernel's loop (18 zmm accumulators; per k three panel loads, six
 * broadcasts, 18 FMAs) with A read from the input strip at the offsets
 * koff (one more load per k). Rows ≥ mr alias the last
 * real one (valid loads; only rows < mr are stored). Per lane the arithmetic
 * is the GEMM kernels' (an FMA chain over k, + previous, + bias, activation).
 * Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/common/simd__avx512f.h"
#include "kernels/gemm/gemm_direct.h"

#define MAX_PANELS 3

typedef struct finish_ctx {
  uint32_t flags;
  __mmask16 m[MAX_PANELS];
  __m512 b[MAX_PANELS], s[MAX_PANELS], lo, hi;
  int prelu;
} finish_ctx;

static void init_finish(finish_ctx* f, size_t nc, size_t panels, uint32_t flags, const rc_gemm_epilogue* ep) {
  f->flags = flags;
  f->lo = _mm512_set1_ps(-__builtin_inff());
  f->hi = _mm512_set1_ps(__builtin_inff());
  f->prelu = 0;
  const int final = (flags & RC_GEMM_FINAL) != 0;
  if (final && ep->slopes) {
    f->prelu = 1;
  } else if (final) {
    f->lo = _mm512_set1_ps(ep->min);
    f->hi = _mm512_set1_ps(ep->max);
  }
  for (size_t j = 0; j < MAX_PANELS; j++) {
    const size_t lanes = nc > 16 * j ? nc - 16 * j : 0;
    f->m[j] = (__mmask16)(lanes >= 16 ? 0xFFFFu : (1u << lanes) - 1u);
    const __mmask16 all = j < panels && final ? 0xFFFF : 0; /* (padded to 16 lanes per panel in use) */
    f->b[j] = _mm512_maskz_loadu_ps(ep->bias ? all : 0, ep->bias ? ep->bias + 16 * j : NULL);
    f->s[j] = _mm512_maskz_loadu_ps(f->prelu ? all : 0, f->prelu ? ep->slopes + 16 * j : NULL);
  }
}

static inline void finish(const finish_ctx* f, size_t j, __m512 v, float* c) {
  if (f->flags & RC_GEMM_ACCUMULATE) v = _mm512_add_ps(_mm512_maskz_loadu_ps(f->m[j], c), v);
  if (f->flags & RC_GEMM_FINAL) {
    v = _mm512_add_ps(v, f->b[j]);
    v = f->prelu ? v_prelu(v, f->s[j]) : v_clamp(v, f->lo, f->hi);
  }
  _mm512_mask_storeu_ps(c, f->m[j], v);
}

/* One 6-pixel tile over NP panels (a compile-time constant, so the
 * accumulators live in registers): per k one offset load, NP panel loads,
 * six broadcasts, 6·NP FMAs. */
#define DEFINE_TILE(NP)                                                                                              \
  static void tile_##NP(size_t mr, size_t k0, size_t k1, const int32_t* koff, const float* const* a, const float* w, \
                        size_t w_stride, float* c, size_t c_stride, const finish_ctx* f) {                           \
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];                              \
    __m512 acc[6][NP];                                                                                               \
    for (int i = 0; i < 6; i++)                                                                                      \
      for (int j = 0; j < NP; j++) acc[i][j] = _mm512_setzero_ps();                                                  \
    for (size_t k = k0; k < k1; k++, w += 16) {                                                                      \
      const ptrdiff_t o = koff[k];                                                                                   \
      __m512 b[NP];                                                                                                  \
      for (int j = 0; j < NP; j++) b[j] = _mm512_loadu_ps(w + j * w_stride);                                         \
      const __m512 va[6] = {_mm512_set1_ps(a0[o]), _mm512_set1_ps(a1[o]), _mm512_set1_ps(a2[o]),                     \
                            _mm512_set1_ps(a3[o]), _mm512_set1_ps(a4[o]), _mm512_set1_ps(a5[o])};                    \
      for (int i = 0; i < 6; i++)                                                                                    \
        for (int j = 0; j < NP; j++) acc[i][j] = _mm512_fmadd_ps(va[i], b[j], acc[i][j]);                            \
    }                                                                                                                \
    for (size_t i = 0; i < mr; i++)                                                                                  \
      for (int j = 0; j < NP; j++) finish(f, (size_t)j, acc[i][j], c + i * c_stride + 16 * j);                       \
  }
#pragma GCC push_options
#pragma GCC optimize("unroll-loops")
DEFINE_TILE(1)
DEFINE_TILE(2)
DEFINE_TILE(3)
#pragma GCC pop_options

void rc_gemm_direct_6x48__avx512f(size_t n, size_t nc, size_t k0, size_t k1, const int32_t* koff, const float* a,
                                  size_t a_stride, const float* w, size_t w_stride, float* c, size_t c_stride,
                                  uint32_t flags, const rc_gemm_epilogue* ep) {
  const size_t panels = (nc + 15) / 16;
  finish_ctx f;
  init_finish(&f, nc, panels, flags, ep);
  for (size_t p = 0; p < n; p += 6) {
    const size_t mr = n - p < 6 ? n - p : 6;
    const float* r[6];
    RC_GEMM_6_ROWS(r, a + p * a_stride, a_stride, mr);
    float* cp = c + p * c_stride;
    if (panels == 3) {
      tile_3(mr, k0, k1, koff, r, w, w_stride, cp, c_stride, &f);
    } else if (panels == 2) {
      tile_2(mr, k0, k1, koff, r, w, w_stride, cp, c_stride, &f);
    } else {
      tile_1(mr, k0, k1, koff, r, w, w_stride, cp, c_stride, &f);
    }
  }
}

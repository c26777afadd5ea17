/* The finish of the AVX-512F GEMM and direct kernels over up to three
 * 16-lane panels, the one copy (gemm_6x48__avx512f.c,
 * gemm_direct_8x48__avx512f.c): + the previous K block's partial sum,
 * + bias, activation, a masked store; the order of rc_gemm_tile_epilogue.
 * Include only from files compiled with -mavx512f. Internal to
 * kernels/gemm/. */
#ifndef RC_KERNELS_GEMM_FINISH_AVX512F_H
#define RC_KERNELS_GEMM_FINISH_AVX512F_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/common/simd__avx512f.h"
#include "kernels/gemm/gemm_ukernels.h"

#define RC_GEMM_FINISH_PANELS 3

typedef struct rc_gemm_finish__avx512f {
  uint32_t flags;
  size_t panels; /* 16-lane panels in use: ceil(nc / 16) */
  __mmask16 m[RC_GEMM_FINISH_PANELS];
  __m512 b[RC_GEMM_FINISH_PANELS], s[RC_GEMM_FINISH_PANELS], lo, hi;
  int prelu;
} rc_gemm_finish__avx512f;

static inline void rc_gemm_finish_init__avx512f(rc_gemm_finish__avx512f* f, size_t nc, uint32_t flags,
                                                const rc_gemm_epilogue* ep) {
  f->flags = flags;
  f->panels = (nc + 15) / 16;
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
  for (size_t j = 0; j < RC_GEMM_FINISH_PANELS; j++) {
    const size_t lanes = nc > 16 * j ? nc - 16 * j : 0;
    f->m[j] = (__mmask16)(lanes >= 16 ? 0xFFFFu : (1u << lanes) - 1u);
    /* (bias and slopes are padded to 16 lanes per panel in use. Plain loads
     * under a branch: a masked-off load from NULL takes a fault-suppression
     * assist on Zen 4, ~20% of the stem's time when it ran per call.) */
    const int use = j < f->panels && final;
    f->b[j] = use && ep->bias ? _mm512_loadu_ps(ep->bias + 16 * j) : _mm512_setzero_ps();
    f->s[j] = use && f->prelu ? _mm512_loadu_ps(ep->slopes + 16 * j) : _mm512_setzero_ps();
  }
}

/* Finishes panel j of one row: v into c (the panel's lanes only). */
static inline void rc_gemm_finish_panel__avx512f(const rc_gemm_finish__avx512f* f, size_t j, __m512 v, float* c) {
  if (f->flags & RC_GEMM_ACCUMULATE) v = _mm512_add_ps(_mm512_maskz_loadu_ps(f->m[j], c), v);
  if (f->flags & RC_GEMM_FINAL) {
    v = _mm512_add_ps(v, f->b[j]);
    v = f->prelu ? v_prelu(v, f->s[j]) : v_clamp(v, f->lo, f->hi);
  }
  _mm512_mask_storeu_ps(c, f->m[j], v);
}

#endif

/* AVX-512F gemm micro-kernel, 6 rows × 32 columns (two adjacent 16-lane
 * column blocks, panels w and w + w_stride): 12 zmm accumulators; per k two
 * panel loads, six broadcasts of A, 12 FMAs: the AVX2 kernel's loop at twice
 * the width, for CPUs where XNNPACK itself runs 512-bit kernels. Per lane the
 * arithmetic is the AVX2 kernel's (same FMA chain over k, then + previous,
 * + bias, activation), including its 4-way k interleave for mr == 1, so the
 * two kernels give the same bits. Column tails use masked loads and stores.
 * nc ≤ 16 reads only the first panel. Compiled with -mavx512f. */
#include <immintrin.h>

#include "kernels/common/simd__avx512f.h"
#include "kernels/gemm/gemm_ukernels.h"

typedef struct finish_ctx {
  uint32_t flags;
  __mmask16 m0, m1;
  __m512 b0, b1, s0, s1, lo, hi;
  int prelu;
} finish_ctx;

static inline void finish_row(const finish_ctx* f, __m512 v0, __m512 v1, float* c) {
  if (f->flags & RC_GEMM_ACCUMULATE) {
    v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(f->m0, c), v0);
    v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(f->m1, c + 16), v1);
  }
  if (f->flags & RC_GEMM_FINAL) {
    v0 = _mm512_add_ps(v0, f->b0);
    v1 = _mm512_add_ps(v1, f->b1);
    if (f->prelu) {
      v0 = v_prelu(v0, f->s0);
      v1 = v_prelu(v1, f->s1);
    } else {
      v0 = v_clamp(v0, f->lo, f->hi);
      v1 = v_clamp(v1, f->lo, f->hi);
    }
  }
  _mm512_mask_storeu_ps(c, f->m0, v0);
  _mm512_mask_storeu_ps(c + 16, f->m1, v1);
}

static void init_finish(finish_ctx* f, size_t nc, uint32_t flags, const rc_gemm_epilogue* ep) {
  f->flags = flags;
  f->m0 = (__mmask16)(nc >= 16 ? 0xFFFFu : (1u << nc) - 1u);
  f->m1 = (__mmask16)(nc >= 32 ? 0xFFFFu : nc > 16 ? (1u << (nc - 16)) - 1u : 0u);
  f->b0 = f->b1 = f->s0 = f->s1 = _mm512_setzero_ps();
  f->lo = _mm512_set1_ps(-__builtin_inff());
  f->hi = _mm512_set1_ps(__builtin_inff());
  f->prelu = 0;
  if (!(flags & RC_GEMM_FINAL)) return;
  /* (padded to 16 lanes per column block; the second block only when nc > 16) */
  if (ep->bias) {
    f->b0 = _mm512_loadu_ps(ep->bias);
    f->b1 = _mm512_maskz_loadu_ps(f->m1 ? 0xFFFF : 0, ep->bias + 16);
  }
  if (ep->slopes) {
    f->prelu = 1;
    f->s0 = _mm512_loadu_ps(ep->slopes);
    f->s1 = _mm512_maskz_loadu_ps(f->m1 ? 0xFFFF : 0, ep->slopes + 16);
  } else {
    f->lo = _mm512_set1_ps(ep->min);
    f->hi = _mm512_set1_ps(ep->max);
  }
}

static void one_row(size_t nc, size_t kc, const float* a, const float* w0, const float* w1, float* c, uint32_t flags,
                    const rc_gemm_epilogue* ep) {
  __m512 p0 = _mm512_setzero_ps(), p1 = _mm512_setzero_ps();
  __m512 q0 = _mm512_setzero_ps(), q1 = _mm512_setzero_ps();
  __m512 r0 = _mm512_setzero_ps(), r1 = _mm512_setzero_ps();
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    __m512 va = _mm512_set1_ps(a[k]);
    p0 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w0), p0);
    p1 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w1), p1);
    va = _mm512_set1_ps(a[k + 1]);
    q0 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w0 + 16), q0);
    q1 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w1 + 16), q1);
    va = _mm512_set1_ps(a[k + 2]);
    r0 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w0 + 32), r0);
    r1 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w1 + 32), r1);
    va = _mm512_set1_ps(a[k + 3]);
    s0 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w0 + 48), s0);
    s1 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w1 + 48), s1);
    w0 += 64;
    w1 += 64;
  }
  for (; k < kc; k++) {
    const __m512 va = _mm512_set1_ps(a[k]);
    p0 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w0), p0);
    p1 = _mm512_fmadd_ps(va, _mm512_loadu_ps(w1), p1);
    w0 += 16;
    w1 += 16;
  }
  p0 = _mm512_add_ps(_mm512_add_ps(p0, q0), _mm512_add_ps(r0, s0));
  p1 = _mm512_add_ps(_mm512_add_ps(p1, q1), _mm512_add_ps(r1, s1));
  finish_ctx f;
  init_finish(&f, nc, flags, ep);
  finish_row(&f, p0, p1, c);
}

void rc_gemm_6x32__avx512f(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                           size_t w_stride, float* c, size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep,
                           const float* pf, size_t pf_lines) {
  const float* w1 = nc > 16 ? w + w_stride : w;
  if (mr == 1) {
    one_row(nc, kc, a, w, w1, c, flags, ep);
    return;
  }
  const float* a0 = a;
  const float* a1 = a0 + a_stride;
  if (mr < 2) a1 = a0;
  const float* a2 = a1 + a_stride;
  if (mr <= 2) a2 = a1;
  const float* a3 = a2 + a_stride;
  if (mr < 4) a3 = a2;
  const float* a4 = a3 + a_stride;
  if (mr <= 4) a4 = a3;
  const float* a5 = a4 + a_stride;
  if (mr != 6) a5 = a4;

  __m512 acc00 = _mm512_setzero_ps(), acc01 = _mm512_setzero_ps();
  __m512 acc10 = _mm512_setzero_ps(), acc11 = _mm512_setzero_ps();
  __m512 acc20 = _mm512_setzero_ps(), acc21 = _mm512_setzero_ps();
  __m512 acc30 = _mm512_setzero_ps(), acc31 = _mm512_setzero_ps();
  __m512 acc40 = _mm512_setzero_ps(), acc41 = _mm512_setzero_ps();
  __m512 acc50 = _mm512_setzero_ps(), acc51 = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; k++) {
    if (k < pf_lines) _mm_prefetch((const char*)pf + 64 * k, _MM_HINT_T1);
    const __m512 b0 = _mm512_loadu_ps(w);
    const __m512 b1 = _mm512_loadu_ps(w1);
    w += 16;
    w1 += 16;
    __m512 va = _mm512_set1_ps(a0[k]);
    acc00 = _mm512_fmadd_ps(va, b0, acc00);
    acc01 = _mm512_fmadd_ps(va, b1, acc01);
    va = _mm512_set1_ps(a1[k]);
    acc10 = _mm512_fmadd_ps(va, b0, acc10);
    acc11 = _mm512_fmadd_ps(va, b1, acc11);
    va = _mm512_set1_ps(a2[k]);
    acc20 = _mm512_fmadd_ps(va, b0, acc20);
    acc21 = _mm512_fmadd_ps(va, b1, acc21);
    va = _mm512_set1_ps(a3[k]);
    acc30 = _mm512_fmadd_ps(va, b0, acc30);
    acc31 = _mm512_fmadd_ps(va, b1, acc31);
    va = _mm512_set1_ps(a4[k]);
    acc40 = _mm512_fmadd_ps(va, b0, acc40);
    acc41 = _mm512_fmadd_ps(va, b1, acc41);
    va = _mm512_set1_ps(a5[k]);
    acc50 = _mm512_fmadd_ps(va, b0, acc50);
    acc51 = _mm512_fmadd_ps(va, b1, acc51);
  }
  finish_ctx f;
  init_finish(&f, nc, flags, ep);
  finish_row(&f, acc00, acc01, c);
  if (mr > 1) finish_row(&f, acc10, acc11, c + c_stride);
  if (mr > 2) finish_row(&f, acc20, acc21, c + 2 * c_stride);
  if (mr > 3) finish_row(&f, acc30, acc31, c + 3 * c_stride);
  if (mr > 4) finish_row(&f, acc40, acc41, c + 4 * c_stride);
  if (mr > 5) finish_row(&f, acc50, acc51, c + 5 * c_stride);
}

/* AVX2+FMA direct micro-kernel (gemm_direct.h), 6 pixels × 16 columns: the
 * 6×16 GEMM kernel's loop (12 ymm accumulators; per k two panel loads, six
 * broadcasts, 12 FMAs) with A read from the input strip at the offsets
 * koff (one more load per k). Rows ≥ mr alias the last
 * real one (valid loads; only rows < mr are stored). The epilogue is the
 * 6×16 kernel's (gemm_6x16__avx2.c: + previous, + bias, activation, in
 * registers; column tails through a stack row). Compiled with -mavx2 -mfma. */
#include <immintrin.h>
#include <string.h>

#include "kernels/common/simd__avx2.h"
#include "kernels/gemm/gemm_direct.h"

typedef struct finish_ctx {
  uint32_t flags;
  size_t nc;
  __m256 b0, b1, s0, s1, lo, hi;
  int prelu;
} finish_ctx;

static void init_finish(finish_ctx* f, size_t nc, uint32_t flags, const rc_gemm_epilogue* ep) {
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

static inline void finish_row(const finish_ctx* f, __m256 v0, __m256 v1, float* c) {
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

/* Named accumulators and a constant-indexed finish: an array indexed by the
 * runtime mr went to the stack, spilled on every k (16 ymm registers hold
 * the 12 accumulators, the two panel rows and the broadcasts only just). */
#define STEP(i, ai)                                  \
  do {                                               \
    const __m256 va = _mm256_broadcast_ss((ai) + o); \
    acc##i##0 = _mm256_fmadd_ps(va, b0, acc##i##0);  \
    acc##i##1 = _mm256_fmadd_ps(va, b1, acc##i##1);  \
  } while (0)
static void tile(size_t mr, size_t k0, size_t k1, const int32_t* koff, const float* const* r, const float* w, float* c,
                 size_t c_stride, const finish_ctx* f) {
  const float *a0 = r[0], *a1 = r[1], *a2 = r[2], *a3 = r[3], *a4 = r[4], *a5 = r[5];
  __m256 acc00 = _mm256_setzero_ps(), acc01 = _mm256_setzero_ps();
  __m256 acc10 = _mm256_setzero_ps(), acc11 = _mm256_setzero_ps();
  __m256 acc20 = _mm256_setzero_ps(), acc21 = _mm256_setzero_ps();
  __m256 acc30 = _mm256_setzero_ps(), acc31 = _mm256_setzero_ps();
  __m256 acc40 = _mm256_setzero_ps(), acc41 = _mm256_setzero_ps();
  __m256 acc50 = _mm256_setzero_ps(), acc51 = _mm256_setzero_ps();
  for (size_t k = k0; k < k1; k++, w += 16) {
    const ptrdiff_t o = koff[k];
    const __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
    STEP(0, a0);
    STEP(1, a1);
    STEP(2, a2);
    STEP(3, a3);
    STEP(4, a4);
    STEP(5, a5);
  }
  finish_row(f, acc00, acc01, c);
  if (mr > 1) finish_row(f, acc10, acc11, c + c_stride);
  if (mr > 2) finish_row(f, acc20, acc21, c + 2 * c_stride);
  if (mr > 3) finish_row(f, acc30, acc31, c + 3 * c_stride);
  if (mr > 4) finish_row(f, acc40, acc41, c + 4 * c_stride);
  if (mr > 5) finish_row(f, acc50, acc51, c + 5 * c_stride);
}
#undef STEP

void rc_gemm_direct_6x16__avx2(size_t n, size_t nc, size_t k0, size_t k1, const int32_t* koff, const float* a,
                               size_t a_stride, const float* w, size_t w_stride, float* c, size_t c_stride,
                               uint32_t flags, const rc_gemm_epilogue* ep) {
  (void)w_stride; /* one panel per call */
  finish_ctx f;
  init_finish(&f, nc, flags, ep);
  for (size_t p = 0; p < n; p += RC_GEMM_MR) {
    const size_t mr = n - p < RC_GEMM_MR ? n - p : RC_GEMM_MR;
    const float* r[6];
    RC_GEMM_6_ROWS(r, a + p * a_stride, a_stride, mr);
    tile(mr, k0, k1, koff, r, w, c + p * c_stride, c_stride, &f);
  }
}

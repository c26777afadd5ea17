/* AVX2+FMA Winograd input and output transforms, one tile per call, 8
 * channels per vector (NHWC keeps them contiguous); channel tails use masked
 * loads and stores. The code is wino_transform.h over these primitives.
 * Compiled with -mavx2 -mfma (CMakeLists.txt); called only when cpuinfo
 * reports AVX2 and FMA3. */
#include <immintrin.h>
#include <stddef.h>

typedef __m256 vec;
typedef __m256i vmask;
#define W 8
#define PRIM static inline __attribute__((always_inline))

PRIM vec v_zero(void) { return _mm256_setzero_ps(); }
PRIM vec v_set1(float c) { return _mm256_set1_ps(c); }
PRIM vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
PRIM vec v_sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
PRIM vec v_mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
PRIM vec v_fma(vec a, vec b, vec acc) { return _mm256_fmadd_ps(a, b, acc); }
PRIM vec v_neg(vec x) { return _mm256_xor_ps(x, _mm256_set1_ps(-0.0f)); }
PRIM vec v_min(vec a, vec b) { return _mm256_min_ps(a, b); }
PRIM vec v_max(vec a, vec b) { return _mm256_max_ps(a, b); }
PRIM vec v_load(const float* p) { return _mm256_loadu_ps(p); }
PRIM void v_store(float* p, vec x) { _mm256_storeu_ps(p, x); }
PRIM vec v_load_mask(const float* p, vmask m) { return _mm256_maskload_ps(p, m); }
PRIM void v_store_mask(float* p, vmask m, vec x) { _mm256_maskstore_ps(p, m, x); }
PRIM vmask v_tail(size_t n) { /* lanes < n, 0 < n ≤ 8 */
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
PRIM vec v_prelu(vec o, vec slope) {
  return _mm256_blendv_ps(o, _mm256_mul_ps(o, slope), _mm256_cmp_ps(o, _mm256_setzero_ps(), _CMP_LT_OQ));
}
#define WINO_FN(name) rc_##name##__avx2

#include "kernels/winograd/wino_transform.h"

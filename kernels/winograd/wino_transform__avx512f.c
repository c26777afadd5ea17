/* AVX-512F Winograd input and output transforms, one tile per call, 16
 * channels per vector; channel tails use mask registers. The code is
 * wino_transform.h over these primitives, as for AVX2 one vector width
 * down: on CPUs with a full-width 512-bit datapath a 16-channel layer (a
 * super-resolution body) takes one vector per tile position instead of two.
 * Compiled with -mavx512f (CMakeLists.txt); called only when cpuinfo
 * reports AVX-512F. */
#include <immintrin.h>
#include <stddef.h>

typedef __m512 vec;
typedef __mmask16 vmask;
#define W 16
#define PRIM static inline __attribute__((always_inline))

PRIM vec v_zero(void) { return _mm512_setzero_ps(); }
PRIM vec v_set1(float c) { return _mm512_set1_ps(c); }
PRIM vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
PRIM vec v_sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
PRIM vec v_mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
PRIM vec v_fma(vec a, vec b, vec acc) { return _mm512_fmadd_ps(a, b, acc); }
PRIM vec v_neg(vec x) { /* xor of the sign bit: AVX-512F has no xor_ps */
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}
PRIM vec v_min(vec a, vec b) { return _mm512_min_ps(a, b); }
PRIM vec v_max(vec a, vec b) { return _mm512_max_ps(a, b); }
PRIM vec v_load(const float* p) { return _mm512_loadu_ps(p); }
PRIM void v_store(float* p, vec x) { _mm512_storeu_ps(p, x); }
PRIM vec v_load_mask(const float* p, vmask m) { return _mm512_maskz_loadu_ps(m, p); }
PRIM void v_store_mask(float* p, vmask m, vec x) { _mm512_mask_storeu_ps(p, m, x); }
PRIM vmask v_tail(size_t n) { return (vmask)((1u << n) - 1u); } /* lanes < n, 0 < n ≤ 16 */
PRIM vec v_prelu(vec o, vec slope) {
  return _mm512_mask_mul_ps(o, _mm512_cmp_ps_mask(o, _mm512_setzero_ps(), _CMP_LT_OQ), o, slope);
}
#define WINO_FN(name) rc_##name##__avx512f

#include "kernels/winograd/wino_transform.h"

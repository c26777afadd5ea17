/* SIMD primitives (kernels/common/simd.h) over one float: the portable C
 * reference. Each operation rounds once, as written (C11 mode compiles
 * without FMA contraction), so a template instantiated here computes what
 * the scalar reference always has. */
#ifndef RC_KERNELS_COMMON_SIMD_SCALAR_H
#define RC_KERNELS_COMMON_SIMD_SCALAR_H

#include <stddef.h>

typedef float vec;
typedef size_t vmask; /* lanes [0, n); with one lane never a tail */
#define SIMD_W 1
#define SIMD_REGS 16
#define SIMD_INLINE static inline __attribute__((always_inline))

SIMD_INLINE vec v_zero(void) { return 0.0f; }
SIMD_INLINE vec v_set1(float c) { return c; }
SIMD_INLINE vec v_add(vec a, vec b) { return a + b; }
SIMD_INLINE vec v_sub(vec a, vec b) { return a + -b; } /* the reference's rounding, NaN sign included */
SIMD_INLINE vec v_mul(vec a, vec b) { return a * b; }
SIMD_INLINE vec v_fma(vec a, vec b, vec acc) { return acc + a * b; } /* two roundings */
SIMD_INLINE vec v_neg(vec x) { return -x; }
/* As the x86 instructions: the second operand when either is NaN. */
SIMD_INLINE vec v_min(vec a, vec b) { return a < b ? a : b; }
SIMD_INLINE vec v_max(vec a, vec b) { return a > b ? a : b; }
SIMD_INLINE vec v_load(const float* p) { return *p; }
SIMD_INLINE void v_store(float* p, vec x) { *p = x; }
SIMD_INLINE vec v_load_mask(const float* p, vmask n) { return n ? *p : 0.0f; }
SIMD_INLINE void v_store_mask(float* p, vmask n, vec x) {
  if (n) *p = x;
}
SIMD_INLINE vmask v_tail(size_t n) { return n; }
SIMD_INLINE vec v_prelu(vec o, vec slope) { return o < 0.0f ? o * slope : o; }

#include "kernels/common/simd.h"

#endif

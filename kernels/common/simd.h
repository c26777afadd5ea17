/* SIMD primitives: the one small vocabulary the ISA-generic kernel templates
 * (kernels/winograd/wino_transform.h, the GEMM epilogues) are written in.
 * A file compiled for one ISA includes that ISA's header, which defines,
 * over vectors of SIMD_W floats:
 *
 *   vec, vmask             the vector and channel-mask types
 *   SIMD_REGS              the vector registers a kernel can hold values in
 *   v_zero() v_set1(c) v_add v_sub v_mul v_fma(a, b, acc) = a·b + acc
 *   v_neg v_min v_max      v_max(lo, x) and v_min(hi, x) return x when x
 *                          is NaN (the operand order matters)
 *   v_load(p) v_store(p, x)             unaligned, SIMD_W floats
 *   v_load_mask(p, m) v_store_mask(p, m, x)  lanes of m only (others read 0)
 *   v_tail(n)              the mask of lanes < n, 0 < n ≤ SIMD_W (the only
 *                          masks: AVX2's v_store_mask counts their lanes)
 *   v_prelu(o, slope)      o < 0 ? o·slope : o (NaN passes)
 *
 * simd__avx2.h (ymm), simd__avx512f.h (zmm), simd__neon.h (q registers) and
 * simd__scalar.h (one float, no FMA contraction: the reference's rounding);
 * each includes this file last, for the helpers below. All are
 * always_inline, so a template's constants fold through them. */
#ifndef RC_KERNELS_COMMON_SIMD_H
#define RC_KERNELS_COMMON_SIMD_H

#ifndef SIMD_W
#error "include an ISA's kernels/common/simd__<isa>.h, not simd.h"
#endif

/* The clamp of an epilogue, min(hi, max(lo, o)) (±inf: none; lo 0: ReLU),
 * with NaN passing. */
SIMD_INLINE vec v_clamp(vec o, vec lo, vec hi) { return v_min(hi, v_max(lo, o)); }

/* The activation of an epilogue: PReLU (prelu a compile-time constant or
 * not), or the clamp. */
SIMD_INLINE vec v_activate(vec o, const int prelu, vec lo, vec hi, vec slope) {
  return prelu ? v_prelu(o, slope) : v_clamp(o, lo, hi);
}

#endif

/* GEMM micro-kernels (internal to kernels/): the conv micro-kernels, one
 * 6×16 (or 6×32) register tile of the conv/FC GEMM with K-blocking and the
 * fused epilogue, and the tile kernels, a plain c = a·w on one register tile
 * that the Winograd driver and the C epilogue build on. Names follow
 * op_variant__isa. The lists gemm_ukernels.inc and gemm_tile_ukernels.inc
 * declare them (below) and fill the dispatch tables (gemm.c,
 * kernels/winograd/wino.c). Pure functions: no allocation, no threads. */
#ifndef RC_KERNELS_GEMM_UKERNELS_H
#define RC_KERNELS_GEMM_UKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/common/isa.h"

#define RC_GEMM_MR 6
#define RC_GEMM_NR 16 /* lanes of a packed weight panel row */

/* Flags of one call. */
#define RC_GEMM_ACCUMULATE 1u /* add to c the partial sum an earlier K block stored there */
#define RC_GEMM_FINAL 2u      /* the last K block: add bias, apply the activation */

/* What the last K block applies, per 16-lane column block: y = acc + bias,
 * then PReLU (slopes non-NULL: y < 0 ? slope·y : y) or the clamp
 * min(max, max(min, y)) with NaN passing (±inf: no clamp). bias and slopes
 * point at 16 readable lanes (the plan pads them) or are NULL. */
typedef struct rc_gemm_epilogue {
  const float* bias;
  const float* slopes;
  float min, max;
} rc_gemm_epilogue;

/* For i < mr ≤ 6, j < nc ≤ 16:
 *   s = Σ_{k<kc} a[i·a_stride + k] · w[k·16 + j]   (k ascending, fp32)
 *   if ACCUMULATE: s = c[i·c_stride + j] + s
 *   if FINAL:      s = act(s + bias[j])
 *   c[i·c_stride + j] = s
 * w is a packed [kc][16] panel. Rows i ≥ mr and columns j ≥ nc of c are
 * neither read nor written; rows ≥ mr of a are not read. With mr ≥ 2 the
 * SIMD kernels also prefetch into L2 the pf_lines (≤ kc) 64-byte lines from
 * pf, one per k: weights the caller reads next (pf NULL when pf_lines is 0). */
typedef void (*rc_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                                   float* c, size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep,
                                   const float* pf, size_t pf_lines);

/* The same over up to 32 (or 48) columns: nc ≤ the kernel's nr, columns
 * 16·j..16·j+15 from the panel at w + j·w_stride (read only when nc > 16·j);
 * bias and slopes then point at 16·⌈nc/16⌉ lanes; the prefetch as above.
 * A kernel listed with rows 12 also takes mr = 12: two whole 6-row tiles,
 * summed as two calls of 6 rows would. */
typedef void (*rc_gemm_wide_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                        const float* w, size_t w_stride, float* c, size_t c_stride, uint32_t flags,
                                        const rc_gemm_epilogue* ep, const float* pf, size_t pf_lines);

/* A tile kernel: c[i][0..nr) = Σ_k a[i][k] · w[k][0..nr) for i < mr ≤ the
 * kernel's MR, k < kc (fp32, k ascending per lane chain; a ≤ 4-channel
 * kernel sums a channel in several chains, added at the end): a rows are
 * a_stride floats apart, c rows c_stride apart, w is a packed [kc][16] panel
 * (a kernel with nr < 16 reads only lanes 0..nr of each row). Rows i ≥ mr and
 * columns ≥ nr are neither read nor written. The SIMD kernels also prefetch
 * into L2 the pf_lines (≤ kc) 64-byte lines from pf, one per k: the panel
 * the caller reads next (pf NULL when pf_lines is 0). */
typedef void (*rc_gemm_tile_fn)(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                                size_t c_stride, const float* pf, size_t pf_lines);

/* The C epilogue around a 6-row, 16-column tile kernel: run it into a local
 * 6×16 tile, then add the previous partial sum, the bias and the activation
 * and store nc columns, in the order the fused kernels use. */
void rc_gemm_tile_epilogue(rc_gemm_tile_fn tile, size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                           const float* w, float* c, size_t c_stride, uint32_t flags, const rc_gemm_epilogue* ep,
                           const float* pf, size_t pf_lines);
/* That finish alone: t is a 6×16 tile (rows 16 floats apart), mr rows and nc
 * columns of it are finished into c. */
void rc_gemm_tile_finish(const float* t, size_t mr, size_t nc, float* c, size_t c_stride, uint32_t flags,
                         const rc_gemm_epilogue* ep);

/* r[i], i < 6: row i of the matrix at p whose rows are stride floats apart,
 * for a call of mr rows. Rows ≥ mr alias the last real row (valid loads, no
 * branches in the loop; a store to them lands on that row). A macro: it
 * serves const A rows and writable C rows alike. */
#define RC_GEMM_6_ROWS(r, p, stride, mr)             \
  do {                                               \
    (r)[0] = (p);                                    \
    (r)[1] = (mr) < 2 ? (r)[0] : (r)[0] + (stride);  \
    (r)[2] = (mr) <= 2 ? (r)[1] : (r)[1] + (stride); \
    (r)[3] = (mr) < 4 ? (r)[2] : (r)[2] + (stride);  \
    (r)[4] = (mr) <= 4 ? (r)[3] : (r)[3] + (stride); \
    (r)[5] = (mr) != 6 ? (r)[4] : (r)[4] + (stride); \
  } while (0)

/* fn(R, ...) with R = mr, 1..6, as a compile-time constant (more than 6:
 * 6): the tile kernels' instance per row count, whose loops compute only a
 * call's rows. */
#define RC_GEMM_BY_ROWS(mr, fn, ...)      \
  do {                                    \
    switch (mr) {                         \
      case 1: fn(1, __VA_ARGS__); break;  \
      case 2: fn(2, __VA_ARGS__); break;  \
      case 3: fn(3, __VA_ARGS__); break;  \
      case 4: fn(4, __VA_ARGS__); break;  \
      case 5: fn(5, __VA_ARGS__); break;  \
      default: fn(6, __VA_ARGS__); break; \
    }                                     \
  } while (0)

/* Declarations, from the lists. */
#define RC_GEMM_DECLARE_16(name)                                                                            \
  void rc_gemm_##name(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t, uint32_t, \
                      const rc_gemm_epilogue*, const float*, size_t);
#define RC_GEMM_DECLARE_32(name)                                                                                    \
  void rc_gemm_##name(size_t, size_t, size_t, const float*, size_t, const float*, size_t, float*, size_t, uint32_t, \
                      const rc_gemm_epilogue*, const float*, size_t);
#define RC_GEMM_DECLARE_48 RC_GEMM_DECLARE_32
#define RC_GEMM_UKERNEL(ID, name, ISA, nr, rows, autopick, kind, tile) RC_IF_ISA_##ISA(RC_GEMM_DECLARE_##nr(name))
#include "kernels/gemm/gemm_ukernels.inc"
#undef RC_GEMM_UKERNEL
#define RC_GEMM_TILE_UKERNEL(name, ISA, mr, nr) \
  RC_IF_ISA_##ISA(                              \
      void rc_gemm_##name(size_t, size_t, const float*, size_t, const float*, float*, size_t, const float*, size_t);)
#include "kernels/gemm/gemm_tile_ukernels.inc"
#undef RC_GEMM_TILE_UKERNEL

#endif

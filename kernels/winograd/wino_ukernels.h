/* Winograd micro-kernels (internal to kernels/winograd/): one tile's input
 * and output transforms per variant and ISA (and the direct tile of
 * few-channel convs), declared from
 * wino_transform_ukernels.inc. The tile GEMMs are kernels/gemm's
 * (gemm_tile_ukernels.inc). Names follow op_variant__isa. The driver (wino.c)
 * calls them through a dispatch table filled once from cpuinfo. Pure
 * functions: no allocation, no threads. */
#ifndef RC_KERNELS_WINO_UKERNELS_H
#define RC_KERNELS_WINO_UKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/common/isa.h"
#include "kernels/gemm/gemm_ukernels.h"
#include "kernels/winograd/wino.h"

/* GEMM register tile: up to MR_MAX tiles (the ISA's mr: 6, or 12) ×
 * RC_GEMM_NR output channels; every tile kernel's mr divides it. */
#define RC_WINO_GEMM_MR_MAX 12
/* Channel padding of V rows (input-transform vector width) and M rows. */
#define RC_WINO_V_CPAD 8
#define RC_WINO_M_CPAD RC_GEMM_NR

/* The output epilogue: bias (may be NULL) then the activation. */
typedef struct rc_wino_epilogue {
  const float* bias;
  rc_wino_activation activation;
  float min, max;
  const float* slopes;
} rc_wino_epilogue;

/* Input transform of one tile. rows[i], i < α, points at the NHWC row
 * (in_w pixels of cin channels) of the window's i-th input row, or is NULL
 * where that row lies outside the image (it reads 0): rows need not be
 * evenly spaced, so a ring of rows serves as well as a tensor. The window's
 * columns start at ix0 and may lie partly or wholly outside [0, in_w) (those
 * pixels read 0). Writes v[ξ·v_stride + c] = (Bᵀ d B)[ξ] for ξ < α²,
 * c < round_up(cin, 8); the padding channels get 0. */
typedef void (*rc_wino_input_fn)(const float* const* rows, int32_t in_w, size_t cin, int32_t ix0, float* v,
                                 size_t v_stride);

/* Output transform of one tile: reads m[ξ·m_stride + c] for ξ < α²,
 * c < round_up(cout, W), W the kernel's vector width (1 scalar, 4 NEON, 8
 * AVX2, 16 AVX-512F; M's rows are RC_WINO_M_CPAD-padded and the GEMMs write
 * at least round_up(cout, 8) of each), and writes the top-left rows × cols (≤ m × m)
 * pixels of act(Aᵀ M A + bias) to y, which points at the tile's first output
 * pixel of an NHWC image whose rows are y_row_stride and pixels
 * y_pixel_stride ≥ cout floats apart (more than cout: these cout channels
 * are a slice of the image's). */
typedef void (*rc_wino_output_fn)(const float* m, size_t m_stride, size_t cout, const rc_wino_epilogue* ep, float* y,
                                  size_t y_row_stride, size_t y_pixel_stride, size_t rows, size_t cols);

/* A tile computed directly (convs of at most RC_WINO_DIRECT_MAX_CIN input
 * channels): rows, in_w, cin and ix0 as for the input transform; w the
 * weights [cin][9][round_up(cout, 16)] (rc_wino_filter_transform's layout
 * for such convs); writes the top-left out_rows × out_cols pixels of
 * act(conv + bias) as the output transform does. */
typedef void (*rc_wino_direct_fn)(const float* const* rows, int32_t in_w, size_t cin, int32_t ix0, const float* w,
                                  size_t cout, const rc_wino_epilogue* ep, float* y, size_t y_row_stride,
                                  size_t out_rows, size_t out_cols);

/* Border tiles: where an axis's output is a few pixels past a multiple of
 * m, its last tile runs a variant nested in the conv's points (wino_matrices.h,
 * RC_WINO<v>N<m>_*: F(2,3)'s F(1,3) for 1 pixel, F(4,3)'s F(2,3) for 1–2
 * pixels, F(6,3)'s F(2,3) for 1–2 and F(4,3) for 3–4, F(2,3) stride 2's
 * F(1,3) stride 2 for 1), which uses its U.
 * rc_wino<v>b_<y><x>_*: axis y, x the parent's (f) or the nested one of 1, 2
 * or 4 outputs. Same contracts as the square kernels, with the window α'
 * pixels on a nested axis and ξ still positions of the parent's α × α grid
 * (only the nested points' are written or read). Indexed [y][x] by
 * RC_WINO_AXIS_*. */
#define RC_WINO_AXIS_FULL 0
#define RC_WINO_AXIS_N2 1
#define RC_WINO_AXIS_N4 2
#define RC_WINO_AXIS_N1 3
#define RC_WINO_AXIS_KINDS 4

/* Declarations, from the list (the stride-2 variant has no direct tiles). */
#define RC_WINO_DECLARE_TRANSFORMS(v, isa)                                                                         \
  void rc_wino##v##_input_transform__##isa(const float* const*, int32_t, size_t, int32_t, float*, size_t);         \
  void rc_wino##v##_output_transform__##isa(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, \
                                            size_t, size_t, size_t);
#define RC_WINO_DECLARE_VARIANT(v, isa)                                                                \
  RC_WINO_DECLARE_TRANSFORMS(v, isa)                                                                   \
  void rc_wino##v##_direct__##isa(const float* const*, int32_t, size_t, int32_t, const float*, size_t, \
                                  const rc_wino_epilogue*, float*, size_t, size_t, size_t);
/* clang-format off: one kernel a line (it would pack them, differently each run) */
#define RC_WINO_DECLARE_BORDER(isa)         \
  RC_WINO_DECLARE_TRANSFORMS(23b_1f, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(23b_f1, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(23b_11, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(43b_2f, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(43b_f2, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(43b_22, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(63b_2f, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(63b_4f, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(63b_f2, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(63b_f4, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(63b_22, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(63b_24, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(63b_42, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(63b_44, isa)   \
  RC_WINO_DECLARE_TRANSFORMS(23s2b_1f, isa) \
  RC_WINO_DECLARE_TRANSFORMS(23s2b_f1, isa) \
  RC_WINO_DECLARE_TRANSFORMS(23s2b_11, isa)
/* clang-format on */
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa)                                                                         \
  RC_IF_ISA_##ISA(RC_WINO_DECLARE_VARIANT(23, isa) RC_WINO_DECLARE_VARIANT(43, isa) RC_WINO_DECLARE_VARIANT(63, isa) \
                      RC_WINO_DECLARE_TRANSFORMS(23s2, isa) RC_WINO_DECLARE_TRANSFORMS(43s2, isa)                    \
                          RC_WINO_DECLARE_BORDER(isa))
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS

#endif

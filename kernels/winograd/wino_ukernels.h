/* Winograd micro-kernels (internal to kernels/winograd/): one tile's input
 * and output transforms per variant, and the tile GEMM, per ISA. Names
 * follow op_variant__isa. The driver (wino.c) calls them through a dispatch
 * table filled once from cpuinfo. Pure functions: no allocation, no threads. */
#ifndef RC_KERNELS_WINO_UKERNELS_H
#define RC_KERNELS_WINO_UKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/winograd/wino.h"

/* GEMM register tile: up to MR_MAX tiles (the ISA's mr: 6, or 12 for
 * AVX-512F) × NR output channels. */
#define RC_WINO_GEMM_MR_MAX 12
#define RC_WINO_GEMM_NR 16
/* Channel padding of V rows (input-transform vector width) and M rows. */
#define RC_WINO_V_CPAD 8
#define RC_WINO_M_CPAD RC_WINO_GEMM_NR

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
 * pixel of an NHWC image whose rows are y_row_stride floats apart. */
typedef void (*rc_wino_output_fn)(const float* m, size_t m_stride, size_t cout, const rc_wino_epilogue* ep, float* y,
                                  size_t y_row_stride, size_t rows, size_t cols);

/* c[i][0..16) = Σ_k a[i][k] · w[k][0..16) for i < mr ≤ the kernel's MR, k < kc: a rows are
 * a_stride floats apart, c rows c_stride apart, w is a packed [kc][16] panel.
 * Rows i ≥ mr are neither read nor written. */
typedef void (*rc_wino_gemm_fn)(size_t mr, size_t kc, const float* a, size_t a_stride, const float* w, float* c,
                                size_t c_stride);

void rc_wino23_input_transform__scalar(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino43_input_transform__scalar(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino63_input_transform__scalar(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino23_output_transform__scalar(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                        size_t);
void rc_wino43_output_transform__scalar(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                        size_t);
void rc_wino63_output_transform__scalar(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                        size_t);
void rc_wino_gemm_6x16__scalar(size_t, size_t, const float*, size_t, const float*, float*, size_t);

#if defined(__x86_64__) || defined(_M_X64)
#define RC_WINO_HAVE_X86 1
void rc_wino23_input_transform__avx2(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino43_input_transform__avx2(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino63_input_transform__avx2(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino23_output_transform__avx2(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                      size_t);
void rc_wino43_output_transform__avx2(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                      size_t);
void rc_wino63_output_transform__avx2(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                      size_t);
void rc_wino_gemm_6x16__fma3(size_t, size_t, const float*, size_t, const float*, float*, size_t);
/* The same contract for the first 8 columns only: c[i][0..8) from the first 8
 * lanes of each 16-lane w row (lanes 8..16 of w and columns ≥ 8 of c are
 * neither read nor written). For layers of ≤ 8 output channels. */
void rc_wino_gemm_12x8__fma3(size_t, size_t, const float*, size_t, const float*, float*, size_t);
void rc_wino23_input_transform__avx512f(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino43_input_transform__avx512f(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino63_input_transform__avx512f(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino23_output_transform__avx512f(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                         size_t);
void rc_wino43_output_transform__avx512f(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                         size_t);
void rc_wino63_output_transform__avx512f(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                         size_t);
void rc_wino_gemm_12x16__avx512f(size_t, size_t, const float*, size_t, const float*, float*, size_t);
#endif

#if defined(__aarch64__)
#define RC_WINO_HAVE_ARM64 1
void rc_wino23_input_transform__neon(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino43_input_transform__neon(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino63_input_transform__neon(const float* const*, int32_t, size_t, int32_t, float*, size_t);
void rc_wino23_output_transform__neon(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                      size_t);
void rc_wino43_output_transform__neon(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                      size_t);
void rc_wino63_output_transform__neon(const float*, size_t, size_t, const rc_wino_epilogue*, float*, size_t, size_t,
                                      size_t);
void rc_wino_gemm_6x16__neon(size_t, size_t, const float*, size_t, const float*, float*, size_t);
#endif

#endif

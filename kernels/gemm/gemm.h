/* GEMM convolution: conv2d NHWC of any kernel size, stride, dilation,
 * 4-sided padding and groups, and fully connected layers (a 1×1 conv on a
 * 1×1 image, batch = rows), as an im2col GEMM on a 6×16 register tile (the
 * micro-kernels of gemm_ukernels.inc), with bias and ReLU/clip/PReLU fused
 * into the store; convs with few input channels skip the im2col copies
 * (the direct path, gemm_direct.h: same weights, same sums). Compute only: the planner packs the weights once
 * (rc_gemm_pack_weights), sizes the workspace (rc_gemm_workspace_size) and
 * calls rc_gemm_conv2d_nhwc per run. The algorithm and its blocking:
 * docs/DESIGN.md ("GEMM conv").
 *
 * Layouts (floats):
 *   x      NHWC [batch][in_h][in_w][in_c]
 *   y      NHWC [batch][out_h][out_w][out_c]
 *   w      OIHW [out_c][in_c/groups][kh][kw] (PyTorch; an FC's [out][in])
 *   packed [groups][⌈ocg/16⌉][K][16]: per group and 16-channel block, K rows
 *          of 16 output-channel lanes (zero past ocg), K =
 *          kernel_h·kernel_w·in_c/groups. ISA-independent.
 *   bias, slopes: [groups][round_up(ocg, 16)] (rc_gemm_pack_channels), so
 *          every column block reads 16 lanes.
 *
 * Threads. pool may be NULL (the planner passes NULL for small layers).
 * Every output element is computed by the same calls in the same order
 * whatever the split, so results do not depend on the thread count.
 *
 * Error: each output is an fp32 sum of K products (AVX2, AVX-512F, NEON:
 * fused), partial sums rounded to fp32 between K blocks, then + bias: at
 * most about (K + 2)·2⁻²⁴·Σ|terms| from the exact value (tests/test_gemm.c). */
#ifndef RC_KERNELS_GEMM_H
#define RC_KERNELS_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/thread/pool.h"

/* The micro-kernel: RC_GEMM_UK_<ID> per line of gemm_ukernels.inc (in its
 * order, after AUTO), which says what each one is. */
typedef enum rc_gemm_ukernel {
  RC_GEMM_UK_AUTO = 0, /* the best available: the last available line marked auto */
#define RC_GEMM_UKERNEL(ID, ...) RC_GEMM_UK_##ID,
#include "kernels/gemm/gemm_ukernels.inc"
#undef RC_GEMM_UKERNEL
  RC_GEMM_UK_COUNT
} rc_gemm_ukernel;

typedef enum rc_gemm_activation {
  RC_GEMM_ACT_NONE = 0,
  RC_GEMM_ACT_CLAMP, /* y < min ? min : (y > max ? max : y), NaN passes; ReLU is [0, +inf] */
  RC_GEMM_ACT_PRELU, /* y < 0 ? slope[c]·y : y */
} rc_gemm_activation;

typedef struct rc_gemm_conv_params {
  rc_gemm_ukernel ukernel;
  int32_t batch;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c; /* bottom/right padding is implied by out_h/out_w */
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left; /* ≥ 0 */
  int32_t groups;            /* in_c and out_c are multiples of it */
  rc_gemm_activation activation;
  float act_min, act_max;    /* RC_GEMM_ACT_CLAMP */
  size_t l1_bytes, l2_bytes; /* blocking targets; 0: cpuinfo's (32 KiB / 512 KiB if unknown) */
  int32_t direct;            /* 0: the direct path when rc_gemm_direct_used says so; 1: whenever it can
                                (tests, benchmarks); -1: never (im2col) */
  /* Optional: the packed weights as binary16 halves (rc_f32_to_f16 of
   * rc_gemm_pack_weights' floats, the same layout); packed is then not used.
   * Each K block of the panels a call sequence reads is converted into the
   * workspace first, exactly: the results are bitwise those of packed = the
   * halves' values as floats. Not with the direct path (rc_gemm_direct_used
   * must be 0: direct = -1, or more than RC_GEMM_DIRECT_MAX_CIN channels).
   * NULL: packed. */
  const uint16_t* packed_half;
} rc_gemm_conv_params;

/* Convs with at most this many input channels take the direct path (no
 * im2col: A read from padded input rows, gemm_direct.h) by default: up to
 * 32 it measured 10–45% faster than im2col on AVX-512F and AVX2 (Zen 4,
 * docs/DESIGN.md, "Direct path"). */
#define RC_GEMM_DIRECT_MAX_CIN 32

/* 1 if the micro-kernel can run on this CPU (AUTO and SCALAR always can). */
int rc_gemm_ukernel_available(rc_gemm_ukernel uk);
/* AUTO resolved; an unavailable kernel resolves to SCALAR. */
rc_gemm_ukernel rc_gemm_ukernel_resolve(rc_gemm_ukernel uk);
/* Columns per call (the nr column of gemm_ukernels.inc: 16, 32 or 48) of the
 * resolved kernel; ≥ 32 means a 512-bit (zmm) kernel. */
int rc_gemm_ukernel_nr(rc_gemm_ukernel uk);
/* "gemm_6x16__avx2", ...: "gemm_" and the name column of gemm_ukernels.inc,
 * the kernel's function without its rc_ prefix; "auto"; "?". */
const char* rc_gemm_ukernel_name(rc_gemm_ukernel uk);

/* 1 if rc_gemm_conv2d_nhwc takes the direct path for p: a conv (not an FC
 * row batch) with groups 1, dilation 1, a direct micro-kernel for the
 * resolved one (none on NEON), and direct == 1 or (direct == 0 and in_c ≤
 * RC_GEMM_DIRECT_MAX_CIN). Same weights, bias and result bits either way;
 * only the workspace size differs. */
int rc_gemm_direct_used(const rc_gemm_conv_params* p);

/* K = kernel_h·kernel_w·in_c/groups. */
size_t rc_gemm_k(const rc_gemm_conv_params* p);
/* Floats of the packed weights: groups · round_up(out_c/groups, 16) · K. */
size_t rc_gemm_packed_size(const rc_gemm_conv_params* p);
/* Packs OIHW weights; perm (NULL: identity) gives, for each packed output
 * channel j, the original channel it computes (a CRD→DCR pixel-shuffle
 * permutation; groups must be 1 then). Plan time, single-threaded. */
void rc_gemm_pack_weights(const rc_gemm_conv_params* p, const float* w_oihw, const size_t* perm, float* packed);
/* Floats of a packed per-channel vector: groups · round_up(out_c/groups, 16). */
size_t rc_gemm_channels_size(const rc_gemm_conv_params* p);
/* v[perm[j]] (v[0] for every j when shared) into the padded layout, 0 in the padding. */
void rc_gemm_pack_channels(const rc_gemm_conv_params* p, const float* v, int shared, const size_t* perm, float* out);

/* Workspace bytes of ONE thread's slice (any alignment; a call with a pool
 * of n threads needs n slices). 0 when x is read in place. */
size_t rc_gemm_workspace_size(const rc_gemm_conv_params* p);

/* y = act(conv(x, w) + bias). packed from rc_gemm_pack_weights; bias and
 * slopes (ACT_PRELU) from rc_gemm_pack_channels, bias may be NULL.
 * workspace: rc_gemm_workspace_size × threads bytes (may be NULL when that
 * is 0), not shared with a concurrent call. x and y must not overlap.
 * Callers validate the parameters; the kernel does not fail. */
void rc_gemm_conv2d_nhwc(const rc_gemm_conv_params* p, const float* x, const float* packed, const float* bias,
                         const float* slopes, float* y, void* workspace, rc_pool* pool);

#endif

/* Winograd F(m×m, 3×3) convolution kernels: F(2,3), F(4,3), F(6,3) for
 * stride-1, and F(2,3) and F(4,3) by phases for stride-2, dilation-1,
 * ungrouped 3×3 convs with any padding and any channel counts. Compute
 * only: the planner chooses the variant and ISA, transforms the weights
 * once (rc_wino_filter_transform), sizes the workspace
 * (rc_wino_workspace_size) and calls rc_wino_conv2d_nhwc per run. The
 * algorithm, the blocking into tile blocks and its reasons: docs/DESIGN.md
 * ("Winograd", "Stride-2 Winograd").
 *
 * Layouts (floats):
 *   x      NHWC [batch][in_h][in_w][in_c]
 *   y      NHWC [batch][out_h][out_w][out_c]
 *   w      OIHW [out_c][in_c][3][3] (PyTorch)
 *   u      transformed filter, U[p][cout/16][in_c][16]: for each stored
 *          position p (rc_wino_u_panel) and each block of 16 output channels,
 *          in_c rows of 16 output-channel lanes (the tile GEMM's packed
 *          panel); out_c is zero-padded to a multiple of 16.
 *          rc_wino_filter_size() floats, ISA-independent. Stride 1: p = ξ,
 *          α² of them. Stride 2: the odd phase's G rows are all (0, 1, 0),
 *          so the positions on its rows or columns share U: (m + 2)² stored
 *          (F(2,3) stride 2: 16 of 25, F(4,3) stride 2: 36 of 81).
 *   V, M   the workspace: one block of tiles' transformed input
 *          V[ξ][T][round_up(in_c, 8)] and GEMM output M[ξ][T][round_up(out_c, 16)]
 *
 * ISAs: the lines of wino_transform_ukernels.inc; AUTO takes the widest this
 * CPU runs (cpuinfo, once).
 *
 * Threads. pool may be NULL (run on the caller's thread). Every output
 * element is computed by the same operations in the same order whatever the
 * thread count and split, so results do not depend on it.
 *
 * Numerical error (fp32, against a float64 direct conv, tests/test_winograd.c):
 * F(2,3) about that of a direct fp32 conv, F(4,3) a few times more, F(6,3)
 * 4–10× more. */
#ifndef RC_KERNELS_WINO_H
#define RC_KERNELS_WINO_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/thread/pool.h"

#include "kernels/common/convert.h"

typedef enum rc_wino_variant {
  RC_WINO_F23 = 0, /* F(2×2, 3×3), α = 4 */
  RC_WINO_F43 = 1, /* F(4×4, 3×3), α = 6 */
  RC_WINO_F63 = 2, /* F(6×6, 3×3), α = 8 */
  /* Stride 2: 2×2 outputs from a 5×5 window, tiles 4 input pixels apart.
   * Per axis the even input phase is F(2,2) with taps (g0, g2), the odd one
   * tap g1 alone: 25 products for 4 outputs against 36 direct, all
   * transform entries 0 or ±1 (wino_matrices.h). Few input channels go
   * through the transforms too (no direct tiles); not in chains. */
  RC_WINO_F23S2 = 3,
  /* Stride 2, 4×4 outputs from a 9×9 window, tiles 8 input pixels apart:
   * per axis F(4,2) on the even phase (points 0, ±1, 1/2, ∞) and tap g1
   * alone on the odd one, 81 products for 16 outputs against F23S2's 100
   * (U: 36 stored positions of 81, 2.25× F23S2's 16). */
  RC_WINO_F43S2 = 4,
  RC_WINO_VARIANT_COUNT
} rc_wino_variant;
/* The stride-1 variants: the first this many. */
#define RC_WINO_STRIDE1_COUNT 3

/* RC_WINO_ISA_<ISA> per line of wino_transform_ukernels.inc (in its order,
 * after AUTO), which says what each one is. */
typedef enum rc_wino_isa {
  RC_WINO_ISA_AUTO = 0, /* the best available: the last available line */
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa) RC_WINO_ISA_##ISA,
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS
  RC_WINO_ISA_COUNT
} rc_wino_isa;

typedef enum rc_wino_activation {
  RC_WINO_ACT_NONE = 0,
  RC_WINO_ACT_RELU,  /* y < 0 ? 0 : y (NaN passes) */
  RC_WINO_ACT_CLIP,  /* y < min ? min : (y > max ? max : y) (NaN passes) */
  RC_WINO_ACT_PRELU, /* y < 0 ? slope[c]·y : y, one slope per output channel */
} rc_wino_activation;

typedef struct rc_wino_conv_params {
  rc_wino_variant variant;
  rc_wino_isa isa;
  int32_t batch;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c; /* out = (in + pads − 3) / stride + 1; bottom/right padding is implied */
  int32_t pad_top, pad_left;   /* ≥ 0 */
  rc_wino_activation activation;
  float act_min, act_max;    /* RC_WINO_ACT_CLIP */
  const float* prelu_slopes; /* RC_WINO_ACT_PRELU: out_c values */
  size_t l2_bytes;           /* blocking target; 0: rc_wino_default_l2_bytes() */
  /* Bytes between the threads' workspace slices (rounded down to 64); 0 or
   * less than this conv's own (rc_wino_slice_bytes): its own. The
   * workspace then holds n slices of the larger. An executor running
   * several convs in one workspace passes its largest, so that each thread
   * works in the same lines from one conv to the next. */
  size_t ws_slice_bytes;
  /* Chains (rc_wino_chain_*, read from the last layer): the threads the
   * caller plans the chain for. 1: its rings may take twice the column-
   * slicing budget (one thread's rings have the L3 to themselves); 0 or
   * more: the budget. The workspace size and the run must see the same. */
  int32_t chain_threads;
  /* Optional fused residual: NHWC [batch][out_h][out_w][residual_c] with
   * residual_c = out_c, or 1 (one value per pixel for every channel), added
   * after the bias and before the activation. NULL: none. */
  const float* residual;
  int32_t residual_c;
  /* Optional fused depth-to-space store with block r = shuffle ≥ 2 (out_c a
   * multiple of r²): y is then NHWC [batch][out_h·r][out_w·r][out_c/r²] and
   * conv channel k goes to pixel (oy·r + dy, ox·r + dx), channel c' where
   * k = (dy·r + dx)·(out_c/r²) + c' (DCR, shuffle_crd 0) or
   * k = c'·r² + dy·r + dx (CRD: PyTorch's PixelShuffle, shuffle_crd 1).
   * 0 or 1: plain NHWC store. */
  int32_t shuffle;
  int32_t shuffle_crd;
  /* Optional output binding (kernels/common/convert.h): NULL stores the
   * NHWC tensor y (the fast path, unchanged); else element (n, oy, ox, c)
   * of the output as described above (after the residual, the activation
   * and the depth-to-space) goes to the binding's place, as float or as
   * rc_float_to_u8, through the ISA's conversion kernel, and y is not
   * used (may be NULL). Tiles then go through the post-store scratch, as
   * with a residual. */
  const rc_binding* store;
  /* Optional input binding (of rc_wino_conv2d_nhwc, or of a chain's first
   * layer): element (n, iy, ix, c) of x is read through it
   * (rc_binding_load_pixels: bitwise the values the executor's load would
   * put in x), a row at a time as the input transform reaches it, into a
   * per-thread cache of α rows in the workspace (rc_wino_load_cache_bytes);
   * x is not used (may be NULL). The float input is never materialised. */
  const rc_binding* load;
  /* Optional: the residual read through this binding (element (n, oy, ox, c)
   * of the NHWC residual above, residual_c as above), one tile row segment
   * at a time, instead of from residual (then NULL). */
  const rc_binding* residual_load;
  /* Optional: U stored as binary16 halves (rc_f32_to_f16 of
   * rc_wino_filter_transform's floats, the same layout) instead of the
   * floats u; the GEMMs convert each panel into the workspace before
   * using it, exactly (the results are bitwise those of u = the halves'
   * values as floats). Not for convs computed directly (in_c ≤
   * RC_WINO_DIRECT_MAX_CIN). NULL: u. */
  const uint16_t* u_half;
} rc_wino_conv_params;

/* m (output tile side), α (input window side: m + 2, or 2m + 1 at stride
 * 2) and the conv stride of a variant; its name ("F(6,3)"). The largest α
 * is RC_WINO_MAX_ALPHA (F(4,3) stride 2's). */
#define RC_WINO_MAX_ALPHA 9
int rc_wino_tile_m(rc_wino_variant v);
int rc_wino_tile_alpha(rc_wino_variant v);
int rc_wino_stride(rc_wino_variant v);
const char* rc_wino_variant_name(rc_wino_variant v);

/* The transform positions the tiles of one axis of out pixels use, whose
 * product over the two axes is a conv's tile-GEMM rows per image:
 * ⌈out/m⌉·α, less 2 for F(4,3) when out mod 4 is 1 or 2 (its last tile
 * then runs the nested F(2,3): 14 = 4 + 4 + 4 + 2 is 6 + 6 + 6 + 4). */
size_t rc_wino_axis_points(rc_wino_variant v, size_t out);

/* 1 if the ISA can run on this CPU (AUTO and SCALAR always can). */
int rc_wino_isa_available(rc_wino_isa isa);
/* AUTO resolved to a concrete ISA; an unavailable ISA resolves to SCALAR. */
rc_wino_isa rc_wino_isa_resolve(rc_wino_isa isa);
const char* rc_wino_isa_name(rc_wino_isa isa);

/* L2 size used for blocking when the caller passes 0: cpuinfo's L2 size,
 * or 512 KiB when cpuinfo reports none. */
size_t rc_wino_default_l2_bytes(void);

/* Convs with at most this many input channels (a super-resolution net's
 * 1- or 3-channel head, which heads a chain) compute each m×m tile
 * directly, 9·in_c multiply-adds per output pixel and channel: the input
 * and output transforms and the GEMMs of depth in_c cost more than that.
 * Their "transformed filter" is then the weights themselves (below). */
#define RC_WINO_DIRECT_MAX_CIN 4

/* 1 if the variant computes convs of in_c input channels directly: a
 * stride-1 variant and in_c ≤ RC_WINO_DIRECT_MAX_CIN. */
int rc_wino_is_direct(rc_wino_variant v, size_t in_c);

/* Floats of the transformed filter: P · round_up(out_c, 16) · in_c with P
 * the stored positions (α² at stride 1, (m + 2)² at stride 2: see u above),
 * or 9 · round_up(out_c, 16) · in_c for direct convs (rc_wino_is_direct). */
size_t rc_wino_filter_size(rc_wino_variant v, size_t out_c, size_t in_c);
/* The stored position of U that position ξ < α² reads (see u above). */
size_t rc_wino_u_panel(rc_wino_variant v, size_t xi);

/* U = G g Gᵀ for every (out, in) channel pair, computed in double and rounded
 * once, written in the U layout above (padding lanes are 0). w is OIHW. For
 * direct convs: w copied as [in_c][ky·3 + kx][round_up(out_c,
 * 16)] instead (padding 0). Plan time; single-threaded; the result serves
 * every ISA. */
void rc_wino_filter_transform(rc_wino_variant v, size_t out_c, size_t in_c, const float* w_oihw, float* u);

/* Tiles per block for this layer shape and L2 size (l2_bytes 0: default). */
size_t rc_wino_block_tiles(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t l2_bytes);
/* The blocks a 1-thread run of `tiles` tiles makes (U is read once per
 * block: from memory for the first, mostly from L2 or L3 after). */
size_t rc_wino_blocks(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t tiles, size_t l2_bytes);

/* Workspace bytes of ONE thread's slice for these channels, output width and
 * L2 size (l2_bytes as in the params; any alignment, the kernel aligns it):
 * a block of L2 size, or of U's size when that is larger. Independent of
 * height and batch. A call with a pool of n threads needs n
 * slices (rc_wino_workspace_size × n bytes; see ws_slice_bytes). u_half: the params' u_half is
 * set (room for one converted U panel). */
size_t rc_wino_workspace_size(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t l2_bytes, int u_half);

/* Bytes of the input-row cache a run with p->load needs in each thread's
 * slice after the block buffers of rc_wino_workspace_size (0 without load). */
size_t rc_wino_load_cache_bytes(const rc_wino_conv_params* p);

/* One thread's workspace slice for the conv p describes:
 * rc_wino_workspace_size of its shape plus rc_wino_load_cache_bytes(p). */
size_t rc_wino_slice_bytes(const rc_wino_conv_params* p);

/* y = act(conv3x3(x, w) + bias) with u = rc_wino_filter_transform(w) (or
 * p->u_half; u is then not used). bias
 * may be NULL. workspace: at least rc_wino_slice_bytes(p) × threads bytes
 * (threads = rc_pool_threads(pool)), not shared with
 * a concurrent call. Results do not depend on the thread count. x and y must not overlap. Callers validate the
 * parameters (shapes consistent, channels ≥ 1); the kernel does not fail. */
void rc_wino_conv2d_nhwc(const rc_wino_conv_params* p, const float* x, const float* u, const float* bias, float* y,
                         void* workspace, rc_pool* pool);

/* ------------------------------------------------------------ chains
 *
 * A chain runs n ≥ 1 Winograd convs, each reading the one before, without
 * materialising the activations between them (kernels/winograd/wino_chain.c;
 * why and how: docs/DESIGN.md, "Winograd chains"). The output is
 * bitwise that of the layers run one by one with rc_wino_conv2d_nhwc,
 * whatever the thread count.
 *
 * Layer k + 1's in_h/in_w/in_c are layer k's out_h/out_w/out_c; all share
 * the batch and are stride 1; only the last layer may have a residual or a
 * shuffle. */
#define RC_WINO_CHAIN_MAX 32

typedef struct rc_wino_chain_layer {
  rc_wino_conv_params p;
  const float* u;    /* rc_wino_filter_transform of the layer's weights */
  const float* bias; /* or NULL */
} rc_wino_chain_layer;

/* Bytes of ONE thread's workspace slice (rings and the block buffers); a call
 * with a pool of T threads needs T slices. Independent of the height; at
 * large widths the rings hold column slices (rc_wino_chain_slices). 0 when the layers do not form a
 * chain (n outside [1, RC_WINO_CHAIN_MAX], shapes that do not connect). */
size_t rc_wino_chain_workspace_size(const rc_wino_chain_layer* layers, size_t n);

/* The column slices each thread runs the chain in (1: whole rows; more at
 * large widths, to bound the rings: wino_chain.c, chain_slices); 0 when the
 * layers do not form a chain. */
size_t rc_wino_chain_slices(const rc_wino_chain_layer* layers, size_t n);

/* y = the last layer's output of the chain applied to x (NHWC tensors of
 * whole images; y unused when the last layer has a binding, x when the
 * first has a load binding). Only the last layer may have a store binding
 * (or a residual), only the first a load binding. Returns 0, or −1 if the layers do not form a chain (the
 * planner checks first; nothing is written then). */
int rc_wino_chain_nhwc(const rc_wino_chain_layer* layers, size_t n, const float* x, float* y, void* workspace,
                       rc_pool* pool);

#endif

/* The planner: execution order, kernel choice per node and the activation
 * arena. A plan is made for one backend; the model keeps the plan of its load
 * options, a session whose options ask for another backend makes its own.
 * Plans are immutable once made and shared read-only; sessions own the arena
 * memory the plan lays out and the XNNPACK operators the plan asks for. */
#ifndef RC_PLAN_H
#define RC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/graph.h"
#include "kernels/gemm/gemm.h"
#include "kernels/ref/ref.h"
#include "kernels/winograd/wino.h"

#define RC_ARENA_ALIGN_FLOATS 16 /* 64 bytes: cache line and widest vector */
#define RC_NO_OFFSET SIZE_MAX

typedef enum rc_kernel_kind {
  RC_KERNEL_REF = 0,  /* kernels/ref */
  RC_KERNEL_XNNPACK,  /* kernels/xnnpack */
  RC_KERNEL_FUSED,    /* an activation computed by the step before it (out_min/out_max, or PReLU slopes) */
  RC_KERNEL_WINOGRAD, /* kernels/winograd: F(2,3)/F(4,3)/F(6,3) for stride-1 3x3 convs */
  RC_KERNEL_GEMM      /* kernels/gemm: im2col GEMM for other convs and fully connected layers */
} rc_kernel_kind;

/* Winograd option (repconv_options_set_winograd): the planner's rule, off, or
 * one variant forced wherever Winograd applies. */
#define RC_WINO_OPT_AUTO 0
#define RC_WINO_OPT_OFF (-1)

/* Transformed weights above this many bytes per layer are not planned by the
 * auto rule (a variant whose U would exceed it is skipped). */
#define RC_WINO_WEIGHT_CAP ((size_t)64 << 20)

/* One node of the execution order and the kernel that runs it. */
typedef struct rc_step {
  int32_t node;           /* node index */
  int32_t kind;           /* rc_kernel_kind */
  int32_t out;            /* tensor the step writes: the node's output, or a fused activation's */
  int32_t fused;          /* node index of the activation fused into this step, or -1 */
  float out_min, out_max; /* output clamp (fused ReLU/clip); −inf/+inf when none */
  int32_t crd_block;      /* conv: output channels permuted CRD→DCR for this pixel-shuffle block; 0 none */
  int32_t d2s_as_dcr;     /* depth-to-space CRD run as DCR (its producer permuted its channels) */
  int32_t pool_pad_bottom, pool_pad_right; /* pools on XNNPACK: padding incl. ceil_mode extra */
  /* RC_KERNEL_WINOGRAD: variant, fused activation and plan-owned constants. */
  int32_t wino_variant;     /* rc_wino_variant */
  int32_t wino_act;         /* rc_wino_activation (ReLU/clip from out_min/out_max, or PReLU) */
  int32_t wino_threads;     /* 1: the session's pool; 0: the caller's thread (a small layer) */
  const float* wino_u;      /* transformed filter (channels permuted when crd_block) */
  const float* wino_bias;   /* the conv's bias (a permuted copy when crd_block) or NULL */
  const float* wino_slopes; /* fused PReLU: out_c slopes (expanded/permuted copy) */
  int32_t wino_residual;    /* fused add: the tensor added before the activation, or -1 */
  int32_t wino_shuffle;     /* fused depth-to-space: its block (0: none) */
  int32_t wino_shuffle_crd; /* 1: CRD order (PyTorch PixelShuffle), 0: DCR */
  int32_t fused_into;       /* RC_KERNEL_FUSED: the step that computes this node (index before sorting) */
  /* Winograd chains (rc_wino_chain_nhwc): the head step runs every member. */
  int32_t chain_head; /* -1: not chained; else the index of the chain's first step (itself for the head) */
  int32_t chain_next; /* the next member's step index, -1 for the last */
  int32_t chain_len;  /* on the head: the number of layers (≥ 2) */
  /* RC_KERNEL_GEMM: fused activation and plan-owned packed constants. */
  int32_t gemm_act;         /* rc_gemm_activation (clamp from out_min/out_max, or PReLU) */
  int32_t gemm_threads;     /* 1: the session's pool; 0: the caller's thread (a small layer) */
  const float* gemm_w;      /* packed weights [groups][ocg/16][K][16] (channels permuted when crd_block) */
  const float* gemm_bias;   /* packed bias (rc_gemm_pack_channels) or NULL */
  const float* gemm_slopes; /* fused PReLU: packed slopes */
  char kernel[96];          /* "xnnpack:convolution2d_nhwc_f32+relu (fused)", "ref:conv2d", ... */
  char note[240];           /* why ref was used, why this Winograd variant, what was fused or permuted */
} rc_step;

typedef struct rc_plan {
  int32_t* order; /* node indices in execution order (fused activations right after their producer) */
  rc_step* steps; /* parallel to order */
  int32_t n_order;
  size_t* offset;              /* per tensor: float offset in the arena, RC_NO_OFFSET for constants and for
                           tensors no kernel materialises (a conv output whose activation is fused) */
  size_t arena_floats;         /* arena size in floats */
  int backend;                 /* repconv_backend */
  int winograd;                /* RC_WINO_OPT_AUTO, RC_WINO_OPT_OFF, or 2/4/6: the forced variant's tile */
  int autotune;                /* convs and FCs got the kernel timed fastest, not the rule's */
  int no_chains;               /* Winograd chains not formed (rc_plan_options) */
  size_t wino_workspace_bytes; /* the largest rc_wino_workspace_size of the Winograd steps (0: none) */
  size_t wino_weight_bytes;    /* transformed filters held by the plan */
  size_t gemm_workspace_bytes; /* the largest rc_gemm_workspace_size of the GEMM steps (0: none) */
  size_t gemm_weight_bytes;    /* packed GEMM weights held by the plan */
  float** owned;               /* plan-owned buffers (transformed filters, permuted biases, slopes) */
  int32_t n_owned, cap_owned;
} rc_plan;

typedef struct rc_plan_options {
  int backend;   /* repconv_backend */
  int winograd;  /* RC_WINO_OPT_AUTO, RC_WINO_OPT_OFF, 2, 4 or 6 */
  int autotune;  /* with backend and winograd AUTO: time each conv's/FC's candidate kernels, keep the fastest */
  int no_chains; /* 1: no Winograd chains (each layer through whole tensors) */
} rc_plan_options;

/* Shapes must be inferred. backend is a repconv_backend: REF runs every node
 * on kernels/ref; AUTO and XNNPACK run on XNNPACK every node it computes with
 * exactly our semantics (ref otherwise, the step's note says why), fuse a
 * ReLU/clip into the XNNPACK conv/gemm/binary producing its input when that
 * output has no other reader, and run a CRD depth-to-space as XNNPACK's DCR
 * by permuting the producing conv's output channels.
 * Lifetimes are positions in the execution order (inputs are born before the
 * first node, outputs live to the end); tensors whose lifetimes overlap never
 * share memory. Placement is greedy by size, lowest fitting offset first
 * (the overlapping tensors found through a tree over lifetimes: O(n log n)
 * on a chain; past a budget of overlaps examined, the rest go on top). */
rc_status rc_plan_create(const rc_graph* g, int backend, rc_plan* p);
/* The same with the Winograd option. Backends AUTO and WINOGRAD run stride-1,
 * dilation-1, ungrouped 3x3 convs with constant weights on kernels/winograd:
 *  - variant (AUTO, winograd option 0): the one with the least tile-GEMM work
 *    plus weight traffic, α²·(tiles + 48) (tiles = N·⌈H/m⌉·⌈W/m⌉, counting
 *    the partial tiles the border wastes; 48 tiles' worth of GEMM for
 *    streaming U once: RC_WINO_WEIGHT_TILES in plan.c), F(6,3) only when Cin and Cout ≥ 32 (below, the transforms
 *    dominate and F(6,3)'s cost most per output and carry 7× the error of
 *    F(2,3)); ties go to the smaller tile (less error); a variant whose
 *    transformed weights (1.8×/4×/7.1× the 3x3 weights) would exceed
 *    RC_WINO_WEIGHT_CAP is skipped, and if F(2,3)'s would too, XNNPACK runs
 *    the layer (backend AUTO; WINOGRAD still takes F(2,3)).
 *  - AUTO also leaves to XNNPACK the convs with Cin < 4 (e.g. the 1→16 first
 *    layer of a super-resolution net, 26 ms on XNNPACK vs 28 on F(4,3) at
 *    540x960): GEMMs with K = Cin that short do not pay for the transforms.
 *    Unless the conv would head a chain (below): then its output never goes
 *    to memory, which pays for them.
 *  - chains (option no_chains 0, the default): after the kernels are chosen,
 *    runs of consecutive Winograd steps (fused steps aside), each reading the
 *    one before as its only reader, with activations of at least
 *    RC_WINO_CHAIN_MIN_BYTES (4 MiB: below, they stay in cache between
 *    layers anyway) and residual/shuffle only on the last, become one chain
 *    (rc_wino_chain_nhwc) run by the first step; the others' entries are
 *    "fused" and the tensors between them get no arena. Measured on ECBSR
 *    at 540x960 (`repconv bench --chains on|off`, 1 thread): 64–70 ms vs
 *    79–80 ms layer by layer.
 *  - option 2/4/6 forces that variant wherever Winograd applies.
 *  - autotune (backend AUTO, winograd option AUTO): every conv and FC is
 *    timed on its real shape, on 1 thread (runtime/autotune.c), with each
 *    kernel that can compute it: the Winograd variants the rule would
 *    consider (same weight cap, F(6,3) only for C ≥ 32), the GEMM when a
 *    SIMD micro-kernel exists, XNNPACK; the fastest runs and the note gives
 *    the times. Planning then costs a few runs of each layer per candidate.
 * The filter transform happens here, once per plan (so once per model for the
 * sessions sharing the model's plan); the plan owns the result. Fused
 * activations (ReLU, clip, per-channel or shared PReLU) go into the output
 * transform, and so do a residual add after the conv (the other operand
 * computed earlier, of the conv's shape with Cout channels or 1; with the
 * ReLU/clip after the add) and a depth-to-space after that (CRD or DCR,
 * stored shuffled). Under backend XNNPACK a CRD pixel shuffle after a conv
 * runs as XNNPACK's DCR by permuting the conv's output channels (weights,
 * bias, slopes) before the transform. Layers with little work run on the caller's thread
 * (wino_threads 0, said in the note): see RC_WINO_MIN_PARALLEL_MACS in plan.c. */
rc_status rc_plan_create_ex(const rc_graph* g, const rc_plan_options* o, rc_plan* p);
/* The GEMM kernels (kernels/gemm), under backends AUTO and GEMM, for convs
 * and fully connected layers with constant weights and bias (FC: alpha 1,
 * beta 1 or no bias):
 *  - GEMM: every such node, Winograd off (to compare and to test them).
 *  - AUTO: the nodes Winograd does not take, when the GEMM is the faster
 *    option (measured, bench/case_layers.c): not depthwise-like (K =
 *    kh·kw·Cin/groups ≥ 16 and Cout/groups ≥ 8, so the 6×16 tile's lanes and
 *    loads pay), Cin/groups ≥ 4 (below, the im2col copies cost more than the
 *    GEMM: RepVGG-A0's 3→48 stem), output channels per group filling ≥ 7/8
 *    of the tile's column lanes (16, or 32 for the AVX-512 kernel: 48
 *    channels use 75% of 2×32 and lose to XNNPACK's 16-wide tiles), at least
 *    RC_GEMM_MIN_MACS multiply-adds, a SIMD micro-kernel
 *    for this CPU (the scalar one never beats XNNPACK), and the GEMM's
 *    vector width at least XNNPACK's on this CPU: Debian's XNNPACK runs
 *    512-bit kernels on an AVX-512 CPU, where repconv's 256-bit GEMM only
 *    wins on fully connected layers of ≤ RC_GEMM_FC_MAX_ROWS rows (a GEMV
 *    bound by the weight stream, which XNNPACK's 1-row path reads slower).
 * Weights are packed here, once per plan (rc_gemm_pack_weights, output
 * channels permuted CRD→DCR when a pixel shuffle follows); ReLU/clip and
 * PReLU after the node are fused into the GEMM's store. Layers under
 * RC_GEMM_MIN_PARALLEL_MACS run on the caller's thread (gemm_threads 0). */
void rc_plan_free(rc_plan* p);
/* The kernels/gemm parameters of conv or gemm node n (shapes, kernel, stride,
 * dilation, padding, groups; an FC is a 1x1 conv on 1x1 pixels); the
 * activation is the step's. */
rc_gemm_conv_params rc_plan_gemm_params(const rc_graph* g, const rc_node* n);
/* The kernels/ref (and XNNPACK) conv parameters of conv node n; bottom/right
 * padding is implied by the shapes. */
rc_conv2d_params rc_plan_conv_params(const rc_graph* g, const rc_node* n);
/* The kernels/winograd parameters (shapes, padding) of 3x3 conv node n for
 * variant v; no activation, residual or shuffle (the step adds those). */
rc_wino_conv_params rc_plan_wino_params(const rc_graph* g, const rc_node* n, int variant);
/* The same for Winograd step sp with its fused epilogue (activation, slopes,
 * shuffle, residual_c); the residual pointer is the caller's (NULL here). */
rc_wino_conv_params rc_plan_wino_step_params(const rc_graph* g, const rc_step* sp);
/* The chain of head step i as kernel layers (residual pointers NULL); returns
 * the number of layers (≤ RC_WINO_CHAIN_MAX). */
size_t rc_plan_wino_chain(const rc_graph* g, const rc_plan* p, int32_t head, rc_wino_chain_layer* layers);

/* Storage strides of a tensor in its own logical dims: channels-last for
 * activations, C order for constants (see graph.h). */
void rc_storage_strides(const rc_shape* s, int channels_last, int64_t strides[RC_MAX_DIMS]);
/* The logical shape padded on the right with 1s to rank 4. */
void rc_shape_dims4(const rc_shape* s, int64_t dims[4]);

/* Physical (storage-order) 4-D shape of input k of a binary node as XNNPACK's
 * numpy broadcasting sees it: [n, h, w, c] of the output's logical dims.
 * Returns 0 if that operand's storage cannot be described so (an activation
 * of lower rank than the output, or a constant with both channels and
 * spatial extent, stored NCHW). */
int rc_binary_physical_shape(const rc_graph* g, const rc_node* n, int k, size_t shape[4]);

#endif

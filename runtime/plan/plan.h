/* The planner: execution order, kernel choice per node and the activation
 * arena. A plan is made for one backend; the model keeps the plan of its load
 * options, a session whose options ask for another backend makes its own.
 * Plans are immutable once made and shared read-only; sessions own the arena
 * memory the plan lays out and the XNNPACK operators the plan asks for. */
#ifndef RC_PLAN_H
#define RC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/winograd/wino.h"
#include "runtime/graph/graph.h"

#define RC_ARENA_ALIGN_FLOATS 16 /* 64 bytes: cache line and widest vector */
#define RC_NO_OFFSET SIZE_MAX

typedef enum rc_kernel_kind {
  RC_KERNEL_REF = 0,  /* kernels/ref */
  RC_KERNEL_XNNPACK,  /* kernels/xnnpack */
  RC_KERNEL_FUSED,    /* an activation computed by the step before it (out_min/out_max, or PReLU slopes) */
  RC_KERNEL_WINOGRAD, /* kernels/winograd: F(2,3)/F(4,3)/F(6,3) for stride-1 3x3 convs */
  RC_KERNEL_GEMM      /* kernels/gemm: im2col GEMM for other convs and fully connected layers */
} rc_kernel_kind;

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
  int32_t wino_variant;        /* rc_wino_variant */
  int32_t wino_act;            /* rc_wino_activation (ReLU/clip from out_min/out_max, or PReLU) */
  int32_t wino_threads;        /* 1: the session's pool; 0: the caller's thread (a small layer) */
  const float* wino_u;         /* transformed filter (channels permuted when crd_block), or NULL: */
  const uint16_t* wino_u_half; /* the same as binary16 halves (weights_fp16) */
  const float* wino_bias;      /* the conv's bias (a permuted copy when crd_block) or NULL */
  const float* wino_slopes;    /* fused PReLU: out_c slopes (expanded/permuted copy) */
  int32_t wino_residual;       /* fused add: the tensor added before the activation, or -1 */
  int32_t wino_shuffle;        /* fused depth-to-space: its block (0: none) */
  int32_t wino_shuffle_crd;    /* 1: CRD order (PyTorch PixelShuffle), 0: DCR */
  int32_t fused_into;          /* RC_KERNEL_FUSED: the step that computes this node (index before sorting) */
  /* Winograd chains (rc_wino_chain_nhwc): the head step runs every member. */
  int32_t chain_head; /* -1: not chained; else the index of the chain's first step (itself for the head) */
  int32_t chain_next; /* the next member's step index, -1 for the last */
  int32_t chain_len;  /* on the head: the number of layers (≥ 2) */
  /* External outputs (rc_plan_options.external_outputs): on the Winograd
   * step that writes a graph output (a chain's last member), the index k in
   * g->outputs of the caller's binding it stores into; -1 otherwise. */
  int32_t out_external;
  /* External inputs (rc_plan_options.external_inputs): on a chain's head,
   * the index k in g->inputs of the caller's binding its first layer reads
   * (the input has no arena slot); -1 otherwise. */
  int32_t in_external;
  /* RC_KERNEL_GEMM: fused activation and plan-owned packed constants. */
  int32_t gemm_act;            /* rc_gemm_activation (clamp from out_min/out_max, or PReLU) */
  int32_t gemm_threads;        /* 1: the session's pool; 0: the caller's thread (a small layer) */
  const float* gemm_w;         /* packed weights [groups][ocg/16][K][16] (channels permuted when crd_block), or NULL: */
  const uint16_t* gemm_w_half; /* the same as binary16 halves (weights_fp16) */
  const float* gemm_bias;      /* packed bias (rc_gemm_pack_channels) or NULL */
  const float* gemm_slopes;    /* fused PReLU: packed slopes */
  char kernel[96];             /* "xnnpack:convolution2d_nhwc_f32+relu (fused)", "ref:conv2d", ... */
  char note[384];              /* why ref was used, why this Winograd variant, what was fused or permuted */
} rc_step;

typedef struct rc_plan {
  int32_t* order; /* node indices in execution order (fused activations right after their producer) */
  rc_step* steps; /* parallel to order */
  int32_t n_order;
  size_t* offset;              /* per tensor: float offset in the arena, RC_NO_OFFSET for constants and for
                           tensors no kernel materialises (a conv output whose activation is fused) */
  size_t arena_floats;         /* arena size in floats */
  int backend;                 /* repconv_backend */
  int winograd;                /* REPCONV_WINOGRAD_*: AUTO, OFF, or the forced variant's tile 2/4/6 */
  int autotune;                /* convs and FCs got the kernel timed fastest, not the rule's */
  int chains;                  /* Winograd chains formed (rc_plan_options) */
  int weights_fp16;            /* rc_plan_options.weights_fp16 */
  int threads;                 /* rc_plan_options.threads, at least 1 */
  int external_outputs;        /* rc_plan_options.external_outputs */
  int external_inputs;         /* rc_plan_options.external_inputs */
  size_t wino_workspace_bytes; /* the largest rc_wino_workspace_size of the Winograd steps (0: none) */
  size_t wino_weight_bytes;    /* transformed filters held by the plan (not those it shares) */
  size_t gemm_workspace_bytes; /* the largest rc_gemm_workspace_size of the GEMM steps (0: none) */
  size_t gemm_weight_bytes;    /* packed GEMM weights held by the plan (not those it shares) */
  struct rc_owned* owned;      /* plan-owned buffers (transformed filters, permuted biases, slopes) */
  int32_t n_owned, cap_owned;
} rc_plan;

typedef struct rc_plan_options {
  int backend;  /* repconv_backend */
  int winograd; /* REPCONV_WINOGRAD_AUTO (the rule), _OFF, or _F23/_F43/_F63 (that variant wherever Winograd applies) */
  int autotune; /* with backend and winograd AUTO: time each conv's/FC's candidate kernels, keep the fastest */
  int chains;   /* 1: runs of large Winograd layers become chains (the API's default); 0: layer by layer */
  int weights_fp16; /* 1: Winograd and GEMM weights stored as binary16 halves where they fit (pack.c) */
  /* The thread count the plan is tuned for (0 or 1: one): the Winograd rule
   * prices streamed weights by it (rules_wino.c). Every session of a model
   * plans with the model's, whatever its own, so its outputs do not depend
   * on how many threads run them. */
  int threads;
  /* 1: the run stores graph outputs into the caller's bindings
   * (rc_exec_run_io). A graph output written by a Winograd step or chain
   * (and read by no node) gets no arena space: the step stores it straight
   * into its binding (its out_external); the others keep their arena slot
   * and the executor converts them into their bindings after the run. The
   * notes say which. 0 (default): every output in the arena. */
  int external_outputs;
  /* 1: the run reads graph inputs from the caller's bindings
   * (rc_exec_run_io's inputs). A graph input read only by a Winograd
   * chain's first layer and as the residual of Winograd steps, in a plan
   * without XNNPACK steps (their NaN scan reads the inputs), gets no arena
   * slot: the chain converts its rows band by band as it reaches them (the
   * head's in_external); the others are loaded into the arena first
   * (rc_exec_load_input). The notes say which. 0 (default): every input in
   * the arena. */
  int external_inputs;
  /* Optional: a plan of the same model (the same nodes and constants, at
   * any input shapes; the model's own plan) that outlives this one. A
   * Winograd or GEMM step whose node that plan computes with the same
   * kernel on the same packed constants (variant, channel permutation,
   * fused PReLU, weights_fp16) points at its transformed or packed weights
   * instead of making a copy: the frame API's plans and the plans of other
   * input sizes then hold no second copy. NULL: every constant made here. */
  const struct rc_plan* share;
} rc_plan_options;

/* Plans graph g (shapes inferred) into *p; on failure *p is left empty.
 * backend is a repconv_backend: REF runs every node on kernels/ref; the
 * others run each node on the kernel the rules pick (Winograd, GEMM,
 * XNNPACK; ref where none computes it exactly; the step's note says which
 * and why), fuse activations, residual adds and pixel shuffles into the
 * step producing their input, and link Winograd chains (the rules and their
 * measured reasons: docs/DESIGN.md, "Rules and their measured reasons"). Transformed and packed weights are
 * made here, once per plan, and owned by it.
 * Arena: lifetimes are positions in the execution order (inputs are born
 * before the first node, outputs live to the end); tensors whose lifetimes
 * overlap never share memory. Placement is greedy by size, lowest fitting
 * offset first. Errors: REPCONV_ERROR_OUT_OF_MEMORY, REPCONV_ERROR_INTERNAL. */
rc_status rc_plan_create(const rc_graph* g, const rc_plan_options* o, rc_plan* p);
void rc_plan_free(rc_plan* p);

/* The kernels/winograd parameters of Winograd step sp with its fused
 * epilogue (activation, slopes, shuffle, residual_c); the residual pointer is
 * the caller's (NULL here). */
rc_wino_conv_params rc_plan_wino_step_params(const rc_graph* g, const rc_step* sp);
/* The chain of head step i as kernel layers (residual pointers NULL; the
 * first layer's load is rc_plan_load_placeholder when the head reads an
 * external input, for sizing: the executor sets the caller's binding);
 * returns the number of layers (≤ RC_WINO_CHAIN_MAX). */
size_t rc_plan_wino_chain(const rc_graph* g, const rc_plan* p, int32_t head, rc_wino_chain_layer* layers);
extern const rc_binding rc_plan_load_placeholder;

#endif

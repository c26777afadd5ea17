/* The planner: execution order, kernel choice per node and the activation
 * arena. A plan is made for one backend; the model keeps the plan of its load
 * options, a session whose options ask for another backend makes its own.
 * Plans are immutable once made and shared read-only; sessions own the arena
 * memory the plan lays out and the XNNPACK operators the plan asks for. */
#ifndef RC_PLAN_H
#define RC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

#define RC_ARENA_ALIGN_FLOATS 16 /* 64 bytes: cache line and widest vector */
#define RC_NO_OFFSET SIZE_MAX

typedef enum rc_kernel_kind {
  RC_KERNEL_REF = 0, /* kernels/ref */
  RC_KERNEL_XNNPACK, /* kernels/xnnpack */
  RC_KERNEL_FUSED    /* an activation computed by the step before it (out_min/out_max) */
} rc_kernel_kind;

/* One node of the execution order and the kernel that runs it. */
typedef struct rc_step {
  int32_t node;                 /* node index */
  int32_t kind;                 /* rc_kernel_kind */
  int32_t out;                  /* tensor the step writes: the node's output, or a fused activation's */
  int32_t fused;                /* node index of the activation fused into this step, or -1 */
  float out_min, out_max;       /* output clamp (fused ReLU/clip); −inf/+inf when none */
  int32_t crd_block;            /* conv: output channels permuted CRD→DCR for this pixel-shuffle block; 0 none */
  int32_t d2s_as_dcr;           /* depth-to-space CRD run as DCR (its producer permuted its channels) */
  int32_t pool_pad_bottom, pool_pad_right; /* pools on XNNPACK: padding incl. ceil_mode extra */
  char kernel[80];              /* "xnnpack:convolution2d_nhwc_f32+relu (fused)", "ref:conv2d", ... */
  char note[200];               /* why ref was used, what was fused or permuted; "" when nothing */
} rc_step;

typedef struct rc_plan {
  int32_t* order;       /* node indices in execution order (fused activations right after their producer) */
  rc_step* steps;       /* parallel to order */
  int32_t n_order;
  size_t* offset;       /* per tensor: float offset in the arena, RC_NO_OFFSET for constants and for
                           tensors no kernel materialises (a conv output whose activation is fused) */
  size_t arena_floats;  /* arena size in floats */
  int backend;          /* repconv_backend */
} rc_plan;

/* Shapes must be inferred. backend is a repconv_backend: REF runs every node
 * on kernels/ref; AUTO and XNNPACK run on XNNPACK every node it computes with
 * exactly our semantics (ref otherwise, the step's note says why), fuse a
 * ReLU/clip into the XNNPACK conv/gemm/binary producing its input when that
 * output has no other reader, and run a CRD depth-to-space as XNNPACK's DCR
 * by permuting the producing conv's output channels.
 * Lifetimes are positions in the execution order (inputs are born before the
 * first node, outputs live to the end); tensors whose lifetimes overlap never
 * share memory. Placement is greedy by size, lowest fitting offset first. */
rc_status rc_plan_create(const rc_graph* g, int backend, rc_plan* p);
void rc_plan_free(rc_plan* p);

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

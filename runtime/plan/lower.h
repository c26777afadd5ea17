/* Lowering: the parameters the planned kernel families (GEMM, Winograd, the
 * XNNPACK binary ops) take for one graph node. One unit that the planner,
 * autotune and the executor all use, so a layer is timed exactly as it will
 * run; the kernels/ref (and XNNPACK conv and pool) parameters are
 * runtime/eval's (eval.h), tensor layouts runtime/graph's (layout.h). Pure
 * functions of the graph: no allocation, no state. Shapes must be inferred. */
#ifndef RC_PLAN_LOWER_H
#define RC_PLAN_LOWER_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/gemm/gemm.h"
#include "kernels/winograd/wino.h"
#include "runtime/graph/graph.h"

/* The kernels/gemm parameters of conv or gemm node n (shapes, kernel, stride,
 * dilation, padding, groups; an FC is a 1x1 conv on 1x1 pixels); no
 * activation (the plan step adds it). */
rc_gemm_conv_params rc_lower_gemm_params(const rc_graph* g, const rc_node* n);
/* The kernels/winograd parameters (shapes, padding) of 3x3 conv node n for
 * variant (rc_wino_variant); no activation, residual or shuffle. */
rc_wino_conv_params rc_lower_wino_params(const rc_graph* g, const rc_node* n, int variant);

/* Physical (storage-order) 4-D shape of input k of a binary node as XNNPACK's
 * numpy broadcasting sees it: [n, h, w, c] of the output's logical dims.
 * Returns 0 if that operand's storage cannot be described so (an activation
 * of lower rank than the output, or a constant with both channels and
 * spatial extent, stored NCHW). */
int rc_binary_physical_shape(const rc_graph* g, const rc_node* n, int k, size_t shape[4]);

#endif

/* IR nodes and graphs on the reference kernels (kernels/ref): the one place
 * a node is lowered to the kernels/ref parameters and dispatched to them.
 * Loaders run whole graphs here to turn a constant subgraph into a constant
 * (ONNX Conv/BN/Pad/... whose inputs are all constants); the executor runs
 * its reference steps through rc_eval_node_pool. Below the planner and the
 * API: no plan, no session, the same results on every CPU.
 *
 * Storage follows the executor's (runtime/graph/graph.h): graph inputs and
 * computed values channels-last, constants in logical C order. */
#ifndef RC_EVAL_H
#define RC_EVAL_H

#include "kernels/thread/pool.h"

#include "kernels/ref/ref.h"
#include "runtime/graph/graph.h"
#include "runtime/graph/limit.h"

/* The kernels/ref (and XNNPACK) conv parameters of conv node n; bottom/right
 * padding is implied by the shapes. */
rc_conv2d_params rc_eval_conv_params(const rc_graph* g, const rc_node* n);
/* The kernels/ref (and XNNPACK) pooling parameters of avg/max pool node n,
 * with the node's own bottom/right padding. */
rc_pool_params rc_eval_pool_params(const rc_graph* g, const rc_node* n);

/* The kernels/ref resize parameters of resize node n: sizes from the
 * inferred shapes, the coordinate map's factor in/out when the node gives its
 * output size, else 1/scale. */
rc_resize_params rc_eval_resize_params(const rc_graph* g, const rc_node* n);

/* Node n of g on the reference kernels, on the caller's thread. in[k] is the
 * data of input k (NULL for an absent optional input): constants in C order,
 * other tensors channels-last; y receives the output, channels-last, sized
 * to its inferred shape. Shapes must be inferred. Fails (INTERNAL) only on
 * an op without a kernel. */
rc_status rc_eval_node(const rc_graph* g, const rc_node* n, const float* const* in, float* y);
/* rc_eval_node with the conv, pooling and GEMM kernels parallel over pool
 * (NULL: the caller's thread). Fails (OUT_OF_MEMORY) when a concat of many
 * inputs cannot allocate its channel list. */
rc_status rc_eval_node_pool(const rc_graph* g, const rc_node* n, const float* const* in, float* y, rc_pool* pool);

/* Runs every node of g (shapes inferred) in topological order with its graph
 * inputs bound to inputs[k] (one per g->inputs entry, logical C order) and
 * writes each graph output, logical C order, to outputs[k] (caller-owned,
 * sized to the output's shape). Before computing, takes each node's
 * multiply-adds (rc_node_flops / 2) from macs ("constant evaluation of node
 * '<name>'"; a NULL budget takes anything) and checks the bytes of the
 * values it holds against g->limits' arena-bytes. */
rc_status rc_eval_graph(const rc_graph* g, const float* const* inputs, float* const* outputs, rc_budget* macs);

#endif

/* Load-time evaluation of IR graphs on the reference kernels (kernels/ref):
 * what a loader runs to turn a constant subgraph into a constant (ONNX
 * Conv/BN/Pad/... whose inputs are all constants). Below the planner and the
 * API: no plan, no session, no thread pool, the same results on every CPU.
 *
 * Storage follows the executor's (runtime/graph/graph.h): graph inputs and
 * computed values channels-last, constants in logical C order. */
#ifndef RC_EVAL_H
#define RC_EVAL_H

#include "runtime/graph/graph.h"
#include "runtime/graph/limit.h"

/* Node n of g on the reference kernels, on the caller's thread. in[k] is the
 * data of input k (NULL for an absent optional input): constants in C order,
 * other tensors channels-last; y receives the output, channels-last, sized
 * to its inferred shape. Shapes must be inferred. Fails (INTERNAL) only on
 * an op without a kernel. */
rc_status rc_eval_node(const rc_graph* g, const rc_node* n, const float* const* in, float* y);

/* Runs every node of g (shapes inferred) in topological order with its graph
 * inputs bound to inputs[k] (one per g->inputs entry, logical C order) and
 * writes each graph output, logical C order, to outputs[k] (caller-owned,
 * sized to the output's shape). Before computing, takes each node's
 * multiply-adds (rc_node_flops / 2) from macs ("constant evaluation of node
 * '<name>'"; a NULL budget takes anything) and checks the bytes of the
 * values it holds against g->limits' arena-bytes. */
rc_status rc_eval_graph(const rc_graph* g, const float* const* inputs, float* const* outputs, rc_budget* macs);

#endif

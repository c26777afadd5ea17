/* A whole (small) graph on the reference kernels: one buffer per graph input
 * and computed value, nodes in topological order, layouts converted at the
 * edges (C order outside, channels-last inside, as the executor stores
 * activations). */
#include <stdlib.h>
#include <string.h>

#include "kernels/ref/ref.h"
#include "runtime/eval/eval.h"
#include "runtime/graph/layout.h"

/* Logical C order <-> channels-last copy of a tensor of shape s. */
static void relayout(const rc_shape* s, const float* x, int x_nhwc, float* y) {
  int64_t d[4];
  rc_shape_dims4(s, d);
  rc_ref_reshape(d, x_nhwc, x, d, !x_nhwc, y);
}

static rc_status take_budget(const rc_graph* g, rc_budget* macs) {
  for (int32_t k = 0; k < g->n_nodes; k++) {
    const rc_node* n = &g->nodes[k];
    RC_CHECK(rc_budget_take(macs, (uint64_t)rc_node_flops(g, n) / 2, "constant evaluation of node '%s'", n->name));
  }
  return REPCONV_OK;
}

/* One buffer per graph input and computed value, within arena-bytes. */
static rc_status alloc_values(const rc_graph* g, float** buf) {
  uint64_t bytes = 0;
  for (int32_t t = 0; t < g->n_tensors; t++) {
    if (g->tensors[t].kind != RC_TENSOR_CONST) bytes += (uint64_t)rc_shape_numel(&g->tensors[t].shape) * sizeof(float);
  }
  if (rc_limit_exceeded(&g->limits, REPCONV_LIMIT_ARENA_BYTES, bytes)) {
    return rc_limit_error(&g->limits, REPCONV_LIMIT_ARENA_BYTES, bytes, "constant evaluation of node '%s'",
                          g->n_nodes ? g->nodes[0].name : "?");
  }
  for (int32_t t = 0; t < g->n_tensors; t++) {
    const rc_tensor* tt = &g->tensors[t];
    if (tt->kind == RC_TENSOR_CONST) continue;
    int64_t n = rc_shape_numel(&tt->shape);
    buf[t] = malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!buf[t]) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "constant evaluation: out of memory for '%s'", tt->name);
  }
  return REPCONV_OK;
}

static rc_status run_nodes(const rc_graph* g, float** buf) {
  int32_t* order = malloc((size_t)(g->n_nodes ? g->n_nodes : 1) * sizeof(int32_t));
  if (!order) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "constant evaluation: out of memory");
  rc_status s = rc_graph_topo_order(g, order);
  for (int32_t i = 0; s == REPCONV_OK && i < g->n_nodes; i++) {
    const rc_node* n = &g->nodes[order[i]];
    enum { SMALL = 8 };
    const float* small[SMALL];
    const float** in = n->n_inputs <= SMALL ? small : malloc((size_t)n->n_inputs * sizeof(*in));
    if (!in) {
      s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "node '%s': out of memory", n->name);
      break;
    }
    for (int32_t k = 0; k < n->n_inputs; k++) {
      int32_t t = n->inputs[k];
      in[k] = t < 0 ? NULL : g->tensors[t].kind == RC_TENSOR_CONST ? g->tensors[t].data : buf[t];
    }
    s = rc_eval_node(g, n, in, buf[n->output]);
    if (in != small) free(in);
  }
  free(order);
  return s;
}

rc_status rc_eval_graph(const rc_graph* g, const float* const* inputs, float* const* outputs, rc_budget* macs) {
  RC_CHECK(take_budget(g, macs));
  float** buf = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(float*));
  if (!buf) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "constant evaluation: out of memory");
  rc_status s = alloc_values(g, buf);
  for (int32_t k = 0; s == REPCONV_OK && k < g->n_inputs; k++) {
    int32_t t = g->inputs[k];
    relayout(&g->tensors[t].shape, inputs[k], 0, buf[t]);
  }
  if (s == REPCONV_OK) s = run_nodes(g, buf);
  for (int32_t k = 0; s == REPCONV_OK && k < g->n_outputs; k++) {
    int32_t t = g->outputs[k];
    const rc_tensor* tt = &g->tensors[t];
    if (tt->kind == RC_TENSOR_CONST)
      memcpy(outputs[k], tt->data, (size_t)rc_shape_numel(&tt->shape) * sizeof(float));
    else
      relayout(&tt->shape, buf[t], 1, outputs[k]);
  }
  for (int32_t t = 0; t < g->n_tensors; t++) free(buf[t]);
  free(buf);
  return s;
}

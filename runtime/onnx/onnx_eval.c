/* Constant evaluation through the IR. A node whose inputs are all
 * constants but that only the IR knows (Conv, BatchNormalization, Pad, ...)
 * is imported into a one-node graph, run once on the reference kernels
 * (runtime/eval) and its result kept as a constant.
 *
 * The importer sees input 0 as a private copy made the one-node graph's input
 * (the value in the table stays a constant, so an input that repeats input 0
 * is still a constant). The other inputs get IR copies in the one-node graph
 * through ox_ir_const, which caches them by graph generation: a fresh one here,
 * so a cache entry from an earlier one-node graph, whose stack address this
 * graph may reuse, never matches. Their main-graph cache entries are put
 * back afterwards, by index, as defining the output may move x->v. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/eval/eval.h"
#include "runtime/onnx/onnx_eval.h"
#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_ring.h"
#include "runtime/onnx/onnx_tensor.h"

typedef struct ox_ir_cache {
  size_t index;
  int32_t tensor;
  const rc_graph* ir_graph;
  uint64_t ir_gen;
} ox_ir_cache;

rc_status ox_eval_via_ir(ox* x, ox_op_fn fn, ox_value** in, size_t n_in) {
  RC_CHECK(ox_materialize(x, in[0]));
  ox_value v0 = *in[0];
  if (v0.c.dtype != OX_FLOAT || v0.c.ndim > RC_MAX_DIMS || v0.c.ndim < 1) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "constant input '%s' of dtype %s, rank %d", v0.name,
                         ox_dtype_name(v0.c.dtype), v0.c.ndim);
  }
  ox_value** args = malloc(n_in * sizeof(*args));
  ox_ir_cache* cache = malloc(n_in * sizeof(*cache));
  if (!args || !cache) {
    free(args);
    free(cache);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  }
  for (size_t k = 0; k < n_in; k++) {
    args[k] = in[k];
    cache[k].index = SIZE_MAX;
    if (!in[k]) continue;
    cache[k] = (ox_ir_cache){(size_t)(in[k] - x->v), in[k]->tensor, in[k]->ir_graph, in[k]->ir_gen};
  }
  rc_graph tmp;
  rc_graph_init(&tmp);
  tmp.limits = *x->limits;
  rc_graph* saved = x->g;
  uint64_t saved_gen = x->gen;
  x->g = &tmp;
  x->gen = ++x->last_gen;
  rc_shape s0;
  memset(&s0, 0, sizeof(s0));
  s0.ndim = v0.c.ndim;
  for (int i = 0; i < s0.ndim; i++) s0.d[i] = v0.c.dims[i];
  int32_t in_id;
  rc_status s = rc_graph_add_input(&tmp, "x", &s0, &in_id);
  float* xin = NULL;
  float* yout = NULL;
  ox_value* ov = NULL;
  if (s == REPCONV_OK) {
    v0.kind = OX_TENSOR;
    v0.tensor = in_id;
    v0.ir_graph = &tmp;
    v0.ir_gen = x->gen;
    args[0] = &v0;
    s = fn(x, args, n_in);
  }
  if (s == REPCONV_OK) {
    ov = ox_find(x, x->node->output[0]);
    if (ov) s = ox_settle(x, ov); /* a pad is pending until read: make it now, in tmp */
  }
  x->g = saved;
  x->gen = saved_gen;
  for (size_t k = 1; k < n_in; k++) {
    if (cache[k].index == SIZE_MAX) continue;
    ox_value* v = &x->v[cache[k].index];
    v->tensor = cache[k].tensor;
    v->ir_graph = cache[k].ir_graph;
    v->ir_gen = cache[k].ir_gen;
  }
  free(args);
  free(cache);
  if (s == REPCONV_OK) {
    if (!ov || ov->kind != OX_TENSOR)
      s = ox_node_error(x, REPCONV_ERROR_INTERNAL, "constant evaluation made no tensor");
  }
  if (s == REPCONV_OK) s = rc_graph_add_output(&tmp, ov->tensor);
  if (s == REPCONV_OK) s = rc_graph_check_constants(&tmp); /* as loading a model refuses it */
  rc_shape out_shape;
  if (s == REPCONV_OK) {
    out_shape = tmp.tensors[ov->tensor].shape;
    xin = malloc((size_t)v0.c.numel * sizeof(float));
    yout = malloc((size_t)rc_shape_numel(&out_shape) * sizeof(float));
    if (!xin || !yout) s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  }
  if (s == REPCONV_OK) {
    for (int64_t k = 0; k < v0.c.numel; k++) xin[k] = (float)v0.c.d[k];
    const float* ins[1] = {xin};
    float* outs[1] = {yout};
    s = rc_eval_graph(&tmp, ins, outs, &x->macs);
  }
  if (s == REPCONV_OK) {
    ov->kind = OX_CONST;
    ov->tensor = -1;
    ov->ir_graph = NULL;
    ov->ir_gen = 0;
    ox_ring_free(ov->ring); /* it referred to tmp */
    ov->ring = NULL;
    s = ox_const_alloc(x, &ov->c, OX_FLOAT, out_shape.ndim, out_shape.d);
    if (s == REPCONV_OK) {
      for (int64_t k = 0; k < ov->c.numel; k++) ov->c.d[k] = yout[k];
    }
  }
  free(xin);
  free(yout);
  rc_graph_free(&tmp);
  return s;
}

/* Public API: a model at other input sizes. The folded graph is re-inferred
 * on a view that shares its constants (rc_graph_view); for a folded model
 * the graph before folding (its shape skeleton, no constant data) is
 * inferred at the same size and every tensor both graphs name must agree,
 * so a size change never runs a fold that is not exact there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/api/handles.h"

static const char* shapes_str(const rc_graph* g, const rc_shape* shapes, char* buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int32_t i = 0; i < g->n_inputs && used + 1 < size; i++) {
    char b[96];
    int w = snprintf(buf + used, size - used, "%s'%s' %s", i ? ", " : "", g->tensors[g->inputs[i]].name,
                     rc_shape_str(&shapes[i], b, sizeof(b)));
    if (w < 0) break;
    used += (size_t)w;
  }
  return buf;
}

static const char* model_shape_str(const rc_tensor* t, char* buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int k = 0; k < t->shape.ndim && used + 1 < size; k++) {
    int w = (t->dyn >> k & 1) ? snprintf(buf + used, size - used, k ? "x?" : "?")
                              : snprintf(buf + used, size - used, k ? "x%lld" : "%lld", (long long)t->shape.d[k]);
    if (w < 0) break;
    used += (size_t)w;
  }
  return buf;
}

rc_status rc_model_match_inputs(const repconv_model_t* m, const char* what, const repconv_tensor_t* inputs,
                                size_t num_inputs, rc_shape* shapes) {
  const rc_graph* g = &m->g;
  if (num_inputs && !inputs) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: NULL tensor array", what);
  if (num_inputs != (size_t)g->n_inputs) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: %zu inputs given, the model has %d", what, num_inputs,
                    g->n_inputs);
  }
  for (int32_t k = 0; k < g->n_inputs; k++) shapes[k].ndim = -1;
  for (size_t i = 0; i < num_inputs; i++) {
    const char* name = inputs[i].name;
    int32_t k = -1;
    for (int32_t j = 0; name && j < g->n_inputs; j++) {
      if (strcmp(g->tensors[g->inputs[j]].name, name) == 0) k = j;
    }
    if (k < 0)
      return rc_error(REPCONV_ERROR_NOT_FOUND, "%s: the model has no input named '%s'", what, name ? name : "(null)");
    if (shapes[k].ndim >= 0) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: input '%s' given twice", what, name);
    const rc_tensor* t = &g->tensors[g->inputs[k]];
    int ok = inputs[i].ndim == t->shape.ndim;
    for (int d = 0; ok && d < t->shape.ndim; d++) {
      ok = inputs[i].dims[d] >= 1 && inputs[i].dims[d] <= RC_MAX_DIM_VALUE &&
           ((t->dyn >> d & 1) || !t->dyn || inputs[i].dims[d] == t->shape.d[d]);
    }
    if (!ok) {
      char b1[96], b2[96];
      rc_shape given = {0, {0}};
      given.ndim = inputs[i].ndim < 0 ? 0 : (inputs[i].ndim > RC_MAX_DIMS ? RC_MAX_DIMS : inputs[i].ndim);
      for (int d = 0; d < given.ndim; d++) given.d[d] = inputs[i].dims[d];
      return rc_error(REPCONV_ERROR_SHAPE, "input '%s': shape %s given, the model's is %s", t->name,
                      rc_shape_str(&given, b1, sizeof(b1)), model_shape_str(t, b2, sizeof(b2)));
    }
    shapes[k].ndim = t->shape.ndim;
    for (int d = 0; d < t->shape.ndim; d++) shapes[k].d[d] = inputs[i].dims[d];
  }
  return REPCONV_OK;
}

/* The load-time shapes of a model without symbolic dims. */
static int at_load_shapes(const rc_graph* g, const rc_shape* shapes) {
  for (int32_t i = 0; i < g->n_inputs; i++) {
    if (!rc_shape_equal(&g->tensors[g->inputs[i]].shape, &shapes[i])) return 0;
  }
  return 1;
}

static rc_status set_inputs(rc_graph* v, const rc_graph* names, const rc_shape* shapes) {
  for (int32_t i = 0; i < names->n_inputs; i++) {
    int32_t t = rc_graph_find_tensor(v, names->tensors[names->inputs[i]].name);
    if (t < 0 || v->tensors[t].kind != RC_TENSOR_INPUT) {
      return rc_error(REPCONV_ERROR_INTERNAL, "input '%s' is missing from the graph before folding",
                      names->tensors[names->inputs[i]].name);
    }
    v->tensors[t].shape = shapes[i];
  }
  return REPCONV_OK;
}

/* A folded conv computing tensor `want`'s extent: its bottom/right padding
 * as the fold would have chosen it at this size (the least that gives the
 * extent; folds with a strided padded map inside are refused before). */
static int fit_pad(int64_t in, int64_t out, int32_t k, int32_t s, int32_t d, int32_t p0, int32_t* p1) {
  const int64_t span = (int64_t)(k - 1) * d + 1;
  int64_t pb = (out - 1) * s + span - in - p0;
  if (pb < 0) pb = 0;
  if (pb > 4096 || (in + p0 + pb - span) / s + 1 != out) return 0;
  *p1 = (int32_t)pb;
  return 1;
}

static rc_status infer_folded(const repconv_model_t* m, rc_graph* v, const rc_graph* skel) {
  int32_t* order = malloc(((size_t)v->n_nodes + 1) * sizeof(int32_t));
  if (!order) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "model: out of memory");
  rc_status s = rc_graph_topo_order(v, order);
  for (int32_t i = 0; s == REPCONV_OK && i < v->n_nodes; i++) {
    rc_node* n = &v->nodes[order[i]];
    s = rc_graph_infer_node(v, order[i]);
    if (s != REPCONV_OK || !skel || n->op != RC_OP_CONV2D) continue;
    int32_t t = rc_graph_find_tensor(skel, v->tensors[n->output].name);
    if (t < 0 || skel->tensors[t].shape.ndim != 4) continue;
    const rc_shape* want = &skel->tensors[t].shape;
    const rc_shape* got = &v->tensors[n->output].shape;
    if (got->d[2] == want->d[2] && got->d[3] == want->d[3]) continue;
    const rc_shape* x = &v->tensors[n->inputs[0]].shape;
    if (fit_pad(x->d[2], want->d[2], n->a.kernel[0], n->a.stride[0], n->a.dilation[0], n->a.pad[0], &n->a.pad[2]) &&
        fit_pad(x->d[3], want->d[3], n->a.kernel[1], n->a.stride[1], n->a.dilation[1], n->a.pad[1], &n->a.pad[3])) {
      s = rc_graph_infer_node(v, order[i]);
    }
  }
  free(order);
  (void)m;
  return s;
}

rc_status rc_model_view_at(const repconv_model_t* m, const rc_shape* shapes, rc_graph* view) {
  const rc_graph* g = &m->g;
  char b[512];
  rc_graph_init(view);
  if (m->size_fixed[0] && !at_load_shapes(g, shapes)) {
    char b2[512];
    rc_shape* load = calloc((size_t)g->n_inputs, sizeof(rc_shape));
    if (!load) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "model: out of memory");
    for (int32_t i = 0; i < g->n_inputs; i++) load[i] = g->tensors[g->inputs[i]].shape;
    shapes_str(g, load, b2, sizeof(b2));
    free(load);
    return rc_error(REPCONV_ERROR_SHAPE,
                    "the model runs only at the input shapes it was loaded with (%s), not %s: %s; load it with those "
                    "shapes (repconv_options_set_input_shape)",
                    b2, shapes_str(g, shapes, b, sizeof(b)), m->size_fixed);
  }
  rc_graph skel;
  rc_graph_init(&skel);
  rc_status s = REPCONV_OK;
  if (m->folded && m->skel.n_nodes) {
    s = rc_graph_view(&m->skel, &skel);
    if (s == REPCONV_OK) s = set_inputs(&skel, g, shapes);
    if (s == REPCONV_OK) s = rc_graph_infer_shapes(&skel);
    if (s != REPCONV_OK) {
      rc_graph_free(&skel);
      return rc_error_context(s, "at input %s", shapes_str(g, shapes, b, sizeof(b)));
    }
  }
  s = rc_graph_view(g, view);
  if (s == REPCONV_OK) {
    for (int32_t i = 0; i < g->n_inputs; i++) view->tensors[g->inputs[i]].shape = shapes[i];
    s = infer_folded(m, view, skel.n_nodes ? &skel : NULL);
  }
  /* Every tensor both graphs name must have the same shape at this size:
   * a fold that holds only at the load-time size shows here. */
  for (int32_t i = 0; s == REPCONV_OK && skel.n_nodes && i < view->n_tensors; i++) {
    const rc_tensor* t = &view->tensors[i];
    if (t->kind == RC_TENSOR_CONST) continue;
    int32_t k = rc_graph_find_tensor(&skel, t->name);
    if (k < 0 || rc_shape_equal(&skel.tensors[k].shape, &t->shape)) continue;
    char b1[96], b2[96];
    s = rc_error(REPCONV_ERROR_SHAPE,
                 "tensor '%s' is %s in the folded graph but %s in the model as loaded: the fold done at the load-time "
                 "size does not hold here; load the model at this size (repconv_options_set_input_shape) or without "
                 "folding",
                 t->name, rc_shape_str(&t->shape, b1, sizeof(b1)),
                 rc_shape_str(&skel.tensors[k].shape, b2, sizeof(b2)));
  }
  rc_graph_free(&skel);
  if (s != REPCONV_OK) {
    rc_graph_free(view);
    return rc_error_context(s, "at input %s", shapes_str(g, shapes, b, sizeof(b)));
  }
  return REPCONV_OK;
}

repconv_status repconv_model_infer_output(const repconv_model_t* model, const repconv_tensor_t* inputs,
                                          size_t num_inputs, size_t index, repconv_tensor_info_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_infer_output: NULL argument");
  const rc_graph* g = &model->g;
  if (index >= (size_t)g->n_outputs) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "model has %d outputs, asked for %zu", g->n_outputs, index);
  }
  rc_shape* shapes = calloc((size_t)g->n_inputs, sizeof(rc_shape));
  if (!shapes) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "model_infer_output: out of memory");
  rc_status s = rc_model_match_inputs(model, "model_infer_output", inputs, num_inputs, shapes);
  rc_graph view;
  if (s == REPCONV_OK) s = rc_model_view_at(model, shapes, &view);
  free(shapes);
  if (s != REPCONV_OK) return s;
  const rc_tensor* t = &view.tensors[g->outputs[index]];
  memset(out, 0, sizeof(*out));
  out->name = g->tensors[g->outputs[index]].name;
  out->ndim = t->shape.ndim;
  for (int k = 0; k < t->shape.ndim; k++) out->dims[k] = t->shape.d[k];
  rc_graph_free(&view);
  return REPCONV_OK;
}

/* Public API: models: load (file, memory, built-in), check, fold, plan;
 * save; describe (inputs, outputs, nodes, fold report); reference counts. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/api/handles.h"
#include "runtime/graph/checked.h"
#include "runtime/rcm/rcm.h"
#include "runtime/zoo/zoo.h"
#ifdef REPCONV_HAVE_ONNX
#include "runtime/onnx/onnx_import.h"
#endif

/* Replaces graph input shapes with the ones the options give. */
static rc_status apply_input_shapes(rc_graph* g, const struct repconv_options* o) {
  for (size_t k = 0; k < o->n_shapes; k++) {
    int32_t t = o->shape_names[k][0] ? rc_graph_find_tensor(g, o->shape_names[k]) : (g->n_inputs ? g->inputs[0] : -1);
    if (t < 0 || g->tensors[t].kind != RC_TENSOR_INPUT) {
      return rc_error(REPCONV_ERROR_NOT_FOUND, "a shape was given for input '%s', which the model does not have",
                      o->shape_names[k]);
    }
    rc_tensor* in = &g->tensors[t];
    if (in->shape.ndim != o->shapes[k].ndim) {
      char b1[96], b2[96];
      return rc_error(REPCONV_ERROR_SHAPE, "input '%s' is %s; the given shape %s has another rank", in->name,
                      rc_shape_str(&in->shape, b1, sizeof(b1)), rc_shape_str(&o->shapes[k], b2, sizeof(b2)));
    }
    in->shape = o->shapes[k];
  }
  return REPCONV_OK;
}

/* A graph built elsewhere (the builder, a built-in) against the load
 * options' limits; loaders check as they add. */
static rc_status check_graph_limits(const rc_graph* g) {
  if (rc_limit_exceeded(&g->limits, REPCONV_LIMIT_NODES, (uint64_t)g->n_nodes)) {
    return rc_limit_error(&g->limits, REPCONV_LIMIT_NODES, (uint64_t)g->n_nodes, "the graph");
  }
  if (rc_limit_exceeded(&g->limits, REPCONV_LIMIT_CONSTANT_BYTES, g->const_bytes)) {
    return rc_limit_error(&g->limits, REPCONV_LIMIT_CONSTANT_BYTES, g->const_bytes, "the graph's constants");
  }
  return REPCONV_OK;
}

/* The graph without its constant data: shapes, nodes and names are all
 * shape inference reads. */
static void strip_constants(rc_graph* g) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    rc_tensor* t = &g->tensors[i];
    if (t->data_owned) free(t->data);
    t->data = NULL;
    t->data_owned = 0;
  }
  if (g->blob) {
    if (g->blob_mapped) {
      rc_graph tmp;
      rc_graph_init(&tmp);
      tmp.blob = g->blob;
      tmp.blob_size = g->blob_size;
      tmp.blob_mapped = 1;
      rc_graph_free(&tmp);
    } else {
      free(g->blob);
    }
  }
  g->blob = NULL;
  g->const_bytes = 0;
}

/* Replaces the model's graph by its folded form and keeps the report; the
 * graph before folding stays as the shape skeleton. */
static rc_status fold_model(struct repconv_model* m, const struct repconv_options* o) {
  rc_fold_options fo = {
      .max_kernel = o->fold_max_kernel, .bn_only = o->fold_level == REPCONV_FOLD_BN, .limits = &o->limits};
  rc_graph folded;
  RC_CHECK(rc_fold_graph(&m->g, &fo, &folded, &m->fold));
  rc_status s = rc_graph_infer_shapes(&folded);
  if (s != REPCONV_OK) {
    rc_graph_free(&folded);
    return rc_error_context(REPCONV_ERROR_INTERNAL, "folded graph");
  }
  for (int32_t i = 0; i < folded.n_inputs; i++) {
    rc_tensor* t = &folded.tensors[folded.inputs[i]];
    int32_t k = rc_graph_find_tensor(&m->g, t->name);
    if (k >= 0) t->dyn = m->g.tensors[k].dyn;
  }
  if (m->fold.size_note[0] && !m->size_fixed[0]) {
    snprintf(m->size_fixed, sizeof(m->size_fixed), "folding relied on the load-time size at %s", m->fold.size_note);
  }
  strip_constants(&m->g);
  m->skel = m->g;
  m->g = folded;
  m->folded = 1;
  for (int32_t i = 0; i < m->g.n_nodes; i++) {
    m->fold.flops_after = rc_sat_add_i64(m->fold.flops_after, rc_node_flops(&m->g, &m->g.nodes[i]));
    m->fold.params_after += rc_node_params(&m->g, &m->g.nodes[i]);
  }
  return REPCONV_OK;
}

/* A model with symbolic input dims: no plan at load; the node queries'
 * order, and which dims of each tensor change with the input size (the
 * shapes at a second size compared with the placeholder's). */
static rc_status dynamic_info(struct repconv_model* m) {
  const rc_graph* g = &m->g;
  m->order = malloc(((size_t)g->n_nodes + 1) * sizeof(int32_t));
  m->dyn_mask = calloc((size_t)g->n_tensors + 1, 1);
  if (!m->order || !m->dyn_mask) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "model: out of memory");
  RC_CHECK(rc_graph_topo_order(g, m->order));
  rc_shape* shapes = calloc((size_t)g->n_inputs, sizeof(rc_shape));
  if (!shapes) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "model: out of memory");
  for (int32_t i = 0; i < g->n_inputs; i++) {
    const rc_tensor* t = &g->tensors[g->inputs[i]];
    shapes[i] = t->shape;
    for (int k = 0; k < t->shape.ndim; k++) {
      if (t->dyn >> k & 1) shapes[i].d[k] = t->shape.d[k] * 2 + 1;
    }
  }
  rc_graph view;
  rc_status s = rc_model_view_at(m, shapes, &view);
  free(shapes);
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const rc_tensor* t = &g->tensors[i];
    if (t->kind == RC_TENSOR_CONST) continue;
    for (int k = 0; k < t->shape.ndim; k++) {
      /* Where the second size does not infer, every dim of a computed
       * tensor is reported as dynamic: unknown rather than guessed. */
      if (s != REPCONV_OK ? t->kind == RC_TENSOR_VALUE || (t->dyn >> k & 1)
                          : view.tensors[i].shape.d[k] != t->shape.d[k])
        m->dyn_mask[i] |= (uint8_t)(1u << k);
    }
  }
  if (s == REPCONV_OK) rc_graph_free(&view);
  return REPCONV_OK;
}

rc_status rc_model_from_graph(rc_graph* g, const struct repconv_options* options, struct repconv_model** out) {
  struct repconv_options o = rc_options_or_default(options);
  struct repconv_model* m = calloc(1, sizeof(*m));
  if (!m) {
    rc_graph_free(g);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "model: out of memory");
  }
  m->g = *g;
  atomic_init(&m->refs, 1);
  rc_graph_init(g);
  m->g.limits = o.limits;
  m->limits = o.limits;
  rc_status s = check_graph_limits(&m->g);
  if (s == REPCONV_OK) s = apply_input_shapes(&m->g, &o);
  if (s == REPCONV_OK) s = rc_graph_infer_shapes(&m->g);
  if (s == REPCONV_OK) s = rc_graph_check_constants(&m->g);
  if (s == REPCONV_OK && m->g.size_fixed[0]) snprintf(m->size_fixed, sizeof(m->size_fixed), "%s", m->g.size_fixed);
  if (s == REPCONV_OK && o.fold_level != REPCONV_FOLD_OFF) s = fold_model(m, &o);
  int dynamic = 0;
  for (int32_t i = 0; i < m->g.n_inputs; i++) dynamic |= m->g.tensors[m->g.inputs[i]].dyn != 0;
  if (s == REPCONV_OK && dynamic && m->size_fixed[0]) {
    s = rc_error(REPCONV_ERROR_SHAPE,
                 "an input has symbolic dims, but %s: give it a static shape (repconv_options_set_input_shape) or "
                 "load without folding",
                 m->size_fixed);
  }
  rc_plan_options po = {.backend = (int)o.backend,
                        .winograd = o.winograd,
                        .autotune = o.autotune,
                        .chains = o.chains,
                        .weights_fp16 = o.weights_fp16,
                        .threads = o.threads,
                        /* as sessions run it (session.c, run_external) */
                        .external_outputs = 1,
                        .external_inputs = 1};
  m->has_plan = !dynamic;
  if (s == REPCONV_OK && dynamic) s = dynamic_info(m);
  if (s == REPCONV_OK && !dynamic) s = rc_plan_create(&m->g, &po, &m->plan);
  m->plan.backend = po.backend; /* sessions created without options take these */
  m->plan.winograd = po.winograd;
  m->plan.autotune = po.autotune && po.winograd == REPCONV_WINOGRAD_AUTO;
  m->plan.chains = po.chains != 0;
  m->plan.weights_fp16 = po.weights_fp16 != 0;
  m->plan.threads = po.threads;
  if (s != REPCONV_OK) {
    rc_model_release(m);
    return s;
  }
  *out = m;
  return REPCONV_OK;
}

#ifdef REPCONV_HAVE_ONNX
static void onnx_shapes(const struct repconv_options* o, rc_input_shape* out) {
  for (size_t k = 0; k < o->n_shapes; k++) {
    out[k].name = o->shape_names[k][0] ? o->shape_names[k] : NULL;
    out[k].shape = o->shapes[k];
  }
}
#endif

/* .rcm by its magic; anything else is taken for ONNX (protobuf has none). */
static rc_status load_file(const char* path, const repconv_options_t* options, rc_graph* g) {
  /* A FIFO or a device would block the sniffing read below or never end. */
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
    return rc_error(REPCONV_ERROR_IO, "%s: not a regular file (models are read from files)", path);
  }
  unsigned char head[8] = {0};
  size_t got = 0;
  FILE* f = fopen(path, "rb");
  if (f) {
    got = fread(head, 1, sizeof(head), f);
    fclose(f);
  }
  if (rc_rcm_has_magic(head, got)) return rc_rcm_load_file(path, g);
#ifdef REPCONV_HAVE_ONNX
  struct repconv_options o = rc_options_or_default(options);
  rc_input_shape shapes[RC_MAX_INPUT_SHAPES];
  onnx_shapes(&o, shapes);
  return rc_onnx_load_file(path, shapes, o.n_shapes, g);
#else
  (void)options;
  if (strstr(path, ".onnx")) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: this repconv was built without ONNX import (-DREPCONV_ONNX=OFF)",
                    path);
  }
  return rc_rcm_load_file(path, g);
#endif
}

static int is_file(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

repconv_status repconv_model_load(const char* path_or_name, const repconv_options_t* options, repconv_model_t** out) {
  if (!path_or_name || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_load: NULL argument");
  *out = NULL;
  rc_graph g;
  rc_graph_init(&g);
  g.limits = rc_options_or_default(options).limits;
  rc_status s;
  if (is_file(path_or_name)) {
    s = load_file(path_or_name, options, &g);
  } else if (rc_builtin_exists(path_or_name)) {
    s = rc_builtin_build(path_or_name, &g);
  } else {
    char names[256] = "";
    for (size_t i = 0; rc_builtin_name(i); i++) {
      if (i) strncat(names, ", ", sizeof(names) - strlen(names) - 1);
      strncat(names, rc_builtin_name(i), sizeof(names) - strlen(names) - 1);
    }
    return rc_error(REPCONV_ERROR_NOT_FOUND, "'%s': no such file, and no built-in model of that name (built-ins: %s)",
                    path_or_name, names);
  }
  if (s != REPCONV_OK) {
    rc_graph_free(&g);
    return s;
  }
  s = rc_model_from_graph(&g, options, out);
  if (s != REPCONV_OK) return rc_error_context(s, "%s", path_or_name);
  return REPCONV_OK;
}

repconv_status repconv_model_load_memory(const void* data, size_t size, const repconv_options_t* options,
                                         repconv_model_t** out) {
  if (!data || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_load_memory: NULL argument");
  *out = NULL;
  rc_graph g;
  rc_graph_init(&g);
  g.limits = rc_options_or_default(options).limits;
  rc_status s;
  if (rc_rcm_has_magic(data, size)) {
    s = rc_rcm_load_memory(data, size, &g);
  } else {
#ifdef REPCONV_HAVE_ONNX
    struct repconv_options o = rc_options_or_default(options);
    rc_input_shape shapes[RC_MAX_INPUT_SHAPES];
    onnx_shapes(&o, shapes);
    s = rc_onnx_load_memory(data, size, "model image", shapes, o.n_shapes, &g);
#else
    s = rc_error(REPCONV_ERROR_FORMAT, "model image: not an .rcm image (this build has no ONNX import)");
#endif
  }
  if (s != REPCONV_OK) {
    rc_graph_free(&g);
    return s;
  }
  return rc_model_from_graph(&g, options, out);
}

repconv_status repconv_model_save(const repconv_model_t* model, const char* path) {
  if (!model || !path) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_save: NULL argument");
  return rc_rcm_save_file(&model->g, path);
}

void rc_model_retain(const repconv_model_t* model) {
  /* The count is the one mutable part of a const model (see handles.h). */
  atomic_fetch_add_explicit(&((repconv_model_t*)model)->refs, 1, memory_order_relaxed);
}

/* Drops one reference; the last frees the model. acq_rel: every session's
 * reads of the model happen before the free. */
void rc_model_release(repconv_model_t* model) {
  if (atomic_fetch_sub_explicit(&model->refs, 1, memory_order_acq_rel) != 1) return;
  rc_fold_report_free(&model->fold);
  rc_plan_free(&model->plan);
  rc_graph_free(&model->g);
  rc_graph_free(&model->skel);
  free(model->order);
  free(model->dyn_mask);
  free(model);
}

void repconv_model_destroy(repconv_model_t* model) {
  if (model) rc_model_release(model);
}

const char* repconv_builtin_name(size_t index) { return rc_builtin_name(index); }

/* Dims that change with the input size of a model with symbolic dims are -1. */
static void tensor_info(const repconv_model_t* m, int32_t id, repconv_tensor_info_t* out) {
  const rc_tensor* t = &m->g.tensors[id];
  const uint8_t mask = m->dyn_mask ? m->dyn_mask[id] : 0;
  memset(out, 0, sizeof(*out));
  out->name = t->name;
  out->ndim = t->shape.ndim;
  for (int i = 0; i < t->shape.ndim; i++) out->dims[i] = (mask >> i & 1) ? -1 : t->shape.d[i];
}

size_t repconv_model_num_inputs(const repconv_model_t* model) { return model ? (size_t)model->g.n_inputs : 0; }
size_t repconv_model_num_outputs(const repconv_model_t* model) { return model ? (size_t)model->g.n_outputs : 0; }
size_t repconv_model_num_nodes(const repconv_model_t* model) { return model ? (size_t)model->g.n_nodes : 0; }

repconv_status repconv_model_input(const repconv_model_t* model, size_t index, repconv_tensor_info_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_input: NULL argument");
  if (index >= (size_t)model->g.n_inputs) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "model has %d inputs, asked for %zu", model->g.n_inputs, index);
  }
  tensor_info(model, model->g.inputs[index], out);
  return REPCONV_OK;
}

repconv_status repconv_model_output(const repconv_model_t* model, size_t index, repconv_tensor_info_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_output: NULL argument");
  if (index >= (size_t)model->g.n_outputs) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "model has %d outputs, asked for %zu", model->g.n_outputs, index);
  }
  tensor_info(model, model->g.outputs[index], out);
  return REPCONV_OK;
}

repconv_status repconv_model_node(const repconv_model_t* model, size_t index, repconv_node_info_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_node: NULL argument");
  if (index >= (size_t)model->g.n_nodes) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "model has %d nodes, asked for %zu", model->g.n_nodes, index);
  }
  const rc_graph* g = &model->g;
  const rc_node* n = &g->nodes[model->has_plan ? model->plan.order[index] : model->order[index]];
  memset(out, 0, sizeof(*out));
  out->name = n->name;
  out->op = rc_op_name(n->op);
  tensor_info(model, n->output, &out->output);
  out->params = rc_node_params(g, n);
  /* FLOPs at the placeholder size mean nothing for a model with symbolic dims. */
  out->flops = model->dyn_mask && model->dyn_mask[n->output] ? -1 : rc_node_flops(g, n);
  if (n->op == RC_OP_CONV2D || n->op == RC_OP_AVGPOOL || n->op == RC_OP_MAXPOOL) {
    out->kernel_h = n->a.kernel[0];
    out->kernel_w = n->a.kernel[1];
    out->stride_h = n->a.stride[0];
    out->stride_w = n->a.stride[1];
    out->groups = n->op == RC_OP_CONV2D ? n->a.groups : 0;
  }
  return REPCONV_OK;
}

repconv_status repconv_model_fold_summary(const repconv_model_t* model, repconv_fold_summary_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_fold_summary: NULL argument");
  memset(out, 0, sizeof(*out));
  if (!model->folded) return REPCONV_OK;
  const rc_fold_report* r = &model->fold;
  out->folded = 1;
  out->nodes_before = r->nodes_before;
  out->nodes_after = r->nodes_after;
  out->convs_before = r->convs_before;
  out->convs_after = r->convs_after;
  out->flops_before = r->flops_before;
  out->flops_after = r->flops_after;
  out->params_before = r->params_before;
  out->params_after = r->params_after;
  out->regions = r->n_regions;
  return REPCONV_OK;
}

repconv_status repconv_model_fold_region(const repconv_model_t* model, size_t index, repconv_fold_region_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_fold_region: NULL argument");
  if (index >= (size_t)model->fold.n_regions) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "model has %d fold regions, asked for %zu", model->fold.n_regions, index);
  }
  const rc_fold_region* g = &model->fold.regions[index];
  memset(out, 0, sizeof(*out));
  out->output = g->output;
  out->nodes_before = g->nodes_before;
  out->nodes_after = g->nodes_after;
  out->kernel_h = g->kh;
  out->kernel_w = g->kw;
  out->stride_h = g->sh;
  out->stride_w = g->sw;
  out->dilation_h = g->dh;
  out->dilation_w = g->dw;
  out->groups = g->groups;
  out->flops_before = g->flops_before;
  out->flops_after = g->flops_after;
  out->params_before = g->params_before;
  out->params_after = g->params_after;
  out->exact = g->exact;
  out->note = g->note;
  return REPCONV_OK;
}

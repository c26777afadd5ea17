/* Public API glue: options, models, sessions. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include <sys/stat.h>

#include "runtime/exec/exec.h"
#include "runtime/plan/lower.h"
#include "kernels/ref/ref.h"
#include "runtime/api/handles.h"
#include "runtime/zoo/zoo.h"
#include "runtime/rcm/rcm.h"
#ifdef REPCONV_HAVE_ONNX
#include "runtime/onnx/onnx_import.h"
#endif

#define RC_MAX_THREADS 256

/* ---------------------------------------------------------------- options */

repconv_status repconv_options_create(repconv_options_t** out) {
  if (!out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL out pointer");
  repconv_options_t* o = malloc(sizeof(*o));
  if (!o) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "options: out of memory");
  *o = rc_options_or_default(NULL);
  *out = o;
  return REPCONV_OK;
}

void repconv_options_destroy(repconv_options_t* options) { free(options); }

struct repconv_options rc_options_or_default(const struct repconv_options* options) {
  if (options) return *options;
  struct repconv_options d = {.threads = 1,
                              .fold = 1,
                              .fold_max_kernel = RC_FOLD_DEFAULT_MAX_KERNEL,
                              .backend = REPCONV_BACKEND_AUTO,
                              .limits = rc_limits_default()};
  return d;
}

repconv_status repconv_options_set_limit(repconv_options_t* options, repconv_limit limit, uint64_t value) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if ((unsigned)limit >= REPCONV_LIMIT_COUNT) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: unknown limit %d", (int)limit);
  }
  options->limits.v[limit] = value;
  return REPCONV_OK;
}

uint64_t repconv_options_get_limit(const repconv_options_t* options, repconv_limit limit) {
  if (!options || (unsigned)limit >= REPCONV_LIMIT_COUNT) return 0;
  return options->limits.v[limit];
}

repconv_status repconv_options_set_threads(repconv_options_t* options, int threads) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (threads < 1 || threads > RC_MAX_THREADS) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "threads: %d (must be 1 to %d)", threads, RC_MAX_THREADS);
  }
  options->threads = threads;
  return REPCONV_OK;
}

repconv_status repconv_options_set_fold_level(repconv_options_t* options, repconv_fold_level level) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (level != REPCONV_FOLD_OFF && level != REPCONV_FOLD_FULL && level != REPCONV_FOLD_BN) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "fold level: %d", (int)level);
  }
  options->fold = (int)level;
  return REPCONV_OK;
}

repconv_status repconv_options_set_fold(repconv_options_t* options, int enabled) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  options->fold = enabled != 0;
  return REPCONV_OK;
}

repconv_status repconv_options_set_fold_max_kernel(repconv_options_t* options, int k) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (k < 1 || k > 4096) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "fold max kernel: %d (1 to 4096)", k);
  options->fold_max_kernel = k;
  return REPCONV_OK;
}

repconv_status repconv_options_set_backend(repconv_options_t* options, repconv_backend backend) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (backend != REPCONV_BACKEND_AUTO && backend != REPCONV_BACKEND_REF && backend != REPCONV_BACKEND_XNNPACK &&
      backend != REPCONV_BACKEND_WINOGRAD && backend != REPCONV_BACKEND_GEMM) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "backend: %d is not a backend", (int)backend);
  }
  options->backend = backend;
  return REPCONV_OK;
}

repconv_status repconv_options_set_winograd(repconv_options_t* options, int tile) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (tile != REPCONV_WINOGRAD_AUTO && tile != REPCONV_WINOGRAD_OFF && tile != REPCONV_WINOGRAD_F23 &&
      tile != REPCONV_WINOGRAD_F43 && tile != REPCONV_WINOGRAD_F63) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "winograd: %d (0 auto, -1 off, or the tile 2, 4, 6)", tile);
  }
  options->winograd = tile;
  return REPCONV_OK;
}

repconv_status repconv_options_set_autotune(repconv_options_t* options, int on) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  options->autotune = on != 0;
  return REPCONV_OK;
}

repconv_status repconv_options_set_chains(repconv_options_t* options, int on) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  options->no_chains = !on;
  return REPCONV_OK;
}

repconv_status repconv_winograd_from_name(const char* name, int* out) {
  if (!name || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "winograd: NULL argument");
  static const struct {
    const char* name;
    int tile;
  } names[] = {{"auto", REPCONV_WINOGRAD_AUTO},
               {"off", REPCONV_WINOGRAD_OFF},
               {"2", 2},
               {"4", 4},
               {"6", 6},
               {"f2", 2},
               {"f4", 4},
               {"f6", 6},
               {"F2", 2},
               {"F4", 4},
               {"F6", 6},
               {"F(2,3)", 2},
               {"F(4,3)", 4},
               {"F(6,3)", 6}};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (strcmp(name, names[i].name) == 0) {
      *out = names[i].tile;
      return REPCONV_OK;
    }
  }
  return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "winograd '%s' is unknown (auto, off, 2, 4, 6)", name);
}

repconv_status repconv_options_set_input_shape(repconv_options_t* options, const char* name, int32_t ndim,
                                               const int64_t* dims) {
  if (!options || (ndim > 0 && !dims)) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape: NULL argument");
  const char* key = name ? name : "";
  if (strlen(key) >= RC_MAX_NAME) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape: name too long");
  if (ndim < 1 || ndim > RC_MAX_DIMS) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape for '%s': rank %d (1 to %d)", key, ndim, RC_MAX_DIMS);
  }
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = ndim;
  for (int i = 0; i < ndim; i++) {
    if (dims[i] < 1 || dims[i] > RC_MAX_DIM_VALUE) {
      return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape for '%s': dim %d is %lld", key, i,
                      (long long)dims[i]);
    }
    s.d[i] = dims[i];
  }
  size_t k = 0;
  while (k < options->n_shapes && strcmp(options->shape_names[k], key) != 0) k++;
  if (k == RC_MAX_INPUT_SHAPES) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape: at most %d inputs", RC_MAX_INPUT_SHAPES);
  }
  snprintf(options->shape_names[k], RC_MAX_NAME, "%s", key);
  options->shapes[k] = s;
  if (k == options->n_shapes) options->n_shapes++;
  return REPCONV_OK;
}

repconv_status repconv_backend_from_name(const char* name, repconv_backend* out) {
  if (!name || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "backend: NULL argument");
  if (strcmp(name, "auto") == 0) {
    *out = REPCONV_BACKEND_AUTO;
  } else if (strcmp(name, "ref") == 0) {
    *out = REPCONV_BACKEND_REF;
  } else if (strcmp(name, "xnnpack") == 0) {
    *out = REPCONV_BACKEND_XNNPACK;
  } else if (strcmp(name, "winograd") == 0) {
    *out = REPCONV_BACKEND_WINOGRAD;
  } else if (strcmp(name, "gemm") == 0) {
    *out = REPCONV_BACKEND_GEMM;
  } else {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "backend '%s' is unknown (auto, ref, xnnpack, winograd, gemm)",
                    name);
  }
  return REPCONV_OK;
}

/* ------------------------------------------------------------------ model */

/* Constants feed every output; a NaN weight would silently poison them, so it
 * is refused at load, naming the tensor and the element. Infinities are
 * legitimate (pad values for max pooling). */
static rc_status check_constants(const rc_graph* g) {
  for (int32_t t = 0; t < g->n_tensors; t++) {
    const rc_tensor* tt = &g->tensors[t];
    if (tt->kind != RC_TENSOR_CONST) continue;
    size_t n = (size_t)rc_shape_numel(&tt->shape);
    for (size_t i = 0; i < n; i++) {
      if (isnan(tt->data[i])) {
        return rc_error(REPCONV_ERROR_FORMAT, "constant '%s' holds NaN at element %zu", tt->name, i);
      }
    }
  }
  return REPCONV_OK;
}

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

/* Replaces the model's graph by its folded form and keeps the report. */
static rc_status fold_model(struct repconv_model* m, const struct repconv_options* o) {
  rc_fold_options fo = {.max_kernel = o->fold_max_kernel, .bn_only = o->fold == REPCONV_FOLD_BN, .limits = &o->limits};
  rc_graph folded;
  RC_CHECK(rc_fold_graph(&m->g, &fo, &folded, &m->fold));
  rc_status s = rc_graph_infer_shapes(&folded);
  if (s != REPCONV_OK) {
    rc_graph_free(&folded);
    return rc_error_context(REPCONV_ERROR_INTERNAL, "folded graph");
  }
  rc_graph_free(&m->g);
  m->g = folded;
  m->folded = 1;
  for (int32_t i = 0; i < m->g.n_nodes; i++) {
    m->fold.flops_after = rc_sat_add_i64(m->fold.flops_after, rc_node_flops(&m->g, &m->g.nodes[i]));
    m->fold.params_after += rc_node_params(&m->g, &m->g.nodes[i]);
  }
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
  if (s == REPCONV_OK) s = check_constants(&m->g);
  if (s == REPCONV_OK && o.fold) s = fold_model(m, &o);
  rc_plan_options po = {
      .backend = (int)o.backend, .winograd = o.winograd, .autotune = o.autotune, .chains = !o.no_chains};
  if (s == REPCONV_OK) s = rc_plan_create(&m->g, &po, &m->plan);
  if (s != REPCONV_OK) {
    rc_fold_report_free(&m->fold);
    rc_graph_free(&m->g);
    free(m);
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

static void model_retain(const repconv_model_t* model) {
  /* The count is the one mutable part of a const model (see model.h). */
  atomic_fetch_add_explicit(&((repconv_model_t*)model)->refs, 1, memory_order_relaxed);
}

/* Drops one reference; the last frees the model. acq_rel: every session's
 * reads of the model happen before the free. */
static void model_release(repconv_model_t* model) {
  if (atomic_fetch_sub_explicit(&model->refs, 1, memory_order_acq_rel) != 1) return;
  rc_fold_report_free(&model->fold);
  rc_plan_free(&model->plan);
  rc_graph_free(&model->g);
  free(model);
}

void repconv_model_destroy(repconv_model_t* model) {
  if (model) model_release(model);
}

const char* repconv_builtin_name(size_t index) { return rc_builtin_name(index); }

static void tensor_info(const rc_tensor* t, repconv_tensor_info_t* out) {
  memset(out, 0, sizeof(*out));
  out->name = t->name;
  out->ndim = t->shape.ndim;
  for (int i = 0; i < t->shape.ndim; i++) out->dims[i] = t->shape.d[i];
}

size_t repconv_model_num_inputs(const repconv_model_t* model) { return model ? (size_t)model->g.n_inputs : 0; }
size_t repconv_model_num_outputs(const repconv_model_t* model) { return model ? (size_t)model->g.n_outputs : 0; }
size_t repconv_model_num_nodes(const repconv_model_t* model) { return model ? (size_t)model->plan.n_order : 0; }

repconv_status repconv_model_input(const repconv_model_t* model, size_t index, repconv_tensor_info_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_input: NULL argument");
  if (index >= (size_t)model->g.n_inputs) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "model has %d inputs, asked for %zu", model->g.n_inputs, index);
  }
  tensor_info(&model->g.tensors[model->g.inputs[index]], out);
  return REPCONV_OK;
}

repconv_status repconv_model_output(const repconv_model_t* model, size_t index, repconv_tensor_info_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_output: NULL argument");
  if (index >= (size_t)model->g.n_outputs) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "model has %d outputs, asked for %zu", model->g.n_outputs, index);
  }
  tensor_info(&model->g.tensors[model->g.outputs[index]], out);
  return REPCONV_OK;
}

repconv_status repconv_model_node(const repconv_model_t* model, size_t index, repconv_node_info_t* out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_node: NULL argument");
  if (index >= (size_t)model->plan.n_order) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "model has %d nodes, asked for %zu", model->plan.n_order, index);
  }
  const rc_graph* g = &model->g;
  const rc_node* n = &g->nodes[model->plan.order[index]];
  memset(out, 0, sizeof(*out));
  out->name = n->name;
  out->op = rc_op_name(n->op);
  tensor_info(&g->tensors[n->output], &out->output);
  out->params = rc_node_params(g, n);
  out->flops = rc_node_flops(g, n);
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

/* ---------------------------------------------------------------- session */

struct repconv_session {
  repconv_model_t* model; /* holds a reference (model_retain) */
  atomic_int busy;        /* 1 while a call that uses the arena or pool runs: a second one is refused */
  const rc_plan* plan;    /* the model's, or own_plan for another backend */
  rc_plan own_plan;
  rc_exec_state xnn; /* this session's XNNPACK operators and Winograd workspace */
  float* arena;
  pthreadpool_t pool; /* NULL: run on the caller's thread */
  double* step_ms;    /* profiling on: the last run's time per plan entry */
  char error[4096];   /* as long as repconv_last_error's buffer: escaped messages are not cut */
};

static repconv_status session_fail(repconv_session_t* s, repconv_status code) {
  snprintf(s->error, sizeof(s->error), "%s", rc_error_message());
  return code;
}

repconv_status repconv_session_create(const repconv_model_t* model, const repconv_options_t* options,
                                      repconv_session_t** out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_create: NULL argument");
  *out = NULL;
  struct repconv_options o = rc_options_or_default(options);
  if (!options) {
    o.backend = (repconv_backend)model->plan.backend;
    o.winograd = model->plan.winograd;
    o.autotune = model->plan.autotune;
    o.no_chains = !model->plan.chains;
  }
  if (!options) o.limits = model->limits;
  repconv_session_t* s = calloc(1, sizeof(*s));
  if (!s) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: out of memory");
  model_retain(model);
  s->model = (repconv_model_t*)model;
  atomic_init(&s->busy, 0);
  s->plan = &model->plan;
  if ((int)o.backend != model->plan.backend || o.winograd != model->plan.winograd ||
      o.autotune != model->plan.autotune || o.no_chains != !model->plan.chains) {
    rc_plan_options po = {
        .backend = (int)o.backend, .winograd = o.winograd, .autotune = o.autotune, .chains = !o.no_chains};
    rc_status st = rc_plan_create(&model->g, &po, &s->own_plan);
    if (st != REPCONV_OK) {
      model_release(s->model);
      free(s);
      return rc_error_context(st, "session");
    }
    s->plan = &s->own_plan;
  }
  /* XNNPACK may read XNN_EXTRA_BYTES past the end of a tensor. */
  size_t bytes = (s->plan->arena_floats ? s->plan->arena_floats : RC_ARENA_ALIGN_FLOATS) * sizeof(float) + 64;
  const uint64_t need = (uint64_t)bytes + rc_exec_workspace_bytes(s->plan, o.threads > 1 ? (size_t)o.threads : 1);
  if (rc_limit_exceeded(&o.limits, REPCONV_LIMIT_ARENA_BYTES, need)) {
    repconv_session_destroy(s);
    return rc_limit_error(&o.limits, REPCONV_LIMIT_ARENA_BYTES, need,
                          "session: the activation arena and kernel workspaces");
  }
  s->arena = aligned_alloc(64, bytes);
  if (!s->arena) {
    repconv_session_destroy(s);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: cannot allocate the %zu-byte activation arena", bytes);
  }
  /* Not zeroed: every step writes its output before anything reads it, so a
   * large arena costs no page faults until used (Debug builds fill it with
   * NaN, so a read before a write shows in the outputs). XNNPACK's read-past
   * tail is zeroed. */
#ifndef NDEBUG
  for (size_t q = 0; q < (bytes - 64) / sizeof(float); q++) s->arena[q] = __builtin_nanf("");
#endif
  memset((char*)s->arena + bytes - 64, 0, 64);
  if (o.threads > 1) {
    s->pool = pthreadpool_create((size_t)o.threads);
    if (!s->pool) {
      repconv_session_destroy(s);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: cannot create a pool of %d threads", o.threads);
    }
  }
  rc_status st = rc_exec_prepare(&model->g, s->plan, s->arena, s->pool, &s->xnn);
  if (st != REPCONV_OK) {
    repconv_session_destroy(s);
    return rc_error_context(st, "session");
  }
  *out = s;
  return REPCONV_OK;
}

void repconv_session_destroy(repconv_session_t* session) {
  if (!session) return;
  rc_exec_release(&session->xnn);
  if (session->pool) pthreadpool_destroy(session->pool);
  free(session->arena);
  free(session->step_ms);
  if (session->plan == &session->own_plan) rc_plan_free(&session->own_plan);
  model_release(session->model);
  free(session);
}

/* Takes the session for one call; 0 (with repconv_last_error set, and the
 * session's own error left alone: its owner may be writing it) if another
 * thread holds it. */
static int session_acquire(repconv_session_t* s, const char* what) {
  int expected = 0;
  if (atomic_compare_exchange_strong_explicit(&s->busy, &expected, 1, memory_order_acquire, memory_order_relaxed)) {
    return 1;
  }
  rc_error(REPCONV_ERROR_INVALID_ARGUMENT,
           "%s: the session is in use by another call (a session runs one call at a time: use one session per "
           "thread; sessions of one model may run in parallel)",
           what);
  return 0;
}

static void session_release(repconv_session_t* s) { atomic_store_explicit(&s->busy, 0, memory_order_release); }

void (*rc_session_run_hook)(void* arg);
void* rc_session_run_hook_arg;

size_t repconv_session_arena_bytes(const repconv_session_t* session) {
  return session ? session->plan->arena_floats * sizeof(float) : 0;
}

repconv_backend repconv_session_backend(const repconv_session_t* session) {
  return session ? (repconv_backend)session->plan->backend : REPCONV_BACKEND_AUTO;
}

size_t repconv_session_num_plan_entries(const repconv_session_t* session) {
  return session ? (size_t)session->plan->n_order : 0;
}

repconv_status repconv_session_plan(const repconv_session_t* session, size_t index, repconv_plan_entry_t* out) {
  if (!session || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_plan: NULL argument");
  const rc_plan* p = session->plan;
  if (index >= (size_t)p->n_order) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "the plan has %d entries, asked for %zu", p->n_order, index);
  }
  const rc_step* st = &p->steps[index];
  const rc_node* n = &session->model->g.nodes[st->node];
  static const char* backends[] = {"ref", "xnnpack", "fused", "winograd", "gemm"};
  memset(out, 0, sizeof(*out));
  out->node = n->name;
  out->op = rc_op_name(n->op);
  /* A chain member is computed by its chain's head, like a fused activation. */
  out->backend = st->chain_head >= 0 && st->chain_head != (int32_t)index ? "fused" : backends[st->kind];
  out->kernel = st->kernel;
  out->note = st->note;
  return REPCONV_OK;
}

static repconv_status set_profiling(repconv_session_t* session, int on);

repconv_status repconv_session_set_profiling(repconv_session_t* session, int on) {
  if (!session) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_set_profiling: NULL session");
  /* A run writes the timings: they must not be freed under it. */
  if (!session_acquire(session, "session_set_profiling")) return REPCONV_ERROR_INVALID_ARGUMENT;
  repconv_status s = set_profiling(session, on);
  session_release(session);
  return s;
}

static repconv_status set_profiling(repconv_session_t* session, int on) {
  if (!on) {
    free(session->step_ms);
    session->step_ms = NULL;
    return REPCONV_OK;
  }
  if (session->step_ms) return REPCONV_OK;
  session->step_ms = calloc((size_t)session->plan->n_order + 1, sizeof(double));
  if (!session->step_ms) {
    rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session_set_profiling: out of memory");
    return session_fail(session, REPCONV_ERROR_OUT_OF_MEMORY);
  }
  return REPCONV_OK;
}

repconv_status repconv_session_step_time(const repconv_session_t* session, size_t index, double* ms) {
  if (!session || !ms) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_step_time: NULL argument");
  if (index >= (size_t)session->plan->n_order) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "the plan has %d entries, asked for %zu", session->plan->n_order, index);
  }
  *ms = session->step_ms ? session->step_ms[index] : 0.0;
  return REPCONV_OK;
}

const char* repconv_session_error(const repconv_session_t* session) { return session ? session->error : ""; }

static const char* dims_str(int32_t ndim, const int64_t* dims, char* buf, size_t size) {
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = ndim < 0 ? 0 : (ndim > RC_MAX_DIMS ? RC_MAX_DIMS : ndim);
  for (int i = 0; i < s.ndim; i++) s.d[i] = dims[i];
  return rc_shape_str(&s, buf, size);
}

/* Index into ids[] of the graph tensor with that name, or -1. */
static int32_t find_io(const rc_graph* g, const int32_t* ids, int32_t n, const char* name) {
  for (int32_t i = 0; i < n; i++) {
    if (name && strcmp(g->tensors[ids[i]].name, name) == 0) return i;
  }
  return -1;
}

static rc_status check_dims(const char* what, const repconv_tensor_t* t, const rc_tensor* want) {
  char b1[96], b2[96];
  int ok = t->ndim == want->shape.ndim;
  for (int i = 0; ok && i < t->ndim; i++) ok = t->dims[i] == want->shape.d[i];
  if (!ok) {
    return rc_error(REPCONV_ERROR_SHAPE, "%s '%s': shape %s given, the model's is %s", what, want->name,
                    dims_str(t->ndim, t->dims, b1, sizeof(b1)), rc_shape_str(&want->shape, b2, sizeof(b2)));
  }
  if (!t->data) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s '%s': NULL data", what, want->name);
  return REPCONV_OK;
}

static repconv_status session_run(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs,
                                  repconv_tensor_t* outputs, size_t num_outputs);

repconv_status repconv_session_run(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs,
                                   repconv_tensor_t* outputs, size_t num_outputs) {
  if (!session) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: NULL session");
  if (!session_acquire(session, "session_run")) return REPCONV_ERROR_INVALID_ARGUMENT;
  if (rc_session_run_hook) rc_session_run_hook(rc_session_run_hook_arg);
  repconv_status s = session_run(session, inputs, num_inputs, outputs, num_outputs);
  session_release(session);
  return s;
}

static repconv_status session_run(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs,
                                  repconv_tensor_t* outputs, size_t num_outputs) {
  session->error[0] = '\0';
  const repconv_model_t* m = session->model;
  const rc_graph* g = &m->g;
  if ((num_inputs && !inputs) || (num_outputs && !outputs)) {
    rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: NULL tensor array");
    return session_fail(session, REPCONV_ERROR_INVALID_ARGUMENT);
  }
  if (num_inputs != (size_t)g->n_inputs) {
    rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: %zu inputs given, the model has %d", num_inputs,
             g->n_inputs);
    return session_fail(session, REPCONV_ERROR_INVALID_ARGUMENT);
  }
  /* Validate everything before computing anything. */
  uint8_t* seen = calloc((size_t)g->n_inputs, 1);
  if (!seen) {
    rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session_run: out of memory");
    return session_fail(session, REPCONV_ERROR_OUT_OF_MEMORY);
  }
  rc_status s = REPCONV_OK;
  for (size_t i = 0; i < num_inputs && s == REPCONV_OK; i++) {
    int32_t k = find_io(g, g->inputs, g->n_inputs, inputs[i].name);
    if (k < 0) {
      s = rc_error(REPCONV_ERROR_NOT_FOUND, "session_run: the model has no input named '%s'",
                   inputs[i].name ? inputs[i].name : "(null)");
    } else if (seen[k]) {
      s = rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: input '%s' given twice", inputs[i].name);
    } else {
      seen[k] = 1;
      s = check_dims("input", &inputs[i], &g->tensors[g->inputs[k]]);
    }
  }
  free(seen);
  if (s != REPCONV_OK) return session_fail(session, s);
  for (size_t i = 0; i < num_outputs; i++) {
    int32_t k = find_io(g, g->outputs, g->n_outputs, outputs[i].name);
    if (k < 0) {
      rc_error(REPCONV_ERROR_NOT_FOUND, "session_run: the model has no output named '%s'",
               outputs[i].name ? outputs[i].name : "(null)");
      return session_fail(session, REPCONV_ERROR_NOT_FOUND);
    }
    s = check_dims("output", &outputs[i], &g->tensors[g->outputs[k]]);
    if (s != REPCONV_OK) return session_fail(session, s);
  }
  /* NCHW (caller) → channels-last (arena). */
  for (size_t i = 0; i < num_inputs; i++) {
    int32_t t = g->inputs[find_io(g, g->inputs, g->n_inputs, inputs[i].name)];
    int64_t d[4];
    rc_shape_dims4(&g->tensors[t].shape, d);
    rc_ref_reshape(d, 0, inputs[i].data, d, 1, session->arena + session->plan->offset[t]);
  }
  s = rc_exec_run(g, session->plan, &session->xnn, session->arena, session->pool, session->step_ms);
  if (s != REPCONV_OK) return session_fail(session, s);
  for (size_t i = 0; i < num_outputs; i++) {
    int32_t t = g->outputs[find_io(g, g->outputs, g->n_outputs, outputs[i].name)];
    int64_t d[4];
    rc_shape_dims4(&g->tensors[t].shape, d);
    rc_ref_reshape(d, 1, session->arena + session->plan->offset[t], d, 0, outputs[i].data);
  }
  return REPCONV_OK;
}

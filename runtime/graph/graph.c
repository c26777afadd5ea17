#include "runtime/graph/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime/graph/checked.h"

static const char* const k_op_names[RC_OP_COUNT] = {
    [RC_OP_CONV2D] = "conv2d",
    [RC_OP_BATCHNORM] = "batchnorm",
    [RC_OP_ADD] = "add",
    [RC_OP_SUB] = "sub",
    [RC_OP_MUL] = "mul",
    [RC_OP_DIV] = "div",
    [RC_OP_CONCAT] = "concat",
    [RC_OP_PAD] = "pad",
    [RC_OP_AVGPOOL] = "avgpool",
    [RC_OP_MAXPOOL] = "maxpool",
    [RC_OP_GLOBAL_AVGPOOL] = "global_avgpool",
    [RC_OP_GEMM] = "gemm",
    [RC_OP_FLATTEN] = "flatten",
    [RC_OP_RESHAPE] = "reshape",
    [RC_OP_RELU] = "relu",
    [RC_OP_PRELU] = "prelu",
    [RC_OP_LEAKY_RELU] = "leaky_relu",
    [RC_OP_CLIP] = "clip",
    [RC_OP_SIGMOID] = "sigmoid",
    [RC_OP_DEPTH_TO_SPACE] = "depth_to_space",
    [RC_OP_UPSAMPLE_NEAREST] = "upsample_nearest",
    [RC_OP_IDENTITY] = "identity",
    [RC_OP_PATCH_PARTITION] = "patch_partition",
    [RC_OP_PATCH_MERGE] = "patch_merge",
    [RC_OP_RESIZE] = "resize",
    [RC_OP_HARD_SIGMOID] = "hard_sigmoid",
};

const char* rc_op_name(rc_op op) {
  if ((unsigned)op >= RC_OP_COUNT) return "invalid";
  return k_op_names[op];
}

int64_t rc_shape_numel(const rc_shape* s) {
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++) n *= s->d[i];
  return n;
}

int rc_shape_equal(const rc_shape* a, const rc_shape* b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++) {
    if (a->d[i] != b->d[i]) return 0;
  }
  return 1;
}

const char* rc_dims_str(int32_t ndim, const int64_t* dims, rc_shape_style style, char* buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  if (style == RC_SHAPE_TUPLE) {
    used += (size_t)snprintf(buf, size, "(");
    for (int32_t i = 0; i < ndim && used < size; i++) {
      used += (size_t)snprintf(buf + used, size - used, i ? ", %lld" : "%lld", (long long)dims[i]);
    }
    if (used < size) snprintf(buf + used, size - used, ndim == 1 ? ",)" : ")");
    return buf;
  }
  if (ndim <= 0) {
    snprintf(buf, size, "scalar");
    return buf;
  }
  for (int32_t i = 0; i < ndim && used < size; i++) {
    int w = snprintf(buf + used, size - used, i ? "x%lld" : "%lld", (long long)dims[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
  return buf;
}

const char* rc_shape_str(const rc_shape* s, char* buf, size_t size) {
  return rc_dims_str(s->ndim, s->d, RC_SHAPE_X, buf, size);
}

rc_attrs rc_attrs_default(void) {
  rc_attrs a;
  memset(&a, 0, sizeof(a));
  a.stride[0] = a.stride[1] = 1;
  a.dilation[0] = a.dilation[1] = 1;
  a.groups = 1;
  a.scale[0] = a.scale[1] = 1;
  a.alpha = 1.0f;
  a.beta = 1.0f;
  a.axis = 1;
  return a;
}

void rc_graph_init(rc_graph* g) { memset(g, 0, sizeof(*g)); }

void rc_graph_free(rc_graph* g) {
  if (!g) return;
  if (g->view) {
    free(g->tensors);
    free(g->nodes);
    memset(g, 0, sizeof(*g));
    return;
  }
  for (int32_t i = 0; i < g->n_tensors; i++) {
    free(g->tensors[i].name);
    if (g->tensors[i].data_owned) free(g->tensors[i].data);
  }
  for (int32_t i = 0; i < g->n_nodes; i++) {
    free(g->nodes[i].name);
    free(g->nodes[i].inputs);
  }
  free(g->tensors);
  free(g->nodes);
  free(g->inputs);
  free(g->outputs);
  free(g->name_slots);
  if (g->blob) {
    if (g->blob_mapped) {
      munmap(g->blob, g->blob_size);
    } else {
      free(g->blob);
    }
  }
  memset(g, 0, sizeof(*g));
}

rc_status rc_graph_view(const rc_graph* g, rc_graph* view) {
  *view = *g;
  view->view = 1;
  view->blob = NULL;
  view->tensors = malloc(((size_t)g->n_tensors + 1) * sizeof(rc_tensor));
  view->nodes = malloc(((size_t)g->n_nodes + 1) * sizeof(rc_node));
  if (!view->tensors || !view->nodes) {
    free(view->tensors);
    free(view->nodes);
    memset(view, 0, sizeof(*view));
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph view: out of memory");
  }
  if (g->n_tensors) memcpy(view->tensors, g->tensors, (size_t)g->n_tensors * sizeof(rc_tensor));
  if (g->n_nodes) memcpy(view->nodes, g->nodes, (size_t)g->n_nodes * sizeof(rc_node));
  view->cap_tensors = g->n_tensors;
  view->cap_nodes = g->n_nodes;
  for (int32_t i = 0; i < view->n_tensors; i++) view->tensors[i].data_owned = 0;
  return REPCONV_OK;
}

rc_status rc_graph_set_input_dyn(rc_graph* g, int32_t input, uint8_t dims_mask) {
  if (input < 0 || input >= g->n_inputs) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "graph has %d inputs, asked for %d", g->n_inputs, input);
  }
  rc_tensor* t = &g->tensors[g->inputs[input]];
  if (dims_mask >> t->shape.ndim) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input '%s' has %d dims; dynamic mask 0x%x", t->name, t->shape.ndim,
                    dims_mask);
  }
  t->dyn = dims_mask;
  return REPCONV_OK;
}

/* ------------------------------------------------------------ name index */

static size_t name_hash(const char* s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return (size_t)(h ^ (h >> 32));
}

int32_t rc_graph_find_tensor(const rc_graph* g, const char* name) {
  if (!g->name_cap) return -1;
  for (size_t h = name_hash(name) & (g->name_cap - 1);; h = (h + 1) & (g->name_cap - 1)) {
    int32_t id = g->name_slots[h];
    if (id < 0) return -1;
    if (strcmp(g->tensors[id].name, name) == 0) return id;
  }
}

static void index_put(int32_t* slots, size_t cap, const char* name, int32_t id) {
  size_t h = name_hash(name) & (cap - 1);
  while (slots[h] >= 0) h = (h + 1) & (cap - 1);
  slots[h] = id;
}

/* Room in the index for one more tensor (load at most 1/2). */
static int index_reserve(rc_graph* g) {
  if (((size_t)g->n_tensors + 1) * 2 <= g->name_cap) return 1;
  size_t cap = g->name_cap ? g->name_cap * 2 : 128;
  int32_t* slots = malloc(cap * sizeof(int32_t));
  if (!slots) return 0;
  memset(slots, 0xff, cap * sizeof(int32_t));
  for (int32_t i = 0; i < g->n_tensors; i++) index_put(slots, cap, g->tensors[i].name, i);
  free(g->name_slots);
  g->name_slots = slots;
  g->name_cap = cap;
  return 1;
}

/* Removes tensor id from the index (backward-shift deletion: the entries
 * after it in its probe run move up, so no lookup stops early). */
static void index_remove(rc_graph* g, int32_t id) {
  const size_t mask = g->name_cap - 1;
  size_t i = name_hash(g->tensors[id].name) & mask;
  while (g->name_slots[i] != id) i = (i + 1) & mask;
  for (size_t j = (i + 1) & mask; g->name_slots[j] >= 0; j = (j + 1) & mask) {
    size_t home = name_hash(g->tensors[g->name_slots[j]].name) & mask;
    /* Entry j may fill the hole at i unless its home lies cyclically in (i, j]. */
    int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!stays) {
      g->name_slots[i] = g->name_slots[j];
      i = j;
    }
  }
  g->name_slots[i] = -1;
}

static char* dup_name(const char* s) {
  size_t n = strlen(s);
  char* d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

static rc_status check_name(const rc_graph* g, const char* what, const char* name) {
  if (!name || !name[0]) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: empty name", what);
  if (strlen(name) >= RC_MAX_NAME) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s '%.40s...': name longer than %d bytes", what, name,
                    RC_MAX_NAME - 1);
  }
  if (rc_graph_find_tensor(g, name) >= 0) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s '%s': a tensor of that name already exists", what, name);
  }
  return REPCONV_OK;
}

static rc_status check_shape(const char* name, const rc_shape* s) {
  char buf[96];
  if (s->ndim < 0 || s->ndim > RC_MAX_DIMS) {
    return rc_error(REPCONV_ERROR_SHAPE, "tensor '%s': rank %d (repconv handles rank 0 to %d)", name, s->ndim,
                    RC_MAX_DIMS);
  }
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++) {
    if (s->d[i] < 1 || s->d[i] > RC_MAX_DIM_VALUE || rc_mul_i64(n, s->d[i], &n) || n > RC_MAX_ELEMENTS) {
      return rc_error(REPCONV_ERROR_SHAPE, "tensor '%s': shape %s is empty or too large", name,
                      rc_shape_str(s, buf, sizeof(buf)));
    }
  }
  return REPCONV_OK;
}

static rc_status push_tensor(rc_graph* g, const char* name, rc_tensor_kind kind, int32_t* out) {
  if (!index_reserve(g)) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: out of memory adding tensor '%s'", name);
  if (g->n_tensors == g->cap_tensors) {
    int32_t cap = g->cap_tensors ? g->cap_tensors * 2 : 64;
    if (cap > (1 << 24)) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: too many tensors");
    rc_tensor* t = realloc(g->tensors, (size_t)cap * sizeof(*t));
    if (!t) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: out of memory adding tensor '%s'", name);
    g->tensors = t;
    g->cap_tensors = cap;
  }
  rc_tensor* t = &g->tensors[g->n_tensors];
  memset(t, 0, sizeof(*t));
  t->name = dup_name(name);
  if (!t->name) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: out of memory adding tensor '%s'", name);
  t->kind = kind;
  t->producer = -1;
  index_put(g->name_slots, g->name_cap, t->name, g->n_tensors);
  *out = g->n_tensors++;
  return REPCONV_OK;
}

/* Appends to an array whose capacity is the power of two at or above its
 * length (grown when the length reaches one: amortised O(1)). */
static rc_status push_id(int32_t** arr, int32_t* n, int32_t id) {
  if ((*n & (*n - 1)) == 0) {
    int32_t* a = realloc(*arr, (*n ? (size_t)*n * 2 : 1) * sizeof(int32_t));
    if (!a) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: out of memory");
    *arr = a;
  }
  (*arr)[(*n)++] = id;
  return REPCONV_OK;
}

rc_status rc_graph_add_input(rc_graph* g, const char* name, const rc_shape* shape, int32_t* out) {
  RC_CHECK(check_name(g, "input", name));
  RC_CHECK(check_shape(name, shape));
  int32_t id;
  RC_CHECK(push_tensor(g, name, RC_TENSOR_INPUT, &id));
  g->tensors[id].shape = *shape;
  RC_CHECK(push_id(&g->inputs, &g->n_inputs, id));
  if (out) *out = id;
  return REPCONV_OK;
}

static rc_status add_const(rc_graph* g, const char* name, const rc_shape* shape, float* data, int copy, int32_t* out) {
  RC_CHECK(check_name(g, "constant", name));
  RC_CHECK(check_shape(name, shape));
  size_t n = (size_t)rc_shape_numel(shape);
  const uint64_t bytes = g->const_bytes + (uint64_t)n * sizeof(float);
  if (rc_limit_exceeded(&g->limits, REPCONV_LIMIT_CONSTANT_BYTES, bytes)) {
    char b[96];
    return rc_limit_error(&g->limits, REPCONV_LIMIT_CONSTANT_BYTES, bytes, "constant '%s' (%s) with those before it",
                          name, rc_shape_str(shape, b, sizeof(b)));
  }
  float* d = data;
  if (copy) {
    d = malloc(n * sizeof(float));
    if (!d) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "constant '%s': out of memory (%zu floats)", name, n);
    if (data) {
      memcpy(d, data, n * sizeof(float));
    } else {
      memset(d, 0, n * sizeof(float));
    }
  }
  int32_t id;
  rc_status s = push_tensor(g, name, RC_TENSOR_CONST, &id);
  if (s != REPCONV_OK) {
    if (copy) free(d);
    return s;
  }
  g->tensors[id].shape = *shape;
  g->tensors[id].data = d;
  g->tensors[id].data_owned = (uint8_t)(copy != 0);
  g->const_bytes = bytes;
  if (out) *out = id;
  return REPCONV_OK;
}

rc_status rc_graph_add_const(rc_graph* g, const char* name, const rc_shape* shape, const float* data, int32_t* out) {
  return add_const(g, name, shape, (float*)data, 1, out);
}

rc_status rc_graph_add_const_borrowed(rc_graph* g, const char* name, const rc_shape* shape, float* data, int32_t* out) {
  if (!data) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "constant '%s': no data", name);
  return add_const(g, name, shape, data, 0, out);
}

rc_status rc_graph_add_value(rc_graph* g, const char* name, int32_t* out) {
  RC_CHECK(check_name(g, "tensor", name));
  int32_t id = -1;
  RC_CHECK(push_tensor(g, name, RC_TENSOR_VALUE, &id));
  if (out) *out = id;
  return REPCONV_OK;
}

int rc_op_input_optional(rc_op op, int32_t k) {
  switch (op) {
    case RC_OP_CONV2D:
    case RC_OP_GEMM: return k == 2; /* bias */
    case RC_OP_PAD: return k == 1;  /* values (zeros when absent) */
    default: return 0;
  }
}

rc_status rc_graph_add_node_to(rc_graph* g, rc_op op, const char* node_name, const int32_t* inputs, int32_t n_inputs,
                               const rc_attrs* attrs, int32_t output) {
  if ((unsigned)op >= RC_OP_COUNT) return rc_error(REPCONV_ERROR_UNSUPPORTED, "node '%s': op code %d", node_name, op);
  if (!node_name || !node_name[0] || strlen(node_name) >= RC_MAX_NAME) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s node: missing or too long name", rc_op_name(op));
  }
  if (n_inputs < 1 || n_inputs > 4096) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (%s): %d inputs", node_name, rc_op_name(op), n_inputs);
  }
  for (int32_t i = 0; i < n_inputs; i++) {
    if (inputs[i] < -1 || inputs[i] >= g->n_tensors) {
      return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (%s): input %d refers to tensor %d of %d", node_name,
                      rc_op_name(op), i, inputs[i], g->n_tensors);
    }
    if (inputs[i] < 0 && !rc_op_input_optional(op, i)) {
      return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (%s): input %d is absent (-1) but is not optional",
                      node_name, rc_op_name(op), i);
    }
  }
  if (output < 0 || output >= g->n_tensors || g->tensors[output].kind != RC_TENSOR_VALUE ||
      g->tensors[output].producer >= 0) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT,
                    "node '%s' (%s): output tensor %d is not a computed tensor without a producer", node_name,
                    rc_op_name(op), output);
  }
  if (rc_limit_exceeded(&g->limits, REPCONV_LIMIT_NODES, (uint64_t)g->n_nodes + 1)) {
    return rc_limit_error(&g->limits, REPCONV_LIMIT_NODES, (uint64_t)g->n_nodes + 1, "node '%s' (%s)", node_name,
                          rc_op_name(op));
  }
  if (g->n_nodes == g->cap_nodes) {
    int32_t cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
    if (cap > (1 << 24)) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: too many nodes");
    rc_node* nn = realloc(g->nodes, (size_t)cap * sizeof(*nn));
    if (!nn) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: out of memory adding node '%s'", node_name);
    g->nodes = nn;
    g->cap_nodes = cap;
  }
  rc_node* n = &g->nodes[g->n_nodes];
  memset(n, 0, sizeof(*n));
  n->name = dup_name(node_name);
  n->inputs = malloc((size_t)n_inputs * sizeof(int32_t));
  if (!n->name || !n->inputs) {
    free(n->name);
    free(n->inputs);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: out of memory adding node '%s'", node_name);
  }
  memcpy(n->inputs, inputs, (size_t)n_inputs * sizeof(int32_t));
  n->n_inputs = n_inputs;
  n->op = op;
  n->output = output;
  n->a = attrs ? *attrs : rc_attrs_default();
  g->tensors[output].producer = g->n_nodes;
  g->n_nodes++;
  return REPCONV_OK;
}

rc_status rc_graph_add_node(rc_graph* g, rc_op op, const char* node_name, const int32_t* inputs, int32_t n_inputs,
                            const rc_attrs* attrs, const char* output_name, int32_t* out) {
  int32_t id = -1;
  RC_CHECK(rc_graph_add_value(g, output_name, &id));
  rc_status s = rc_graph_add_node_to(g, op, node_name, inputs, n_inputs, attrs, id);
  if (s != REPCONV_OK) {
    rc_graph_truncate(g, id, g->n_nodes); /* a failed call leaves the graph as it was */
    return s;
  }
  if (out) *out = id;
  return REPCONV_OK;
}

void rc_graph_truncate(rc_graph* g, int32_t n_tensors, int32_t n_nodes) {
  while (g->n_nodes > n_nodes) {
    rc_node* n = &g->nodes[--g->n_nodes];
    if (n->output < n_tensors) g->tensors[n->output].producer = -1;
    free(n->name);
    free(n->inputs);
  }
  while (g->n_tensors > n_tensors) {
    index_remove(g, g->n_tensors - 1);
    rc_tensor* t = &g->tensors[--g->n_tensors];
    if (t->kind == RC_TENSOR_CONST) g->const_bytes -= (uint64_t)rc_shape_numel(&t->shape) * sizeof(float);
    free(t->name);
    if (t->data_owned) free(t->data);
  }
  while (g->n_inputs > 0 && g->inputs[g->n_inputs - 1] >= n_tensors) g->n_inputs--;
}

rc_status rc_graph_add_output(rc_graph* g, int32_t tensor) {
  if (tensor < 0 || tensor >= g->n_tensors) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "output: tensor %d of %d", tensor, g->n_tensors);
  }
  if (g->tensors[tensor].kind == RC_TENSOR_CONST) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "output '%s' is a constant", g->tensors[tensor].name);
  }
  if (g->tensors[tensor].is_output) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "output '%s' is listed twice", g->tensors[tensor].name);
  }
  RC_CHECK(push_id(&g->outputs, &g->n_outputs, tensor));
  g->tensors[tensor].is_output = 1;
  return REPCONV_OK;
}

/* Min-heap of node indices (the ready set of the topological sort). */
static void heap_push(int32_t* h, int32_t* n, int32_t v) {
  int32_t i = (*n)++;
  while (i > 0 && h[(i - 1) / 2] > v) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = v;
}

static int32_t heap_pop(int32_t* h, int32_t* n) {
  int32_t top = h[0], v = h[--*n], i = 0;
  for (;;) {
    int32_t c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && h[c + 1] < h[c]) c++;
    if (h[c] >= v) break;
    h[i] = h[c];
    i = c;
  }
  if (*n > 0) h[i] = v;
  return top;
}

rc_status rc_graph_topo_order(const rc_graph* g, int32_t* order) {
  /* Kahn's algorithm; a node is ready when every value tensor it reads has
   * been produced. Picking the lowest ready index (a min-heap) keeps the
   * file's order when it is already topological. The readers of each tensor
   * are listed once (CSR), so each edge is visited twice in all. */
  const int32_t n = g->n_nodes;
  if (n == 0) return REPCONV_OK;
  const size_t nt = (size_t)g->n_tensors;
  int32_t* missing = calloc((size_t)n, sizeof(int32_t));
  int32_t* first = calloc(nt + 2, sizeof(int32_t)); /* see below */
  int32_t* heap = malloc((size_t)n * sizeof(int32_t));
  size_t edges = 0;
  for (int32_t i = 0; i < n; i++) edges += (size_t)g->nodes[i].n_inputs;
  int32_t* readers = edges < INT32_MAX ? malloc((edges + 1) * sizeof(int32_t)) : NULL;
  rc_status s = REPCONV_OK;
  if (!missing || !first || !heap || !readers) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: out of memory ordering %d nodes", n);
    goto done;
  }
  for (int32_t i = 0; i < n && s == REPCONV_OK; i++) {
    const rc_node* nd = &g->nodes[i];
    for (int32_t k = 0; k < nd->n_inputs; k++) {
      int32_t t = nd->inputs[k];
      if (t < 0 || g->tensors[t].kind != RC_TENSOR_VALUE) continue;
      if (g->tensors[t].producer < 0) {
        s = rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (%s) reads tensor '%s', which no node computes",
                     nd->name, rc_op_name(nd->op), g->tensors[t].name);
        break;
      }
      missing[i]++;
      first[t + 1]++;
    }
  }
  if (s != REPCONV_OK) goto done;
  /* Counts in first[t + 1] → their running sums (the end of t's list);
   * filling each list from its end then leaves its start there, so t's
   * readers are readers[first[t + 1] .. first[t + 2]). */
  for (size_t t = 0; t < nt; t++) first[t + 1] += first[t];
  first[nt + 1] = first[nt];
  for (int32_t i = n - 1; i >= 0; i--) {
    const rc_node* nd = &g->nodes[i];
    for (int32_t k = nd->n_inputs - 1; k >= 0; k--) {
      int32_t t = nd->inputs[k];
      if (t >= 0 && g->tensors[t].kind == RC_TENSOR_VALUE) readers[--first[t + 1]] = i;
    }
  }
  int32_t nh = 0, count = 0;
  for (int32_t i = 0; i < n; i++) {
    if (missing[i] == 0) heap_push(heap, &nh, i);
  }
  while (nh > 0) {
    int32_t pick = heap_pop(heap, &nh);
    order[count++] = pick;
    int32_t t = g->nodes[pick].output;
    for (int32_t e = first[t + 1]; e < first[t + 2]; e++) {
      if (--missing[readers[e]] == 0) heap_push(heap, &nh, readers[e]);
    }
  }
  if (count < n) {
    for (int32_t i = 0; i < n; i++) {
      if (missing[i] > 0) {
        s = rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "graph has a cycle through node '%s' (%s)", g->nodes[i].name,
                     rc_op_name(g->nodes[i].op));
        break;
      }
    }
  }
done:
  free(missing);
  free(first);
  free(heap);
  free(readers);
  return s;
}

rc_status rc_graph_check_constants(const rc_graph* g) {
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

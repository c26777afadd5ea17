/* Public API glue: the graph builder. Every call adds constants and one node,
 * infers that node's shape at once, and on failure rolls the graph back so
 * the builder stays usable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/api/handles.h"

struct repconv_builder {
  rc_graph g;
};

repconv_status repconv_builder_create(repconv_builder_t** out) {
  if (!out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "builder_create: NULL out pointer");
  repconv_builder_t* b = malloc(sizeof(*b));
  if (!b) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "builder: out of memory");
  rc_graph_init(&b->g);
  *out = b;
  return REPCONV_OK;
}

const rc_graph* rc_builder_graph(const repconv_builder_t* b) { return &b->g; }

void repconv_builder_destroy(repconv_builder_t* b) {
  if (!b) return;
  rc_graph_free(&b->g);
  free(b);
}

static rc_status to_shape(const char* what, int32_t ndim, const int64_t* dims, rc_shape* s) {
  if (ndim < 0 || ndim > RC_MAX_DIMS || (ndim > 0 && !dims)) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: rank %d (0 to %d)", what, ndim, RC_MAX_DIMS);
  }
  memset(s, 0, sizeof(*s));
  s->ndim = ndim;
  for (int i = 0; i < ndim; i++) s->d[i] = dims[i];
  return REPCONV_OK;
}

static rc_status check_id(const repconv_builder_t* b, const char* name, repconv_id x) {
  if (x < 0 || x >= b->g.n_tensors) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s': tensor id %d does not exist", name ? name : "?", x);
  }
  return REPCONV_OK;
}

repconv_status repconv_builder_input(repconv_builder_t* b, const char* name, int32_t ndim, const int64_t* dims,
                                     repconv_id* out) {
  if (!b || !name) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "builder_input: NULL argument");
  rc_shape s;
  RC_CHECK(to_shape(name, ndim, dims, &s));
  return rc_graph_add_input(&b->g, name, &s, out);
}

repconv_status repconv_builder_constant(repconv_builder_t* b, const char* name, int32_t ndim, const int64_t* dims,
                                        const float* data, repconv_id* out) {
  if (!b || !name || !data) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "builder_constant: NULL argument");
  rc_shape s;
  RC_CHECK(to_shape(name, ndim, dims, &s));
  return rc_graph_add_const(&b->g, name, &s, data, out);
}

/* A constant named "<node>.<suffix>" (data NULL: no constant, id -1). */
static rc_status add_param(repconv_builder_t* b, const char* node, const char* suffix, int32_t ndim,
                           const int64_t* dims, const float* data, int32_t* id) {
  *id = -1;
  if (!data) return REPCONV_OK;
  char name[RC_MAX_NAME + 32];
  snprintf(name, sizeof(name), "%s.%s", node, suffix);
  rc_shape s;
  RC_CHECK(to_shape(name, ndim, dims, &s));
  return rc_graph_add_const(&b->g, name, &s, data, id);
}

/* Adds the node, checks its shape; on any failure restores the graph to the
 * counts taken before the call's first constant. */
static rc_status finish_node(repconv_builder_t* b, int32_t mark_t, int32_t mark_n, rc_status s, rc_op op,
                             const char* name, const int32_t* inputs, int32_t n_inputs, const rc_attrs* a,
                             repconv_id* out) {
  int32_t id = -1;
  if (s == REPCONV_OK) s = rc_graph_add_node(&b->g, op, name, inputs, n_inputs, a, name, &id);
  if (s == REPCONV_OK) s = rc_graph_infer_node(&b->g, b->g.n_nodes - 1);
  if (s != REPCONV_OK) {
    rc_graph_truncate(&b->g, mark_t, mark_n);
    return s;
  }
  if (out) *out = id;
  return REPCONV_OK;
}

#define BEGIN(b, name, x)                                                                         \
  if (!(b) || !(name)) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "builder: NULL argument"); \
  RC_CHECK(check_id((b), (name), (x)));                                                           \
  int32_t mark_t = (b)->g.n_tensors, mark_n = (b)->g.n_nodes;                                     \
  rc_status s = REPCONV_OK

repconv_status repconv_builder_conv2d(repconv_builder_t* b, const char* name, repconv_id x,
                                      const repconv_conv2d_desc_t* d, const float* weight, const float* bias,
                                      repconv_id* out) {
  BEGIN(b, name, x);
  if (!d || !weight) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s': NULL desc or weight", name);
  rc_attrs a = rc_attrs_default();
  a.kernel[0] = d->kernel_h;
  a.kernel[1] = d->kernel_w;
  a.stride[0] = d->stride_h ? d->stride_h : 1;
  a.stride[1] = d->stride_w ? d->stride_w : 1;
  a.dilation[0] = d->dilation_h ? d->dilation_h : 1;
  a.dilation[1] = d->dilation_w ? d->dilation_w : 1;
  a.pad[0] = d->pad_top;
  a.pad[1] = d->pad_left;
  a.pad[2] = d->pad_bottom;
  a.pad[3] = d->pad_right;
  a.groups = d->groups ? d->groups : 1;
  const rc_tensor* xt = &b->g.tensors[x];
  if (xt->shape.ndim != 4 || a.groups < 1 || d->out_channels < 1 || d->kernel_h < 1 || d->kernel_w < 1) {
    return rc_error(REPCONV_ERROR_SHAPE,
                    "node '%s' (conv2d): needs a rank-4 input, out_channels, kernel and groups ≥ 1", name);
  }
  int64_t wd[4] = {d->out_channels, xt->shape.d[1] / a.groups, d->kernel_h, d->kernel_w};
  int64_t bd[1] = {d->out_channels};
  int32_t in[3] = {x, -1, -1};
  s = add_param(b, name, "weight", 4, wd, weight, &in[1]);
  if (s == REPCONV_OK) s = add_param(b, name, "bias", 1, bd, bias, &in[2]);
  return finish_node(b, mark_t, mark_n, s, RC_OP_CONV2D, name, in, bias ? 3 : 2, &a, out);
}

repconv_status repconv_builder_batchnorm(repconv_builder_t* b, const char* name, repconv_id x, const float* gamma,
                                         const float* beta, const float* mean, const float* var, float eps,
                                         repconv_id* out) {
  BEGIN(b, name, x);
  if (!gamma || !beta || !mean || !var) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (batchnorm): NULL parameter", name);
  }
  const rc_tensor* xt = &b->g.tensors[x];
  if (xt->shape.ndim < 2) return rc_error(REPCONV_ERROR_SHAPE, "node '%s' (batchnorm): input rank < 2", name);
  int64_t cd[1] = {xt->shape.d[1]};
  int32_t in[5] = {x, -1, -1, -1, -1};
  static const char* const suffix[] = {"gamma", "beta", "mean", "var"};
  const float* data[] = {gamma, beta, mean, var};
  for (int i = 0; i < 4 && s == REPCONV_OK; i++) s = add_param(b, name, suffix[i], 1, cd, data[i], &in[1 + i]);
  rc_attrs a = rc_attrs_default();
  a.eps = eps;
  return finish_node(b, mark_t, mark_n, s, RC_OP_BATCHNORM, name, in, 5, &a, out);
}

repconv_status repconv_builder_binary(repconv_builder_t* b, const char* name, repconv_binary_op op, repconv_id a0,
                                      repconv_id c, repconv_id* out) {
  BEGIN(b, name, a0);
  RC_CHECK(check_id(b, name, c));
  if ((unsigned)op > REPCONV_DIV) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s': binary op %d", name, op);
  int32_t in[2] = {a0, c};
  return finish_node(b, mark_t, mark_n, s, (rc_op)(RC_OP_ADD + (int)op), name, in, 2, NULL, out);
}

repconv_status repconv_builder_concat(repconv_builder_t* b, const char* name, const repconv_id* xs, size_t count,
                                      repconv_id* out) {
  if (!xs || count < 1 || count > 4096) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (concat): %zu inputs", name ? name : "?", count);
  }
  BEGIN(b, name, xs[0]);
  for (size_t i = 1; i < count; i++) RC_CHECK(check_id(b, name, xs[i]));
  return finish_node(b, mark_t, mark_n, s, RC_OP_CONCAT, name, xs, (int32_t)count, NULL, out);
}

repconv_status repconv_builder_pad(repconv_builder_t* b, const char* name, repconv_id x, int32_t top, int32_t left,
                                   int32_t bottom, int32_t right, const float* values, repconv_id* out) {
  BEGIN(b, name, x);
  const rc_tensor* xt = &b->g.tensors[x];
  int64_t cd[1] = {xt->shape.ndim >= 2 ? xt->shape.d[1] : 1};
  int32_t in[2] = {x, -1};
  s = add_param(b, name, "values", 1, cd, values, &in[1]);
  rc_attrs a = rc_attrs_default();
  a.pad[0] = top;
  a.pad[1] = left;
  a.pad[2] = bottom;
  a.pad[3] = right;
  return finish_node(b, mark_t, mark_n, s, RC_OP_PAD, name, in, values ? 2 : 1, &a, out);
}

static rc_status pool(repconv_builder_t* b, rc_op op, const char* name, repconv_id x, const repconv_pool_desc_t* d,
                      repconv_id* out) {
  BEGIN(b, name, x);
  if (!d) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s': NULL desc", name);
  rc_attrs a = rc_attrs_default();
  a.kernel[0] = d->kernel_h;
  a.kernel[1] = d->kernel_w;
  a.stride[0] = d->stride_h ? d->stride_h : 1;
  a.stride[1] = d->stride_w ? d->stride_w : 1;
  a.pad[0] = d->pad_top;
  a.pad[1] = d->pad_left;
  a.pad[2] = d->pad_bottom;
  a.pad[3] = d->pad_right;
  a.ceil_mode = d->ceil_mode != 0;
  a.count_include_pad = d->count_include_pad != 0;
  return finish_node(b, mark_t, mark_n, s, op, name, &x, 1, &a, out);
}

repconv_status repconv_builder_avgpool(repconv_builder_t* b, const char* name, repconv_id x,
                                       const repconv_pool_desc_t* d, repconv_id* out) {
  return pool(b, RC_OP_AVGPOOL, name, x, d, out);
}

repconv_status repconv_builder_maxpool(repconv_builder_t* b, const char* name, repconv_id x,
                                       const repconv_pool_desc_t* d, repconv_id* out) {
  return pool(b, RC_OP_MAXPOOL, name, x, d, out);
}

repconv_status repconv_builder_global_avgpool(repconv_builder_t* b, const char* name, repconv_id x, repconv_id* out) {
  BEGIN(b, name, x);
  return finish_node(b, mark_t, mark_n, s, RC_OP_GLOBAL_AVGPOOL, name, &x, 1, NULL, out);
}

repconv_status repconv_builder_gemm(repconv_builder_t* b, const char* name, repconv_id x, int32_t out_features,
                                    const float* weight, const float* bias, float alpha, float beta, repconv_id* out) {
  BEGIN(b, name, x);
  const rc_tensor* xt = &b->g.tensors[x];
  if (!weight || out_features < 1 || xt->shape.ndim != 2) {
    return rc_error(REPCONV_ERROR_SHAPE, "node '%s' (gemm): needs a rank-2 input, a weight and out_features ≥ 1", name);
  }
  int64_t wd[2] = {out_features, xt->shape.d[1]};
  int64_t bd[1] = {out_features};
  int32_t in[3] = {x, -1, -1};
  s = add_param(b, name, "weight", 2, wd, weight, &in[1]);
  if (s == REPCONV_OK) s = add_param(b, name, "bias", 1, bd, bias, &in[2]);
  rc_attrs a = rc_attrs_default();
  a.alpha = alpha;
  a.beta = beta;
  return finish_node(b, mark_t, mark_n, s, RC_OP_GEMM, name, in, bias ? 3 : 2, &a, out);
}

repconv_status repconv_builder_flatten(repconv_builder_t* b, const char* name, repconv_id x, int32_t axis,
                                       repconv_id* out) {
  BEGIN(b, name, x);
  rc_attrs a = rc_attrs_default();
  a.axis = axis;
  return finish_node(b, mark_t, mark_n, s, RC_OP_FLATTEN, name, &x, 1, &a, out);
}

repconv_status repconv_builder_reshape(repconv_builder_t* b, const char* name, repconv_id x, int32_t ndim,
                                       const int64_t* dims, repconv_id* out) {
  BEGIN(b, name, x);
  if (ndim < 1 || ndim > RC_MAX_DIMS || !dims) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (reshape): target rank %d", name, ndim);
  }
  rc_attrs a = rc_attrs_default();
  a.reshape_ndim = ndim;
  for (int i = 0; i < ndim; i++) a.reshape[i] = dims[i];
  return finish_node(b, mark_t, mark_n, s, RC_OP_RESHAPE, name, &x, 1, &a, out);
}

repconv_status repconv_builder_activation(repconv_builder_t* b, const char* name, repconv_activation act, repconv_id x,
                                          float p0, float p1, repconv_id* out) {
  BEGIN(b, name, x);
  rc_attrs a = rc_attrs_default();
  rc_op op;
  switch (act) {
    case REPCONV_RELU: op = RC_OP_RELU; break;
    case REPCONV_LEAKY_RELU:
      op = RC_OP_LEAKY_RELU;
      a.alpha = p0;
      break;
    case REPCONV_CLIP:
      op = RC_OP_CLIP;
      a.min = p0;
      a.max = p1;
      break;
    case REPCONV_SIGMOID: op = RC_OP_SIGMOID; break;
    case REPCONV_IDENTITY: op = RC_OP_IDENTITY; break;
    case REPCONV_HARD_SIGMOID:
      op = RC_OP_HARD_SIGMOID;
      a.alpha = p0;
      a.beta = p1;
      break;
    default: return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s': activation %d", name, (int)act);
  }
  return finish_node(b, mark_t, mark_n, s, op, name, &x, 1, &a, out);
}

repconv_status repconv_builder_prelu(repconv_builder_t* b, const char* name, repconv_id x, const float* slopes,
                                     int64_t num_slopes, repconv_id* out) {
  BEGIN(b, name, x);
  if (!slopes || num_slopes < 1) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (prelu): no slopes", name);
  int32_t in[2] = {x, -1};
  s = add_param(b, name, "slope", 1, &num_slopes, slopes, &in[1]);
  return finish_node(b, mark_t, mark_n, s, RC_OP_PRELU, name, in, 2, NULL, out);
}

repconv_status repconv_builder_depth_to_space(repconv_builder_t* b, const char* name, repconv_id x, int32_t block,
                                              repconv_d2s_mode mode, repconv_id* out) {
  BEGIN(b, name, x);
  rc_attrs a = rc_attrs_default();
  a.block = block;
  a.mode = (int32_t)mode;
  return finish_node(b, mark_t, mark_n, s, RC_OP_DEPTH_TO_SPACE, name, &x, 1, &a, out);
}

repconv_status repconv_builder_upsample_nearest(repconv_builder_t* b, const char* name, repconv_id x, int32_t scale_h,
                                                int32_t scale_w, repconv_id* out) {
  BEGIN(b, name, x);
  rc_attrs a = rc_attrs_default();
  a.scale[0] = scale_h;
  a.scale[1] = scale_w;
  return finish_node(b, mark_t, mark_n, s, RC_OP_UPSAMPLE_NEAREST, name, &x, 1, &a, out);
}

repconv_status repconv_builder_resize(repconv_builder_t* b, const char* name, repconv_id x,
                                      const repconv_resize_desc_t* desc, repconv_id* out) {
  BEGIN(b, name, x);
  if (!desc) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "node '%s' (resize): no description", name);
  rc_attrs a = rc_attrs_default();
  a.mode = (int32_t)desc->mode;
  a.axis = (int32_t)desc->coord;
  a.kernel[0] = desc->out_h;
  a.kernel[1] = desc->out_w;
  a.alpha = desc->scale_h;
  a.beta = desc->scale_w;
  a.eps = desc->cubic_coeff_a;
  a.count_include_pad = desc->exclude_outside;
  return finish_node(b, mark_t, mark_n, s, RC_OP_RESIZE, name, &x, 1, &a, out);
}

static repconv_status patch_op(repconv_builder_t* b, rc_op op, const char* name, repconv_id x, int32_t grid_h,
                               int32_t grid_w, repconv_id* out) {
  BEGIN(b, name, x);
  rc_attrs a = rc_attrs_default();
  a.scale[0] = grid_h;
  a.scale[1] = grid_w;
  return finish_node(b, mark_t, mark_n, s, op, name, &x, 1, &a, out);
}

repconv_status repconv_builder_patch_partition(repconv_builder_t* b, const char* name, repconv_id x, int32_t grid_h,
                                               int32_t grid_w, repconv_id* out) {
  return patch_op(b, RC_OP_PATCH_PARTITION, name, x, grid_h, grid_w, out);
}

repconv_status repconv_builder_patch_merge(repconv_builder_t* b, const char* name, repconv_id x, int32_t grid_h,
                                           int32_t grid_w, repconv_id* out) {
  return patch_op(b, RC_OP_PATCH_MERGE, name, x, grid_h, grid_w, out);
}

repconv_status repconv_builder_output(repconv_builder_t* b, repconv_id x, const char* name) {
  if (!b || !name) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "builder_output: NULL argument");
  RC_CHECK(check_id(b, name, x));
  rc_tensor* t = &b->g.tensors[x];
  if (strcmp(t->name, name) != 0) {
    /* The output takes the caller's name; an identity node gives it one
     * without renaming a tensor other nodes may already be known by. */
    int32_t id;
    int32_t mark_t = b->g.n_tensors, mark_n = b->g.n_nodes;
    RC_CHECK(finish_node(b, mark_t, mark_n, REPCONV_OK, RC_OP_IDENTITY, name, &x, 1, NULL, &id));
    x = id;
  }
  return rc_graph_add_output(&b->g, x);
}

repconv_status repconv_builder_finish(repconv_builder_t* b, const repconv_options_t* options, repconv_model_t** out) {
  if (!b || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "builder_finish: NULL argument");
  *out = NULL;
  return rc_model_from_graph(&b->g, options, out);
}

/* One IR node on the reference kernels: the node's attributes and shapes
 * lowered to the kernels/ref parameters. */
#include <stdlib.h>
#include <string.h>

#include "kernels/ref/ref.h"
#include "runtime/eval/eval.h"

static const rc_shape* in_shape(const rc_graph* g, const rc_node* n, int k) { return &g->tensors[n->inputs[k]].shape; }

static int64_t channels_of(const rc_shape* s) { return s->ndim >= 2 ? s->d[1] : 1; }

static void dims4(const rc_shape* s, int64_t d[4]) {
  for (int i = 0; i < 4; i++) d[i] = i < s->ndim ? s->d[i] : 1;
}

/* Strides of a tensor in its own logical dims: channels-last (dims padded to
 * rank 4, stored NHWC) or C order. */
static void storage_strides(const rc_shape* s, int channels_last, int64_t st[4]) {
  int64_t d[4];
  dims4(s, d);
  if (channels_last) {
    st[1] = 1;
    st[3] = d[1];
    st[2] = d[3] * d[1];
    st[0] = d[2] * d[3] * d[1];
    return;
  }
  int64_t acc = 1;
  for (int i = s->ndim - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s->d[i];
  }
  for (int i = s->ndim; i < 4; i++) st[i] = 0;
}

/* Strides of input k seen through the output's logical dims (numpy
 * broadcasting: aligned right, stride 0 where the input has size 1). */
static void broadcast_strides(const rc_graph* g, const rc_node* n, int k, const rc_shape* out, int64_t st[4]) {
  const rc_tensor* t = &g->tensors[n->inputs[k]];
  int64_t own[4];
  storage_strides(&t->shape, t->kind != RC_TENSOR_CONST, own);
  int shift = out->ndim - t->shape.ndim;
  for (int j = 0; j < 4; j++) {
    int i = j - shift;
    st[j] = (j < out->ndim && i >= 0 && t->shape.d[i] != 1) ? own[i] : 0;
  }
}

static void run_binary(const rc_graph* g, const rc_node* n, const float* a, const float* b, float* y) {
  const rc_shape* out = &g->tensors[n->output].shape;
  int64_t dims[4], sa[4], sb[4], sy[4];
  dims4(out, dims);
  broadcast_strides(g, n, 0, out, sa);
  broadcast_strides(g, n, 1, out, sb);
  storage_strides(out, 1, sy);
  for (int j = out->ndim; j < 4; j++) sy[j] = 0;
  static const rc_binary_kind kinds[] = {RC_BINARY_ADD, RC_BINARY_SUB, RC_BINARY_MUL, RC_BINARY_DIV};
  rc_ref_binary(kinds[n->op - RC_OP_ADD], dims, a, sa, b, sb, y, sy);
}

static rc_conv2d_params conv_params(const rc_graph* g, const rc_node* n) {
  const rc_shape* xs = in_shape(g, n, 0);
  const rc_shape* ys = &g->tensors[n->output].shape;
  const rc_attrs* a = &n->a;
  rc_conv2d_params cp = {
      .batch = (int32_t)xs->d[0],
      .in_h = (int32_t)xs->d[2],
      .in_w = (int32_t)xs->d[3],
      .in_c = (int32_t)xs->d[1],
      .out_h = (int32_t)ys->d[2],
      .out_w = (int32_t)ys->d[3],
      .out_c = (int32_t)in_shape(g, n, 1)->d[0],
      .kernel_h = a->kernel[0],
      .kernel_w = a->kernel[1],
      .stride_h = a->stride[0],
      .stride_w = a->stride[1],
      .dilation_h = a->dilation[0],
      .dilation_w = a->dilation[1],
      .pad_top = a->pad[0],
      .pad_left = a->pad[1],
      .groups = a->groups,
  };
  return cp;
}

static rc_pool_params pool_params(const rc_shape* x, const rc_shape* y, const rc_attrs* a) {
  rc_pool_params pp = {
      .batch = (int32_t)x->d[0],
      .in_h = (int32_t)x->d[2],
      .in_w = (int32_t)x->d[3],
      .channels = (int32_t)x->d[1],
      .out_h = (int32_t)y->d[2],
      .out_w = (int32_t)y->d[3],
      .kernel_h = a->kernel[0],
      .kernel_w = a->kernel[1],
      .stride_h = a->stride[0],
      .stride_w = a->stride[1],
      .pad_top = a->pad[0],
      .pad_left = a->pad[1],
      .pad_bottom = a->pad[2],
      .pad_right = a->pad[3],
      .count_include_pad = a->count_include_pad,
  };
  return pp;
}

static rc_status run_concat(const rc_graph* g, const rc_node* n, const float* const* in, float* y) {
  int32_t* cv = malloc((size_t)n->n_inputs * sizeof(*cv));
  if (!cv) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "node '%s': out of memory", n->name);
  for (int32_t k = 0; k < n->n_inputs; k++) cv[k] = (int32_t)in_shape(g, n, k)->d[1];
  const rc_shape* ys = &g->tensors[n->output].shape;
  size_t pixels = (size_t)(rc_shape_numel(ys) / ys->d[1]);
  rc_ref_concat_nhwc(pixels, (size_t)n->n_inputs, in, cv, y);
  free(cv);
  return REPCONV_OK;
}

rc_status rc_eval_node(const rc_graph* g, const rc_node* n, const float* const* in, float* y) {
  const rc_shape* ys = &g->tensors[n->output].shape;
  const float* x = in[0];
  const rc_shape* xs = in_shape(g, n, 0);
  const rc_attrs* a = &n->a;
  size_t numel = (size_t)rc_shape_numel(ys);
  switch (n->op) {
    case RC_OP_CONV2D: {
      rc_conv2d_params cp = conv_params(g, n);
      rc_ref_conv2d_nhwc(&cp, x, in[1], n->n_inputs > 2 ? in[2] : NULL, y, NULL);
      return REPCONV_OK;
    }
    case RC_OP_BATCHNORM: {
      size_t c = (size_t)channels_of(xs);
      rc_ref_batchnorm_nhwc(numel / c, c, x, in[1], in[2], in[3], in[4], a->eps, y);
      return REPCONV_OK;
    }
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV: run_binary(g, n, x, in[1], y); return REPCONV_OK;
    case RC_OP_CONCAT: return run_concat(g, n, in, y);
    case RC_OP_PAD:
      rc_ref_pad_nhwc((int32_t)xs->d[0], (int32_t)xs->d[2], (int32_t)xs->d[3], (int32_t)xs->d[1], a->pad[0], a->pad[1],
                      a->pad[2], a->pad[3], n->n_inputs > 1 ? in[1] : NULL, x, y);
      return REPCONV_OK;
    case RC_OP_AVGPOOL:
    case RC_OP_MAXPOOL: {
      rc_pool_params pp = pool_params(xs, ys, a);
      if (n->op == RC_OP_AVGPOOL)
        rc_ref_avgpool_nhwc(&pp, x, y, NULL);
      else
        rc_ref_maxpool_nhwc(&pp, x, y, NULL);
      return REPCONV_OK;
    }
    case RC_OP_GLOBAL_AVGPOOL:
      rc_ref_global_avgpool_nhwc((int32_t)xs->d[0], (size_t)(xs->d[2] * xs->d[3]), (size_t)xs->d[1], x, y);
      return REPCONV_OK;
    case RC_OP_GEMM:
      rc_ref_gemm((size_t)xs->d[0], (size_t)xs->d[1], (size_t)ys->d[1], x, in[1], n->n_inputs > 2 ? in[2] : NULL,
                  a->alpha, a->beta, y, NULL);
      return REPCONV_OK;
    case RC_OP_FLATTEN:
    case RC_OP_RESHAPE: {
      int64_t di[4], dout[4];
      dims4(xs, di);
      dims4(ys, dout);
      rc_ref_reshape(di, 1, x, dout, 1, y);
      return REPCONV_OK;
    }
    case RC_OP_RELU: rc_ref_relu(numel, x, y); return REPCONV_OK;
    case RC_OP_LEAKY_RELU: rc_ref_leaky_relu(numel, a->alpha, x, y); return REPCONV_OK;
    case RC_OP_CLIP: rc_ref_clip(numel, a->min, a->max, x, y); return REPCONV_OK;
    case RC_OP_SIGMOID: rc_ref_sigmoid(numel, x, y); return REPCONV_OK;
    case RC_OP_PRELU: {
      size_t c = (size_t)channels_of(xs);
      size_t ns = (size_t)rc_shape_numel(in_shape(g, n, 1));
      rc_ref_prelu_nhwc(numel / c, c, in[1], ns, x, y);
      return REPCONV_OK;
    }
    case RC_OP_DEPTH_TO_SPACE:
      rc_ref_depth_to_space_nhwc((int32_t)xs->d[0], (int32_t)xs->d[2], (int32_t)xs->d[3], (int32_t)xs->d[1], a->block,
                                 a->mode, x, y);
      return REPCONV_OK;
    case RC_OP_UPSAMPLE_NEAREST:
      rc_ref_upsample_nearest_nhwc((int32_t)xs->d[0], (int32_t)xs->d[2], (int32_t)xs->d[3], (int32_t)xs->d[1],
                                   a->scale[0], a->scale[1], x, y);
      return REPCONV_OK;
    case RC_OP_IDENTITY: memcpy(y, x, numel * sizeof(float)); return REPCONV_OK;
    case RC_OP_PATCH_PARTITION:
      rc_ref_patch_partition_nhwc((int32_t)xs->d[0], (int32_t)ys->d[2], (int32_t)ys->d[3], (int32_t)xs->d[1],
                                  a->scale[0], a->scale[1], x, y);
      return REPCONV_OK;
    case RC_OP_PATCH_MERGE:
      rc_ref_patch_merge_nhwc((int32_t)ys->d[0], (int32_t)xs->d[2], (int32_t)xs->d[3], (int32_t)xs->d[1], a->scale[0],
                              a->scale[1], x, y);
      return REPCONV_OK;
    case RC_OP_COUNT: break;
  }
  return rc_error(REPCONV_ERROR_INTERNAL, "node '%s': no reference kernel for op %d", n->name, (int)n->op);
}

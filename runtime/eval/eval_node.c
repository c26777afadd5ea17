/* One IR node on the reference kernels: the node's attributes and shapes
 * lowered to the kernels/ref parameters. The executor's reference steps and
 * constant evaluation both run here. */
#include <stdlib.h>
#include <string.h>

#include "kernels/ref/ref.h"
#include "runtime/eval/eval.h"
#include "runtime/graph/layout.h"

static const rc_shape* in_shape(const rc_graph* g, const rc_node* n, int k) { return &g->tensors[n->inputs[k]].shape; }

static int64_t channels_of(const rc_shape* s) { return s->ndim >= 2 ? s->d[1] : 1; }

static void run_binary(const rc_graph* g, const rc_node* n, const float* a, const float* b, float* y) {
  const rc_shape* out = &g->tensors[n->output].shape;
  int64_t dims[4], sa[4], sb[4], sy[4];
  rc_shape_dims4(out, dims);
  rc_broadcast_strides(g, n, 0, sa);
  rc_broadcast_strides(g, n, 1, sb);
  rc_storage_strides(out, 1, sy);
  for (int j = out->ndim; j < 4; j++) sy[j] = 0;
  static const rc_binary_kind kinds[] = {RC_BINARY_ADD, RC_BINARY_SUB, RC_BINARY_MUL, RC_BINARY_DIV};
  rc_ref_binary(kinds[n->op - RC_OP_ADD], dims, a, sa, b, sb, y, sy);
}

rc_conv2d_params rc_eval_conv_params(const rc_graph* g, const rc_node* n) {
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

rc_pool_params rc_eval_pool_params(const rc_graph* g, const rc_node* n) {
  const rc_shape* x = in_shape(g, n, 0);
  const rc_shape* y = &g->tensors[n->output].shape;
  const rc_attrs* a = &n->a;
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

_Static_assert((int)RC_REF_RESIZE_LINEAR == (int)REPCONV_RESIZE_LINEAR &&
                   (int)RC_REF_RESIZE_CUBIC == (int)REPCONV_RESIZE_CUBIC,
               "the IR keeps repconv_resize_mode values; kernels/ref its own");
_Static_assert((int)RC_REF_RESIZE_HALF_PIXEL == (int)REPCONV_RESIZE_HALF_PIXEL &&
                   (int)RC_REF_RESIZE_PYTORCH_HALF_PIXEL == (int)REPCONV_RESIZE_PYTORCH_HALF_PIXEL &&
                   (int)RC_REF_RESIZE_ALIGN_CORNERS == (int)REPCONV_RESIZE_ALIGN_CORNERS &&
                   (int)RC_REF_RESIZE_ASYMMETRIC == (int)REPCONV_RESIZE_ASYMMETRIC,
               "the IR keeps repconv_resize_coord values; kernels/ref its own");

rc_resize_params rc_eval_resize_params(const rc_graph* g, const rc_node* n) {
  const rc_shape* x = in_shape(g, n, 0);
  const rc_shape* y = &g->tensors[n->output].shape;
  const rc_attrs* a = &n->a;
  const int sized = a->kernel[0] > 0;
  rc_resize_params rp = {
      .batch = (int32_t)x->d[0],
      .in_h = (int32_t)x->d[2],
      .in_w = (int32_t)x->d[3],
      .channels = (int32_t)x->d[1],
      .out_h = (int32_t)y->d[2],
      .out_w = (int32_t)y->d[3],
      .mode = (rc_ref_resize_mode)a->mode,
      .coord = (rc_ref_resize_coord)a->axis,
      .inv_scale_h = sized ? (double)x->d[2] / (double)y->d[2] : 1.0 / (double)a->alpha,
      .inv_scale_w = sized ? (double)x->d[3] / (double)y->d[3] : 1.0 / (double)a->beta,
      .cubic_a = (double)a->eps,
      .exclude_outside = a->count_include_pad,
  };
  return rp;
}

static rc_status run_concat(const rc_graph* g, const rc_node* n, const float* const* in, float* y) {
  enum { SMALL = 16 };
  int32_t small[SMALL];
  int32_t* cv = n->n_inputs <= SMALL ? small : malloc((size_t)n->n_inputs * sizeof(*cv));
  if (!cv) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "node '%s': out of memory", n->name);
  for (int32_t k = 0; k < n->n_inputs; k++) cv[k] = (int32_t)in_shape(g, n, k)->d[1];
  const rc_shape* ys = &g->tensors[n->output].shape;
  size_t pixels = (size_t)(rc_shape_numel(ys) / ys->d[1]);
  rc_ref_concat_nhwc(pixels, (size_t)n->n_inputs, in, cv, y);
  if (cv != small) free(cv);
  return REPCONV_OK;
}

rc_status rc_eval_node(const rc_graph* g, const rc_node* n, const float* const* in, float* y) {
  return rc_eval_node_pool(g, n, in, y, NULL);
}

rc_status rc_eval_node_pool(const rc_graph* g, const rc_node* n, const float* const* in, float* y, rc_pool* pool) {
  const rc_shape* ys = &g->tensors[n->output].shape;
  const float* x = in[0];
  const rc_shape* xs = in_shape(g, n, 0);
  const rc_attrs* a = &n->a;
  size_t numel = (size_t)rc_shape_numel(ys);
  switch (n->op) {
    case RC_OP_CONV2D: {
      rc_conv2d_params cp = rc_eval_conv_params(g, n);
      rc_ref_conv2d_nhwc(&cp, x, in[1], n->n_inputs > 2 ? in[2] : NULL, y, pool);
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
      rc_pool_params pp = rc_eval_pool_params(g, n);
      if (n->op == RC_OP_AVGPOOL)
        rc_ref_avgpool_nhwc(&pp, x, y, pool);
      else
        rc_ref_maxpool_nhwc(&pp, x, y, pool);
      return REPCONV_OK;
    }
    case RC_OP_GLOBAL_AVGPOOL:
      rc_ref_global_avgpool_nhwc((int32_t)xs->d[0], (size_t)(xs->d[2] * xs->d[3]), (size_t)xs->d[1], x, y);
      return REPCONV_OK;
    case RC_OP_GEMM:
      rc_ref_gemm((size_t)xs->d[0], (size_t)xs->d[1], (size_t)ys->d[1], x, in[1], n->n_inputs > 2 ? in[2] : NULL,
                  a->alpha, a->beta, y, pool);
      return REPCONV_OK;
    case RC_OP_FLATTEN:
    case RC_OP_RESHAPE: {
      int64_t di[4], dout[4];
      rc_shape_dims4(xs, di);
      rc_shape_dims4(ys, dout);
      rc_ref_reshape(di, 1, x, dout, 1, y);
      return REPCONV_OK;
    }
    case RC_OP_RELU: rc_ref_relu(numel, x, y); return REPCONV_OK;
    case RC_OP_LEAKY_RELU: rc_ref_leaky_relu(numel, a->alpha, x, y); return REPCONV_OK;
    case RC_OP_CLIP: rc_ref_clip(numel, a->min, a->max, x, y); return REPCONV_OK;
    case RC_OP_SIGMOID: rc_ref_sigmoid(numel, x, y); return REPCONV_OK;
    case RC_OP_HARD_SIGMOID: rc_ref_hard_sigmoid(numel, a->alpha, a->beta, x, y); return REPCONV_OK;
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
    case RC_OP_RESIZE: {
      rc_resize_params rp = rc_eval_resize_params(g, n);
      rc_ref_resize_nhwc(&rp, x, y, pool);
      return REPCONV_OK;
    }
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

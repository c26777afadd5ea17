#include "exec.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/ref/ref.h"

static float* act(const rc_graph* g, const rc_plan* p, float* arena, int32_t t) {
  (void)g;
  return arena + p->offset[t];
}

/* Input k of node n: arena activation or constant data; NULL if absent. */
static const float* input(const rc_graph* g, const rc_plan* p, float* arena, const rc_node* n, int k) {
  if (k >= n->n_inputs || n->inputs[k] < 0) return NULL;
  const rc_tensor* t = &g->tensors[n->inputs[k]];
  return t->kind == RC_TENSOR_CONST ? t->data : arena + p->offset[n->inputs[k]];
}

static const rc_shape* shape(const rc_graph* g, const rc_node* n, int k) { return &g->tensors[n->inputs[k]].shape; }

static int64_t channels_of(const rc_shape* s) { return s->ndim >= 2 ? s->d[1] : 1; }

/* Strides of input k as seen through the output's logical dims (numpy
 * broadcasting: align right, stride 0 where the input has size 1). */
static void broadcast_strides(const rc_graph* g, const rc_node* n, int k, const rc_shape* out, int64_t st[4]) {
  const rc_tensor* t = &g->tensors[n->inputs[k]];
  int64_t own[4];
  rc_storage_strides(&t->shape, t->kind != RC_TENSOR_CONST, own);
  int shift = out->ndim - t->shape.ndim;
  for (int j = 0; j < 4; j++) {
    int i = j - shift;
    st[j] = (j < out->ndim && i >= 0 && t->shape.d[i] != 1) ? own[i] : 0;
  }
}

static void run_binary(const rc_graph* g, const rc_node* n, const float* a, const float* b, float* y) {
  const rc_shape* out = &g->tensors[n->output].shape;
  int64_t dims[4], sa[4], sb[4], sy[4];
  rc_shape_dims4(out, dims);
  broadcast_strides(g, n, 0, out, sa);
  broadcast_strides(g, n, 1, out, sb);
  rc_storage_strides(out, 1, sy);
  for (int j = out->ndim; j < 4; j++) sy[j] = 0;
  static const rc_binary_kind kinds[] = {RC_BINARY_ADD, RC_BINARY_SUB, RC_BINARY_MUL, RC_BINARY_DIV};
  rc_ref_binary(kinds[n->op - RC_OP_ADD], dims, a, sa, b, sb, y, sy);
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

static rc_status run_node(const rc_graph* g, const rc_plan* p, float* arena, const rc_node* n, pthreadpool_t pool) {
  const rc_shape* ys = &g->tensors[n->output].shape;
  float* y = act(g, p, arena, n->output);
  const float* x = input(g, p, arena, n, 0);
  const rc_shape* xs = shape(g, n, 0);
  const rc_attrs* a = &n->a;
  size_t numel = (size_t)rc_shape_numel(ys);
  switch (n->op) {
    case RC_OP_CONV2D: {
      const rc_shape* ws = shape(g, n, 1);
      rc_conv2d_params cp = {
          .batch = (int32_t)xs->d[0],
          .in_h = (int32_t)xs->d[2],
          .in_w = (int32_t)xs->d[3],
          .in_c = (int32_t)xs->d[1],
          .out_h = (int32_t)ys->d[2],
          .out_w = (int32_t)ys->d[3],
          .out_c = (int32_t)ws->d[0],
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
      rc_ref_conv2d_nhwc(&cp, x, input(g, p, arena, n, 1), input(g, p, arena, n, 2), y, pool);
      return REPCONV_OK;
    }
    case RC_OP_BATCHNORM: {
      size_t c = (size_t)channels_of(xs);
      rc_ref_batchnorm_nhwc(numel / c, c, x, input(g, p, arena, n, 1), input(g, p, arena, n, 2),
                            input(g, p, arena, n, 3), input(g, p, arena, n, 4), a->eps, y);
      return REPCONV_OK;
    }
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV:
      run_binary(g, n, x, input(g, p, arena, n, 1), y);
      return REPCONV_OK;
    case RC_OP_CONCAT: {
      enum { SMALL = 16 };
      const float* xs_small[SMALL];
      int32_t ch_small[SMALL];
      const float** xv = xs_small;
      int32_t* cv = ch_small;
      if (n->n_inputs > SMALL) {
        xv = malloc((size_t)n->n_inputs * sizeof(*xv));
        cv = malloc((size_t)n->n_inputs * sizeof(*cv));
        if (!xv || !cv) {
          free(xv);
          free(cv);
          return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "node '%s': out of memory", n->name);
        }
      }
      for (int32_t k = 0; k < n->n_inputs; k++) {
        xv[k] = input(g, p, arena, n, k);
        cv[k] = (int32_t)shape(g, n, k)->d[1];
      }
      rc_ref_concat_nhwc(numel / (size_t)ys->d[1], (size_t)n->n_inputs, xv, cv, y);
      if (xv != xs_small) {
        free(xv);
        free(cv);
      }
      return REPCONV_OK;
    }
    case RC_OP_PAD:
      rc_ref_pad_nhwc((int32_t)xs->d[0], (int32_t)xs->d[2], (int32_t)xs->d[3], (int32_t)xs->d[1], a->pad[0],
                      a->pad[1], a->pad[2], a->pad[3], input(g, p, arena, n, 1), x, y);
      return REPCONV_OK;
    case RC_OP_AVGPOOL: {
      rc_pool_params pp = pool_params(xs, ys, a);
      rc_ref_avgpool_nhwc(&pp, x, y, pool);
      return REPCONV_OK;
    }
    case RC_OP_MAXPOOL: {
      rc_pool_params pp = pool_params(xs, ys, a);
      rc_ref_maxpool_nhwc(&pp, x, y, pool);
      return REPCONV_OK;
    }
    case RC_OP_GLOBAL_AVGPOOL:
      rc_ref_global_avgpool_nhwc((int32_t)xs->d[0], (size_t)(xs->d[2] * xs->d[3]), (size_t)xs->d[1], x, y);
      return REPCONV_OK;
    case RC_OP_GEMM:
      rc_ref_gemm((size_t)xs->d[0], (size_t)xs->d[1], (size_t)ys->d[1], x, input(g, p, arena, n, 1),
                  input(g, p, arena, n, 2), a->alpha, a->beta, y, pool);
      return REPCONV_OK;
    case RC_OP_FLATTEN:
    case RC_OP_RESHAPE: {
      int64_t di[4], dout[4];
      rc_shape_dims4(xs, di);
      rc_shape_dims4(ys, dout);
      rc_ref_reshape(di, 1, x, dout, 1, y);
      return REPCONV_OK;
    }
    case RC_OP_RELU:
      rc_ref_relu(numel, x, y);
      return REPCONV_OK;
    case RC_OP_LEAKY_RELU:
      rc_ref_leaky_relu(numel, a->alpha, x, y);
      return REPCONV_OK;
    case RC_OP_CLIP:
      rc_ref_clip(numel, a->min, a->max, x, y);
      return REPCONV_OK;
    case RC_OP_SIGMOID:
      rc_ref_sigmoid(numel, x, y);
      return REPCONV_OK;
    case RC_OP_PRELU: {
      size_t c = (size_t)channels_of(xs);
      size_t ns = (size_t)rc_shape_numel(shape(g, n, 1));
      rc_ref_prelu_nhwc(numel / c, c, input(g, p, arena, n, 1), ns, x, y);
      return REPCONV_OK;
    }
    case RC_OP_DEPTH_TO_SPACE:
      rc_ref_depth_to_space_nhwc((int32_t)xs->d[0], (int32_t)xs->d[2], (int32_t)xs->d[3], (int32_t)xs->d[1],
                                 a->block, a->mode, x, y);
      return REPCONV_OK;
    case RC_OP_UPSAMPLE_NEAREST:
      rc_ref_upsample_nearest_nhwc((int32_t)xs->d[0], (int32_t)xs->d[2], (int32_t)xs->d[3], (int32_t)xs->d[1],
                                   a->scale[0], a->scale[1], x, y);
      return REPCONV_OK;
    case RC_OP_IDENTITY:
      memcpy(y, x, numel * sizeof(float));
      return REPCONV_OK;
    case RC_OP_COUNT:
      break;
  }
  return rc_error(REPCONV_ERROR_INTERNAL, "node '%s': no kernel for op %d", n->name, (int)n->op);
}

rc_status rc_exec_run(const rc_graph* g, const rc_plan* p, float* arena, pthreadpool_t pool) {
  for (int32_t i = 0; i < p->n_order; i++) {
    RC_CHECK(run_node(g, p, arena, &g->nodes[p->order[i]], pool));
  }
  return REPCONV_OK;
}

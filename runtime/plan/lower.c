#include "runtime/plan/lower.h"

#include <string.h>

int rc_binary_physical_shape(const rc_graph* g, const rc_node* n, int k, size_t shape[4]) {
  const rc_shape* out = &g->tensors[n->output].shape;
  const rc_tensor* t = &g->tensors[n->inputs[k]];
  int64_t ld[4] = {1, 1, 1, 1};
  int shift = out->ndim - t->shape.ndim;
  if (shift < 0) return 0;
  /* An activation is stored channels-last in its own rank. */
  if (t->kind != RC_TENSOR_CONST && shift != 0) return 0;
  for (int i = 0; i < t->shape.ndim; i++) ld[i + shift] = t->shape.d[i];
  /* A constant is stored in C order: the same bytes as channels-last iff it
   * does not have both channels and spatial extent. */
  if (t->kind == RC_TENSOR_CONST && !(ld[1] == 1 || (ld[2] == 1 && ld[3] == 1))) return 0;
  shape[0] = (size_t)ld[0];
  shape[1] = (size_t)ld[2];
  shape[2] = (size_t)ld[3];
  shape[3] = (size_t)ld[1];
  return 1;
}

rc_wino_conv_params rc_lower_wino_params(const rc_graph* g, const rc_node* n, int variant) {
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  rc_wino_conv_params wp;
  memset(&wp, 0, sizeof wp);
  wp.variant = (rc_wino_variant)variant;
  wp.isa = RC_WINO_ISA_AUTO;
  wp.batch = (int32_t)xs->d[0];
  wp.in_h = (int32_t)xs->d[2];
  wp.in_w = (int32_t)xs->d[3];
  wp.in_c = (int32_t)xs->d[1];
  wp.out_h = (int32_t)ys->d[2];
  wp.out_w = (int32_t)ys->d[3];
  wp.out_c = (int32_t)ys->d[1];
  wp.pad_top = n->a.pad[0];
  wp.pad_left = n->a.pad[1];
  return wp;
}

rc_gemm_conv_params rc_lower_gemm_params(const rc_graph* g, const rc_node* n) {
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  rc_gemm_conv_params cp;
  memset(&cp, 0, sizeof cp);
  cp.ukernel = RC_GEMM_UK_AUTO;
  cp.batch = (int32_t)xs->d[0];
  cp.in_c = (int32_t)xs->d[1];
  cp.out_c = (int32_t)ys->d[1];
  cp.dilation_h = cp.dilation_w = cp.stride_h = cp.stride_w = cp.kernel_h = cp.kernel_w = 1;
  cp.groups = 1;
  cp.in_h = cp.in_w = cp.out_h = cp.out_w = 1;
  if (n->op == RC_OP_CONV2D) {
    const rc_attrs* a = &n->a;
    cp.in_h = (int32_t)xs->d[2];
    cp.in_w = (int32_t)xs->d[3];
    cp.out_h = (int32_t)ys->d[2];
    cp.out_w = (int32_t)ys->d[3];
    cp.kernel_h = a->kernel[0];
    cp.kernel_w = a->kernel[1];
    cp.stride_h = a->stride[0];
    cp.stride_w = a->stride[1];
    cp.dilation_h = a->dilation[0];
    cp.dilation_w = a->dilation[1];
    cp.pad_top = a->pad[0];
    cp.pad_left = a->pad[1];
    cp.groups = a->groups;
  }
  return cp;
}

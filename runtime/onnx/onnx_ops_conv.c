/* ONNX ops with weights or windows: Conv, BatchNormalization, Gemm/MatMul
 * with a constant B, Pad, AveragePool/MaxPool. */
#include <stdlib.h>
#include <string.h>

#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_ops.h"
#include "runtime/onnx/onnx_ring.h"
#include "runtime/onnx/onnx_tensor.h"

rc_status ox_op_conv(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1, w = -1, b = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  if (n_in < 2 || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no weight");
  RC_CHECK(ox_materialize(x, in[1]));
  if (in[1]->kind == OX_CONST && in[1]->c.ndim != 4) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%d-D convolution (weight rank %d); repconv runs 2-D convs",
                         in[1]->c.ndim - 2, in[1]->c.ndim);
  }
  RC_CHECK(ox_ir_const(x, in[1], "weight", &w));
  if (n_in > 2 && in[2]) RC_CHECK(ox_ir_const(x, in[2], "bias", &b));
  const rc_shape* ws = ox_shape_of(x, w);
  const rc_shape* xs = ox_shape_of(x, xi);
  if (xs->ndim != 4)
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input of rank %d (2-D convs take NCHW)", xs->ndim);
  rc_attrs a = rc_attrs_default();
  a.kernel[0] = (int32_t)ws->d[2];
  a.kernel[1] = (int32_t)ws->d[3];
  int32_t ks[2] = {a.kernel[0], a.kernel[1]};
  RC_CHECK(ox_ints_attr(x, "kernel_shape", 2, 1, 4096, ks));
  if (ks[0] != a.kernel[0] || ks[1] != a.kernel[1]) {
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "kernel_shape %dx%d does not match the weight's %dx%d", ks[0], ks[1],
                         a.kernel[0], a.kernel[1]);
  }
  RC_CHECK(ox_ints_attr(x, "strides", 2, 1, 4096, a.stride));
  RC_CHECK(ox_ints_attr(x, "dilations", 2, 1, 4096, a.dilation));
  RC_CHECK(ox_ints_attr(x, "pads", 4, 0, 4096, a.pad));
  RC_CHECK(ox_to_i32(x, "group", ox_attr_int(x->node, "group", 1), 1, 1 << 20, &a.groups));
  RC_CHECK(ox_auto_pad(x, xs, &a));
  int32_t ins[3] = {xi, w, b};
  return ox_add_ir(x, RC_OP_CONV2D, ins, b >= 0 ? 3 : 2, &a, NULL, NULL);
}

rc_status ox_op_batchnorm(ox* x, ox_value** in, size_t n_in) {
  if (n_in != 5) return ox_node_error(x, REPCONV_ERROR_FORMAT, "%zu inputs (5 expected)", n_in);
  if (ox_attr_int(x->node, "training_mode", 0) != 0) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "training_mode=1 (export the model in eval mode)");
  }
  if (ox_attr_int(x->node, "spatial", 1) != 1) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "spatial=0");
  for (size_t k = 1; k < x->node->n_output; k++) {
    if (x->node->output[k] && x->node->output[k][0]) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "training outputs (running mean/var) are requested");
    }
  }
  int32_t ins[5];
  static const char* const roles[] = {"input", "scale", "bias", "mean", "var"};
  RC_CHECK(ox_tensor_of(x, in[0], roles[0], &ins[0]));
  for (int k = 1; k < 5; k++) RC_CHECK(ox_ir_const(x, in[k], roles[k], &ins[k]));
  rc_attrs a = rc_attrs_default();
  a.eps = ox_attr_float(x->node, "epsilon", 1e-5f);
  return ox_add_ir(x, RC_OP_BATCHNORM, ins, 5, &a, NULL, NULL);
}

/* Gemm/MatMul with a constant right-hand side → IR gemm (weight [out, in]). */
rc_status ox_op_gemm(ox* x, ox_value** in, size_t n_in) {
  int matmul = strcmp(x->node->op_type, "MatMul") == 0;
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input A", &xi));
  if (n_in < 2 || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no input B");
  RC_CHECK(ox_materialize(x, in[1]));
  if (in[1]->kind != OX_CONST) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input B '%s' is computed; only a constant B is supported",
                         in[1]->name);
  }
  const rc_shape* xs = ox_shape_of(x, xi);
  if (xs->ndim != 2) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input A of rank %d (2 supported)", xs->ndim);
  if (!matmul && ox_attr_int(x->node, "transA", 0)) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "transA=1");
  const ox_const* B = &in[1]->c;
  if (B->ndim != 2 || B->dtype != OX_FLOAT) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "B of rank %d, dtype %s (float32 matrix expected)", B->ndim,
                         ox_dtype_name(B->dtype));
  }
  int trans_b = !matmul && ox_attr_int(x->node, "transB", 0);
  int64_t out = trans_b ? B->dims[0] : B->dims[1], k = trans_b ? B->dims[1] : B->dims[0];
  if (k != xs->d[1]) {
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "A has %lld columns, B has %lld rows", (long long)xs->d[1],
                         (long long)k);
  }
  rc_attrs a = rc_attrs_default();
  a.alpha = matmul ? 1.0f : ox_attr_float(x->node, "alpha", 1.0f);
  a.beta = matmul ? 1.0f : ox_attr_float(x->node, "beta", 1.0f);
  int32_t ins[3] = {xi, -1, -1};
  if (trans_b) {
    RC_CHECK(ox_ir_const(x, in[1], "B", &ins[1]));
  } else {
    float* wt = malloc((size_t)(out * k) * sizeof(float));
    if (!wt) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
    for (int64_t o = 0; o < out; o++) {
      for (int64_t j = 0; j < k; j++) wt[o * k + j] = (float)B->d[j * out + o];
    }
    rc_shape ws = {2, {out, k}};
    rc_status s = ox_ir_const_data(x, ".weight_t", &ws, wt, &ins[1]);
    free(wt);
    RC_CHECK(s);
  }
  if (!matmul && n_in > 2 && in[2]) {
    RC_CHECK(ox_materialize(x, in[2]));
    const ox_const* C = in[2]->kind == OX_CONST ? &in[2]->c : NULL;
    if (!C || C->dtype != OX_FLOAT || (C->numel != 1 && C->numel != out)) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "C must be a float32 constant of 1 or %lld elements",
                           (long long)out);
    }
    float* bias = malloc((size_t)out * sizeof(float));
    if (!bias) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
    for (int64_t o = 0; o < out; o++) bias[o] = (float)C->d[C->numel == 1 ? 0 : o];
    rc_shape bs = {1, {out}};
    rc_status s = ox_ir_const_data(x, ".bias", &bs, bias, &ins[2]);
    free(bias);
    RC_CHECK(s);
  }
  return ox_add_ir(x, RC_OP_GEMM, ins, ins[2] >= 0 ? 3 : 2, &a, NULL, NULL);
}

rc_status ox_op_pad(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = ox_shape_of(x, xi);
  char mode[32];
  ox_attr_string(x->node, "mode", "constant", mode, sizeof(mode));
  if (strcmp(mode, "constant") != 0) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "pad mode '%s' (only 'constant')", mode);
  }
  int64_t pads[8];
  size_t np = 0;
  double value = 0;
  if (x->opset < 11) {
    const int64_t* p = ox_attr_ints(x->node, "pads", &np);
    if (np > 8) np = 9; /* rejected below */
    for (size_t k = 0; k < np && k < 8; k++) pads[k] = p[k];
    value = ox_attr_float(x->node, "value", 0.0f);
  } else {
    if (n_in < 2 || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no pads input");
    RC_CHECK(ox_materialize(x, in[1]));
    if (in[1]->kind != OX_CONST) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "pads are computed at run time");
    np = (size_t)in[1]->c.numel;
    for (size_t k = 0; k < np && k < 8; k++) pads[k] = ox_const_get_i(&in[1]->c, (int64_t)k);
    if (n_in > 2 && in[2]) {
      RC_CHECK(ox_materialize(x, in[2]));
      if (in[2]->kind != OX_CONST || in[2]->c.numel != 1) {
        return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "constant_value must be a constant scalar");
      }
      value = ox_const_get_d(&in[2]->c, 0);
    }
    if (n_in > 3 && in[3]) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the axes input");
  }
  if (xs->ndim != 4 || np != 8) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%zu pads for a rank-%d input (NCHW inputs, 8 pads)", np,
                         xs->ndim);
  }
  if (pads[0] || pads[1] || pads[4] || pads[5]) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "padding the batch or channel dims");
  }
  rc_attrs a = rc_attrs_default();
  static const int order[4] = {2, 3, 6, 7}; /* top, left, bottom, right */
  for (int k = 0; k < 4; k++) {
    if (pads[order[k]] < 0) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "negative pads (cropping)");
    RC_CHECK(ox_to_i32(x, "pads", pads[order[k]], 0, 4096, &a.pad[k]));
  }
  int64_t c = xs->d[1];
  double* vals = malloc((size_t)(c ? c : 1) * sizeof(double));
  if (!vals) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  for (int64_t k = 0; k < c; k++) vals[k] = value;
  rc_status s = ox_pad_pending(x, xi, a.pad, vals);
  free(vals);
  return s;
}

rc_status ox_op_pool(ox* x, ox_value** in, size_t n_in) {
  int avg = strcmp(x->node->op_type, "AveragePool") == 0;
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  for (size_t k = 1; k < x->node->n_output; k++) {
    if (x->node->output[k] && x->node->output[k][0]) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the Indices output");
    }
  }
  const rc_shape* xs = ox_shape_of(x, xi);
  if (xs->ndim != 4)
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input of rank %d (2-D pools take NCHW)", xs->ndim);
  rc_attrs a = rc_attrs_default();
  a.kernel[0] = a.kernel[1] = 0;
  RC_CHECK(ox_ints_attr(x, "kernel_shape", 2, 1, 4096, a.kernel));
  if (!a.kernel[0]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no 2-D kernel_shape");
  RC_CHECK(ox_ints_attr(x, "strides", 2, 1, 4096, a.stride));
  RC_CHECK(ox_ints_attr(x, "pads", 4, 0, 4096, a.pad));
  int32_t dil[2] = {1, 1};
  RC_CHECK(ox_ints_attr(x, "dilations", 2, 1, 4096, dil));
  if (dil[0] != 1 || dil[1] != 1) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "dilations %dx%d (pools run undilated)", dil[0], dil[1]);
  }
  a.ceil_mode = ox_attr_int(x->node, "ceil_mode", 0) != 0;
  a.count_include_pad = avg && ox_attr_int(x->node, "count_include_pad", 0) != 0; /* ONNX default 0 */
  RC_CHECK(ox_auto_pad(x, xs, &a));
  return ox_add_ir(x, avg ? RC_OP_AVGPOOL : RC_OP_MAXPOOL, &xi, 1, &a, NULL, NULL);
}

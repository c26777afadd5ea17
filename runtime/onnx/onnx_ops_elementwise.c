/* Elementwise ONNX ops on computed tensors: Add/Sub/Mul/Div, the
 * activations (and GlobalAveragePool, Flatten, DepthToSpace: one input, a few
 * attributes), PRelu. */
#include <math.h>
#include <string.h>

#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_ops.h"
#include "runtime/onnx/onnx_tensor.h"

rc_status ox_op_binary(ox* x, ox_value** in, size_t n_in) {
  const char* op = x->node->op_type;
  rc_op ir = op[0] == 'A' ? RC_OP_ADD : op[0] == 'S' ? RC_OP_SUB : op[0] == 'M' ? RC_OP_MUL : RC_OP_DIV;
  if (n_in != 2 || !in[0] || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs two inputs");
  int32_t ins[2];
  for (int k = 0; k < 2; k++) {
    if (in[k]->kind == OX_TENSOR) {
      ins[k] = in[k]->tensor;
    } else {
      RC_CHECK(ox_ir_const(x, in[k], k ? "operand B" : "operand A", &ins[k]));
    }
  }
  return ox_add_ir(x, ir, ins, 2, NULL, NULL, NULL);
}

rc_status ox_op_unary(ox* x, ox_value** in, size_t n_in) {
  const char* op = x->node->op_type;
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  rc_attrs a = rc_attrs_default();
  rc_op ir;
  if (strcmp(op, "Relu") == 0) {
    ir = RC_OP_RELU;
  } else if (strcmp(op, "Sigmoid") == 0) {
    ir = RC_OP_SIGMOID;
  } else if (strcmp(op, "HardSigmoid") == 0) {
    ir = RC_OP_HARD_SIGMOID;
    a.alpha = ox_attr_float(x->node, "alpha", 0.2f);
    a.beta = ox_attr_float(x->node, "beta", 0.5f);
  } else if (strcmp(op, "LeakyRelu") == 0) {
    ir = RC_OP_LEAKY_RELU;
    a.alpha = ox_attr_float(x->node, "alpha", 0.01f);
  } else if (strcmp(op, "GlobalAveragePool") == 0) {
    ir = RC_OP_GLOBAL_AVGPOOL;
  } else if (strcmp(op, "Flatten") == 0) {
    ir = RC_OP_FLATTEN;
    RC_CHECK(ox_to_i32(x, "axis", ox_attr_int(x->node, "axis", 1), -8, 8, &a.axis));
  } else if (strcmp(op, "Clip") == 0) {
    ir = RC_OP_CLIP;
    a.min = -INFINITY;
    a.max = INFINITY;
    if (x->opset < 11) {
      a.min = ox_attr_float(x->node, "min", -INFINITY);
      a.max = ox_attr_float(x->node, "max", INFINITY);
    } else {
      for (size_t k = 1; k < 3 && k < n_in; k++) {
        if (!in[k]) continue;
        RC_CHECK(ox_materialize(x, in[k]));
        if (in[k]->kind != OX_CONST || in[k]->c.numel != 1) {
          return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s must be a constant scalar", k == 1 ? "min" : "max");
        }
        float v = (float)ox_const_get_d(&in[k]->c, 0);
        if (k == 1)
          a.min = v;
        else
          a.max = v;
      }
    }
  } else if (strcmp(op, "DepthToSpace") == 0) {
    ir = RC_OP_DEPTH_TO_SPACE;
    RC_CHECK(ox_to_i32(x, "blocksize", ox_attr_int(x->node, "blocksize", 0), 1, 4096, &a.block));
    char mode[16];
    ox_attr_string(x->node, "mode", "DCR", mode, sizeof(mode));
    if (strcmp(mode, "DCR") == 0)
      a.mode = 1;
    else if (strcmp(mode, "CRD") == 0)
      a.mode = 0;
    else
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "mode '%s'", mode);
  } else {
    return ox_node_error(x, REPCONV_ERROR_INTERNAL, "no unary mapping");
  }
  return ox_add_ir(x, ir, &xi, 1, &a, NULL, NULL);
}

rc_status ox_op_prelu(ox* x, ox_value** in, size_t n_in) {
  int32_t ins[2];
  RC_CHECK(ox_tensor_of(x, in[0], "input", &ins[0]));
  if (n_in < 2) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no slope");
  RC_CHECK(ox_ir_const(x, in[1], "slope", &ins[1]));
  /* The IR's PRelu is per channel (dim 1); ONNX broadcasts the slope from
   * the right, so a [C] slope on NCHW runs along W. Only a slope whose
   * dims other than the one aligned with dim 1 are 1 means per channel. */
  const ox_const* sc = &in[1]->c;
  const rc_shape* xs = ox_shape_of(x, ins[0]);
  for (int i = 0; i < sc->ndim && sc->numel > 1; i++) {
    int xd = xs->ndim - sc->ndim + i;
    if (sc->dims[i] != 1 && xd != 1) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                           "slope '%s' of rank %d varies along dim %d of the rank-%d input (repconv's PRelu is per "
                           "channel: slope shape [C, 1, 1] or a scalar)",
                           in[1]->name, sc->ndim, xd, xs->ndim);
    }
  }
  return ox_add_ir(x, RC_OP_PRELU, ins, 2, NULL, NULL, NULL);
}

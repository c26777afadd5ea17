/* Constant evaluation: a node whose inputs are all constants, evaluated
 * while importing when the op is one of the shape-arithmetic and small
 * weight ops below (the rest go through runtime/eval: onnx_eval.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "runtime/onnx/onnx_const.h"
#include "runtime/onnx/onnx_const_ops.h"
#include "runtime/onnx/onnx_tensor.h"

static rc_status out_const(ox* x, const Onnx__NodeProto* n, size_t k, ox_const* c) {
  if (k >= n->n_output || !n->output[k] || !n->output[k][0]) {
    ox_const_free(c);
    return REPCONV_OK; /* output not used */
  }
  ox_value* v;
  rc_status s = ox_define(x, n->output[k], &v);
  if (s != REPCONV_OK) {
    ox_const_free(c);
    return s;
  }
  v->kind = OX_CONST;
  v->c = *c;
  memset(c, 0, sizeof(*c));
  return REPCONV_OK;
}

static const ox_const* in_c(ox_value** in, size_t n_in, size_t k) { return k < n_in && in[k] ? &in[k]->c : NULL; }

rc_status ox_const_eval(ox* x, const Onnx__NodeProto* n, ox_value** in, size_t n_in, int* handled) {
  const char* op = n->op_type;
  ox_const r;
  memset(&r, 0, sizeof(r));
  rc_status s = REPCONV_OK;
  *handled = 1;
  const ox_const* a = in_c(in, n_in, 0);
  const ox_const* b = in_c(in, n_in, 1);
  int64_t list[OX_MAX_RANK * 2];
  size_t cnt = 0;
  static const struct {
    const char* name;
    ox_bin_op op;
  } binaries[] = {{"Add", B_ADD},  {"Sub", B_SUB}, {"Mul", B_MUL},    {"Div", B_DIV}, {"Pow", B_POW},
                  {"Equal", B_EQ}, {"Less", B_LT}, {"Greater", B_GT}, {"And", B_AND}, {"Or", B_OR},
                  {"Min", B_MIN},  {"Max", B_MAX}, {"Mod", B_MOD}};
  static const struct {
    const char* name;
    ox_un_op op;
  } unaries[] = {{"Neg", U_NEG},     {"Sqrt", U_SQRT}, {"Reciprocal", U_RECIP}, {"Abs", U_ABS},
                 {"Floor", U_FLOOR}, {"Ceil", U_CEIL}, {"Not", U_NOT},          {"Exp", U_EXP},
                 {"Log", U_LOG},     {"Relu", U_RELU}, {"Sigmoid", U_SIGMOID}};
  for (size_t k = 0; k < sizeof(binaries) / sizeof(binaries[0]); k++) {
    if (strcmp(op, binaries[k].name) != 0) continue;
    if (!a || !b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs two inputs");
    RC_CHECK(ox_eval_binary(x, binaries[k].op, a, b, &r));
    /* Min/Max are variadic. */
    for (size_t j = 2; j < n_in && in[j]; j++) {
      ox_const t;
      s = ox_eval_binary(x, binaries[k].op, &r, &in[j]->c, &t);
      ox_const_free(&r);
      RC_CHECK(s);
      r = t;
    }
    return out_const(x, n, 0, &r);
  }
  for (size_t k = 0; k < sizeof(unaries) / sizeof(unaries[0]); k++) {
    if (strcmp(op, unaries[k].name) != 0) continue;
    if (!a) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs an input");
    RC_CHECK(ox_eval_unary(x, unaries[k].op, a, &r));
    return out_const(x, n, 0, &r);
  }
  if (strcmp(op, "Constant") == 0) {
    const Onnx__AttributeProto* at;
    if ((at = ox_attr(n, "value")) && at->t) {
      RC_CHECK(ox_tensor_decode(x, at->t, "Constant value", &r));
    } else if ((at = ox_attr(n, "value_float")) && at->has_f) {
      RC_CHECK(ox_const_alloc(x, &r, OX_FLOAT, 0, NULL));
      r.d[0] = at->f;
    } else if ((at = ox_attr(n, "value_int")) && at->has_i) {
      RC_CHECK(ox_const_alloc(x, &r, OX_INT64, 0, NULL));
      r.i[0] = at->i;
    } else if ((at = ox_attr(n, "value_floats"))) {
      int64_t d = (int64_t)at->n_floats;
      RC_CHECK(ox_const_alloc(x, &r, OX_FLOAT, 1, &d));
      for (int64_t k = 0; k < d; k++) r.d[k] = at->floats[k];
    } else if ((at = ox_attr(n, "value_ints"))) {
      int64_t d = (int64_t)at->n_ints;
      RC_CHECK(ox_const_alloc(x, &r, OX_INT64, 1, &d));
      for (int64_t k = 0; k < d; k++) r.i[k] = at->ints[k];
    } else {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "Constant without a tensor, float(s) or int(s) value");
    }
    return out_const(x, n, 0, &r);
  }
  if (!a) {
    *handled = 0;
    return REPCONV_OK;
  }
  if (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0) {
    RC_CHECK(ox_const_copy(x, a, &r));
  } else if (strcmp(op, "Cast") == 0) {
    RC_CHECK(ox_eval_cast(x, a, ox_attr_int(n, "to", 0), &r));
  } else if (strcmp(op, "Shape") == 0) {
    int64_t d = a->ndim;
    RC_CHECK(ox_const_alloc(x, &r, OX_INT64, 1, &d));
    for (int i = 0; i < a->ndim; i++) r.i[i] = a->dims[i];
  } else if (strcmp(op, "Size") == 0) {
    RC_CHECK(ox_const_alloc(x, &r, OX_INT64, 0, NULL));
    r.i[0] = a->numel;
  } else if (strcmp(op, "Gather") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs indices");
    RC_CHECK(ox_eval_gather(x, a, b, ox_attr_int(n, "axis", 0), &r));
  } else if (strcmp(op, "Unsqueeze") == 0 || strcmp(op, "Squeeze") == 0) {
    int sq = op[0] == 'S';
    const int64_t* axes = NULL;
    if (x->opset >= 13) {
      if (b) {
        RC_CHECK(ox_int_list(x, in[1], "axes", list, OX_MAX_RANK, &cnt));
        axes = list;
      }
    } else {
      axes = ox_attr_ints(n, "axes", &cnt);
    }
    int64_t dims[OX_MAX_RANK];
    int32_t nd = 0;
    int out_rank = sq ? a->ndim - (int)cnt : a->ndim + (int)cnt;
    if (out_rank < 0 || out_rank > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_SHAPE, "bad axes");
    int mark[OX_MAX_RANK] = {0};
    for (size_t k = 0; k < cnt; k++) {
      int ax;
      if (!ox_norm_axis(axes[k], sq ? a->ndim : out_rank, &ax) || mark[ax]++)
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "bad axes");
    }
    if (sq) {
      for (int i = 0; i < a->ndim; i++) {
        int drop = cnt ? mark[i] : a->dims[i] == 1;
        if (drop && a->dims[i] != 1)
          return ox_node_error(x, REPCONV_ERROR_SHAPE, "squeezing a dim of %lld", (long long)a->dims[i]);
        if (!drop) dims[nd++] = a->dims[i];
      }
    } else {
      int j = 0;
      for (int i = 0; i < out_rank; i++) dims[nd++] = mark[i] ? 1 : a->dims[j++];
    }
    RC_CHECK(ox_eval_reshape(x, a, dims, (size_t)nd, 1, &r));
  } else if (strcmp(op, "Concat") == 0) {
    for (size_t k = 0; k < n_in; k++) {
      if (!in[k]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "empty input name");
    }
    RC_CHECK(ox_eval_concat(x, in, n_in, ox_attr_int(n, "axis", 0), &r));
  } else if (strcmp(op, "Reshape") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs a shape");
    RC_CHECK(ox_int_list(x, in[1], "shape", list, OX_MAX_RANK, &cnt));
    RC_CHECK(ox_eval_reshape(x, a, list, cnt, (int)ox_attr_int(n, "allowzero", 0), &r));
  } else if (strcmp(op, "Flatten") == 0) {
    int ax;
    int64_t axis = ox_attr_int(n, "axis", 1);
    if (axis == a->ndim)
      ax = a->ndim;
    else if (!ox_norm_axis(axis, a->ndim, &ax))
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "axis %lld", (long long)axis);
    int64_t d2[2] = {1, 1};
    for (int i = 0; i < a->ndim; i++) d2[i >= ax] *= a->dims[i];
    RC_CHECK(ox_eval_reshape(x, a, d2, 2, 1, &r));
  } else if (strcmp(op, "Transpose") == 0) {
    const int64_t* perm = ox_attr_ints(n, "perm", &cnt);
    RC_CHECK(ox_eval_transpose(x, a, perm, cnt, &r));
  } else if (strcmp(op, "Slice") == 0) {
    ox_slice_args sa;
    RC_CHECK(ox_slice_read(x, n, in, n_in, &sa));
    RC_CHECK(ox_eval_slice(x, a, &sa, &r));
  } else if (strcmp(op, "ScatterND") == 0) {
    char red[16];
    ox_attr_string(n, "reduction", "none", red, sizeof(red));
    if (strcmp(red, "none") != 0)
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "reduction '%s' (only 'none')", red);
    const ox_const* c = in_c(in, n_in, 2);
    if (!b || !c) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs data, indices and updates");
    RC_CHECK(ox_eval_scatternd(x, a, b, c, &r));
  } else if (strcmp(op, "ConstantOfShape") == 0) {
    RC_CHECK(ox_int_list(x, in[0], "shape", list, OX_MAX_RANK, &cnt));
    const Onnx__AttributeProto* at = ox_attr(n, "value");
    ox_const fill;
    if (at && at->t) {
      RC_CHECK(ox_tensor_decode(x, at->t, "ConstantOfShape value", &fill));
    } else {
      RC_CHECK(ox_const_alloc(x, &fill, OX_FLOAT, 0, NULL));
    }
    if (fill.numel != 1) {
      ox_const_free(&fill);
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "value must hold one element");
    }
    s = ox_const_alloc(x, &r, fill.dtype, (int32_t)cnt, list);
    if (s == REPCONV_OK) {
      for (int64_t k = 0; k < r.numel; k++) {
        if (r.d)
          r.d[k] = fill.d[0];
        else
          r.i[k] = fill.i[0];
      }
    }
    ox_const_free(&fill);
    if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  } else if (strcmp(op, "Expand") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs a shape");
    RC_CHECK(ox_int_list(x, in[1], "shape", list, OX_MAX_RANK, &cnt));
    RC_CHECK(ox_eval_expand(x, a, list, cnt, &r));
  } else if (strcmp(op, "Tile") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs repeats");
    RC_CHECK(ox_int_list(x, in[1], "repeats", list, OX_MAX_RANK, &cnt));
    RC_CHECK(ox_eval_tile(x, a, list, cnt, &r));
  } else if (strcmp(op, "Range") == 0) {
    const ox_const* c = in_c(in, n_in, 2);
    if (!b || !c || a->numel != 1 || b->numel != 1 || c->numel != 1) {
      return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs scalar start, limit, delta");
    }
    double st = ox_const_get_d(a, 0), lim = ox_const_get_d(b, 0), dl = ox_const_get_d(c, 0);
    if (dl == 0 || !isfinite(st) || !isfinite(lim) || !isfinite(dl))
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "bad range");
    double cntd = ceil((lim - st) / dl);
    int64_t len = cntd > 0 ? (cntd > (double)OX_MAX_CONST_ELEMENTS ? OX_MAX_CONST_ELEMENTS + 1 : (int64_t)cntd) : 0;
    RC_CHECK(ox_const_alloc(x, &r, a->dtype, 1, &len));
    for (int64_t k = 0; k < len; k++) {
      if (r.d)
        r.d[k] = ox_round_to(r.dtype, st + (double)k * dl);
      else
        r.i[k] = ox_const_get_i(a, 0) + k * ox_const_get_i(c, 0);
    }
  } else if (strcmp(op, "Where") == 0) {
    const ox_const* c = in_c(in, n_in, 2);
    if (!b || !c) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs three inputs");
    const ox_const* cs[3] = {a, b, c};
    int32_t nd;
    int64_t dims[OX_MAX_RANK];
    if (!ox_broadcast(cs, 3, &nd, dims)) return ox_node_error(x, REPCONV_ERROR_SHAPE, "inputs do not broadcast");
    RC_CHECK(ox_const_alloc(x, &r, b->dtype, nd, dims));
    for (int64_t k = 0; k < r.numel; k++) {
      const ox_const* pick = ox_const_get_d(a, ox_bcast_index(a, nd, dims, k)) != 0 ? b : c;
      int64_t src = ox_bcast_index(pick, nd, dims, k);
      if (r.d)
        r.d[k] = ox_const_get_d(pick, src);
      else
        r.i[k] = ox_const_get_i(pick, src);
    }
  } else if (strcmp(op, "MatMul") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs two inputs");
    RC_CHECK(ox_eval_matmul(x, a, b, &r));
  } else if (strcmp(op, "Einsum") == 0) {
    char eq[64];
    ox_attr_string(n, "equation", "", eq, sizeof(eq));
    for (size_t k = 0; k < n_in; k++) {
      if (!in[k]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "empty input name");
    }
    RC_CHECK(ox_eval_einsum(x, eq, in, n_in, &r));
  } else {
    *handled = 0;
    return REPCONV_OK;
  }
  return out_const(x, n, 0, &r);
}

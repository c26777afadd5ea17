/* ONNX ops that move data of computed tensors: Concat (channels; along H
 * or W as a pad), Identity/Dropout, Reshape, Squeeze/Unsqueeze, Tile/Expand
 * (channels). Resize/Upsample: onnx_ops_resize.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_ops.h"
#include "runtime/onnx/onnx_ring.h"
#include "runtime/onnx/onnx_tensor.h"

/* Concat along H or W of one computed tensor with constant slabs whose value
 * depends only on the channel is a pad with per-channel values (BN-and-pad
 * written with torch.cat): turned into a Pad node. */
static rc_status concat_as_pad(ox* x, ox_value** in, size_t n_in, int axis) {
  int32_t xi = -1;
  size_t at = 0;
  for (size_t k = 0; k < n_in; k++) {
    if (in[k]->kind != OX_TENSOR) continue;
    if (xi >= 0) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "concat along axis %d of computed tensors", axis);
    xi = in[k]->tensor;
    at = k;
  }
  const rc_shape* xs = ox_shape_of(x, xi);
  int64_t c = xs->d[1];
  double* vals = NULL;
  int64_t before = 0, after = 0;
  for (size_t k = 0; k < n_in; k++) {
    if (k == at) continue;
    const ox_const* cst = &in[k]->c;
    int ok = cst->dtype == OX_FLOAT && cst->ndim == 4 && cst->dims[0] == xs->d[0] && cst->dims[1] == c &&
             cst->dims[5 - axis] == xs->d[5 - axis];
    int64_t plane = ok ? cst->dims[2] * cst->dims[3] : 0;
    for (int64_t e = 0; ok && e < cst->numel; e++) {
      int64_t ch = (e / plane) % c;
      ok = cst->d[e] == (vals ? vals[ch] : cst->d[(e / plane) * plane]);
    }
    if (ok && !vals) {
      vals = malloc((size_t)c * sizeof(double));
      if (!vals) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
      for (int64_t ch = 0; ch < c; ch++) vals[ch] = cst->d[ch * plane];
      /* Re-check the first slab against the per-channel values across batch. */
      for (int64_t e = 0; ok && e < cst->numel; e++) ok = cst->d[e] == vals[(e / plane) % c];
    }
    if (!ok) {
      free(vals);
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                           "concat along axis %d with a constant that is not a per-channel pad value", axis);
    }
    if (k < at)
      before += cst->dims[axis];
    else
      after += cst->dims[axis];
  }
  rc_attrs a = rc_attrs_default();
  int side = axis == 2 ? 0 : 1; /* pad[] is top, left, bottom, right */
  rc_status s = ox_to_i32(x, "pad", before, 0, 4096, &a.pad[side]);
  if (s == REPCONV_OK) s = ox_to_i32(x, "pad", after, 0, 4096, &a.pad[side + 2]);
  if (s == REPCONV_OK) s = ox_pad_pending(x, xi, a.pad, vals);
  free(vals);
  return s;
}

rc_status ox_op_concat(ox* x, ox_value** in, size_t n_in) {
  if (n_in < 1) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no inputs");
  int32_t first = -1;
  for (size_t k = 0; k < n_in; k++) {
    if (!in[k]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "empty input name");
    if (in[k]->kind == OX_TENSOR && first < 0) first = in[k]->tensor;
  }
  const rc_shape* s0 = ox_shape_of(x, first);
  int64_t axis = ox_attr_int(x->node, "axis", 1);
  if (axis < 0) axis += s0->ndim;
  if ((axis == 2 || axis == 3) && s0->ndim == 4) return concat_as_pad(x, in, n_in, (int)axis);
  if (axis != 1) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "concat along axis %lld (only channels, axis 1)",
                         (long long)ox_attr_int(x->node, "axis", 1));
  }
  int32_t* ins = malloc(n_in * sizeof(int32_t));
  if (!ins) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  rc_status s = REPCONV_OK;
  for (size_t k = 0; k < n_in && s == REPCONV_OK; k++) s = ox_tensor_of(x, in[k], "input", &ins[k]);
  if (s == REPCONV_OK) s = ox_add_ir(x, RC_OP_CONCAT, ins, (int32_t)n_in, NULL, NULL, NULL);
  free(ins);
  return s;
}

/* Identity and Dropout (eval) forward the tensor under a new name. */
rc_status ox_op_alias(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  for (size_t k = 1; k < x->node->n_output; k++) {
    if (x->node->output[k] && x->node->output[k][0]) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the mask output");
    }
  }
  return ox_define_tensor(x, x->node->output[0], xi);
}

static rc_status reshape_to(ox* x, int32_t xi, int ndim, const int64_t* dims) {
  if (ndim < 1 || ndim > RC_MAX_DIMS) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "result of rank %d (activations have rank 1 to 4)", ndim);
  }
  rc_attrs a = rc_attrs_default();
  a.reshape_ndim = ndim;
  for (int i = 0; i < ndim; i++) a.reshape[i] = dims[i];
  return ox_add_ir(x, RC_OP_RESHAPE, &xi, 1, &a, NULL, NULL);
}

rc_status ox_op_reshape(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  if (n_in < 2 || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no shape input");
  RC_CHECK(ox_materialize(x, in[1]));
  if (in[1]->kind != OX_CONST || in[1]->c.ndim != 1) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the target shape is computed at run time");
  }
  const ox_const* sh = &in[1]->c;
  if (sh->numel > RC_MAX_DIMS) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "result of rank %lld", (long long)sh->numel);
  }
  int64_t dims[RC_MAX_DIMS];
  int allowzero = ox_attr_int(x->node, "allowzero", 0) != 0;
  for (int64_t k = 0; k < sh->numel; k++) {
    dims[k] = ox_const_get_i(sh, k);
    if (dims[k] == 0 && allowzero) return ox_node_error(x, REPCONV_ERROR_SHAPE, "a zero-sized dim");
  }
  return reshape_to(x, xi, (int)sh->numel, dims);
}

rc_status ox_op_squeeze(ox* x, ox_value** in, size_t n_in) {
  int sq = x->node->op_type[0] == 'S';
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = ox_shape_of(x, xi);
  int64_t axes[RC_MAX_DIMS * 2];
  size_t cnt = 0;
  if (x->opset >= 13) {
    if (n_in > 1 && in[1]) {
      RC_CHECK(ox_materialize(x, in[1]));
      if (in[1]->kind != OX_CONST || in[1]->c.numel > RC_MAX_DIMS) {
        return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "axes must be a short constant list");
      }
      cnt = (size_t)in[1]->c.numel;
      for (size_t k = 0; k < cnt; k++) axes[k] = ox_const_get_i(&in[1]->c, (int64_t)k);
    }
  } else {
    const int64_t* a = ox_attr_ints(x->node, "axes", &cnt);
    if (cnt > RC_MAX_DIMS) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%zu axes", cnt);
    for (size_t k = 0; k < cnt; k++) axes[k] = a[k];
  }
  int out_rank = sq ? xs->ndim - (int)cnt : xs->ndim + (int)cnt;
  if (sq && cnt == 0) {
    out_rank = 0;
    for (int i = 0; i < xs->ndim; i++) out_rank += xs->d[i] != 1;
  }
  if (out_rank < 1 || out_rank > RC_MAX_DIMS) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "result of rank %d", out_rank);
  }
  int mark[RC_MAX_DIMS * 2] = {0};
  int range = sq ? xs->ndim : out_rank;
  for (size_t k = 0; k < cnt; k++) {
    int64_t ax = axes[k] < 0 ? axes[k] + range : axes[k];
    if (ax < 0 || ax >= range || mark[ax]++)
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "axis %lld", (long long)axes[k]);
  }
  int64_t dims[RC_MAX_DIMS];
  int nd = 0;
  if (sq) {
    for (int i = 0; i < xs->ndim; i++) {
      int drop = cnt ? mark[i] : xs->d[i] == 1;
      if (drop && xs->d[i] != 1)
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "squeezing a dim of %lld", (long long)xs->d[i]);
      if (!drop) dims[nd++] = xs->d[i];
    }
  } else {
    int j = 0;
    for (int i = 0; i < out_rank; i++) dims[nd++] = mark[i] ? 1 : xs->d[j++];
  }
  return reshape_to(x, xi, nd, dims);
}

/* Tile/Expand of a computed tensor: only growing the channel dim (SR
 * residuals, x.repeat(1, r², 1, 1)), done as a concat of copies. */
rc_status ox_op_tile(ox* x, ox_value** in, size_t n_in) {
  int expand = strcmp(x->node->op_type, "Expand") == 0;
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = ox_shape_of(x, xi);
  if (n_in < 2 || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no %s input", expand ? "shape" : "repeats");
  RC_CHECK(ox_materialize(x, in[1]));
  if (in[1]->kind != OX_CONST) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "computed repeats/shape");
  const ox_const* r = &in[1]->c;
  if (r->numel != xs->ndim || xs->ndim < 2) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%lld values for a rank-%d input", (long long)r->numel,
                         xs->ndim);
  }
  int64_t copies = 1;
  for (int i = 0; i < xs->ndim; i++) {
    int64_t v = ox_const_get_i(r, i);
    int64_t factor = expand ? (v == xs->d[i] || v == 1 ? 1 : (xs->d[i] == 1 ? v : -1)) : v;
    if (factor < 1 || (i != 1 && factor != 1)) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s along dim %d (only channels)",
                           expand ? "expanding" : "tiling", i);
    }
    if (i == 1) copies = factor;
  }
  if (copies == 1) return ox_define_tensor(x, x->node->output[0], xi);
  if (copies > 4096) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%lld copies", (long long)copies);
  int32_t* ins = malloc((size_t)copies * sizeof(int32_t));
  if (!ins) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  for (int64_t k = 0; k < copies; k++) ins[k] = xi;
  rc_status s = ox_add_ir(x, RC_OP_CONCAT, ins, (int32_t)copies, NULL, NULL, NULL);
  free(ins);
  return s;
}

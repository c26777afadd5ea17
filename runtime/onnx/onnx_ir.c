/* Building the IR from ONNX nodes: fresh tensor names, constants copied in
 * as float32, nodes added with their shapes inferred, common attributes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_tensor.h"

/* A fresh IR tensor name derived from base (ONNX value names are taken). */
const char* ox_unique_name(ox* x, const char* base, const char* suffix, char* buf, size_t size) {
  snprintf(buf, size, "%.200s%s", base, suffix);
  for (int k = 1; rc_graph_find_tensor(x->g, buf) >= 0 || ox_find(x, buf); k++) {
    snprintf(buf, size, "%.200s%s_%d", base, suffix, k);
  }
  return buf;
}

rc_status ox_tensor_of(ox* x, const ox_value* v, const char* role, int32_t* id) {
  if (!v) return ox_node_error(x, REPCONV_ERROR_FORMAT, "%s is missing", role);
  if (v->kind != OX_TENSOR) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s '%s' is a constant where a computed tensor is expected",
                         role, v->name);
  }
  *id = v->tensor;
  return REPCONV_OK;
}

const rc_shape* ox_shape_of(ox* x, int32_t id) { return &x->g->tensors[id].shape; }

/* A float32 IR constant with the value's data (added once per graph). */
rc_status ox_ir_const(ox* x, ox_value* v, const char* role, int32_t* id) {
  if (!v) return ox_node_error(x, REPCONV_ERROR_FORMAT, "%s is missing", role);
  RC_CHECK(ox_materialize(x, v));
  if (v->kind == OX_TENSOR) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s '%s' is computed; repconv needs it constant", role, v->name);
  }
  if (v->c.dtype != OX_FLOAT) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s '%s' has dtype %s (repconv computes float32 only)", role,
                         v->name, ox_dtype_name(v->c.dtype));
  }
  if (v->c.ndim > RC_MAX_DIMS) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s '%s' has rank %d (at most %d)", role, v->name, v->c.ndim,
                         RC_MAX_DIMS);
  }
  if (v->ir_gen == x->gen && v->tensor >= 0) {
    *id = v->tensor;
    return REPCONV_OK;
  }
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = v->c.ndim;
  for (int i = 0; i < s.ndim; i++) s.d[i] = v->c.dims[i];
  float* data = malloc((size_t)(v->c.numel ? v->c.numel : 1) * sizeof(float));
  if (!data) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory for '%s'", x->what, v->name);
  for (int64_t k = 0; k < v->c.numel; k++) data[k] = (float)v->c.d[k];
  char name[RC_MAX_NAME + 32];
  rc_status st = rc_graph_add_const(x->g, ox_unique_name(x, v->name, "", name, sizeof(name)), &s, data, id);
  free(data);
  if (st != REPCONV_OK) return ox_node_error(x, st, "%s", rc_error_message());
  v->tensor = *id;
  v->ir_graph = x->g;
  v->ir_gen = x->gen;
  return REPCONV_OK;
}

/* A float32 IR constant made here (transposed weights, broadcast biases). */
rc_status ox_ir_const_data(ox* x, const char* suffix, const rc_shape* s, const float* data, int32_t* id) {
  char name[RC_MAX_NAME + 32];
  rc_status st = rc_graph_add_const(x->g, ox_unique_name(x, x->node_name, suffix, name, sizeof(name)), s, data, id);
  if (st != REPCONV_OK) return ox_node_error(x, st, "%s", rc_error_message());
  return REPCONV_OK;
}

rc_status ox_define_tensor(ox* x, const char* name, int32_t id) {
  ox_value* v;
  RC_CHECK(ox_define(x, name, &v));
  v->kind = OX_TENSOR;
  v->tensor = id;
  v->ir_graph = x->g;
  v->ir_gen = x->gen;
  return REPCONV_OK;
}

/* Adds an IR node for the current ONNX node and infers its shape. out_name
 * NULL: the ONNX node's first output, defined in the value table. */
rc_status ox_add_ir(ox* x, rc_op op, const int32_t* ins, int32_t n, const rc_attrs* a, const char* out_name,
                    int32_t* out) {
  const char* name = out_name ? out_name : x->node->output[0];
  char tmp[RC_MAX_NAME + 32];
  if (out_name) name = ox_unique_name(x, x->node->output[0], out_name, tmp, sizeof(tmp));
  int32_t id;
  rc_status s = rc_graph_add_node(x->g, op, x->node_name, ins, n, a, name, &id);
  if (s == REPCONV_OK) s = rc_graph_infer_node(x->g, x->g->n_nodes - 1);
  if (s != REPCONV_OK) return rc_error_context(s, "%s", x->what);
  if (!out_name) RC_CHECK(ox_define_tensor(x, name, id));
  if (out) *out = id;
  return REPCONV_OK;
}

rc_status ox_to_i32(ox* x, const char* what, int64_t v, int32_t lo, int32_t hi, int32_t* out) {
  if (v < lo || v > hi) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s = %lld is out of range [%d, %d]", what, (long long)v, lo,
                         hi);
  }
  *out = (int32_t)v;
  return REPCONV_OK;
}

/* Reads an ints attribute of exactly `want` entries into out (keeps the
 * defaults in out when the attribute is absent). */
rc_status ox_ints_attr(ox* x, const char* name, size_t want, int32_t lo, int32_t hi, int32_t* out) {
  size_t cnt;
  const int64_t* v = ox_attr_ints(x->node, name, &cnt);
  if (!cnt) return REPCONV_OK;
  if (cnt != want) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s has %zu values, expected %zu (2-D ops only)", name, cnt,
                         want);
  }
  for (size_t i = 0; i < cnt; i++) RC_CHECK(ox_to_i32(x, name, v[i], lo, hi, &out[i]));
  return REPCONV_OK;
}

/* auto_pad SAME_UPPER/SAME_LOWER/VALID into explicit pads[4] (t, l, b, r). */
rc_status ox_auto_pad(ox* x, const rc_shape* in, rc_attrs* a) {
  char mode[32];
  ox_attr_string(x->node, "auto_pad", "NOTSET", mode, sizeof(mode));
  if (strcmp(mode, "NOTSET") == 0 || mode[0] == '\0') return REPCONV_OK;
  if (strcmp(mode, "VALID") == 0) {
    memset(a->pad, 0, sizeof(a->pad));
    return REPCONV_OK;
  }
  int upper = strcmp(mode, "SAME_UPPER") == 0;
  if (!upper && strcmp(mode, "SAME_LOWER") != 0) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "auto_pad '%s'", mode);
  }
  for (int i = 0; i < 2; i++) {
    int64_t n = in->d[2 + i], s = a->stride[i];
    int64_t out = (n + s - 1) / s;
    int64_t total = (out - 1) * s + (int64_t)a->dilation[i] * (a->kernel[i] - 1) + 1 - n;
    if (total < 0) total = 0;
    int64_t small = total / 2, big = total - small;
    a->pad[i] = (int32_t)(upper ? small : big);
    a->pad[2 + i] = (int32_t)(upper ? big : small);
  }
  return REPCONV_OK;
}

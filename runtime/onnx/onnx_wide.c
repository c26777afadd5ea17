/* ONNX import of tensors of rank > 4, as RepMLP's export makes them.
 *
 * RepMLP partitions an image into a grid of patches and merges them back:
 *     x.reshape(N, C, gh, h, gw, w).permute(0, 2, 4, 1, 3, 5)   partition
 *     y.reshape(-1, gh, gw, S, h, w).permute(0, 3, 1, 4, 2, 5)  merge
 * each followed by a reshape to rank 4, with elementwise ops (the conv
 * branches' sum) possibly in between at rank 6. The IR has rank ≤ 4, so a
 * rank > 4 value is kept as an OX_WIDE value: an IR tensor holding its
 * elements in C order plus the ONNX dims. A Reshape to rank > 4 makes one
 * with no IR node (reshapes keep the C order); the two Transposes become
 * patch_partition / patch_merge nodes (their results, read in C order, are
 * exactly the permuted tensors); a Reshape to rank ≤ 4 is an IR reshape;
 * elementwise ops of two wide values with the same dims run on the IR
 * tensors. Every other reader, and every other permutation, is an error
 * naming the node.
 *
 * RepMLP with S shared channel sets (S < C) reshapes the partition to a
 * batch of N·gh·gw·C/S items twice: [-1, S·h·w, 1, 1] for the FC and
 * [-1, S, h, w] for the conv branches. Both are made from one shared
 * [N·gh·gw·C/S, S, h, w] tensor, so the fold sees the FC and the branches
 * read the same tensor and merges them. */
#include <stdio.h>
#include <string.h>

#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_tensor.h"
#include "runtime/onnx/onnx_wide.h"

static const char* dims_str(const int64_t* d, int n, char* buf, size_t size) {
  size_t at = 0;
  buf[0] = '\0';
  for (int i = 0; i < n && at < size; i++) {
    at += (size_t)snprintf(buf + at, size - at, i ? "x%lld" : "%lld", (long long)d[i]);
  }
  return buf;
}

/* Logical dims of a computed value (wide or an IR tensor). */
static int value_dims(const ox* x, const ox_value* v, int64_t* d) {
  if (v->kind == OX_WIDE) {
    memcpy(d, v->wide_dims, (size_t)v->wide_ndim * sizeof(int64_t));
    return v->wide_ndim;
  }
  const rc_shape* s = &x->g->tensors[v->tensor].shape;
  memcpy(d, s->d, (size_t)s->ndim * sizeof(int64_t));
  return s->ndim;
}

static int64_t prod(const int64_t* d, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; i++) p *= d[i];
  return p;
}

/* Reshape's target (0 copies, -1 infers) against input dims in[n_in]. */
static rc_status target_dims(ox* x, const ox_value* shape, const int64_t* in, int n_in, int64_t* out, int* n_out) {
  if (!shape || shape->kind != OX_CONST || shape->c.ndim != 1) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the target shape is computed at run time");
  }
  if (shape->c.numel < 1 || shape->c.numel > OX_MAX_RANK) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "result of rank %lld", (long long)shape->c.numel);
  }
  const int allowzero = ox_attr_int(x->node, "allowzero", 0) != 0;
  int infer = -1;
  int64_t known = 1, total = prod(in, n_in);
  *n_out = (int)shape->c.numel;
  for (int i = 0; i < *n_out; i++) {
    int64_t v = ox_const_get_i(&shape->c, i);
    if (v == 0 && !allowzero) {
      if (i >= n_in) return ox_node_error(x, REPCONV_ERROR_SHAPE, "dim %d copies a dim the input lacks", i);
      v = in[i];
    } else if (v == -1 && infer < 0) {
      infer = i;
      v = 1;
    } else if (v < 1 || v > RC_MAX_DIM_VALUE) {
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "target dim %d is %lld", i, (long long)v);
    }
    out[i] = v;
    known *= v;
    if (known > RC_MAX_ELEMENTS) return ox_node_error(x, REPCONV_ERROR_SHAPE, "target shape too large");
  }
  if (infer >= 0 && total % known == 0) out[infer] = total / known;
  if (prod(out, *n_out) != total) {
    char b[128];
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "cannot reshape %s (%lld elements) to that shape",
                         dims_str(in, n_in, b, sizeof(b)), (long long)total);
  }
  return REPCONV_OK;
}

/* IR tensor id reshaped to d[n] (id itself when the shape already matches). */
static rc_status reshape_ir(ox* x, int32_t id, const int64_t* d, int n, const char* suffix, int32_t* out) {
  const rc_shape* s = &x->g->tensors[id].shape;
  int same = s->ndim == n;
  for (int i = 0; same && i < n; i++) same = s->d[i] == d[i];
  if (same) {
    *out = id;
    return REPCONV_OK;
  }
  rc_attrs a = rc_attrs_default();
  a.reshape_ndim = n;
  for (int i = 0; i < n; i++) a.reshape[i] = d[i];
  return ox_add_ir(x, RC_OP_RESHAPE, &id, 1, &a, suffix, out);
}

/* Defines the node's output as a wide value over IR tensor id. */
static rc_status define_wide(ox* x, int32_t id, const int64_t* d, int n) {
  ox_value* v;
  RC_CHECK(ox_define(x, x->node->output[0], &v));
  v->kind = OX_WIDE;
  v->tensor = id;
  v->ir_graph = x->g;
  v->ir_gen = x->gen;
  v->wide_ndim = n;
  memcpy(v->wide_dims, d, (size_t)n * sizeof(int64_t));
  v->split_tensor = -1;
  return REPCONV_OK;
}

/* Reshape of a wide value to rank ≤ 4. A new batch dim that splits the IR
 * tensor's channels (RepMLP's shared sets) goes through the value's one
 * [batch, C·N/batch, h, w] tensor (see the top of the file), whatever the
 * target's rank: [-1, S·h·w] for a Linear FC as well as [-1, S, h, w]. */
static rc_status reshape_down(ox* x, ox_value* v, const int64_t* t, int nt) {
  int32_t base = v->tensor;
  const rc_shape* bs = &x->g->tensors[base].shape;
  const char* name = x->node->output[0];
  if (bs->ndim == 4 && t[0] != bs->d[0] && t[0] % bs->d[0] == 0 && bs->d[1] % (t[0] / bs->d[0]) == 0) {
    if (v->split_tensor < 0 || v->split_batch != t[0]) {
      const int64_t sd[4] = {t[0], bs->d[1] / (t[0] / bs->d[0]), bs->d[2], bs->d[3]};
      int32_t id;
      RC_CHECK(reshape_ir(x, base, sd, 4, ".sets", &id));
      v->split_tensor = id;
      v->split_batch = t[0];
    }
    base = v->split_tensor;
  }
  int32_t out;
  RC_CHECK(reshape_ir(x, base, t, nt, ".reshape", &out));
  return ox_define_tensor(x, name, out);
}

/* Transpose of a rank-6 wide value: RepMLP's partition or merge. */
static rc_status patch_transpose(ox* x, ox_value* v) {
  size_t np;
  const int64_t* perm = ox_attr_ints(x->node, "perm", &np);
  static const int64_t k_part[6] = {0, 2, 4, 1, 3, 5}, k_merge[6] = {0, 3, 1, 4, 2, 5};
  int part = np == 6 && v->wide_ndim == 6, merge = part;
  for (size_t i = 0; part && i < 6; i++) part = perm[i] == k_part[i];
  for (size_t i = 0; merge && i < 6; i++) merge = perm[i] == k_merge[i];
  const int64_t* d = v->wide_dims;
  if (!part && !merge) {
    char p[128] = "", b[128];
    size_t at = 0;
    for (size_t i = 0; i < np && at < sizeof(p); i++) {
      at += (size_t)snprintf(p + at, sizeof(p) - at, i ? ",%lld" : "%lld", (long long)perm[i]);
    }
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                         "perm (%s) of the rank-%d tensor '%s' (%s) is neither RepMLP's patch partition "
                         "(0,2,4,1,3,5) nor its merge (0,3,1,4,2,5); repconv's tensors have rank at most 4",
                         np ? p : "reversed", v->wide_ndim, v->name, dims_str(d, v->wide_ndim, b, sizeof(b)));
  }
  const int64_t gh = part ? d[2] : d[1], gw = part ? d[4] : d[2];
  if (gh > 4096 || gw > 4096) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "a patch grid of %lldx%lld (at most 4096 per side)",
                         (long long)gh, (long long)gw);
  }
  rc_attrs a = rc_attrs_default();
  int64_t in4[4], out6[6];
  if (part) {
    /* [N, C, gh, h, gw, w] is the image [N, C, gh·h, gw·w]. */
    const int64_t img[4] = {d[0], d[1], d[2] * d[3], d[4] * d[5]};
    memcpy(in4, img, sizeof(in4));
    a.scale[0] = (int32_t)gh;
    a.scale[1] = (int32_t)gw;
    const int64_t o[6] = {d[0], d[2], d[4], d[1], d[3], d[5]};
    memcpy(out6, o, sizeof(out6));
  } else {
    /* [A, gh, gw, S, h, w] is the patch batch [A·gh·gw, S, h, w]. */
    const int64_t pb[4] = {d[0] * d[1] * d[2], d[3], d[4], d[5]};
    memcpy(in4, pb, sizeof(in4));
    a.scale[0] = (int32_t)gh;
    a.scale[1] = (int32_t)gw;
    const int64_t o[6] = {d[0], d[3], d[1], d[4], d[2], d[5]};
    memcpy(out6, o, sizeof(out6));
  }
  int32_t src, out;
  RC_CHECK(reshape_ir(x, v->tensor, in4, 4, ".image", &src));
  RC_CHECK(
      ox_add_ir(x, part ? RC_OP_PATCH_PARTITION : RC_OP_PATCH_MERGE, &src, 1, &a, part ? ".patches" : ".merged", &out));
  return define_wide(x, out, out6, 6);
}

/* Add/Sub/Mul/Div of two wide values of the same dims. */
static rc_status wide_binary(ox* x, ox_value** in, size_t n_in) {
  const char* op = x->node->op_type;
  rc_op ir = op[0] == 'A' ? RC_OP_ADD : op[0] == 'S' ? RC_OP_SUB : op[0] == 'M' ? RC_OP_MUL : RC_OP_DIV;
  char b1[128], b2[128];
  if (n_in != 2 || !in[0] || !in[1] || in[0]->kind != OX_WIDE || in[1]->kind != OX_WIDE) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                         "a rank > 4 operand with a constant or rank ≤ 4 one (only two rank > 4 tensors of the same "
                         "shape are supported)");
  }
  const ox_value* a = in[0];
  const ox_value* b = in[1];
  int same = a->wide_ndim == b->wide_ndim;
  for (int i = 0; same && i < a->wide_ndim; i++) same = a->wide_dims[i] == b->wide_dims[i];
  if (!same) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                         "rank > 4 operands of shapes %s and %s (broadcasting at rank > 4 is not supported)",
                         dims_str(a->wide_dims, a->wide_ndim, b1, sizeof(b1)),
                         dims_str(b->wide_dims, b->wide_ndim, b2, sizeof(b2)));
  }
  int64_t d[OX_MAX_RANK];
  const int n = a->wide_ndim;
  memcpy(d, a->wide_dims, sizeof(d));
  const rc_shape* as = &x->g->tensors[a->tensor].shape;
  int32_t ins[2] = {a->tensor, -1};
  RC_CHECK(reshape_ir(x, b->tensor, as->d, as->ndim, ".as_a", &ins[1]));
  int32_t out;
  RC_CHECK(ox_add_ir(x, ir, ins, 2, NULL, ".wide", &out));
  return define_wide(x, out, d, n);
}

rc_status ox_wide_node(ox* x, ox_value** in, size_t n_in, int* handled) {
  *handled = 0;
  const char* op = x->node->op_type;
  int any_wide = 0;
  for (size_t k = 0; k < n_in; k++) any_wide |= in[k] && in[k]->kind == OX_WIDE;
  const int reshape = strcmp(op, "Reshape") == 0;
  if (!any_wide) {
    /* A Reshape of a computed tensor to rank > 4 starts a wide value. */
    if (!reshape || n_in < 2 || !in[0] || in[0]->kind != OX_TENSOR || !in[1]) return REPCONV_OK;
    RC_CHECK(ox_materialize(x, in[1]));
    if (in[1]->kind != OX_CONST || in[1]->c.ndim != 1 || in[1]->c.numel <= RC_MAX_DIMS) return REPCONV_OK;
  }
  *handled = 1;
  ox_value* v = in[0];
  if (reshape) {
    if (!v || (v->kind != OX_TENSOR && v->kind != OX_WIDE)) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the data input is not a computed tensor");
    }
    if (n_in < 2 || !in[1] || (in[1]->kind != OX_CONST && in[1]->kind != OX_INIT)) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the target shape is computed at run time");
    }
    RC_CHECK(ox_materialize(x, in[1]));
    int64_t d[OX_MAX_RANK], t[OX_MAX_RANK];
    int nd = value_dims(x, v, d), nt = 0;
    RC_CHECK(target_dims(x, in[1], d, nd, t, &nt));
    if (nt > RC_MAX_DIMS) return define_wide(x, v->tensor, t, nt);
    return reshape_down(x, v, t, nt);
  }
  if (strcmp(op, "Transpose") == 0 && v && v->kind == OX_WIDE) return patch_transpose(x, v);
  if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div")) {
    return wide_binary(x, in, n_in);
  }
  if (strcmp(op, "Shape") == 0 && v && v->kind == OX_WIDE) {
    if (ox_attr(x->node, "start") || ox_attr(x->node, "end")) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "Shape with start/end");
    }
    ox_const c;
    int64_t n = v->wide_ndim;
    RC_CHECK(ox_const_alloc(x, &c, OX_INT64, 1, &n));
    memcpy(c.i, v->wide_dims, (size_t)n * sizeof(int64_t));
    ox_value* o;
    rc_status s = ox_define(x, x->node->output[0], &o);
    if (s != REPCONV_OK) {
      ox_const_free(&c);
      return s;
    }
    o->kind = OX_CONST;
    o->c = c;
    return REPCONV_OK;
  }
  for (size_t k = 0; k < n_in; k++) {
    if (!in[k] || in[k]->kind != OX_WIDE) continue;
    char b[128];
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                         "input '%s' has rank %d (%s); repconv's tensors have rank at most 4, and rank > 4 is "
                         "supported only inside RepMLP's patch partition/merge (Reshape, Transpose, elementwise ops)",
                         in[k]->name, in[k]->wide_ndim, dims_str(in[k]->wide_dims, in[k]->wide_ndim, b, sizeof(b)));
  }
  return REPCONV_OK;
}

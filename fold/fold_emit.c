/* Emission: a map becomes nodes of the output graph (a pad, a BN, a concat,
 * one conv, or an FC between reshapes), and each region a line of the
 * report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold/fold_pass.h"

/* A name not used in either graph. */
const char* rc_fold_unique(ctx* c, const char* base, const char* suffix, char* buf, size_t size) {
  snprintf(buf, size, "%.200s%s", base, suffix);
  for (int k = 1; rc_graph_find_tensor(c->out, buf) >= 0 || rc_graph_find_tensor(c->in, buf) >= 0; k++) {
    snprintf(buf, size, "%.200s%s_%d", base, suffix, k);
  }
  return buf;
}

rc_status rc_fold_const_of(ctx* c, int32_t t, int32_t* id) {
  if (c->const_id[t] < 0) {
    const rc_tensor* tt = &c->in->tensors[t];
    RC_CHECK(rc_graph_add_const(c->out, tt->name, &tt->shape, tt->data, &c->const_id[t]));
  }
  *id = c->const_id[t];
  return REPCONV_OK;
}

void rc_fold_free_state(tstate* s) {
  rc_affine_free(&s->map);
  rc_matmap_free(&s->mat);
  free(s->nodes);
  s->nodes = NULL;
  s->n_nodes = 0;
}

/* ------------------------------------------------------------ report */

rc_status rc_fold_add_region(ctx* c, const tstate* s, const char* output, int32_t nodes_after,
                             const rc_affine_conv_desc* d, int64_t flops_after, int64_t params_after) {
  rc_fold_report* r = c->rep;
  /* Only regions that folded something or were cut are worth a line; a
   * node re-emitted as it was (a lone conv, a flatten+FC head) is not. */
  if (!r || (s->exact && nodes_after >= s->n_nodes)) return REPCONV_OK;
  if (r->n_regions == r->cap_regions) {
    int32_t cap = r->cap_regions ? r->cap_regions * 2 : 32;
    rc_fold_region* n = realloc(r->regions, (size_t)cap * sizeof(*n));
    if (!n) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold report: out of memory");
    r->regions = n;
    r->cap_regions = cap;
  }
  rc_fold_region* g = &r->regions[r->n_regions];
  memset(g, 0, sizeof(*g));
  size_t len = strlen(output);
  g->output = malloc(len + 1);
  if (!g->output) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold report: out of memory");
  memcpy(g->output, output, len + 1);
  g->nodes_before = s->n_nodes;
  g->nodes_after = nodes_after;
  if (d) {
    g->kh = d->kh;
    g->kw = d->kw;
    g->sh = d->sh;
    g->sw = d->sw;
    g->dh = d->dh;
    g->dw = d->dw;
    g->groups = d->groups;
  }
  g->flops_before = s->flops;
  g->params_before = s->params;
  g->flops_after = flops_after;
  g->params_after = params_after;
  g->exact = s->exact;
  snprintf(g->note, sizeof(g->note), "%s", s->note);
  r->n_regions++;
  return REPCONV_OK;
}

/* ------------------------------------------------------- materialize */

/* Copies of the source's channels in order, repeated (x.repeat(1, r, 1, 1)
 * exported as Tile or Expand): returns the repeat count, else 0. */
static int32_t replicate_count(const rc_affine* a) {
  if (a->w_identity || a->kh != 1 || a->kw != 1 || a->sh != 1 || a->sw != 1 || a->pt || a->pl || a->in_h != a->out_h ||
      a->in_w != a->out_w || a->cout % a->cin != 0) {
    return 0;
  }
  for (int32_t o = 0; o < a->cout; o++) {
    if (a->b[o] != 0.0) return 0;
    for (int32_t i = 0; i < a->cin; i++) {
      if (a->w[(size_t)o * a->cin + i] != (o % a->cin == i ? 1.0 : 0.0)) return 0;
    }
  }
  return a->cout / a->cin;
}

/* A per-channel scale and shift (1x1, diagonal, stride 1, no padding): a
 * region of BNs and constant arithmetic with no conv, or a shift alone
 * (x + K: w the identity, scale 1). 1 and scale/shift. */
static int diagonal(const rc_affine* a, float* scale, float* shift) {
  if (a->kh != 1 || a->kw != 1 || a->sh != 1 || a->sw != 1 || a->pt || a->pl || a->in_h != a->out_h ||
      a->in_w != a->out_w || a->cout != a->cin) {
    return 0;
  }
  for (int32_t o = 0; o < a->cout; o++) {
    if (a->w_identity) {
      scale[o] = 1.0f;
    } else {
      for (int32_t i = 0; i < a->cin; i++) {
        if (i != o && a->w[(size_t)o * a->cin + i] != 0.0) return 0;
      }
      scale[o] = (float)a->w[(size_t)o * a->cin + o];
    }
    shift[o] = (float)a->b[o];
  }
  return 1;
}

/* Emits the node(s) computing a map: nothing for a plain copy, a pad for a
 * padded copy, a BN for a per-channel scale and shift (a shift alone
 * included), a concat for repeated channels, otherwise one conv. */
static rc_status materialize(ctx* c, int32_t t) {
  tstate* s = &c->st[t];
  const rc_tensor* tt = &c->in->tensors[t];
  int32_t src = c->st[s->src].id;
  rc_affine* a = &s->map;
  const char* node_name = s->n_nodes ? c->in->nodes[s->nodes[s->n_nodes - 1]].name : tt->name;
  int32_t out_id = -1;
  rc_status st = REPCONV_OK;
  int32_t pb = 0, pr = 0, copies = replicate_count(a);
  float* scale = NULL;
  if (a->cout == a->cin) {
    scale = malloc((size_t)a->cout * 4 * sizeof(float));
    if (!scale) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
  }
  /* A copy first: its w may also pass as a diagonal of ones, which would
   * emit a BN that does nothing. */
  if (rc_affine_is_copy(a) && rc_affine_bottom_right(a, &pb, &pr) == 0 && a->in_h + a->pt + pb == a->out_h &&
      a->in_w + a->pl + pr == a->out_w) {
    if (a->pt == 0 && a->pl == 0 && pb == 0 && pr == 0) {
      out_id = src;
      st = rc_fold_add_region(c, s, tt->name, 0, NULL, 0, 0);
    } else {
      rc_attrs at = rc_attrs_default();
      at.pad[0] = a->pt;
      at.pad[1] = a->pl;
      at.pad[2] = pb;
      at.pad[3] = pr;
      st = rc_graph_add_node(c->out, RC_OP_PAD, node_name, &src, 1, &at, tt->name, &out_id);
      if (st == REPCONV_OK) st = rc_fold_add_region(c, s, tt->name, 1, NULL, 0, 0);
    }
  } else if (scale && diagonal(a, scale, scale + a->cout)) {
    /* Emitted as a BN with mean 0, var 1, eps 0: y = x·scale + shift exactly. */
    float* zero = scale + 2 * a->cout;
    float* one = scale + 3 * a->cout;
    for (int32_t o = 0; o < a->cout; o++) {
      zero[o] = 0.0f;
      one[o] = 1.0f;
    }
    int32_t in[5] = {src, -1, -1, -1, -1};
    const float* data[4] = {scale, scale + a->cout, zero, one};
    static const char* const suffix[4] = {".folded_scale", ".folded_shift", ".folded_mean", ".folded_var"};
    rc_shape cs = {1, {a->cout}};
    char nm[RC_MAX_NAME + 40];
    for (int k = 0; k < 4 && st == REPCONV_OK; k++) {
      st = rc_graph_add_const(c->out, rc_fold_unique(c, tt->name, suffix[k], nm, sizeof(nm)), &cs, data[k], &in[1 + k]);
    }
    rc_attrs at = rc_attrs_default();
    at.eps = 0.0f;
    if (st == REPCONV_OK) st = rc_graph_add_node(c->out, RC_OP_BATCHNORM, node_name, in, 5, &at, tt->name, &out_id);
    if (st == REPCONV_OK) st = rc_fold_add_region(c, s, tt->name, 1, NULL, 2 * rc_shape_numel(&tt->shape), 4 * a->cout);
  } else if (copies > 1 && copies <= 4096) {
    int32_t* ins = malloc((size_t)copies * sizeof(int32_t));
    if (!ins) {
      free(scale);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
    }
    for (int32_t k = 0; k < copies; k++) ins[k] = src;
    st = rc_graph_add_node(c->out, RC_OP_CONCAT, node_name, ins, copies, NULL, tt->name, &out_id);
    free(ins);
    if (st == REPCONV_OK) st = rc_fold_add_region(c, s, tt->name, 1, NULL, 0, 0);
  } else {
    rc_affine_conv_desc d;
    st = rc_affine_to_conv(a, &d);
    if (st != REPCONV_OK) {
      free(scale);
      return st;
    }
    char nm[RC_MAX_NAME + 40];
    int32_t in[3] = {src, -1, -1};
    rc_shape ws = {4, {a->cout, a->cin / d.groups, d.kh, d.kw}};
    rc_shape bs = {1, {a->cout}};
    st = rc_graph_add_const(c->out, rc_fold_unique(c, tt->name, ".folded_weight", nm, sizeof(nm)), &ws, d.weight,
                            &in[1]);
    if (st == REPCONV_OK && d.bias) {
      st = rc_graph_add_const(c->out, rc_fold_unique(c, tt->name, ".folded_bias", nm, sizeof(nm)), &bs, d.bias, &in[2]);
    }
    rc_attrs at = rc_attrs_default();
    at.kernel[0] = d.kh;
    at.kernel[1] = d.kw;
    at.stride[0] = d.sh;
    at.stride[1] = d.sw;
    at.dilation[0] = d.dh;
    at.dilation[1] = d.dw;
    memcpy(at.pad, d.pad, sizeof(at.pad));
    at.groups = d.groups;
    if (st == REPCONV_OK) {
      st = rc_graph_add_node(c->out, RC_OP_CONV2D, node_name, in, d.bias ? 3 : 2, &at, tt->name, &out_id);
    }
    if (st == REPCONV_OK) {
      int64_t params = rc_shape_numel(&ws) + (d.bias ? a->cout : 0);
      int64_t flops = 2 * rc_shape_numel(&tt->shape) * (a->cin / d.groups) * d.kh * d.kw;
      st = rc_fold_add_region(c, s, tt->name, 1, &d, flops, params);
    }
    free(d.weight);
    free(d.bias);
  }
  free(scale);
  if (st != REPCONV_OK) return st;
  rc_fold_free_state(s);
  s->kind = ST_OPAQUE;
  s->id = out_id;
  return REPCONV_OK;
}

static rc_status materialize_mat(ctx* c, int32_t t);

rc_status rc_fold_get_opaque(ctx* c, int32_t t, int32_t* id) {
  if (c->st[t].kind == ST_MAP) RC_CHECK(materialize(c, t));
  if (c->st[t].kind == ST_MAT) RC_CHECK(materialize_mat(c, t));
  if (c->st[t].kind != ST_OPAQUE) {
    return rc_error(REPCONV_ERROR_INTERNAL, "fold: tensor '%s' is read before it is computed", c->in->tensors[t].name);
  }
  *id = c->st[t].id;
  return REPCONV_OK;
}

/* -------------------------------------------------------- matrix maps */

/* A reshape of an out-of-place tensor into `shape` under the name `name`
 * (or the tensor itself when the shapes agree). */
static rc_status reshape_to(ctx* c, const char* node, int32_t x, const rc_shape* to, const char* name, int32_t* out) {
  if (rc_shape_equal(&c->out->tensors[x].shape, to)) {
    *out = x;
    return REPCONV_OK;
  }
  rc_attrs at = rc_attrs_default();
  at.reshape_ndim = to->ndim;
  for (int i = 0; i < to->ndim; i++) at.reshape[i] = to->d[i];
  RC_CHECK(rc_graph_add_node(c->out, RC_OP_RESHAPE, node, &x, 1, &at, name, out));
  c->out->tensors[*out].shape = *to;
  return REPCONV_OK;
}

/* Emits a matrix map: a reshape when it is a copy, else the source
 * flattened, one FC (a grouped 1x1 conv when the matrix is block-diagonal,
 * as RepMLP deploys its FC), and a reshape back. */
static rc_status materialize_mat(ctx* c, int32_t t) {
  tstate* s = &c->st[t];
  const rc_tensor* tt = &c->in->tensors[t];
  const rc_matmap* a = &s->mat;
  int32_t src = c->st[s->src].id, out_id = -1, mid = -1, y = -1;
  const int64_t n = tt->shape.d[0];
  const char* node = s->n_nodes ? c->in->nodes[s->nodes[s->n_nodes - 1]].name : tt->name;
  char nm[RC_MAX_NAME + 40], nm2[RC_MAX_NAME + 40];
  c->out->tensors[src].shape = c->in->tensors[s->src].shape;
  rc_status st = REPCONV_OK;
  int32_t emitted = 0;
  int64_t flops = 0, params = 0;
  if (rc_matmap_is_identity(a)) {
    st = reshape_to(c, node, src, &tt->shape, tt->name, &out_id);
    emitted = out_id != src;
  } else {
    const rc_shape* xs = &c->in->tensors[s->src].shape;
    if (xs->ndim == 4 && xs->d[2] * xs->d[3] > 1) {
      rc_fold_size_note(c, node, "a fully connected layer over the flattened image (RepMLP)");
    }
    const int32_t g = rc_matmap_groups(a);
    const int64_t cg = a->cols / g;
    float* w = malloc((size_t)(a->rows * cg) * sizeof(float));
    float* b = malloc((size_t)a->rows * sizeof(float));
    if (!w || !b) st = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
    int any_bias = 0;
    for (int64_t r = 0; st == REPCONV_OK && r < a->rows; r++) {
      const int64_t q0 = (r / (a->rows / g)) * cg;
      for (int64_t q = 0; q < cg; q++) w[r * cg + q] = (float)a->m[r * a->cols + q0 + q];
      b[r] = (float)a->b[r];
      any_bias |= b[r] != 0.0f;
    }
    rc_shape in_s = {2, {n, a->cols}}, out_s = {2, {n, a->rows}};
    if (g > 1) {
      in_s = (rc_shape){4, {n, a->cols, 1, 1}};
      out_s = (rc_shape){4, {n, a->rows, 1, 1}};
    }
    if (st == REPCONV_OK)
      st = reshape_to(c, node, src, &in_s, rc_fold_unique(c, tt->name, ".fc_in", nm, sizeof(nm)), &mid);
    emitted += st == REPCONV_OK && mid != src;
    int32_t ins[3] = {mid, -1, -1};
    rc_shape ws = {g > 1 ? 4 : 2, {a->rows, cg, 1, 1}}, bs = {1, {a->rows}};
    if (st == REPCONV_OK)
      st = rc_graph_add_const(c->out, rc_fold_unique(c, tt->name, ".folded_weight", nm, sizeof(nm)), &ws, w, &ins[1]);
    if (st == REPCONV_OK && any_bias)
      st = rc_graph_add_const(c->out, rc_fold_unique(c, tt->name, ".folded_bias", nm, sizeof(nm)), &bs, b, &ins[2]);
    const int direct = rc_shape_equal(&out_s, &tt->shape);
    const char* yname = direct ? tt->name : rc_fold_unique(c, tt->name, ".fc_out", nm2, sizeof(nm2));
    rc_attrs at = rc_attrs_default();
    if (g > 1) {
      at.kernel[0] = at.kernel[1] = 1;
      at.groups = g;
    }
    if (st == REPCONV_OK)
      st = rc_graph_add_node(c->out, g > 1 ? RC_OP_CONV2D : RC_OP_GEMM, node, ins, any_bias ? 3 : 2, &at, yname, &y);
    if (st == REPCONV_OK) {
      c->out->tensors[y].shape = out_s;
      emitted++;
      flops = 2 * n * a->rows * cg;
      params = a->rows * cg + (any_bias ? a->rows : 0);
    }
    if (st == REPCONV_OK) {
      st = reshape_to(c, node, y, &tt->shape, tt->name, &out_id);
      emitted += out_id != y;
    }
    free(w);
    free(b);
  }
  if (st == REPCONV_OK) st = rc_fold_add_region(c, s, tt->name, emitted, NULL, flops, params);
  if (st != REPCONV_OK) return st;
  rc_fold_free_state(s);
  s->kind = ST_OPAQUE;
  s->id = out_id;
  return REPCONV_OK;
}

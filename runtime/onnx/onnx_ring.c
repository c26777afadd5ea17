/* Pad + ScatterND: a pad whose ring is overwritten in place (BN-and-pad)
 * becomes one IR pad, exactly or not at all (the scheme below). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/onnx/onnx_const.h"
#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_ring.h"
#include "runtime/onnx/onnx_tensor.h"

/* ------------------------------------------------- pad + ScatterND (ring)
 *
 * The official DBB (BNAndPadLayer) and ECBSR (SeqConv3x3) code pad with a
 * per-channel value v by zero padding and then overwriting the border in
 * place:
 *     y = F.pad(y, [p] * 4); v = v.view(1, -1, 1, 1)
 *     y[:, :, 0:p, :] = v; y[:, :, -p:, :] = v; y[:, :, :, 0:p] = v; y[:, :, :, -p:] = v
 * torch.onnx.export turns that into a Pad followed by four ScatterND whose
 * indices (every element of the slab) come from Shape/Gather/Range/Reshape/
 * Add/Expand/Unsqueeze/Concat chains and whose updates are v expanded over
 * the slab. Shapes are static here, so indices and updates are constants.
 *
 * Scheme. A Pad (and a Concat that pads, concat_as_pad) adds no IR node at
 * once: its output is an OX_PENDING value holding an ox_ring: the unpadded
 * IR tensor x, the pads, and the value of every element of the padding ring
 * (per channel while nothing was scattered, then per (n, c, ring pixel)).
 * ScatterND(data = such a value, constant indices, constant updates) makes a
 * new pending value with a copy of the ring in which every written element
 * holds its update; a write into the interior (the elements that hold x) is
 * refused at that node. Shape reads the shape; Slice of a computed tensor
 * gives an OX_SHAPE_ONLY value (PyTorch slices the padded tensor only to
 * take the Shape of the slab). Any other reader, or a graph output,
 * materializes the pending value: the IR gets one pad node pad(x, pads,
 * v[c]) when, for each channel c, every ring element of every batch item
 * holds the same value v[c]; otherwise the load fails naming the last
 * ScatterND. The value keeps its ring, so a later ScatterND on it (or a
 * second reader) still sees the exact contents.
 *
 * Why it is exact: the pending value is, element for element, the tensor
 * ONNX defines — the interior is x (never written, or refused), each ring
 * element holds the pad value or the last update written to it, in node
 * order (ScatterND's own order within one node: later tuples win, as in
 * the reference implementation). The IR pad reproduces every element: the
 * interior copies x and every ring element of channel c is v[c], which is
 * exactly the tracked value (all float32 values, compared bit for bit). So
 * four ScatterNDs covering top rows, bottom rows, left and right columns
 * (the later ones overwriting the corners) become one pad exactly when
 * together they leave one value per channel on the whole ring; a partial
 * ring, different values per side, position or batch item, a write into
 * the interior, or computed indices or updates are refused with the
 * ScatterND's name, never approximated. */
typedef struct ox_ring {
  uint64_t gen;       /* generation of the graph x belongs to */
  int32_t x;          /* IR tensor: the unpadded input, NCHW */
  int32_t pad[4];     /* top, left, bottom, right */
  int64_t n, c, h, w; /* x's dims */
  int64_t npix;       /* ring pixels per (n, c) plane */
  double* chan;       /* [c]: the ring value while nothing was scattered (v NULL) */
  double* v;          /* [n][c][npix] once scattered, else NULL */
  size_t origin;      /* ONNX node index of the Pad / Concat */
  size_t last;        /* ONNX node index of the last ScatterND (origin if none) */
  int scattered;
} ox_ring;

void ox_ring_free(ox_ring* r) {
  if (!r) return;
  free(r->chan);
  free(r->v);
  free(r);
}

/* The display name of ONNX node i (its name, or "<op>_<index>"). */
const char* ox_node_name_at(const ox* x, size_t i, char* buf, size_t size) {
  const Onnx__NodeProto* n = x->gp->node[i];
  if (n->name && n->name[0])
    snprintf(buf, size, "%.*s", RC_MAX_NAME - 1, n->name);
  else
    snprintf(buf, size, "%.64s_%zu", n->op_type ? n->op_type : "node", i);
  return buf;
}

/* An error about ONNX node i (not the node being imported), with the node
 * being imported, if any, named as where it surfaced. */
static rc_status node_error_at(ox* x, size_t i, rc_status code, const char* fmt, ...) RC_PRINTF(4, 5);
static rc_status node_error_at(ox* x, size_t i, rc_status code, const char* fmt, ...) {
  char msg[640];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  const Onnx__NodeProto* saved = x->node;
  char saved_name[RC_MAX_NAME];
  memcpy(saved_name, x->node_name, sizeof(saved_name));
  char reader[RC_MAX_NAME + 64] = "";
  if (saved) snprintf(reader, sizeof(reader), " (read by node '%.200s')", saved_name);
  x->node = x->gp->node[i];
  ox_node_name_at(x, i, x->node_name, sizeof(x->node_name));
  rc_status s = ox_node_error(x, code, "%s%s", msg, reader);
  x->node = saved;
  memcpy(x->node_name, saved_name, sizeof(saved_name));
  return s;
}

/* Ring pixel of padded coordinates (i, j), or -1 in the interior. */
static int64_t ring_index(const ox_ring* r, int64_t i, int64_t j) {
  int64_t t = r->pad[0], l = r->pad[1], wp = r->w + l + r->pad[3], side = l + r->pad[3];
  if (i < t) return i * wp + j;
  if (i >= t + r->h) return (i - r->h) * wp + j;
  int64_t base = (t + r->pad[2]) * wp + (i - t) * side;
  if (j < l) return base + j;
  if (j >= l + r->w) return base + j - r->w;
  return -1;
}

static ox_value* define_pending(ox* x, const char* name, ox_ring* r, rc_status* st) {
  ox_value* v;
  *st = ox_define(x, name, &v);
  if (*st != REPCONV_OK) {
    ox_ring_free(r);
    return NULL;
  }
  v->kind = OX_PENDING;
  v->ring = r;
  v->producer = x->node_index;
  memset(&v->shape, 0, sizeof(v->shape));
  v->shape.ndim = 4;
  v->shape.d[0] = r->n;
  v->shape.d[1] = r->c;
  v->shape.d[2] = r->h + r->pad[0] + r->pad[2];
  v->shape.d[3] = r->w + r->pad[1] + r->pad[3];
  return v;
}

/* A ring for pad(xi, pad, chan[c]) (chan NULL: zeros), made by the
 * current node. */
static rc_status ring_new(ox* x, int32_t xi, const int32_t* pad, const double* chan, ox_ring** out) {
  const rc_shape* xs = ox_shape_of(x, xi);
  if (xs->ndim != 4)
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "padding a rank-%d tensor (NCHW only)", xs->ndim);
  ox_ring* r = calloc(1, sizeof(*r));
  if (r) r->chan = calloc((size_t)(xs->d[1] ? xs->d[1] : 1), sizeof(double));
  if (!r || !r->chan) {
    ox_ring_free(r);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  }
  r->gen = x->gen;
  r->x = xi;
  memcpy(r->pad, pad, sizeof(r->pad));
  r->n = xs->d[0];
  r->c = xs->d[1];
  r->h = xs->d[2];
  r->w = xs->d[3];
  r->npix = (pad[0] + pad[2]) * (r->w + pad[1] + pad[3]) + r->h * (pad[1] + pad[3]);
  for (int64_t c = 0; chan && c < r->c; c++) r->chan[c] = (double)(float)chan[c];
  r->origin = r->last = x->node_index;
  *out = r;
  return REPCONV_OK;
}

/* The current node's output is pad(xi, pad, chan[c]), pending. */
rc_status ox_pad_pending(ox* x, int32_t xi, const int32_t* pad, const double* chan) {
  ox_ring* r;
  RC_CHECK(ring_new(x, xi, pad, chan, &r));
  rc_status st;
  define_pending(x, x->node->output[0], r, &st);
  return st;
}

/* The ring of an IR tensor made by an IR pad node (an alias of a pad, ...),
 * or of any other rank-4 tensor as a pad of 0 (all interior). */
static rc_status ring_of_tensor(ox* x, int32_t id, ox_ring** out) {
  const rc_tensor* t = &x->g->tensors[id];
  const rc_node* pn = t->producer >= 0 ? &x->g->nodes[t->producer] : NULL;
  static const int32_t zero[4] = {0, 0, 0, 0};
  if (!pn || pn->op != RC_OP_PAD) return ring_new(x, id, zero, NULL, out);
  const rc_shape* xs = ox_shape_of(x, pn->inputs[0]);
  if (xs->ndim != 4 || pn->n_inputs < 2 || pn->inputs[1] < 0) return ring_new(x, pn->inputs[0], pn->a.pad, NULL, out);
  const rc_tensor* vt = &x->g->tensors[pn->inputs[1]];
  double* chan = malloc((size_t)(xs->d[1] ? xs->d[1] : 1) * sizeof(double));
  if (!chan) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  int64_t nv = rc_shape_numel(&vt->shape);
  for (int64_t c = 0; c < xs->d[1]; c++) chan[c] = vt->data && nv > 0 ? vt->data[nv == 1 ? 0 : c % nv] : 0;
  rc_status s = ring_new(x, pn->inputs[0], pn->a.pad, chan, out);
  free(chan);
  return s;
}

/* A copy of r with per-element ring storage. */
static rc_status ring_expand_copy(ox* x, const ox_ring* r, ox_ring** out) {
  int64_t total;
  if (rc_mul_i64(r->n, r->c, &total) || rc_mul_i64(total, r->npix, &total) || total > OX_MAX_CONST_ELEMENTS) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the padding ring has too many elements to track");
  }
  ox_ring* c = calloc(1, sizeof(*c));
  if (!c) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  *c = *r;
  c->chan = malloc((size_t)(r->c ? r->c : 1) * sizeof(double));
  c->v = malloc((size_t)(total ? total : 1) * sizeof(double));
  if (!c->chan || !c->v) {
    ox_ring_free(c);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory for the padding ring", x->what);
  }
  memcpy(c->chan, r->chan, (size_t)r->c * sizeof(double));
  if (r->v) {
    memcpy(c->v, r->v, (size_t)total * sizeof(double));
  } else {
    for (int64_t nc = 0; nc < r->n * r->c; nc++) {
      for (int64_t k = 0; k < r->npix; k++) c->v[nc * r->npix + k] = r->chan[nc % r->c];
    }
  }
  *out = c;
  return REPCONV_OK;
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof(a)) == 0; }

/* Turns a pending value into an IR pad node (see the comment above). */
static rc_status ring_emit(ox* x, ox_value* v) {
  ox_ring* r = v->ring;
  if (r->gen != x->gen) return ox_node_error(x, REPCONV_ERROR_INTERNAL, "pad of another graph");
  double* vals = r->chan;
  if (r->v) {
    /* One value per channel on the whole ring, every batch item. */
    for (int64_t c = 0; c < r->c; c++) {
      int64_t first = c * r->npix;
      for (int64_t n = 0; n < r->n; n++) {
        const double* p = r->v + (n * r->c + c) * r->npix;
        for (int64_t k = 0; k < r->npix; k++) {
          if (same_bits(p[k], r->v[first])) continue;
          /* Locate both elements for the message. */
          int64_t pos[2] = {0, k}, at[2][2] = {{-1, -1}, {-1, -1}};
          int64_t hp = r->h + r->pad[0] + r->pad[2], wp = r->w + r->pad[1] + r->pad[3];
          for (int64_t i = 0; i < hp; i++) {
            for (int64_t j = 0; j < wp; j++) {
              int64_t ri = ring_index(r, i, j);
              for (int q = 0; q < 2; q++) {
                if (ri == pos[q] && at[q][0] < 0) {
                  at[q][0] = i;
                  at[q][1] = j;
                }
              }
            }
          }
          char pname[RC_MAX_NAME];
          return node_error_at(x, r->last, REPCONV_ERROR_UNSUPPORTED,
                               "after %d ScatterND on the pad of node '%s', its padding ring is not one value per "
                               "channel: channel %lld holds %.9g at (batch 0, row %lld, col %lld) but %.9g at "
                               "(batch %lld, row %lld, col %lld); repconv maps ScatterND only onto a pad whose whole "
                               "ring (every side) is overwritten with one value per channel (BN-and-pad)",
                               r->scattered, ox_node_name_at(x, r->origin, pname, sizeof(pname)), (long long)c,
                               r->v[first], (long long)at[0][0], (long long)at[0][1], p[k], (long long)n,
                               (long long)at[1][0], (long long)at[1][1]);
        }
      }
    }
    vals = malloc((size_t)(r->c ? r->c : 1) * sizeof(double));
    if (!vals) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
    for (int64_t c = 0; c < r->c; c++) vals[c] = r->npix ? r->v[c * r->npix] : 0;
  }
  char node_name[RC_MAX_NAME], cname[RC_MAX_NAME + 32];
  ox_node_name_at(x, r->last, node_name, sizeof(node_name));
  int any = 0;
  for (int64_t c = 0; c < r->c; c++) any |= !same_bits(vals[c], 0.0);
  rc_attrs a = rc_attrs_default();
  memcpy(a.pad, r->pad, sizeof(a.pad));
  int32_t ins[2] = {r->x, -1};
  rc_status s = REPCONV_OK;
  if (any) {
    float* f = malloc((size_t)r->c * sizeof(float));
    if (!f) s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
    for (int64_t c = 0; f && c < r->c; c++) f[c] = (float)vals[c];
    rc_shape vs = {1, {r->c}};
    if (s == REPCONV_OK) {
      s = rc_graph_add_const(x->g, ox_unique_name(x, node_name, ".pad_value", cname, sizeof(cname)), &vs, f, &ins[1]);
      if (s != REPCONV_OK) s = rc_error_context(s, "%s", x->what);
    }
    free(f);
  }
  if (vals != r->chan) free(vals);
  RC_CHECK(s);
  int32_t id;
  s = rc_graph_add_node(x->g, RC_OP_PAD, node_name, ins, any ? 2 : 1, &a, v->name, &id);
  if (s == REPCONV_OK) s = rc_graph_infer_node(x->g, x->g->n_nodes - 1);
  if (s != REPCONV_OK) return rc_error_context(s, "%s", x->what);
  v->kind = OX_TENSOR;
  v->tensor = id;
  v->ir_graph = x->g;
  v->ir_gen = x->gen;
  return REPCONV_OK;
}

/* ScatterND on a computed tensor (see the comment above). */
rc_status ox_op_scatternd(ox* x, ox_value** in, size_t n_in) {
  if (n_in != 3 || !in[0] || !in[1] || !in[2]) {
    return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs data, indices and updates");
  }
  char red[16];
  ox_attr_string(x->node, "reduction", "none", red, sizeof(red));
  if (strcmp(red, "none") != 0) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "reduction '%s' (only 'none')", red);
  static const char* const role[] = {"data", "indices", "updates"};
  for (int k = 1; k < 3; k++) {
    RC_CHECK(ox_materialize(x, in[k]));
    if (in[k]->kind != OX_CONST) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                           "%s '%s' are computed at run time (repconv maps ScatterND with constant indices and "
                           "updates onto the padding ring of a Pad only)",
                           role[k], in[k]->name);
    }
  }
  const ox_const* idx = &in[1]->c;
  const ox_const* upd = &in[2]->c;
  if (upd->dtype != OX_FLOAT) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "updates of dtype %s (float32 expected)",
                         ox_dtype_name(upd->dtype));
  }
  ox_value* d = in[0];
  ox_ring* base = d->ring;
  ox_ring* owned = NULL;
  if (!base) {
    if (d->kind != OX_TENSOR) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "data '%s' is not a tensor", d->name);
    RC_CHECK(ring_of_tensor(x, d->tensor, &owned));
    base = owned;
  }
  if (base->gen != x->gen) {
    ox_ring_free(owned);
    return ox_node_error(x, REPCONV_ERROR_INTERNAL, "pad of another graph");
  }
  int64_t hp = base->h + base->pad[0] + base->pad[2], wp = base->w + base->pad[1] + base->pad[3];
  int64_t dims[4] = {base->n, base->c, hp, wp};
  rc_status st;
  if (!ox_scatternd_check(x, 4, dims, idx, upd, &st)) {
    ox_ring_free(owned);
    return st;
  }
  ox_ring* r = NULL;
  st = ring_expand_copy(x, base, &r);
  ox_ring_free(owned);
  RC_CHECK(st);
  int64_t k = idx->dims[idx->ndim - 1], slab = 1, tuples = idx->numel / k;
  for (int i = (int)k; i < 4; i++) slab *= dims[i];
  int64_t co[OX_MAX_RANK];
  for (int64_t t = 0; t < tuples && st == REPCONV_OK; t++) {
    if (ox_scatternd_offset(x, 4, dims, idx, t, co, &st) < 0) break;
    for (int64_t e = 0; e < slab; e++) {
      /* Coordinates of slab element e: the dims past the tuple, C order. */
      int64_t c4[4] = {co[0], co[1], co[2], co[3]}, rem = e;
      for (int i = 3; i >= (int)k; i--) {
        c4[i] = rem % dims[i];
        rem /= dims[i];
      }
      int64_t ri = ring_index(r, c4[2], c4[3]);
      if (ri < 0) {
        st = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                           "writes element (batch %lld, channel %lld, row %lld, col %lld) of '%s', which lies in its "
                           "interior (the computed region, rows %d..%lld, cols %d..%lld); repconv maps ScatterND only "
                           "onto the padding ring of a Pad (BN-and-pad)",
                           (long long)c4[0], (long long)c4[1], (long long)c4[2], (long long)c4[3], d->name, r->pad[0],
                           (long long)(r->pad[0] + r->h - 1), r->pad[1], (long long)(r->pad[1] + r->w - 1));
        break;
      }
      r->v[(c4[0] * r->c + c4[1]) * r->npix + ri] = (double)(float)upd->d[t * slab + e];
    }
  }
  if (st != REPCONV_OK) {
    ox_ring_free(r);
    return st;
  }
  r->last = x->node_index;
  r->scattered++;
  define_pending(x, x->node->output[0], r, &st);
  return st;
}

/* Makes pending value v an IR tensor (no-op for other kinds). */
rc_status ox_settle(ox* x, ox_value* v) {
  if (v->kind == OX_PENDING) return ring_emit(x, v);
  if (v->kind == OX_SHAPE_ONLY) {
    char sname[RC_MAX_NAME];
    ox_node_name_at(x, v->producer, sname, sizeof(sname));
    if (!x->node) {
      return rc_error(REPCONV_ERROR_UNSUPPORTED,
                      "%s: graph output '%s' is a Slice of a computed tensor (node '%s'); repconv supports such a "
                      "Slice only as the input of Shape",
                      x->what, v->name, sname);
    }
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                         "input '%s' is a Slice of a computed tensor (node '%s'); repconv supports such a Slice only "
                         "as the input of Shape",
                         v->name, sname);
  }
  return REPCONV_OK;
}

/* A computed value's shape (OX_TENSOR, OX_PENDING, OX_SHAPE_ONLY), or NULL. */
const rc_shape* ox_computed_shape(ox* x, const ox_value* v) {
  if (!v) return NULL;
  if (v->kind == OX_TENSOR) return &v->ir_graph->tensors[v->tensor].shape;
  if (v->kind == OX_PENDING || v->kind == OX_SHAPE_ONLY) return &v->shape;
  (void)x;
  return NULL;
}

/* Slice of a computed tensor: only its shape is known (OX_SHAPE_ONLY). */
rc_status ox_op_slice_shape_only(ox* x, ox_value** in, size_t n_in) {
  const rc_shape* s = ox_computed_shape(x, in[0]);
  if (!s) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "starts/ends/axes/steps are computed at run time");
  rc_shape out;
  memset(&out, 0, sizeof(out));
  out.ndim = s->ndim;
  RC_CHECK(ox_slice_shape(x, x->node, in, n_in, s->ndim, s->d, out.d));
  ox_value* v;
  RC_CHECK(ox_define(x, x->node->output[0], &v));
  v->kind = OX_SHAPE_ONLY;
  v->shape = out;
  v->producer = x->node_index;
  return REPCONV_OK;
}

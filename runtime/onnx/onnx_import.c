/* ONNX import: decodes a ModelProto with protobuf-c, walks the nodes in file
 * order (ONNX requires topological order) and turns each into IR nodes, or
 * into a constant when all its inputs are constants. Each IR node's shape is
 * inferred as it is added, so Shape ops downstream see static shapes. */
#define _POSIX_C_SOURCE 200809L /* open, fstat, mmap */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/io/file.h"
#include "runtime/eval/eval.h"
#include "runtime/onnx/onnx_internal.h"

#define OX_MIN_OPSET 7
#define OX_MAX_OPSET 18

/* ------------------------------------------------------------- helpers */

/* A fresh IR tensor name derived from base (ONNX value names are taken). */
static const char* unique_name(ox* x, const char* base, const char* suffix, char* buf, size_t size) {
  snprintf(buf, size, "%.200s%s", base, suffix);
  for (int k = 1; rc_graph_find_tensor(x->g, buf) >= 0 || ox_find(x, buf); k++) {
    snprintf(buf, size, "%.200s%s_%d", base, suffix, k);
  }
  return buf;
}

static rc_status tensor_of(ox* x, const ox_value* v, const char* role, int32_t* id) {
  if (!v) return ox_node_error(x, REPCONV_ERROR_FORMAT, "%s is missing", role);
  if (v->kind != OX_TENSOR) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s '%s' is a constant where a computed tensor is expected",
                         role, v->name);
  }
  *id = v->tensor;
  return REPCONV_OK;
}

static const rc_shape* shape_of(ox* x, int32_t id) { return &x->g->tensors[id].shape; }

/* A float32 IR constant with the value's data (added once per graph). */
static rc_status ir_const(ox* x, ox_value* v, const char* role, int32_t* id) {
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
  rc_status st = rc_graph_add_const(x->g, unique_name(x, v->name, "", name, sizeof(name)), &s, data, id);
  free(data);
  if (st != REPCONV_OK) return ox_node_error(x, st, "%s", rc_error_message());
  v->tensor = *id;
  v->ir_graph = x->g;
  v->ir_gen = x->gen;
  return REPCONV_OK;
}

/* A float32 IR constant made here (transposed weights, broadcast biases). */
static rc_status ir_const_data(ox* x, const char* suffix, const rc_shape* s, const float* data, int32_t* id) {
  char name[RC_MAX_NAME + 32];
  rc_status st = rc_graph_add_const(x->g, unique_name(x, x->node_name, suffix, name, sizeof(name)), s, data, id);
  if (st != REPCONV_OK) return ox_node_error(x, st, "%s", rc_error_message());
  return REPCONV_OK;
}

static rc_status define_tensor(ox* x, const char* name, int32_t id) {
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
static rc_status add_ir(ox* x, rc_op op, const int32_t* ins, int32_t n, const rc_attrs* a, const char* out_name,
                        int32_t* out) {
  const char* name = out_name ? out_name : x->node->output[0];
  char tmp[RC_MAX_NAME + 32];
  if (out_name) name = unique_name(x, x->node->output[0], out_name, tmp, sizeof(tmp));
  int32_t id;
  rc_status s = rc_graph_add_node(x->g, op, x->node_name, ins, n, a, name, &id);
  if (s == REPCONV_OK) s = rc_graph_infer_node(x->g, x->g->n_nodes - 1);
  if (s != REPCONV_OK) return rc_error_context(s, "%s", x->what);
  if (!out_name) RC_CHECK(define_tensor(x, name, id));
  if (out) *out = id;
  return REPCONV_OK;
}

rc_status ox_add_ir(ox* x, rc_op op, const int32_t* ins, int32_t n, const rc_attrs* a, const char* out_suffix,
                    int32_t* out) {
  return add_ir(x, op, ins, n, a, out_suffix, out);
}

rc_status ox_define_tensor(ox* x, const char* name, int32_t id) { return define_tensor(x, name, id); }

static rc_status to_i32(ox* x, const char* what, int64_t v, int32_t lo, int32_t hi, int32_t* out) {
  if (v < lo || v > hi) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s = %lld is out of range [%d, %d]", what, (long long)v, lo,
                         hi);
  }
  *out = (int32_t)v;
  return REPCONV_OK;
}

/* Reads an ints attribute of exactly `want` entries into out (keeps the
 * defaults in out when the attribute is absent). */
static rc_status ints_attr(ox* x, const char* name, size_t want, int32_t lo, int32_t hi, int32_t* out) {
  size_t cnt;
  const int64_t* v = ox_attr_ints(x->node, name, &cnt);
  if (!cnt) return REPCONV_OK;
  if (cnt != want) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s has %zu values, expected %zu (2-D ops only)", name, cnt,
                         want);
  }
  for (size_t i = 0; i < cnt; i++) RC_CHECK(to_i32(x, name, v[i], lo, hi, &out[i]));
  return REPCONV_OK;
}

/* auto_pad SAME_UPPER/SAME_LOWER/VALID into explicit pads[4] (t, l, b, r). */
static rc_status auto_pad(ox* x, const rc_shape* in, rc_attrs* a) {
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

static void ring_free(ox_ring* r) {
  if (!r) return;
  free(r->chan);
  free(r->v);
  free(r);
}

/* The display name of ONNX node i (its name, or "<op>_<index>"). */
static const char* node_name_at(const ox* x, size_t i, char* buf, size_t size) {
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
  node_name_at(x, i, x->node_name, sizeof(x->node_name));
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
    ring_free(r);
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
  const rc_shape* xs = shape_of(x, xi);
  if (xs->ndim != 4)
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "padding a rank-%d tensor (NCHW only)", xs->ndim);
  ox_ring* r = calloc(1, sizeof(*r));
  if (r) r->chan = calloc((size_t)(xs->d[1] ? xs->d[1] : 1), sizeof(double));
  if (!r || !r->chan) {
    ring_free(r);
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
static rc_status pad_pending(ox* x, int32_t xi, const int32_t* pad, const double* chan) {
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
  const rc_shape* xs = shape_of(x, pn->inputs[0]);
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
    ring_free(c);
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
                               r->scattered, node_name_at(x, r->origin, pname, sizeof(pname)), (long long)c,
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
  node_name_at(x, r->last, node_name, sizeof(node_name));
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
      s = rc_graph_add_const(x->g, unique_name(x, node_name, ".pad_value", cname, sizeof(cname)), &vs, f, &ins[1]);
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
static rc_status h_scatternd(ox* x, ox_value** in, size_t n_in) {
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
    ring_free(owned);
    return ox_node_error(x, REPCONV_ERROR_INTERNAL, "pad of another graph");
  }
  int64_t hp = base->h + base->pad[0] + base->pad[2], wp = base->w + base->pad[1] + base->pad[3];
  int64_t dims[4] = {base->n, base->c, hp, wp};
  rc_status st;
  if (!ox_scatternd_check(x, 4, dims, idx, upd, &st)) {
    ring_free(owned);
    return st;
  }
  ox_ring* r = NULL;
  st = ring_expand_copy(x, base, &r);
  ring_free(owned);
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
    ring_free(r);
    return st;
  }
  r->last = x->node_index;
  r->scattered++;
  define_pending(x, x->node->output[0], r, &st);
  return st;
}

/* Makes pending value v an IR tensor (no-op for other kinds). */
static rc_status settle(ox* x, ox_value* v) {
  if (v->kind == OX_PENDING) return ring_emit(x, v);
  if (v->kind == OX_SHAPE_ONLY) {
    char sname[RC_MAX_NAME];
    node_name_at(x, v->producer, sname, sizeof(sname));
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
static const rc_shape* computed_shape(ox* x, const ox_value* v) {
  if (!v) return NULL;
  if (v->kind == OX_TENSOR) return &v->ir_graph->tensors[v->tensor].shape;
  if (v->kind == OX_PENDING || v->kind == OX_SHAPE_ONLY) return &v->shape;
  (void)x;
  return NULL;
}

/* Slice of a computed tensor: only its shape is known (OX_SHAPE_ONLY). */
static rc_status slice_shape_only(ox* x, ox_value** in, size_t n_in) {
  const rc_shape* s = computed_shape(x, in[0]);
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

/* ------------------------------------------------------------- handlers */

typedef rc_status (*handler)(ox* x, ox_value** in, size_t n_in);

static rc_status h_conv(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1, w = -1, b = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
  if (n_in < 2 || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no weight");
  RC_CHECK(ox_materialize(x, in[1]));
  if (in[1]->kind == OX_CONST && in[1]->c.ndim != 4) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%d-D convolution (weight rank %d); repconv runs 2-D convs",
                         in[1]->c.ndim - 2, in[1]->c.ndim);
  }
  RC_CHECK(ir_const(x, in[1], "weight", &w));
  if (n_in > 2 && in[2]) RC_CHECK(ir_const(x, in[2], "bias", &b));
  const rc_shape* ws = shape_of(x, w);
  const rc_shape* xs = shape_of(x, xi);
  if (xs->ndim != 4)
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input of rank %d (2-D convs take NCHW)", xs->ndim);
  rc_attrs a = rc_attrs_default();
  a.kernel[0] = (int32_t)ws->d[2];
  a.kernel[1] = (int32_t)ws->d[3];
  int32_t ks[2] = {a.kernel[0], a.kernel[1]};
  RC_CHECK(ints_attr(x, "kernel_shape", 2, 1, 4096, ks));
  if (ks[0] != a.kernel[0] || ks[1] != a.kernel[1]) {
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "kernel_shape %dx%d does not match the weight's %dx%d", ks[0], ks[1],
                         a.kernel[0], a.kernel[1]);
  }
  RC_CHECK(ints_attr(x, "strides", 2, 1, 4096, a.stride));
  RC_CHECK(ints_attr(x, "dilations", 2, 1, 4096, a.dilation));
  RC_CHECK(ints_attr(x, "pads", 4, 0, 4096, a.pad));
  RC_CHECK(to_i32(x, "group", ox_attr_int(x->node, "group", 1), 1, 1 << 20, &a.groups));
  RC_CHECK(auto_pad(x, xs, &a));
  int32_t ins[3] = {xi, w, b};
  return add_ir(x, RC_OP_CONV2D, ins, b >= 0 ? 3 : 2, &a, NULL, NULL);
}

static rc_status h_batchnorm(ox* x, ox_value** in, size_t n_in) {
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
  RC_CHECK(tensor_of(x, in[0], roles[0], &ins[0]));
  for (int k = 1; k < 5; k++) RC_CHECK(ir_const(x, in[k], roles[k], &ins[k]));
  rc_attrs a = rc_attrs_default();
  a.eps = ox_attr_float(x->node, "epsilon", 1e-5f);
  return add_ir(x, RC_OP_BATCHNORM, ins, 5, &a, NULL, NULL);
}

static rc_status h_binary(ox* x, ox_value** in, size_t n_in) {
  const char* op = x->node->op_type;
  rc_op ir = op[0] == 'A' ? RC_OP_ADD : op[0] == 'S' ? RC_OP_SUB : op[0] == 'M' ? RC_OP_MUL : RC_OP_DIV;
  if (n_in != 2 || !in[0] || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs two inputs");
  int32_t ins[2];
  for (int k = 0; k < 2; k++) {
    if (in[k]->kind == OX_TENSOR) {
      ins[k] = in[k]->tensor;
    } else {
      RC_CHECK(ir_const(x, in[k], k ? "operand B" : "operand A", &ins[k]));
    }
  }
  return add_ir(x, ir, ins, 2, NULL, NULL, NULL);
}

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
  const rc_shape* xs = shape_of(x, xi);
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
  rc_status s = to_i32(x, "pad", before, 0, 4096, &a.pad[side]);
  if (s == REPCONV_OK) s = to_i32(x, "pad", after, 0, 4096, &a.pad[side + 2]);
  if (s == REPCONV_OK) s = pad_pending(x, xi, a.pad, vals);
  free(vals);
  return s;
}

static rc_status h_concat(ox* x, ox_value** in, size_t n_in) {
  if (n_in < 1) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no inputs");
  int32_t first = -1;
  for (size_t k = 0; k < n_in; k++) {
    if (!in[k]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "empty input name");
    if (in[k]->kind == OX_TENSOR && first < 0) first = in[k]->tensor;
  }
  const rc_shape* s0 = shape_of(x, first);
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
  for (size_t k = 0; k < n_in && s == REPCONV_OK; k++) s = tensor_of(x, in[k], "input", &ins[k]);
  if (s == REPCONV_OK) s = add_ir(x, RC_OP_CONCAT, ins, (int32_t)n_in, NULL, NULL, NULL);
  free(ins);
  return s;
}

static rc_status h_pad(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = shape_of(x, xi);
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
    RC_CHECK(to_i32(x, "pads", pads[order[k]], 0, 4096, &a.pad[k]));
  }
  int64_t c = xs->d[1];
  double* vals = malloc((size_t)(c ? c : 1) * sizeof(double));
  if (!vals) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  for (int64_t k = 0; k < c; k++) vals[k] = value;
  rc_status s = pad_pending(x, xi, a.pad, vals);
  free(vals);
  return s;
}

static rc_status h_pool(ox* x, ox_value** in, size_t n_in) {
  int avg = strcmp(x->node->op_type, "AveragePool") == 0;
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
  for (size_t k = 1; k < x->node->n_output; k++) {
    if (x->node->output[k] && x->node->output[k][0]) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the Indices output");
    }
  }
  const rc_shape* xs = shape_of(x, xi);
  if (xs->ndim != 4)
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input of rank %d (2-D pools take NCHW)", xs->ndim);
  rc_attrs a = rc_attrs_default();
  a.kernel[0] = a.kernel[1] = 0;
  RC_CHECK(ints_attr(x, "kernel_shape", 2, 1, 4096, a.kernel));
  if (!a.kernel[0]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no 2-D kernel_shape");
  RC_CHECK(ints_attr(x, "strides", 2, 1, 4096, a.stride));
  RC_CHECK(ints_attr(x, "pads", 4, 0, 4096, a.pad));
  int32_t dil[2] = {1, 1};
  RC_CHECK(ints_attr(x, "dilations", 2, 1, 4096, dil));
  if (dil[0] != 1 || dil[1] != 1) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "dilations %dx%d (pools run undilated)", dil[0], dil[1]);
  }
  a.ceil_mode = ox_attr_int(x->node, "ceil_mode", 0) != 0;
  a.count_include_pad = avg && ox_attr_int(x->node, "count_include_pad", 0) != 0; /* ONNX default 0 */
  RC_CHECK(auto_pad(x, xs, &a));
  return add_ir(x, avg ? RC_OP_AVGPOOL : RC_OP_MAXPOOL, &xi, 1, &a, NULL, NULL);
}

static rc_status h_unary(ox* x, ox_value** in, size_t n_in) {
  const char* op = x->node->op_type;
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
  rc_attrs a = rc_attrs_default();
  rc_op ir;
  if (strcmp(op, "Relu") == 0) {
    ir = RC_OP_RELU;
  } else if (strcmp(op, "Sigmoid") == 0) {
    ir = RC_OP_SIGMOID;
  } else if (strcmp(op, "LeakyRelu") == 0) {
    ir = RC_OP_LEAKY_RELU;
    a.alpha = ox_attr_float(x->node, "alpha", 0.01f);
  } else if (strcmp(op, "GlobalAveragePool") == 0) {
    ir = RC_OP_GLOBAL_AVGPOOL;
  } else if (strcmp(op, "Flatten") == 0) {
    ir = RC_OP_FLATTEN;
    RC_CHECK(to_i32(x, "axis", ox_attr_int(x->node, "axis", 1), -8, 8, &a.axis));
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
    RC_CHECK(to_i32(x, "blocksize", ox_attr_int(x->node, "blocksize", 0), 1, 4096, &a.block));
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
  return add_ir(x, ir, &xi, 1, &a, NULL, NULL);
}

static rc_status h_prelu(ox* x, ox_value** in, size_t n_in) {
  int32_t ins[2];
  RC_CHECK(tensor_of(x, in[0], "input", &ins[0]));
  if (n_in < 2) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no slope");
  RC_CHECK(ir_const(x, in[1], "slope", &ins[1]));
  /* The IR's PRelu is per channel (dim 1); ONNX broadcasts the slope from
   * the right, so a [C] slope on NCHW runs along W. Only a slope whose
   * dims other than the one aligned with dim 1 are 1 means per channel. */
  const ox_const* sc = &in[1]->c;
  const rc_shape* xs = shape_of(x, ins[0]);
  for (int i = 0; i < sc->ndim && sc->numel > 1; i++) {
    int xd = xs->ndim - sc->ndim + i;
    if (sc->dims[i] != 1 && xd != 1) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                           "slope '%s' of rank %d varies along dim %d of the rank-%d input (repconv's PRelu is per "
                           "channel: slope shape [C, 1, 1] or a scalar)",
                           in[1]->name, sc->ndim, xd, xs->ndim);
    }
  }
  return add_ir(x, RC_OP_PRELU, ins, 2, NULL, NULL, NULL);
}

/* Identity and Dropout (eval) forward the tensor under a new name. */
static rc_status h_alias(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
  for (size_t k = 1; k < x->node->n_output; k++) {
    if (x->node->output[k] && x->node->output[k][0]) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "the mask output");
    }
  }
  return define_tensor(x, x->node->output[0], xi);
}

/* Gemm/MatMul with a constant right-hand side → IR gemm (weight [out, in]). */
static rc_status h_gemm(ox* x, ox_value** in, size_t n_in) {
  int matmul = strcmp(x->node->op_type, "MatMul") == 0;
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input A", &xi));
  if (n_in < 2 || !in[1]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no input B");
  RC_CHECK(ox_materialize(x, in[1]));
  if (in[1]->kind != OX_CONST) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input B '%s' is computed; only a constant B is supported",
                         in[1]->name);
  }
  const rc_shape* xs = shape_of(x, xi);
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
    RC_CHECK(ir_const(x, in[1], "B", &ins[1]));
  } else {
    float* wt = malloc((size_t)(out * k) * sizeof(float));
    if (!wt) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
    for (int64_t o = 0; o < out; o++) {
      for (int64_t j = 0; j < k; j++) wt[o * k + j] = (float)B->d[j * out + o];
    }
    rc_shape ws = {2, {out, k}};
    rc_status s = ir_const_data(x, ".weight_t", &ws, wt, &ins[1]);
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
    rc_status s = ir_const_data(x, ".bias", &bs, bias, &ins[2]);
    free(bias);
    RC_CHECK(s);
  }
  return add_ir(x, RC_OP_GEMM, ins, ins[2] >= 0 ? 3 : 2, &a, NULL, NULL);
}

static rc_status reshape_to(ox* x, int32_t xi, int ndim, const int64_t* dims) {
  if (ndim < 1 || ndim > RC_MAX_DIMS) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "result of rank %d (activations have rank 1 to 4)", ndim);
  }
  rc_attrs a = rc_attrs_default();
  a.reshape_ndim = ndim;
  for (int i = 0; i < ndim; i++) a.reshape[i] = dims[i];
  return add_ir(x, RC_OP_RESHAPE, &xi, 1, &a, NULL, NULL);
}

static rc_status h_reshape(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
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

static rc_status h_squeeze(ox* x, ox_value** in, size_t n_in) {
  int sq = x->node->op_type[0] == 'S';
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = shape_of(x, xi);
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

/* Integer nearest-neighbour factors of Resize/Upsample. */
static rc_status h_resize(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = shape_of(x, xi);
  char mode[32], ctm[48], nm[32];
  ox_attr_string(x->node, "mode", "nearest", mode, sizeof(mode));
  if (strcmp(mode, "nearest") != 0) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "mode '%s' (only 'nearest')", mode);
  }
  ox_attr_string(x->node, "coordinate_transformation_mode", "half_pixel", ctm, sizeof(ctm));
  ox_attr_string(x->node, "nearest_mode", "round_prefer_floor", nm, sizeof(nm));
  /* With integer factors, half_pixel, pytorch_half_pixel and
   * tf_half_pixel_for_nn pick source floor(o / s) under any rounding;
   * asymmetric does only with floor. */
  int ok = strcmp(ctm, "half_pixel") == 0 || strcmp(ctm, "pytorch_half_pixel") == 0 ||
           strcmp(ctm, "tf_half_pixel_for_nn") == 0 || (strcmp(ctm, "asymmetric") == 0 && strcmp(nm, "floor") == 0);
  if (strcmp(x->node->op_type, "Upsample") == 0) ok = 1;
  if (!ok) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "coordinate_transformation_mode '%s' with nearest_mode '%s'",
                         ctm, nm);
  }
  if (xs->ndim != 4) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input of rank %d", xs->ndim);
  double scale[4] = {0, 0, 0, 0};
  const Onnx__AttributeProto* sa = ox_attr(x->node, "scales");
  if (sa && sa->n_floats == 4) {
    for (int k = 0; k < 4; k++) scale[k] = sa->floats[k];
  } else {
    /* Resize-10 / Upsample-9: (X, scales); Resize-11+: (X, roi, scales, sizes). */
    size_t si = (x->opset >= 11 && strcmp(x->node->op_type, "Resize") == 0) ? 2 : 1;
    ox_value* sv = si < n_in ? in[si] : NULL;
    ox_value* zv = 3 < n_in ? in[3] : NULL;
    if (sv) RC_CHECK(ox_materialize(x, sv));
    if (zv) RC_CHECK(ox_materialize(x, zv));
    if (sv && sv->kind == OX_CONST && sv->c.numel == 4) {
      for (int k = 0; k < 4; k++) scale[k] = ox_const_get_d(&sv->c, k);
    } else if (zv && zv->kind == OX_CONST && zv->c.numel == 4) {
      for (int k = 0; k < 4; k++) scale[k] = (double)ox_const_get_i(&zv->c, k) / (double)xs->d[k];
    } else {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "scales or sizes must be constants of 4 values");
    }
  }
  if (scale[0] != 1 || scale[1] != 1) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "resizing batch or channels");
  rc_attrs a = rc_attrs_default();
  for (int k = 0; k < 2; k++) {
    double s = scale[2 + k];
    if (!(s >= 1 && s <= 4096) || s != floor(s)) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "scale %g (integer factors ≥ 1 only)", s);
    }
    a.scale[k] = (int32_t)s;
  }
  return add_ir(x, RC_OP_UPSAMPLE_NEAREST, &xi, 1, &a, NULL, NULL);
}

/* Tile/Expand of a computed tensor: only growing the channel dim (SR
 * residuals, x.repeat(1, r², 1, 1)), done as a concat of copies. */
static rc_status h_tile(ox* x, ox_value** in, size_t n_in) {
  int expand = strcmp(x->node->op_type, "Expand") == 0;
  int32_t xi = -1;
  RC_CHECK(tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = shape_of(x, xi);
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
  if (copies == 1) return define_tensor(x, x->node->output[0], xi);
  if (copies > 4096) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%lld copies", (long long)copies);
  int32_t* ins = malloc((size_t)copies * sizeof(int32_t));
  if (!ins) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  for (int64_t k = 0; k < copies; k++) ins[k] = xi;
  rc_status s = add_ir(x, RC_OP_CONCAT, ins, (int32_t)copies, NULL, NULL, NULL);
  free(ins);
  return s;
}

typedef struct op_entry {
  const char* name;
  handler fn;
} op_entry;

static const op_entry k_ops[] = {
    {"Conv", h_conv},
    {"BatchNormalization", h_batchnorm},
    {"Add", h_binary},
    {"Sub", h_binary},
    {"Mul", h_binary},
    {"Div", h_binary},
    {"Concat", h_concat},
    {"Pad", h_pad},
    {"AveragePool", h_pool},
    {"MaxPool", h_pool},
    {"GlobalAveragePool", h_unary},
    {"Gemm", h_gemm},
    {"MatMul", h_gemm},
    {"Flatten", h_unary},
    {"Reshape", h_reshape},
    {"Squeeze", h_squeeze},
    {"Unsqueeze", h_squeeze},
    {"Relu", h_unary},
    {"PRelu", h_prelu},
    {"LeakyRelu", h_unary},
    {"Clip", h_unary},
    {"Sigmoid", h_unary},
    {"DepthToSpace", h_unary},
    {"Identity", h_alias},
    {"Dropout", h_alias},
    {"Resize", h_resize},
    {"Upsample", h_resize},
    {"Tile", h_tile},
    {"Expand", h_tile},
    {"ScatterND", h_scatternd},
    {"Slice", slice_shape_only},
};

static handler find_handler(const char* op) {
  for (size_t i = 0; i < sizeof(k_ops) / sizeof(k_ops[0]); i++) {
    if (strcmp(k_ops[i].name, op) == 0) return k_ops[i].fn;
  }
  return NULL;
}

/* A node whose inputs are all constants but that only the IR knows (Conv,
 * BatchNormalization, Pad, ...): run it once through the reference kernels
 * on a one-node graph and keep the result as a constant.
 *
 * The handler sees input 0 as a private copy made the one-node graph's input
 * (the value in the table stays a constant, so an input that repeats input 0
 * is still a constant). The other inputs get IR copies in the one-node graph
 * through ir_const, which caches them by graph generation: a fresh one here,
 * so a cache entry from an earlier one-node graph, whose stack address this
 * graph may reuse, never matches. Their main-graph cache entries are put
 * back afterwards, by index, as defining the output may move x->v. */
typedef struct ox_ir_cache {
  size_t index;
  int32_t tensor;
  const rc_graph* ir_graph;
  uint64_t ir_gen;
} ox_ir_cache;

/* NaN in a constant of the one-node graph is refused, as loading a model
 * refuses it in the model's constants. */
static rc_status refuse_nan(const rc_graph* g) {
  for (int32_t t = 0; t < g->n_tensors; t++) {
    const rc_tensor* tt = &g->tensors[t];
    if (tt->kind != RC_TENSOR_CONST) continue;
    size_t n = (size_t)rc_shape_numel(&tt->shape);
    for (size_t i = 0; i < n; i++) {
      if (isnan(tt->data[i])) {
        return rc_error(REPCONV_ERROR_FORMAT, "constant '%s' holds NaN at element %zu", tt->name, i);
      }
    }
  }
  return REPCONV_OK;
}

static rc_status eval_via_ir(ox* x, handler fn, ox_value** in, size_t n_in) {
  RC_CHECK(ox_materialize(x, in[0]));
  ox_value v0 = *in[0];
  if (v0.c.dtype != OX_FLOAT || v0.c.ndim > RC_MAX_DIMS || v0.c.ndim < 1) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "constant input '%s' of dtype %s, rank %d", v0.name,
                         ox_dtype_name(v0.c.dtype), v0.c.ndim);
  }
  ox_value** args = malloc(n_in * sizeof(*args));
  ox_ir_cache* cache = malloc(n_in * sizeof(*cache));
  if (!args || !cache) {
    free(args);
    free(cache);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  }
  for (size_t k = 0; k < n_in; k++) {
    args[k] = in[k];
    cache[k].index = SIZE_MAX;
    if (!in[k]) continue;
    cache[k] = (ox_ir_cache){(size_t)(in[k] - x->v), in[k]->tensor, in[k]->ir_graph, in[k]->ir_gen};
  }
  rc_graph tmp;
  rc_graph_init(&tmp);
  tmp.limits = *x->limits;
  rc_graph* saved = x->g;
  uint64_t saved_gen = x->gen;
  x->g = &tmp;
  x->gen = ++x->last_gen;
  rc_shape s0;
  memset(&s0, 0, sizeof(s0));
  s0.ndim = v0.c.ndim;
  for (int i = 0; i < s0.ndim; i++) s0.d[i] = v0.c.dims[i];
  int32_t in_id;
  rc_status s = rc_graph_add_input(&tmp, "x", &s0, &in_id);
  float* xin = NULL;
  float* yout = NULL;
  ox_value* ov = NULL;
  if (s == REPCONV_OK) {
    v0.kind = OX_TENSOR;
    v0.tensor = in_id;
    v0.ir_graph = &tmp;
    v0.ir_gen = x->gen;
    args[0] = &v0;
    s = fn(x, args, n_in);
  }
  if (s == REPCONV_OK) {
    ov = ox_find(x, x->node->output[0]);
    if (ov) s = settle(x, ov); /* a pad is pending until read: make it now, in tmp */
  }
  x->g = saved;
  x->gen = saved_gen;
  for (size_t k = 1; k < n_in; k++) {
    if (cache[k].index == SIZE_MAX) continue;
    ox_value* v = &x->v[cache[k].index];
    v->tensor = cache[k].tensor;
    v->ir_graph = cache[k].ir_graph;
    v->ir_gen = cache[k].ir_gen;
  }
  free(args);
  free(cache);
  if (s == REPCONV_OK) {
    if (!ov || ov->kind != OX_TENSOR)
      s = ox_node_error(x, REPCONV_ERROR_INTERNAL, "constant evaluation made no tensor");
  }
  if (s == REPCONV_OK) s = rc_graph_add_output(&tmp, ov->tensor);
  if (s == REPCONV_OK) s = refuse_nan(&tmp);
  rc_shape out_shape;
  if (s == REPCONV_OK) {
    out_shape = tmp.tensors[ov->tensor].shape;
    xin = malloc((size_t)v0.c.numel * sizeof(float));
    yout = malloc((size_t)rc_shape_numel(&out_shape) * sizeof(float));
    if (!xin || !yout) s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  }
  if (s == REPCONV_OK) {
    for (int64_t k = 0; k < v0.c.numel; k++) xin[k] = (float)v0.c.d[k];
    const float* ins[1] = {xin};
    float* outs[1] = {yout};
    s = rc_eval_graph(&tmp, ins, outs, &x->macs);
  }
  if (s == REPCONV_OK) {
    ov->kind = OX_CONST;
    ov->tensor = -1;
    ov->ir_graph = NULL;
    ov->ir_gen = 0;
    ring_free(ov->ring); /* it referred to tmp */
    ov->ring = NULL;
    s = ox_const_alloc(x, &ov->c, OX_FLOAT, out_shape.ndim, out_shape.d);
    if (s == REPCONV_OK) {
      for (int64_t k = 0; k < ov->c.numel; k++) ov->c.d[k] = yout[k];
    }
  }
  free(xin);
  free(yout);
  rc_graph_free(&tmp);
  return s;
}

/* -------------------------------------------------------------- driver */

static rc_status import_node(ox* x, const Onnx__NodeProto* n, size_t index) {
  x->node = n;
  x->node_index = index;
  const char* op = n->op_type;
  if (n->name && n->name[0]) {
    snprintf(x->node_name, sizeof(x->node_name), "%.*s", RC_MAX_NAME - 1, n->name);
  } else {
    snprintf(x->node_name, sizeof(x->node_name), "%.64s_%zu", op ? op : "node", index);
  }
  if (!op || !op[0]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no op_type");
  if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "op domain '%s' (only the default ONNX domain)", n->domain);
  }
  if (n->n_output < 1 || !n->output[0] || !n->output[0][0]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no output");
  if (n->n_input > 4096) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%zu inputs", n->n_input);
  ox_value* small[8];
  ox_value** in = n->n_input <= 8 ? small : malloc(n->n_input * sizeof(*in));
  if (!in) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  rc_status s = REPCONV_OK;
  int all_const = 1, any = 0;
  for (size_t k = 0; k < n->n_input && s == REPCONV_OK; k++) {
    in[k] = NULL;
    if (!n->input[k] || !n->input[k][0]) continue; /* an omitted optional input */
    in[k] = ox_find(x, n->input[k]);
    if (!in[k]) {
      s = ox_node_error(x, REPCONV_ERROR_FORMAT,
                        "input '%s' is not defined before this node (nodes must be in topological order)", n->input[k]);
      break;
    }
    any = 1;
    if (computed_shape(x, in[k]) || in[k]->kind == OX_WIDE)
      all_const = 0;
    else
      s = ox_materialize(x, in[k]);
  }
  handler fn = find_handler(op);
  int is_shape = strcmp(op, "Shape") == 0 && n->n_input >= 1 && computed_shape(x, in[0]);
  /* Pending pads and shape-only slices become IR tensors, or are refused,
   * unless read by Shape, or as the data of ScatterND or Slice. */
  int keep0 = is_shape || strcmp(op, "ScatterND") == 0 || strcmp(op, "Slice") == 0;
  for (size_t k = 0; k < n->n_input && s == REPCONV_OK && !all_const; k++) {
    if (in[k] && !(k == 0 && keep0)) s = settle(x, in[k]);
  }
  int wide = 0;
  if (s == REPCONV_OK && !all_const) s = ox_wide_node(x, in, n->n_input, &wide);
  if (s == REPCONV_OK && !wide) {
    if (is_shape) {
      /* Shapes are static: Shape of a computed tensor is a constant. */
      const rc_shape* sh = computed_shape(x, in[0]);
      ox_const c;
      int64_t d = sh->ndim;
      s = ox_const_alloc(x, &c, OX_INT64, 1, &d);
      if (s == REPCONV_OK) {
        for (int i = 0; i < sh->ndim; i++) c.i[i] = sh->d[i];
        int64_t start = ox_attr_int(n, "start", 0), end = ox_attr_int(n, "end", sh->ndim);
        if (start != 0 || end != sh->ndim) {
          ox_const_free(&c);
          s = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "Shape with start/end");
        } else {
          ox_value* v;
          s = ox_define(x, n->output[0], &v);
          if (s == REPCONV_OK) {
            v->kind = OX_CONST;
            v->c = c;
          } else {
            ox_const_free(&c);
          }
        }
      }
    } else if (all_const && (any || strcmp(op, "Constant") == 0)) {
      int handled = 0;
      s = ox_const_eval(x, n, in, n->n_input, &handled);
      if (s == REPCONV_OK && !handled) {
        if (fn && in[0])
          s = eval_via_ir(x, fn, in, n->n_input);
        else
          s = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "op '%s' is not supported by repconv", op);
      }
    } else if (fn) {
      if (n->n_input < 1 || !in[0])
        s = ox_node_error(x, REPCONV_ERROR_FORMAT, "no data input");
      else
        s = fn(x, in, n->n_input);
    } else if (all_const) {
      s = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "op '%s' is not supported by repconv", op);
    } else {
      s = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                        "op '%s' is not supported by repconv (on computed tensors; constants only: Shape, Gather, "
                        "Slice, Cast, ...)",
                        op);
    }
  }
  if (in != small) free(in);
  return s;
}

static const Onnx__NodeProto* first_user(const Onnx__GraphProto* gp, const char* name) {
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto* n = gp->node[i];
    for (size_t k = 0; n && k < n->n_input; k++) {
      if (n->input[k] && strcmp(n->input[k], name) == 0) return n;
    }
  }
  return NULL;
}

static rc_status import_inputs(ox* x, const Onnx__GraphProto* gp) {
  int first = 1;
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto* vi = gp->input[i];
    if (!vi || !vi->name || !vi->name[0])
      return ox_node_error(x, REPCONV_ERROR_FORMAT, "graph input %zu has no name", i);
    ox_value* v = ox_find(x, vi->name);
    if (v) {
      if (v->kind == OX_INIT) continue; /* older exports list initializers as inputs */
      return ox_node_error(x, REPCONV_ERROR_FORMAT, "graph input '%s' is listed twice", vi->name);
    }
    const Onnx__TypeProto* tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "graph input '%s' is not a tensor", vi->name);
    }
    const Onnx__TypeProto__Tensor* tt = tp->tensor_type;
    int32_t et = tt->has_elem_type ? tt->elem_type : 0;
    if (et != OX_FLOAT) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "graph input '%s' has dtype %s (repconv computes float32)",
                           vi->name, ox_dtype_name(et));
    }
    rc_shape s;
    memset(&s, 0, sizeof(s));
    const rc_input_shape* over = NULL;
    for (size_t k = 0; k < x->n_shapes; k++) {
      if ((x->shapes[k].name && strcmp(x->shapes[k].name, vi->name) == 0) || (!x->shapes[k].name && first)) {
        over = &x->shapes[k];
      }
    }
    const Onnx__TensorShapeProto* sp = tt->shape;
    if (over) {
      s = over->shape;
      if (sp && sp->n_dim != (size_t)s.ndim) {
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "input '%s' has rank %zu, the given shape has rank %d", vi->name,
                             sp->n_dim, s.ndim);
      }
      for (size_t k = 0; sp && k < sp->n_dim; k++) {
        const Onnx__TensorShapeProto__Dimension* d = sp->dim[k];
        if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value != s.d[k]) {
          return ox_node_error(x, REPCONV_ERROR_SHAPE, "input '%s' dim %zu is %lld in the model, %lld given", vi->name,
                               k, (long long)d->dim_value, (long long)s.d[k]);
        }
      }
    } else {
      if (!sp) {
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "input '%s' has no shape; give one (--shape NxCxHxW)", vi->name);
      }
      if (sp->n_dim > RC_MAX_DIMS) {
        const Onnx__NodeProto* user = first_user(gp, vi->name);
        return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                             "input '%s' has rank %zu (at most 4), read by node '%s' (%s)", vi->name, sp->n_dim,
                             user && user->name ? user->name : "?", user && user->op_type ? user->op_type : "?");
      }
      s.ndim = (int32_t)sp->n_dim;
      for (size_t k = 0; k < sp->n_dim; k++) {
        const Onnx__TensorShapeProto__Dimension* d = sp->dim[k];
        if (!d || d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || d->dim_value < 1) {
          const char* p = d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param
                              ? d->dim_param
                              : "?";
          return ox_node_error(x, REPCONV_ERROR_SHAPE,
                               "input '%s' dim %zu is dynamic ('%s'); give a static shape (--shape NxCxHxW)", vi->name,
                               k, p);
        }
        s.d[k] = d->dim_value;
      }
    }
    int32_t id;
    rc_status st = rc_graph_add_input(x->g, vi->name, &s, &id);
    if (st != REPCONV_OK) return rc_error_context(st, "%s", x->what);
    RC_CHECK(define_tensor(x, vi->name, id));
    first = 0;
  }
  for (size_t k = 0; k < x->n_shapes; k++) {
    if (x->shapes[k].name && rc_graph_find_tensor(x->g, x->shapes[k].name) < 0) {
      return ox_node_error(x, REPCONV_ERROR_NOT_FOUND, "a shape was given for '%s', which is not a graph input",
                           x->shapes[k].name);
    }
  }
  if (x->g->n_inputs < 1) return ox_node_error(x, REPCONV_ERROR_FORMAT, "the graph has no inputs");
  return REPCONV_OK;
}

static rc_status import_outputs(ox* x, const Onnx__GraphProto* gp) {
  x->node = NULL;
  if (gp->n_output < 1) return ox_node_error(x, REPCONV_ERROR_FORMAT, "the graph has no outputs");
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto* vi = gp->output[i];
    if (!vi || !vi->name || !vi->name[0])
      return ox_node_error(x, REPCONV_ERROR_FORMAT, "graph output %zu has no name", i);
    ox_value* v = ox_find(x, vi->name);
    if (!v) return ox_node_error(x, REPCONV_ERROR_FORMAT, "graph output '%s' is not computed by any node", vi->name);
    RC_CHECK(settle(x, v));
    if (v->kind == OX_WIDE) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "graph output '%s' has rank %d (outputs have rank 1 to 4)",
                           vi->name, v->wide_ndim);
    }
    if (v->kind != OX_TENSOR) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "graph output '%s' is a constant", vi->name);
    }
    int32_t id = v->tensor;
    if (strcmp(x->g->tensors[id].name, vi->name) != 0) {
      /* An alias (Identity of another tensor): give the output its name. */
      int32_t out;
      char nm[RC_MAX_NAME + 16];
      snprintf(nm, sizeof(nm), "%s.identity", vi->name);
      rc_status s = rc_graph_add_node(x->g, RC_OP_IDENTITY, nm, &id, 1, NULL, vi->name, &out);
      if (s == REPCONV_OK) s = rc_graph_infer_node(x->g, x->g->n_nodes - 1);
      if (s != REPCONV_OK) return rc_error_context(s, "%s", x->what);
      id = out;
    }
    rc_status s = rc_graph_add_output(x->g, id);
    if (s != REPCONV_OK) return rc_error_context(s, "%s", x->what);
  }
  return REPCONV_OK;
}

/* ------------------------------------------------ nesting pre-scan
 *
 * protobuf-c unpacks a nested message by recursing, with no depth limit: a
 * TypeProto nested 5,000 deep (a 34 KB file) overflows the C stack. Before
 * unpacking, nesting_scan walks the wire format with an explicit stack,
 * descending only into the fields the generated descriptors declare as
 * messages (the ones protobuf-c recurses into; unknown fields it keeps as
 * bytes), and refuses files nested deeper than OX_MAX_NESTING. Each byte is
 * read once (scalars and strings are stepped over by their length), so the
 * scan is linear in the file size. Files repconv can import nest 7 deep
 * (Model, Graph, ValueInfo, Type, Tensor, TensorShape, Dimension), each
 * subgraph attribute adds 3; 64 leaves ample room and bounds protobuf-c's
 * recursion to a small stack. Wire data the scan cannot step over
 * (truncated, or a group, which protobuf-c does not decode either) is
 * refused here, naming its offset. */
#define OX_MAX_NESTING 64

/* A base-128 varint at *pos, before end; 0 if truncated or over 10 bytes. */
static int wire_varint(const uint8_t* p, size_t end, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int i = 0; i < 10 && *pos < end; i++) {
    uint8_t b = p[(*pos)++];
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

static rc_status wire_error(const char* what, size_t size, const char* problem, size_t at) {
  return rc_error(REPCONV_ERROR_FORMAT,
                  "%s: not a valid ONNX model (the protobuf does not decode: %s at byte offset %zu of %zu)", what,
                  problem, at, size);
}

static rc_status nesting_scan(const uint8_t* p, size_t size, const char* what) {
  struct {
    const ProtobufCMessageDescriptor* d;
    size_t end;
  } st[OX_MAX_NESTING];
  int depth = 1;
  st[0].d = &onnx__model_proto__descriptor;
  st[0].end = size;
  size_t pos = 0;
  while (depth > 0) {
    size_t end = st[depth - 1].end;
    if (pos == end) {
      depth--;
      continue;
    }
    size_t at = pos;
    uint64_t key, len;
    if (!wire_varint(p, end, &pos, &key)) return wire_error(what, size, "a truncated field key", at);
    switch (key & 7) {
      case 0: /* varint */
        if (!wire_varint(p, end, &pos, &len)) return wire_error(what, size, "a truncated varint", at);
        break;
      case 1: /* 64-bit */
      case 5: /* 32-bit */ {
        size_t n = (key & 7) == 1 ? 8 : 4;
        if (end - pos < n) return wire_error(what, size, "a truncated fixed-size field", at);
        pos += n;
        break;
      }
      case 2: { /* length-delimited: a message, string, bytes or packed array */
        if (!wire_varint(p, end, &pos, &len)) return wire_error(what, size, "a truncated length", at);
        if (len > end - pos) return wire_error(what, size, "a length past the end of its message", at);
        uint64_t id = key >> 3;
        const ProtobufCFieldDescriptor* f =
            id <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(st[depth - 1].d, (unsigned)id) : NULL;
        if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE) {
          pos += (size_t)len;
          break;
        }
        if (depth == OX_MAX_NESTING) {
          const ProtobufCMessageDescriptor* sub = f->descriptor;
          return rc_error(REPCONV_ERROR_FORMAT,
                          "%s: messages nested more than %d deep: %s (field '%s' of %s) at depth %d, byte offset "
                          "%zu; repconv refuses such files (its protobuf decoder recurses once per level)",
                          what, OX_MAX_NESTING, sub->name, f->name, st[depth - 1].d->name, depth + 1, at);
        }
        st[depth].d = f->descriptor;
        st[depth].end = pos + (size_t)len;
        depth++;
        break;
      }
      default: return wire_error(what, size, "a group or an invalid wire type", at);
    }
  }
  return REPCONV_OK;
}

rc_status rc_onnx_load_memory(const void* data, size_t size, const char* what, const rc_input_shape* shapes,
                              size_t n_shapes, rc_graph* g) {
  if (!data && size) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: NULL data", what);
  RC_CHECK(nesting_scan(data, size, what));
  Onnx__ModelProto* m = onnx__model_proto__unpack(NULL, size, data);
  if (!m) {
    return rc_error(REPCONV_ERROR_FORMAT,
                    "%s: not a valid ONNX model (the protobuf does not decode: truncated or "
                    "corrupted, %zu bytes)",
                    what, size);
  }
  ox x;
  memset(&x, 0, sizeof(x));
  x.what = what;
  x.g = g;
  x.gen = x.last_gen = 1;
  x.limits = &g->limits;
  x.macs = (rc_budget){.limits = &g->limits, .which = REPCONV_LIMIT_LOAD_MACS};
  x.shapes = shapes;
  x.n_shapes = n_shapes;
  x.opset = -1;
  rc_status s = REPCONV_OK;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto* o = m->opset_import[i];
    if (o && (!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0) && o->has_version) x.opset = o->version;
  }
  const Onnx__GraphProto* gp = m->graph;
  x.gp = gp;
  if (!gp) {
    s = rc_error(REPCONV_ERROR_FORMAT, "%s: the model has no graph", what);
  } else if (x.opset < OX_MIN_OPSET || x.opset > OX_MAX_OPSET) {
    s = rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: opset %lld (repconv reads opsets %d to %d)", what, (long long)x.opset,
                 OX_MIN_OPSET, OX_MAX_OPSET);
  }
  for (size_t i = 0; s == REPCONV_OK && i < gp->n_initializer; i++) {
    const Onnx__TensorProto* t = gp->initializer[i];
    ox_value* v;
    if (!t || !t->name) {
      s = rc_error(REPCONV_ERROR_FORMAT, "%s: initializer %zu has no name", what, i);
      break;
    }
    s = ox_define(&x, t->name, &v);
    if (s == REPCONV_OK) {
      v->kind = OX_INIT;
      v->init = t;
    }
  }
  if (s == REPCONV_OK && gp->n_sparse_initializer) {
    s = rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: sparse initializers", what);
  }
  if (s == REPCONV_OK) s = import_inputs(&x, gp);
  for (size_t i = 0; s == REPCONV_OK && i < gp->n_node; i++) {
    if (!gp->node[i]) {
      s = rc_error(REPCONV_ERROR_FORMAT, "%s: node %zu is empty", what, i);
      break;
    }
    s = import_node(&x, gp->node[i], i);
  }
  if (s == REPCONV_OK) s = import_outputs(&x, gp);
  for (size_t i = 0; i < x.nv; i++) {
    ox_const_free(&x.v[i].c);
    ring_free(x.v[i].ring);
  }
  free(x.v);
  free(x.slots);
  onnx__model_proto__free_unpacked(m, NULL);
  return s;
}

rc_status rc_onnx_load_file(const char* path, const rc_input_shape* shapes, size_t n_shapes, rc_graph* g) {
  /* Read, not mapped: a file truncated while loading is then an error, not SIGBUS. */
  void* data = NULL;
  size_t size = 0;
  RC_CHECK(rc_file_read_all(path, "an ONNX model", sizeof(void*), &data, &size));
  rc_status s = rc_onnx_load_memory(data, size, path, shapes, n_shapes, g);
  free(data);
  return s;
}

#include "fold/fold.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"

#include "fold/affine.h"
#include "fold/matmap.h"

/* ST_MAP: a spatial affine map (affine.h); ST_MAT: a dense matrix map of a
 * whole small tensor (matmap.h), once a reshape has left the spatial form. */
typedef enum st_kind { ST_NONE = 0, ST_OPAQUE, ST_MAP, ST_MAT } st_kind;

/* What is known of one tensor of the input graph. */
typedef struct tstate {
  st_kind kind;
  int32_t id;  /* ST_OPAQUE: tensor in the output graph */
  int32_t src; /* ST_MAP/ST_MAT: the opaque input-graph tensor the map reads */
  rc_affine map;
  rc_matmap mat;
  int32_t* nodes; /* input-graph nodes folded into the map */
  int32_t n_nodes;
  int64_t flops, params;
  int exact;
  char note[320];
} tstate;

typedef struct ctx {
  const rc_graph* in;
  rc_graph* out;
  rc_fold_options opt;
  rc_fold_report* rep;
  uint64_t macs; /* multiply-adds spent composing kernels so far */
  tstate* st;
  int32_t* consumers;
  int32_t* const_id; /* input-graph constant → output-graph constant, or -1 */
} ctx;

/* TRY_BOUNDARY: a linear op whose inputs are maps of different tensors (a
 * residual from elsewhere): the region ends there, nothing inexact. */
typedef enum try_result { TRY_OK = 0, TRY_NOT_LINEAR, TRY_CUT, TRY_BOUNDARY } try_result;

static const rc_shape* shape(const ctx* c, int32_t t) { return &c->in->tensors[t].shape; }

/* A name not used in either graph. */
static const char* unique(ctx* c, const char* base, const char* suffix, char* buf, size_t size) {
  snprintf(buf, size, "%.200s%s", base, suffix);
  for (int k = 1; rc_graph_find_tensor(c->out, buf) >= 0 || rc_graph_find_tensor(c->in, buf) >= 0; k++) {
    snprintf(buf, size, "%.200s%s_%d", base, suffix, k);
  }
  return buf;
}

static rc_status const_of(ctx* c, int32_t t, int32_t* id) {
  if (c->const_id[t] < 0) {
    const rc_tensor* tt = &c->in->tensors[t];
    RC_CHECK(rc_graph_add_const(c->out, tt->name, &tt->shape, tt->data, &c->const_id[t]));
  }
  *id = c->const_id[t];
  return REPCONV_OK;
}

static void free_state(tstate* s) {
  rc_affine_free(&s->map);
  rc_matmap_free(&s->mat);
  free(s->nodes);
  s->nodes = NULL;
  s->n_nodes = 0;
}

/* ------------------------------------------------------------ report */

static rc_status add_region(ctx* c, const tstate* s, const char* output, int32_t nodes_after,
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

static rc_status get_opaque(ctx* c, int32_t t, int32_t* id);

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
      st = add_region(c, s, tt->name, 0, NULL, 0, 0);
    } else {
      rc_attrs at = rc_attrs_default();
      at.pad[0] = a->pt;
      at.pad[1] = a->pl;
      at.pad[2] = pb;
      at.pad[3] = pr;
      st = rc_graph_add_node(c->out, RC_OP_PAD, node_name, &src, 1, &at, tt->name, &out_id);
      if (st == REPCONV_OK) st = add_region(c, s, tt->name, 1, NULL, 0, 0);
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
      st = rc_graph_add_const(c->out, unique(c, tt->name, suffix[k], nm, sizeof(nm)), &cs, data[k], &in[1 + k]);
    }
    rc_attrs at = rc_attrs_default();
    at.eps = 0.0f;
    if (st == REPCONV_OK) st = rc_graph_add_node(c->out, RC_OP_BATCHNORM, node_name, in, 5, &at, tt->name, &out_id);
    if (st == REPCONV_OK) st = add_region(c, s, tt->name, 1, NULL, 2 * rc_shape_numel(&tt->shape), 4 * a->cout);
  } else if (copies > 1 && copies <= 4096) {
    int32_t* ins = malloc((size_t)copies * sizeof(int32_t));
    if (!ins) {
      free(scale);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
    }
    for (int32_t k = 0; k < copies; k++) ins[k] = src;
    st = rc_graph_add_node(c->out, RC_OP_CONCAT, node_name, ins, copies, NULL, tt->name, &out_id);
    free(ins);
    if (st == REPCONV_OK) st = add_region(c, s, tt->name, 1, NULL, 0, 0);
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
    st = rc_graph_add_const(c->out, unique(c, tt->name, ".folded_weight", nm, sizeof(nm)), &ws, d.weight, &in[1]);
    if (st == REPCONV_OK && d.bias) {
      st = rc_graph_add_const(c->out, unique(c, tt->name, ".folded_bias", nm, sizeof(nm)), &bs, d.bias, &in[2]);
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
      st = add_region(c, s, tt->name, 1, &d, flops, params);
    }
    free(d.weight);
    free(d.bias);
  }
  free(scale);
  if (st != REPCONV_OK) return st;
  free_state(s);
  s->kind = ST_OPAQUE;
  s->id = out_id;
  return REPCONV_OK;
}

static rc_status materialize_mat(ctx* c, int32_t t);

static rc_status get_opaque(ctx* c, int32_t t, int32_t* id) {
  if (c->st[t].kind == ST_MAP) RC_CHECK(materialize(c, t));
  if (c->st[t].kind == ST_MAT) RC_CHECK(materialize_mat(c, t));
  if (c->st[t].kind != ST_OPAQUE) {
    return rc_error(REPCONV_ERROR_INTERNAL, "fold: tensor '%s' is read before it is computed", c->in->tensors[t].name);
  }
  *id = c->st[t].id;
  return REPCONV_OK;
}

/* ------------------------------------------------------------ inputs */

typedef struct in_map {
  int32_t src; /* opaque source */
  const rc_affine* map;
  rc_affine own; /* identity of an opaque tensor */
  tstate* from;  /* the map's state when it is folded in */
} in_map;

/* The map of input t: its own map when it has one and this node is its only
 * reader, otherwise the identity of the (materialized) tensor. */
static rc_status input_map(ctx* c, int32_t t, int use_maps, in_map* m) {
  memset(m, 0, sizeof(*m));
  tstate* s = &c->st[t];
  if (use_maps && s->kind == ST_MAP && c->consumers[t] == 1) {
    m->src = s->src;
    m->map = &s->map;
    m->from = s;
    return REPCONV_OK;
  }
  int32_t id;
  RC_CHECK(get_opaque(c, t, &id));
  const rc_shape* sh = shape(c, t);
  RC_CHECK(rc_affine_identity(&m->own, (int32_t)sh->d[1], sh->d[2], sh->d[3]));
  m->src = t;
  m->map = &m->own;
  return REPCONV_OK;
}

static void release_inputs(in_map* m, int n) {
  for (int i = 0; i < n; i++) rc_affine_free(&m[i].own);
}

/* Per-channel values of a constant broadcast against [N, C, H, W]: 1 if the
 * constant varies at most along C. */
static int per_channel(const rc_tensor* k, int64_t channels, double* out) {
  const rc_shape* s = &k->shape;
  int64_t at_c = -1;
  for (int i = 0; i < s->ndim; i++) {
    int pos = 4 - s->ndim + i;
    if (s->d[i] == 1) continue;
    if (pos != 1 || s->d[i] != channels) return 0;
    at_c = i;
  }
  for (int64_t ch = 0; ch < channels; ch++) out[ch] = k->data[at_c >= 0 ? ch : 0];
  return 1;
}

/* BN as a per-channel scale and shift, in double as the reference kernel
 * computes it: scale = γ/√(var+eps), shift = β − μ·scale. vec holds 2·C. */
static void bn_affine(const rc_graph* g, const rc_node* n, int64_t C, double* vec) {
  const float* gm = g->tensors[n->inputs[1]].data;
  const float* bt = g->tensors[n->inputs[2]].data;
  const float* mu = g->tensors[n->inputs[3]].data;
  const float* vr = g->tensors[n->inputs[4]].data;
  for (int64_t ch = 0; ch < C; ch++) {
    vec[ch] = (double)gm[ch] / sqrt((double)vr[ch] + (double)n->a.eps);
    vec[C + ch] = (double)bt[ch] - (double)mu[ch] * vec[ch];
  }
}

/* ------------------------------------------------------------ linear ops */

/* Whether a map of cout × cin × kh × kw weights (in double) that takes macs
 * multiply-adds to compute stays within the limits; if not, why says which.
 * Counts identity maps as dense: an op after one may densify it. */
static int map_fits(ctx* c, int64_t cout, int64_t cin, int64_t kh, int64_t kw, uint64_t macs, char* why,
                    size_t why_size) {
  const rc_limits* l = c->opt.limits;
  const double bytes = (double)cout * (double)cin * (double)kh * (double)kw * sizeof(double);
  if (l && l->v[REPCONV_LIMIT_CONSTANT_BYTES] && bytes > (double)l->v[REPCONV_LIMIT_CONSTANT_BYTES]) {
    snprintf(why, why_size, "its %lldx%lldx%lldx%lld map would take %.0f bytes, over the limit 'constant-bytes'",
             (long long)cout, (long long)cin, (long long)kh, (long long)kw, bytes);
    return 0;
  }
  if (l && l->v[REPCONV_LIMIT_LOAD_MACS] && (double)c->macs + (double)macs > (double)l->v[REPCONV_LIMIT_LOAD_MACS]) {
    snprintf(why, why_size, "composing would take %llu more multiply-adds, over the limit 'load-macs'",
             (unsigned long long)macs);
    return 0;
  }
  c->macs += macs;
  return 1;
}

/* The map of node n's output from its inputs' maps. TRY_NOT_LINEAR: the op
 * is not a linear map of one tensor; TRY_CUT: it is, but not from these
 * maps (why says so). On TRY_OK *out holds the new map and *src its source;
 * m[] the inputs used. */
static try_result try_node(ctx* c, const rc_node* n, int use_maps, in_map* m, int* n_m, rc_affine* out, int32_t* src,
                           char* why, size_t why_size, rc_status* err) {
  const rc_graph* g = c->in;
  const rc_attrs* at = &n->a;
  *n_m = 0;
  *err = REPCONV_OK;
  if (shape(c, n->output)->ndim != 4) return TRY_NOT_LINEAR;
  const int64_t C = shape(c, n->output)->d[1];
  double* vec = NULL;
  try_result r = TRY_NOT_LINEAR;
#define INPUT(k)                                                                 \
  do {                                                                           \
    *err = input_map(c, n->inputs[k], use_maps, &m[*n_m]);                       \
    if (*err != REPCONV_OK) goto done;                                           \
    const rc_affine* in_ = m[(*n_m)++].map;                                      \
    if (!map_fits(c, in_->cout, in_->cin, in_->kh, in_->kw, 0, why, why_size)) { \
      r = TRY_CUT;                                                               \
      goto done;                                                                 \
    }                                                                            \
  } while (0)
  switch (n->op) {
    case RC_OP_CONV2D:
    case RC_OP_AVGPOOL: {
      int pool = n->op == RC_OP_AVGPOOL;
      if (pool) {
        /* Linear and shift-invariant only when every window divides by
         * kh·kw: padding counted, and no ceil_mode partial window. */
        int padded = at->pad[0] || at->pad[1] || at->pad[2] || at->pad[3];
        if (padded && !at->count_include_pad) {
          snprintf(why, why_size, "average pool with count_include_pad=0 divides border windows differently");
          return TRY_NOT_LINEAR;
        }
        const rc_shape* xs = shape(c, n->inputs[0]);
        const rc_shape* ys = shape(c, n->output);
        if ((xs->d[2] + at->pad[0] + at->pad[2] - at->kernel[0]) / at->stride[0] + 1 != ys->d[2] ||
            (xs->d[3] + at->pad[1] + at->pad[3] - at->kernel[1]) / at->stride[1] + 1 != ys->d[3]) {
          snprintf(why, why_size, "average pool whose ceil_mode adds partial windows");
          return TRY_NOT_LINEAR;
        }
      }
      INPUT(0);
      if (at->pad[0] || at->pad[1] || at->pad[2] || at->pad[3]) {
        if (!rc_affine_pad_exact(m[0].map, at->pad, NULL, why, why_size)) {
          r = TRY_CUT;
          goto done;
        }
      }
      int32_t k2h = at->kernel[0], k2w = at->kernel[1];
      const float* w2;
      const float* b2 = NULL;
      float* pool_w = NULL;
      double scale = 1.0;
      int32_t groups = at->groups, co = (int32_t)C;
      if (pool) {
        /* A depthwise conv of ones scaled by 1/(kh·kw) in double. */
        pool_w = malloc((size_t)C * k2h * k2w * sizeof(float));
        if (!pool_w) {
          *err = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
          goto done;
        }
        for (int64_t k = 0; k < C * k2h * k2w; k++) pool_w[k] = 1.0f;
        w2 = pool_w;
        scale = 1.0 / (double)(k2h * k2w);
        groups = (int32_t)C;
      } else {
        w2 = g->tensors[n->inputs[1]].data;
        if (n->n_inputs > 2 && n->inputs[2] >= 0) b2 = g->tensors[n->inputs[2]].data;
      }
      const int32_t one[2] = {1, 1};
      {
        /* rc_affine_conv's loops: per output channel and tap, a row of the input map per intermediate channel. */
        const rc_affine* a = m[0].map;
        const int64_t tg = a->cout / groups, d2h = pool ? 1 : at->dilation[0], d2w = pool ? 1 : at->dilation[1];
        const int64_t kh = (k2h - 1) * d2h * a->sh + a->kh, kw = (k2w - 1) * d2w * a->sw + a->kw;
        const double macs = (double)co * tg * k2h * k2w * (a->w_identity ? 1.0 : (double)a->kh * a->kw * a->cin);
        if (!map_fits(c, co, a->cin, kh, kw, macs > 1e19 ? UINT64_MAX : (uint64_t)macs, why, why_size)) {
          free(pool_w);
          r = TRY_CUT;
          goto done;
        }
      }
      *err = rc_affine_conv(m[0].map, co, w2, scale, b2, k2h, k2w, at->stride, pool ? one : at->dilation, at->pad,
                            groups, shape(c, n->output)->d[2], shape(c, n->output)->d[3], out);
      free(pool_w);
      if (*err != REPCONV_OK) goto done;
      *src = m[0].src;
      r = TRY_OK;
      break;
    }
    case RC_OP_BATCHNORM: {
      INPUT(0);
      vec = malloc((size_t)C * 2 * sizeof(double));
      if (!vec) {
        *err = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
        goto done;
      }
      bn_affine(g, n, C, vec);
      *err = rc_affine_copy(m[0].map, out);
      if (*err == REPCONV_OK) *err = rc_affine_scale_shift(out, vec, vec + C);
      if (*err != REPCONV_OK) goto done;
      *src = m[0].src;
      r = TRY_OK;
      break;
    }
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV: {
      const rc_tensor* a = &g->tensors[n->inputs[0]];
      const rc_tensor* b = &g->tensors[n->inputs[1]];
      int ka = a->kind == RC_TENSOR_CONST, kb = b->kind == RC_TENSOR_CONST;
      if (!ka && !kb) {
        if (n->op == RC_OP_MUL || n->op == RC_OP_DIV) return TRY_NOT_LINEAR;
        if (!rc_shape_equal(&a->shape, &b->shape)) return TRY_NOT_LINEAR; /* broadcasting two activations */
        INPUT(0);
        INPUT(1);
        if (m[0].src != m[1].src || !rc_affine_same_grid(m[0].map, m[1].map)) {
          r = TRY_BOUNDARY;
          goto done;
        }
        *err = rc_affine_add(m[0].map, m[1].map, n->op == RC_OP_SUB ? -1.0 : 1.0, out);
        if (*err != REPCONV_OK) goto done;
        *src = m[0].src;
        r = TRY_OK;
        break;
      }
      const rc_tensor* k = ka ? a : b;
      if (n->op == RC_OP_DIV && ka) return TRY_NOT_LINEAR; /* k / x */
      if (!ka && rc_shape_numel(&a->shape) != rc_shape_numel(shape(c, n->output))) return TRY_NOT_LINEAR;
      if (!kb && rc_shape_numel(&b->shape) != rc_shape_numel(shape(c, n->output))) return TRY_NOT_LINEAR;
      vec = malloc((size_t)C * 2 * sizeof(double));
      if (!vec) {
        *err = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
        goto done;
      }
      if (!per_channel(k, C, vec)) {
        snprintf(why, why_size, "constant '%s' varies across space", k->name);
        r = TRY_NOT_LINEAR;
        goto done;
      }
      double* scale = NULL;
      double* shift = NULL;
      double* other = vec + C;
      switch (n->op) {
        case RC_OP_ADD: shift = vec; break;
        case RC_OP_SUB:
          if (kb) {
            for (int64_t ch = 0; ch < C; ch++) vec[ch] = -vec[ch];
            shift = vec;
          } else { /* k − x */
            for (int64_t ch = 0; ch < C; ch++) other[ch] = -1.0;
            scale = other;
            shift = vec;
          }
          break;
        case RC_OP_MUL: scale = vec; break;
        default: /* DIV, x / k */
          for (int64_t ch = 0; ch < C; ch++) vec[ch] = 1.0 / vec[ch];
          scale = vec;
          break;
      }
      INPUT(ka ? 1 : 0);
      *err = rc_affine_copy(m[0].map, out);
      if (*err == REPCONV_OK) *err = rc_affine_scale_shift(out, scale, shift);
      if (*err != REPCONV_OK) goto done;
      *src = m[0].src;
      r = TRY_OK;
      break;
    }
    case RC_OP_CONCAT: {
      if (n->n_inputs > 64) return TRY_NOT_LINEAR;
      const rc_affine* parts[64];
      for (int32_t k = 0; k < n->n_inputs; k++) {
        if (shape(c, n->inputs[k])->ndim != 4) return TRY_NOT_LINEAR;
      }
      for (int32_t k = 0; k < n->n_inputs; k++) {
        INPUT(k);
        parts[k] = m[k].map;
        if (m[k].src != m[0].src || !rc_affine_same_grid(m[k].map, m[0].map)) {
          r = TRY_BOUNDARY;
          goto done;
        }
      }
      *err = rc_affine_concat(parts, n->n_inputs, out);
      if (*err != REPCONV_OK) goto done;
      *src = m[0].src;
      r = TRY_OK;
      break;
    }
    case RC_OP_PAD: {
      INPUT(0);
      const float* values = n->n_inputs > 1 && n->inputs[1] >= 0 ? g->tensors[n->inputs[1]].data : NULL;
      if (!rc_affine_pad_exact(m[0].map, at->pad, values, why, why_size)) {
        r = TRY_CUT;
        goto done;
      }
      *err = rc_affine_copy(m[0].map, out);
      if (*err == REPCONV_OK) *err = rc_affine_densify(out);
      if (*err != REPCONV_OK) goto done;
      rc_affine_pad(out, at->pad);
      *src = m[0].src;
      r = TRY_OK;
      break;
    }
    case RC_OP_IDENTITY:
      INPUT(0);
      *err = rc_affine_copy(m[0].map, out);
      if (*err != REPCONV_OK) goto done;
      *src = m[0].src;
      r = TRY_OK;
      break;
    default: return TRY_NOT_LINEAR;
  }
#undef INPUT
  /* The region must stay one conv the planner can run. */
  int32_t pb, pr;
  if (out->kh > c->opt.max_kernel || out->kw > c->opt.max_kernel) {
    snprintf(why, why_size, "the folded kernel would be %dx%d, past the cap of %d", out->kh, out->kw,
             c->opt.max_kernel);
    rc_affine_free(out);
    r = TRY_CUT;
  } else if (rc_affine_bottom_right(out, &pb, &pr) != 0) {
    snprintf(why, why_size, "no zero padding gives the folded conv this output size");
    rc_affine_free(out);
    r = TRY_CUT;
  }
done:
  free(vec);
  if (r != TRY_OK) {
    release_inputs(m, *n_m);
    *n_m = 0;
  }
  return r;
}

/* --------------------------------------------------------------- pass */

static rc_status keep_node(ctx* c, const rc_node* n) {
  int32_t small[8] = {0};
  int32_t* ins = n->n_inputs <= 8 ? small : malloc((size_t)n->n_inputs * sizeof(int32_t));
  if (!ins) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
  rc_status s = REPCONV_OK;
  for (int32_t k = 0; k < n->n_inputs && s == REPCONV_OK; k++) {
    int32_t t = n->inputs[k];
    if (t < 0)
      ins[k] = -1;
    else if (c->in->tensors[t].kind == RC_TENSOR_CONST)
      s = const_of(c, t, &ins[k]);
    else
      s = get_opaque(c, t, &ins[k]);
  }
  int32_t id;
  if (s == REPCONV_OK) {
    s = rc_graph_add_node(c->out, n->op, n->name, ins, n->n_inputs, &n->a, c->in->tensors[n->output].name, &id);
  }
  if (ins != small) free(ins);
  RC_CHECK(s);
  c->st[n->output].kind = ST_OPAQUE;
  c->st[n->output].id = id;
  return REPCONV_OK;
}

/* Records the new map of node ni's output, folding in the inputs' states. */
/* Bookkeeping of a new map state from the states it absorbs. */
static rc_status record(ctx* c, int32_t ni, tstate** from, int n_from, int32_t src) {
  const rc_node* n = &c->in->nodes[ni];
  tstate* s = &c->st[n->output];
  int32_t total = 1;
  for (int k = 0; k < n_from; k++) total += from[k] ? from[k]->n_nodes : 0;
  s->nodes = malloc((size_t)total * sizeof(int32_t));
  if (!s->nodes) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
  s->src = src;
  s->exact = 1;
  s->flops = rc_node_flops(c->in, n);
  s->params = rc_node_params(c->in, n);
  s->note[0] = '\0';
  for (int k = 0; k < n_from; k++) {
    tstate* f = from[k];
    if (!f) continue;
    memcpy(s->nodes + s->n_nodes, f->nodes, (size_t)f->n_nodes * sizeof(int32_t));
    s->n_nodes += f->n_nodes;
    s->flops = rc_sat_add_i64(s->flops, f->flops);
    s->params += f->params;
    s->exact &= f->exact;
    if (!s->note[0] && f->note[0]) snprintf(s->note, sizeof(s->note), "%s", f->note);
    free_state(f);
    f->kind = ST_NONE;
  }
  s->nodes[s->n_nodes++] = ni;
  return REPCONV_OK;
}

static rc_status take_map(ctx* c, int32_t ni, in_map* m, int n_m, rc_affine* map, int32_t src) {
  tstate* from[64];
  for (int k = 0; k < n_m; k++) from[k] = m[k].from;
  RC_CHECK(record(c, ni, from, n_m, src));
  tstate* s = &c->st[c->in->nodes[ni].output];
  s->kind = ST_MAP;
  s->map = *map;
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
    if (st == REPCONV_OK) st = reshape_to(c, node, src, &in_s, unique(c, tt->name, ".fc_in", nm, sizeof(nm)), &mid);
    emitted += st == REPCONV_OK && mid != src;
    int32_t ins[3] = {mid, -1, -1};
    rc_shape ws = {g > 1 ? 4 : 2, {a->rows, cg, 1, 1}}, bs = {1, {a->rows}};
    if (st == REPCONV_OK)
      st = rc_graph_add_const(c->out, unique(c, tt->name, ".folded_weight", nm, sizeof(nm)), &ws, w, &ins[1]);
    if (st == REPCONV_OK && any_bias)
      st = rc_graph_add_const(c->out, unique(c, tt->name, ".folded_bias", nm, sizeof(nm)), &bs, b, &ins[2]);
    const int direct = rc_shape_equal(&out_s, &tt->shape);
    const char* yname = direct ? tt->name : unique(c, tt->name, ".fc_out", nm2, sizeof(nm2));
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
  if (st == REPCONV_OK) st = add_region(c, s, tt->name, emitted, NULL, flops, params);
  if (st != REPCONV_OK) return st;
  free_state(s);
  s->kind = ST_OPAQUE;
  s->id = out_id;
  return REPCONV_OK;
}

static int64_t per_item(const rc_shape* s) { return s->d[0] ? rc_shape_numel(s) / s->d[0] : 0; }

/* The matrix map of input t (its own, a spatial map expanded, or the
 * identity of the computed tensor); 0 when t is too large for one. */
typedef struct in_mat {
  int32_t src;
  const rc_matmap* mat;
  rc_matmap own;
  tstate* from;
} in_mat;

/* A spatial map is expanded into a matrix only where it joins one (RepMLP's
 * conv branches added to its FC): expanding a conv on its own would turn it
 * into a much larger FC. */
static int input_mat(ctx* c, int32_t t, int use_maps, int expand_maps, in_mat* m, rc_status* err) {
  memset(m, 0, sizeof(*m));
  *err = REPCONV_OK;
  tstate* s = &c->st[t];
  const rc_shape* sh = shape(c, t);
  if (per_item(sh) > RC_MATMAP_MAX_SIDE) return 0;
  if (use_maps && c->consumers[t] == 1 && s->kind == ST_MAT) {
    m->src = s->src;
    m->mat = &s->mat;
    m->from = s;
    return 1;
  }
  if (expand_maps && use_maps && c->consumers[t] == 1 && s->kind == ST_MAP) {
    if (s->map.cin * s->map.in_h * s->map.in_w > RC_MATMAP_MAX_SIDE) return 0;
    *err = rc_matmap_from_affine(&s->map, &m->own);
    if (*err != REPCONV_OK) return 0;
    m->src = s->src;
    m->mat = &m->own;
    m->from = s;
    return 1;
  }
  int32_t id;
  *err = get_opaque(c, t, &id);
  if (*err == REPCONV_OK) *err = rc_matmap_identity(&m->own, per_item(sh));
  if (*err != REPCONV_OK) return 0;
  m->src = t;
  m->mat = &m->own;
  return 1;
}

/* Linear ops once a reshape has left the spatial form (flatten/reshape, FC,
 * and conv/BN/add/per-channel arithmetic on such a tensor). TRY_OK: the
 * output state is set. */
static try_result try_mat(ctx* c, int32_t ni, rc_status* err) {
  const rc_node* n = &c->in->nodes[ni];
  const rc_graph* g = c->in;
  *err = REPCONV_OK;
  int mat_in = 0;
  for (int32_t k = 0; k < n->n_inputs; k++) mat_in |= n->inputs[k] >= 0 && c->st[n->inputs[k]].kind == ST_MAT;
  const int entry = n->op == RC_OP_FLATTEN || n->op == RC_OP_RESHAPE || n->op == RC_OP_GEMM;
  if (!entry && !mat_in) return TRY_NOT_LINEAR;
  const rc_shape* ys = shape(c, n->output);
  if (per_item(ys) > RC_MATMAP_MAX_SIDE) return TRY_NOT_LINEAR;
  in_mat m[2];
  memset(m, 0, sizeof(m));
  int n_m = 0;
  rc_matmap out;
  memset(&out, 0, sizeof(out));
  try_result r = TRY_NOT_LINEAR;
  double* vec = NULL;
  const rc_shape* xs = shape(c, n->inputs[0]);
  const int64_t C = ys->ndim >= 2 ? ys->d[1] : 1;
  switch (n->op) {
    case RC_OP_FLATTEN:
    case RC_OP_RESHAPE:
    case RC_OP_IDENTITY:
      if (ys->d[0] != xs->d[0]) break; /* the batch dim must stay first */
      if (!input_mat(c, n->inputs[0], 1, 0, &m[n_m++], err)) break;
      *err = rc_matmap_add(m[0].mat, m[0].mat, 0.0, &out);
      r = *err == REPCONV_OK ? TRY_OK : TRY_NOT_LINEAR;
      break;
    case RC_OP_GEMM: {
      if (!input_mat(c, n->inputs[0], 1, 0, &m[n_m++], err)) break;
      const float* bias = n->n_inputs > 2 && n->inputs[2] >= 0 ? g->tensors[n->inputs[2]].data : NULL;
      *err = rc_matmap_gemm(m[0].mat, g->tensors[n->inputs[1]].data, ys->d[1], bias, n->a.alpha, n->a.beta, &out);
      r = *err == REPCONV_OK ? TRY_OK : TRY_NOT_LINEAR;
      break;
    }
    case RC_OP_CONV2D: {
      /* Only the FC form (1x1 on a [N, F, 1, 1] tensor): a spatial conv
       * continues as a spatial map. */
      if (xs->d[2] != 1 || xs->d[3] != 1) break;
      if (!input_mat(c, n->inputs[0], 1, 0, &m[n_m++], err)) break;
      const float* bias = n->n_inputs > 2 && n->inputs[2] >= 0 ? g->tensors[n->inputs[2]].data : NULL;
      *err = rc_matmap_conv(m[0].mat, xs->d[1], xs->d[2], xs->d[3], ys->d[1], g->tensors[n->inputs[1]].data, bias,
                            n->a.kernel[0], n->a.kernel[1], n->a.stride, n->a.dilation, n->a.pad, n->a.groups, ys->d[2],
                            ys->d[3], &out);
      r = *err == REPCONV_OK ? TRY_OK : TRY_NOT_LINEAR;
      break;
    }
    case RC_OP_BATCHNORM: {
      if (!input_mat(c, n->inputs[0], 1, 0, &m[n_m++], err)) break;
      vec = malloc((size_t)C * 2 * sizeof(double));
      if (!vec) {
        *err = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
        break;
      }
      bn_affine(g, n, C, vec);
      *err = rc_matmap_add(m[0].mat, m[0].mat, 0.0, &out);
      if (*err == REPCONV_OK) {
        rc_matmap_scale_shift(&out, per_item(ys) / C, vec, vec + C);
        r = TRY_OK;
      }
      break;
    }
    case RC_OP_ADD:
    case RC_OP_SUB: {
      const rc_tensor* a = &g->tensors[n->inputs[0]];
      const rc_tensor* b = &g->tensors[n->inputs[1]];
      if (a->kind == RC_TENSOR_CONST || b->kind == RC_TENSOR_CONST || !rc_shape_equal(&a->shape, &b->shape)) break;
      if (!input_mat(c, n->inputs[0], 1, 1, &m[n_m++], err)) break;
      if (!input_mat(c, n->inputs[1], 1, 1, &m[n_m++], err)) break;
      if (m[0].src != m[1].src) {
        r = TRY_BOUNDARY;
        break;
      }
      *err = rc_matmap_add(m[0].mat, m[1].mat, n->op == RC_OP_SUB ? -1.0 : 1.0, &out);
      r = *err == REPCONV_OK ? TRY_OK : TRY_NOT_LINEAR;
      break;
    }
    default: break;
  }
  free(vec);
  if (r == TRY_OK) {
    tstate* from[2] = {m[0].from, n_m > 1 ? m[1].from : NULL};
    int32_t src = m[0].src;
    for (int k = 0; k < n_m; k++) rc_matmap_free(&m[k].own);
    *err = record(c, ni, from, n_m, src);
    if (*err != REPCONV_OK) {
      rc_matmap_free(&out);
      return TRY_NOT_LINEAR;
    }
    c->st[n->output].kind = ST_MAT;
    c->st[n->output].mat = out;
    return TRY_OK;
  }
  for (int k = 0; k < n_m; k++) rc_matmap_free(&m[k].own);
  rc_matmap_free(&out);
  return r;
}

/* BN-only folding: a conv starts a map from its (computed) input, and only
 * per-channel affine ops (BN, constant scale and shift) extend it. */
static int bn_only_allows(const ctx* c, const rc_node* n) {
  switch (n->op) {
    case RC_OP_CONV2D: return c->st[n->inputs[0]].kind == ST_OPAQUE;
    case RC_OP_BATCHNORM:
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV:
      for (int32_t k = 0; k < n->n_inputs; k++) {
        const int32_t t = n->inputs[k];
        if (c->in->tensors[t].kind == RC_TENSOR_CONST) continue;
        if (c->st[t].kind != ST_MAP || c->consumers[t] != 1) return 0;
      }
      return n->op == RC_OP_BATCHNORM || c->in->tensors[n->inputs[0]].kind == RC_TENSOR_CONST ||
             c->in->tensors[n->inputs[1]].kind == RC_TENSOR_CONST;
    default: return 0;
  }
}

static rc_status fold_node(ctx* c, int32_t ni) {
  const rc_node* n = &c->in->nodes[ni];
  if (c->opt.bn_only && !bn_only_allows(c, n)) return keep_node(c, n);
  rc_status merr;
  try_result mr = try_mat(c, ni, &merr);
  RC_CHECK(merr);
  if (mr == TRY_OK) return REPCONV_OK;
  if (mr == TRY_BOUNDARY) return keep_node(c, n);
  in_map m[64];
  int n_m = 0;
  rc_affine map;
  int32_t src = -1;
  char why[256] = "";
  rc_status err;
  try_result r = try_node(c, n, 1, m, &n_m, &map, &src, why, sizeof(why), &err);
  RC_CHECK(err);
  if (r == TRY_CUT || (r == TRY_NOT_LINEAR && why[0])) {
    /* Cut the region here: the inputs' maps become convs of their own, with
     * the reason, and (for a linear op) this node starts a new map from them;
     * a linear-looking op that is not shift-invariant is kept as it is. */
    for (int32_t k = 0; k < n->n_inputs && k < 64; k++) {
      int32_t t = n->inputs[k];
      if (t < 0 || c->st[t].kind != ST_MAP) continue;
      tstate* s = &c->st[t];
      s->exact = 0;
      snprintf(s->note, sizeof(s->note), "cut before '%s' (%s): %s", n->name, rc_op_name(n->op), why);
      int32_t id;
      RC_CHECK(get_opaque(c, t, &id));
    }
    if (r == TRY_CUT) {
      r = try_node(c, n, 0, m, &n_m, &map, &src, why, sizeof(why), &err);
      RC_CHECK(err);
      if (r == TRY_CUT) {
        /* Not even alone (its kernel is past the cap): kept, and said so. */
        tstate kept;
        memset(&kept, 0, sizeof(kept));
        kept.n_nodes = 1;
        kept.flops = rc_node_flops(c->in, n);
        kept.params = rc_node_params(c->in, n);
        snprintf(kept.note, sizeof(kept.note), "'%s' (%s) kept as it is: %s", n->name, rc_op_name(n->op), why);
        RC_CHECK(keep_node(c, n));
        return add_region(c, &kept, c->in->tensors[n->output].name, 1, NULL, kept.flops, kept.params);
      }
    }
  }
  if (r != TRY_OK) return keep_node(c, n);
  rc_status s = take_map(c, ni, m, n_m, &map, src);
  release_inputs(m, n_m);
  if (s != REPCONV_OK) rc_affine_free(&map);
  return s;
}

static int count_convs(const rc_graph* g) {
  int k = 0;
  for (int32_t i = 0; i < g->n_nodes; i++) k += g->nodes[i].op == RC_OP_CONV2D;
  return k;
}

rc_status rc_fold_graph(const rc_graph* in, const rc_fold_options* options, rc_graph* out, rc_fold_report* report) {
  ctx c;
  memset(&c, 0, sizeof(c));
  c.in = in;
  c.out = out;
  c.rep = report;
  c.opt.max_kernel = options && options->max_kernel > 0 ? options->max_kernel : RC_FOLD_DEFAULT_MAX_KERNEL;
  c.opt.bn_only = options && options->bn_only;
  c.opt.limits = options ? options->limits : NULL;
  if (report) memset(report, 0, sizeof(*report));
  rc_graph_init(out);
  out->limits = in->limits;
  size_t nt = (size_t)in->n_tensors + 1;
  c.st = calloc(nt, sizeof(tstate));
  c.consumers = calloc(nt, sizeof(int32_t));
  c.const_id = malloc(nt * sizeof(int32_t));
  int32_t* order = malloc(((size_t)in->n_nodes + 1) * sizeof(int32_t));
  rc_status s = REPCONV_OK;
  if (!c.st || !c.consumers || !c.const_id || !order) s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
  if (s == REPCONV_OK) s = rc_graph_topo_order(in, order);
  if (s == REPCONV_OK) {
    for (int32_t t = 0; t < in->n_tensors; t++) c.const_id[t] = -1;
    for (int32_t i = 0; i < in->n_nodes; i++) {
      for (int32_t k = 0; k < in->nodes[i].n_inputs; k++) {
        if (in->nodes[i].inputs[k] >= 0) c.consumers[in->nodes[i].inputs[k]]++;
      }
    }
    /* A graph output is one more reader that needs the tensor computed. */
    for (int32_t i = 0; i < in->n_outputs; i++) c.consumers[in->outputs[i]] += 2;
  }
  for (int32_t i = 0; s == REPCONV_OK && i < in->n_inputs; i++) {
    const rc_tensor* t = &in->tensors[in->inputs[i]];
    s = rc_graph_add_input(out, t->name, &t->shape, &c.st[in->inputs[i]].id);
    c.st[in->inputs[i]].kind = ST_OPAQUE;
  }
  for (int32_t i = 0; s == REPCONV_OK && i < in->n_nodes; i++) s = fold_node(&c, order[i]);
  for (int32_t i = 0; s == REPCONV_OK && i < in->n_outputs; i++) {
    int32_t t = in->outputs[i], id;
    s = get_opaque(&c, t, &id);
    if (s == REPCONV_OK && strcmp(out->tensors[id].name, in->tensors[t].name) != 0) {
      /* The output folded away into a copy of another tensor: keep its name. */
      char nm[RC_MAX_NAME + 16];
      snprintf(nm, sizeof(nm), "%s.identity", in->tensors[t].name);
      s = rc_graph_add_node(out, RC_OP_IDENTITY, nm, &id, 1, NULL, in->tensors[t].name, &id);
    }
    if (s == REPCONV_OK) s = rc_graph_add_output(out, id);
  }
  if (s == REPCONV_OK && report) {
    report->nodes_before = in->n_nodes;
    report->nodes_after = out->n_nodes;
    report->convs_before = count_convs(in);
    report->convs_after = count_convs(out);
    for (int32_t i = 0; i < in->n_nodes; i++) {
      report->flops_before = rc_sat_add_i64(report->flops_before, rc_node_flops(in, &in->nodes[i]));
      report->params_before += rc_node_params(in, &in->nodes[i]);
    }
  }
  for (size_t t = 0; c.st && t < nt; t++) free_state(&c.st[t]);
  free(c.st);
  free(c.consumers);
  free(c.const_id);
  free(order);
  if (s != REPCONV_OK) {
    if (report) rc_fold_report_free(report);
    rc_graph_free(out);
  }
  return s;
}

void rc_fold_report_free(rc_fold_report* r) {
  if (!r) return;
  for (int32_t i = 0; i < r->n_regions; i++) free(r->regions[i].output);
  free(r->regions);
  memset(r, 0, sizeof(*r));
}

/* Spatial maps: the affine map (affine.h) of a linear node's output from
 * its inputs' maps, or why the region must be cut there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold/fold_pass.h"

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
  RC_CHECK(rc_fold_get_opaque(c, t, &id));
  const rc_shape* sh = rc_fold_shape(c, t);
  RC_CHECK(rc_affine_identity(&m->own, (int32_t)sh->d[1], sh->d[2], sh->d[3]));
  m->src = t;
  m->map = &m->own;
  return REPCONV_OK;
}

void rc_fold_release_inputs(in_map* m, int n) {
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
void rc_fold_bn_affine(const rc_graph* g, const rc_node* n, int64_t C, double* vec) {
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

/* A bottom/right padding of a strided map: whether it reads only the
 * input's padding depends on the height/width modulo the stride. */
static int strided_pad(const rc_affine* a, const int32_t pad[4]) {
  return (a->sh > 1 && pad[2] > 0) || (a->sw > 1 && pad[3] > 0);
}

void rc_fold_size_note(ctx* c, const char* node, const char* why) {
  if (c->rep && !c->rep->size_note[0])
    snprintf(c->rep->size_note, sizeof(c->rep->size_note), "node '%s': %s", node, why);
}

/* The map of node n's output from its inputs' maps. TRY_NOT_LINEAR: the op
 * is not a linear map of one tensor; TRY_CUT: it is, but not from these
 * maps (why says so). On TRY_OK *out holds the new map and *src its source;
 * m[] the inputs used. */
try_result rc_fold_try_node(ctx* c, const rc_node* n, int use_maps, in_map* m, int* n_m, rc_affine* out, int32_t* src,
                            char* why, size_t why_size, rc_status* err) {
  const rc_graph* g = c->in;
  const rc_attrs* at = &n->a;
  *n_m = 0;
  *err = REPCONV_OK;
  if (rc_fold_shape(c, n->output)->ndim != 4) return TRY_NOT_LINEAR;
  const int64_t C = rc_fold_shape(c, n->output)->d[1];
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
        const rc_shape* xs = rc_fold_shape(c, n->inputs[0]);
        const rc_shape* ys = rc_fold_shape(c, n->output);
        if ((xs->d[2] + at->pad[0] + at->pad[2] - at->kernel[0]) / at->stride[0] + 1 != ys->d[2] ||
            (xs->d[3] + at->pad[1] + at->pad[3] - at->kernel[1]) / at->stride[1] + 1 != ys->d[3]) {
          snprintf(why, why_size, "average pool whose ceil_mode adds partial windows");
          return TRY_NOT_LINEAR;
        }
        if (at->ceil_mode)
          rc_fold_size_note(c, n->name, "an average pool with ceil_mode (partial windows at other sizes)");
      }
      INPUT(0);
      if (at->pad[0] || at->pad[1] || at->pad[2] || at->pad[3]) {
        if (!rc_affine_pad_exact(m[0].map, at->pad, NULL, why, why_size)) {
          r = TRY_CUT;
          goto done;
        }
        if (strided_pad(m[0].map, at->pad)) rc_fold_size_note(c, n->name, "padding a map of stride > 1");
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
                            groups, rc_fold_shape(c, n->output)->d[2], rc_fold_shape(c, n->output)->d[3], out);
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
      rc_fold_bn_affine(g, n, C, vec);
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
      /* The constant scales or shifts the activation's channels: the
       * activation must be the output's shape, not only its size (a [1,5]
       * activation + a [1,1,1,1] constant is a [1,1,1,5] of one channel). */
      if (!ka && !rc_shape_equal(&a->shape, rc_fold_shape(c, n->output))) return TRY_NOT_LINEAR;
      if (!kb && !rc_shape_equal(&b->shape, rc_fold_shape(c, n->output))) return TRY_NOT_LINEAR;
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
        if (rc_fold_shape(c, n->inputs[k])->ndim != 4) return TRY_NOT_LINEAR;
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
      if (strided_pad(m[0].map, at->pad)) rc_fold_size_note(c, n->name, "padding a map of stride > 1");
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
    rc_fold_release_inputs(m, *n_m);
    *n_m = 0;
  }
  return r;
}

/* Matrix maps (matmap.h): linear ops once a reshape has left the spatial
 * form (RepMLP's FC and the conv branches added to it). */
#include <stdlib.h>
#include <string.h>

#include "fold/fold_pass.h"

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
  const rc_shape* sh = rc_fold_shape(c, t);
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
  *err = rc_fold_get_opaque(c, t, &id);
  if (*err == REPCONV_OK) *err = rc_matmap_identity(&m->own, per_item(sh));
  if (*err != REPCONV_OK) return 0;
  m->src = t;
  m->mat = &m->own;
  return 1;
}

/* Linear ops once a reshape has left the spatial form (flatten/reshape, FC,
 * and conv/BN/add/per-channel arithmetic on such a tensor). TRY_OK: the
 * output state is set. */
try_result rc_fold_try_mat(ctx* c, int32_t ni, rc_status* err) {
  const rc_node* n = &c->in->nodes[ni];
  const rc_graph* g = c->in;
  *err = REPCONV_OK;
  int mat_in = 0;
  for (int32_t k = 0; k < n->n_inputs; k++) mat_in |= n->inputs[k] >= 0 && c->st[n->inputs[k]].kind == ST_MAT;
  const int entry = n->op == RC_OP_FLATTEN || n->op == RC_OP_RESHAPE || n->op == RC_OP_GEMM;
  if (!entry && !mat_in) return TRY_NOT_LINEAR;
  const rc_shape* ys = rc_fold_shape(c, n->output);
  if (per_item(ys) > RC_MATMAP_MAX_SIDE) return TRY_NOT_LINEAR;
  in_mat m[2];
  memset(m, 0, sizeof(m));
  int n_m = 0;
  rc_matmap out;
  memset(&out, 0, sizeof(out));
  try_result r = TRY_NOT_LINEAR;
  double* vec = NULL;
  const rc_shape* xs = rc_fold_shape(c, n->inputs[0]);
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
      rc_fold_bn_affine(g, n, C, vec);
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
    *err = rc_fold_record(c, ni, from, n_m, src);
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

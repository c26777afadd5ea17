/* Shape inference: the one place that checks node attributes and input
 * shapes against each other. Kernels trust what passes here. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/graph/graph.h"

#define RC_MAX_WINDOW 4096 /* kernel, stride, dilation, pad, scale, block bounds */

typedef struct ctx {
  const rc_graph* g;
  const rc_node* n;
} ctx;

static rc_status node_error(const ctx* c, rc_status code, const char* fmt, ...) RC_PRINTF(3, 4);
static rc_status node_error(const ctx* c, rc_status code, const char* fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return rc_error(code, "node '%s' (%s): %s", c->n->name, rc_op_name(c->n->op), msg);
}

static const rc_tensor* in(const ctx* c, int i) {
  if (i >= c->n->n_inputs || c->n->inputs[i] < 0) return NULL;
  return &c->g->tensors[c->n->inputs[i]];
}

static const char* sh(const rc_tensor* t, char* buf) { return rc_shape_str(&t->shape, buf, 96); }

/* Checks the input count and that inputs [0, n_act) are computed tensors and
 * the rest, when present, constants. */
static rc_status expect_inputs(const ctx* c, int min, int max, int n_act) {
  if (c->n->n_inputs < min || c->n->n_inputs > max) {
    return node_error(c, REPCONV_ERROR_SHAPE, "has %d inputs, expected %d to %d", c->n->n_inputs, min, max);
  }
  for (int i = 0; i < c->n->n_inputs; i++) {
    const rc_tensor* t = in(c, i);
    if (!t) {
      if (i < min) return node_error(c, REPCONV_ERROR_SHAPE, "input %d is missing", i);
      continue;
    }
    if (i < n_act && t->kind == RC_TENSOR_CONST) {
      return node_error(c, REPCONV_ERROR_UNSUPPORTED,
                        "input %d ('%s') is a constant; constant subgraphs must be evaluated before planning", i,
                        t->name);
    }
    if (i >= n_act && t->kind != RC_TENSOR_CONST) {
      return node_error(c, REPCONV_ERROR_UNSUPPORTED, "input %d ('%s') must be a constant (weights, slopes)", i,
                        t->name);
    }
  }
  return REPCONV_OK;
}

static rc_status expect_rank(const ctx* c, const rc_tensor* t, int rank) {
  char b[96];
  if (t->shape.ndim != rank) {
    return node_error(c, REPCONV_ERROR_SHAPE, "input '%s' has shape %s, expected rank %d", t->name, sh(t, b), rank);
  }
  return REPCONV_OK;
}

static rc_status expect_numel(const ctx* c, const rc_tensor* t, int64_t n, const char* what) {
  char b[96];
  if (t && rc_shape_numel(&t->shape) != n) {
    return node_error(c, REPCONV_ERROR_SHAPE, "%s '%s' has shape %s, expected %lld elements", what, t->name, sh(t, b),
                      (long long)n);
  }
  return REPCONV_OK;
}

static int bad_window(int32_t v, int32_t lo) { return v < lo || v > RC_MAX_WINDOW; }

static rc_status window_attrs(const ctx* c, const rc_attrs* a, int with_dilation) {
  if (bad_window(a->kernel[0], 1) || bad_window(a->kernel[1], 1)) {
    return node_error(c, REPCONV_ERROR_SHAPE, "kernel %dx%d out of range", a->kernel[0], a->kernel[1]);
  }
  if (bad_window(a->stride[0], 1) || bad_window(a->stride[1], 1)) {
    return node_error(c, REPCONV_ERROR_SHAPE, "stride %dx%d out of range", a->stride[0], a->stride[1]);
  }
  if (with_dilation ? (bad_window(a->dilation[0], 1) || bad_window(a->dilation[1], 1))
                    : (a->dilation[0] != 1 || a->dilation[1] != 1)) {
    return node_error(c, REPCONV_ERROR_UNSUPPORTED, "dilation %dx%d not supported here", a->dilation[0],
                      a->dilation[1]);
  }
  for (int i = 0; i < 4; i++) {
    if (bad_window(a->pad[i], 0)) {
      return node_error(c, REPCONV_ERROR_SHAPE, "padding (%d,%d,%d,%d) out of range", a->pad[0], a->pad[1], a->pad[2],
                        a->pad[3]);
    }
  }
  return REPCONV_OK;
}

/* Output extent of a sliding window; ceil_mode follows PyTorch (the last
 * window must start inside the input or its leading padding). */
static int64_t window_out(int64_t in, int32_t pad0, int32_t pad1, int32_t k, int32_t s, int32_t d, int ceil_mode) {
  int64_t span = in + pad0 + pad1 - (int64_t)d * (k - 1) - 1;
  if (span < 0) return 0;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + pad0) out--;
  return out;
}

/* Resize: attributes as graph.h lists them; the output extent is the sizes
 * given or floor(in · scale), in 1..RC_MAX_DIM_VALUE. */
static rc_status infer_resize(const ctx* c, rc_shape* out) {
  char b1[96];
  const rc_attrs* a = &c->n->a;
  const rc_tensor* x = in(c, 0);
  RC_CHECK(expect_rank(c, x, 4));
  if (a->mode != REPCONV_RESIZE_LINEAR && a->mode != REPCONV_RESIZE_CUBIC) {
    return node_error(c, REPCONV_ERROR_UNSUPPORTED, "interpolation mode %d (1 linear, 2 cubic)", a->mode);
  }
  if (a->axis < REPCONV_RESIZE_HALF_PIXEL || a->axis > REPCONV_RESIZE_ASYMMETRIC) {
    return node_error(c, REPCONV_ERROR_UNSUPPORTED, "coordinate transformation %d (0 to 3)", a->axis);
  }
  if (a->count_include_pad != 0 && a->count_include_pad != 1) {
    return node_error(c, REPCONV_ERROR_SHAPE, "exclude_outside %d (0 or 1)", a->count_include_pad);
  }
  if (a->mode == REPCONV_RESIZE_CUBIC && !isfinite(a->eps)) {
    return node_error(c, REPCONV_ERROR_SHAPE, "cubic coefficient %g", (double)a->eps);
  }
  int64_t ext[2];
  if (a->kernel[0] != 0 || a->kernel[1] != 0) {
    if (a->kernel[0] < 1 || a->kernel[1] < 1 || a->kernel[0] > RC_MAX_DIM_VALUE || a->kernel[1] > RC_MAX_DIM_VALUE) {
      return node_error(c, REPCONV_ERROR_SHAPE, "output size %dx%d out of range (1..%lld) for input %s", a->kernel[0],
                        a->kernel[1], (long long)RC_MAX_DIM_VALUE, sh(x, b1));
    }
    ext[0] = a->kernel[0];
    ext[1] = a->kernel[1];
  } else {
    const float sc[2] = {a->alpha, a->beta};
    for (int k = 0; k < 2; k++) {
      /* Checked in double before any conversion: NaN, ±inf, 0, negative and
       * huge scales are errors, not undefined casts. */
      const double e = isfinite(sc[k]) && sc[k] > 0 ? floor((double)x->shape.d[2 + k] * (double)sc[k]) : -1.0;
      if (!(e >= 1.0 && e <= (double)RC_MAX_DIM_VALUE)) {
        return node_error(c, REPCONV_ERROR_SHAPE, "scale %g along %s gives no output extent in 1..%lld for input %s",
                          (double)sc[k], k ? "W" : "H", (long long)RC_MAX_DIM_VALUE, sh(x, b1));
      }
      ext[k] = (int64_t)e;
    }
  }
  *out = (rc_shape){4, {x->shape.d[0], x->shape.d[1], ext[0], ext[1]}};
  return REPCONV_OK;
}

static rc_status infer_conv(const ctx* c, rc_shape* out) {
  char b1[96], b2[96];
  const rc_attrs* a = &c->n->a;
  RC_CHECK(expect_inputs(c, 2, 3, 1));
  const rc_tensor* x = in(c, 0);
  const rc_tensor* w = in(c, 1);
  RC_CHECK(expect_rank(c, x, 4));
  RC_CHECK(expect_rank(c, w, 4));
  RC_CHECK(window_attrs(c, a, 1));
  if (w->shape.d[2] != a->kernel[0] || w->shape.d[3] != a->kernel[1]) {
    return node_error(c, REPCONV_ERROR_SHAPE, "weight '%s' %s does not match kernel %dx%d", w->name, sh(w, b1),
                      a->kernel[0], a->kernel[1]);
  }
  int64_t cin = x->shape.d[1], cout = w->shape.d[0];
  if (a->groups < 1 || cin % a->groups != 0 || cout % a->groups != 0 || w->shape.d[1] * a->groups != cin) {
    return node_error(c, REPCONV_ERROR_SHAPE, "input %s, weight %s and groups %d do not agree", sh(x, b1), sh(w, b2),
                      a->groups);
  }
  RC_CHECK(expect_numel(c, in(c, 2), cout, "bias"));
  int64_t oh = window_out(x->shape.d[2], a->pad[0], a->pad[2], a->kernel[0], a->stride[0], a->dilation[0], 0);
  int64_t ow = window_out(x->shape.d[3], a->pad[1], a->pad[3], a->kernel[1], a->stride[1], a->dilation[1], 0);
  if (oh < 1 || ow < 1) {
    return node_error(c, REPCONV_ERROR_SHAPE, "input %s is smaller than the %dx%d kernel (dilation %dx%d)", sh(x, b1),
                      a->kernel[0], a->kernel[1], a->dilation[0], a->dilation[1]);
  }
  *out = (rc_shape){4, {x->shape.d[0], cout, oh, ow}};
  return REPCONV_OK;
}

static rc_status infer_pool(const ctx* c, rc_shape* out) {
  char b[96];
  const rc_attrs* a = &c->n->a;
  RC_CHECK(expect_inputs(c, 1, 1, 1));
  const rc_tensor* x = in(c, 0);
  RC_CHECK(expect_rank(c, x, 4));
  RC_CHECK(window_attrs(c, a, 0));
  int64_t oh = window_out(x->shape.d[2], a->pad[0], a->pad[2], a->kernel[0], a->stride[0], 1, a->ceil_mode);
  int64_t ow = window_out(x->shape.d[3], a->pad[1], a->pad[3], a->kernel[1], a->stride[1], 1, a->ceil_mode);
  if (oh < 1 || ow < 1) {
    return node_error(c, REPCONV_ERROR_SHAPE, "input %s is smaller than the %dx%d window", sh(x, b), a->kernel[0],
                      a->kernel[1]);
  }
  *out = (rc_shape){4, {x->shape.d[0], x->shape.d[1], oh, ow}};
  return REPCONV_OK;
}

static rc_status infer_binary(const ctx* c, rc_shape* out) {
  char b1[96], b2[96];
  if (c->n->n_inputs != 2 || !in(c, 0) || !in(c, 1)) {
    return node_error(c, REPCONV_ERROR_SHAPE, "needs exactly two inputs");
  }
  const rc_tensor* x = in(c, 0);
  const rc_tensor* y = in(c, 1);
  if (x->kind == RC_TENSOR_CONST && y->kind == RC_TENSOR_CONST) {
    return node_error(c, REPCONV_ERROR_UNSUPPORTED,
                      "both inputs are constants; constant subgraphs must be evaluated before planning");
  }
  int rank = x->shape.ndim > y->shape.ndim ? x->shape.ndim : y->shape.ndim;
  out->ndim = rank;
  for (int i = 0; i < rank; i++) {
    int ix = i - (rank - x->shape.ndim), iy = i - (rank - y->shape.ndim);
    int64_t dx = ix >= 0 ? x->shape.d[ix] : 1;
    int64_t dy = iy >= 0 ? y->shape.d[iy] : 1;
    if (dx != dy && dx != 1 && dy != 1) {
      return node_error(c, REPCONV_ERROR_SHAPE, "shapes %s and %s do not broadcast", sh(x, b1), sh(y, b2));
    }
    out->d[i] = dx > dy ? dx : dy;
  }
  if (rank == 0) return node_error(c, REPCONV_ERROR_UNSUPPORTED, "scalar result");
  return REPCONV_OK;
}

static rc_status infer_concat(const ctx* c, rc_shape* out) {
  char b1[96], b2[96];
  /* every input is required (no -1) */
  RC_CHECK(expect_inputs(c, c->n->n_inputs, c->n->n_inputs, c->n->n_inputs));
  const rc_tensor* x0 = in(c, 0);
  if (c->n->a.axis != 1) {
    return node_error(c, REPCONV_ERROR_UNSUPPORTED, "concat along axis %d (only channels, axis 1)", c->n->a.axis);
  }
  if (x0->shape.ndim < 2) return node_error(c, REPCONV_ERROR_SHAPE, "input '%s' has rank < 2", x0->name);
  *out = x0->shape;
  out->d[1] = 0;
  for (int i = 0; i < c->n->n_inputs; i++) {
    const rc_tensor* xi = in(c, i);
    int ok = xi->shape.ndim == x0->shape.ndim;
    for (int k = 0; ok && k < x0->shape.ndim; k++) ok = k == 1 || xi->shape.d[k] == x0->shape.d[k];
    if (!ok) {
      return node_error(c, REPCONV_ERROR_SHAPE, "input %d '%s' %s does not match input 0 '%s' %s", i, xi->name,
                        sh(xi, b1), x0->name, sh(x0, b2));
    }
    out->d[1] += xi->shape.d[1];
  }
  return REPCONV_OK;
}

static rc_status infer_reshape(const ctx* c, const rc_shape* xs, rc_shape* out) {
  const rc_attrs* a = &c->n->a;
  char b[96];
  if (a->reshape_ndim < 1 || a->reshape_ndim > RC_MAX_DIMS) {
    return node_error(c, REPCONV_ERROR_UNSUPPORTED, "target rank %d", a->reshape_ndim);
  }
  int infer = -1;
  int64_t known = 1;
  out->ndim = a->reshape_ndim;
  for (int i = 0; i < a->reshape_ndim; i++) {
    int64_t v = a->reshape[i];
    if (v == 0) {
      if (i >= xs->ndim) return node_error(c, REPCONV_ERROR_SHAPE, "dim %d copies a dim the input lacks", i);
      v = xs->d[i];
    } else if (v == -1) {
      if (infer >= 0) return node_error(c, REPCONV_ERROR_SHAPE, "more than one -1 in the target shape");
      infer = i;
      v = 1;
    } else if (v < 1 || v > RC_MAX_DIM_VALUE) {
      return node_error(c, REPCONV_ERROR_SHAPE, "target dim %d is %lld", i, (long long)v);
    }
    out->d[i] = v;
    /* each v <= 2^24, but four of them overflow: checked, so that a target
     * like {2^24, 2^24, 2^24, -1} cannot wrap the product to 0 */
    if (rc_mul_i64(known, v, &known) || known > RC_MAX_ELEMENTS) {
      return node_error(c, REPCONV_ERROR_SHAPE, "target shape of %d dims has more than %lld elements at dim %d",
                        a->reshape_ndim, (long long)RC_MAX_ELEMENTS, i);
    }
  }
  int64_t total = rc_shape_numel(xs); /* input shapes are checked (rc_graph_infer_shapes, the builder) */
  if (infer >= 0) {
    if (total % known != 0) {
      return node_error(c, REPCONV_ERROR_SHAPE, "cannot reshape %s: %lld elements", rc_shape_str(xs, b, 96),
                        (long long)total);
    }
    out->d[infer] = total / known;
  } else if (known != total) {
    return node_error(c, REPCONV_ERROR_SHAPE, "cannot reshape %s (%lld elements) to %lld elements",
                      rc_shape_str(xs, b, 96), (long long)total, (long long)known);
  }
  return REPCONV_OK;
}

static rc_status infer_node(const ctx* c, rc_shape* out) {
  const rc_node* n = c->n;
  const rc_attrs* a = &n->a;
  char b1[96];
  switch (n->op) {
    case RC_OP_CONV2D: return infer_conv(c, out);
    case RC_OP_BATCHNORM: {
      RC_CHECK(expect_inputs(c, 5, 5, 1));
      const rc_tensor* x = in(c, 0);
      if (x->shape.ndim < 2) return node_error(c, REPCONV_ERROR_SHAPE, "input rank %d < 2", x->shape.ndim);
      static const char* const names[] = {"", "gamma", "beta", "mean", "var"};
      for (int i = 1; i < 5; i++) RC_CHECK(expect_numel(c, in(c, i), x->shape.d[1], names[i]));
      if (!(a->eps >= 0.0f) || !isfinite(a->eps)) return node_error(c, REPCONV_ERROR_SHAPE, "eps %g", a->eps);
      *out = x->shape;
      return REPCONV_OK;
    }
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV: return infer_binary(c, out);
    case RC_OP_CONCAT: return infer_concat(c, out);
    case RC_OP_PAD: {
      RC_CHECK(expect_inputs(c, 1, 2, 1));
      const rc_tensor* x = in(c, 0);
      RC_CHECK(expect_rank(c, x, 4));
      for (int i = 0; i < 4; i++) {
        if (bad_window(a->pad[i], 0)) {
          return node_error(c, REPCONV_ERROR_UNSUPPORTED, "pads (%d,%d,%d,%d): each must be in [0, %d]", a->pad[0],
                            a->pad[1], a->pad[2], a->pad[3], RC_MAX_WINDOW);
        }
      }
      RC_CHECK(expect_numel(c, in(c, 1), x->shape.d[1], "pad values"));
      *out = (rc_shape){
          4,
          {x->shape.d[0], x->shape.d[1], x->shape.d[2] + a->pad[0] + a->pad[2], x->shape.d[3] + a->pad[1] + a->pad[3]}};
      return REPCONV_OK;
    }
    case RC_OP_AVGPOOL:
    case RC_OP_MAXPOOL: return infer_pool(c, out);
    case RC_OP_GLOBAL_AVGPOOL: {
      RC_CHECK(expect_inputs(c, 1, 1, 1));
      const rc_tensor* x = in(c, 0);
      RC_CHECK(expect_rank(c, x, 4));
      *out = (rc_shape){4, {x->shape.d[0], x->shape.d[1], 1, 1}};
      return REPCONV_OK;
    }
    case RC_OP_GEMM: {
      char b2[96];
      RC_CHECK(expect_inputs(c, 2, 3, 1));
      const rc_tensor* x = in(c, 0);
      const rc_tensor* w = in(c, 1);
      RC_CHECK(expect_rank(c, x, 2));
      RC_CHECK(expect_rank(c, w, 2));
      if (w->shape.d[1] != x->shape.d[1]) {
        return node_error(c, REPCONV_ERROR_SHAPE, "input %s and weight %s [out, in] do not agree", sh(x, b1),
                          sh(w, b2));
      }
      RC_CHECK(expect_numel(c, in(c, 2), w->shape.d[0], "bias"));
      if (!isfinite(a->alpha) || !isfinite(a->beta)) {
        return node_error(c, REPCONV_ERROR_SHAPE, "alpha %g / beta %g", a->alpha, a->beta);
      }
      *out = (rc_shape){2, {x->shape.d[0], w->shape.d[0]}};
      return REPCONV_OK;
    }
    case RC_OP_FLATTEN: {
      RC_CHECK(expect_inputs(c, 1, 1, 1));
      const rc_tensor* x = in(c, 0);
      int axis = a->axis < 0 ? a->axis + x->shape.ndim : a->axis;
      if (axis < 0 || axis > x->shape.ndim) {
        return node_error(c, REPCONV_ERROR_SHAPE, "axis %d for input %s", a->axis, sh(x, b1));
      }
      int64_t lo = 1, hi = 1;
      for (int i = 0; i < x->shape.ndim; i++) {
        if (i < axis)
          lo *= x->shape.d[i];
        else
          hi *= x->shape.d[i];
      }
      *out = (rc_shape){2, {lo, hi}};
      return REPCONV_OK;
    }
    case RC_OP_RESHAPE: RC_CHECK(expect_inputs(c, 1, 1, 1)); return infer_reshape(c, &in(c, 0)->shape, out);
    case RC_OP_PRELU: {
      RC_CHECK(expect_inputs(c, 2, 2, 1));
      const rc_tensor* x = in(c, 0);
      int64_t ch = x->shape.ndim >= 2 ? x->shape.d[1] : 1;
      int64_t ns = rc_shape_numel(&in(c, 1)->shape);
      if (ns != 1 && ns != ch) {
        return node_error(c, REPCONV_ERROR_SHAPE, "%lld slopes for input %s (1 or one per channel)", (long long)ns,
                          sh(x, b1));
      }
      *out = x->shape;
      return REPCONV_OK;
    }
    case RC_OP_CLIP:
      if (isnan(a->min) || isnan(a->max)) return node_error(c, REPCONV_ERROR_SHAPE, "NaN bound");
      /* fall through */
    case RC_OP_HARD_SIGMOID:
      if (n->op == RC_OP_HARD_SIGMOID && (!isfinite(a->alpha) || !isfinite(a->beta)))
        return node_error(c, REPCONV_ERROR_SHAPE, "alpha %g / beta %g", (double)a->alpha, (double)a->beta);
      /* fall through */
    case RC_OP_RELU:
    case RC_OP_LEAKY_RELU:
    case RC_OP_SIGMOID:
    case RC_OP_IDENTITY:
      RC_CHECK(expect_inputs(c, 1, 1, 1));
      *out = in(c, 0)->shape;
      return REPCONV_OK;
    case RC_OP_DEPTH_TO_SPACE: {
      RC_CHECK(expect_inputs(c, 1, 1, 1));
      const rc_tensor* x = in(c, 0);
      RC_CHECK(expect_rank(c, x, 4));
      int64_t r = a->block;
      if (bad_window(a->block, 1) || (a->mode != 0 && a->mode != 1) || x->shape.d[1] % (r * r) != 0) {
        return node_error(c, REPCONV_ERROR_SHAPE, "block %d (mode %d) for input %s", a->block, a->mode, sh(x, b1));
      }
      *out = (rc_shape){4, {x->shape.d[0], x->shape.d[1] / (r * r), x->shape.d[2] * r, x->shape.d[3] * r}};
      return REPCONV_OK;
    }
    case RC_OP_UPSAMPLE_NEAREST: {
      RC_CHECK(expect_inputs(c, 1, 1, 1));
      const rc_tensor* x = in(c, 0);
      RC_CHECK(expect_rank(c, x, 4));
      if (bad_window(a->scale[0], 1) || bad_window(a->scale[1], 1)) {
        return node_error(c, REPCONV_ERROR_SHAPE, "scale %dx%d", a->scale[0], a->scale[1]);
      }
      *out = (rc_shape){4, {x->shape.d[0], x->shape.d[1], x->shape.d[2] * a->scale[0], x->shape.d[3] * a->scale[1]}};
      return REPCONV_OK;
    }
    case RC_OP_PATCH_PARTITION:
    case RC_OP_PATCH_MERGE: {
      RC_CHECK(expect_inputs(c, 1, 1, 1));
      const rc_tensor* x = in(c, 0);
      RC_CHECK(expect_rank(c, x, 4));
      const int64_t gh = a->scale[0], gw = a->scale[1];
      if (bad_window(a->scale[0], 1) || bad_window(a->scale[1], 1)) {
        return node_error(c, REPCONV_ERROR_SHAPE, "patch grid %dx%d out of range (input %s)", a->scale[0], a->scale[1],
                          sh(x, b1));
      }
      const int64_t* d = x->shape.d;
      if (n->op == RC_OP_PATCH_PARTITION) {
        if (d[2] % gh != 0 || d[3] % gw != 0) {
          return node_error(c, REPCONV_ERROR_SHAPE,
                            "input %s: H = %lld and W = %lld must be multiples of the %lldx%lld patch grid", sh(x, b1),
                            (long long)d[2], (long long)d[3], (long long)gh, (long long)gw);
        }
        *out = (rc_shape){4, {d[0] * gh * gw, d[1], d[2] / gh, d[3] / gw}};
      } else {
        if (d[0] % (gh * gw) != 0) {
          return node_error(c, REPCONV_ERROR_SHAPE,
                            "input %s: batch %lld is not a multiple of the %lldx%lld patch grid (%lld per image)",
                            sh(x, b1), (long long)d[0], (long long)gh, (long long)gw, (long long)(gh * gw));
        }
        *out = (rc_shape){4, {d[0] / (gh * gw), d[1], d[2] * gh, d[3] * gw}};
      }
      return REPCONV_OK;
    }
    case RC_OP_RESIZE: RC_CHECK(expect_inputs(c, 1, 1, 1)); return infer_resize(c, out);
    case RC_OP_COUNT: break;
  }
  return node_error(c, REPCONV_ERROR_UNSUPPORTED, "unknown op");
}

rc_status rc_graph_infer_node(rc_graph* g, int32_t node) {
  ctx c = {g, &g->nodes[node]};
  rc_shape out;
  memset(&out, 0, sizeof(out));
  RC_CHECK(infer_node(&c, &out));
  int64_t numel = 1;
  for (int k = 0; k < out.ndim; k++) {
    if (out.d[k] < 1 || out.d[k] > RC_MAX_DIM_VALUE || rc_mul_i64(numel, out.d[k], &numel) || numel > RC_MAX_ELEMENTS) {
      char b[96];
      return node_error(&c, REPCONV_ERROR_SHAPE, "output shape %s is out of range", rc_shape_str(&out, b, 96));
    }
  }
  g->tensors[c.n->output].shape = out;
  return REPCONV_OK;
}

/* The shape of a graph input: rank and dims in range and, overflow-checked,
 * at most RC_MAX_ELEMENTS elements. The loaders check this when they add
 * the input, but the options may replace it afterwards (each dim in range,
 * the product not). */
static rc_status check_input_shape(const rc_tensor* t) {
  char b[96];
  int64_t numel = 1;
  int ok = t->shape.ndim >= 0 && t->shape.ndim <= RC_MAX_DIMS;
  for (int k = 0; ok && k < t->shape.ndim; k++) {
    ok = t->shape.d[k] >= 1 && t->shape.d[k] <= RC_MAX_DIM_VALUE && !rc_mul_i64(numel, t->shape.d[k], &numel) &&
         numel <= RC_MAX_ELEMENTS;
  }
  if (!ok) {
    return rc_error(REPCONV_ERROR_SHAPE,
                    "graph input '%s': shape %s is out of range (dims 1..%lld, at most %lld elements)", t->name,
                    rc_shape_str(&t->shape, b, sizeof(b)), (long long)RC_MAX_DIM_VALUE, (long long)RC_MAX_ELEMENTS);
  }
  return REPCONV_OK;
}

rc_status rc_graph_infer_shapes(rc_graph* g) {
  if (g->n_inputs < 1) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "graph has no inputs");
  if (g->n_outputs < 1) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "graph has no outputs");
  for (int32_t i = 0; i < g->n_inputs; i++) RC_CHECK(check_input_shape(&g->tensors[g->inputs[i]]));
  for (int32_t i = 0; i < g->n_outputs; i++) {
    const rc_tensor* t = &g->tensors[g->outputs[i]];
    /* Nothing would write it: the caller would get whatever the arena held. */
    if (t->kind == RC_TENSOR_VALUE && t->producer < 0) {
      return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "graph output '%s' is not computed by any node", t->name);
    }
  }
  int32_t* order = malloc(((size_t)g->n_nodes + 1) * sizeof(int32_t));
  if (!order) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "graph: out of memory");
  rc_status s = rc_graph_topo_order(g, order);
  for (int32_t i = 0; s == REPCONV_OK && i < g->n_nodes; i++) s = rc_graph_infer_node(g, order[i]);
  free(order);
  return s;
}

static int64_t const_numel(const rc_graph* g, const rc_node* n, int from) {
  int64_t p = 0;
  for (int i = from; i < n->n_inputs; i++) {
    int32_t t = n->inputs[i];
    if (t >= 0 && g->tensors[t].kind == RC_TENSOR_CONST) p += rc_shape_numel(&g->tensors[t].shape);
  }
  return p;
}

int64_t rc_node_params(const rc_graph* g, const rc_node* n) { return const_numel(g, n, 0); }

/* a·b·c·d, saturating at INT64_MAX: a 2^34-element output times a large
 * reduction would overflow (only a count, so saturation is harmless). */
static int64_t sat_prod(int64_t a, int64_t b, int64_t c, int64_t d) {
  int64_t r;
  if (rc_mul_i64(a, b, &r) || rc_mul_i64(r, c, &r) || rc_mul_i64(r, d, &r)) return INT64_MAX;
  return r;
}

int64_t rc_node_flops(const rc_graph* g, const rc_node* n) {
  const rc_shape* o = &g->tensors[n->output].shape;
  int64_t out = rc_shape_numel(o);
  switch (n->op) {
    case RC_OP_CONV2D: {
      const rc_shape* w = &g->tensors[n->inputs[1]].shape;
      return sat_prod(2 * out, w->d[1], w->d[2], w->d[3]);
    }
    case RC_OP_GEMM: return sat_prod(2 * out, g->tensors[n->inputs[1]].shape.d[1], 1, 1);
    case RC_OP_AVGPOOL:
    case RC_OP_MAXPOOL: return sat_prod(out, n->a.kernel[0], n->a.kernel[1], 1);
    case RC_OP_GLOBAL_AVGPOOL: return rc_shape_numel(&g->tensors[n->inputs[0]].shape);
    case RC_OP_RESIZE: return sat_prod(out, n->a.mode == REPCONV_RESIZE_CUBIC ? 32 : 8, 1, 1); /* taps · 2 */
    case RC_OP_BATCHNORM: return 2 * out;
    case RC_OP_FLATTEN:
    case RC_OP_RESHAPE:
    case RC_OP_IDENTITY:
    case RC_OP_CONCAT:
    case RC_OP_PAD:
    case RC_OP_DEPTH_TO_SPACE:
    case RC_OP_UPSAMPLE_NEAREST:
    case RC_OP_PATCH_PARTITION:
    case RC_OP_PATCH_MERGE: return 0;
    default: return out;
  }
}

/* ONNX Resize (opsets 10-18) and Upsample (7-9): nearest with integer
 * factors (upsample_nearest), linear and cubic (resize); ReduceMean over H
 * and W (global average pooling). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_ops.h"
#include "runtime/onnx/onnx_tensor.h"

/* Scales (double) or sizes (int64) along the four dims of x, from the
 * attribute (Upsample-7) or the constant inputs. *sized says which. */
static rc_status resize_factors(ox* x, ox_value** in, size_t n_in, const rc_shape* xs, double scale[4], int64_t size[4],
                                int* sized) {
  *sized = 0;
  const Onnx__AttributeProto* sa = ox_attr(x->node, "scales");
  if (sa && sa->n_floats == 4) {
    for (int k = 0; k < 4; k++) scale[k] = sa->floats[k];
    return REPCONV_OK;
  }
  /* Opset 18's axes: the scales/sizes list only those dims (H and W here). */
  size_t n_axes = 0;
  const int64_t* axes = ox_attr_ints(x->node, "axes", &n_axes);
  int64_t ax[4] = {0, 1, 2, 3};
  size_t want = 4;
  if (axes) {
    if (n_axes != 2) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%zu axes (only H and W, 2 and 3)", n_axes);
    for (size_t k = 0; k < 2; k++) ax[k] = axes[k] < 0 ? axes[k] + 4 : axes[k];
    if (ax[0] != 2 || ax[1] != 3) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "axes (%lld, %lld) (only H and W, 2 and 3)",
                           (long long)axes[0], (long long)axes[1]);
    }
    want = 2;
  }
  for (int k = 0; k < 4; k++) scale[k] = 1.0, size[k] = xs->d[k];
  /* Resize-10 / Upsample-9: (X, scales); Resize-11+: (X, roi, scales, sizes). */
  size_t si = (x->opset >= 11 && strcmp(x->node->op_type, "Resize") == 0) ? 2 : 1;
  ox_value* sv = si < n_in ? in[si] : NULL;
  ox_value* zv = si == 2 && 3 < n_in ? in[3] : NULL;
  if (sv) RC_CHECK(ox_materialize(x, sv));
  if (zv) RC_CHECK(ox_materialize(x, zv));
  const size_t off = 4 - want;
  if (sv && sv->kind == OX_CONST && sv->c.numel == (int64_t)want) {
    for (size_t k = 0; k < want; k++) scale[off + k] = ox_const_get_d(&sv->c, (int64_t)k);
  } else if (zv && zv->kind == OX_CONST && zv->c.numel == (int64_t)want) {
    for (size_t k = 0; k < want; k++) size[off + k] = ox_const_get_i(&zv->c, (int64_t)k);
    *sized = 1;
  } else {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "scales or sizes must be constants of %zu values", want);
  }
  if (*sized) {
    char keep[32];
    ox_attr_string(x->node, "keep_aspect_ratio_policy", "stretch", keep, sizeof(keep));
    if (strcmp(keep, "stretch") != 0) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "keep_aspect_ratio_policy '%s' (only 'stretch')", keep);
    }
    for (int k = 0; k < 4; k++) scale[k] = (double)size[k] / (double)xs->d[k];
  }
  return REPCONV_OK;
}

/* Integer factors of nearest: upsample_nearest, as before linear and cubic. */
static rc_status resize_nearest(ox* x, int32_t xi, const double scale[4]) {
  char ctm[48], nm[32];
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
  rc_attrs a = rc_attrs_default();
  for (int k = 0; k < 2; k++) {
    double s = scale[2 + k];
    if (!(s >= 1 && s <= 4096) || s != floor(s)) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "scale %g (integer factors ≥ 1 only)", s);
    }
    a.scale[k] = (int32_t)s;
  }
  return ox_add_ir(x, RC_OP_UPSAMPLE_NEAREST, &xi, 1, &a, NULL, NULL);
}

static rc_status resize_coord(ox* x, int32_t* coord) {
  /* Resize-10 and Upsample compute asymmetric coordinates (o / scale). */
  const int legacy = strcmp(x->node->op_type, "Upsample") == 0 || x->opset < 11;
  char ctm[48];
  ox_attr_string(x->node, "coordinate_transformation_mode", legacy ? "asymmetric" : "half_pixel", ctm, sizeof(ctm));
  static const char* names[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
  static const int32_t codes[] = {REPCONV_RESIZE_HALF_PIXEL, REPCONV_RESIZE_PYTORCH_HALF_PIXEL,
                                  REPCONV_RESIZE_ALIGN_CORNERS, REPCONV_RESIZE_ASYMMETRIC};
  for (int k = 0; k < 4; k++) {
    if (strcmp(ctm, names[k]) == 0) {
      *coord = codes[k];
      return REPCONV_OK;
    }
  }
  return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                       "coordinate_transformation_mode '%s' (half_pixel, pytorch_half_pixel, align_corners or "
                       "asymmetric)",
                       ctm);
}

rc_status ox_op_resize(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = ox_shape_of(x, xi);
  char mode[32];
  ox_attr_string(x->node, "mode", "nearest", mode, sizeof(mode));
  const int linear = strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0; /* Upsample-7 wrote bilinear */
  const int cubic = strcmp(mode, "cubic") == 0;
  if (strcmp(mode, "nearest") != 0 && !linear && !cubic) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "mode '%s' (nearest, linear or cubic)", mode);
  }
  if (ox_attr_int(x->node, "antialias", 0) != 0) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "antialias=1 (only 0: no antialiasing filter)");
  }
  if (xs->ndim != 4) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "input of rank %d", xs->ndim);
  double scale[4] = {1, 1, 1, 1};
  int64_t size[4];
  int sized = 0;
  RC_CHECK(resize_factors(x, in, n_in, xs, scale, size, &sized));
  if (scale[0] != 1 || scale[1] != 1) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "resizing batch or channels");
  if (!linear && !cubic) return resize_nearest(x, xi, scale);
  rc_attrs a = rc_attrs_default();
  a.mode = linear ? REPCONV_RESIZE_LINEAR : REPCONV_RESIZE_CUBIC;
  RC_CHECK(resize_coord(x, &a.axis));
  a.eps = ox_attr_float(x->node, "cubic_coeff_a", -0.75f);
  const int64_t excl = ox_attr_int(x->node, "exclude_outside", 0);
  if (excl != 0 && excl != 1) return ox_node_error(x, REPCONV_ERROR_FORMAT, "exclude_outside %lld", (long long)excl);
  a.count_include_pad = (int32_t)excl;
  if (sized) {
    for (int k = 0; k < 2; k++) {
      if (size[2 + k] < 1 || size[2 + k] > RC_MAX_DIM_VALUE) {
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "output size %lld along %s (1..%lld)", (long long)size[2 + k],
                             k ? "W" : "H", (long long)RC_MAX_DIM_VALUE);
      }
      a.kernel[k] = (int32_t)size[2 + k];
    }
  } else {
    /* Scales stay float32, as ONNX stores them; shape inference refuses
     * NaN, infinite, non-positive and out-of-range ones. */
    a.alpha = (float)scale[2];
    a.beta = (float)scale[3];
  }
  return ox_add_ir(x, RC_OP_RESIZE, &xi, 1, &a, NULL, NULL);
}

/* ReduceMean over H and W is global average pooling ([N, C, 1, 1]); with
 * keepdims 0 a reshape to [N, C] follows. Other axes are refused. */
rc_status ox_op_reduce_mean(ox* x, ox_value** in, size_t n_in) {
  int32_t xi = -1;
  RC_CHECK(ox_tensor_of(x, in[0], "input", &xi));
  const rc_shape* xs = ox_shape_of(x, xi);
  int64_t axes[OX_MAX_RANK];
  size_t cnt = 0;
  const int64_t* aa = ox_attr_ints(x->node, "axes", &cnt);
  if (aa) {
    if (cnt > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%zu axes", cnt);
    for (size_t k = 0; k < cnt; k++) axes[k] = aa[k];
  } else if (n_in > 1 && in[1]) { /* opset 18: axes as an input */
    RC_CHECK(ox_materialize(x, in[1]));
    if (in[1]->kind != OX_CONST || in[1]->c.numel > OX_MAX_RANK) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "axes must be a short constant list");
    }
    cnt = (size_t)in[1]->c.numel;
    for (size_t k = 0; k < cnt; k++) axes[k] = ox_const_get_i(&in[1]->c, (int64_t)k);
  }
  char list[96] = "";
  size_t used = 0;
  int mark[OX_MAX_RANK] = {0};
  int ok = xs->ndim == 4 && cnt == 2;
  for (size_t k = 0; k < cnt; k++) {
    if (used < sizeof(list))
      used += (size_t)snprintf(list + used, sizeof(list) - used, k ? ", %lld" : "%lld", (long long)axes[k]);
    const int64_t a = axes[k] < 0 ? axes[k] + xs->ndim : axes[k];
    if (a < 0 || a >= xs->ndim || mark[a]++) ok = 0;
    if (a != 2 && a != 3) ok = 0;
  }
  if (!ok) {
    char b[96];
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                         "ReduceMean over axes (%s) of a %s input (only H and W of NCHW: axes (2, 3) or (-2, -1))",
                         cnt ? list : "all", rc_shape_str(xs, b, sizeof(b)));
  }
  if (ox_attr_int(x->node, "keepdims", 1) != 0) return ox_add_ir(x, RC_OP_GLOBAL_AVGPOOL, &xi, 1, NULL, NULL, NULL);
  int32_t pooled = -1;
  RC_CHECK(ox_add_ir(x, RC_OP_GLOBAL_AVGPOOL, &xi, 1, NULL, ".pooled", &pooled));
  rc_attrs a = rc_attrs_default();
  a.reshape_ndim = 2;
  a.reshape[0] = 0;
  a.reshape[1] = -1;
  return ox_add_ir(x, RC_OP_RESHAPE, &pooled, 1, &a, NULL, NULL);
}

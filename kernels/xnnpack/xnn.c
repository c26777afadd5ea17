/* XNNPACK delegate kernels: create + setup once, run many times. */
#include "kernels/xnnpack/xnn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every operator is created with XNN_FLAG_YIELD_WORKERS: xnn_run_operator
 * then passes PTHREADPOOL_FLAG_YIELD_WORKERS, so the pthreadpool's workers
 * sleep right after each operator instead of spinning for up to a million
 * pauses against the rc_pool's threads running the next step
 * (docs/threads.md). */
#define YIELD XNN_FLAG_YIELD_WORKERS

const char* rc_xnn_status_string(enum xnn_status s) {
  switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown status";
}

static rc_status fail(enum xnn_status s, const char* what) {
  rc_status code = s == xnn_status_out_of_memory ? REPCONV_ERROR_OUT_OF_MEMORY
                   : s == xnn_status_unsupported_hardware || s == xnn_status_unsupported_parameter
                       ? REPCONV_ERROR_UNSUPPORTED
                       : REPCONV_ERROR_INTERNAL;
  return rc_error(code, "XNNPACK %s: %s", what, rc_xnn_status_string(s));
}

/* Create then setup; on a setup failure the operator is deleted. */
#define CREATE_SETUP(what, create_call, setup_call)                \
  do {                                                             \
    *out = NULL;                                                   \
    xnn_operator_t op_ = NULL;                                     \
    enum xnn_status s_ = create_call;                              \
    if (s_ != xnn_status_success) return fail(s_, "create " what); \
    *out = op_;                                                    \
    s_ = setup_call;                                               \
    if (s_ != xnn_status_success) {                                \
      xnn_delete_operator(op_);                                    \
      *out = NULL;                                                 \
      return fail(s_, "setup " what);                              \
    }                                                              \
    return REPCONV_OK;                                             \
  } while (0)

rc_status rc_xnn_init(void) {
  enum xnn_status s = xnn_initialize(NULL);
  return s == xnn_status_success ? REPCONV_OK : fail(s, "initialize");
}

rc_status rc_xnn_run(xnn_operator_t op, rc_pool* pool) {
  enum xnn_status s = xnn_run_operator(op, rc_pool_pthreadpool(pool));
  return s == xnn_status_success ? REPCONV_OK : fail(s, "run");
}

void rc_xnn_delete(xnn_operator_t op) {
  if (op) xnn_delete_operator(op);
}

rc_status rc_xnn_conv2d_create(const rc_conv2d_params* p, int32_t pad_bottom, int32_t pad_right, const float* w,
                               const float* bias, int32_t crd_block, float out_min, float out_max, const float* x,
                               float* y, rc_pool* pool, xnn_operator_t* out) {
  const size_t oc = (size_t)p->out_c, gic = (size_t)(p->in_c / p->groups), kh = (size_t)p->kernel_h,
               kw = (size_t)p->kernel_w;
  const size_t taps = kh * kw;
  /* OIHW → XNNPACK's [groups][goc][kh][kw][gic] (= O,H,W,I with O group-major). */
  float* packed = malloc(oc * taps * gic * sizeof(float) + sizeof(float));
  float* pbias = bias ? malloc(oc * sizeof(float)) : NULL;
  if (!packed || (bias && !pbias)) {
    free(packed);
    free(pbias);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "XNNPACK conv: out of memory");
  }
  const size_t r2 = crd_block > 1 ? (size_t)crd_block * (size_t)crd_block : 1;
  const size_t c_out = oc / r2;
  for (size_t o = 0; o < oc; o++) {
    /* o = (by·r + bx)·C + c (DCR) reads the CRD channel c·r² + by·r + bx. */
    const size_t src = r2 > 1 ? (o % c_out) * r2 + o / c_out : o;
    for (size_t t = 0; t < taps; t++) {
      for (size_t i = 0; i < gic; i++) packed[(o * taps + t) * gic + i] = w[(src * gic + i) * taps + t];
    }
    if (pbias) pbias[o] = bias[src];
  }
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_convolution2d_nhwc_f32(
      (uint32_t)p->pad_top, (uint32_t)pad_right, (uint32_t)pad_bottom, (uint32_t)p->pad_left, (uint32_t)kh,
      (uint32_t)kw, (uint32_t)p->stride_h, (uint32_t)p->stride_w, (uint32_t)p->dilation_h, (uint32_t)p->dilation_w,
      (uint32_t)p->groups, gic, oc / (size_t)p->groups, (size_t)p->in_c, oc, packed, pbias, out_min, out_max, YIELD,
      &op);
  free(packed);
  free(pbias);
  *out = NULL;
  if (s != xnn_status_success) return fail(s, "create convolution2d_nhwc_f32");
  s = xnn_setup_convolution2d_nhwc_f32(op, (size_t)p->batch, (size_t)p->in_h, (size_t)p->in_w, x, y,
                                       rc_pool_pthreadpool(pool));
  if (s != xnn_status_success) {
    xnn_delete_operator(op);
    return fail(s, "setup convolution2d_nhwc_f32");
  }
  *out = op;
  return REPCONV_OK;
}

rc_status rc_xnn_fully_connected_create(size_t m, size_t k, size_t n_out, const float* w, const float* bias,
                                        float out_min, float out_max, const float* x, float* y, rc_pool* pool,
                                        xnn_operator_t* out) {
  CREATE_SETUP("fully_connected_nc_f32",
               xnn_create_fully_connected_nc_f32(k, n_out, k, n_out, w, bias, out_min, out_max, YIELD, &op_),
               xnn_setup_fully_connected_nc_f32(op_, m, x, y, rc_pool_pthreadpool(pool)));
}

rc_status rc_xnn_avgpool_create(const rc_pool_params* p, float out_min, float out_max, const float* x, float* y,
                                rc_pool* pool, xnn_operator_t* out) {
  const size_t c = (size_t)p->channels;
  CREATE_SETUP("average_pooling2d_nhwc_f32",
               xnn_create_average_pooling2d_nhwc_f32(
                   (uint32_t)p->pad_top, (uint32_t)p->pad_right, (uint32_t)p->pad_bottom, (uint32_t)p->pad_left,
                   (uint32_t)p->kernel_h, (uint32_t)p->kernel_w, (uint32_t)p->stride_h, (uint32_t)p->stride_w, c, c, c,
                   out_min, out_max, YIELD, &op_),
               xnn_setup_average_pooling2d_nhwc_f32(op_, (size_t)p->batch, (size_t)p->in_h, (size_t)p->in_w, x, y,
                                                    rc_pool_pthreadpool(pool)));
}

rc_status rc_xnn_maxpool_create(const rc_pool_params* p, float out_min, float out_max, const float* x, float* y,
                                rc_pool* pool, xnn_operator_t* out) {
  const size_t c = (size_t)p->channels;
  CREATE_SETUP("max_pooling2d_nhwc_f32",
               xnn_create_max_pooling2d_nhwc_f32((uint32_t)p->pad_top, (uint32_t)p->pad_right, (uint32_t)p->pad_bottom,
                                                 (uint32_t)p->pad_left, (uint32_t)p->kernel_h, (uint32_t)p->kernel_w,
                                                 (uint32_t)p->stride_h, (uint32_t)p->stride_w, 1, 1, c, c, c, out_min,
                                                 out_max, YIELD, &op_),
               xnn_setup_max_pooling2d_nhwc_f32(op_, (size_t)p->batch, (size_t)p->in_h, (size_t)p->in_w, x, y,
                                                rc_pool_pthreadpool(pool)));
}

rc_status rc_xnn_global_avgpool_create(size_t batch, size_t pixels, size_t channels, const float* x, float* y,
                                       rc_pool* pool, xnn_operator_t* out) {
  CREATE_SETUP(
      "global_average_pooling_nwc_f32",
      xnn_create_global_average_pooling_nwc_f32(channels, channels, channels, -INFINITY, INFINITY, YIELD, &op_),
      xnn_setup_global_average_pooling_nwc_f32(op_, batch, pixels, x, y, rc_pool_pthreadpool(pool)));
}

rc_status rc_xnn_prelu_create(size_t pixels, size_t channels, const float* slopes, size_t num_slopes, const float* x,
                              float* y, rc_pool* pool, xnn_operator_t* out) {
  const float* s = slopes;
  float* shared = NULL;
  if (num_slopes == 1 && channels > 1) {
    shared = malloc(channels * sizeof(float));
    if (!shared) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "XNNPACK prelu: out of memory");
    for (size_t c = 0; c < channels; c++) shared[c] = slopes[0];
    s = shared;
  }
  *out = NULL;
  xnn_operator_t op = NULL;
  enum xnn_status st = xnn_create_prelu_nc_f32(channels, channels, channels, s, YIELD, &op);
  free(shared); /* packed by XNNPACK */
  if (st != xnn_status_success) return fail(st, "create prelu_nc_f32");
  st = xnn_setup_prelu_nc_f32(op, pixels, x, y, rc_pool_pthreadpool(pool));
  if (st != xnn_status_success) {
    xnn_delete_operator(op);
    return fail(st, "setup prelu_nc_f32");
  }
  *out = op;
  return REPCONV_OK;
}

rc_status rc_xnn_binary_create(rc_binary_kind kind, size_t a_ndim, const size_t* a_shape, size_t b_ndim,
                               const size_t* b_shape, const float* a, const float* b, float* y, float out_min,
                               float out_max, rc_pool* pool, xnn_operator_t* out) {
  switch (kind) {
    case RC_BINARY_ADD:
      CREATE_SETUP("add_nd_f32", xnn_create_add_nd_f32(out_min, out_max, YIELD, &op_),
                   xnn_setup_add_nd_f32(op_, a_ndim, a_shape, b_ndim, b_shape, a, b, y, rc_pool_pthreadpool(pool)));
    case RC_BINARY_SUB:
      CREATE_SETUP(
          "subtract_nd_f32", xnn_create_subtract_nd_f32(out_min, out_max, YIELD, &op_),
          xnn_setup_subtract_nd_f32(op_, a_ndim, a_shape, b_ndim, b_shape, a, b, y, rc_pool_pthreadpool(pool)));
    case RC_BINARY_MUL:
      CREATE_SETUP(
          "multiply_nd_f32", xnn_create_multiply_nd_f32(out_min, out_max, YIELD, &op_),
          xnn_setup_multiply_nd_f32(op_, a_ndim, a_shape, b_ndim, b_shape, a, b, y, rc_pool_pthreadpool(pool)));
    case RC_BINARY_DIV:
      CREATE_SETUP("divide_nd_f32", xnn_create_divide_nd_f32(out_min, out_max, YIELD, &op_),
                   xnn_setup_divide_nd_f32(op_, a_ndim, a_shape, b_ndim, b_shape, a, b, y, rc_pool_pthreadpool(pool)));
  }
  return rc_error(REPCONV_ERROR_INTERNAL, "XNNPACK binary: op %d", (int)kind);
}

rc_status rc_xnn_clamp_create(size_t pixels, size_t channels, float out_min, float out_max, const float* x, float* y,
                              rc_pool* pool, xnn_operator_t* out) {
  CREATE_SETUP("clamp_nc_f32", xnn_create_clamp_nc_f32(channels, channels, channels, out_min, out_max, YIELD, &op_),
               xnn_setup_clamp_nc_f32(op_, pixels, x, y, rc_pool_pthreadpool(pool)));
}

rc_status rc_xnn_depth_to_space_dcr_create(size_t batch, size_t h, size_t w, size_t c_in, uint32_t block,
                                           const float* x, float* y, rc_pool* pool, xnn_operator_t* out) {
  const size_t c_out = c_in / ((size_t)block * block);
  CREATE_SETUP("depth_to_space_nhwc_x32", xnn_create_depth_to_space_nhwc_x32(c_out, c_in, c_out, block, YIELD, &op_),
               xnn_setup_depth_to_space_nhwc_x32(op_, batch, h, w, x, y, rc_pool_pthreadpool(pool)));
}

rc_status rc_xnn_resize_bilinear_create(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                        size_t out_w, rc_ref_resize_coord coord, const float* x, float* y,
                                        rc_pool* pool, xnn_operator_t* out) {
  const uint32_t flags = coord == RC_REF_RESIZE_ALIGN_CORNERS ? XNN_FLAG_ALIGN_CORNERS
                         : coord == RC_REF_RESIZE_ASYMMETRIC  ? XNN_FLAG_TENSORFLOW_LEGACY_MODE
                                                              : 0;
  CREATE_SETUP(
      "resize_bilinear2d_nhwc_f32",
      xnn_create_resize_bilinear2d_nhwc_f32(channels, channels, channels, flags | YIELD, &op_),
      xnn_setup_resize_bilinear2d_nhwc_f32(op_, batch, in_h, in_w, out_h, out_w, x, y, rc_pool_pthreadpool(pool)));
}

/* Public API: the frame API. A session runs its model on images in the
 * app's memory: the input image is read by the model's first Winograd chain
 * straight from the app's memory, rows converted band by band (an input the
 * plan keeps out of the arena under external_inputs), or else converted into
 * the arena's float NHWC input by rc_exec_load_input (the pass the float API
 * spends on its NCHW copy), and the output image is a binding the model's last kernel stores
 * into (a Winograd step under external_outputs) or the executor converts
 * into after the run (any other last op). It runs the float API's plan for
 * the size (external inputs and outputs: session.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/common/convert.h"
#include "runtime/api/handles.h"
#include "runtime/api/session_impl.h"
#include "runtime/exec/exec.h"

static const char* const format_names[] = {"GRAY8", "RGB8", "BGR8", "RGBA8", "BGRA8", "F32"};

/* Bounds-checked (check_image refuses other values first; GCC 12 for
 * AArch64 cannot see that and warns on a plain index). */
static const char* format_name(repconv_pixel_format f) {
  return (unsigned)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : "?";
}

static int format_valid(repconv_pixel_format f) { return (unsigned)f <= (unsigned)REPCONV_PIXEL_F32; }

/* Channels a pixel holds (F32: the model's, c). */
static int64_t pixel_channels(repconv_pixel_format f, int64_t c) {
  static const int n[] = {1, 3, 3, 4, 4, 0};
  return f == REPCONV_PIXEL_F32 ? c : n[f];
}

static int64_t pixel_bytes(repconv_pixel_format f, int64_t c) {
  return pixel_channels(f, c) * (f == REPCONV_PIXEL_F32 ? (int64_t)sizeof(float) : 1);
}

/* The model channel counts a format serves: GRAY8 1, RGB8/BGR8 3, RGBA8 3
 * or 4, BGRA8 3 (its four channels in model order R, G, B, A would need a
 * channel order a binding's single channel stride cannot express), F32 any. */
static int format_fits(repconv_pixel_format f, int64_t c) {
  switch (f) {
    case REPCONV_PIXEL_GRAY8: return c == 1;
    case REPCONV_PIXEL_RGB8:
    case REPCONV_PIXEL_BGR8:
    case REPCONV_PIXEL_BGRA8: return c == 3;
    case REPCONV_PIXEL_RGBA8: return c == 3 || c == 4;
    case REPCONV_PIXEL_F32: return c >= 1;
  }
  return 0;
}

static const char* fits_str(repconv_pixel_format f) {
  switch (f) {
    case REPCONV_PIXEL_GRAY8: return "1 channel";
    case REPCONV_PIXEL_RGBA8: return "3 or 4 channels";
    case REPCONV_PIXEL_F32: return "any channel count";
    default: return "3 channels";
  }
}

/* Checks of an image that need no model: format, size, data, stride. */
static rc_status check_image(const char* what, const repconv_image_t* im) {
  if (!im) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run_image: NULL %s image", what);
  if (!format_valid(im->format)) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s image: unknown pixel format %d", what, (int)im->format);
  }
  if (im->width < 1 || im->height < 1) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s image: size %dx%d (width x height), must be at least 1x1", what,
                    (int)im->width, (int)im->height);
  }
  if (!im->data) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s image: NULL data", what);
  if (im->format == REPCONV_PIXEL_F32 && ((uintptr_t)im->data % sizeof(float) || im->stride % sizeof(float))) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT,
                    "%s image: F32 data must be 4-byte aligned and its stride (%zu bytes) a multiple of 4", what,
                    im->stride);
  }
  return REPCONV_OK;
}

/* The row stride in bytes (0: packed); an error when a row does not fit. */
static rc_status row_stride(const char* what, const repconv_image_t* im, int64_t c, size_t* out) {
  const int64_t row = pixel_bytes(im->format, c) * (int64_t)im->width;
  *out = im->stride ? im->stride : (size_t)row;
  if ((int64_t)*out < row) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT,
                    "%s image: stride %zu bytes is less than a row of %d %s pixels (%lld bytes)", what, im->stride,
                    (int)im->width, format_name(im->format), (long long)row);
  }
  return REPCONV_OK;
}

/* The binding of an image for c model channels (kernels/common/convert.h):
 * strides in elements; BGR orders start at the R byte with channel stride
 * -1. */
static rc_binding image_binding(const repconv_image_t* im, int64_t c, size_t stride, float scale, float bias) {
  rc_binding b;
  memset(&b, 0, sizeof(b));
  const int is_f32 = im->format == REPCONV_PIXEL_F32;
  b.type = is_f32 ? RC_ELEM_F32 : RC_ELEM_U8;
  b.base = im->data;
  b.row_stride = (ptrdiff_t)(is_f32 ? stride / sizeof(float) : stride);
  b.image_stride = b.row_stride * (ptrdiff_t)im->height;
  b.pixel_stride = (ptrdiff_t)pixel_channels(im->format, c);
  b.channel_stride = im->format == REPCONV_PIXEL_GRAY8 ? 0 : 1;
  if (im->format == REPCONV_PIXEL_BGR8 || im->format == REPCONV_PIXEL_BGRA8) {
    b.base = (uint8_t*)im->data + 2;
    b.channel_stride = -1;
  }
  b.scale = is_f32 ? 1.0f : scale;
  b.bias = is_f32 ? 0.0f : bias;
  return b;
}

void repconv_image_params_init(repconv_image_params_t* params) {
  if (!params) return;
  for (int c = 0; c < REPCONV_IMAGE_MAX_CHANNELS; c++) {
    params->in_scale[c] = 1.0f;
    params->in_bias[c] = 0.0f;
  }
  params->out_scale = 1.0f;
  params->out_bias = 0.0f;
}

repconv_status repconv_image_params_set_mean_std(repconv_image_params_t* params, int channels, const float* mean,
                                                 const float* std) {
  if (!params || !mean || !std)
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "image_params_set_mean_std: NULL argument");
  if (channels < 1 || channels > REPCONV_IMAGE_MAX_CHANNELS) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "image_params_set_mean_std: %d channels, must be 1 to %d", channels,
                    REPCONV_IMAGE_MAX_CHANNELS);
  }
  for (int c = 0; c < channels; c++) {
    if (!(std[c] > 0.0f)) {
      return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "image_params_set_mean_std: std[%d] is %g, must be > 0", c,
                      (double)std[c]);
    }
  }
  for (int c = 0; c < channels; c++) {
    params->in_scale[c] = 1.0f / (255.0f * std[c]);
    params->in_bias[c] = -mean[c] / std[c];
  }
  return REPCONV_OK;
}

/* The model's one rank-4 input and output, and its static input channel
 * count; an error naming what the model has otherwise. */
static rc_status image_model(const repconv_model_t* m, const char* what, int64_t* channels) {
  const rc_graph* g = &m->g;
  if (g->n_inputs != 1 || g->n_outputs != 1) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED,
                    "%s: the model has %d inputs and %d outputs; images run models of one image in and one out", what,
                    g->n_inputs, g->n_outputs);
  }
  const rc_tensor* in = &g->tensors[g->inputs[0]];
  const rc_tensor* out = &g->tensors[g->outputs[0]];
  if (in->shape.ndim != 4 || out->shape.ndim != 4) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED,
                    "%s: the model's input '%s' has rank %d and its output '%s' rank %d; images run models of rank-4 "
                    "(NCHW) input and output",
                    what, in->name, in->shape.ndim, out->name, out->shape.ndim);
  }
  if (in->dyn >> 1 & 1) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED,
                    "%s: the model's input '%s' has a symbolic channel count; images need it fixed", what, in->name);
  }
  if (!(in->dyn & 1) && in->shape.d[0] != 1) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: the model's input '%s' has batch %lld; images run batch 1", what,
                    in->name, (long long)in->shape.d[0]);
  }
  *channels = in->shape.d[1];
  return REPCONV_OK;
}

static repconv_tensor_t input_tensor(const repconv_model_t* m, int64_t c, int32_t width, int32_t height) {
  const rc_graph* g = &m->g;
  repconv_tensor_t t;
  memset(&t, 0, sizeof(t));
  t.name = g->tensors[g->inputs[0]].name;
  t.ndim = 4;
  t.dims[0] = 1;
  t.dims[1] = c;
  t.dims[2] = height;
  t.dims[3] = width;
  return t;
}

repconv_status repconv_model_image_output_size(const repconv_model_t* model, int32_t width, int32_t height,
                                               int32_t* out_width, int32_t* out_height) {
  if (!model || !out_width || !out_height) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_image_output_size: NULL argument");
  }
  if (width < 1 || height < 1) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "model_image_output_size: size %dx%d, must be at least 1x1",
                    (int)width, (int)height);
  }
  int64_t c = 0;
  rc_status s = image_model(model, "model_image_output_size", &c);
  if (s != REPCONV_OK) return s;
  repconv_tensor_t t = input_tensor(model, c, width, height);
  repconv_tensor_info_t o;
  s = repconv_model_infer_output(model, &t, 1, 0, &o);
  if (s != REPCONV_OK) return s;
  *out_width = (int32_t)o.dims[3];
  *out_height = (int32_t)o.dims[2];
  return REPCONV_OK;
}

static int identity(const float* scale, const float* bias, int64_t n) {
  for (int64_t c = 0; c < n; c++) {
    if (scale[c] != 1.0f || bias[c] != 0.0f) return 0;
  }
  return 1;
}

static rc_status run_image(repconv_session_t* s, const repconv_image_t* in, repconv_image_t* out,
                           const repconv_image_params_t* params) {
  repconv_image_params_t id;
  repconv_image_params_init(&id);
  const repconv_image_params_t* pr = params ? params : &id;
  int64_t c_in = 0;
  RC_CHECK(check_image("input", in));
  RC_CHECK(check_image("output", out));
  RC_CHECK(image_model(s->model, "session_run_image", &c_in));
  const rc_graph* mg = &s->model->g;
  if (!format_fits(in->format, c_in)) {
    return rc_error(REPCONV_ERROR_SHAPE, "input image: %s serves models of %s, the model's input '%s' has %lld",
                    format_name(in->format), fits_str(in->format), mg->tensors[mg->inputs[0]].name, (long long)c_in);
  }
  size_t in_stride = 0, out_stride = 0;
  RC_CHECK(row_stride("input", in, c_in, &in_stride));
  if (in->format == REPCONV_PIXEL_F32 && !identity(pr->in_scale, pr->in_bias, c_in)) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT,
                    "input image: F32 pixels go to the model as they are; its scale and bias must be 1 and 0");
  }
  repconv_tensor_t t = input_tensor(s->model, c_in, in->width, in->height);
  RC_CHECK(rc_model_match_inputs(s->model, "session_run_image", &t, 1, s->want));
  rc_sized* z = NULL;
  RC_CHECK(rc_session_sized_get(s, 1, &z));
  s->cur = z;
  z->used = ++s->runs;
  const rc_graph* g = z->g;
  const rc_shape* os = &g->tensors[g->outputs[0]].shape;
  const int64_t c_out = os->d[1];
  if (!format_fits(out->format, c_out) || os->d[0] != 1) {
    char b[96];
    return rc_error(REPCONV_ERROR_SHAPE, "output image: %s serves models of %s, the model's output '%s' is %s",
                    format_name(out->format), fits_str(out->format), g->tensors[g->outputs[0]].name,
                    rc_shape_str(os, b, sizeof(b)));
  }
  if (os->d[2] != out->height || os->d[3] != out->width) {
    return rc_error(
        REPCONV_ERROR_SHAPE, "output image: %dx%d given, the model gives %lldx%lld (width x height) for a %dx%d input",
        (int)out->width, (int)out->height, (long long)os->d[3], (long long)os->d[2], (int)in->width, (int)in->height);
  }
  RC_CHECK(row_stride("output", out, c_out, &out_stride));
  if (out->format == REPCONV_PIXEL_F32 && (pr->out_scale != 1.0f || pr->out_bias != 0.0f)) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT,
                    "output image: F32 pixels are the model's values as they are; its scale and bias must be 1 and 0");
  }
  /* One scale and bias for every channel: the binding converts them in the
   * copy. Per-channel ones: the copy as is, then the affine map over the
   * arena's input in place (bitwise the same: px·1 + 0 is px). */
  int uniform = 1;
  for (int64_t k = 1; k < c_in; k++) uniform &= pr->in_scale[k] == pr->in_scale[0] && pr->in_bias[k] == pr->in_bias[0];
  const rc_binding bin =
      image_binding(in, c_in, in_stride, uniform ? pr->in_scale[0] : 1.0f, uniform ? pr->in_bias[0] : 0.0f);
  const rc_binding bout = image_binding(out, c_out, out_stride, pr->out_scale, pr->out_bias);
  const int external = z->plan->offset[g->inputs[0]] == RC_NO_OFFSET;
  if (external && uniform) { /* the chain reads the frame's rows as it reaches them */
    return rc_exec_run_io(g, z->plan, &z->xnn, z->arena, s->pool, &bin, &bout, s->step_ms);
  }
  /* Per-channel maps with an input the plan keeps out of the arena: the
   * float image in a buffer of its own, read through an F32 binding. */
  const size_t n = (size_t)in->width * (size_t)in->height, c = (size_t)c_in;
  float* x = external ? malloc(n * c * sizeof(float)) : z->arena + z->plan->offset[g->inputs[0]];
  if (!x) {
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session_run_image: out of memory for the %zu-byte input",
                    n * c * sizeof(float));
  }
  rc_exec_convert_nhwc(x, 1, (size_t)in->height, (size_t)in->width, c, &bin, 1, s->pool);
  if (!uniform) {
    for (size_t i = 0; i < n; i++) {
      for (size_t k = 0; k < c; k++) {
        float v = x[i * c + k] * pr->in_scale[k];
        x[i * c + k] = v + pr->in_bias[k];
      }
    }
  }
  rc_binding bx;
  memset(&bx, 0, sizeof(bx));
  bx.type = RC_ELEM_F32;
  bx.base = x;
  bx.channel_stride = 1;
  bx.pixel_stride = (ptrdiff_t)c;
  bx.row_stride = (ptrdiff_t)(c * (size_t)in->width);
  bx.image_stride = (ptrdiff_t)(c * n);
  const rc_status st = rc_exec_run_io(g, z->plan, &z->xnn, z->arena, s->pool, external ? &bx : NULL, &bout, s->step_ms);
  if (external) free(x);
  return st;
}

repconv_status repconv_session_run_image(repconv_session_t* session, const repconv_image_t* in, repconv_image_t* out,
                                         const repconv_image_params_t* params) {
  if (!session) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run_image: NULL session");
  if (!rc_session_acquire(session, "session_run_image")) return REPCONV_ERROR_INVALID_ARGUMENT;
  session->error[0] = '\0';
  rc_status s = run_image(session, in, out, params);
  if (s != REPCONV_OK) rc_session_fail(session, s);
  rc_session_release(session);
  return s;
}

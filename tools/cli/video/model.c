/* `repconv video`'s model: loaded at the video's frame size, run on Y. */
#define _POSIX_C_SOURCE 200809L

#include "tools/cli/video/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/graph.h"

static int describe(const repconv_tensor_info_t* t, char* buf, size_t size) {
  rc_dims_str(t->ndim, t->dims, RC_SHAPE_X, buf, size);
  return 0;
}

int cli_video_model_open(const cli_args* a, const cli_y4m_format* fmt, cli_video_model* m) {
  memset(m, 0, sizeof *m);
  cli_args b = *a; /* the frame size as the model's input shape */
  b.num_shapes = 1;
  b.shape_names[0][0] = '\0';
  b.shape_ndim[0] = 4;
  const int64_t dims[4] = {1, 1, fmt->height, fmt->width};
  memcpy(b.shape_dims[0], dims, sizeof dims);
  int rc = load_model(&b, b.fold, b.threads, b.backend, &m->opts, &m->model);
  if (rc != EXIT_OK) return rc;
  repconv_tensor_info_t in, out;
  char s_in[96] = "?", s_out[96] = "?";
  if (repconv_model_num_inputs(m->model) != 1 || repconv_model_num_outputs(m->model) != 1 ||
      repconv_model_input(m->model, 0, &in) != REPCONV_OK || repconv_model_output(m->model, 0, &out) != REPCONV_OK) {
    rc = fail(EXIT_ERROR,
              "video: model '%s' has %zu inputs and %zu outputs; video runs a model of one image in, one out", a->model,
              repconv_model_num_inputs(m->model), repconv_model_num_outputs(m->model));
    goto fail;
  }
  describe(&in, s_in, sizeof s_in);
  describe(&out, s_out, sizeof s_out);
  if (out.ndim != 4 || out.dims[0] != 1 || out.dims[1] != 1 || out.dims[2] % fmt->height != 0 ||
      out.dims[3] % fmt->width != 0 || out.dims[2] / fmt->height != out.dims[3] / fmt->width ||
      out.dims[2] / fmt->height > 16) {
    rc = fail(EXIT_ERROR,
              "video: model '%s' maps %s to %s; video runs models of one channel (Y) in and out, scaled by the same "
              "integer factor (1 to 16) in height and width",
              a->model, s_in, s_out);
    goto fail;
  }
  m->scale = (int)(out.dims[2] / fmt->height);
  m->in_fmt = *fmt;
  m->y_out = *fmt;
  m->y_out.width = fmt->width * m->scale;
  m->y_out.height = fmt->height * m->scale;
  if (fmt->bytes > 1) {
    const size_t n_in = (size_t)fmt->width * (size_t)fmt->height, n_out = n_in * (size_t)m->scale * (size_t)m->scale;
    m->f_in = malloc(n_in * sizeof(float));
    m->f_out = malloc(n_out * sizeof(float));
    if (!m->f_in || !m->f_out) {
      rc = fail(EXIT_ERROR, "video: out of memory for the model's input and output (%zu and %zu floats)", n_in, n_out);
      goto fail;
    }
  }
  const float maxval = (float)((1 << fmt->depth) - 1);
  m->to_model = 255.0f / maxval;
  m->from_model = maxval / 255.0f;
  repconv_status st = repconv_session_create(m->model, m->opts, &m->session);
  if (st != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "video: creating a session for '%s' at %s: %s", a->model, s_in, lib_error(st));
    goto fail;
  }
  return EXIT_OK;
fail:
  cli_video_model_close(m);
  return rc;
}

void cli_video_model_close(cli_video_model* m) {
  repconv_session_destroy(m->session);
  repconv_model_destroy(m->model);
  repconv_options_destroy(m->opts);
  free(m->f_in);
  free(m->f_out);
  m->session = NULL;
  m->model = NULL;
  m->opts = NULL;
  m->f_in = m->f_out = NULL;
}

size_t cli_video_model_float_bytes(const cli_video_model* m) {
  if (!m->f_in) return 0;
  const size_t n_in = (size_t)m->in_fmt.width * (size_t)m->in_fmt.height;
  return (n_in + (size_t)m->y_out.width * (size_t)m->y_out.height) * sizeof(float);
}

/* High depths: 16-bit little-endian samples to the model's 0..255. */
static void load_high(cli_video_model* m, const uint8_t* in) {
  const size_t n = (size_t)m->in_fmt.width * (size_t)m->in_fmt.height;
  const float k = m->to_model;
  for (size_t i = 0; i < n; ++i) m->f_in[i] = (float)(in[2 * i] | in[2 * i + 1] << 8) * k;
}

/* And back: rounded, clamped to the depth's range (NaN to 0). */
static void store_high(cli_video_model* m, uint8_t* out) {
  const size_t n = (size_t)m->y_out.width * (size_t)m->y_out.height;
  const float k = m->from_model, maxval = (float)((1 << m->in_fmt.depth) - 1);
  for (size_t i = 0; i < n; ++i) {
    float v = m->f_out[i] * k;
    v = v >= 0.0f ? v : 0.0f;
    v = v <= maxval ? v : maxval;
    const unsigned u = (unsigned)(v + 0.5f);
    out[2 * i] = (uint8_t)(u & 0xff);
    out[2 * i + 1] = (uint8_t)(u >> 8);
  }
}

int cli_video_model_run_y(void* ctx, const uint8_t* in, uint8_t* out, char* err, size_t err_size) {
  cli_video_model* m = ctx;
  const int high = m->in_fmt.bytes > 1;
  /* The planes as the y4m frame has them: rows of width samples. */
  repconv_image_t a = {.format = REPCONV_PIXEL_GRAY8,
                       .width = m->in_fmt.width,
                       .height = m->in_fmt.height,
                       .stride = (size_t)m->in_fmt.width,
                       .data = (void*)(uintptr_t)in};
  repconv_image_t b = {.format = REPCONV_PIXEL_GRAY8,
                       .width = m->y_out.width,
                       .height = m->y_out.height,
                       .stride = (size_t)m->y_out.width,
                       .data = out};
  double t0 = now_ms();
  if (high) {
    load_high(m, in);
    a = (repconv_image_t){.format = REPCONV_PIXEL_F32, .width = a.width, .height = a.height, .data = m->f_in};
    b = (repconv_image_t){.format = REPCONV_PIXEL_F32, .width = b.width, .height = b.height, .data = m->f_out};
  }
  double t1 = now_ms();
  repconv_status st = repconv_session_run_image(m->session, &a, &b, NULL);
  double t2 = now_ms();
  if (st != REPCONV_OK) {
    snprintf(err, err_size, "running the model: %s", session_error(m->session, st));
    return -1;
  }
  if (high) store_high(m, out);
  m->ms_to_float += t1 - t0;
  m->ms_run += t2 - t1;
  m->ms_to_int += now_ms() - t2;
  return 0;
}

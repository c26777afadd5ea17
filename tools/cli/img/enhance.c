/* The model side of `repconv upscale` (enhance.h). */
#define _POSIX_C_SOURCE 200809L

#include "tools/cli/img/enhance.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The side of the square tile the arena is measured on. */
#define PROBE_SIDE 256

/* Ops whose output pixel depends on a bounded neighbourhood of their input:
 * pointwise ones (reach 0) and the windowed ones handled in node_reach. Any
 * other op (global pooling, FC, reshapes, patch partitions) sees the whole
 * picture, and tiles would change the result. */
static const char* const k_local_ops[] = {
    "conv2d",           "avgpool",  "maxpool", "batchnorm", "add",        "sub",  "mul",     "div",
    "concat",           "pad",      "relu",    "prelu",     "leaky_relu", "clip", "sigmoid", "depth_to_space",
    "upsample_nearest", "identity",
};

static int is_local(const char* op) {
  for (size_t i = 0; i < sizeof k_local_ops / sizeof k_local_ops[0]; i++) {
    if (strcmp(op, k_local_ops[i]) == 0) return 1;
  }
  return 0;
}

static int dilation_of(const repconv_model_t* m, const char* output) {
  repconv_fold_summary_t sum;
  if (!output || repconv_model_fold_summary(m, &sum) != REPCONV_OK) return 1;
  for (int32_t i = 0; i < sum.regions; i++) {
    repconv_fold_region_t r;
    if (repconv_model_fold_region(m, (size_t)i, &r) == REPCONV_OK && r.output && strcmp(r.output, output) == 0) {
      return r.dilation_h > r.dilation_w ? r.dilation_h : r.dilation_w;
    }
  }
  return 1;
}

/* The Winograd tile side a plan entry runs with, 0 if none. */
static int winograd_m(const char* kernel) {
  if (!kernel || strncmp(kernel, "winograd:wino", 13) != 0) return 0;
  const char c = kernel[13];
  return c == '2' ? 2 : c == '4' ? 4 : c == '6' ? 6 : 6;
}

/* Reach of the model in input pixels. plan_of: the session whose plan says
 * which convs run Winograd; NULL: assume F(6,3) wherever it may apply. */
static double model_reach(const cli_enhancer* e, const repconv_session_t* plan_of, char* unbounded, size_t size) {
  const repconv_model_t* m = e->model;
  const int wino_possible = e->args.backend == REPCONV_BACKEND_AUTO || e->args.backend == REPCONV_BACKEND_WINOGRAD;
  const int forced_m = e->args.winograd > 0 ? e->args.winograd : 6;
  repconv_tensor_info_t in;
  if (repconv_model_input(m, 0, &in) != REPCONV_OK) return 0;
  double total = 0;
  const size_t n = repconv_model_num_nodes(m);
  for (size_t i = 0; i < n; i++) {
    repconv_node_info_t node;
    if (repconv_model_node(m, i, &node) != REPCONV_OK) continue;
    if (!is_local(node.op)) {
      if (unbounded && !unbounded[0]) snprintf(unbounded, size, "'%s' (%s)", node.name, node.op);
      continue;
    }
    if (node.kernel_h <= 0 || node.output.ndim != 4 || node.output.dims[2] <= 0) continue;
    const int d = strcmp(node.op, "conv2d") == 0 ? dilation_of(m, node.output.name) : 1;
    int reach = (int)(((int64_t)node.kernel_h - 1) * d + 1) / 2;
    const int rw = (int)(((int64_t)node.kernel_w - 1) * d + 1) / 2;
    if (rw > reach) reach = rw;
    if (strcmp(node.op, "conv2d") == 0) {
      int wm = 0;
      if (plan_of) {
        repconv_plan_entry_t pe;
        if (repconv_session_plan(plan_of, i, &pe) == REPCONV_OK) wm = winograd_m(pe.kernel);
      } else if (wino_possible && e->args.winograd != REPCONV_WINOGRAD_OFF && node.kernel_h == 3 &&
                 node.kernel_w == 3 && node.stride_h == 1 && node.stride_w == 1 && node.groups == 1 && d == 1) {
        wm = forced_m;
      }
      if (wm > reach) reach = wm;
    }
    /* Input pixels per pixel of this node's input. */
    const double f = (double)in.dims[2] / ((double)node.output.dims[2] * (node.stride_h > 0 ? node.stride_h : 1));
    total += reach * f;
  }
  return total;
}

int cli_enhancer_halo(const cli_enhancer* e) { return (int)ceil(model_reach(e, e->session, NULL, 0) - 1e-9); }

static void drop(cli_enhancer* e) {
  repconv_session_destroy(e->session);
  repconv_model_destroy(e->model);
  e->session = NULL;
  e->model = NULL;
  e->tile_w = e->tile_h = 0;
}

/* The output must be the input's channels, scaled. */
static int check_output(cli_enhancer* e, const repconv_tensor_info_t* out, int w, int h, char* err, size_t err_size) {
  if (out->ndim == 4 && out->dims[1] == e->channels && out->dims[2] == (int64_t)h * e->scale &&
      out->dims[3] == (int64_t)w * e->scale)
    return 0;
  snprintf(err, err_size, "'%s' at %dx%d does not give a %dx%d output", e->args.model, w, h, w * e->scale,
           h * e->scale);
  return -1;
}

/* Loads the model again with its input set to the tile: for a model whose
 * folding depends on the size (the session refuses other sizes). */
static int reload_at(cli_enhancer* e, int w, int h, char* err, size_t err_size) {
  drop(e);
  const int64_t dims[4] = {1, e->channels, h, w};
  repconv_status st = repconv_options_set_input_shape(e->opts, NULL, 4, dims);
  if (st == REPCONV_OK) st = repconv_model_load(e->args.model, e->opts, &e->model);
  if (st != REPCONV_OK) {
    snprintf(err, err_size, "loading '%s' for %dx%d tiles: %s", e->args.model, w, h, lib_error(st));
    drop(e);
    return -1;
  }
  st = repconv_session_create(e->model, e->opts, &e->session);
  if (st != REPCONV_OK) {
    snprintf(err, err_size, "a session for %dx%d tiles: %s", w, h, lib_error(st));
    drop(e);
    return -1;
  }
  repconv_tensor_info_t in, out;
  if (repconv_model_input(e->model, 0, &in) != REPCONV_OK || repconv_model_output(e->model, 0, &out) != REPCONV_OK ||
      check_output(e, &out, w, h, err, err_size) != 0) {
    if (!err[0]) snprintf(err, err_size, "'%s': no input or output", e->args.model);
    drop(e);
    return -1;
  }
  e->in_name = in.name;
  e->out_name = out.name;
  return 0;
}

int cli_enhancer_shape(cli_enhancer* e, int w, int h, char* err, size_t err_size) {
  if (e->session && e->tile_w == w && e->tile_h == h) return 0;
  err[0] = '\0';
  /* One model and session for every tile size: the session plans the size
   * (plans are cached), so that the halo reads that size's plan. */
  const repconv_tensor_t x = {e->in_name, 4, {1, e->channels, h, w}, NULL};
  repconv_tensor_info_t out;
  if (e->session && repconv_session_reshape(e->session, &x, 1) == REPCONV_OK &&
      repconv_model_infer_output(e->model, &x, 1, 0, &out) == REPCONV_OK) {
    if (check_output(e, &out, w, h, err, err_size) != 0) return -1;
    e->out_name = out.name;
  } else if (reload_at(e, w, h, err, err_size) != 0) {
    return -1;
  }
  e->tile_w = w;
  e->tile_h = h;
  return 0;
}

int cli_enhance_tile(cli_enhancer* e, const float* in, float* out, char* err, size_t err_size) {
  repconv_tensor_t x = {e->in_name, 4, {1, e->channels, e->tile_h, e->tile_w}, (float*)in};
  repconv_tensor_t y = {
      e->out_name, 4, {1, e->channels, (int64_t)e->tile_h * e->scale, (int64_t)e->tile_w * e->scale}, out};
  repconv_status st = repconv_session_run(e->session, &x, 1, &y, 1);
  if (st != REPCONV_OK) {
    snprintf(err, err_size, "running '%s' on a %dx%d tile: %s", e->args.model, e->tile_w, e->tile_h,
             session_error(e->session, st));
    return -1;
  }
  return 0;
}

int cli_enhancer_open(cli_enhancer* e, const cli_args* a) {
  memset(e, 0, sizeof *e);
  e->args = *a;
  int rc = load_model(a, a->fold, a->threads, a->backend, &e->opts, &e->model);
  if (rc != EXIT_OK) return rc;
  repconv_tensor_info_t in, out;
  if (repconv_model_num_inputs(e->model) != 1 || repconv_model_num_outputs(e->model) < 1 ||
      repconv_model_input(e->model, 0, &in) != REPCONV_OK || repconv_model_output(e->model, 0, &out) != REPCONV_OK) {
    cli_enhancer_close(e);
    return fail(EXIT_ERROR, "upscale: '%s' is not an image model (one input and an output are needed)", a->model);
  }
  char s_in[96], s_out[96];
  snprintf(s_in, sizeof s_in, "%lldx%lldx%lldx%lld", (long long)in.dims[0], (long long)in.dims[1],
           (long long)in.dims[2], (long long)in.dims[3]);
  snprintf(s_out, sizeof s_out, "%lldx%lldx%lldx%lld", (long long)out.dims[0], (long long)out.dims[1],
           (long long)out.dims[2], (long long)out.dims[3]);
  if (in.ndim != 4 || out.ndim != 4 || in.dims[0] != 1 || out.dims[0] != 1 || (in.dims[1] != 1 && in.dims[1] != 3)) {
    cli_enhancer_close(e);
    return fail(EXIT_ERROR,
                "upscale: '%s' takes %s: an image model takes 1x1xHxW (Y or gray) or 1x3xHxW (RGB) and gives "
                "1xCx(sH)x(sW)",
                a->model, s_in);
  }
  if (out.dims[1] != in.dims[1] || in.dims[2] <= 0 || in.dims[3] <= 0 || out.dims[2] % in.dims[2] != 0 ||
      out.dims[3] % in.dims[3] != 0 || out.dims[2] / in.dims[2] != out.dims[3] / in.dims[3] ||
      out.dims[2] / in.dims[2] < 1) {
    cli_enhancer_close(e);
    return fail(EXIT_ERROR, "upscale: '%s' maps %s to %s: not the same channels scaled by one integer factor", a->model,
                s_in, s_out);
  }
  e->channels = (int)in.dims[1];
  e->scale = (int)(out.dims[2] / in.dims[2]);
  e->halo_bound = (int)ceil(model_reach(e, NULL, e->unbounded, sizeof e->unbounded) - 1e-9);
  e->in_name = in.name;
  char err[1024];
  const repconv_status st = repconv_session_create(e->model, e->opts, &e->session);
  if (st != REPCONV_OK) {
    cli_enhancer_close(e);
    return fail(EXIT_ERROR, "upscale: a session of '%s': %s", a->model, lib_error(st));
  }
  if (cli_enhancer_shape(e, PROBE_SIDE, PROBE_SIDE, err, sizeof err) != 0) {
    cli_enhancer_close(e);
    return fail(EXIT_ERROR, "upscale: %s", err);
  }
  e->arena_per_pixel = (double)repconv_session_arena_bytes(e->session) / ((double)PROBE_SIDE * PROBE_SIDE);
  return EXIT_OK;
}

void cli_enhancer_close(cli_enhancer* e) {
  drop(e);
  repconv_options_destroy(e->opts);
  e->opts = NULL;
}

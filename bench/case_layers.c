/* Single 3x3 conv layers (stride 1, pad 1, bias, C = Cin = Cout) at the
 * shapes of the issue, built with the builder API, for each backend and
 * thread count. GFLOPS = 2·H·W·C²·9 / time. Time is one session run, so it
 * includes the NCHW → NHWC copy of the input and the copy back of the
 * output at the API boundary; the io/ cases (the same tensors through one
 * ReLU) show what those cost. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"

typedef struct layer_shape {
  int c, h, w;
} layer_shape;

static const layer_shape kShapes[] = {
    {64, 56, 56}, {128, 28, 28}, {256, 14, 14}, {64, 112, 112}, {16, 540, 960}, {32, 360, 640}, {48, 270, 480},
};
#define NUM_SHAPES (sizeof kShapes / sizeof kShapes[0])

static const repconv_backend kBackends[] = {REPCONV_BACKEND_XNNPACK, REPCONV_BACKEND_AUTO};
static const int kThreads[] = {1, 2};
#define NUM_BACKENDS (sizeof kBackends / sizeof kBackends[0])
#define NUM_THREADS (sizeof kThreads / sizeof kThreads[0])

typedef struct layer_case {
  size_t shape;
  int relu_only; /* the io/ case */
  repconv_backend backend;
  int threads;
} layer_case;

static layer_case g_cases[NUM_SHAPES * (NUM_BACKENDS * NUM_THREADS + 1)];
/* Built on first use, kept for every case of the shape. */
static repconv_model_t* g_conv[NUM_SHAPES];
static repconv_model_t* g_relu[NUM_SHAPES];

static repconv_status build_layer(const layer_shape* s, int relu_only, repconv_model_t** out) {
  repconv_builder_t* b = NULL;
  float* w = NULL;
  float* bias = NULL;
  repconv_options_t* opts = NULL;
  repconv_status st = repconv_builder_create(&b);
  int64_t dims[4] = {1, s->c, s->h, s->w};
  repconv_id x = 0, y = 0;
  if (st == REPCONV_OK) st = repconv_builder_input(b, "input", 4, dims, &x);
  if (st == REPCONV_OK && relu_only) {
    st = repconv_builder_activation(b, "relu", REPCONV_RELU, x, 0, 0, &y);
  } else if (st == REPCONV_OK) {
    size_t nw = (size_t)s->c * (size_t)s->c * 9;
    w = malloc(nw * sizeof *w);
    bias = malloc((size_t)s->c * sizeof *bias);
    if (!w || !bias) {
      st = REPCONV_ERROR_OUT_OF_MEMORY;
    } else {
      /* Uniform weights of variance 1/fan_in, small biases: outputs stay O(1). */
      rcb_fill_uniform(w, nw, 7, sqrtf(3.0f / (float)(9 * s->c)));
      rcb_fill_uniform(bias, (size_t)s->c, 8, 0.1f);
      repconv_conv2d_desc_t d = {.out_channels = s->c, .kernel_h = 3, .kernel_w = 3,
                                 .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
      st = repconv_builder_conv2d(b, "conv", x, &d, w, bias, &y);
    }
  }
  if (st == REPCONV_OK) st = repconv_builder_output(b, y, "output");
  if (st == REPCONV_OK) st = repconv_options_create(&opts);
  if (st == REPCONV_OK) st = repconv_options_set_fold_level(opts, REPCONV_FOLD_OFF);
  if (st == REPCONV_OK) st = repconv_builder_finish(b, opts, out);
  repconv_options_destroy(opts);
  repconv_builder_destroy(b);
  free(w);
  free(bias);
  return st;
}

static void run_layer(rcb_state* state, const void* arg) {
  const layer_case* c = (const layer_case*)arg;
  const layer_shape* s = &kShapes[c->shape];
  repconv_model_t** slot = c->relu_only ? &g_relu[c->shape] : &g_conv[c->shape];
  if (!*slot) {
    repconv_status st = build_layer(s, c->relu_only, slot);
    if (st != REPCONV_OK) {
      rcb_skip_with_error(state, repconv_last_error());
      return;
    }
  }
  int64_t flops = c->relu_only ? 0 : 2LL * s->h * s->w * s->c * s->c * 9;
  rcb_time_model(state, *slot, c->threads, c->backend, flops);
}

void rcb_register_layer_cases(void) {
  size_t n = 0;
  char name[128];
  for (size_t i = 0; i < NUM_SHAPES; ++i) {
    for (size_t b = 0; b < NUM_BACKENDS; ++b) {
      for (size_t t = 0; t < NUM_THREADS; ++t) {
        layer_case* c = &g_cases[n++];
        c->shape = i;
        c->backend = kBackends[b];
        c->threads = kThreads[t];
        snprintf(name, sizeof name, "conv3x3/%dx%dx%d/%s/threads:%d", kShapes[i].c, kShapes[i].h, kShapes[i].w,
                 rcb_backend_name(c->backend), c->threads);
        rcb_register(name, run_layer, c);
      }
    }
  }
  for (size_t i = 0; i < NUM_SHAPES; ++i) {
    layer_case* c = &g_cases[n++];
    c->shape = i;
    c->relu_only = 1;
    c->backend = REPCONV_BACKEND_AUTO;
    c->threads = 1;
    snprintf(name, sizeof name, "io/%dx%dx%d/relu/threads:1", kShapes[i].c, kShapes[i].h, kShapes[i].w);
    rcb_register(name, run_layer, c);
  }
}

void rcb_free_layer_cases(void) {
  for (size_t i = 0; i < NUM_SHAPES; ++i) {
    repconv_model_destroy(g_conv[i]);
    repconv_model_destroy(g_relu[i]);
    g_conv[i] = g_relu[i] = NULL;
  }
}

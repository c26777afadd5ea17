/* Single 3x3 conv layers (stride 1, pad 1, bias, C = Cin = Cout) at the
 * shapes of the issue, built with the builder API, for each backend and
 * thread count. GFLOPS = 2·H·W·C²·9 / time. Time is one session run, so it
 * includes the NCHW → NHWC copy of the input and the copy back of the
 * output at the API boundary; the io/ cases (the same tensors through one
 * ReLU) show what those cost. Backends: xnnpack, auto (the planner's rule),
 * and each Winograd variant forced (winograd-f2/f4/f6). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_util.h"

typedef struct layer_shape {
  int c, h, w;
} layer_shape;

static const layer_shape kShapes[] = {
    {64, 56, 56}, {128, 28, 28}, {256, 14, 14}, {64, 112, 112}, {16, 540, 960}, {32, 360, 640}, {48, 270, 480},
};
#define NUM_SHAPES (sizeof kShapes / sizeof kShapes[0])

typedef struct layer_backend {
  repconv_backend backend;
  int winograd; /* REPCONV_WINOGRAD_AUTO, or the forced tile */
  const char* name;
} layer_backend;

static const layer_backend kBackends[] = {
    {REPCONV_BACKEND_XNNPACK, REPCONV_WINOGRAD_AUTO, "xnnpack"},
    {REPCONV_BACKEND_AUTO, REPCONV_WINOGRAD_AUTO, "auto"},
    {REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_F23, "winograd-f2"},
    {REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_F43, "winograd-f4"},
    {REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_F63, "winograd-f6"},
};
static const int kThreads[] = {1, 2};
#define NUM_BACKENDS (sizeof kBackends / sizeof kBackends[0])
#define NUM_THREADS (sizeof kThreads / sizeof kThreads[0])

typedef struct layer_case {
  size_t shape;
  int relu_only; /* the io/ case */
  repconv_backend backend;
  int winograd;
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
      repconv_conv2d_desc_t d = {.out_channels = s->c,
                                 .kernel_h = 3,
                                 .kernel_w = 3,
                                 .pad_top = 1,
                                 .pad_left = 1,
                                 .pad_bottom = 1,
                                 .pad_right = 1};
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
  rcb_time_model_wino(state, *slot, c->threads, c->backend, c->winograd, flops);
}

void rcb_register_layer_cases(void) {
  size_t n = 0;
  char name[128];
  for (size_t i = 0; i < NUM_SHAPES; ++i) {
    for (size_t b = 0; b < NUM_BACKENDS; ++b) {
      for (size_t t = 0; t < NUM_THREADS; ++t) {
        layer_case* c = &g_cases[n++];
        c->shape = i;
        c->backend = kBackends[b].backend;
        c->winograd = kBackends[b].winograd;
        c->threads = kThreads[t];
        snprintf(name, sizeof name, "conv3x3/%dx%dx%d/%s/threads:%d", kShapes[i].c, kShapes[i].h, kShapes[i].w,
                 kBackends[b].name, c->threads);
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

/* ------------------------------------------------------------ gemm layers */

/* The layers stride-1 Winograd does not take, for repconv's GEMM (backend
 * gemm) next to XNNPACK (backend xnnpack) on the same model: RepVGG-A0's
 * stride-2 convs and FC, a 1x1 and a folded 5x5, and stride-2 3x3s of few
 * channels. The 3x3 stride-2 convs also on the stride-2 Winograd (backend
 * winograd) and as the planner's rule picks (auto). Each is one conv (+ ReLU,
 * fused by all) or one FC on a [1, K] input. GFLOPS = 2·pixels·K·Cout / time. */
typedef struct gemm_shape {
  const char* name;
  int cin, cout, h, w, k, stride, pad; /* k 0: a fully connected layer, cin → cout */
} gemm_shape;

static const gemm_shape kGemmShapes[] = {
    {"a0.stage0/3x3s2/3-48/224", 3, 48, 224, 224, 3, 2, 1},
    {"a0.stage1/3x3s2/48-48/112", 48, 48, 112, 112, 3, 2, 1},
    {"a0.stage2/3x3s2/48-96/56", 48, 96, 56, 56, 3, 2, 1},
    {"a0.stage3/3x3s2/96-192/28", 96, 192, 28, 28, 3, 2, 1},
    {"a0.stage4/3x3s2/192-1280/14", 192, 1280, 14, 14, 3, 2, 1},
    {"a0.fc/1280-1000", 1280, 1000, 1, 1, 0, 1, 0},
    {"1x1/256-256/56", 256, 256, 56, 56, 1, 1, 0},
    {"5x5/64-64/56", 64, 64, 56, 56, 5, 1, 2},
    {"3x3s2/4-16/256", 4, 16, 256, 256, 3, 2, 1},
    {"3x3s2/8-16/256", 8, 16, 256, 256, 3, 2, 1},
    {"3x3s2/16-32/540x960", 16, 32, 540, 960, 3, 2, 1},
};
#define NUM_GEMM_SHAPES (sizeof kGemmShapes / sizeof kGemmShapes[0])
static const repconv_backend kGemmBackends[] = {REPCONV_BACKEND_XNNPACK, REPCONV_BACKEND_GEMM, REPCONV_BACKEND_WINOGRAD,
                                                REPCONV_BACKEND_AUTO};
#define NUM_GEMM_BACKENDS (sizeof kGemmBackends / sizeof kGemmBackends[0])

typedef struct gemm_case {
  size_t shape;
  repconv_backend backend;
  int threads;
} gemm_case;

static gemm_case g_gemm_cases[NUM_GEMM_SHAPES * NUM_GEMM_BACKENDS * NUM_THREADS];
static repconv_model_t* g_gemm_models[NUM_GEMM_SHAPES];

static int gemm_out(int in, const gemm_shape* s) { return (in + 2 * s->pad - s->k) / s->stride + 1; }

static int64_t gemm_flops(const gemm_shape* s) {
  if (s->k == 0) return 2LL * s->cin * s->cout;
  const int64_t oh = gemm_out(s->h, s), ow = gemm_out(s->w, s);
  return 2LL * oh * ow * s->cin * s->cout * s->k * s->k;
}

static repconv_status build_gemm_layer(const gemm_shape* s, repconv_model_t** out) {
  repconv_builder_t* b = NULL;
  repconv_options_t* opts = NULL;
  const int k2 = s->k ? s->k * s->k : 1;
  const size_t nw = (size_t)s->cin * (size_t)s->cout * (size_t)k2;
  float* w = malloc(nw * sizeof *w);
  float* bias = malloc((size_t)s->cout * sizeof *bias);
  repconv_status st = w && bias ? repconv_builder_create(&b) : REPCONV_ERROR_OUT_OF_MEMORY;
  repconv_id x = 0, y = 0;
  if (st == REPCONV_OK) {
    rcb_fill_uniform(w, nw, 17, sqrtf(3.0f / (float)(k2 * s->cin)));
    rcb_fill_uniform(bias, (size_t)s->cout, 18, 0.1f);
    if (s->k == 0) {
      const int64_t dims[2] = {1, s->cin};
      st = repconv_builder_input(b, "input", 2, dims, &x);
      if (st == REPCONV_OK) st = repconv_builder_gemm(b, "fc", x, s->cout, w, bias, 1.0f, 1.0f, &y);
    } else {
      const int64_t dims[4] = {1, s->cin, s->h, s->w};
      repconv_conv2d_desc_t d = {.out_channels = s->cout,
                                 .kernel_h = s->k,
                                 .kernel_w = s->k,
                                 .stride_h = s->stride,
                                 .stride_w = s->stride,
                                 .pad_top = s->pad,
                                 .pad_left = s->pad,
                                 .pad_bottom = s->pad,
                                 .pad_right = s->pad};
      st = repconv_builder_input(b, "input", 4, dims, &x);
      if (st == REPCONV_OK) st = repconv_builder_conv2d(b, "conv", x, &d, w, bias, &y);
      if (st == REPCONV_OK) st = repconv_builder_activation(b, "relu", REPCONV_RELU, y, 0, 0, &y);
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

static void run_gemm_layer(rcb_state* state, const void* arg) {
  const gemm_case* c = (const gemm_case*)arg;
  const gemm_shape* s = &kGemmShapes[c->shape];
  if (!g_gemm_models[c->shape]) {
    repconv_status st = build_gemm_layer(s, &g_gemm_models[c->shape]);
    if (st != REPCONV_OK) {
      rcb_skip_with_error(state, repconv_last_error());
      return;
    }
  }
  rcb_time_model(state, g_gemm_models[c->shape], c->threads, c->backend, gemm_flops(s));
}

void rcb_register_gemm_cases(void) {
  size_t n = 0;
  char name[128];
  for (size_t i = 0; i < NUM_GEMM_SHAPES; ++i) {
    for (size_t t = 0; t < NUM_THREADS; ++t) {
      for (size_t b = 0; b < NUM_GEMM_BACKENDS; ++b) { /* xnnpack, gemm, ...: side by side in the output */
        const int s2 = kGemmShapes[i].k == 3 && kGemmShapes[i].stride == 2;
        if (!s2 && (kGemmBackends[b] == REPCONV_BACKEND_WINOGRAD || kGemmBackends[b] == REPCONV_BACKEND_AUTO)) continue;
        gemm_case* c = &g_gemm_cases[n++];
        c->shape = i;
        c->backend = kGemmBackends[b];
        c->threads = kThreads[t];
        snprintf(name, sizeof name, "gemm/%s/%s/threads:%d", kGemmShapes[i].name, rcb_backend_name(c->backend),
                 c->threads);
        rcb_register(name, run_gemm_layer, c);
      }
    }
  }
}

void rcb_free_gemm_cases(void) {
  for (size_t i = 0; i < NUM_GEMM_SHAPES; ++i) {
    repconv_model_destroy(g_gemm_models[i]);
    g_gemm_models[i] = NULL;
  }
}

/* Load-time autotuning (repconv_options_set_autotune): times one kernel
 * candidate on a layer's real shape, so the planner can pick by measurement
 * instead of by rule. Each timing: one warm-up run, then the best of reps,
 * on the caller's thread, on a deterministic input; the layer's real weights
 * (values do not change the time). Planning code only; no state. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "runtime/plan/autotune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/gemm/gemm.h"
#include "kernels/winograd/wino.h"
#include "kernels/xnnpack/xnn.h"
#include "runtime/eval/eval.h"
#include "runtime/plan/lower.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* The layer's input and output, allocated for a timing (x with XNNPACK's
 * over-read margin), or 0 when out of memory. */
typedef struct io_bufs {
  float *x, *y;
} io_bufs;

static int io_alloc(const rc_graph* g, const rc_node* n, io_bufs* b) {
  const size_t nx = (size_t)rc_shape_numel(&g->tensors[n->inputs[0]].shape);
  const size_t ny = (size_t)rc_shape_numel(&g->tensors[n->output].shape);
  b->x = malloc(nx * sizeof(float) + RC_XNN_EXTRA_BYTES + sizeof(float));
  b->y = malloc((ny ? ny : 1) * sizeof(float));
  if (!b->x || !b->y) return 0;
  for (size_t i = 0; i < nx; i++) b->x[i] = (float)((i * 2654435761u) % 2001u) * 1e-3f - 1.0f;
  return 1;
}

static void io_free(io_bufs* b) {
  free(b->x);
  free(b->y);
}

typedef void (*run_fn)(void* ctx);

static double best_of(run_fn run, void* ctx, int reps) {
  double best = -1.0;
  for (int r = 0; r <= reps; r++) { /* run 0 warms caches and pages */
    const double t0 = now_ms();
    run(ctx);
    const double t = now_ms() - t0;
    if (r > 0 && (best < 0 || t < best)) best = t;
  }
  return best;
}

/* ------------------------------------------------------------ Winograd */

typedef struct wino_ctx {
  rc_wino_conv_params p;
  const float *x, *u;
  float* y;
  void* ws;
} wino_ctx;

static void wino_run(void* c) {
  wino_ctx* w = c;
  rc_wino_conv2d_nhwc(&w->p, w->x, w->u, NULL, w->y, w->ws, NULL);
}

double rc_autotune_wino_ms(const rc_graph* g, const rc_node* n, int variant, int reps) {
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  const rc_wino_variant v = (rc_wino_variant)variant;
  const size_t cin = (size_t)xs->d[1], cout = (size_t)ys->d[1];
  io_bufs b = {NULL, NULL};
  wino_ctx c;
  memset(&c, 0, sizeof c);
  float* u = malloc(rc_wino_filter_size(v, cout, cin) * sizeof(float));
  void* ws = malloc(rc_wino_workspace_size(v, cin, cout, (size_t)ys->d[3], 0, 0));
  double ms = -1.0;
  if (io_alloc(g, n, &b) && u && ws) {
    rc_wino_filter_transform(v, cout, cin, g->tensors[n->inputs[1]].data, u);
    c.p = rc_lower_wino_params(g, n, variant);
    c.x = b.x;
    c.u = u;
    c.y = b.y;
    c.ws = ws;
    ms = best_of(wino_run, &c, reps);
  }
  io_free(&b);
  free(u);
  free(ws);
  return ms;
}

/* ------------------------------------------------------------ GEMM */

typedef struct gemm_ctx {
  rc_gemm_conv_params p;
  const float *x, *w;
  float* y;
  void* ws;
} gemm_ctx;

static void gemm_run(void* c) {
  gemm_ctx* k = c;
  rc_gemm_conv2d_nhwc(&k->p, k->x, k->w, NULL, NULL, k->y, k->ws, NULL);
}

double rc_autotune_gemm_ms(const rc_graph* g, const rc_node* n, int reps) {
  gemm_ctx c;
  memset(&c, 0, sizeof c);
  c.p = rc_lower_gemm_params(g, n);
  io_bufs b = {NULL, NULL};
  float* w = malloc(rc_gemm_packed_size(&c.p) * sizeof(float));
  const size_t wsb = rc_gemm_workspace_size(&c.p);
  void* ws = wsb ? malloc(wsb) : NULL;
  double ms = -1.0;
  if (io_alloc(g, n, &b) && w && (ws || !wsb)) {
    rc_gemm_pack_weights(&c.p, g->tensors[n->inputs[1]].data, NULL, w);
    c.x = b.x;
    c.w = w;
    c.y = b.y;
    c.ws = ws;
    ms = best_of(gemm_run, &c, reps);
  }
  io_free(&b);
  free(w);
  free(ws);
  return ms;
}

/* ------------------------------------------------------------ XNNPACK */

typedef struct xnn_ctx {
  xnn_operator_t op, prelu;
} xnn_ctx;

static void xnn_run(void* c) {
  xnn_ctx* k = c;
  (void)rc_xnn_run(k->op, NULL);
  if (k->prelu) (void)rc_xnn_run(k->prelu, NULL);
}

double rc_autotune_xnn_ms(const rc_graph* g, const rc_node* n, const rc_node* prelu, int reps) {
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  const float* w = g->tensors[n->inputs[1]].data;
  const float* bias = n->n_inputs > 2 && n->inputs[2] >= 0 ? g->tensors[n->inputs[2]].data : NULL;
  io_bufs b = {NULL, NULL};
  double ms = -1.0;
  if (rc_xnn_init() != REPCONV_OK || !io_alloc(g, n, &b)) {
    io_free(&b);
    return ms;
  }
  xnn_ctx c = {NULL, NULL};
  rc_status s;
  if (n->op == RC_OP_CONV2D) {
    const rc_conv2d_params cp = rc_eval_conv_params(g, n);
    s = rc_xnn_conv2d_create(&cp, n->a.pad[2], n->a.pad[3], w, bias, 0, -INFINITY, INFINITY, b.x, b.y, NULL, &c.op);
  } else {
    s = rc_xnn_fully_connected_create((size_t)xs->d[0], (size_t)xs->d[1], (size_t)ys->d[1], w, bias, -INFINITY,
                                      INFINITY, b.x, b.y, NULL, &c.op);
  }
  float* y2 = NULL;
  if (s == REPCONV_OK && prelu) { /* in place would do for the time, but XNNPACK may not allow it: a copy */
    const size_t ny = (size_t)rc_shape_numel(ys), ch = (size_t)ys->d[1];
    const rc_tensor* sl = &g->tensors[prelu->inputs[1]];
    y2 = malloc((ny ? ny : 1) * sizeof(float));
    s = y2 ? rc_xnn_prelu_create(ny / (ch ? ch : 1), ch, sl->data, (size_t)rc_shape_numel(&sl->shape), b.y, y2, NULL,
                                 &c.prelu)
           : REPCONV_ERROR_OUT_OF_MEMORY;
  }
  if (s == REPCONV_OK) ms = best_of(xnn_run, &c, reps);
  rc_xnn_delete(c.op);
  rc_xnn_delete(c.prelu);
  free(y2);
  io_free(&b);
  return ms;
}

/* Winograd chains at the kernel level (kernels/winograd/wino.h): the body of
 * a super-resolution net (ECBSR-M4C16 x2 on a 540x960 Y frame: a 1→16 conv,
 * four 16→16, a 16→4 conv plus the input and a pixel shuffle; PReLU after
 * all but the last; all F(4,3)) run as one chain, whose activations never
 * leave the per-thread rings, and layer by layer through whole NHWC tensors
 * (what the session does for a layer that is not chained). Same kernels,
 * same tiles, bitwise the same output (tests/test_wino_chain.c): the ratio
 * is what keeping the activations in cache buys. No layout copies: NHWC in,
 * NHWC out. GFLOPS = 2·H·W·Σ(9·Cin·Cout) / time. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench/bench_util.h"
#include "kernels/winograd/wino.h"

#define CHAIN_N 6
static const int kC[CHAIN_N + 1] = {1, 16, 16, 16, 16, 16, 4};
enum { H = 540, W = 960 };

typedef struct chain_case {
  int chained, threads;
} chain_case;

static chain_case g_cases[4];

typedef struct chain_data {
  rc_wino_chain_layer l[CHAIN_N];
  float *x, *y, *act[2], *u[CHAIN_N], *b[CHAIN_N], *slopes[CHAIN_N];
  size_t layer_ws; /* the largest one-layer workspace slice */
} chain_data;

static chain_data* g_data;

static chain_data* make_data(void) {
  chain_data* d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->x = malloc((size_t)H * W * sizeof(float));
  d->y = malloc((size_t)H * W * 4 * sizeof(float));
  d->act[0] = malloc((size_t)H * W * 16 * sizeof(float));
  d->act[1] = malloc((size_t)H * W * 16 * sizeof(float));
  if (!d->x || !d->y || !d->act[0] || !d->act[1]) return NULL;
  rcb_fill_uniform(d->x, (size_t)H * W, 1, 1.0f);
  for (int k = 0; k < CHAIN_N; k++) {
    const size_t ci = (size_t)kC[k], co = (size_t)kC[k + 1];
    float* w = malloc(co * ci * 9 * sizeof(float));
    d->u[k] = malloc(rc_wino_filter_size(RC_WINO_F43, co, ci) * sizeof(float));
    d->b[k] = malloc(co * sizeof(float));
    d->slopes[k] = malloc(co * sizeof(float));
    if (!w || !d->u[k] || !d->b[k] || !d->slopes[k]) return NULL;
    rcb_fill_uniform(w, co * ci * 9, 10 + (uint64_t)k, 0.3f);
    rcb_fill_uniform(d->b[k], co, 20 + (uint64_t)k, 0.1f);
    rcb_fill_uniform(d->slopes[k], co, 30 + (uint64_t)k, 0.25f);
    rc_wino_filter_transform(RC_WINO_F43, co, ci, w, d->u[k]);
    free(w);
    rc_wino_conv_params* p = &d->l[k].p;
    p->variant = RC_WINO_F43;
    p->isa = RC_WINO_ISA_AUTO;
    p->batch = 1;
    p->in_h = p->out_h = H;
    p->in_w = p->out_w = W;
    p->in_c = (int32_t)ci;
    p->out_c = (int32_t)co;
    p->pad_top = p->pad_left = 1;
    p->activation = k + 1 < CHAIN_N ? RC_WINO_ACT_PRELU : RC_WINO_ACT_NONE;
    p->prelu_slopes = d->slopes[k];
    d->l[k].u = d->u[k];
    d->l[k].bias = d->b[k];
    const size_t ws = rc_wino_workspace_size(RC_WINO_F43, ci, co, W, 0, 0);
    if (ws > d->layer_ws) d->layer_ws = ws;
  }
  d->l[CHAIN_N - 1].p.residual = d->x;
  d->l[CHAIN_N - 1].p.residual_c = 1;
  d->l[CHAIN_N - 1].p.shuffle = 2;
  d->l[CHAIN_N - 1].p.shuffle_crd = 1;
  return d;
}

static void free_data(chain_data* d) {
  if (!d) return;
  free(d->x);
  free(d->y);
  free(d->act[0]);
  free(d->act[1]);
  for (int k = 0; k < CHAIN_N; k++) {
    free(d->u[k]);
    free(d->b[k]);
    free(d->slopes[k]);
  }
  free(d);
}

static int run_once(const chain_data* d, int chained, void* ws, rc_pool* pool) {
  if (chained) return rc_wino_chain_nhwc(d->l, CHAIN_N, d->x, d->y, ws, pool);
  const float* x = d->x;
  for (int k = 0; k < CHAIN_N; k++) {
    float* y = k + 1 == CHAIN_N ? d->y : d->act[k % 2];
    rc_wino_conv2d_nhwc(&d->l[k].p, x, d->l[k].u, d->l[k].bias, y, ws, pool);
    x = y;
  }
  return 0;
}

static void run_chain_case(rcb_state* state, const void* arg) {
  const chain_case* c = arg;
  if (!g_data && !(g_data = make_data())) {
    rcb_skip_with_error(state, "out of memory");
    return;
  }
  rc_pool* pool = c->threads > 1 ? rc_pool_create((size_t)c->threads) : NULL;
  const size_t slice = c->chained ? rc_wino_chain_workspace_size(g_data->l, CHAIN_N) : g_data->layer_ws;
  void* ws = malloc(slice * (size_t)c->threads);
  if (!ws || (c->threads > 1 && !pool) || run_once(g_data, c->chained, ws, pool) != 0) {
    rcb_skip_with_error(state, "cannot run the chain");
  } else {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (rcb_keep_running(state)) run_once(g_data, c->chained, ws, pool);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    double flops = 0;
    for (int k = 0; k < CHAIN_N; k++) flops += 2.0 * H * W * 9.0 * kC[k] * kC[k + 1];
    const double gflops = flops * (double)rcb_iterations(state) / secs * 1e-9;
    rcb_set_counter(state, "GFLOPS", gflops);
    if (rcb_peak(c->threads) > 0) rcb_set_counter(state, "peak%", 100.0 * gflops / rcb_peak(c->threads));
    rcb_set_counter(state, "workspace_MiB", (double)slice * c->threads / (1 << 20));
  }
  free(ws);
  if (pool) rc_pool_destroy(pool);
}

void rcb_register_chain_cases(void) {
  char name[96];
  size_t n = 0;
  for (int t = 1; t <= 2; t++)
    for (int chained = 0; chained < 2; chained++) {
      chain_case* c = &g_cases[n++];
      c->chained = chained;
      c->threads = t;
      snprintf(name, sizeof name, "wino_chain/ecbsr_body_%dx%d/%s/threads:%d", H, W, chained ? "chain" : "layers", t);
      rcb_register(name, run_chain_case, c);
    }
}

void rcb_free_chain_cases(void) {
  free_data(g_data);
  g_data = NULL;
}

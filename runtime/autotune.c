/* Load-time autotuning (repconv_options_set_autotune): times a kernel
 * candidate once on a layer's real shape, so the planner can pick by
 * measurement instead of by rule. Planning code only; no state. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "autotune.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/winograd/wino.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

double rc_autotune_wino_ms(const rc_graph* g, const rc_node* n, int variant, int reps) {
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  const rc_wino_variant v = (rc_wino_variant)variant;
  const size_t cin = (size_t)xs->d[1], cout = (size_t)ys->d[1];
  const size_t nx = (size_t)rc_shape_numel(xs), ny = (size_t)rc_shape_numel(ys);
  const size_t ws_bytes = rc_wino_workspace_size(v, cin, cout, (size_t)ys->d[3], 0);
  float* x = calloc(nx ? nx : 1, sizeof(float));
  float* y = malloc((ny ? ny : 1) * sizeof(float));
  float* u = malloc(rc_wino_filter_size(v, cout, cin) * sizeof(float));
  void* ws = malloc(ws_bytes);
  double best = -1.0;
  if (x && y && u && ws) {
    /* The weights only set the values, not the time: the real ones. */
    rc_wino_filter_transform(v, cout, cin, g->tensors[n->inputs[1]].data, u);
    for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 2654435761u) % 2001u) * 1e-3f - 1.0f;
    rc_wino_conv_params p;
    memset(&p, 0, sizeof p);
    p.variant = v;
    p.isa = RC_WINO_ISA_AUTO;
    p.batch = (int32_t)xs->d[0];
    p.in_h = (int32_t)xs->d[2];
    p.in_w = (int32_t)xs->d[3];
    p.in_c = (int32_t)cin;
    p.out_h = (int32_t)ys->d[2];
    p.out_w = (int32_t)ys->d[3];
    p.out_c = (int32_t)cout;
    p.pad_top = n->a.pad[0];
    p.pad_left = n->a.pad[1];
    for (int r = 0; r <= reps; r++) { /* run 0 warms the caches and pages */
      const double t0 = now_ms();
      rc_wino_conv2d_nhwc(&p, x, u, NULL, y, ws, NULL);
      const double t = now_ms() - t0;
      if (r > 0 && (best < 0 || t < best)) best = t;
    }
  }
  free(x);
  free(y);
  free(u);
  free(ws);
  return best;
}

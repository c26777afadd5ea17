/* Kernel-level timer (a bench program, not a test): single-layer speed of
 * the GEMM conv kernels next to XNNPACK on the same layer, interleaved in
 * one process (medians), in effective GFLOP/s (2·pixels·K·Cout / time) and as
 * a fraction of the FMA peak measured by bench/peak.h. Built as
 * build/bench/repconv_gemm_time (x86-64).
 *
 *   build/bench/repconv_gemm_time [reps]
 * Environment: GEMM_THREADS=N, GEMM_LAYER=i, GEMM_UK=0..6 (rc_gemm_ukernel,
 * the lines of kernels/gemm/gemm_ukernels.inc), GEMM_DIRECT=1|-1 (the direct
 * path whenever it can | never; default: rc_gemm_direct_used's choice). %peak is of the measured
 * peak of the kernel's vector width (ymm or zmm).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/thread/pool.h"

#include "kernels/gemm/gemm.h"
#include "kernels/xnnpack/xnn.h"
#include "bench/peak.h"

/* On 1 thread, this thread's CPU time: the machine is shared, and time spent
 * descheduled is not the kernel's. With threads, wall time. */
static clockid_t g_clock = CLOCK_MONOTONIC;
static double now(void) {
  struct timespec ts;
  clock_gettime(g_clock, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_d(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

typedef struct layer {
  const char* name;
  int h, w, cin, cout, k, s, pad;
} layer;

static const layer k_layers[] = {
    {"a0 stage0 3x3s2 3->48 @224", 224, 224, 3, 48, 3, 2, 1},
    {"a0 stage1.0 3x3s2 48->48 @112", 112, 112, 48, 48, 3, 2, 1},
    {"a0 stage2.0 3x3s2 48->96 @56", 56, 56, 48, 96, 3, 2, 1},
    {"a0 stage3.0 3x3s2 96->192 @28", 28, 28, 96, 192, 3, 2, 1},
    {"a0 stage4.0 3x3s2 192->1280 @14", 14, 14, 192, 1280, 3, 2, 1},
    {"a0 fc 1280->1000 (batch 1)", 1, 1, 1280, 1000, 1, 1, 0},
    {"1x1 256->256 @56", 56, 56, 256, 256, 1, 1, 0},
    {"5x5 64->64 @56 (folded)", 56, 56, 64, 64, 5, 1, 2},
};
#define NUM_LAYERS (sizeof k_layers / sizeof k_layers[0])

int main(int argc, char** argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 30;
  const int threads = getenv("GEMM_THREADS") ? atoi(getenv("GEMM_THREADS")) : 1;
  const int only = getenv("GEMM_LAYER") ? atoi(getenv("GEMM_LAYER")) : -1;
  const int uk = getenv("GEMM_UK") ? atoi(getenv("GEMM_UK")) : 0;
  rc_pool* pool = threads > 1 ? rc_pool_create((size_t)threads) : NULL;
  if (threads == 1) g_clock = CLOCK_THREAD_CPUTIME_ID;
  double peak = 0;
  const int zmm = rc_gemm_ukernel_nr((rc_gemm_ukernel)uk) >= 32;
  if (threads == 1) { /* best of 10 runs of the fma3 probe loop, CPU time */
    for (int r = 0; r < 10; r++) {
      const long iters = 2000000;
      double t0 = now();
      volatile float sink = zmm ? rc_peak_loop__avx512f(iters) : rc_peak_loop__avx2(iters);
      (void)sink;
      double g = iters * (zmm ? rc_peak_flops_per_iter__avx512f : rc_peak_flops_per_iter__avx2) / (now() - t0) * 1e-9;
      if (g > peak) peak = g;
    }
  } else {
    peak = rc_peak_gflops(zmm ? RC_PEAK_AVX512F : RC_PEAK_FMA3, threads, 5, 50.0);
  }
  printf("%s FMA peak %.1f GFLOP/s (%d thread%s); kernel %s\n", zmm ? "zmm" : "ymm", peak, threads,
         threads > 1 ? "s" : "", rc_gemm_ukernel_name(rc_gemm_ukernel_resolve((rc_gemm_ukernel)uk)));
  printf("%-34s %9s %8s %6s | %9s %8s | %s\n", "layer", "gemm ms", "GFLOP/s", "%peak", "xnn ms", "GFLOP/s", "xnn/gemm");
  if (rc_xnn_init() != REPCONV_OK) return 1;
  for (size_t li = 0; li < NUM_LAYERS; li++) {
    if (only >= 0 && (size_t)only != li) continue;
    const layer* L = &k_layers[li];
    layer custom;
    if (getenv("GEMM_SHAPE")) { /* "h w cin cout k s pad": one layer of this shape instead */
      if (li) break;
      custom.name = getenv("GEMM_SHAPE");
      if (sscanf(custom.name, "%d %d %d %d %d %d %d", &custom.h, &custom.w, &custom.cin, &custom.cout, &custom.k,
                 &custom.s, &custom.pad) != 7)
        return 2;
      L = &custom;
    }
    rc_gemm_conv_params p;
    memset(&p, 0, sizeof p);
    p.ukernel = (rc_gemm_ukernel)uk;
    p.batch = 1;
    p.in_h = L->h;
    p.in_w = L->w;
    p.in_c = L->cin;
    p.out_c = L->cout;
    p.kernel_h = p.kernel_w = L->k;
    p.stride_h = p.stride_w = L->s;
    p.dilation_h = p.dilation_w = 1;
    p.pad_top = p.pad_left = L->pad;
    p.out_h = (L->h + 2 * L->pad - L->k) / L->s + 1;
    p.out_w = (L->w + 2 * L->pad - L->k) / L->s + 1;
    p.groups = 1;
    p.activation = RC_GEMM_ACT_CLAMP;
    p.act_min = 0.0f;
    p.act_max = INFINITY;
    p.l1_bytes = getenv("GEMM_L1") ? (size_t)atol(getenv("GEMM_L1")) : 0;
    p.l2_bytes = getenv("GEMM_L2") ? (size_t)atol(getenv("GEMM_L2")) : 0;
    p.direct = getenv("GEMM_DIRECT") ? atoi(getenv("GEMM_DIRECT")) : 0;
    const size_t nx = (size_t)L->h * L->w * L->cin, ny = (size_t)p.out_h * p.out_w * L->cout;
    const size_t nw = (size_t)L->cout * L->cin * L->k * L->k;
    float* x = calloc(nx + 64, sizeof(float));
    float* y = calloc(ny, sizeof(float));
    float* y2 = calloc(ny, sizeof(float));
    float* w = malloc(nw * sizeof(float));
    float* b = malloc((size_t)L->cout * sizeof(float));
    for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < nw; i++) w[i] = (float)((i * 104729) % 1000) / 10000.0f - 0.05f;
    for (int i = 0; i < L->cout; i++) b[i] = 0.01f * (float)(i % 7);
    float* packed = malloc(rc_gemm_packed_size(&p) * sizeof(float));
    float* pb = malloc(rc_gemm_channels_size(&p) * sizeof(float));
    rc_gemm_pack_weights(&p, w, NULL, packed);
    rc_gemm_pack_channels(&p, b, 0, NULL, pb);
    void* ws = malloc(rc_gemm_workspace_size(&p) * (size_t)threads + 64);
    rc_conv2d_params cp = {1,    L->h, L->w, L->cin, p.out_h, p.out_w, L->cout, L->k,
                           L->k, L->s, L->s, 1,      1,       L->pad,  L->pad,  1};
    xnn_operator_t op = NULL;
    rc_status st =
        L->k == 1 && L->h == 1
            ? rc_xnn_fully_connected_create(1, (size_t)L->cin, (size_t)L->cout, w, b, 0.0f, INFINITY, x, y2, pool, &op)
            : rc_xnn_conv2d_create(&cp, L->pad, L->pad, w, b, 0, 0.0f, INFINITY, x, y2, pool, &op);
    if (st != REPCONV_OK) return 1;
    double* tg = malloc((size_t)reps * sizeof(double));
    double* tx = malloc((size_t)reps * sizeof(double));
    rc_gemm_conv2d_nhwc(&p, x, packed, pb, NULL, y, ws, pool);
    rc_xnn_run(op, pool);
    for (int r = 0; r < reps; r++) {
      double t0 = now();
      rc_gemm_conv2d_nhwc(&p, x, packed, pb, NULL, y, ws, pool);
      double t1 = now();
      rc_xnn_run(op, pool);
      double t2 = now();
      tg[r] = t1 - t0;
      tx[r] = t2 - t1;
    }
    double maxd = 0;
    for (size_t i = 0; i < ny; i++) maxd = fmax(maxd, fabs((double)y[i] - (double)y2[i]));
    qsort(tg, (size_t)reps, sizeof(double), cmp_d);
    qsort(tx, (size_t)reps, sizeof(double), cmp_d);
    const double flops = 2.0 * p.out_h * p.out_w * (double)rc_gemm_k(&p) * L->cout;
    const double mg = tg[reps / 2], mx = tx[reps / 2];
    printf("%-34s %9.3f %8.1f %5.0f%% | %9.3f %8.1f | %5.2fx  (max|diff| %.1e)\n", L->name, mg * 1e3, flops / mg * 1e-9,
           100 * flops / mg * 1e-9 / peak, mx * 1e3, flops / mx * 1e-9, mx / mg, maxd);
    rc_xnn_delete(op);
    free(x), free(y), free(y2), free(w), free(b), free(packed), free(pb), free(ws), free(tg), free(tx);
  }
  if (pool) rc_pool_destroy(pool);
  return 0;
}

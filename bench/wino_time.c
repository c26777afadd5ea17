/* Kernel-level timer (a bench program, not a test): single-layer speed of
 * the Winograd kernels on a few 3x3 layers, in effective GFLOP/s
 * (2·H·W·Cin·Cout·9 / time, the direct-conv FLOP count), next to the
 * machine's FMA peak (bench/peak.h), and the AVX2 6x16 tile GEMM alone with
 * its operands in L1. Built as build/bench/repconv_wino_time.
 *
 *   build/bench/repconv_wino_time [reps]
 * Environment: WINO_ISA=scalar|avx2|avx512f|neon, WINO_LAYER=0..9 (the
 * layers[] below) or WINO_SHAPE=cin,cout,h,w (one layer of any shape, the
 * GEMM timing skipped), WINO_VARIANT=0..4, WINO_THREADS=N, WINO_L2=bytes
 * (blocking target), WINO_COPIES=N: cycle through N copies of the weights,
 * as a stage of N such layers does (U then comes from L3 or DRAM, not L2),
 * WINO_HALF=1: U as binary16 halves (the params' u_half, --weights fp16).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/thread/pool.h"

#include "bench/peak.h"
#include "kernels/common/convert.h"
#include "kernels/gemm/gemm_ukernels.h"
#include "kernels/winograd/wino.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_d(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* The 1-thread FMA peak of the widest vectors (bench/peak.h): the CPU time
 * of the best of 5 runs of the probe loop. */
static double fma_peak_gflops(void) {
  const rc_peak_isa isa = rc_peak_best_isa();
  return rc_peak_gflops(isa, 1, 5, 50.0);
}

/* The AVX2 GEMM micro-kernel alone, operands in L1: `tiles` rows of A
 * (kc floats each) against one packed 16-wide panel, as the driver calls it. */
static void time_gemm(size_t kc, size_t tiles, double peak) {
#if RC_ARCH_X86_64
  if (!rc_wino_isa_available(RC_WINO_ISA_AVX2)) return;
  float* a = calloc(tiles * kc, sizeof(float));
  float* wp = calloc(kc * 16, sizeof(float));
  float* c = calloc(tiles * 16, sizeof(float));
  const long reps = (long)(4e9 / (2.0 * tiles * kc * 16));
  double best = 1e30;
  for (int r = 0; r < 5; r++) {
    const double t0 = now();
    for (long i = 0; i < reps; i++)
      for (size_t t = 0; t < tiles; t += 6)
        rc_gemm_tile_6x16__avx2(tiles - t < 6 ? tiles - t : 6, kc, a + t * kc, kc, wp, c + t * 16, 16, NULL, 0);
    const double dt = now() - t0;
    if (dt < best) best = dt;
  }
  const double gf = 2.0 * tiles * kc * 16 * reps / best * 1e-9;
  printf("  gemm_tile_6x16__avx2, kc=%zu, %zu tiles (L1): %.1f GFLOP/s = %.2f of peak\n", kc, tiles, gf, gf / peak);
  free(a);
  free(wp);
  free(c);
#endif
}

static void time_layer(int c_in, int c_out, int h, int w, rc_wino_variant v, rc_wino_isa isa, int reps, rc_pool* pool,
                       double peak) {
  /* stride 2: the output of a 3x3 conv padded by 1 */
  const int s = rc_wino_stride(v), oh = (h - 1) / s + 1, ow = (w - 1) / s + 1;
  const size_t nx = (size_t)h * w * c_in, ny = (size_t)oh * ow * c_out;
  float* x = malloc(nx * sizeof(float));
  float* y = malloc(ny * sizeof(float));
  float* wt = malloc((size_t)c_out * c_in * 9 * sizeof(float));
  for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  for (size_t i = 0; i < (size_t)c_out * c_in * 9; i++) wt[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
  const char* cp = getenv("WINO_COPIES");
  const int copies = cp && atoi(cp) > 1 ? atoi(cp) : 1;
  const size_t un = rc_wino_filter_size(v, c_out, c_in);
  float* u = malloc(un * copies * sizeof(float));
  rc_wino_filter_transform(v, c_out, c_in, wt, u);
  for (int k = 1; k < copies; k++) memcpy(u + k * un, u, un * sizeof(float));
  const char* he = getenv("WINO_HALF");
  uint16_t* uh = NULL;
  if (he && atoi(he)) {
    uh = malloc(un * copies * sizeof(uint16_t));
    for (size_t i = 0; i < un * copies; i++) uh[i] = rc_f32_to_f16(u[i]);
  }
  rc_wino_conv_params p;
  memset(&p, 0, sizeof p);
  p.variant = v;
  p.isa = isa;
  p.batch = 1;
  p.in_h = h;
  p.in_w = w;
  p.in_c = c_in;
  p.out_h = oh;
  p.out_w = ow;
  p.out_c = c_out;
  p.pad_top = 1;
  p.pad_left = 1;
  p.activation = RC_WINO_ACT_RELU;
  const char* l2env = getenv("WINO_L2");
  p.l2_bytes = l2env ? (size_t)atol(l2env) : 0;
  /* one slice per pool thread (wino.h) */
  p.u_half = uh;
  const size_t ws_size = rc_wino_workspace_size(v, c_in, c_out, ow, p.l2_bytes, uh != NULL);
  void* ws = malloc(ws_size * rc_pool_threads(pool));
  double* t = malloc(reps * sizeof(double));
  rc_wino_conv2d_nhwc(&p, x, u, NULL, y, ws, pool); /* warm-up */
  for (int r = 0; r < reps; r++) {
    const float* ur = u + (size_t)(r % copies) * un;
    if (uh) p.u_half = uh + (size_t)(r % copies) * un;
    const double t0 = now();
    rc_wino_conv2d_nhwc(&p, x, ur, NULL, y, ws, pool);
    t[r] = now() - t0;
  }
  qsort(t, reps, sizeof(double), cmp_d);
  const double med = t[reps / 2];
  const double gf = 2.0 * oh * ow * c_in * c_out * 9 / med * 1e-9;
  printf("  C%d->%d %dx%d  %-7s %-6s%s  %8.3f ms  %7.1f GFLOP/s eff  (%.2fx peak)  block %zu tiles, ws %zu KiB\n", c_in,
         c_out, h, w, rc_wino_variant_name(v), rc_wino_isa_name(isa), uh ? " fp16" : "", med * 1e3, gf, gf / peak,
         rc_wino_block_tiles(v, c_in, c_out, ow, p.l2_bytes), ws_size >> 10);
  free(t);
  free(ws);
  free(uh);
  free(u);
  free(wt);
  free(x);
  free(y);
}

int main(int argc, char** argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 21;
  const char* th = getenv("WINO_THREADS");
  rc_pool* pool = th && atoi(th) > 1 ? rc_pool_create(atoi(th)) : NULL;
  const char* only = getenv("WINO_ISA"); /* an ISA name: rc_wino_isa_name */
  const double peak = fma_peak_gflops();
  printf("FMA peak (%s, 1 thread): %.1f GFLOP/s; L2 for blocking %zu KiB\n", rc_peak_isa_name(rc_peak_best_isa()), peak,
         rc_wino_default_l2_bytes() >> 10);
  if (!getenv("WINO_LAYER") && !getenv("WINO_SHAPE")) { /* all layers: the tile GEMM alone first */
    time_gemm(64, 6, peak);
    time_gemm(64, 30, peak);
    time_gemm(128, 6, peak);
    time_gemm(16, 30, peak);
  }
  /* Cin, Cout, input height and width; the stride-2 variants (WINO_VARIANT=3, 4) halve the output. The last three:
   * RepVGG-A0's stride-2 stage1.0, stage2.0 and stage3.0. */
  static const int layers[][4] = {{64, 64, 56, 56}, {128, 128, 28, 28}, {16, 16, 540, 960}, {192, 192, 14, 14},
                                  {96, 96, 28, 28}, {48, 48, 56, 56},   {512, 512, 7, 7},   {48, 48, 112, 112},
                                  {48, 96, 56, 56}, {96, 192, 28, 28}};
  const char* lay = getenv("WINO_LAYER");   /* an index of layers[]: one layer only */
  const char* var = getenv("WINO_VARIANT"); /* an rc_wino_variant: one variant only */
  int shape[1][4];                          /* WINO_SHAPE: "cin,cout,h,w", that layer only */
  const char* sh = getenv("WINO_SHAPE");
  const int custom = sh && sscanf(sh, "%d,%d,%d,%d", &shape[0][0], &shape[0][1], &shape[0][2], &shape[0][3]) == 4;
  const int(*list)[4] = custom ? (const int(*)[4])shape : layers;
  const int n = custom ? 1 : (int)(sizeof layers / sizeof layers[0]);
  for (int l = 0; l < n; l++) {
    if (!custom && lay && atoi(lay) != l) continue;
    for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++)
      for (int i = RC_WINO_ISA_SCALAR; i < RC_WINO_ISA_COUNT; i++) {
        if (!rc_wino_isa_available((rc_wino_isa)i)) continue;
        if (var && atoi(var) != v) continue;
        if (only && strcmp(only, rc_wino_isa_name((rc_wino_isa)i))) continue;
        const int r = i == RC_WINO_ISA_SCALAR ? (reps + 4) / 5 : reps;
        time_layer(list[l][0], list[l][1], list[l][2], list[l][3], (rc_wino_variant)v, (rc_wino_isa)i, r, pool, peak);
      }
  }
  if (pool) rc_pool_destroy(pool);
  return 0;
}

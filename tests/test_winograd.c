/* Tests of the Winograd kernels (kernels/winograd/): every variant × ISA
 * against a float64 direct convolution written here, over a sweep of
 * channels, shapes, paddings, batch, bias and activations; bands forced
 * small with a tiny L2 parameter; results independent of block size and
 * thread count; each SIMD ISA (AVX2 on x86-64, NEON on AArch64, run under
 * qemu-user in CI) close to scalar; workspace independent of height. Per
 * micro-kernel tests are in test_wino_ukernels.c.
 *
 * Error measure. For each output element the oracle gives the sum S with
 * double accumulation and mag = |bias| + Σ|x·w|, the sum of the absolute
 * values of its terms (what floating-point summation bounds scale with; a
 * bound relative to |S| would break on outputs near zero). A Winograd tile
 * mixes its whole α×α input window into each of its m×m outputs, so its
 * rounding noise scales with the tile, not the pixel: a border pixel whose
 * taps all fall in the padding (exact 0) still gets its neighbours' noise.
 * So each element's error is divided by the largest mag over the real
 * output pixels of its tile (same image and channel): err / tile-mag. The
 * activation is applied to S in double; all activations used are
 * 1-Lipschitz (PReLU slopes in [−1, 1]) so they do not grow the error.
 *
 * Tolerances (max err / tile-mag over all elements of all cases). As a
 * yardstick the test also measures a plain fp32 direct conv (float sums of
 * ≤ 9·256 terms in order) on the same cases, and the relative RMS error
 * ‖err‖₂/‖S‖₂ on the cases with ≥ 64 input channels, the measure of the
 * published figures (see /work/shared/reference/winograd.md §5). Measured
 * here (printed by test_summary), scalar / SIMD: the scalar kernels apply
 * the matrices as written, the SIMD ones factor each 1-D transform
 * (wino_transform.h), AVX2 and AVX-512F alike to 3 digits:
 *              max err/tile-mag   RMS, C ≥ 64 (× direct fp32)
 *   direct     2.5e-7             6.9e-7
 *   F(2,3)     1.8e-7 / 1.5e-7    4.1e-7 (0.6×)   coefficients 0, ±1, ±½:
 *                                 each output sums C·16 products, fewer than
 *                                 direct's 9C, through exact ±1 transforms.
 *   F(4,3)     4.9e-7 / 3.8e-7    1.3e-6 (1.8×)   √2 points: transform
 *                                 entries up to 5/2 and 2√2 amplify rounding
 *                                 (published ≈ 1.7× at C = 256).
 *   F(6,3)     2.8e-6 / 3.4e-6    5.0e-6 (7.3×)   Aᵀ entries up to 32, Bᵀ to
 *                                 21/4 (published 4–10× direct).
 *   F(2,3) s2  1.3e-7 / 1.3e-7    4.4e-7 (0.6×)   stride 2 (the cases with
 *                                 stride 2): transforms of 0 and ±1 only,
 *                                 each output 9C products as direct's, in
 *                                 another order.
 *   F(4,3) s2  7.2e-7 / 5.2e-7    1.1e-6 (1.6×)   F(4,2) on the even phase,
 *                                 points 0, ±1, ½: entries up to 3/2 and 8/3.
 * The max ratio to direct is larger than the RMS ratio (up to 22× for
 * F(6,3)) because the small-channel cases, where direct fp32 is nearly exact,
 * dominate the max. Bounds: F(2,3) and F(2,3) s2 1e-6, F(4,3) and F(4,3) s2
 * 4e-6, F(6,3) 2e-5, i.e. 4–8× above the measured maxima (which earlier
 * sweeps put at up to 1.0e-6 and 5.8e-6 for F(4,3) and F(6,3); 1.6e-7 for
 * F(2,3)), and 4–5 orders of magnitude below what
 * a wrong tile, a wrong pad or a wrong channel gives (errors ~ 1·mag). The
 * SIMD − scalar difference (FMA contraction and the factored transforms)
 * is held to the same bounds.
 *
 * The whole sweep runs under qemu-user too (about 16 s for scalar + NEON on
 * the CI machine), so there is no reduced mode. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "kernels/thread/pool.h"

#include "kernels/common/convert.h"
#include "kernels/winograd/wino.h"
#include "kernels/winograd/wino_run.h"      /* rc_wino_u_nta */
#include "kernels/winograd/wino_ukernels.h" /* RC_WINO_GEMM_MR_MAX */
#include "tests/support/test_util.h"

/* Bounds on max err/mag per variant (the header comment says why), also
 * on |simd − scalar| / mag (AVX2, NEON: both within them of the oracle, they
 * differ by FMA contraction and the factored transforms). */
static const double k_tol[RC_WINO_VARIANT_COUNT] = {1e-6, 4e-6, 2e-5, 1e-6, 4e-6};

/* Every ISA the library knows (the lines of
 * kernels/winograd/wino_transform_ukernels.inc); those this CPU (or build)
 * lacks are skipped. Index 0 is the scalar reference the others are compared
 * with. */
static const rc_wino_isa k_isas[] = {
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa) RC_WINO_ISA_##ISA,
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS
};
#define NUM_ISAS (RC_WINO_ISA_COUNT - 1)

/* Worst err/mag seen per variant × ISA, and for the fp32 direct yardstick. */
static double g_max_err[RC_WINO_VARIANT_COUNT][NUM_ISAS];
static double g_max_isa_diff[RC_WINO_VARIANT_COUNT];
static double g_max_direct;
static size_t g_cases;
/* Relative RMS error ‖err‖₂/‖want‖₂ over the cases with in_c ≥ 64 (the
 * measure of the published figures): sums of squares. */
static double g_wide_err2[RC_WINO_VARIANT_COUNT][NUM_ISAS], g_wide_direct2[RC_WINO_VARIANT_COUNT],
    g_wide_want2[RC_WINO_VARIANT_COUNT];

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

typedef struct conv_case {
  int batch, h, w, cin, cout;
  int pt, pl, pb, pr;
  int bias;
  rc_wino_activation act;
  size_t l2;  /* 0: default */
  int stride; /* 0 or 1: 1; 2: the stride-2 variant */
} conv_case;

static int stride_of(const conv_case* c) { return c->stride > 1 ? c->stride : 1; }
static int out_size(const conv_case* c, int in, int pads) {
  return in + pads < 3 ? 0 : (in + pads - 3) / stride_of(c) + 1;
}
static int out_h(const conv_case* c) { return out_size(c, c->h, c->pt + c->pb); }
static int out_w(const conv_case* c) { return out_size(c, c->w, c->pl + c->pr); }
/* The variants that compute the case: those of its stride. */
static int runs_variant(const conv_case* c, int v) { return rc_wino_stride((rc_wino_variant)v) == stride_of(c); }

typedef struct case_data {
  float *x, *w, *b, *slopes;
  double *want, *mag;
  float* direct; /* fp32 direct conv, the yardstick */
  size_t ny;
  float clip_min, clip_max;
} case_data;

static double act_d(const conv_case* c, const case_data* d, int co, double v) {
  switch (c->act) {
    case RC_WINO_ACT_NONE: return v;
    case RC_WINO_ACT_RELU: return v < 0 ? 0 : v;
    case RC_WINO_ACT_CLIP: return v < d->clip_min ? d->clip_min : (v > d->clip_max ? d->clip_max : v);
    case RC_WINO_ACT_PRELU: return v < 0 ? d->slopes[co] * v : v;
  }
  return v;
}

/* Inputs from a fixed seed; the float64 direct conv (NHWC x, OIHW w) with
 * the magnitude of its terms, and a float32 direct conv. */
static void make_case(const conv_case* c, uint64_t seed, case_data* d) {
  rc_test_rng rng;
  rc_test_rng_seed(&rng, seed);
  const int oh = out_h(c), ow = out_w(c);
  const size_t nx = (size_t)c->batch * c->h * c->w * c->cin, nw = (size_t)c->cout * c->cin * 9;
  d->ny = (size_t)c->batch * oh * ow * c->cout;
  d->x = xmalloc(nx * sizeof(float));
  d->w = xmalloc(nw * sizeof(float));
  d->b = xmalloc((size_t)c->cout * sizeof(float));
  d->slopes = xmalloc((size_t)c->cout * sizeof(float));
  d->want = xmalloc(d->ny * sizeof(double));
  d->mag = xmalloc(d->ny * sizeof(double));
  d->direct = xmalloc(d->ny * sizeof(float));
  rc_test_fill_uniform(&rng, d->x, nx, -1.0f, 1.0f);
  rc_test_fill_uniform(&rng, d->w, nw, -1.0f, 1.0f);
  rc_test_fill_uniform(&rng, d->b, (size_t)c->cout, -1.0f, 1.0f);
  rc_test_fill_uniform(&rng, d->slopes, (size_t)c->cout, -1.0f, 1.0f);
  d->clip_min = -0.25f * sqrtf((float)(9 * c->cin));
  d->clip_max = 0.3f * sqrtf((float)(9 * c->cin));
  for (int n = 0; n < c->batch; n++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        for (int co = 0; co < c->cout; co++) {
          double s = c->bias ? d->b[co] : 0.0, m = fabs(s);
          float sf = c->bias ? d->b[co] : 0.0f;
          for (int ky = 0; ky < 3; ky++) {
            const int iy = oy * stride_of(c) + ky - c->pt;
            if (iy < 0 || iy >= c->h) continue;
            for (int kx = 0; kx < 3; kx++) {
              const int ix = ox * stride_of(c) + kx - c->pl;
              if (ix < 0 || ix >= c->w) continue;
              for (int ci = 0; ci < c->cin; ci++) {
                const float xv = d->x[(((size_t)n * c->h + iy) * c->w + ix) * c->cin + ci];
                const float wv = d->w[(((size_t)co * c->cin + ci) * 3 + ky) * 3 + kx];
                const double t = (double)xv * wv;
                s += t;
                m += fabs(t);
                sf += xv * wv;
              }
            }
          }
          const size_t i = (((size_t)n * oh + oy) * ow + ox) * c->cout + co;
          d->want[i] = act_d(c, d, co, s);
          d->mag[i] = m > 0 ? m : 1e-30;
          d->direct[i] = (float)act_d(c, d, co, sf);
        }
}

static void free_case(case_data* d) {
  free(d->x);
  free(d->w);
  free(d->b);
  free(d->slopes);
  free(d->want);
  free(d->mag);
  free(d->direct);
}

/* A run's options: fused residual/shuffle, U as halves, larger slices. */
typedef struct post_opts {
  const float* residual;
  int residual_c, shuffle, crd;
  int half;        /* U through binary16: 1 its values as floats (u), 2 the halves (u_half) */
  size_t ws_extra; /* ws_slice_bytes: the conv's own plus this; those bytes of each slice stay unwritten */
} post_opts;

/* Runs the kernel in a workspace of exactly the size asked for (ASan catches overruns). */
static void run_wino_ex(const conv_case* c, const case_data* d, rc_wino_variant v, rc_wino_isa isa, size_t l2,
                        rc_pool* pool, const post_opts* po, float* y) {
  float* u = xmalloc(rc_wino_filter_size(v, (size_t)c->cout, (size_t)c->cin) * sizeof(float));
  rc_wino_filter_transform(v, (size_t)c->cout, (size_t)c->cin, d->w, u);
  const size_t uf = rc_wino_filter_size(v, (size_t)c->cout, (size_t)c->cin);
  uint16_t* uh = po && po->half ? xmalloc(uf * sizeof(uint16_t)) : NULL;
  for (size_t i = 0; uh && i < uf; i++) {
    uh[i] = rc_f32_to_f16(u[i]);
    u[i] = po->half == 1 ? rc_f16_to_f32(uh[i]) : NAN; /* with u_half, u must not be read */
  }
  rc_wino_conv_params p;
  memset(&p, 0, sizeof p);
  p.variant = v;
  p.isa = isa;
  p.batch = c->batch;
  p.in_h = c->h;
  p.in_w = c->w;
  p.in_c = c->cin;
  p.out_h = out_h(c);
  p.out_w = out_w(c);
  p.out_c = c->cout;
  p.pad_top = c->pt;
  p.pad_left = c->pl;
  p.activation = c->act;
  p.act_min = d->clip_min;
  p.act_max = d->clip_max;
  p.prelu_slopes = d->slopes;
  p.l2_bytes = l2;
  if (po) {
    p.residual = po->residual;
    p.residual_c = po->residual_c;
    p.shuffle = po->shuffle;
    p.shuffle_crd = po->crd;
    if (po->half == 2) p.u_half = uh;
  }
  /* One workspace slice per pool thread (wino.h). */
  const size_t threads = rc_pool_threads(pool);
  const size_t own = rc_wino_workspace_size(v, (size_t)c->cin, (size_t)c->cout, (size_t)p.out_w, l2, p.u_half != NULL);
  const size_t slice = p.ws_slice_bytes = own + (po ? po->ws_extra : 0);
  unsigned char* ws = xmalloc(slice * threads);
  memset(ws, 0xff, slice * threads);             /* NaNs: nothing may be read from the workspace before it is written */
  for (size_t i = 0; i < d->ny; i++) y[i] = NAN; /* every output must be written */
  rc_wino_conv2d_nhwc(&p, d->x, u, c->bias ? d->b : NULL, y, ws, pool);
  const unsigned char* base = (const unsigned char*)rc_wino_align_ws(ws); /* thread t: [t·slice, t·slice + own) */
  for (size_t t = 0; t + 1 < threads; t++)
    for (size_t b = t * slice + own; b < (t + 1) * slice; b++)
      if (base[b] != 0xff) fail_msg("workspace byte %zu written, past slice %zu's %zu bytes", b, t, own);
  free(ws);
  free(u);
  free(uh);
}

static void run_wino(const conv_case* c, const case_data* d, rc_wino_variant v, rc_wino_isa isa, size_t l2,
                     rc_pool* pool, float* y) {
  run_wino_ex(c, d, v, isa, l2, pool, NULL, y);
}

/* The error scale of each output element for tiles of m×m: the largest mag
 * over the real output pixels of its tile (same image, same channel). A
 * Winograd tile mixes its whole α×α input window into every one of its
 * outputs, so rounding errors scale with the tile's magnitude, not with one
 * pixel's: a border pixel whose own taps all fall in the padding (mag 0,
 * exact result 0) still gets the rounding noise of its tile neighbours. */
static void tile_scale(const conv_case* c, const double* mag, int m, double* scale) {
  const int oh = out_h(c), ow = out_w(c), co_n = c->cout;
  for (int n = 0; n < c->batch; n++)
    for (int ty = 0; ty < oh; ty += m)
      for (int tx = 0; tx < ow; tx += m)
        for (int co = 0; co < co_n; co++) {
          double mx = 0.0;
          for (int y = ty; y < ty + m && y < oh; y++)
            for (int x = tx; x < tx + m && x < ow; x++) {
              const double v = mag[(((size_t)n * oh + y) * ow + x) * co_n + co];
              if (v > mx) mx = v;
            }
          for (int y = ty; y < ty + m && y < oh; y++)
            for (int x = tx; x < tx + m && x < ow; x++)
              scale[(((size_t)n * oh + y) * ow + x) * co_n + co] = mx > 0 ? mx : 1e-30;
        }
}

static double max_err_ratio(const char* what, const float* got, const double* want, const double* scale, size_t n,
                            double tol) {
  double worst = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(got[i])) fail_msg("%s[%zu]: NaN (not written?), want %.9g", what, i, want[i]);
    const double r = fabs((double)got[i] - want[i]) / scale[i];
    if (r > tol) fail_msg("%s[%zu]: got %.9g, want %.9g: err/mag %.3g > tol %.3g", what, i, got[i], want[i], r, tol);
    if (r > worst) worst = r;
  }
  return worst;
}

static void describe(const conv_case* c, char* buf, size_t size) {
  snprintf(buf, size, "N%d %dx%d C%d->%d pad(t%d l%d b%d r%d)%s act%d l2=%zu", c->batch, c->h, c->w, c->cin, c->cout,
           c->pt, c->pl, c->pb, c->pr, c->bias ? " bias" : "", (int)c->act, c->l2);
}

/* All variants × available ISAs on one case. */
static void check_case(const conv_case* c, uint64_t seed) {
  case_data d;
  make_case(c, seed, &d);
  float* y = xmalloc(d.ny * sizeof(float));
  float* ys = xmalloc(d.ny * sizeof(float));
  char name[200], what[260];
  describe(c, name, sizeof name);
  const int wide = c->cin >= 64;
  double direct2 = 0.0, want2 = 0.0;
  for (size_t i = 0; i < d.ny; i++) {
    const double r = fabs((double)d.direct[i] - d.want[i]) / d.mag[i];
    if (r > g_max_direct) g_max_direct = r;
    direct2 += ((double)d.direct[i] - d.want[i]) * ((double)d.direct[i] - d.want[i]);
    want2 += d.want[i] * d.want[i];
  }
  double* scale = xmalloc(d.ny * sizeof(double));
  for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++) {
    if (!runs_variant(c, v)) continue;
    if (wide) {
      g_wide_direct2[v] += direct2;
      g_wide_want2[v] += want2;
    }
    tile_scale(c, d.mag, rc_wino_tile_m((rc_wino_variant)v), scale);
    for (int k = 0; k < NUM_ISAS; k++) {
      if (!rc_wino_isa_available(k_isas[k])) continue;
      float* out = k == 0 ? ys : y;
      run_wino(c, &d, (rc_wino_variant)v, k_isas[k], c->l2, NULL, out);
      snprintf(what, sizeof what, "%s %s %s", rc_wino_variant_name((rc_wino_variant)v), rc_wino_isa_name(k_isas[k]),
               name);
      const double e = max_err_ratio(what, out, d.want, scale, d.ny, k_tol[v]);
      if (e > g_max_err[v][k]) g_max_err[v][k] = e;
      if (wide)
        for (size_t i = 0; i < d.ny; i++)
          g_wide_err2[v][k] += ((double)out[i] - d.want[i]) * ((double)out[i] - d.want[i]);
      if (k > 0) { /* SIMD vs scalar */
        for (size_t i = 0; i < d.ny; i++) {
          const double r = fabs((double)y[i] - ys[i]) / scale[i];
          if (r > k_tol[v]) fail_msg("%s vs scalar [%zu]: %.9g vs %.9g", what, i, y[i], ys[i]);
          if (r > g_max_isa_diff[v]) g_max_isa_diff[v] = r;
        }
      }
    }
  }
  g_cases++;
  free(scale);
  free(y);
  free(ys);
  free_case(&d);
}

static const int k_channels[] = {1, 3, 4, 8, 15, 16, 17, 64};
#define NUM_CHANNELS (sizeof k_channels / sizeof k_channels[0])

/* Every (cin, cout) pair of the channel set, odd 7×9 image, pad 1, bias;
 * stride 1 and 2. */
static void test_channels_sweep(void** state) {
  (void)state;
  uint64_t seed = 1;
  for (int st = 1; st <= 2; st++)
    for (size_t i = 0; i < NUM_CHANNELS; i++)
      for (size_t o = 0; o < NUM_CHANNELS; o++) {
        const conv_case c = {1, 7, 9, k_channels[i], k_channels[o], 1, 1, 1, 1, 1, RC_WINO_ACT_NONE, 0, st};
        check_case(&c, seed++);
      }
}

/* Shapes: odd and even, smaller than a tile, one tile, partial last tiles;
 * paddings 0, 1 and asymmetric; batch 1 and 2; each activation, with and
 * without bias; stride 1 and 2. */
static void test_shapes_sweep(void** state) {
  (void)state;
  static const int hw[][2] = {{3, 3}, {4, 4}, {5, 8}, {8, 5}, {10, 10}, {13, 17}, {16, 16}, {31, 6}};
  static const int pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 0, 1, 3}, {0, 1, 2, 0}};
  static const int chans[][2] = {{3, 17}, {17, 4}, {16, 16}, {1, 8}};
  uint64_t seed = 1000;
  int k = 0;
  for (int st = 1; st <= 2; st++)
    for (size_t s = 0; s < sizeof hw / sizeof hw[0]; s++)
      for (size_t p = 0; p < sizeof pads / sizeof pads[0]; p++, k++) {
        conv_case c = {1 + k % 2,
                       hw[s][0],
                       hw[s][1],
                       chans[k % 4][0],
                       chans[k % 4][1],
                       pads[p][0],
                       pads[p][1],
                       pads[p][2],
                       pads[p][3],
                       k % 3 != 0,
                       (rc_wino_activation)(k % 4),
                       0,
                       st};
        if (out_h(&c) < 1 || out_w(&c) < 1) continue;
        check_case(&c, seed++);
      }
}

/* Each activation with and without bias on a shape with partial tiles,
 * stride 1 and 2. */
static void test_activations(void** state) {
  (void)state;
  uint64_t seed = 2000;
  for (int st = 1; st <= 2; st++)
    for (int a = 0; a < 4; a++)
      for (int b = 0; b < 2; b++) {
        const conv_case c = {2, 11, 14, 15, 17, 1, 1, 1, 1, b, (rc_wino_activation)a, 0, st};
        check_case(&c, seed++);
      }
}

/* Wide channels (256) and a larger image. */
static void test_wide(void** state) {
  (void)state;
  const conv_case c1 = {1, 13, 12, 256, 256, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 1};
  check_case(&c1, 3000);
  const conv_case c2 = {1, 9, 20, 64, 256, 1, 0, 1, 2, 1, RC_WINO_ACT_NONE, 0, 1};
  check_case(&c2, 3001);
  const conv_case c3 = {1, 20, 9, 256, 17, 0, 1, 1, 1, 0, RC_WINO_ACT_PRELU, 0, 1};
  check_case(&c3, 3002);
  /* stride 2: RepVGG-A0's stage2.0 (56² → 28², 48 → 96 channels) at a
   * third of its size, and wide channels over few tiles */
  const conv_case c4 = {1, 19, 20, 48, 96, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 2};
  check_case(&c4, 3003);
  const conv_case c5 = {1, 13, 12, 256, 256, 1, 1, 1, 1, 1, RC_WINO_ACT_NONE, 0, 2};
  check_case(&c5, 3004);
}

/* Images larger than one block: tiny L2 budgets force blocks of a few tiles
 * (partial rows) or a few tile rows (bands), blocks crossing the batch. */
static void test_bands(void** state) {
  (void)state;
  const size_t l2s[] = {1, 16 << 10, 96 << 10};
  uint64_t seed = 4000;
  for (int st = 1; st <= 2; st++)
    for (size_t i = 0; i < sizeof l2s / sizeof l2s[0]; i++) {
      const conv_case c = {2, 37, 50, 15, 16, 1, 1, 1, 1, 1, RC_WINO_ACT_CLIP, l2s[i], st};
      check_case(&c, seed++);
      const conv_case c2 = {1, 40, 23, 8, 3, 0, 2, 1, 0, 0, RC_WINO_ACT_RELU, l2s[i], st};
      check_case(&c2, seed++);
    }
}

/* Block size, thread count and the slices' stride do not change a single bit of the output:
 * many tiles (blocks split between threads, or one block a thread); one
 * U-sized block with wide channels, of 16 tiles a thread or more (F(2,3)
 * at 14x14, 49 tiles: a range of tiles a thread) or fewer (F(4,3), F(6,3):
 * each thread its share of the output-channel blocks from input transform
 * to output, an uneven share and a channel tail here), whose accuracy is
 * checked as well; few tiles and two blocks of
 * output channels (one block run in three phases: tiles, GEMMs over
 * output-channel blocks, tiles). */
static void run_deterministic(const conv_case c) {
  case_data d;
  make_case(&c, 5000, &d);
  float* ref = xmalloc(d.ny * sizeof(float));
  float* y = xmalloc(d.ny * sizeof(float));
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++)
    for (int k = 0; k < NUM_ISAS; k++) {
      if (!runs_variant(&c, v) || !rc_wino_isa_available(k_isas[k])) continue;
      run_wino(&c, &d, (rc_wino_variant)v, k_isas[k], 0, NULL, ref);
      const size_t l2s[] = {1, 8 << 10, 100 << 10, 1 << 20, 8 << 20};
      for (size_t i = 0; i < sizeof l2s / sizeof l2s[0]; i++)
        for (int threaded = 0; threaded < 3; threaded++) { /* 1 thread, 2, 2 in larger slices */
          const post_opts po = {.ws_extra = threaded == 2 ? 64u << 10 : 0};
          run_wino_ex(&c, &d, (rc_wino_variant)v, k_isas[k], l2s[i], threaded ? pool : NULL, &po, y);
          if (memcmp(ref, y, d.ny * sizeof(float)) != 0)
            fail_msg("%s %s: output changed with l2=%zu, run %d", rc_wino_variant_name((rc_wino_variant)v),
                     rc_wino_isa_name(k_isas[k]), l2s[i], threaded);
        }
    }
  rc_pool_destroy(pool);
  free(ref);
  free(y);
  free_case(&d);
}

static void test_deterministic(void** state) {
  (void)state;
  run_deterministic((conv_case){2, 29, 33, 17, 20, 1, 1, 1, 1, 1, RC_WINO_ACT_PRELU, 0, 1});
  /* 14 = 4 + 4 + 4 + 2: F(4,3) with border tiles, one block (grouped). */
  const conv_case few = {1, 14, 14, 128, 136, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 1};
  run_deterministic(few);
  check_case(&few, 5100);
  run_deterministic((conv_case){1, 8, 8, 32, 24, 1, 1, 1, 1, 1, RC_WINO_ACT_NONE, 0, 1});
  /* RepVGG-A0's stage2 (F(4,3): 49 tiles, one more than a U-sized block):
   * at 1 MiB of L2, on 2 threads one block per thread (run_block_tiles). */
  run_deterministic((conv_case){1, 28, 28, 96, 96, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 1});
  /* 12 blocks of output channels, 6 a thread on 2: groups of 3 there, of 4
   * on one thread (rc_wino_wide_nv). */
  run_deterministic((conv_case){1, 14, 14, 32, 192, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 1});
  /* stride 2: many tiles; few tiles with wide channels (49 tiles, as RepVGG-A0's stage3.0, 28² → 14²) */
  run_deterministic((conv_case){2, 29, 33, 17, 20, 1, 1, 1, 1, 1, RC_WINO_ACT_PRELU, 0, 2});
  const conv_case few2 = {1, 28, 28, 96, 136, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 2};
  run_deterministic(few2);
  check_case(&few2, 5101);
  /* 14² → 7² (2 + 2 + 2 + 1: border tiles), as RepVGG-A0's stage4.0: output-channel shares on 2 threads */
  const conv_case few3 = {1, 14, 14, 64, 200, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 2};
  run_deterministic(few3);
  check_case(&few3, 5102);
}

/* U stored as halves (u_half): bitwise the output of the fp32 kernels on
 * U rounded through binary16, for every ISA and variant, through every way
 * the GEMMs are walked (blocks split over threads, one block split by
 * output channels, three phases; the wide GEMM's column groups; bands
 * under a tiny L2 budget), 1 and 2 threads. */
static void test_half_weights(void** state) {
  (void)state;
  const conv_case cases[] = {{2, 29, 33, 17, 20, 1, 1, 1, 1, 1, RC_WINO_ACT_PRELU, 0, 1},
                             {1, 14, 14, 128, 136, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 1},
                             {1, 8, 8, 32, 24, 1, 1, 1, 1, 1, RC_WINO_ACT_NONE, 0, 1},
                             {1, 13, 12, 256, 256, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 1},
                             {2, 37, 50, 15, 16, 1, 1, 1, 1, 1, RC_WINO_ACT_CLIP, 16 << 10, 1},
                             {2, 29, 33, 17, 20, 1, 1, 1, 1, 1, RC_WINO_ACT_PRELU, 0, 2},
                             {1, 28, 28, 96, 136, 1, 1, 1, 1, 1, RC_WINO_ACT_RELU, 0, 2}};
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  size_t runs = 0;
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    case_data d;
    make_case(&cases[ci], 6000 + ci, &d);
    float* ref = xmalloc(d.ny * sizeof(float));
    float* y = xmalloc(d.ny * sizeof(float));
    const post_opts rounded = {NULL, 0, 0, 0, 1, 0}, halves = {NULL, 0, 0, 0, 2, 0};
    for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++)
      for (int k = 0; k < NUM_ISAS; k++) {
        if (!runs_variant(&cases[ci], v) || !rc_wino_isa_available(k_isas[k])) continue;
        run_wino_ex(&cases[ci], &d, (rc_wino_variant)v, k_isas[k], cases[ci].l2, NULL, &rounded, ref);
        for (int threaded = 0; threaded < 2; threaded++) {
          run_wino_ex(&cases[ci], &d, (rc_wino_variant)v, k_isas[k], cases[ci].l2, threaded ? pool : NULL, &halves, y);
          runs++;
          if (memcmp(ref, y, d.ny * sizeof(float)) != 0)
            fail_msg("case %zu %s %s threads=%d: U as halves differs from U rounded through halves", ci,
                     rc_wino_variant_name((rc_wino_variant)v), rc_wino_isa_name(k_isas[k]), threaded ? 2 : 1);
        }
      }
    free(ref);
    free(y);
    free_case(&d);
  }
  rc_pool_destroy(pool);
  print_message("U as halves: %zu runs bitwise\n", runs);
}

/* The workspace depends on channels, width and L2 only: a block of V and M
 * fits in half the L2 budget whenever the largest GEMM row tile does, or in
 * as much memory as the U panels its GEMMs read when they are larger (a
 * conv whose tiles all fit in that runs as one block, streaming U once); a
 * very tall image runs in it (ASan checks the bounds). */
static void test_workspace(void** state) {
  (void)state;
  const size_t l2 = 512 << 10;
  for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++) {
    const size_t a = (size_t)rc_wino_tile_alpha((rc_wino_variant)v);
    const size_t chans[] = {1, 16, 64, 128};
    for (size_t i = 0; i < 4; i++) {
      const size_t cin = chans[i], cout = chans[i];
      const size_t per_tile = a * a * (((cin + 7) / 8 * 8) + (cout + 15) / 16 * 16) * sizeof(float);
      const size_t ws = rc_wino_workspace_size((rc_wino_variant)v, cin, cout, 960, l2, 0);
      /* the U panels a block's GEMMs read: α² (stride 2 reads its shared ones at each position), 9 direct */
      const size_t pos = rc_wino_is_direct((rc_wino_variant)v, cin) ? 9 : a * a;
      const size_t ub = pos * ((cout + 15) / 16 * 16) * cin * sizeof(float);
      const size_t m = (size_t)rc_wino_tile_m((rc_wino_variant)v), scratch = m * m * ((cout + 15) / 16 * 16) * 4;
      const size_t budget = ub + RC_WINO_GEMM_MR_MAX * per_tile > l2 / 2 ? ub + RC_WINO_GEMM_MR_MAX * per_tile : l2 / 2;
      if (per_tile * RC_WINO_GEMM_MR_MAX <= l2 / 2 && ws > budget + scratch + 128)
        fail_msg("%s C %zu: workspace %zu > %zu", rc_wino_variant_name((rc_wino_variant)v), cin, ws,
                 budget + scratch + 128);
      assert_true(ws >= rc_wino_block_tiles((rc_wino_variant)v, cin, cout, 960, l2) * per_tile);
    }
  }
  /* tall: 600 rows, 8 wide; the same workspace as for 6 rows */
  const conv_case tall = {1, 600, 8, 16, 16, 1, 1, 1, 1, 1, RC_WINO_ACT_NONE, 64 << 10, 1};
  const conv_case flat = {1, 6, 8, 16, 16, 1, 1, 1, 1, 1, RC_WINO_ACT_NONE, 64 << 10, 1};
  for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++)
    assert_int_equal(rc_wino_workspace_size((rc_wino_variant)v, 16, 16, (size_t)out_w(&tall), tall.l2, 0),
                     rc_wino_workspace_size((rc_wino_variant)v, 16, 16, (size_t)out_w(&flat), flat.l2, 0));
  check_case(&tall, 6000);
}

static void test_isa_resolve(void** state) {
  (void)state;
  assert_true(rc_wino_isa_available(RC_WINO_ISA_SCALAR));
  assert_true(rc_wino_isa_available(RC_WINO_ISA_AUTO));
  const rc_wino_isa r = rc_wino_isa_resolve(RC_WINO_ISA_AUTO);
  assert_true(r == RC_WINO_ISA_SCALAR || r == RC_WINO_ISA_AVX2 || r == RC_WINO_ISA_NEON || r == RC_WINO_ISA_AVX512F);
  assert_true(rc_wino_isa_available(r));
#if defined(__aarch64__)
  /* NEON is baseline on AArch64: always there, and what AUTO picks. */
  assert_true(rc_wino_isa_available(RC_WINO_ISA_NEON));
  assert_int_equal(r, RC_WINO_ISA_NEON);
  assert_false(rc_wino_isa_available(RC_WINO_ISA_AVX2));
  assert_false(rc_wino_isa_available(RC_WINO_ISA_AVX512F));
#else
  assert_false(rc_wino_isa_available(RC_WINO_ISA_NEON));
  assert_int_equal(rc_wino_isa_resolve(RC_WINO_ISA_NEON), RC_WINO_ISA_SCALAR);
#endif
  assert_string_equal(rc_wino_isa_name(RC_WINO_ISA_NEON), "neon");
  assert_false(rc_wino_isa_available(RC_WINO_ISA_COUNT));
  int simd = 0;
  for (int k = 1; k < NUM_ISAS; k++) {
    if (rc_wino_isa_available(k_isas[k])) {
      print_message("testing %s and scalar\n", rc_wino_isa_name(k_isas[k]));
      simd = 1;
    } else {
      assert_int_equal(rc_wino_isa_resolve(k_isas[k]), RC_WINO_ISA_SCALAR);
    }
  }
  if (!simd) print_message("note: no SIMD variant available here: only the scalar variant was tested\n");
  assert_int_equal(rc_wino_tile_m(RC_WINO_F23), 2);
  assert_int_equal(rc_wino_tile_m(RC_WINO_F43), 4);
  assert_int_equal(rc_wino_tile_m(RC_WINO_F63), 6);
  assert_int_equal(rc_wino_tile_m(RC_WINO_F23S2), 2);
  assert_int_equal(rc_wino_tile_alpha(RC_WINO_F23S2), 5);
  assert_int_equal(rc_wino_stride(RC_WINO_F23S2), 2);
  assert_int_equal(rc_wino_stride(RC_WINO_F63), 1);
  assert_false(rc_wino_is_direct(RC_WINO_F23S2, 1));
  /* U's stored positions: ξ at stride 1; at stride 2 the odd phase's rows
   * and columns fold onto their first (5x5 → 4x4). */
  assert_int_equal(rc_wino_u_panel(RC_WINO_F63, 63), 63);
  assert_int_equal(rc_wino_u_panel(RC_WINO_F23S2, 2 * 5 + 2), 2 * 4 + 2);
  assert_int_equal(rc_wino_u_panel(RC_WINO_F23S2, 3 * 5 + 1), 3 * 4 + 1);
  assert_int_equal(rc_wino_u_panel(RC_WINO_F23S2, 4 * 5 + 1), 3 * 4 + 1);
  assert_int_equal(rc_wino_u_panel(RC_WINO_F23S2, 2 * 5 + 4), 2 * 4 + 3);
  assert_int_equal(rc_wino_u_panel(RC_WINO_F23S2, 24), 15);
  assert_true(rc_wino_is_direct(RC_WINO_F23, RC_WINO_DIRECT_MAX_CIN));
}

/* The fused residual + activation + depth-to-space store must give exactly
 * (bitwise) what the plain conv followed by those ops in float gives: the
 * same transform output, one float add, the same activation. Every variant
 * and ISA; residual none / per pixel / per channel; DCR and CRD with r = 2
 * and 3; partial tiles (odd sizes); batch 2; 1 and 2 threads. */
static void test_post_store(void** state) {
  (void)state;
  const int couts[] = {4, 9, 12, 18}; /* one channel after an x2 and an x3 shuffle; several */
  const rc_wino_activation acts[] = {RC_WINO_ACT_NONE, RC_WINO_ACT_RELU, RC_WINO_ACT_CLIP, RC_WINO_ACT_PRELU};
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  size_t checked = 0;
  for (size_t ci = 0; ci < 8; ci++)
    for (size_t ai = 0; ai < 4; ai++) {
      conv_case c = {2, 13, 11, 16, couts[ci % 4], 1, 1, 1, 1, 1, acts[ai], 0, ci < 4 ? 1 : 2};
      case_data d;
      make_case(&c, 7000 + ci * 10 + ai, &d);
      const int oh = out_h(&c), ow = out_w(&c), co = c.cout;
      float* plain = xmalloc(d.ny * sizeof(float));
      float* got = xmalloc(d.ny * sizeof(float));
      float* want = xmalloc(d.ny * sizeof(float));
      float* res = xmalloc(d.ny * sizeof(float));
      rc_test_rng rng;
      rc_test_rng_seed(&rng, 99 + ci % 4);
      rc_test_fill_uniform(&rng, res, d.ny, -2.0f, 2.0f);
      for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++)
        for (int k = 0; k < NUM_ISAS; k++) {
          if (!runs_variant(&c, v) || !rc_wino_isa_available(k_isas[k])) continue;
          conv_case pc = c;
          pc.act = RC_WINO_ACT_NONE;
          run_wino(&pc, &d, (rc_wino_variant)v, k_isas[k], 0, NULL, plain);
          for (int rmode = 0; rmode < 3; rmode++)
            for (int sh = 0; sh < 4; sh++) {
              const int r = sh == 0 ? 1 : (sh == 3 ? 3 : 2), crd = sh >= 2;
              if (co % (r * r) != 0) continue;
              const int rc = rmode == 2 ? co : 1, cs = co / (r * r);
              /* want: plain + residual, activation, then the shuffle */
              for (int n = 0; n < c.batch; n++)
                for (int y = 0; y < oh; y++)
                  for (int x = 0; x < ow; x++)
                    for (int q = 0; q < co; q++) {
                      const size_t pix = ((size_t)n * oh + y) * ow + x;
                      float val = plain[pix * co + q];
                      if (rmode) val = val + res[pix * rc + (rc == 1 ? 0 : q)];
                      val = (float)act_d(&c, &d, q, val);
                      const int g = crd ? q % (r * r) : q / cs, cc = crd ? q / (r * r) : q % cs;
                      const int dy = g / r, dx = g % r;
                      want[(((size_t)n * oh * r + y * r + dy) * ow * r + x * r + dx) * cs + cc] = val;
                    }
              const post_opts po = {rmode ? res : NULL, rc, sh ? r : 0, crd, 0, 0};
              for (int threaded = 0; threaded < 2; threaded++) {
                run_wino_ex(&c, &d, (rc_wino_variant)v, k_isas[k], threaded ? 8 << 10 : 0, threaded ? pool : NULL, &po,
                            got);
                for (size_t i = 0; i < d.ny; i++) {
                  if (memcmp(&got[i], &want[i], sizeof(float)) != 0)
                    fail_msg("%s %s C->%d act%d residual_c %d shuffle %d %s threads %d: [%zu] %.9g, want %.9g",
                             rc_wino_variant_name((rc_wino_variant)v), rc_wino_isa_name(k_isas[k]), co, (int)c.act,
                             rmode ? rc : 0, r, crd ? "CRD" : "DCR", threaded + 1, i, got[i], want[i]);
                }
                checked++;
              }
            }
        }
      free(plain);
      free(got);
      free(want);
      free(res);
      free_case(&d);
    }
  rc_pool_destroy(pool);
  assert_true(checked > 0);
}

/* Convs of at most RC_WINO_DIRECT_MAX_CIN input channels compute their
 * tiles directly (the sweeps above run them: channels 1, 3 and 4): their
 * filter is the 3x3 weights as [ci][tap][round_up(cout, 16)], zero padded;
 * one more channel and it is U again: α² positions at stride 1, (m + 2)² at
 * stride 2, where the positions on the odd phase's rows or columns share
 * one (rc_wino_u_panel; the sweeps above check the values they compute). */
static void test_direct_filter(void** state) {
  (void)state;
  const size_t couts[] = {4, 16, 17};
  for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++)
    for (size_t cin = 1; cin <= RC_WINO_DIRECT_MAX_CIN + 1; cin++)
      for (size_t k = 0; k < 3; k++) {
        const size_t cout = couts[k], pad = (cout + 15) / 16 * 16, a = (size_t)rc_wino_tile_alpha((rc_wino_variant)v);
        const size_t n = rc_wino_filter_size((rc_wino_variant)v, cout, cin);
        if (!rc_wino_is_direct((rc_wino_variant)v, cin)) { /* also every cin at stride 2 */
          const size_t side =
              rc_wino_stride((rc_wino_variant)v) == 1 ? a : (size_t)rc_wino_tile_m((rc_wino_variant)v) + 2;
          assert_int_equal(n, side * side * pad * cin);
          continue;
        }
        assert_int_equal(n, 9 * pad * cin);
        float* w = xmalloc(cout * cin * 9 * sizeof(float));
        float* u = xmalloc(n * sizeof(float));
        for (size_t e = 0; e < cout * cin * 9; e++) w[e] = (float)(e + 1);
        rc_wino_filter_transform((rc_wino_variant)v, cout, cin, w, u);
        for (size_t ci = 0; ci < cin; ci++)
          for (size_t t = 0; t < 9; t++)
            for (size_t co = 0; co < pad; co++) {
              const float want = co < cout ? w[(co * cin + ci) * 9 + t] : 0.0f;
              if (u[(ci * 9 + t) * pad + co] != want)
                fail_msg("%s cin %zu cout %zu: u[ci %zu][tap %zu][co %zu] = %g, want %g",
                         rc_wino_variant_name((rc_wino_variant)v), cin, cout, ci, t, co,
                         (double)u[(ci * 9 + t) * pad + co], (double)want);
            }
        free(w);
        free(u);
      }
}

/* Prints the measured maxima (runs last). */
static void test_summary(void** state) {
  (void)state;
  print_message("Winograd max err/tile-mag over %zu cases (mag = |bias| + sum|x*w|, max over the tile):\n", g_cases);
  print_message("  fp32 direct conv (yardstick): %.3g\n", g_max_direct);
  /* One column per ISA that ran: max err/tile-mag, then the worst of them
   * relative to direct fp32 and the SIMD − scalar difference. */
  for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++) {
    char cols[160] = "";
    double worst = 0.0;
    for (int k = 0; k < NUM_ISAS; k++) {
      if (!rc_wino_isa_available(k_isas[k])) continue;
      const size_t used = strlen(cols);
      snprintf(cols + used, sizeof cols - used, "%s %.3g  ", rc_wino_isa_name(k_isas[k]), g_max_err[v][k]);
      if (g_max_err[v][k] > worst) worst = g_max_err[v][k];
    }
    print_message("  %s: %s(tol %.1g; %.1fx direct)  |simd-scalar| %.3g (tol %.1g)\n",
                  rc_wino_variant_name((rc_wino_variant)v), cols, k_tol[v], worst / g_max_direct, g_max_isa_diff[v],
                  k_tol[v]);
  }
  print_message("relative RMS error on the cases with in_c >= 64 (per variant: its cases' fp32 direct error):\n");
  for (int v = 0; v < RC_WINO_VARIANT_COUNT; v++) {
    if (g_wide_want2[v] > 0) {
      const double direct = sqrt(g_wide_direct2[v] / g_wide_want2[v]);
      char cols[160] = "";
      double worst = 0.0;
      for (int k = 0; k < NUM_ISAS; k++) {
        if (!rc_wino_isa_available(k_isas[k])) continue;
        const double e = sqrt(g_wide_err2[v][k] / g_wide_want2[v]);
        const size_t used = strlen(cols);
        snprintf(cols + used, sizeof cols - used, "%s %.3g  ", rc_wino_isa_name(k_isas[k]), e);
        if (e > worst) worst = e;
      }
      print_message("  %s: %s(direct %.3g; %.1fx direct)\n", rc_wino_variant_name((rc_wino_variant)v), cols, direct,
                    worst / direct);
    }
  }
  assert_true(g_cases > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_isa_resolve),   cmocka_unit_test(test_channels_sweep), cmocka_unit_test(test_shapes_sweep),
      cmocka_unit_test(test_activations),   cmocka_unit_test(test_wide),           cmocka_unit_test(test_bands),
      cmocka_unit_test(test_deterministic), cmocka_unit_test(test_workspace),      cmocka_unit_test(test_post_store),
      cmocka_unit_test(test_direct_filter), cmocka_unit_test(test_half_weights),   cmocka_unit_test(test_summary),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

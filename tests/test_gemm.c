/* Tests of the GEMM conv kernels (kernels/gemm/): every available
 * micro-kernel against the float64 reference conv of kernels/ref over a
 * sweep of kernel sizes (1, 3, 5, 7), strides, dilations, paddings
 * (none, 1, asymmetric), groups, channel tails, odd image sizes, batch, bias
 * and each activation, and fully connected layers; with the default cache
 * sizes and with tiny ones (many K blocks, 6-pixel blocks); 1, 2 and 3
 * threads bitwise equal; the AVX-512 kernel bitwise equal to the AVX2 one
 * (and its 12-row calls to two 6-row calls);
 * each case also on the direct path (gemm_direct.h: no im2col) wherever it
 * applies (groups 1, dilation 1), its kernels held to the same bound, their
 * threads and ISAs to the same bit equalities. The micro-kernels are
 * the lines of kernels/gemm/gemm_ukernels.inc (the rc_gemm_ukernel enum).
 *
 * Tolerance. Each output is an fp32 sum of K = kh·kw·Cin/groups products
 * (one rounding per product and per add, or one per FMA), partial sums
 * stored as fp32 between K blocks, then + bias: the classic bound for a
 * recursive sum of n terms is γ_n·Σ|terms| ≈ n·2⁻²⁴·Σ|terms|. So per element
 *     |got − ref| ≤ (K + 4)·2⁻²⁴·mag,   mag = |bias| + Σ|x·w|
 * (K products, K adds incl. the bias is within K+1 roundings; +1 for the
 * rounding of the float64 reference to fp32, +1 for a PReLU multiply, +1
 * spare). mag is the reference conv of |x|, |w|, |bias|. The bound is
 * rigorous to first order, so it never fails on correct code; a wrong tap,
 * pad, group or channel gives errors of the order of mag, 10³–10⁶ × larger.
 * The activations are 1-Lipschitz (PReLU slopes in [−1, 1]), applied to the
 * reference in float. The largest err/(K·2⁻²⁴·mag) seen is printed. */
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

#include "kernels/common/cpu.h"
#include "kernels/common/isa.h"
#include "kernels/common/convert.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_ukernels.h"
#include "kernels/ref/ref.h"
#include "tests/support/test_util.h"

static double g_worst; /* max err / (K·2⁻²⁴·mag) */
static size_t g_cases;
static size_t g_direct_cases; /* cases the direct path takes by default */

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

typedef struct conv_case {
  int batch, in_h, in_w, in_c, out_c, k, stride, dil, groups;
  int pt, pl, pb, pr;
  int act; /* rc_gemm_activation; CLAMP alternates ReLU and [-0.5, 0.5] */
  int bias;
  int three_threads; /* also compare a 3-thread run */
} conv_case;

static int out_extent(int in, int p0, int p1, int k, int s, int d) { return (in + p0 + p1 - d * (k - 1) - 1) / s + 1; }

static rc_gemm_conv_params params_of(const conv_case* c, size_t l1, size_t l2) {
  rc_gemm_conv_params p;
  memset(&p, 0, sizeof p);
  p.batch = c->batch;
  p.in_h = c->in_h;
  p.in_w = c->in_w;
  p.in_c = c->in_c;
  p.out_c = c->out_c;
  p.out_h = out_extent(c->in_h, c->pt, c->pb, c->k, c->stride, c->dil);
  p.out_w = out_extent(c->in_w, c->pl, c->pr, c->k, c->stride, c->dil);
  p.kernel_h = p.kernel_w = c->k;
  p.stride_h = p.stride_w = c->stride;
  p.dilation_h = p.dilation_w = c->dil;
  p.pad_top = c->pt;
  p.pad_left = c->pl;
  p.groups = c->groups;
  p.activation = (rc_gemm_activation)c->act;
  p.act_min = 0.0f;
  p.act_max = INFINITY;
  if (c->act == RC_GEMM_ACT_CLAMP && (c->in_c + c->out_c) % 2) {
    p.act_min = -0.5f;
    p.act_max = 0.5f;
  }
  p.l1_bytes = l1;
  p.l2_bytes = l2;
  return p;
}

static rc_conv2d_params ref_params(const rc_gemm_conv_params* p) {
  rc_conv2d_params r = {p->batch,      p->in_h,     p->in_w,     p->in_c,     p->out_h,    p->out_w,
                        p->out_c,      p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h,
                        p->dilation_w, p->pad_top,  p->pad_left, p->groups};
  return r;
}

static float activate(const rc_gemm_conv_params* p, const float* slopes, size_t c, float v) {
  switch (p->activation) {
    case RC_GEMM_ACT_CLAMP: return v < p->act_min ? p->act_min : v > p->act_max ? p->act_max : v;
    case RC_GEMM_ACT_PRELU: return v < 0.0f ? slopes[c] * v : v;
    default: return v;
  }
}

/* Runs p with micro-kernel uk on pool; returns y (caller frees). half: the
 * packed weights as binary16 (packed_half; 1: the floats are NaN, unread). */
static float* run_ex(const rc_gemm_conv_params* p0, const float* x, const float* w, const float* bias,
                     const float* slopes, rc_pool* pool, int half) {
  rc_gemm_conv_params pp = *p0;
  const rc_gemm_conv_params* p = &pp;
  const size_t ny = (size_t)p->batch * (size_t)p->out_h * (size_t)p->out_w * (size_t)p->out_c;
  const size_t np = rc_gemm_packed_size(p);
  float* packed = xmalloc(np * sizeof(float));
  uint16_t* ph = half ? xmalloc(np * sizeof(uint16_t)) : NULL;
  float* pb = bias ? xmalloc(rc_gemm_channels_size(p) * sizeof(float)) : NULL;
  float* ps = xmalloc(rc_gemm_channels_size(p) * sizeof(float));
  rc_gemm_pack_weights(p, w, NULL, packed);
  for (size_t i = 0; ph && i < np; i++) {
    ph[i] = rc_f32_to_f16(packed[i]);
    packed[i] = NAN;
  }
  pp.packed_half = ph;
  if (bias) rc_gemm_pack_channels(p, bias, 0, NULL, pb);
  rc_gemm_pack_channels(p, slopes, 0, NULL, ps);
  const size_t threads = rc_pool_threads(pool);
  const size_t ws = rc_gemm_workspace_size(p) * threads;
  void* work = ws ? xmalloc(ws) : NULL;
  float* y = xmalloc(ny * sizeof(float));
  for (size_t i = 0; i < ny; i++) y[i] = NAN; /* every element must be written */
  rc_gemm_conv2d_nhwc(p, x, packed, pb, ps, y, work, pool);
  free(packed);
  free(ph);
  free(pb);
  free(ps);
  free(work);
  return y;
}

static float* run(const rc_gemm_conv_params* p, const float* x, const float* w, const float* bias, const float* slopes,
                  rc_pool* pool) {
  return run_ex(p, x, w, bias, slopes, pool, 0);
}

static rc_pool *g_pool2, *g_pool3;

/* A case's random operands: input, weights, bias and PReLU slopes,
 * uniform in [-1, 1), filled in that order. */
typedef struct operands {
  float *x, *w, *b, *sl;
  size_t nx, nw, ny;
} operands;

static void make_operands(const conv_case* c, rc_test_rng* rng, operands* o) {
  const rc_gemm_conv_params p0 = params_of(c, 0, 0);
  o->nx = (size_t)c->batch * (size_t)c->in_h * (size_t)c->in_w * (size_t)c->in_c;
  o->nw = (size_t)c->out_c * (size_t)(c->in_c / c->groups) * (size_t)c->k * (size_t)c->k;
  o->ny = (size_t)p0.batch * (size_t)p0.out_h * (size_t)p0.out_w * (size_t)p0.out_c;
  o->x = xmalloc(o->nx * sizeof(float));
  o->w = xmalloc(o->nw * sizeof(float));
  o->b = xmalloc((size_t)c->out_c * sizeof(float));
  o->sl = xmalloc((size_t)c->out_c * sizeof(float));
  rc_test_fill_uniform(rng, o->x, o->nx, -1.0f, 1.0f);
  rc_test_fill_uniform(rng, o->w, o->nw, -1.0f, 1.0f);
  rc_test_fill_uniform(rng, o->b, (size_t)c->out_c, -1.0f, 1.0f);
  rc_test_fill_uniform(rng, o->sl, (size_t)c->out_c, -1.0f, 1.0f);
}

static void free_operands(operands* o) {
  free(o->x);
  free(o->w);
  free(o->b);
  free(o->sl);
}

static void check_case(const conv_case* c) {
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 1000u + g_cases);
  const rc_gemm_conv_params p0 = params_of(c, 0, 0);
  const rc_conv2d_params rp = ref_params(&p0);
  operands op;
  make_operands(c, &rng, &op);
  const size_t nx = op.nx, nw = op.nw, ny = op.ny;
  const float *x = op.x, *w = op.w, *b = op.b, *sl = op.sl;
  const float* bias = c->bias ? b : NULL;
  /* Reference and magnitude (the same conv on absolute values). */
  float* want = xmalloc(ny * sizeof(float));
  float* mag = xmalloc(ny * sizeof(float));
  rc_ref_conv2d_nhwc(&rp, x, w, bias, want, NULL);
  for (size_t i = 0; i < ny; i++) want[i] = activate(&p0, sl, i % (size_t)c->out_c, want[i]);
  float* ax = xmalloc(nx * sizeof(float));
  float* aw = xmalloc(nw * sizeof(float));
  float* ab = xmalloc((size_t)c->out_c * sizeof(float));
  for (size_t i = 0; i < nx; i++) ax[i] = fabsf(x[i]);
  for (size_t i = 0; i < nw; i++) aw[i] = fabsf(w[i]);
  for (size_t i = 0; i < (size_t)c->out_c; i++) ab[i] = fabsf(b[i]);
  rc_ref_conv2d_nhwc(&rp, ax, aw, bias ? ab : NULL, mag, NULL);
  const double K = (double)rc_gemm_k(&p0), unit = ldexp(1.0, -24);

  static const size_t caches[][2] = {{0, 0}, {2048, 4096}};
  float* y_fma3[2][2] = {{NULL, NULL}, {NULL, NULL}}; /* [direct path][caches] */
  for (int uk = RC_GEMM_UK_SCALAR; uk < RC_GEMM_UK_COUNT; uk++) {
    if (!rc_gemm_ukernel_available((rc_gemm_ukernel)uk)) continue;
    for (size_t ci = 0; ci < 2; ci++)
      for (int dp = 0; dp < 2; dp++) { /* im2col, then the direct path where it applies */
        rc_gemm_conv_params p = params_of(c, caches[ci][0], caches[ci][1]);
        p.ukernel = (rc_gemm_ukernel)uk;
        p.direct = dp ? 1 : -1;
        if (dp && !rc_gemm_direct_used(&p)) continue;
        float* y1 = run(&p, x, w, bias, sl, NULL);
        for (size_t i = 0; i < ny; i++) {
          const double err = fabs((double)y1[i] - (double)want[i]);
          const double tol = (K + 4) * unit * (double)mag[i];
          if (!(err <= tol)) {
            fail_msg(
                "%s%s %dx%d s%d d%d g%d pad %d,%d,%d,%d act %d, batch %d, %dx%d, C %d→%d, caches %zu/%zu: y[%zu] "
                "= %.9g, want %.9g (err %.3g > tol %.3g)",
                rc_gemm_ukernel_name((rc_gemm_ukernel)uk), dp ? " direct" : "", c->k, c->k, c->stride, c->dil,
                c->groups, c->pt, c->pl, c->pb, c->pr, c->act, c->batch, c->in_h, c->in_w, c->in_c, c->out_c,
                caches[ci][0], caches[ci][1], i, (double)y1[i], (double)want[i], err, tol);
          }
          if (mag[i] > 0) {
            const double r = err / (K * unit * (double)mag[i]);
            if (r > g_worst) g_worst = r;
          }
        }
        /* Threads change who computes, never how (the split is
         * ISA-independent: checked on the default kernel). 3 threads only on
         * the larger cases: idle pool threads spin, and this machine has 2 cores. */
        if (uk == (int)rc_gemm_ukernel_resolve(RC_GEMM_UK_AUTO)) {
          float* y2 = run(&p, x, w, bias, sl, g_pool2);
          assert_memory_equal(y1, y2, ny * sizeof(float));
          free(y2);
          if (c->three_threads) {
            float* y3 = run(&p, x, w, bias, sl, g_pool3);
            assert_memory_equal(y1, y3, ny * sizeof(float));
            free(y3);
          }
        }
        /* The AVX-512 kernels do per lane what the AVX2 ones do (GEMM and direct). */
        if (uk == RC_GEMM_UK_FMA3) {
          y_fma3[dp][ci] = y1;
          y1 = NULL;
        } else if ((uk == RC_GEMM_UK_AVX512F || uk == RC_GEMM_UK_AVX512F_48) && y_fma3[dp][ci]) {
          assert_memory_equal(y1, y_fma3[dp][ci], ny * sizeof(float));
        }
        free(y1);
      }
  }
  for (int dp = 0; dp < 2; dp++) {
    free(y_fma3[dp][0]);
    free(y_fma3[dp][1]);
  }
  if (rc_gemm_direct_used(&p0)) g_direct_cases++;
  g_cases++;
  free_operands(&op);
  free(want);
  free(mag);
  free(ax);
  free(aw);
  free(ab);
}

static const int k_tails[] = {1, 3, 15, 16, 17, 33};
#define NUM_TAILS 6

/* Kernel 1/3/5/7 × stride 1/2 × dilation 1/2 × padding none/1/asymmetric;
 * channels, groups, activation, bias and image size vary along the sweep. */
static void test_conv_sweep(void** state) {
  (void)state;
  static const int ks[] = {1, 3, 5, 7};
  int i = 0;
  for (int ki = 0; ki < 4; ki++)
    for (int s = 1; s <= 2; s++)
      for (int d = 1; d <= 2; d++)
        for (int pm = 0; pm < 3; pm++, i++) {
          conv_case c;
          memset(&c, 0, sizeof c);
          c.k = ks[ki];
          c.stride = s;
          c.dil = d;
          c.groups = 1 + i % 2;
          c.in_c = k_tails[i % NUM_TAILS] * c.groups;
          c.out_c = k_tails[(i * 5 + 2) % NUM_TAILS] * c.groups;
          c.batch = 1 + (i % 5 == 0);
          const int span = d * (c.k - 1) + 1;
          c.in_h = span + 2 + (i % 3) * 2; /* odd and even extents, ≥ the window */
          c.in_w = span + 5 + (i % 4);
          if (pm == 1) c.pt = c.pl = c.pb = c.pr = 1;
          if (pm == 2) {
            c.pt = 2;
            c.pl = 0;
            c.pb = 1;
            c.pr = 3;
          }
          c.act = i % 3;
          c.bias = i % 4 != 3;
          check_case(&c);
        }
}

/* Every (Cin, Cout) pair of the tail list on a 3x3 stride-2 conv, ungrouped
 * and in 2 groups; and the 1×1 stride-1 convs read in place. */
static void test_channel_tails(void** state) {
  (void)state;
  for (int a = 0; a < NUM_TAILS; a++)
    for (int b = 0; b < NUM_TAILS; b++)
      for (int g = 1; g <= 2; g++) {
        conv_case c = {.batch = 1,
                       .in_h = 9,
                       .in_w = 11,
                       .k = 3,
                       .stride = 2,
                       .dil = 1,
                       .groups = g,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .act = (a + b) % 3,
                       .bias = 1};
        c.in_c = k_tails[a] * g;
        c.out_c = k_tails[b] * g;
        check_case(&c);
        conv_case d = {.batch = 2,
                       .in_h = 5,
                       .in_w = 7,
                       .k = 1,
                       .stride = 1,
                       .dil = 1,
                       .groups = g,
                       .act = (a + b + 1) % 3,
                       .bias = (a + b) % 2};
        d.in_c = k_tails[a] * g;
        d.out_c = k_tails[b] * g;
        check_case(&d);
      }
}

/* Fully connected: a 1×1 conv on 1×1 images, batch = rows. */
static void test_fc(void** state) {
  (void)state;
  static const int ms[] = {1, 5, 7, 13}, kk[] = {1, 17, 300, 1280}, ns[] = {1, 15, 33, 1000};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      /* clang-format off */
      conv_case c = {.batch = ms[i], .in_h = 1, .in_w = 1, .k = 1, .stride = 1, .dil = 1, .groups = 1,
                     .act = (i + j) % 3, .bias = (i + j) % 2 == 0, .three_threads = 1};
      /* clang-format on */
      c.in_c = kk[j];
      c.out_c = ns[(i + j) % 4];
      check_case(&c);
    }
}

/* Layers of RepVGG-A0 (its stride-2 convs, small), large enough to split
 * over threads, with many pixel blocks and K blocks. */
static void test_layers(void** state) {
  (void)state;
  /* One layer a row. */
  /* clang-format off */
  const conv_case cs[] = {
      {.batch = 1, .in_h = 24, .in_w = 24, .in_c = 48, .out_c = 48, .k = 3, .stride = 2, .dil = 1, .groups = 1,
       .pt = 1, .pl = 1, .pb = 1, .pr = 1, .act = RC_GEMM_ACT_CLAMP, .bias = 1},
      {.batch = 1, .in_h = 14, .in_w = 14, .in_c = 96, .out_c = 192, .k = 3, .stride = 2, .dil = 1, .groups = 1,
       .pt = 1, .pl = 1, .pb = 1, .pr = 1, .act = RC_GEMM_ACT_PRELU, .bias = 1},
      {.batch = 1, .in_h = 31, .in_w = 29, .in_c = 3, .out_c = 48, .k = 3, .stride = 2, .dil = 1, .groups = 1,
       .pt = 1, .pl = 1, .pb = 1, .pr = 1, .act = RC_GEMM_ACT_CLAMP, .bias = 1},
  };
  /* clang-format on */
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    conv_case c = cs[i];
    c.three_threads = 1;
    check_case(&c);
  }
}

/* Packed weights as halves (packed_half): bitwise the output of the float
 * weights rounded through binary16, for every micro-kernel (the wide ones'
 * 1-, 2- and 3-panel calls), several K blocks (small L1 budget), pixel
 * blocks and column ranges over threads, an FC, a 1×1 read in place and
 * groups. */
static void test_half_weights(void** state) {
  (void)state;
  /* clang-format off */
  const conv_case cs[] = {
      {.batch = 1, .in_h = 14, .in_w = 14, .in_c = 96, .out_c = 80, .k = 3, .stride = 2, .dil = 1, .groups = 1,
       .pt = 1, .pl = 1, .pb = 1, .pr = 1, .act = RC_GEMM_ACT_PRELU, .bias = 1},
      {.batch = 3, .in_h = 1, .in_w = 1, .in_c = 300, .out_c = 33, .k = 1, .stride = 1, .dil = 1, .groups = 1,
       .act = RC_GEMM_ACT_NONE, .bias = 1},
      {.batch = 2, .in_h = 9, .in_w = 7, .in_c = 24, .out_c = 40, .k = 1, .stride = 1, .dil = 1, .groups = 2,
       .act = RC_GEMM_ACT_CLAMP, .bias = 0},
      {.batch = 1, .in_h = 12, .in_w = 11, .in_c = 20, .out_c = 17, .k = 5, .stride = 1, .dil = 2, .groups = 1,
       .pt = 2, .pl = 1, .pb = 3, .pr = 0, .act = RC_GEMM_ACT_CLAMP, .bias = 1},
  };
  /* clang-format on */
  static const size_t caches[][2] = {{0, 0}, {2048, 4096}};
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 77);
  size_t runs = 0;
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    const conv_case* c = &cs[i];
    operands op;
    make_operands(c, &rng, &op);
    const size_t nw = op.nw, ny = op.ny;
    const float *x = op.x, *w = op.w, *b = op.b, *sl = op.sl;
    float* wr = xmalloc(nw * sizeof(float));
    for (size_t j = 0; j < nw; j++) wr[j] = rc_f16_to_f32(rc_f32_to_f16(w[j]));
    for (int uk = RC_GEMM_UK_SCALAR; uk < RC_GEMM_UK_COUNT; uk++) {
      if (!rc_gemm_ukernel_available((rc_gemm_ukernel)uk)) continue;
      for (size_t ci = 0; ci < 2; ci++) {
        rc_gemm_conv_params p = params_of(c, caches[ci][0], caches[ci][1]);
        p.ukernel = (rc_gemm_ukernel)uk;
        p.direct = -1;
        float* want = run(&p, x, wr, c->bias ? b : NULL, sl, NULL);
        for (int th = 0; th < 2; th++) {
          float* got = run_ex(&p, x, w, c->bias ? b : NULL, sl, th ? g_pool2 : NULL, 1);
          runs++;
          if (memcmp(want, got, ny * sizeof(float)) != 0)
            fail_msg("case %zu %s caches %zu threads %d: halves differ from the rounded floats", i,
                     rc_gemm_ukernel_name((rc_gemm_ukernel)uk), ci, th + 1);
          free(got);
        }
        free(want);
      }
    }
    free(wr);
    free_operands(&op);
  }
  print_message("packed weights as halves: %zu runs bitwise\n", runs);
}

/* The direct path's own sweep (it runs by default under RC_GEMM_DIRECT_MAX_CIN
 * input channels): Cin 1..4, output widths 1..14 (tiles of 6 and their tails),
 * Cout filling 1 to 5 16-lane panels (the 48-wide kernel's 1-, 2- and
 * 3-panel calls), stride 1 and 2, kernels 1×1 to 5×3 (non-square: the
 * segment length kernel_w·Cin), symmetric and asymmetric padding, batch 2. */
static void test_direct_small_cin(void** state) {
  (void)state;
  static const int couts[] = {1, 8, 17, 40, 48, 64, 80};
  int i = 0;
  for (int cin = 1; cin <= 4; cin++)
    for (int s = 1; s <= 2; s++)
      for (int k = 1; k <= 5; k += 2, i++) {
        conv_case c = {.batch = 1 + i % 2, .in_c = cin, .k = k, .stride = s, .dil = 1, .groups = 1};
        c.out_c = couts[i % 7];
        c.in_w = k + (i * 5) % 14 * s; /* output widths 1..14 across the sweep */
        c.in_h = k + 1 + i % 3;
        c.pt = c.pb = c.pl = c.pr = k / 2;
        if (i % 4 == 1) c.pt = 0, c.pl = k - 1, c.pr = 0;
        c.act = i % 3;
        c.bias = i % 5 != 4;
        check_case(&c);
      }
  /* RepVGG's stem, smaller: 3→48, 3×3 stride 2 pad 1, odd and even extents. */
  conv_case stem = {.batch = 1,
                    .in_h = 30,
                    .in_w = 37,
                    .in_c = 3,
                    .out_c = 48,
                    .k = 3,
                    .stride = 2,
                    .dil = 1,
                    .groups = 1,
                    .pt = 1,
                    .pl = 1,
                    .pb = 1,
                    .pr = 1,
                    .act = RC_GEMM_ACT_CLAMP,
                    .bias = 1,
                    .three_threads = 1};
  check_case(&stem);
}

/* A kernel listed with rows 12 (gemm_ukernels.inc) called on 12 rows gives
 * the bits of two 6-row calls, on every column count up to its 48 (one,
 * two and three panels, tails), each flag combination, with bias and PReLU
 * or a clamp; columns past nc and the rows around c stay untouched. The
 * conv sweep above reaches these calls through the driver; this pins the
 * contract itself. */
static void test_twelve_rows(void** state) {
  (void)state;
#if RC_ARCH_X86_64
  if (!rc_gemm_ukernel_available(RC_GEMM_UK_AVX512F_48)) {
    print_message("twelve rows: no AVX-512F here, skipped\n");
    return;
  }
  enum { KC = 37, NP = 3, CS = 56 }; /* c rows 56 floats apart: 8 past 48 */
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 12);
  float* a = xmalloc(12 * (KC + 3) * sizeof(float));
  float* w = xmalloc(NP * KC * 16 * sizeof(float));
  float* bias = xmalloc(48 * sizeof(float));
  float* slopes = xmalloc(48 * sizeof(float));
  float* c12 = xmalloc(14 * CS * sizeof(float));
  float* c6 = xmalloc(14 * CS * sizeof(float));
  rc_test_fill_uniform(&rng, a, 12 * (KC + 3), -1.0f, 1.0f);
  rc_test_fill_uniform(&rng, w, NP * KC * 16, -1.0f, 1.0f);
  rc_test_fill_uniform(&rng, bias, 48, -1.0f, 1.0f);
  rc_test_fill_uniform(&rng, slopes, 48, -1.0f, 1.0f);
  static const size_t ncs[] = {1, 15, 16, 17, 31, 32, 33, 47, 48};
  for (size_t n = 0; n < sizeof ncs / sizeof ncs[0]; n++)
    for (uint32_t flags = 0; flags < 4; flags++)
      for (int act = 0; act < 2; act++) {
        const rc_gemm_epilogue ep = {bias, act ? slopes : NULL, -0.5f, 0.75f};
        rc_test_fill_uniform(&rng, c12, 14 * CS, -1.0f, 1.0f);
        memcpy(c6, c12, 14 * CS * sizeof(float));
        /* a_stride KC + 3, w_stride one panel; c from its second row */
        rc_gemm_6x48__avx512f(12, ncs[n], KC, a, KC + 3, w, KC * 16, c12 + CS, CS, flags, &ep, NULL, 0);
        rc_gemm_6x48__avx512f(6, ncs[n], KC, a, KC + 3, w, KC * 16, c6 + CS, CS, flags, &ep, NULL, 0);
        rc_gemm_6x48__avx512f(6, ncs[n], KC, a + 6 * (KC + 3), KC + 3, w, KC * 16, c6 + 7 * CS, CS, flags, &ep, NULL,
                              0);
        assert_memory_equal(c12, c6, 14 * CS * sizeof(float));
      }
  free(a);
  free(w);
  free(bias);
  free(slopes);
  free(c12);
  free(c6);
#else
  print_message("twelve rows: not x86-64, skipped\n");
#endif
}

static void test_summary(void** state) {
  (void)state;
  printf("[ gemm ] %zu cases (%zu on the direct path by default); worst err / (K·2^-24·mag) = %.3f (bound (K+4)/K)\n",
         g_cases, g_direct_cases, g_worst);
  assert_true(g_cases > 100);
#if RC_ARCH_X86_64
  assert_true(g_direct_cases > 30);
#endif
}

static void test_ukernel_names(void** state) {
  (void)state;
  assert_true(rc_gemm_ukernel_available(RC_GEMM_UK_SCALAR));
  assert_true(rc_gemm_ukernel_available(RC_GEMM_UK_AUTO));
  assert_int_equal(rc_gemm_ukernel_resolve(RC_GEMM_UK_COUNT), RC_GEMM_UK_SCALAR);
  assert_string_equal(rc_gemm_ukernel_name(RC_GEMM_UK_SCALAR), "gemm_6x16__scalar");
  assert_string_equal(rc_gemm_ukernel_name(RC_GEMM_UK_FMA3), "gemm_6x16__avx2");
  assert_string_equal(rc_gemm_ukernel_name(RC_GEMM_UK_AVX512F), "gemm_6x32__avx512f");
  assert_string_equal(rc_gemm_ukernel_name(RC_GEMM_UK_AVX512F_48), "gemm_6x48__avx512f");
  /* Every line of the list: its name is its function's, and it runs where
   * its ISA is compiled in and available (the sweep covers it then). */
  const rc_cpu* cpu = rc_cpu_get();
  int lines = 0;
#define RC_GEMM_UKERNEL(ID, name, ISA, nr, rows, autopick, kind, tile)       \
  lines++;                                                                   \
  assert_string_equal(rc_gemm_ukernel_name(RC_GEMM_UK_##ID), "gemm_" #name); \
  RC_IF_ISA_##ISA(assert_ptr_not_equal((void*)rc_gemm_##name, NULL);         \
                  assert_int_equal(rc_gemm_ukernel_available(RC_GEMM_UK_##ID), RC_ISA_AVAILABLE_##ISA(cpu) ? 1 : 0);)
#include "kernels/gemm/gemm_ukernels.inc"
#undef RC_GEMM_UKERNEL
  assert_int_equal(lines, RC_GEMM_UK_COUNT - 1);
}

int main(void) {
  g_pool2 = rc_pool_create(2);
  g_pool3 = rc_pool_create(3);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ukernel_names), cmocka_unit_test(test_conv_sweep),  cmocka_unit_test(test_direct_small_cin),
      cmocka_unit_test(test_channel_tails), cmocka_unit_test(test_fc),          cmocka_unit_test(test_layers),
      cmocka_unit_test(test_half_weights),  cmocka_unit_test(test_twelve_rows), cmocka_unit_test(test_summary),
  };
  int r = cmocka_run_group_tests(tests, NULL, NULL);
  rc_pool_destroy(g_pool2);
  rc_pool_destroy(g_pool3);
  return r;
}

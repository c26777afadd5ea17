/* Tests of the reference conv2d, pooling, gemm and batchnorm kernels:
 * hand-worked cases, then sweeps against float64 oracles written here as
 * naive NCHW loops (independent of the kernels' NHWC indexing).
 *
 * Tolerance of the sweeps. The oracle accumulates in double and rounds once;
 * the kernel does the same in another order. Write S for the exact sum and
 * mag for Σ|terms| (products plus bias). Each double sum differs from S by
 * at most K·2⁻⁵³·mag (K ≤ a few thousand terms here, so < 1e-12·mag), and the
 * kernel's single rounding to float adds at most half an ulp, 2⁻²⁴·|S|. So
 *   |got − want| ≤ 2⁻²⁴·|want| + 1e-12·mag (+ negligible cross terms);
 * we allow 1.2e-7·|want| (one float ulp, 2× headroom) + 1e-10·mag. This is
 * tighter than a float-accumulating kernel could meet (its error grows like
 * K·2⁻²⁴·mag), so the test also checks that the oracle really accumulates
 * in double. Copies and max pool are exact. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/ref/ref.h"
#include "tests/support/test_util.h"

#define RTOL_ULP 1.2e-7
#define ATOL_MAG 1e-10

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

/* |got − want| ≤ RTOL_ULP·|want| + ATOL_MAG·mag for every element. */
static void expect_close_mag(const char* what, const float* got, const double* want, const double* mag, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (isnan(want[i]) || isnan(got[i])) {
      if (!(isnan(want[i]) && isnan(got[i]))) fail_msg("%s[%zu]: got %.9g, want %.9g", what, i, got[i], want[i]);
      continue;
    }
    if (isinf(want[i]) || isinf(got[i])) {
      if ((double)got[i] != want[i]) fail_msg("%s[%zu]: got %.9g, want %.9g", what, i, got[i], want[i]);
      continue;
    }
    const double err = fabs((double)got[i] - want[i]);
    const double tol = RTOL_ULP * fabs(want[i]) + ATOL_MAG * mag[i];
    if (err > tol) fail_msg("%s[%zu]: got %.9g, want %.9g (|err| %.3g > tol %.3g)", what, i, got[i], want[i], err, tol);
  }
}

/* NCHW (float) → NHWC copy, written independently of rc_ref_reshape. */
static void nchw_to_nhwc_f(int n_, int c_, int h_, int w_, const float* src, float* dst) {
  for (int n = 0; n < n_; n++)
    for (int c = 0; c < c_; c++)
      for (int h = 0; h < h_; h++)
        for (int w = 0; w < w_; w++)
          dst[(((size_t)n * h_ + h) * w_ + w) * c_ + c] = src[(((size_t)n * c_ + c) * h_ + h) * w_ + w];
}

static void nchw_to_nhwc_d(int n_, int c_, int h_, int w_, const double* src, double* dst) {
  for (int n = 0; n < n_; n++)
    for (int c = 0; c < c_; c++)
      for (int h = 0; h < h_; h++)
        for (int w = 0; w < w_; w++)
          dst[(((size_t)n * h_ + h) * w_ + w) * c_ + c] = src[(((size_t)n * c_ + c) * h_ + h) * w_ + w];
}

/* ------------------------------------------------------------------ conv */

static rc_conv2d_params conv_params(int batch, int in_h, int in_w, int in_c, int out_c, int kh, int kw, int sh, int sw,
                                    int dh, int dw, int pt, int pl, int pb, int pr, int groups) {
  rc_conv2d_params p;
  memset(&p, 0, sizeof p);
  p.batch = batch;
  p.in_h = in_h;
  p.in_w = in_w;
  p.in_c = in_c;
  p.out_c = out_c;
  p.kernel_h = kh;
  p.kernel_w = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.dilation_h = dh;
  p.dilation_w = dw;
  p.pad_top = pt;
  p.pad_left = pl;
  p.groups = groups;
  p.out_h = (in_h + pt + pb - dh * (kh - 1) - 1) / sh + 1;
  p.out_w = (in_w + pl + pr - dw * (kw - 1) - 1) / sw + 1;
  return p;
}

/* 3x3 input 1..9, 2x2 kernel [[1,2],[3,4]]: valid conv, by hand
 * 1+4+12+20 = 37, 2+6+15+24 = 47, 4+10+21+32 = 67, 5+12+24+36 = 77. */
static void test_conv_hand_valid(void** state) {
  (void)state;
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 2, 3, 4}, b[1] = {1};
  rc_conv2d_params p = conv_params(1, 3, 3, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1);
  assert_int_equal(p.out_h, 2);
  assert_int_equal(p.out_w, 2);
  float y[4];
  rc_ref_conv2d_nhwc(&p, x, w, NULL, y, NULL);
  const float want[4] = {37, 47, 67, 77};
  rc_test_expect_close_f("conv valid", y, want, 4, 0, 0);
  rc_ref_conv2d_nhwc(&p, x, w, b, y, NULL);
  const float want_b[4] = {38, 48, 68, 78};
  rc_test_expect_close_f("conv valid+bias", y, want_b, 4, 0, 0);
}

/* Same data, pad top/left 1, stride 2: windows start at -1 and 1.
 * (0,0): x00·w11 = 4; (0,1): x01·w10 + x02·w11 = 6+12 = 18;
 * (1,0): x10·w01 + x20·w11 = 8+28 = 36; (1,1): 5+12+24+36 = 77. */
static void test_conv_hand_pad_stride(void** state) {
  (void)state;
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 2, 3, 4};
  rc_conv2d_params p = conv_params(1, 3, 3, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 1);
  assert_int_equal(p.out_h, 2);
  assert_int_equal(p.out_w, 2);
  float y[4];
  rc_ref_conv2d_nhwc(&p, x, w, NULL, y, NULL);
  const float want[4] = {4, 18, 36, 77};
  rc_test_expect_close_f("conv pad/stride", y, want, 4, 0, 0);
}

/* Dilation 2 on 3x3 with a 2x2 kernel: one output, the corners:
 * 1·1 + 2·3 + 3·7 + 4·9 = 64. */
static void test_conv_hand_dilation(void** state) {
  (void)state;
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 2, 3, 4};
  rc_conv2d_params p = conv_params(1, 3, 3, 1, 1, 2, 2, 1, 1, 2, 2, 0, 0, 0, 0, 1);
  assert_int_equal(p.out_h, 1);
  assert_int_equal(p.out_w, 1);
  float y[1];
  rc_ref_conv2d_nhwc(&p, x, w, NULL, y, NULL);
  assert_true(y[0] == 64.0f);
}

/* NHWC channel order and OIHW weights, 1x1 conv, 2 pixels of 2 channels:
 * x = (1,2),(3,4); w oc0 = (1,10), oc1 = (-1,0.5) → (21,0),(43,-1).
 * Grouped (groups 2): oc0 sees ic0 only, oc1 sees ic1 only; w = (2),(3)
 * → (2,6),(6,12). */
static void test_conv_hand_channels_groups(void** state) {
  (void)state;
  const float x[4] = {1, 2, 3, 4};
  const float w[4] = {1, 10, -1, 0.5f};
  rc_conv2d_params p = conv_params(1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);
  float y[4];
  rc_ref_conv2d_nhwc(&p, x, w, NULL, y, NULL);
  const float want[4] = {21, 0, 43, -1};
  rc_test_expect_close_f("conv 1x1 nhwc", y, want, 4, 0, 0);

  const float wg[2] = {2, 3};
  p.groups = 2;
  rc_ref_conv2d_nhwc(&p, x, wg, NULL, y, NULL);
  const float want_g[4] = {2, 6, 6, 12};
  rc_test_expect_close_f("conv grouped", y, want_g, 4, 0, 0);
}

typedef struct conv_case {
  int batch, in_c, out_c, groups, kh, kw, sh, sw, dh, dw, bias;
} conv_case;

static const conv_case conv_cases[] = {
    {2, 3, 5, 1, 1, 1, 1, 1, 1, 1, 1}, /* 1x1 */
    {1, 4, 6, 1, 3, 3, 1, 1, 1, 1, 1}, /* 3x3 */
    {2, 5, 3, 1, 3, 3, 2, 2, 1, 1, 0}, /* 3x3 stride 2, batch 2 */
    {1, 6, 6, 6, 3, 3, 1, 1, 2, 2, 1}, /* depthwise, dilation 2 */
    {2, 4, 8, 4, 3, 3, 2, 2, 1, 1, 1}, /* depthwise, multiplier 2, stride 2 */
    {1, 4, 6, 2, 1, 3, 1, 1, 1, 1, 1}, /* 1x3, groups 2 */
    {1, 3, 4, 1, 5, 5, 1, 1, 3, 3, 1}, /* 5x5, dilation 3 */
    {2, 6, 3, 3, 7, 1, 2, 1, 1, 1, 0}, /* 7x1, groups 3, stride 2x1 */
    {2, 3, 3, 1, 3, 3, 2, 2, 3, 3, 1}, /* 3x3 dilation 3 stride 2 */
    {1, 5, 7, 1, 5, 5, 2, 2, 2, 2, 1}, /* 5x5 stride 2 dilation 2 */
    {1, 2, 2, 1, 3, 1, 1, 2, 2, 1, 1}, /* 3x1, mixed strides/dilations */
};

/* Float64 oracle, NCHW; want and mag are NCHW [n][oc][oh][ow]. */
static void conv_oracle(const rc_conv2d_params* p, const float* x_nchw, const float* w, const float* bias, double* want,
                        double* mag) {
  const int icg = p->in_c / p->groups, ocg = p->out_c / p->groups;
  for (int n = 0; n < p->batch; n++)
    for (int oc = 0; oc < p->out_c; oc++)
      for (int oh = 0; oh < p->out_h; oh++)
        for (int ow = 0; ow < p->out_w; ow++) {
          double s = bias ? bias[oc] : 0.0, m = bias ? fabs(bias[oc]) : 0.0;
          for (int ic = 0; ic < icg; ic++) {
            const int c = (oc / ocg) * icg + ic;
            for (int kh = 0; kh < p->kernel_h; kh++)
              for (int kw = 0; kw < p->kernel_w; kw++) {
                const int ih = oh * p->stride_h - p->pad_top + kh * p->dilation_h;
                const int iw = ow * p->stride_w - p->pad_left + kw * p->dilation_w;
                if (ih < 0 || ih >= p->in_h || iw < 0 || iw >= p->in_w) continue;
                const double t = (double)x_nchw[(((size_t)n * p->in_c + c) * p->in_h + ih) * p->in_w + iw] *
                                 (double)w[(((size_t)oc * icg + ic) * p->kernel_h + kh) * p->kernel_w + kw];
                s += t;
                m += fabs(t);
              }
          }
          const size_t o = (((size_t)n * p->out_c + oc) * p->out_h + oh) * p->out_w + ow;
          want[o] = s;
          mag[o] = m;
        }
}

static int odd_in(rc_test_rng* r, int lo, int hi) { return rc_test_rng_int(r, lo / 2, (hi - 1) / 2) * 2 + 1; }

static void test_conv_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 1234);
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  assert_int_equal(rc_pool_threads(pool), 2);
  char what[96];
  for (size_t ci = 0; ci < sizeof conv_cases / sizeof conv_cases[0]; ci++) {
    const conv_case* cc = &conv_cases[ci];
    for (int rep = 0; rep < 3; rep++) {
      const int eh = cc->dh * (cc->kh - 1) + 1, ew = cc->dw * (cc->kw - 1) + 1;
      const int pt = rc_test_rng_int(&rng, 0, 3), pb = rc_test_rng_int(&rng, 0, 3);
      const int pl = rc_test_rng_int(&rng, 0, 3), pr = rc_test_rng_int(&rng, 0, 3);
      int in_h = odd_in(&rng, 3, 15), in_w = odd_in(&rng, 3, 15);
      while (in_h + pt + pb < eh) in_h += 2;
      while (in_w + pl + pr < ew) in_w += 2;
      rc_conv2d_params p = conv_params(cc->batch, in_h, in_w, cc->in_c, cc->out_c, cc->kh, cc->kw, cc->sh, cc->sw,
                                       cc->dh, cc->dw, pt, pl, pb, pr, cc->groups);
      const size_t nx = (size_t)p.batch * p.in_c * p.in_h * p.in_w;
      const size_t nw = (size_t)p.out_c * (p.in_c / p.groups) * p.kernel_h * p.kernel_w;
      const size_t ny = (size_t)p.batch * p.out_c * p.out_h * p.out_w;
      float* x_nchw = xmalloc(nx * sizeof(float));
      float* x = xmalloc(nx * sizeof(float));
      float* w = xmalloc(nw * sizeof(float));
      float* b = xmalloc((size_t)p.out_c * sizeof(float));
      float* y = xmalloc(ny * sizeof(float));
      float* y2 = xmalloc(ny * sizeof(float));
      double* want_nchw = xmalloc(ny * sizeof(double));
      double* mag_nchw = xmalloc(ny * sizeof(double));
      double* want = xmalloc(ny * sizeof(double));
      double* mag = xmalloc(ny * sizeof(double));
      rc_test_fill_uniform(&rng, x_nchw, nx, -1.0f, 1.0f);
      rc_test_fill_uniform(&rng, w, nw, -1.0f, 1.0f);
      rc_test_fill_uniform(&rng, b, (size_t)p.out_c, -1.0f, 1.0f);
      const float* bias = cc->bias ? b : NULL;
      nchw_to_nhwc_f(p.batch, p.in_c, p.in_h, p.in_w, x_nchw, x);

      conv_oracle(&p, x_nchw, w, bias, want_nchw, mag_nchw);
      nchw_to_nhwc_d(p.batch, p.out_c, p.out_h, p.out_w, want_nchw, want);
      nchw_to_nhwc_d(p.batch, p.out_c, p.out_h, p.out_w, mag_nchw, mag);

      memset(y, 0xff, ny * sizeof(float)); /* NaN: every element must be written */
      rc_ref_conv2d_nhwc(&p, x, w, bias, y, NULL);
      snprintf(what, sizeof what, "conv case %zu rep %d (%dx%d in, pads %d,%d,%d,%d)", ci, rep, in_h, in_w, pt, pl, pb,
               pr);
      expect_close_mag(what, y, want, mag, ny);

      /* Two threads: bitwise the same as the caller's thread. */
      memset(y2, 0xff, ny * sizeof(float));
      rc_ref_conv2d_nhwc(&p, x, w, bias, y2, pool);
      assert_memory_equal(y, y2, ny * sizeof(float));

      free(x_nchw), free(x), free(w), free(b), free(y), free(y2);
      free(want_nchw), free(mag_nchw), free(want), free(mag);
    }
  }
  rc_pool_destroy(pool);
}

/* ------------------------------------------------------------------ pools */

static rc_pool_params pool_params(int batch, int in_h, int in_w, int ch, int kh, int kw, int sh, int sw, int pt, int pl,
                                  int pb, int pr, int ceil_mode, int cip) {
  rc_pool_params p;
  memset(&p, 0, sizeof p);
  p.batch = batch;
  p.in_h = in_h;
  p.in_w = in_w;
  p.channels = ch;
  p.kernel_h = kh;
  p.kernel_w = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.pad_top = pt;
  p.pad_left = pl;
  p.pad_bottom = pb;
  p.pad_right = pr;
  p.count_include_pad = cip;
  /* PyTorch's output size: with ceil_mode the last window must start
   * inside the input or the leading padding. */
  p.out_h = (in_h + pt + pb - kh + (ceil_mode ? sh - 1 : 0)) / sh + 1;
  p.out_w = (in_w + pl + pr - kw + (ceil_mode ? sw - 1 : 0)) / sw + 1;
  if (ceil_mode && (p.out_h - 1) * sh >= in_h + pt) p.out_h--;
  if (ceil_mode && (p.out_w - 1) * sw >= in_w + pl) p.out_w--;
  return p;
}

/* 1-D avg pool on [1,2,3,4], k 3, s 2, pad 1 both sides, ceil_mode → 3 outputs.
 * Windows: [-1,2) taps 1,2 (sum 3, size 3); [1,4) taps 2,3,4 (sum 9, size 3);
 * [3,6) clipped to the padded extent [-1,5) → [3,5), size 2, tap 4.
 * count_include_pad: 3/3, 9/3, 4/2 = 1, 3, 2 (PyTorch: the last divisor is 2,
 * not 3). Without: 3/2, 9/3, 4/1 = 1.5, 3, 4. */
static void test_avgpool_hand(void** state) {
  (void)state;
  const float x[4] = {1, 2, 3, 4};
  float y[3];
  rc_pool_params p = pool_params(1, 1, 4, 1, 1, 3, 1, 2, 0, 1, 0, 1, 1, 1);
  assert_int_equal(p.out_h, 1);
  assert_int_equal(p.out_w, 3);
  rc_ref_avgpool_nhwc(&p, x, y, NULL);
  const float want_cip[3] = {1, 3, 2};
  rc_test_expect_close_f("avgpool cip", y, want_cip, 3, 0, 0);
  p.count_include_pad = 0;
  rc_ref_avgpool_nhwc(&p, x, y, NULL);
  const float want_nocip[3] = {1.5f, 3, 4};
  rc_test_expect_close_f("avgpool no cip", y, want_nocip, 3, 0, 0);

  /* 2-D, 2 channels (NHWC), 3x3 input, k 2 s 2 ceil_mode, no padding:
   * windows rows/cols [0,2) and [2,3) → sizes 4, 2, 2, 1 either way. */
  const float x2[18] = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60, 7, 70, 8, 80, 9, 90};
  float y2[8];
  rc_pool_params q = pool_params(1, 3, 3, 2, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1);
  assert_int_equal(q.out_h, 2);
  assert_int_equal(q.out_w, 2);
  rc_ref_avgpool_nhwc(&q, x2, y2, NULL);
  /* (1+2+4+5)/4 = 3, (3+6)/2 = 4.5, (7+8)/2 = 7.5, 9/1 = 9. */
  const float want2[8] = {3, 30, 4.5f, 45, 7.5f, 75, 9, 90};
  rc_test_expect_close_f("avgpool 2d ceil", y2, want2, 8, 0, 0);

  /* A window with no input tap (pad_left 2, k 2, s 1) gives 0 both ways. */
  const float x3[2] = {5, 7};
  float y3[3];
  rc_pool_params z = pool_params(1, 1, 2, 1, 1, 2, 1, 1, 0, 2, 0, 0, 0, 1);
  assert_int_equal(z.out_w, 3);
  rc_ref_avgpool_nhwc(&z, x3, y3, NULL);
  const float want3_cip[3] = {0, 2.5f, 6};
  rc_test_expect_close_f("avgpool empty cip", y3, want3_cip, 3, 0, 0);
  z.count_include_pad = 0;
  rc_ref_avgpool_nhwc(&z, x3, y3, NULL);
  const float want3[3] = {0, 5, 6};
  rc_test_expect_close_f("avgpool empty", y3, want3, 3, 0, 0);
}

/* Max pool: padding never wins; a window with no taps is -inf; NaN wins. */
static void test_maxpool_hand(void** state) {
  (void)state;
  const float x[4] = {-5, -3, -4, -1};
  float y[3];
  /* k 2 s 1, pad_left 2: windows [-2,0) empty, [-1,1) → -5, [0,2) → -3. */
  rc_pool_params p = pool_params(1, 1, 2, 1, 1, 2, 1, 1, 0, 2, 0, 0, 0, 0);
  rc_ref_maxpool_nhwc(&p, x, y, NULL);
  assert_true(isinf(y[0]) && y[0] < 0);
  assert_true(y[1] == -5.0f);
  assert_true(y[2] == -3.0f);

  /* k 2 s 2 on [1, NaN, 3, 2, NaN, NaN]: NaN in the first and third windows,
   * whether it comes first or last. */
  const float xn[6] = {1, NAN, 3, 2, NAN, NAN};
  const float xm[4] = {NAN, 1, 2, 3};
  float yn[3];
  rc_pool_params q = pool_params(1, 1, 6, 1, 1, 2, 1, 2, 0, 0, 0, 0, 0, 0);
  rc_ref_maxpool_nhwc(&q, xn, yn, NULL);
  assert_true(isnan(yn[0]));
  assert_true(yn[1] == 3.0f);
  assert_true(isnan(yn[2]));
  rc_pool_params r = pool_params(1, 1, 4, 1, 1, 2, 1, 2, 0, 0, 0, 0, 0, 0);
  rc_ref_maxpool_nhwc(&r, xm, yn, NULL);
  assert_true(isnan(yn[0]));
  assert_true(yn[1] == 3.0f);
}

/* Oracles in NCHW: avg counts taps instead of clipping bounds. */
static void avgpool_oracle(const rc_pool_params* p, const float* x, double* want, double* mag) {
  for (int n = 0; n < p->batch; n++)
    for (int c = 0; c < p->channels; c++)
      for (int oh = 0; oh < p->out_h; oh++)
        for (int ow = 0; ow < p->out_w; ow++) {
          double s = 0, m = 0;
          int in_padded = 0, in_input = 0;
          for (int kh = 0; kh < p->kernel_h; kh++)
            for (int kw = 0; kw < p->kernel_w; kw++) {
              const int ih = oh * p->stride_h - p->pad_top + kh, iw = ow * p->stride_w - p->pad_left + kw;
              if (ih < p->in_h + p->pad_bottom && iw < p->in_w + p->pad_right) in_padded++;
              if (ih < 0 || iw < 0 || ih >= p->in_h || iw >= p->in_w) continue;
              const double v = x[(((size_t)n * p->channels + c) * p->in_h + ih) * p->in_w + iw];
              s += v;
              m += fabs(v);
              in_input++;
            }
          const int div = p->count_include_pad ? in_padded : in_input;
          const size_t o = (((size_t)n * p->channels + c) * p->out_h + oh) * p->out_w + ow;
          want[o] = in_input ? s / div : 0.0;
          mag[o] = in_input ? m / div : 0.0;
        }
}

static void maxpool_oracle(const rc_pool_params* p, const float* x, double* want) {
  for (int n = 0; n < p->batch; n++)
    for (int c = 0; c < p->channels; c++)
      for (int oh = 0; oh < p->out_h; oh++)
        for (int ow = 0; ow < p->out_w; ow++) {
          double best = -INFINITY;
          int saw_nan = 0;
          for (int kh = 0; kh < p->kernel_h; kh++)
            for (int kw = 0; kw < p->kernel_w; kw++) {
              const int ih = oh * p->stride_h - p->pad_top + kh, iw = ow * p->stride_w - p->pad_left + kw;
              if (ih < 0 || iw < 0 || ih >= p->in_h || iw >= p->in_w) continue;
              const double v = x[(((size_t)n * p->channels + c) * p->in_h + ih) * p->in_w + iw];
              if (isnan(v))
                saw_nan = 1;
              else if (v > best)
                best = v;
            }
          want[(((size_t)n * p->channels + c) * p->out_h + oh) * p->out_w + ow] = saw_nan ? NAN : best;
        }
}

static void test_pool_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 99);
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  static const int shapes[][4] = {{2, 2, 2, 2}, {3, 3, 1, 1}, {3, 3, 2, 2}, {2, 3, 2, 1},
                                  {5, 5, 3, 3}, {7, 1, 2, 1}, {1, 3, 1, 2}, {3, 3, 3, 3}};
  char what[96];
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
    for (int rep = 0; rep < 4; rep++) {
      const int kh = shapes[si][0], kw = shapes[si][1], sh = shapes[si][2], sw = shapes[si][3];
      const int pt = rc_test_rng_int(&rng, 0, kh / 2), pb = rc_test_rng_int(&rng, 0, kh / 2);
      const int pl = rc_test_rng_int(&rng, 0, kw / 2), pr = rc_test_rng_int(&rng, 0, kw / 2);
      int in_h = odd_in(&rng, 3, 13), in_w = odd_in(&rng, 3, 13);
      while (in_h < kh) in_h += 2;
      while (in_w < kw) in_w += 2;
      const int batch = 1 + (rep & 1), ch = rc_test_rng_int(&rng, 1, 5);
      const int ceil_mode = (rep >> 1) & 1, cip = rc_test_rng_int(&rng, 0, 1);
      rc_pool_params p = pool_params(batch, in_h, in_w, ch, kh, kw, sh, sw, pt, pl, pb, pr, ceil_mode, cip);
      const size_t nx = (size_t)batch * ch * in_h * in_w, ny = (size_t)batch * ch * p.out_h * p.out_w;
      float* x_nchw = xmalloc(nx * sizeof(float));
      float* x = xmalloc(nx * sizeof(float));
      float* y = xmalloc(ny * sizeof(float));
      float* y2 = xmalloc(ny * sizeof(float));
      double* want_nchw = xmalloc(ny * sizeof(double));
      double* mag_nchw = xmalloc(ny * sizeof(double));
      double* want = xmalloc(ny * sizeof(double));
      double* mag = xmalloc(ny * sizeof(double));
      rc_test_fill_uniform(&rng, x_nchw, nx, -2.0f, 2.0f);
      nchw_to_nhwc_f(batch, ch, in_h, in_w, x_nchw, x);

      snprintf(what, sizeof what, "avgpool shape %zu rep %d (cip %d ceil %d)", si, rep, cip, ceil_mode);
      avgpool_oracle(&p, x_nchw, want_nchw, mag_nchw);
      nchw_to_nhwc_d(batch, ch, p.out_h, p.out_w, want_nchw, want);
      nchw_to_nhwc_d(batch, ch, p.out_h, p.out_w, mag_nchw, mag);
      memset(y, 0xff, ny * sizeof(float));
      rc_ref_avgpool_nhwc(&p, x, y, NULL);
      expect_close_mag(what, y, want, mag, ny);
      rc_ref_avgpool_nhwc(&p, x, y2, pool);
      assert_memory_equal(y, y2, ny * sizeof(float));

      /* Max pool on the same data with a few NaNs and -infs sprinkled in. */
      for (int k = 0; k < 3; k++) {
        x_nchw[rc_test_rng_u32(&rng) % nx] = NAN;
        x_nchw[rc_test_rng_u32(&rng) % nx] = -INFINITY;
      }
      nchw_to_nhwc_f(batch, ch, in_h, in_w, x_nchw, x);
      snprintf(what, sizeof what, "maxpool shape %zu rep %d", si, rep);
      maxpool_oracle(&p, x_nchw, want_nchw);
      nchw_to_nhwc_d(batch, ch, p.out_h, p.out_w, want_nchw, want);
      memset(y, 0, ny * sizeof(float));
      rc_ref_maxpool_nhwc(&p, x, y, NULL);
      rc_test_expect_close(what, y, want, ny, 0, 0);
      rc_ref_maxpool_nhwc(&p, x, y2, pool);
      assert_memory_equal(y, y2, ny * sizeof(float));

      free(x_nchw), free(x), free(y), free(y2), free(want_nchw), free(mag_nchw), free(want), free(mag);
    }
  }
  rc_pool_destroy(pool);
}

/* Global average pool: hand case, then random against a double sum. */
static void test_global_avgpool(void** state) {
  (void)state;
  /* 2 batches, 3 pixels, 2 channels. n0: c0 = 1,2,3 → 2; c1 = 10,20,60 → 30.
   * n1: c0 = -1,-1,-1 → -1; c1 = 0,0,1.5 → 0.5. */
  const float x[12] = {1, 10, 2, 20, 3, 60, -1, 0, -1, 0, -1, 1.5f};
  float y[4];
  rc_ref_global_avgpool_nhwc(2, 3, 2, x, y);
  const float want[4] = {2, 30, -1, 0.5f};
  rc_test_expect_close_f("gap hand", y, want, 4, 0, 0);

  rc_test_rng rng;
  rc_test_rng_seed(&rng, 5);
  const int batch = 2;
  const size_t pixels = 13 * 11, ch = 7;
  float* xr = xmalloc(batch * pixels * ch * sizeof(float));
  float yr[14];
  double w[14], m[14];
  rc_test_fill_uniform(&rng, xr, batch * pixels * ch, -3.0f, 3.0f);
  for (int n = 0; n < batch; n++)
    for (size_t c = 0; c < ch; c++) {
      double s = 0, a = 0;
      for (size_t px = 0; px < pixels; px++) {
        s += xr[(n * pixels + px) * ch + c];
        a += fabs(xr[(n * pixels + px) * ch + c]);
      }
      w[n * ch + c] = s / (double)pixels;
      m[n * ch + c] = a / (double)pixels;
    }
  rc_ref_global_avgpool_nhwc(batch, pixels, ch, xr, yr);
  expect_close_mag("gap random", yr, w, m, 14);
  free(xr);
}

/* ------------------------------------------------------------------ gemm */

static void test_gemm_hand(void** state) {
  (void)state;
  /* x [1,2]; w [[3,4],[5,6]] → 11, 17; alpha 2, beta 0.5, bias (2,4) → 23, 36. */
  const float x[2] = {1, 2}, w[4] = {3, 4, 5, 6}, b[2] = {2, 4};
  float y[2];
  rc_ref_gemm(1, 2, 2, x, w, NULL, 1.0f, 1.0f, y, NULL);
  const float want[2] = {11, 17};
  rc_test_expect_close_f("gemm", y, want, 2, 0, 0);
  rc_ref_gemm(1, 2, 2, x, w, b, 2.0f, 0.5f, y, NULL);
  const float want_ab[2] = {23, 36};
  rc_test_expect_close_f("gemm alpha beta", y, want_ab, 2, 0, 0);
}

static void test_gemm_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 77);
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  for (int rep = 0; rep < 8; rep++) {
    const size_t m = (size_t)rc_test_rng_int(&rng, 1, 9), k = (size_t)rc_test_rng_int(&rng, 1, 300),
                 no = (size_t)rc_test_rng_int(&rng, 1, 17);
    const float alpha = rep & 1 ? 1.0f : rc_test_rng_uniform(&rng, -2.0f, 2.0f);
    const float beta = rep & 2 ? 1.0f : rc_test_rng_uniform(&rng, -2.0f, 2.0f);
    const int has_bias = rep != 3;
    float* x = xmalloc(m * k * sizeof(float));
    float* w = xmalloc(no * k * sizeof(float));
    float* b = xmalloc(no * sizeof(float));
    float* y = xmalloc(m * no * sizeof(float));
    float* y2 = xmalloc(m * no * sizeof(float));
    double* want = xmalloc(m * no * sizeof(double));
    double* mag = xmalloc(m * no * sizeof(double));
    rc_test_fill_uniform(&rng, x, m * k, -1.0f, 1.0f);
    rc_test_fill_uniform(&rng, w, no * k, -1.0f, 1.0f);
    rc_test_fill_uniform(&rng, b, no, -1.0f, 1.0f);
    for (size_t o = 0; o < no; o++)
      for (size_t i = 0; i < m; i++) {
        double s = 0, a = 0;
        for (size_t j = 0; j < k; j++) {
          const double t = (double)x[i * k + j] * (double)w[o * k + j];
          s += t;
          a += fabs(t);
        }
        want[i * no + o] = alpha * s + (has_bias ? (double)beta * b[o] : 0.0);
        mag[i * no + o] = fabs(alpha) * a + (has_bias ? fabs((double)beta * b[o]) : 0.0);
      }
    rc_ref_gemm(m, k, no, x, w, has_bias ? b : NULL, alpha, beta, y, NULL);
    expect_close_mag("gemm sweep", y, want, mag, m * no);
    rc_ref_gemm(m, k, no, x, w, has_bias ? b : NULL, alpha, beta, y2, pool);
    assert_memory_equal(y, y2, m * no * sizeof(float));
    free(x), free(w), free(b), free(y), free(y2), free(want), free(mag);
  }
  rc_pool_destroy(pool);
}

/* ------------------------------------------------------------- batchnorm */

static void test_batchnorm(void** state) {
  (void)state;
  /* (3 − 1)/sqrt(3 + 1)·2 + 0.5 = 2.5; channel 1: (−4 − 0)/sqrt(0.25 + 0)·1 − 1 = −9. */
  const float x[4] = {3, -4, 1, 0}, gamma[2] = {2, 1}, beta[2] = {0.5f, -1}, mean[2] = {1, 0}, var[2] = {3, 0.25f};
  const float eps_hand[2] = {1, 0};
  float y[4];
  float g0[1] = {gamma[0]}, b0[1] = {beta[0]}, m0[1] = {mean[0]}, v0[1] = {var[0]};
  rc_ref_batchnorm_nhwc(1, 1, x, g0, b0, m0, v0, eps_hand[0], y);
  assert_true(y[0] == 2.5f);
  rc_ref_batchnorm_nhwc(2, 2, x, gamma, beta, mean, var, 0.0f, y);
  /* pixel 0 channel 0 with eps 0: 2/sqrt(3)·2 + 0.5; pixel 1: (1−1) → 0.5, (0−0) → −1. */
  const double want_hand[4] = {2.0 / sqrt(3.0) * 2 + 0.5, -9, 0.5, -1};
  rc_test_expect_close("batchnorm hand", y, want_hand, 4, 0, RTOL_ULP);

  rc_test_rng rng;
  rc_test_rng_seed(&rng, 11);
  const size_t pixels = 2 * 7 * 5, ch = 9;
  float* xr = xmalloc(pixels * ch * sizeof(float));
  float* yr = xmalloc(pixels * ch * sizeof(float));
  double* want = xmalloc(pixels * ch * sizeof(double));
  double* mag = xmalloc(pixels * ch * sizeof(double));
  float g[9], b[9], mu[9], v[9];
  rc_test_fill_uniform(&rng, xr, pixels * ch, -3.0f, 3.0f);
  rc_test_fill_uniform(&rng, g, ch, -2.0f, 2.0f);
  rc_test_fill_uniform(&rng, b, ch, -1.0f, 1.0f);
  rc_test_fill_uniform(&rng, mu, ch, -1.0f, 1.0f);
  rc_test_fill_uniform(&rng, v, ch, 0.01f, 4.0f);
  const float eps = 1e-5f;
  for (size_t px = 0; px < pixels; px++)
    for (size_t c = 0; c < ch; c++) {
      const double sd = sqrt((double)v[c] + (double)eps);
      const double t = ((double)xr[px * ch + c] - mu[c]) * g[c] / sd;
      want[px * ch + c] = t + b[c];
      mag[px * ch + c] = fabs(t) + fabs(b[c]);
    }
  rc_ref_batchnorm_nhwc(pixels, ch, xr, g, b, mu, v, eps, yr);
  expect_close_mag("batchnorm random", yr, want, mag, pixels * ch);
  free(xr), free(yr), free(want), free(mag);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv_hand_valid),    cmocka_unit_test(test_conv_hand_pad_stride),
      cmocka_unit_test(test_conv_hand_dilation), cmocka_unit_test(test_conv_hand_channels_groups),
      cmocka_unit_test(test_conv_sweep),         cmocka_unit_test(test_avgpool_hand),
      cmocka_unit_test(test_maxpool_hand),       cmocka_unit_test(test_pool_sweep),
      cmocka_unit_test(test_global_avgpool),     cmocka_unit_test(test_gemm_hand),
      cmocka_unit_test(test_gemm_sweep),         cmocka_unit_test(test_batchnorm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

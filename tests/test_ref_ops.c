/* Tests of the reference data-movement and elementwise kernels: binary ops
 * with broadcast strides, concat, pad, reshape, depth-to-space, upsample and
 * the activations. Hand-worked cases first, then random shapes against
 * oracles written here in NCHW.
 *
 * Patch partition/merge are checked against a hand-worked grid and an
 * index map, and merge∘partition against the identity.
 *
 * Tolerances: copies are exact (compared bit for bit, tolerance 0). A binary
 * op on two floats is exactly the float rounding of the double result (the
 * double result of +,−,×,÷ of floats rounds to float without double-rounding
 * error), so binary ops are compared exactly too. Sigmoid is evaluated by the
 * kernel in double and rounded once, so it is checked to one float ulp
 * (rtol 1.2e-7, i.e. 2⁻²⁴ with 2× headroom) against 1/(1+e^−x) in double. */
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

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

static size_t nhwc_at(int C, int H, int W, int n, int c, int h, int w) { return (((size_t)n * H + h) * W + w) * C + c; }
static size_t nchw_at(int C, int H, int W, int n, int c, int h, int w) { return (((size_t)n * C + c) * H + h) * W + w; }

static int odd_in(rc_test_rng* r, int lo, int hi) { return rc_test_rng_int(r, lo / 2, (hi - 1) / 2) * 2 + 1; }

/* ---------------------------------------------------------------- binary */

static void test_binary_hand(void** state) {
  (void)state;
  /* a [2][3] (as dims 1,1,2,3) op b broadcast along rows [3]. */
  const int64_t dims[4] = {1, 1, 2, 3}, sa[4] = {0, 0, 3, 1}, sb[4] = {0, 0, 0, 1}, sy[4] = {0, 0, 3, 1};
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {10, 20, 40};
  float y[6];
  rc_ref_binary(RC_BINARY_ADD, dims, a, sa, b, sb, y, sy);
  const float add[6] = {11, 22, 43, 14, 25, 46};
  rc_test_expect_close_f("add", y, add, 6, 0, 0);
  rc_ref_binary(RC_BINARY_SUB, dims, a, sa, b, sb, y, sy);
  const float sub[6] = {-9, -18, -37, -6, -15, -34};
  rc_test_expect_close_f("sub", y, sub, 6, 0, 0);
  rc_ref_binary(RC_BINARY_MUL, dims, a, sa, b, sb, y, sy);
  const float mul[6] = {10, 40, 120, 40, 100, 240};
  rc_test_expect_close_f("mul", y, mul, 6, 0, 0);
  rc_ref_binary(RC_BINARY_DIV, dims, b, sb, a, sa, y, sy); /* b / a */
  const float div[6] = {10, 10, 40.0f / 3.0f, 2.5f, 4, 40.0f / 6.0f};
  rc_test_expect_close_f("div", y, div, 6, 0, 0);

  /* Transposed output strides: y stored column-major. */
  const int64_t syt[4] = {0, 0, 1, 2};
  rc_ref_binary(RC_BINARY_ADD, dims, a, sa, b, sb, y, syt);
  const float addt[6] = {11, 14, 22, 25, 43, 46};
  rc_test_expect_close_f("add transposed", y, addt, 6, 0, 0);
}

/* a: [N,C,H,W] stored NHWC; b: one of several broadcast shapes stored C
 * order; y: NHWC. Strides come from the logical coordinates. */
static void test_binary_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 3);
  for (int rep = 0; rep < 16; rep++) {
    const int N = rc_test_rng_int(&rng, 1, 2), C = odd_in(&rng, 1, 7), H = odd_in(&rng, 1, 9), W = odd_in(&rng, 1, 9);
    const int64_t dims[4] = {N, C, H, W};
    /* b's logical shape: each axis either full or broadcast (1). */
    const int bmask = rep % 16;
    const int64_t bd[4] = {bmask & 1 ? 1 : N, bmask & 2 ? 1 : C, bmask & 4 ? 1 : H, bmask & 8 ? 1 : W};
    const size_t na = (size_t)N * C * H * W, nb = (size_t)(bd[0] * bd[1] * bd[2] * bd[3]);
    const int64_t sa[4] = {(int64_t)H * W * C, 1, (int64_t)W * C, C};
    const int64_t sb[4] = {bd[0] == 1 ? 0 : bd[1] * bd[2] * bd[3], bd[1] == 1 ? 0 : bd[2] * bd[3],
                           bd[2] == 1 ? 0 : bd[3], bd[3] == 1 ? 0 : 1};
    float* a = xmalloc(na * sizeof(float));
    float* b = xmalloc(nb * sizeof(float));
    float* y = xmalloc(na * sizeof(float));
    float* want = xmalloc(na * sizeof(float));
    rc_test_fill_uniform(&rng, a, na, -4.0f, 4.0f);
    rc_test_fill_uniform(&rng, b, nb, 0.5f, 3.0f);
    for (int op = RC_BINARY_ADD; op <= RC_BINARY_DIV; op++) {
      for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
          for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
              const double av = a[nhwc_at(C, H, W, n, c, h, w)];
              const size_t bi =
                  (((size_t)(bd[0] == 1 ? 0 : n) * bd[1] + (bd[1] == 1 ? 0 : c)) * bd[2] + (bd[2] == 1 ? 0 : h)) *
                      bd[3] +
                  (bd[3] == 1 ? 0 : w);
              const double bv = b[bi];
              const double r = op == RC_BINARY_ADD   ? av + bv
                               : op == RC_BINARY_SUB ? av - bv
                               : op == RC_BINARY_MUL ? av * bv
                                                     : av / bv;
              want[nhwc_at(C, H, W, n, c, h, w)] = (float)r;
            }
      memset(y, 0xff, na * sizeof(float));
      rc_ref_binary((rc_binary_kind)op, dims, a, sa, b, sb, y, sa);
      char what[64];
      snprintf(what, sizeof what, "binary op %d rep %d", op, rep);
      rc_test_expect_close_f(what, y, want, na, 0, 0);
    }
    free(a), free(b), free(y), free(want);
  }
}

/* ---------------------------------------------------------------- concat */

static void test_concat(void** state) {
  (void)state;
  /* 2 pixels: x1 1 channel, x2 2 channels, x3 0 channels. */
  const float x1[2] = {1, 2}, x2[4] = {10, 11, 20, 21}, x3[1] = {-1};
  const float* xs[3] = {x1, x2, x3};
  const int32_t ch[3] = {1, 2, 0};
  float y[6];
  rc_ref_concat_nhwc(2, 3, xs, ch, y);
  const float want[6] = {1, 10, 11, 2, 20, 21};
  rc_test_expect_close_f("concat hand", y, want, 6, 0, 0);

  rc_test_rng rng;
  rc_test_rng_seed(&rng, 4);
  for (int rep = 0; rep < 6; rep++) {
    const int N = rc_test_rng_int(&rng, 1, 2), H = odd_in(&rng, 1, 7), W = odd_in(&rng, 1, 7);
    const size_t count = (size_t)rc_test_rng_int(&rng, 1, 4), pixels = (size_t)N * H * W;
    float* in[4];
    int32_t c[4];
    int total = 0;
    for (size_t i = 0; i < count; i++) {
      c[i] = rc_test_rng_int(&rng, 1, 5);
      total += c[i];
      in[i] = xmalloc(pixels * (size_t)c[i] * sizeof(float));
      rc_test_fill_uniform(&rng, in[i], pixels * (size_t)c[i], -1.0f, 1.0f);
    }
    float* out = xmalloc(pixels * (size_t)total * sizeof(float));
    float* ref = xmalloc(pixels * (size_t)total * sizeof(float));
    /* Oracle: for each output channel, find its source. */
    for (int n = 0; n < N; n++)
      for (int oc = 0; oc < total; oc++) {
        size_t src = 0;
        int base = 0;
        while (oc >= base + c[src]) base += c[src++];
        for (int h = 0; h < H; h++)
          for (int w = 0; w < W; w++)
            ref[nhwc_at(total, H, W, n, oc, h, w)] = in[src][nhwc_at(c[src], H, W, n, oc - base, h, w)];
      }
    rc_ref_concat_nhwc(pixels, count, (const float* const*)in, c, out);
    assert_memory_equal(out, ref, pixels * (size_t)total * sizeof(float));
    for (size_t i = 0; i < count; i++) free(in[i]);
    free(out), free(ref);
  }
}

/* ------------------------------------------------------------------- pad */

static void test_pad(void** state) {
  (void)state;
  /* [[1,2]] padded top 1, right 1 with 9 → [[9,9,9],[1,2,9]]; zeros when NULL. */
  const float x[2] = {1, 2}, v[1] = {9};
  float y[6];
  rc_ref_pad_nhwc(1, 1, 2, 1, 1, 0, 0, 1, v, x, y);
  const float want[6] = {9, 9, 9, 1, 2, 9};
  rc_test_expect_close_f("pad hand", y, want, 6, 0, 0);
  rc_ref_pad_nhwc(1, 1, 2, 1, 1, 0, 0, 1, NULL, x, y);
  const float want0[6] = {0, 0, 0, 1, 2, 0};
  rc_test_expect_close_f("pad zeros", y, want0, 6, 0, 0);

  rc_test_rng rng;
  rc_test_rng_seed(&rng, 6);
  for (int rep = 0; rep < 8; rep++) {
    const int N = rc_test_rng_int(&rng, 1, 2), C = odd_in(&rng, 1, 5), H = odd_in(&rng, 1, 7), W = odd_in(&rng, 1, 7);
    const int t = rc_test_rng_int(&rng, 0, 3), l = rc_test_rng_int(&rng, 0, 3), b = rc_test_rng_int(&rng, 0, 3),
              r = rc_test_rng_int(&rng, 0, 3);
    const int OH = H + t + b, OW = W + l + r;
    const size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * OH * OW;
    float* xs = xmalloc(nx * sizeof(float));
    float* ys = xmalloc(ny * sizeof(float));
    float* ref = xmalloc(ny * sizeof(float));
    float vals[5];
    rc_test_fill_uniform(&rng, xs, nx, -1.0f, 1.0f);
    rc_test_fill_uniform(&rng, vals, 5, 2.0f, 3.0f);
    const float* values = rep & 1 ? vals : NULL;
    for (int n = 0; n < N; n++)
      for (int c = 0; c < C; c++)
        for (int oh = 0; oh < OH; oh++)
          for (int ow = 0; ow < OW; ow++) {
            const int ih = oh - t, iw = ow - l;
            const int inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            ref[nhwc_at(C, OH, OW, n, c, oh, ow)] =
                inside ? xs[nhwc_at(C, H, W, n, c, ih, iw)] : (values ? values[c] : 0.0f);
          }
    rc_ref_pad_nhwc(N, H, W, C, t, l, b, r, values, xs, ys);
    assert_memory_equal(ys, ref, ny * sizeof(float));
    free(xs), free(ys), free(ref);
  }
}

/* --------------------------------------------------------------- reshape */

static void test_reshape_hand(void** state) {
  (void)state;
  /* Logical [1,2,2,2] = 0..7 in C order (c0: 0..3, c1: 4..7). */
  const int64_t d[4] = {1, 2, 2, 2};
  const float seq[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  const float nhwc[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  float y[8];
  rc_ref_reshape(d, 0, seq, d, 1, y); /* NCHW → NHWC */
  rc_test_expect_close_f("to nhwc", y, nhwc, 8, 0, 0);
  rc_ref_reshape(d, 1, nhwc, d, 0, y); /* NHWC → NCHW */
  rc_test_expect_close_f("to nchw", y, seq, 8, 0, 0);
  /* Flatten an NHWC tensor to [1,8,1,1] (C order): the logical sequence. */
  const int64_t flat[4] = {1, 8, 1, 1};
  rc_ref_reshape(d, 1, nhwc, flat, 0, y);
  rc_test_expect_close_f("flatten", y, seq, 8, 0, 0);
  /* To [1,4,1,2] stored NHWC: element (0,c,0,w) = logical c·2+w lives at
   * w·4+c, so y = 0,2,4,6,1,3,5,7. */
  const int64_t o[4] = {1, 4, 1, 2};
  rc_ref_reshape(d, 1, nhwc, o, 1, y);
  const float want[8] = {0, 2, 4, 6, 1, 3, 5, 7};
  rc_test_expect_close_f("reshape nhwc→nhwc", y, want, 8, 0, 0);
  /* Same layouts, C order both sides: a plain copy. */
  rc_ref_reshape(d, 0, seq, o, 0, y);
  rc_test_expect_close_f("reshape copy", y, seq, 8, 0, 0);
}

static size_t store_at(const int64_t d[4], int nhwc, int64_t e) {
  /* Logical C-order index e → coordinates → storage offset. */
  const int64_t w = e % d[3], h = (e / d[3]) % d[2], c = (e / (d[3] * d[2])) % d[1], n = e / (d[3] * d[2] * d[1]);
  return nhwc ? nhwc_at((int)d[1], (int)d[2], (int)d[3], (int)n, (int)c, (int)h, (int)w)
              : nchw_at((int)d[1], (int)d[2], (int)d[3], (int)n, (int)c, (int)h, (int)w);
}

static void test_reshape_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 8);
  /* Pairs of shapes with equal element counts (2·3·5·7 = 210, and 2·9·5). */
  static const int64_t shapes[][4] = {{2, 3, 5, 7}, {1, 210, 1, 1}, {2, 105, 1, 1}, {2, 7, 3, 5},
                                      {6, 5, 7, 1}, {1, 1, 14, 15}, {2, 35, 3, 1}};
  const size_t ns = sizeof shapes / sizeof shapes[0];
  const size_t total = 210;
  float seq[210], x[210], y[210];
  rc_test_fill_uniform(&rng, seq, total, -1.0f, 1.0f);
  for (size_t i = 0; i < ns; i++)
    for (size_t j = 0; j < ns; j++)
      for (int fl = 0; fl < 4; fl++) {
        const int in_nhwc = fl & 1, out_nhwc = fl >> 1;
        for (size_t e = 0; e < total; e++) x[store_at(shapes[i], in_nhwc, (int64_t)e)] = seq[e];
        memset(y, 0xff, sizeof y);
        rc_ref_reshape(shapes[i], in_nhwc, x, shapes[j], out_nhwc, y);
        for (size_t e = 0; e < total; e++) {
          const float got = y[store_at(shapes[j], out_nhwc, (int64_t)e)];
          if (memcmp(&got, &seq[e], sizeof got) != 0)
            fail_msg("reshape %zu→%zu flags %d: element %zu got %g want %g", i, j, fl, e, got, seq[e]);
        }
      }
}

/* --------------------------------------------------------- depth-to-space */

static void test_depth_to_space_hand(void** state) {
  (void)state;
  /* Pixel shuffle of 4 channels, r 2, one pixel: both modes give
   * [[10,20],[30,40]]. */
  const float x4[4] = {10, 20, 30, 40};
  float y4[4];
  rc_ref_depth_to_space_nhwc(1, 1, 1, 4, 2, 0, x4, y4);
  rc_test_expect_close_f("d2s crd c4", y4, x4, 4, 0, 0);
  rc_ref_depth_to_space_nhwc(1, 1, 1, 4, 2, 1, x4, y4);
  rc_test_expect_close_f("d2s dcr c4", y4, x4, 4, 0, 0);

  /* 8 channels 0..7, r 2 → 2 output channels at each of 4 positions.
   * CRD: (by,bx,c) ← c·4 + by·2 + bx: (0,0) 0,4; (0,1) 1,5; (1,0) 2,6; (1,1) 3,7.
   * DCR: ← (by·2 + bx)·2 + c: (0,0) 0,1; (0,1) 2,3; (1,0) 4,5; (1,1) 6,7. */
  const float x8[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  float y8[8];
  rc_ref_depth_to_space_nhwc(1, 1, 1, 8, 2, 0, x8, y8);
  const float crd[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  rc_test_expect_close_f("d2s crd", y8, crd, 8, 0, 0);
  rc_ref_depth_to_space_nhwc(1, 1, 1, 8, 2, 1, x8, y8);
  rc_test_expect_close_f("d2s dcr", y8, x8, 8, 0, 0);

  /* Two input pixels side by side (w 2), 4 channels, CRD: y is 2x4,
   * row 0 = a0 a1 b0 b1, row 1 = a2 a3 b2 b3. */
  const float x2[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  float y2[8];
  rc_ref_depth_to_space_nhwc(1, 1, 2, 4, 2, 0, x2, y2);
  const float want2[8] = {1, 2, 5, 6, 3, 4, 7, 8};
  rc_test_expect_close_f("d2s 2 pixels", y2, want2, 8, 0, 0);
}

/* Oracle: scatter each input element (NCHW view) to where the PyTorch /
 * ONNX reshape-transpose definitions put it. CRD: x.reshape(N,C,r,r,H,W)
 * .permute(0,1,4,2,5,3); DCR: x.reshape(N,r,r,C,H,W).permute(0,3,4,1,5,2). */
static void test_depth_to_space_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 10);
  for (int rep = 0; rep < 12; rep++) {
    const int N = rc_test_rng_int(&rng, 1, 2), H = odd_in(&rng, 1, 5), W = odd_in(&rng, 1, 5);
    const int r = rc_test_rng_int(&rng, 2, 3), C = odd_in(&rng, 1, 3), mode = rep & 1;
    const int CI = C * r * r, OH = H * r, OW = W * r;
    const size_t n_el = (size_t)N * CI * H * W;
    float* x = xmalloc(n_el * sizeof(float));
    float* y = xmalloc(n_el * sizeof(float));
    float* ref = xmalloc(n_el * sizeof(float));
    rc_test_fill_uniform(&rng, x, n_el, -1.0f, 1.0f);
    for (int n = 0; n < N; n++)
      for (int ci = 0; ci < CI; ci++)
        for (int h = 0; h < H; h++)
          for (int w = 0; w < W; w++) {
            int c, i, j;
            if (mode == 0) {
              c = ci / (r * r), i = (ci / r) % r, j = ci % r;
            } else {
              i = ci / (r * C), j = (ci / C) % r, c = ci % C;
            }
            ref[nhwc_at(C, OH, OW, n, c, h * r + i, w * r + j)] = x[nhwc_at(CI, H, W, n, ci, h, w)];
          }
    rc_ref_depth_to_space_nhwc(N, H, W, CI, r, mode, x, y);
    assert_memory_equal(y, ref, n_el * sizeof(float));
    free(x), free(y), free(ref);
  }
}

/* -------------------------------------------------------------- upsample */

static void test_upsample(void** state) {
  (void)state;
  /* 1x2 image, 1 channel [1,2], scale 2x3 → 2 rows of 1,1,1,2,2,2. */
  const float x[2] = {1, 2};
  float y[12];
  rc_ref_upsample_nearest_nhwc(1, 1, 2, 1, 2, 3, x, y);
  const float want[12] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2};
  rc_test_expect_close_f("upsample hand", y, want, 12, 0, 0);

  rc_test_rng rng;
  rc_test_rng_seed(&rng, 12);
  for (int rep = 0; rep < 8; rep++) {
    const int N = rc_test_rng_int(&rng, 1, 2), C = odd_in(&rng, 1, 5), H = odd_in(&rng, 1, 7), W = odd_in(&rng, 1, 7),
              sh = rc_test_rng_int(&rng, 1, 3), sw = rc_test_rng_int(&rng, 1, 3);
    const int OH = H * sh, OW = W * sw;
    const size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * OH * OW;
    float* xs = xmalloc(nx * sizeof(float));
    float* ys = xmalloc(ny * sizeof(float));
    float* ref = xmalloc(ny * sizeof(float));
    rc_test_fill_uniform(&rng, xs, nx, -1.0f, 1.0f);
    /* Oracle: replicate each input pixel into its sh×sw block. */
    for (int n = 0; n < N; n++)
      for (int c = 0; c < C; c++)
        for (int h = 0; h < H; h++)
          for (int w = 0; w < W; w++)
            for (int a = 0; a < sh; a++)
              for (int b = 0; b < sw; b++)
                ref[nhwc_at(C, OH, OW, n, c, h * sh + a, w * sw + b)] = xs[nhwc_at(C, H, W, n, c, h, w)];
    rc_ref_upsample_nearest_nhwc(N, H, W, C, sh, sw, xs, ys);
    assert_memory_equal(ys, ref, ny * sizeof(float));
    free(xs), free(ys), free(ref);
  }
}

/* ----------------------------------------------------------- activations */

/* PyTorch's Hardsigmoid: alpha 1/6, beta 0.5: −3 → 0, 3 → 1, clamped beyond;
 * NaN passes through. Computed in double, rounded once: exact here except
 * x = 1 (1/6 + 0.5 = 2/3, one rounding). */
static void test_hard_sigmoid(void** state) {
  (void)state;
  const float x[7] = {-4, -3, 0, 1, 3, 5, NAN};
  float y[7];
  rc_ref_hard_sigmoid(7, 1.0f / 6.0f, 0.5f, x, y);
  const float want[7] = {0, 0, 0.5f, (float)(1.0 * (1.0f / 6.0f) + 0.5), 1, 1, NAN};
  rc_test_expect_close_f("hard sigmoid", y, want, 6, 1e-7, 0);
  assert_true(isnan(y[6]));
}

static void test_relu_clip_leaky_prelu(void** state) {
  (void)state;
  const float x[6] = {-2, -0.5f, 0, 0.5f, 7, NAN};
  float y[6];
  rc_ref_relu(6, x, y);
  const float relu[6] = {0, 0, 0, 0.5f, 7, NAN};
  rc_test_expect_close_f("relu", y, relu, 6, 0, 0);
  assert_true(isnan(y[5]));

  rc_ref_clip(6, -1.0f, 6.0f, x, y);
  const float clip[6] = {-1, -0.5f, 0, 0.5f, 6, NAN};
  rc_test_expect_close_f("clip", y, clip, 6, 0, 0);
  assert_true(isnan(y[5]));
  const float xi[2] = {-INFINITY, INFINITY};
  rc_ref_clip(2, 0.0f, 6.0f, xi, y);
  assert_true(y[0] == 0.0f && y[1] == 6.0f);

  rc_ref_leaky_relu(6, 0.1f, x, y);
  const float leaky[6] = {-0.2f, -0.05f, 0, 0.5f, 7, NAN};
  rc_test_expect_close_f("leaky", y, leaky, 6, 0, 0);

  /* PReLU, 2 pixels × 3 channels, per-channel then shared slopes. */
  const float xp[6] = {-1, -2, 3, 4, -5, -6}, sl[3] = {0.5f, 2, 10};
  rc_ref_prelu_nhwc(2, 3, sl, 3, xp, y);
  const float prelu[6] = {-0.5f, -4, 3, 4, -10, -60};
  rc_test_expect_close_f("prelu", y, prelu, 6, 0, 0);
  rc_ref_prelu_nhwc(2, 3, sl, 1, xp, y);
  const float prelu1[6] = {-0.5f, -1, 3, 4, -2.5f, -3};
  rc_test_expect_close_f("prelu shared", y, prelu1, 6, 0, 0);
}

static void test_sigmoid(void** state) {
  (void)state;
  const float x[7] = {0, 100, -100, 1000, -1000, NAN, 2};
  float y[7];
  rc_ref_sigmoid(7, x, y);
  assert_true(y[0] == 0.5f);
  assert_true(y[1] == 1.0f);
  /* e^-100 ≈ 3.7e-44 is a float denormal: it must not flush to 0 or overflow. */
  assert_true(y[2] > 0.0f && y[2] == (float)exp(-100.0));
  assert_true(y[3] == 1.0f);
  assert_true(y[4] == 0.0f);
  assert_true(isnan(y[5]));
  const double w2 = 1.0 / (1.0 + exp(-2.0));
  rc_test_expect_close("sigmoid(2)", &y[6], &w2, 1, 0, 1.2e-7);

  rc_test_rng rng;
  rc_test_rng_seed(&rng, 13);
  float xr[257], yr[257];
  double want[257];
  rc_test_fill_uniform(&rng, xr, 257, -40.0f, 40.0f);
  for (int i = 0; i < 257; i++) want[i] = 1.0 / (1.0 + exp(-(double)xr[i]));
  rc_ref_sigmoid(257, xr, yr);
  rc_test_expect_close("sigmoid random", yr, want, 257, 0, 1.2e-7);
}

/* ------------------------------------------------ patch partition / merge */

/* Hand-computed: one image [1, 1, 4, 6] holding its NCHW index 0..23, a 2x3
 * grid of 2x2 patches. Patch (i, j) is batch item i·3 + j and holds rows
 * 2i, 2i+1 and columns 2j, 2j+1: item 0 = {0, 1, 6, 7}, item 1 = {2, 3, 8,
 * 9}, item 3 = {12, 13, 18, 19}, item 5 = {16, 17, 22, 23}. */
static void test_patch_hand(void** state) {
  (void)state;
  float x[24], y[24], back[24];
  for (int e = 0; e < 24; e++) x[e] = (float)e; /* one channel: NHWC = NCHW */
  rc_ref_patch_partition_nhwc(1, 2, 2, 1, 2, 3, x, y);
  const float want[24] = {0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, 12, 13, 18, 19, 14, 15, 20, 21, 16, 17, 22, 23};
  rc_test_expect_close_f("partition 2x3 of 2x2", y, want, 24, 0, 0);
  rc_ref_patch_merge_nhwc(1, 2, 2, 1, 2, 3, y, back);
  rc_test_expect_close_f("merge 2x3 of 2x2", back, x, 24, 0, 0);
}

/* Random shapes (batch > 1, several channels, non-square patches and
 * grids) against the index map written from PyTorch's definition:
 * x.reshape(N, C, gh, ph, gw, pw).permute(0, 2, 4, 1, 3, 5) puts x[n][c][i·ph
 * + y][j·pw + x] at [n][i][j][c][y][x], i.e. item (n·gh + i)·gw + j, channel
 * c, pixel (y, x). Then merge(partition(x)) must give x back bit for bit. */
static void test_patch_sweep(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 77);
  for (int t = 0; t < 40; t++) {
    const int N = rc_test_rng_int(&rng, 1, 3), C = rc_test_rng_int(&rng, 1, 5);
    const int gh = rc_test_rng_int(&rng, 1, 4), gw = rc_test_rng_int(&rng, 1, 4);
    const int ph = rc_test_rng_int(&rng, 1, 5), pw = rc_test_rng_int(&rng, 1, 5);
    const int H = gh * ph, W = gw * pw;
    const size_t total = (size_t)N * C * H * W;
    float* x = xmalloc(total * sizeof(float));
    float* y = xmalloc(total * sizeof(float));
    float* back = xmalloc(total * sizeof(float));
    rc_test_fill_uniform(&rng, x, total, -1.0f, 1.0f);
    rc_ref_patch_partition_nhwc(N, ph, pw, C, gh, gw, x, y);
    for (int n = 0; n < N; n++)
      for (int c = 0; c < C; c++)
        for (int h = 0; h < H; h++)
          for (int w = 0; w < W; w++) {
            const int item = (n * gh + h / ph) * gw + w / pw;
            const float got = y[nhwc_at(C, ph, pw, item, c, h % ph, w % pw)];
            const float want = x[nhwc_at(C, H, W, n, c, h, w)];
            if (memcmp(&got, &want, sizeof got) != 0) {
              fail_msg("partition N%d C%d grid %dx%d patch %dx%d: (%d,%d,%d,%d) misplaced", N, C, gh, gw, ph, pw, n, c,
                       h, w);
            }
          }
    rc_ref_patch_merge_nhwc(N, ph, pw, C, gh, gw, y, back);
    if (memcmp(back, x, total * sizeof(float)) != 0) fail_msg("merge(partition(x)) != x at case %d", t);
    free(x);
    free(y);
    free(back);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_binary_hand),
      cmocka_unit_test(test_binary_sweep),
      cmocka_unit_test(test_concat),
      cmocka_unit_test(test_pad),
      cmocka_unit_test(test_reshape_hand),
      cmocka_unit_test(test_reshape_sweep),
      cmocka_unit_test(test_depth_to_space_hand),
      cmocka_unit_test(test_depth_to_space_sweep),
      cmocka_unit_test(test_upsample),
      cmocka_unit_test(test_relu_clip_leaky_prelu),
      cmocka_unit_test(test_sigmoid),
      cmocka_unit_test(test_hard_sigmoid),
      cmocka_unit_test(test_patch_hand),
      cmocka_unit_test(test_patch_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

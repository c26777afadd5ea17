/* The executor's glue, end to end through the public API: NCHW in and out,
 * channels-last inside, broadcasting strides, rank-2/3 activations, flatten
 * and reshape order, per-channel ops. Each graph is checked against a naive
 * NCHW float64 computation written here.
 *
 * Tolerance: the kernels accumulate in double and round once per op, so
 * every op output carries ≤ ½ ulp of float error, and through the few ops
 * chained here the relative error stays below ~4 ulp: rtol 5e-7 with atol
 * 1e-6 for values that cancel to near zero. Pure data movement is exact. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repconv.h"
#include "tests/support/test_util.h"

#define RTOL 5e-7
#define ATOL 1e-6

static repconv_builder_t* builder(void) {
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  return b;
}

static repconv_model_t* finish(repconv_builder_t* b) {
  repconv_model_t* m;
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, 0), REPCONV_OK); /* the executor on the graph as built */
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("finish: %s", repconv_last_error());
  repconv_options_destroy(o);
  repconv_builder_destroy(b);
  return m;
}

/* Runs a one-input model, output `name` of the given dims into y. */
static void run(repconv_model_t* m, const char* in_name, int32_t in_ndim, const int64_t* in_dims, float* x,
                const char* name, int32_t ndim, const int64_t* dims, float* y) {
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  repconv_tensor_t in = {in_name, in_ndim, {0}, x};
  repconv_tensor_t out = {name, ndim, {0}, y};
  memcpy(in.dims, in_dims, (size_t)in_ndim * sizeof(int64_t));
  memcpy(out.dims, dims, (size_t)ndim * sizeof(int64_t));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("run: %s", repconv_session_error(s));
  repconv_session_destroy(s);
}

#define IDX4(n, c, h, w) ((((size_t)(n)*C + (c)) * H + (h)) * W + (w))

/* y = sigmoid(gap(x)) * x - c1 + c2·x / c3 ... with every broadcast form:
 * activation × broadcast activation [N,C,1,1], constant [C,1,1], [1,C,1,1],
 * [W], [1], a full-shape constant, and a constant on the left. */
static void test_broadcast(void** state) {
  (void)state;
  enum { N = 2, C = 3, H = 4, W = 5 };
  rc_test_rng r;
  rc_test_rng_seed(&r, 1);
  static float x[N * C * H * W], full[N * C * H * W], y[N * C * H * W];
  float cc[C], cw[W], c1 = 1.75f;
  rc_test_fill_uniform(&r, x, N * C * H * W, -2, 2);
  rc_test_fill_uniform(&r, full, N * C * H * W, -1, 1);
  rc_test_fill_uniform(&r, cc, C, 0.5f, 1.5f);
  rc_test_fill_uniform(&r, cw, W, 0.5f, 1.5f);

  repconv_builder_t* b = builder();
  int64_t d[4] = {N, C, H, W}, dc3[3] = {C, 1, 1}, dc4[4] = {1, C, 1, 1}, dw[1] = {W}, d1[1] = {1};
  repconv_id xi, g, sgm, t, k_c3, k_c4, k_w, k_1, k_full;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &xi), REPCONV_OK);
  assert_int_equal(repconv_builder_constant(b, "cc3", 3, dc3, cc, &k_c3), REPCONV_OK);
  assert_int_equal(repconv_builder_constant(b, "cc4", 4, dc4, cc, &k_c4), REPCONV_OK);
  assert_int_equal(repconv_builder_constant(b, "cw", 1, dw, cw, &k_w), REPCONV_OK);
  assert_int_equal(repconv_builder_constant(b, "c1", 1, d1, &c1, &k_1), REPCONV_OK);
  assert_int_equal(repconv_builder_constant(b, "full", 4, d, full, &k_full), REPCONV_OK);
  assert_int_equal(repconv_builder_global_avgpool(b, "gap", xi, &g), REPCONV_OK);
  assert_int_equal(repconv_builder_activation(b, "sig", REPCONV_SIGMOID, g, 0, 0, &sgm), REPCONV_OK);
  assert_int_equal(repconv_builder_binary(b, "att", REPCONV_MUL, xi, sgm, &t), REPCONV_OK);    /* [N,C,1,1] */
  assert_int_equal(repconv_builder_binary(b, "addc", REPCONV_ADD, t, k_c3, &t), REPCONV_OK);   /* [C,1,1] */
  assert_int_equal(repconv_builder_binary(b, "mulc", REPCONV_MUL, t, k_c4, &t), REPCONV_OK);   /* [1,C,1,1] */
  assert_int_equal(repconv_builder_binary(b, "divw", REPCONV_DIV, t, k_w, &t), REPCONV_OK);    /* [W] */
  assert_int_equal(repconv_builder_binary(b, "rsub", REPCONV_SUB, k_1, t, &t), REPCONV_OK);    /* [1] - t */
  assert_int_equal(repconv_builder_binary(b, "addf", REPCONV_ADD, t, k_full, &t), REPCONV_OK); /* full */
  assert_int_equal(repconv_builder_output(b, t, "y"), REPCONV_OK);
  repconv_model_t* m = finish(b);
  run(m, "x", 4, d, x, "y", 4, d, y);
  repconv_model_destroy(m);

  static double want[N * C * H * W];
  for (int n = 0; n < N; n++) {
    for (int c = 0; c < C; c++) {
      double mean = 0;
      for (int h = 0; h < H; h++)
        for (int w = 0; w < W; w++) mean += x[IDX4(n, c, h, w)];
      mean /= H * W;
      double sg = (float)(1.0 / (1.0 + exp(-(double)(float)mean)));
      for (int h = 0; h < H; h++) {
        for (int w = 0; w < W; w++) {
          size_t i = IDX4(n, c, h, w);
          double v = (float)(x[i] * sg);
          v = (float)(v + cc[c]);
          v = (float)(v * cc[c]);
          v = (float)(v / cw[w]);
          v = (float)(c1 - v);
          want[i] = v + full[i];
        }
      }
    }
  }
  rc_test_expect_close("broadcast", y, want, N * C * H * W, ATOL, RTOL);
}

/* flatten (NCHW order) → gemm → reshape to rank 3 → PReLU per channel of a
 * rank-3 tensor → reshape back to rank 4 → depth-to-space (both orders)
 * → concat with an upsampled copy. */
static void test_layouts(void** state) {
  (void)state;
  enum { N = 2, C = 3, H = 4, W = 5, F = C * H * W, O = 16 };
  rc_test_rng r;
  rc_test_rng_seed(&r, 2);
  static float x[N * F], wt[O * F], bias[O], slope[4];
  rc_test_fill_uniform(&r, x, N * F, -1, 1);
  rc_test_fill_uniform(&r, wt, O * F, -0.2f, 0.2f);
  rc_test_fill_uniform(&r, bias, O, -0.5f, 0.5f);
  rc_test_fill_uniform(&r, slope, 4, 0.1f, 0.9f);

  for (int mode = 0; mode < 2; mode++) {
    repconv_builder_t* b = builder();
    int64_t d[4] = {N, C, H, W}, d3[3] = {N, 4, 4}, d4[4] = {N, 4, 2, 2};
    repconv_id xi, t, p, u, cat[2];
    assert_int_equal(repconv_builder_input(b, "x", 4, d, &xi), REPCONV_OK);
    assert_int_equal(repconv_builder_flatten(b, "flat", xi, 1, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_gemm(b, "fc", t, O, wt, bias, 0.5f, 2.0f, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_reshape(b, "to3", t, 3, d3, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_prelu(b, "prelu", t, slope, 4, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_reshape(b, "to4", t, 4, d4, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_depth_to_space(b, "d2s", t, 2, (repconv_d2s_mode)mode, &p), REPCONV_OK);
    assert_int_equal(repconv_builder_reshape(b, "sq", t, 4, (int64_t[4]){N, 1, 4, 4}, &u), REPCONV_OK);
    cat[0] = p;
    cat[1] = u;
    assert_int_equal(repconv_builder_concat(b, "cat", cat, 2, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_upsample_nearest(b, "up", t, 2, 3, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_output(b, t, "y"), REPCONV_OK);
    repconv_model_t* m = finish(b);
    static float y[N * 2 * 8 * 12];
    int64_t dy[4] = {N, 2, 8, 12};
    run(m, "x", 4, d, x, "y", 4, dy, y);
    repconv_model_destroy(m);

    /* Oracle: fc[n][o] in logical order, PReLU channel = o / 4 (rank 3 [N,4,4]). */
    double fc[N][O];
    for (int n = 0; n < N; n++) {
      for (int o = 0; o < O; o++) {
        double acc = 0;
        for (int k = 0; k < F; k++) acc += (double)x[n * F + k] * wt[o * F + k];
        double v = (float)(0.5 * acc + 2.0 * bias[o]);
        fc[n][o] = v >= 0 ? v : (float)(v * slope[o / 4]);
      }
    }
    static double want[N * 2 * 8 * 12];
    for (int n = 0; n < N; n++) {
      for (int c = 0; c < 2; c++) {
        for (int oh = 0; oh < 8; oh++) {
          for (int ow = 0; ow < 12; ow++) {
            int h = oh / 2, w = ow / 3; /* before upsampling: [N,2,4,4] */
            double v;
            if (c == 0) { /* depth-to-space of t = [N,4,2,2], block 2 */
              int by = h % 2, bx = w % 2, ih = h / 2, iw = w / 2;
              int ic = mode == 0 ? (0 * 4 + by * 2 + bx) : ((by * 2 + bx) * 1 + 0);
              v = fc[n][ic * 4 + ih * 2 + iw];
            } else { /* t reshaped to [N,1,4,4] */
              v = fc[n][h * 4 + w];
            }
            want[((n * 2 + c) * 8 + oh) * 12 + ow] = v;
          }
        }
      }
    }
    rc_test_expect_close(mode ? "layouts DCR" : "layouts CRD", y, want, N * 2 * 8 * 12, ATOL, RTOL);
  }
}

/* conv (groups, asymmetric pad, stride, dilation) → BN → pad with per-channel
 * values → pools with ceil_mode, both count_include_pad settings, and a BN on
 * a rank-2 tensor. */
static void test_spatial(void** state) {
  (void)state;
  enum { N = 2, C = 4, H = 11, W = 9, O = 6, G = 2, KH = 3, KW = 2 };
  rc_test_rng r;
  rc_test_rng_seed(&r, 3);
  static float x[N * C * H * W], wt[O * (C / G) * KH * KW], bias[O], gm[O], bt[O], mu[O], vr[O], pv[O];
  rc_test_fill_uniform(&r, x, N * C * H * W, -1, 1);
  rc_test_fill_uniform(&r, wt, O * (C / G) * KH * KW, -0.5f, 0.5f);
  rc_test_fill_uniform(&r, bias, O, -0.5f, 0.5f);
  rc_test_fill_uniform(&r, gm, O, 0.5f, 1.5f);
  rc_test_fill_uniform(&r, bt, O, -0.5f, 0.5f);
  rc_test_fill_uniform(&r, mu, O, -0.5f, 0.5f);
  rc_test_fill_uniform(&r, vr, O, 0.5f, 2.0f);
  rc_test_fill_uniform(&r, pv, O, -3, 3);
  const int sh = 2, sw = 1, dh = 1, dw = 2, pt = 2, pl = 0, pb = 1, pr = 3;
  const int OH = (H + pt + pb - dh * (KH - 1) - 1) / sh + 1, OW = (W + pl + pr - dw * (KW - 1) - 1) / sw + 1;
  for (int cip = 0; cip < 2; cip++) {
    repconv_builder_t* b = builder();
    int64_t d[4] = {N, C, H, W};
    repconv_id xi, t;
    assert_int_equal(repconv_builder_input(b, "x", 4, d, &xi), REPCONV_OK);
    repconv_conv2d_desc_t cd = {O, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, G};
    assert_int_equal(repconv_builder_conv2d(b, "conv", xi, &cd, wt, bias, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_batchnorm(b, "bn", t, gm, bt, mu, vr, 1e-3f, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_pad(b, "pad", t, 1, 0, 0, 2, pv, &t), REPCONV_OK);
    repconv_pool_desc_t pd = {3, 3, 2, 2, 1, 1, 1, 1, 1, cip};
    assert_int_equal(repconv_builder_avgpool(b, "avg", t, &pd, &t), REPCONV_OK);
    assert_int_equal(repconv_builder_output(b, t, "y"), REPCONV_OK);
    repconv_model_t* m = finish(b);

    /* Oracle. */
    const int PH = OH + 1, PW = OW + 2;
    double* padded = calloc((size_t)N * O * PH * PW, sizeof(double));
    assert_non_null(padded);
    for (int n = 0; n < N; n++) {
      for (int o = 0; o < O; o++) {
        for (int ph = 0; ph < PH; ph++) {
          for (int pw = 0; pw < PW; pw++) {
            int oh = ph - 1, ow = pw;
            double v = pv[o];
            if (oh >= 0 && oh < OH && ow < OW) {
              double acc = bias[o];
              int g = o / (O / G);
              for (int ci = 0; ci < C / G; ci++)
                for (int kh = 0; kh < KH; kh++)
                  for (int kw = 0; kw < KW; kw++) {
                    int ih = oh * sh - pt + kh * dh, iw = ow * sw - pl + kw * dw;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    acc += (double)x[((n * C + g * (C / G) + ci) * H + ih) * W + iw] *
                           wt[((o * (C / G) + ci) * KH + kh) * KW + kw];
                  }
              float conv = (float)acc;
              v = (float)((conv - mu[o]) / sqrt((double)vr[o] + 1e-3f) * gm[o] + bt[o]);
            }
            padded[((n * O + o) * PH + ph) * PW + pw] = v;
          }
        }
      }
    }
    /* avg pool 3x3 s2 p1 ceil_mode. */
    int AH = (PH + 2 - 3 + 1) / 2 + 1, AW = (PW + 2 - 3 + 1) / 2 + 1;
    if ((AH - 1) * 2 >= PH + 1) AH--;
    if ((AW - 1) * 2 >= PW + 1) AW--;
    double* want = malloc((size_t)N * O * AH * AW * sizeof(double));
    float* y = malloc((size_t)N * O * AH * AW * sizeof(float));
    assert_non_null(want);
    assert_non_null(y);
    for (int n = 0; n < N; n++)
      for (int o = 0; o < O; o++)
        for (int ah = 0; ah < AH; ah++)
          for (int aw = 0; aw < AW; aw++) {
            int h0 = ah * 2 - 1, w0 = aw * 2 - 1;
            int h1 = h0 + 3 < PH + 1 ? h0 + 3 : PH + 1, w1 = w0 + 3 < PW + 1 ? w0 + 3 : PW + 1;
            double acc = 0;
            int inside = 0;
            for (int h = h0; h < h1; h++)
              for (int w = w0; w < w1; w++) {
                if (h < 0 || h >= PH || w < 0 || w >= PW) continue;
                acc += padded[((n * O + o) * PH + h) * PW + w];
                inside++;
              }
            want[((n * O + o) * AH + ah) * AW + aw] = acc / (cip ? (h1 - h0) * (w1 - w0) : inside);
          }
    int64_t dy[4] = {N, O, AH, AW};
    run(m, "x", 4, d, x, "y", 4, dy, y);
    rc_test_expect_close(cip ? "spatial cip" : "spatial", y, want, (size_t)N * O * AH * AW, ATOL, RTOL);
    repconv_model_destroy(m);
    free(padded);
    free(want);
    free(y);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_broadcast),
      cmocka_unit_test(test_layouts),
      cmocka_unit_test(test_spatial),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

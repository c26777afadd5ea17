/* The fold pass against the unfolded graph. Every family is built with the
 * public builder, loaded folded and unfolded, run by the reference kernels on
 * random inputs of odd sizes (so every border is hit), and compared; the
 * folded graph's conv count is checked (one conv per block where the fold is
 * exact); non-exact patterns must stay cut and still give the same output;
 * an impulse probe of the unfolded graph recovers each folded kernel
 * independently of the algebra; random compositions of linear ops make a
 * property test; and the PyTorch fixtures run folded still match PyTorch.
 *
 * Tolerances. Folded and unfolded both run in float32 with double
 * accumulation per op; the folded weights are float64 sums rounded once.
 * Their difference is float rounding of the intermediate tensors the fold
 * removes: a few ulp of the magnitudes involved. Measured: ≤ 3e-7 relative to
 * the output's largest value on these graphs; the bound used is
 * max |folded − unfolded| ≤ 2e-6 · max(1e-3, max |unfolded|), which any real
 * fold mistake (a wrong tap, a border value, a channel) exceeds by orders of
 * magnitude. Kernels recovered by impulses are compared at 1e-5 relative to
 * the kernel's largest weight (the probe's own float rounding). */
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
#include "tests/support/fold_net.h"

/* -------------------------------------------------------------- families */

static void test_repvgg(void** state) {
  (void)state;
  for (int v = 0; v < 4; v++) {
    int stride = v == 1 || v == 3 ? 2 : 1, groups = v >= 2 ? 2 : 1;
    int64_t cin = 8, cout = stride == 1 ? 8 : 12;
    net t = net_new(2, cin, 13, 11);
    repconv_id d = bn(&t, conv(&t, t.x, cin, cout, k_same(3, stride, groups)), cout);
    repconv_id o = bn(&t, conv(&t, t.x, cin, cout, k_same(1, stride, groups)), cout);
    repconv_id y = add(&t, d, o);
    if (cin == cout && stride == 1) y = add(&t, y, bn(&t, t.x, cin));
    y = relu(&t, y);
    char what[64];
    sprintf(what, "RepVGG s%d g%d", stride, groups);
    fold_result r = check(&t, y, what);
    const rc_node* c = only_conv(r.folded);
    assert_int_equal(c->a.kernel[0], 3);
    assert_int_equal(c->a.stride[0], stride);
    assert_int_equal(c->a.groups, groups);
    expect_convs(r, 1, 0);
  }
}

static void test_acnet(void** state) {
  (void)state;
  for (int stride = 1; stride <= 2; stride++) {
    net t = net_new(1, 6, 15, 12);
    conv_spec kk = k_same(3, stride, 1);
    conv_spec h = {1, 3, stride, stride, 1, 1, 0, 1, 0, 1, 1, 0}; /* 1x3, pad (0, 1) */
    conv_spec v = {3, 1, stride, stride, 1, 1, 1, 0, 1, 0, 1, 0}; /* 3x1, pad (1, 0) */
    repconv_id y = add(&t, bn(&t, conv(&t, t.x, 6, 8, kk), 8), bn(&t, conv(&t, t.x, 6, 8, h), 8));
    y = add(&t, y, bn(&t, conv(&t, t.x, 6, 8, v), 8));
    fold_result r = check(&t, y, stride == 1 ? "ACNet" : "ACNet s2");
    expect_convs(r, 1, 0);
  }
}

static void test_dbb(void** state) {
  (void)state;
  for (int k = 3; k <= 5; k += 2) {
    const int p = k / 2;
    const int64_t c = 6;
    net t = net_new(1, c, 13, 15);
    repconv_id kxk = bn(&t, conv(&t, t.x, c, c, k_same(k, 1, 1)), c);
    repconv_id one = bn(&t, conv(&t, t.x, c, c, k_same(1, 1, 1)), c);
    /* 1x1 → BN-and-pad → avg pool (K, pad 0) → BN */
    repconv_id a = bn_and_pad(&t, conv(&t, t.x, c, c, k_same(1, 1, 1)), c, p);
    char buf[64];
    repconv_pool_desc_t pd = {k, k, 1, 1, 0, 0, 0, 0, 0, 0};
    assert_int_equal(repconv_builder_avgpool(t.b, nm(&t, "avg", buf), a, &pd, &a), REPCONV_OK);
    a = bn(&t, a, c);
    /* 1x1 → BN-and-pad → KxK pad 0 → BN */
    repconv_id e = bn_and_pad(&t, conv(&t, t.x, c, c, k_same(1, 1, 1)), c, p);
    conv_spec valid = {k, k, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0};
    e = bn(&t, conv(&t, e, c, c, valid), c);
    repconv_id y = add(&t, add(&t, kxk, one), add(&t, a, e));
    fold_result r = check(&t, y, k == 3 ? "DBB K=3" : "DBB K=5");
    assert_int_equal(only_conv(r.folded)->a.kernel[0], k);
    expect_convs(r, 1, 0);
  }
}

/* ECB: conv3x3; 1x1 → pad with its bias → 3x3 valid; 1x1 → pad with its
 * bias → depthwise fixed mask (Sobel-x, Sobel-y, Laplacian) scaled. */
static void test_ecb(void** state) {
  (void)state;
  const int64_t c = 4, co = 4, mid = 8;
  net t = net_new(1, c, 11, 13);
  char buf[64];
  conv_spec valid = {3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1};
  repconv_id y = conv(&t, t.x, c, co, (conv_spec){3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  /* Expand-squeeze: the pad value is the 1x1's bias. */
  {
    float* w = rnd((size_t)(mid * c), -0.5f, 0.5f);
    float* b = rnd((size_t)mid, -0.5f, 0.5f);
    repconv_conv2d_desc_t d = {(int32_t)mid, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1};
    repconv_id e;
    assert_int_equal(repconv_builder_conv2d(t.b, nm(&t, "exp", buf), t.x, &d, w, b, &e), REPCONV_OK);
    assert_int_equal(repconv_builder_pad(t.b, nm(&t, "pad", buf), e, 1, 1, 1, 1, b, &e), REPCONV_OK);
    y = add(&t, y, conv(&t, e, mid, co, valid));
    free(w);
    free(b);
  }
  static const float masks[3][9] = {
      {1, 0, -1, 2, 0, -2, 1, 0, -1}, {1, 2, 1, 0, 0, 0, -1, -2, -1}, {0, 1, 0, 1, -4, 1, 0, 1, 0}};
  for (int m = 0; m < 3; m++) {
    float* w = rnd((size_t)(co * c), -0.5f, 0.5f);
    float* b = rnd((size_t)co, -0.5f, 0.5f);
    float* sc = rnd((size_t)co, -1, 1);
    float* bb = rnd((size_t)co, -0.2f, 0.2f);
    float dw[4 * 9];
    for (int o = 0; o < co; o++)
      for (int i = 0; i < 9; i++) dw[o * 9 + i] = sc[o] * masks[m][i];
    repconv_conv2d_desc_t d = {(int32_t)co, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1};
    repconv_conv2d_desc_t dd = {(int32_t)co, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, (int32_t)co};
    repconv_id e;
    assert_int_equal(repconv_builder_conv2d(t.b, nm(&t, "sq", buf), t.x, &d, w, b, &e), REPCONV_OK);
    assert_int_equal(repconv_builder_pad(t.b, nm(&t, "pad", buf), e, 1, 1, 1, 1, b, &e), REPCONV_OK);
    assert_int_equal(repconv_builder_conv2d(t.b, nm(&t, "mask", buf), e, &dd, dw, bb, &e), REPCONV_OK);
    y = add(&t, y, e);
    free(w);
    free(b);
    free(sc);
    free(bb);
  }
  float slope[4] = {0.1f, 0.2f, 0.3f, 0.25f};
  repconv_id z;
  assert_int_equal(repconv_builder_prelu(t.b, nm(&t, "prelu", buf), y, slope, 4, &z), REPCONV_OK);
  fold_result r = check(&t, z, "ECB + PReLU");
  expect_convs(r, 1, 0);
}

static void test_expandnets(void** state) {
  (void)state;
  /* 1-3-1: 1x1 (padding 1!) → 3x3 valid → 1x1, with biases. */
  net t = net_new(1, 5, 12, 9);
  conv_spec p1 = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  conv_spec v3 = {3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1};
  conv_spec one = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1};
  repconv_id y = conv(&t, conv(&t, conv(&t, t.x, 5, 20, p1), 20, 20, v3), 20, 6, one);
  fold_result r = check(&t, y, "ExpandNet 1-3-1");
  assert_int_equal(only_conv(r.folded)->a.kernel[0], 3);
  expect_convs(r, 1, 0);
  /* k-k: 3x3 pad 2 → 3x3 valid grows to 5x5 pad 2. */
  t = net_new(1, 4, 10, 13);
  conv_spec p2 = {3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1};
  y = conv(&t, conv(&t, t.x, 4, 8, p2), 8, 4, v3);
  r = check(&t, y, "ExpandNet k-k");
  assert_int_equal(only_conv(r.folded)->a.kernel[0], 5);
  expect_convs(r, 1, 0);
}

/* Parallel dilated 3x3 branches (d = 1, 2, 3, padding d) fold to a 7x7. */
static void test_dilated_branches(void** state) {
  (void)state;
  net t = net_new(1, 4, 17, 15);
  repconv_id y = 0;
  for (int d = 1; d <= 3; d++) {
    conv_spec s = {3, 3, 1, 1, d, d, d, d, d, d, 1, 1};
    repconv_id b = conv(&t, t.x, 4, 4, s);
    y = d == 1 ? b : add(&t, y, b);
  }
  fold_result r = check(&t, y, "dilations 1,2,3");
  assert_int_equal(only_conv(r.folded)->a.kernel[0], 7);
  expect_convs(r, 1, 0);
  /* A lone dilated conv stays a dilated 3x3, not a 5x5 of zeros. */
  t = net_new(1, 4, 17, 15);
  conv_spec s = {3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1};
  r = check(&t, bn(&t, conv(&t, t.x, 4, 4, s), 4), "dilated conv + BN");
  assert_int_equal(only_conv(r.folded)->a.kernel[0], 3);
  assert_int_equal(only_conv(r.folded)->a.dilation[0], 2);
  expect_convs(r, 1, 0);
}

static void test_concat_and_residual(void** state) {
  (void)state;
  char buf[64];
  /* Fire: concat(1x1, 3x3) of the same input. */
  net t = net_new(1, 6, 9, 11);
  repconv_id parts[2] = {conv(&t, t.x, 6, 4, k_same(1, 1, 1)), conv(&t, t.x, 6, 4, k_same(3, 1, 1))};
  repconv_id y;
  assert_int_equal(repconv_builder_concat(t.b, nm(&t, "cat", buf), parts, 2, &y), REPCONV_OK);
  expect_convs(check(&t, y, "Fire concat"), 1, 0);
  /* Dense: concat(x, conv(x)). */
  t = net_new(1, 6, 9, 11);
  repconv_id dense[2] = {t.x, bn(&t, conv(&t, t.x, 6, 6, k_same(3, 1, 1)), 6)};
  assert_int_equal(repconv_builder_concat(t.b, nm(&t, "cat", buf), dense, 2, &y), REPCONV_OK);
  expect_convs(check(&t, y, "Dense concat"), 1, 0);
  /* Residual x + conv(x). */
  t = net_new(2, 6, 9, 11);
  y = add(&t, t.x, bn(&t, conv(&t, t.x, 6, 6, k_same(3, 1, 1)), 6));
  expect_convs(check(&t, relu(&t, y), "residual"), 1, 0);
}

/* MobileOne: depthwise 3x3+BN branches, a 1x1 depthwise scale+BN and a BN
 * identity: the fold stays depthwise. */
static void test_mobileone_depthwise(void** state) {
  (void)state;
  const int64_t c = 8;
  net t = net_new(1, c, 13, 9);
  repconv_id y = bn(&t, t.x, c);
  for (int k = 0; k < 3; k++) y = add(&t, y, bn(&t, conv(&t, t.x, c, c, k_same(3, 1, (int)c)), c));
  y = add(&t, y, bn(&t, conv(&t, t.x, c, c, k_same(1, 1, (int)c)), c));
  fold_result r = check(&t, relu(&t, y), "MobileOne depthwise");
  assert_int_equal(only_conv(r.folded)->a.groups, c);
  expect_convs(r, 1, 0);
}

/* RepMLP: on a partition tensor [N, C, h, w], the FC (a grouped 1x1 conv on
 * the C·h·w features, BN) plus conv branches (3x3 and 1x1 with the FC's
 * groups, BN) fold into the FC alone, still grouped. */
static void test_repmlp(void** state) {
  (void)state;
  const int64_t C = 8, H = 5, Wd = 6, F = C * H * Wd, S = 2;
  net t = net_new(2, C, H, Wd);
  char buf[64];
  int64_t flat[4] = {2, F, 1, 1}, back[4] = {2, C, H, Wd};
  repconv_id fc;
  assert_int_equal(repconv_builder_reshape(t.b, nm(&t, "part", buf), t.x, 4, flat, &fc), REPCONV_OK);
  conv_spec fc3 = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, (int)S, 0};
  fc = bn(&t, conv(&t, fc, F, F, fc3), F);
  assert_int_equal(repconv_builder_reshape(t.b, nm(&t, "unpart", buf), fc, 4, back, &fc), REPCONV_OK);
  repconv_id l3 = bn(&t, conv(&t, t.x, C, C, k_same(3, 1, (int)S)), C);
  repconv_id l1 = bn(&t, conv(&t, t.x, C, C, k_same(1, 1, (int)S)), C);
  repconv_id y = add(&t, fc, add(&t, l3, l1));
  fold_result r = check(&t, y, "RepMLP conv branches into FC");
  const rc_node* cv = only_conv(r.folded);
  assert_int_equal(cv->a.groups, S);
  assert_int_equal(cv->a.kernel[0], 1);
  expect_convs(r, 1, 0);
}

/* RepMLP as PyTorch runs it (RepMLPNet): the image is cut into a 2x3 grid of
 * 5x3 patches (batch 2, so patch order across images matters), the 8
 * channels form 4 groups of S = 2 shared sets ([48, 2, 5, 3]), the FC is a
 * 1x1 conv with S groups on the S·h·w features plus BN(S), the local
 * branches are depthwise 3x3 and 1x1 conv+BN zero-padded at the patch
 * borders, and the sum is merged back. Everything between partition and
 * merge folds into the grouped FC; partition and merge stay. */
static void test_repmlp_partitioned(void** state) {
  (void)state;
  const int64_t C = 8, S = 2, gh = 2, gw = 3, ph = 5, pw = 3, F = S * ph * pw, B = 2 * gh * gw * (C / S);
  net t = net_new(2, C, gh * ph, gw * pw);
  char buf[64];
  repconv_id p, sets, fc, y;
  assert_int_equal(repconv_builder_patch_partition(t.b, nm(&t, "part", buf), t.x, (int32_t)gh, (int32_t)gw, &p),
                   REPCONV_OK);
  int64_t sd[4] = {B, S, ph, pw}, fd[4] = {B, F, 1, 1}, pd[4] = {2 * gh * gw, C, ph, pw};
  assert_int_equal(repconv_builder_reshape(t.b, nm(&t, "sets", buf), p, 4, sd, &sets), REPCONV_OK);
  assert_int_equal(repconv_builder_reshape(t.b, nm(&t, "fc_in", buf), sets, 4, fd, &fc), REPCONV_OK);
  conv_spec fc3 = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, (int)S, 0};
  fc = conv(&t, fc, F, F, fc3);
  assert_int_equal(repconv_builder_reshape(t.b, nm(&t, "fc_out", buf), fc, 4, sd, &fc), REPCONV_OK);
  fc = bn(&t, fc, S);
  repconv_id l3 = bn(&t, conv(&t, sets, S, S, k_same(3, 1, (int)S)), S);
  repconv_id l1 = bn(&t, conv(&t, sets, S, S, k_same(1, 1, (int)S)), S);
  y = add(&t, fc, add(&t, l3, l1));
  assert_int_equal(repconv_builder_reshape(t.b, nm(&t, "unsets", buf), y, 4, pd, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_patch_merge(t.b, nm(&t, "merge", buf), y, (int32_t)gh, (int32_t)gw, &y), REPCONV_OK);
  fold_result r = check(&t, y, "RepMLP partition -> FC+branches");
  const rc_node* cv = only_conv(r.folded);
  assert_int_equal(cv->a.groups, S);
  assert_int_equal(cv->a.kernel[0], 1);
  expect_convs(r, 1, 0);

  /* A 3x3 before the partition and one after the merge: each stays a conv
   * of its own (the patch ops end a region), and nothing is folded across. */
  t = net_new(1, 4, 6, 6);
  y = conv(&t, t.x, 4, 4, k_same(3, 1, 1));
  assert_int_equal(repconv_builder_patch_partition(t.b, nm(&t, "part", buf), y, 2, 2, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_patch_merge(t.b, nm(&t, "merge", buf), y, 2, 2, &y), REPCONV_OK);
  y = bn(&t, conv(&t, y, 4, 4, k_same(3, 1, 1)), 4);
  expect_convs(check(&t, y, "conv | partition, merge | conv"), 2, 0);
}

/* DO-Conv: the kernel is a product of two trained tensors, computed once;
 * built here as the product, then BN folded in. */
static void test_doconv(void** state) {
  (void)state;
  net t = net_new(1, 4, 11, 10);
  const int cin = 4, cout = 6, mn = 9, dmul = 9;
  float* D = rnd((size_t)cin * mn * dmul, -0.2f, 0.2f);
  float* Wd = rnd((size_t)cout * cin * dmul, -0.3f, 0.3f);
  float* k = calloc((size_t)cout * cin * mn, sizeof(float));
  assert_non_null(k);
  for (int o = 0; o < cout; o++)
    for (int i = 0; i < cin; i++)
      for (int m = 0; m < mn; m++) {
        double acc = 0;
        for (int s = 0; s < dmul; s++)
          acc += ((double)D[(i * mn + m) * dmul + s] + (m == s)) * Wd[(o * cin + i) * dmul + s];
        k[(o * cin + i) * mn + m] = (float)acc;
      }
  repconv_conv2d_desc_t d = {cout, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  char buf[64];
  repconv_id y;
  assert_int_equal(repconv_builder_conv2d(t.b, nm(&t, "doconv", buf), t.x, &d, k, NULL, &y), REPCONV_OK);
  expect_convs(check(&t, bn(&t, y, cout), "DO-Conv + BN"), 1, 0);
  free(D);
  free(Wd);
  free(k);
}

/* --------------------------------------------------- non-exact patterns */

static void test_not_exact_patterns_stay_correct(void** state) {
  (void)state;
  char buf[64];
  /* 3x3 pad 1 then 3x3 pad 1: the second reads a zero border the first's
   * map does not produce. */
  net t = net_new(1, 4, 9, 10);
  repconv_id y = conv(&t, conv(&t, t.x, 4, 4, k_same(3, 1, 1)), 4, 4, k_same(3, 1, 1));
  expect_convs(check(&t, y, "3x3 p1 -> 3x3 p1"), 2, 1);
  /* BN before a padded conv: the border would hold BN's shift, not 0. */
  t = net_new(1, 4, 9, 10);
  y = conv(&t, bn(&t, t.x, 4), 4, 4, k_same(3, 1, 1));
  fold_result r = check(&t, y, "BN -> 3x3 p1");
  expect_convs(r, 1, 1); /* the BN stays a (per-channel) BN */
  /* Average pool with count_include_pad = 0 and padding. */
  t = net_new(1, 4, 9, 10);
  repconv_pool_desc_t pd = {3, 3, 1, 1, 1, 1, 1, 1, 0, 0};
  assert_int_equal(repconv_builder_avgpool(t.b, nm(&t, "avg", buf), conv(&t, t.x, 4, 4, k_same(1, 1, 1)), &pd, &y),
                   REPCONV_OK);
  y = conv(&t, y, 4, 4, k_same(1, 1, 1));
  expect_convs(check(&t, y, "avgpool cip=0"), 2, 1);
  /* A nonlinearity inside a branch. */
  t = net_new(1, 4, 9, 10);
  y = add(&t, relu(&t, conv(&t, t.x, 4, 4, k_same(3, 1, 1))), conv(&t, t.x, 4, 4, k_same(1, 1, 1)));
  expect_convs(check(&t, y, "ReLU in a branch"), 2, 0);
  /* The kernel cap: 3x3 pad 2 → 3x3 valid → 3x3 valid would grow to 7x7;
   * with the default cap (7) it folds, the 9x9 of four does not. */
  t = net_new(1, 2, 21, 20);
  conv_spec p3 = {3, 3, 1, 1, 1, 1, 3, 3, 3, 3, 1, 1};
  conv_spec v3 = {3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1};
  y = conv(&t, conv(&t, conv(&t, conv(&t, t.x, 2, 2, p3), 2, 2, v3), 2, 2, v3), 2, 2, v3);
  r = check(&t, y, "9x9 past the cap");
  assert_true(r.convs_after == 2 && r.cut_regions == 1);
  expect_convs(r, 2, 1);
}

/* ------------------------------------------------- constant arithmetic */

static repconv_id binary(net* t, repconv_binary_op op, repconv_id a, repconv_id b) {
  char buf[64];
  repconv_id y;
  assert_int_equal(repconv_builder_binary(t->b, nm(t, "bin", buf), op, a, b, &y), REPCONV_OK);
  return y;
}

static repconv_id sigmoid(net* t, repconv_id a) {
  char buf[64];
  repconv_id y;
  assert_int_equal(repconv_builder_activation(t->b, nm(t, "sig", buf), REPCONV_SIGMOID, a, 0, 0, &y), REPCONV_OK);
  return y;
}

/* A constant operand K against a c-channel tensor (c ≤ 16): form 0 a scalar
 * (rank 0, as PyTorch exports `x + 0.5`), 1 per channel [1, c, 1, 1], 2 per
 * channel [c, 1, 1]. Values ±[0.5, 2], away from 0 so that x / K and K / x
 * stay tame. v[ch] (if not NULL) gets the value channel ch sees. */
static repconv_id konst(net* t, int64_t c, int form, double* v) {
  char buf[64];
  float k[16];
  const int64_t n = form == 0 ? 1 : c;
  assert_true(c <= 16);
  for (int64_t i = 0; i < n; i++) {
    float m = rc_test_rng_uniform(&fold_rng, 0.5f, 2.0f);
    k[i] = rc_test_rng_int(&fold_rng, 0, 1) ? m : -m;
  }
  for (int64_t ch = 0; v && ch < c; ch++) v[ch] = k[form == 0 ? 0 : ch];
  const int64_t d4[4] = {1, c, 1, 1}, d3[3] = {c, 1, 1};
  repconv_id id;
  assert_int_equal(repconv_builder_constant(t->b, nm(t, "k", buf),
                                            form == 0   ? 0
                                            : form == 1 ? 4
                                                        : 3,
                                            form == 1 ? d4 : d3, k, &id),
                   REPCONV_OK);
  return id;
}

/* A constant of rank 0 holding v. */
static repconv_id scalar(net* t, float v) {
  char buf[64];
  repconv_id id;
  assert_int_equal(repconv_builder_constant(t->b, nm(t, "s", buf), 0, NULL, &v, &id), REPCONV_OK);
  return id;
}

static int count_op(const repconv_model_t* m, const char* op) {
  int k = 0;
  for (size_t i = 0; i < repconv_model_num_nodes(m); i++) {
    repconv_node_info_t ni;
    assert_int_equal(repconv_model_node(m, i, &ni), REPCONV_OK);
    k += strcmp(ni.op, op) == 0;
  }
  return k;
}

/* A classifier head: flatten, then two FCs (alpha, beta and biases) fold
 * into one FC. The first FC's input map is the identity of the flattened
 * features, which the fold reads off instead of multiplying by it
 * (fold/matmap.c): its weights must come out as they went in. */
static void test_fc_chain(void** state) {
  (void)state;
  net t = net_new(2, 4, 3, 3);
  char buf[64];
  repconv_id y;
  assert_int_equal(repconv_builder_flatten(t.b, nm(&t, "flat", buf), t.x, 1, &y), REPCONV_OK);
  float* w1 = rnd(12 * 36, -0.5f, 0.5f);
  float* b1 = rnd(12, -1.0f, 1.0f);
  float* w2 = rnd(5 * 12, -0.5f, 0.5f);
  float* b2 = rnd(5, -1.0f, 1.0f);
  assert_int_equal(repconv_builder_gemm(t.b, nm(&t, "fc1", buf), y, 12, w1, b1, 0.5f, 2.0f, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_gemm(t.b, nm(&t, "fc2", buf), y, 5, w2, b2, 1.0f, 1.0f, &y), REPCONV_OK);
  fold_result r = check(&t, y, "flatten -> FC -> FC");
  assert_int_equal(count_op(r.folded, "gemm"), 1);
  free(w1);
  free(b1);
  free(w2);
  free(b2);
  expect_convs(r, 0, 0);
}

/* x ∘ K and K ∘ x for the four binary ops, K a scalar or per channel, x the
 * graph input or the output of ReLU / Sigmoid (a region that starts at an
 * opaque tensor, whose map is the identity plus K's shift). The folded
 * output must equal the op computed directly in double, per element: the
 * only difference is float rounding of one op (and 1/K rounded to float
 * where x / K becomes a scale), within 2e-6 relative. A shift alone used
 * to be emitted as a plain copy (y = x). K / x is not linear: it must stay
 * a div. */
static void test_constant_arithmetic(void** state) {
  (void)state;
  static const char* const src_name[3] = {"x", "relu(x)", "sigmoid(x)"};
  static const char* const op_name[4] = {"+", "-", "*", "/"};
  static const repconv_binary_op ops[4] = {REPCONV_ADD, REPCONV_SUB, REPCONV_MUL, REPCONV_DIV};
  const int64_t C = 3, H = 7, W = 9, n = C * H * W;
  for (int src = 0; src < 3; src++) {
    for (int op = 0; op < 4; op++) {
      for (int k_first = 0; k_first < 2; k_first++) {
        for (int form = 0; form < 3; form++) {
          /* K / relu(x) is ±inf wherever x ≤ 0: nothing to compare. */
          if (src == 1 && op == 3 && k_first) continue;
          net t = net_new(1, C, H, W);
          repconv_id s = src == 0 ? t.x : src == 1 ? relu(&t, t.x) : sigmoid(&t, t.x);
          double v[16];
          repconv_id k = konst(&t, C, form, v);
          repconv_id y = k_first ? binary(&t, ops[op], k, s) : binary(&t, ops[op], s, k);
          char what[64];
          snprintf(what, sizeof(what), "%s %s %s (%s)", k_first ? "K" : src_name[src], op_name[op],
                   k_first ? src_name[src] : "K",
                   form == 0   ? "scalar"
                   : form == 1 ? "1xCx1x1"
                               : "Cx1x1");
          float* x = rnd((size_t)n, -1, 1);
          float* got = NULL;
          fold_result r = check_on(&t, y, what, x, &got);
          for (int64_t i = 0; i < n; i++) {
            const int64_t ch = i / (H * W);
            double xs = x[i];
            if (src == 1) xs = xs > 0 ? xs : 0;
            if (src == 2) xs = 1.0 / (1.0 + exp(-xs));
            double a = k_first ? v[ch] : xs, b = k_first ? xs : v[ch], want;
            switch (op) {
              case 0: want = a + b; break;
              case 1: want = a - b; break;
              case 2: want = a * b; break;
              default: want = a / b; break;
            }
            if (!(fabs(got[i] - want) <= 2e-6 * fmax(1.0, fabs(want)))) {
              fail_msg("%s folded: element %lld (channel %lld) is %.9g, want %.9g", what, (long long)i, (long long)ch,
                       got[i], want);
            }
          }
          if (op == 3 && k_first) {
            assert_int_equal(count_op(r.folded, "div"), 1); /* not linear in x: kept */
          } else {
            /* One per-channel affine node at most, never a conv. */
            assert_int_equal(r.convs_after, 0);
            assert_int_equal(count_op(r.folded, "add") + count_op(r.folded, "sub") + count_op(r.folded, "mul") +
                                 count_op(r.folded, "div"),
                             0);
          }
          free(x);
          free(got);
          repconv_model_destroy(r.folded);
        }
      }
    }
  }
}

/* Constant arithmetic next to convs: where the shift can fold (into a conv
 * with no padding, or as the conv's bias after it) the region is one conv;
 * before a zero-padded conv it cannot (the padded zeros are not shifted),
 * so the region is cut there and the border still matches. */
static void test_constant_arithmetic_and_convs(void** state) {
  (void)state;
  const conv_spec one = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1};
  /* Input normalization (x − mean) / std before a 3x3 pad 1 conv. */
  net t = net_new(1, 3, 9, 10);
  repconv_id y = binary(&t, REPCONV_DIV, binary(&t, REPCONV_SUB, t.x, konst(&t, 3, 1, NULL)), konst(&t, 3, 1, NULL));
  expect_convs(check(&t, conv(&t, y, 3, 4, k_same(3, 1, 1)), "(x - mean) / std -> 3x3 p1"), 1, 1);
  /* A shift alone before a padded conv: cut, the shift kept as it is. */
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_ADD, t.x, konst(&t, 3, 0, NULL));
  expect_convs(check(&t, conv(&t, y, 3, 4, k_same(3, 1, 1)), "x + K -> 3x3 p1"), 1, 1);
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_SUB, konst(&t, 3, 1, NULL), t.x);
  expect_convs(check(&t, conv(&t, y, 3, 4, k_same(3, 1, 1)), "K - x -> 3x3 p1"), 1, 1);
  /* A scale alone keeps zeros zero: it folds into the padded conv. */
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_MUL, konst(&t, 3, 1, NULL), t.x);
  expect_convs(check(&t, conv(&t, y, 3, 4, k_same(3, 1, 1)), "K * x -> 3x3 p1"), 1, 0);
  /* relu(...) − 0.5 before a 1x1 conv (no padding): exact, one conv. */
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_SUB, relu(&t, conv(&t, t.x, 3, 4, k_same(3, 1, 1))), scalar(&t, 0.5f));
  expect_convs(check(&t, conv(&t, y, 4, 5, one), "relu(conv) - 0.5 -> 1x1"), 2, 0);
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_SUB, konst(&t, 3, 2, NULL), sigmoid(&t, t.x));
  expect_convs(check(&t, conv(&t, y, 3, 5, one), "K - sigmoid(x) -> 1x1"), 1, 0);
  /* relu(conv(x)) + b as the graph output. */
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_ADD, relu(&t, conv(&t, t.x, 3, 4, k_same(3, 1, 1))), konst(&t, 4, 1, NULL));
  expect_convs(check(&t, y, "relu(conv(x)) + b"), 1, 0);
  /* sigmoid(conv(x)) * 2 − 1. */
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_SUB, binary(&t, REPCONV_MUL, sigmoid(&t, conv(&t, t.x, 3, 4, k_same(3, 1, 1))), scalar(&t, 2)),
             scalar(&t, 1));
  expect_convs(check(&t, y, "sigmoid(conv(x)) * 2 - 1"), 1, 0);
  /* After a conv the shift is its bias; x − K + K is a copy again. */
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_SUB, conv(&t, t.x, 3, 4, k_same(3, 1, 1)), konst(&t, 4, 1, NULL));
  expect_convs(check(&t, y, "conv(x) - K"), 1, 0);
  t = net_new(1, 3, 9, 10);
  y = binary(&t, REPCONV_ADD, binary(&t, REPCONV_SUB, relu(&t, t.x), scalar(&t, 0.75f)), scalar(&t, 0.75f));
  expect_convs(check(&t, conv(&t, y, 3, 4, k_same(3, 1, 1)), "relu(x) - K + K -> 3x3 p1"), 1, 0);
}

/* ------------------------------------------------------ impulse probe */

/* Recovers the folded kernel of a stride-1 one-input net by feeding unit
 * impulses through the UNFOLDED graph, and compares it with the weights the
 * fold produced. */
static void test_impulse_probe(void** state) {
  (void)state;
  const int64_t c = 3, co = 5, S = 15, ctr = 7;
  net t = net_new(1, c, S, S);
  repconv_id y =
      add(&t, bn(&t, conv(&t, t.x, c, co, k_same(3, 1, 1)), co), bn(&t, conv(&t, t.x, c, co, k_same(1, 1, 1)), co));
  char buf[64];
  conv_spec h = {1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0};
  y = add(&t, y, bn(&t, conv(&t, t.x, c, co, h), co));
  repconv_id e = bn_and_pad(&t, conv(&t, t.x, c, co, k_same(1, 1, 1)), co, 1);
  conv_spec v3 = {3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0};
  y = add(&t, y, conv(&t, e, co, co, v3));
  (void)buf;
  assert_int_equal(repconv_builder_output(t.b, y, "y"), REPCONV_OK);
  repconv_model_t* plain = finish_copy(&t, 0, y);
  repconv_model_t* folded = finish_copy(&t, 1, y);
  repconv_builder_destroy(t.b);
  const rc_node* cv = only_conv(folded);
  assert_int_equal(cv->a.kernel[0], 3);
  const float* W = folded->g.tensors[cv->inputs[1]].data;
  const float* B = cv->n_inputs > 2 && cv->inputs[2] >= 0 ? folded->g.tensors[cv->inputs[2]].data : NULL;
  size_t n = (size_t)(c * S * S), ny;
  float* x = calloc(n, sizeof(float));
  assert_non_null(x);
  float* y0 = run(plain, x, &ny);
  double wmax = 0;
  for (size_t i = 0; i < (size_t)(co * c * 9); i++) wmax = fmax(wmax, fabs(W[i]));
  for (int64_t o = 0; o < co; o++) {
    /* Bias: the response to zero, everywhere, border included. */
    for (int64_t p = 0; p < S * S; p++) {
      double want = B ? B[o] : 0;
      if (fabs(y0[o * S * S + p] - want) > 1e-5 * fmax(1, fabs(want))) {
        fail_msg("bias of channel %lld at pixel %lld: %g vs %g", (long long)o, (long long)p, y0[o * S * S + p], want);
      }
    }
  }
  for (int64_t ci = 0; ci < c; ci++) {
    memset(x, 0, n * sizeof(float));
    x[ci * S * S + ctr * S + ctr] = 1.0f;
    size_t nn;
    float* yi = run(plain, x, &nn);
    for (int64_t o = 0; o < co; o++) {
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
          /* y(ctr − i + 1, ctr − j + 1) sees the impulse through tap (i, j). */
          int64_t p = (ctr - i + 1) * S + (ctr - j + 1);
          double probed = (double)yi[o * S * S + p] - y0[o * S * S + p];
          double fold = W[((o * c + ci) * 3 + i) * 3 + j];
          if (fabs(probed - fold) > 1e-5 * wmax) {
            fail_msg("kernel[%lld][%lld][%d][%d]: probed %.8g, folded %.8g", (long long)o, (long long)ci, i, j, probed,
                     fold);
          }
        }
      }
    }
    free(yi);
  }
  free(x);
  free(y0);
  repconv_model_destroy(plain);
  repconv_model_destroy(folded);
}

/* ------------------------------------------------------ property test */

/* Random DAGs of linear ops (convs of random geometry, BN, add, concat,
 * constant pads, average pools, Add/Sub/Mul/Div with a scalar or per-channel
 * constant in either order) on one input, sometimes with a ReLU in the
 * middle (or a Sigmoid under K / x): folded must equal unfolded, borders
 * included. */
static void test_random_compositions(void** state) {
  (void)state;
  char buf[64];
  int arith = 0;
  for (int it = 0; it < 80; it++) {
    int64_t c0 = rc_test_rng_int(&fold_rng, 1, 6);
    net t = net_new(1, c0, rc_test_rng_int(&fold_rng, 9, 17), rc_test_rng_int(&fold_rng, 9, 17));
    repconv_id ids[12];
    int64_t ch[12], hh[12], ww[12];
    int n = 1;
    ids[0] = t.x;
    ch[0] = c0;
    hh[0] = t.h;
    ww[0] = t.w;
    int steps = rc_test_rng_int(&fold_rng, 2, 6);
    for (int s = 0; s < steps; s++) {
      int a = rc_test_rng_int(&fold_rng, 0, n - 1);
      int op = rc_test_rng_int(&fold_rng, 0, 8);
      repconv_id y;
      int64_t cy = ch[a], hy = hh[a], wy = ww[a];
      if (op <= 2) {
        int k = rc_test_rng_int(&fold_rng, 0, 2) * 2 + 1, st = rc_test_rng_int(&fold_rng, 1, 2),
            d = rc_test_rng_int(&fold_rng, 1, 2);
        int p = rc_test_rng_int(&fold_rng, 0, k / 2 * d);
        if ((k - 1) * d + 1 > hh[a] + 2 * p || (k - 1) * d + 1 > ww[a] + 2 * p) continue;
        cy = rc_test_rng_int(&fold_rng, 1, 6);
        int g = (ch[a] % 2 == 0 && cy % 2 == 0 && rc_test_rng_int(&fold_rng, 0, 1)) ? 2 : 1;
        conv_spec sp = {k, k, st, st, d, d, p, p, p, p, g, rc_test_rng_int(&fold_rng, 0, 1)};
        y = conv(&t, ids[a], ch[a], cy, sp);
        hy = (hh[a] + 2 * p - (k - 1) * d - 1) / st + 1;
        wy = (ww[a] + 2 * p - (k - 1) * d - 1) / st + 1;
      } else if (op == 3) {
        y = bn(&t, ids[a], ch[a]);
      } else if (op == 4) {
        /* add or concat with another tensor of the same shape, if any */
        int b = -1;
        for (int j = 0; j < n; j++) {
          if (j != a && hh[j] == hh[a] && ww[j] == ww[a] && (ch[j] == ch[a] || rc_test_rng_int(&fold_rng, 0, 1))) b = j;
        }
        if (b < 0) continue;
        if (ch[b] == ch[a] && rc_test_rng_int(&fold_rng, 0, 1)) {
          y = add(&t, ids[a], ids[b]);
        } else {
          repconv_id two[2] = {ids[a], ids[b]};
          assert_int_equal(repconv_builder_concat(t.b, nm(&t, "cat", buf), two, 2, &y), REPCONV_OK);
          cy = ch[a] + ch[b];
        }
      } else if (op == 5) {
        int p = rc_test_rng_int(&fold_rng, 1, 2);
        float* v = rnd((size_t)ch[a], -0.5f, 0.5f);
        int zero = rc_test_rng_int(&fold_rng, 0, 1);
        assert_int_equal(repconv_builder_pad(t.b, nm(&t, "pad", buf), ids[a], p, 0, p, 1, zero ? NULL : v, &y),
                         REPCONV_OK);
        free(v);
        hy += 2 * p;
        wy += 1;
      } else if (op >= 7) {
        /* x ∘ K or K ∘ x, K a scalar or per channel; K / x only as
         * K / sigmoid(x) (x may be 0: a relu, a zero border). */
        static const repconv_binary_op bops[4] = {REPCONV_ADD, REPCONV_SUB, REPCONV_MUL, REPCONV_DIV};
        const int bop = rc_test_rng_int(&fold_rng, 0, 3), k_first = rc_test_rng_int(&fold_rng, 0, 1);
        const int form = ch[a] <= 16 ? rc_test_rng_int(&fold_rng, 0, 2) : 0;
        repconv_id k = konst(&t, ch[a], form, NULL);
        repconv_id x = ids[a];
        if (bops[bop] == REPCONV_DIV && k_first) x = sigmoid(&t, x);
        y = k_first ? binary(&t, bops[bop], k, x) : binary(&t, bops[bop], x, k);
        arith++;
      } else {
        if (rc_test_rng_int(&fold_rng, 0, 3) == 0) {
          y = relu(&t, ids[a]);
        } else {
          if (hh[a] < 3 || ww[a] < 3) continue;
          int cip = rc_test_rng_int(&fold_rng, 0, 1), p = rc_test_rng_int(&fold_rng, 0, 1);
          repconv_pool_desc_t pd = {3, 3, 1, 1, p, p, p, p, 0, cip};
          assert_int_equal(repconv_builder_avgpool(t.b, nm(&t, "avg", buf), ids[a], &pd, &y), REPCONV_OK);
          hy = hh[a] + 2 * p - 2;
          wy = ww[a] + 2 * p - 2;
        }
      }
      if (n == 12) break;
      ids[n] = y;
      ch[n] = cy;
      hh[n] = hy;
      ww[n] = wy;
      n++;
    }
    if (n == 1) {
      repconv_builder_destroy(t.b);
      continue;
    }
    char what[48];
    sprintf(what, "random composition %d", it);
    fold_result r = check(&t, ids[n - 1], what);
    /* Folding replaces regions by single nodes: never more nodes (one
     * identity may name an output that folded into a copy). */
    repconv_fold_summary_t fs;
    assert_int_equal(repconv_model_fold_summary(r.folded, &fs), REPCONV_OK);
    if (fs.nodes_after > fs.nodes_before + 1) fail_msg("%s: %d nodes became %d", what, fs.nodes_before, fs.nodes_after);
    repconv_model_destroy(r.folded);
  }
  printf("  %d constant Add/Sub/Mul/Div in the compositions\n", arith);
  assert_true(arith >= 40);
}

static int setup(void** state) {
  (void)state;
  rc_test_rng_seed(&fold_rng, 4242);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_repvgg),
      cmocka_unit_test(test_acnet),
      cmocka_unit_test(test_dbb),
      cmocka_unit_test(test_ecb),
      cmocka_unit_test(test_expandnets),
      cmocka_unit_test(test_dilated_branches),
      cmocka_unit_test(test_concat_and_residual),
      cmocka_unit_test(test_mobileone_depthwise),
      cmocka_unit_test(test_doconv),
      cmocka_unit_test(test_repmlp),
      cmocka_unit_test(test_fc_chain),
      cmocka_unit_test(test_repmlp_partitioned),
      cmocka_unit_test(test_not_exact_patterns_stay_correct),
      cmocka_unit_test(test_constant_arithmetic),
      cmocka_unit_test(test_constant_arithmetic_and_convs),
      cmocka_unit_test(test_impulse_probe),
      cmocka_unit_test(test_random_compositions),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

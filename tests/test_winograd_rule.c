/* The planner's Winograd rule (runtime/plan/rules_wino.c): for single convs
 * of many shapes, which kernel the plan picks (Winograd variant, stride-2
 * Winograd, repconv's GEMM or XNNPACK) and the reason its entry's note
 * gives; and the Winograd driver's own choices for a conv (the wide GEMM's
 * group width and its prefetch hint). The convs' outputs are checked
 * elsewhere (test_winograd_plan.c, test_gemm_plan.c, test_winograd.c); here
 * only the choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repconv.h"
#include "kernels/common/cpu.h"
#include "kernels/gemm/gemm.h"
#include "kernels/winograd/wino.h"
#include "kernels/winograd/wino_run.h"
#include "runtime/plan/planner.h"
#include "tests/support/test_util.h"

/* One conv (optionally strided/grouped) + ReLU on a 1×cin×h×w input. */
static repconv_model_t* one_conv(int cin, int cout, int h, int w, int k, int stride, int groups, int dil,
                                 repconv_backend be, int threads) {
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, cin, h, w};
  repconv_id x;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  repconv_conv2d_desc_t cd = {.out_channels = cout,
                              .kernel_h = k,
                              .kernel_w = k,
                              .stride_h = stride,
                              .stride_w = stride,
                              .dilation_h = dil,
                              .dilation_w = dil,
                              .groups = groups,
                              .pad_top = k / 2,
                              .pad_left = k / 2,
                              .pad_bottom = k / 2,
                              .pad_right = k / 2};
  size_t nw = (size_t)cout * (size_t)(cin / groups) * (size_t)(k * k);
  float* wt = calloc(nw, sizeof(float));
  assert_non_null(wt);
  assert_int_equal(repconv_builder_conv2d(b, "conv", x, &cd, wt, NULL, &x), REPCONV_OK);
  free(wt);
  assert_int_equal(repconv_builder_activation(b, "relu", REPCONV_RELU, x, 0, 0, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, x, "y"), REPCONV_OK);
  repconv_options_t* o = rc_test_options(be, REPCONV_WINOGRAD_AUTO, threads);
  repconv_model_t* m;
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("%s", repconv_last_error());
  repconv_options_destroy(o);
  repconv_builder_destroy(b);
  return m;
}

/* The plan entry of the conv in session s, checked. */
static void expect_entry(repconv_session_t* s, const char* what, const char* backend, const char* kernel,
                         const char* note) {
  repconv_plan_entry_t e;
  rc_test_plan_entry(s, "conv", &e);
  printf("  %s: %s %s | %s\n", what, e.backend, e.kernel, e.note);
  if (strcmp(e.backend, backend) != 0 || !strstr(e.kernel, kernel) || !strstr(e.note, note)) {
    fail_msg("%s: got %s '%s' '%s'; wanted %s '%s' '%s'", what, e.backend, e.kernel, e.note, backend, kernel, note);
  }
}

/* The conv's plan entry in a model loaded for `threads` threads. */
static void expect_rule_threads(int cin, int cout, int h, int w, int k, int stride, int groups, int dil,
                                repconv_backend be, int threads, const char* backend, const char* kernel,
                                const char* note) {
  repconv_model_t* m = one_conv(cin, cout, h, w, k, stride, groups, dil, be, threads);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  char what[96];
  snprintf(what, sizeof what, "C %d→%d %dx%d k%d s%d g%d d%d, %d thread(s)", cin, cout, h, w, k, stride, groups, dil,
           threads);
  expect_entry(s, what, backend, kernel, note);
  repconv_plan_entry_t e;
  rc_test_plan_entry(s, "relu", &e);
  assert_string_equal(e.backend, "fused");
  repconv_session_destroy(s);
  repconv_model_destroy(m);
}

static void expect_rule(int cin, int cout, int h, int w, int k, int stride, int groups, int dil, repconv_backend be,
                        const char* backend, const char* kernel, const char* note) {
  expect_rule_threads(cin, cout, h, w, k, stride, groups, dil, be, 1, backend, kernel, note);
}

/* Winograd on AVX-512F with two 512-bit FMA units: where a 1-thread plan
 * prices a one-block layer's weights at 14 (rc_rule_wino_weight_tiles). */
static int two_512bit_units(void) {
  return rc_wino_isa_resolve(RC_WINO_ISA_AUTO) == RC_WINO_ISA_AVX512F && !rc_cpu_get()->avx512_256bit;
}

/* The rule's weight price of F(2,3), F(4,3) and F(6,3) for a cin → cout
 * conv at h×w (batch 1) in a plan for `threads` threads (by each
 * variant's block count). */
static void prices(size_t cin, size_t cout, size_t h, size_t w, int threads, int out[3]) {
  for (int i = 0; i < 3; i++) {
    const rc_wino_variant v = rc_rule_wino_variants[i];
    const size_t m = (size_t)rc_wino_tile_m(v), tiles = ((h + m - 1) / m) * ((w + m - 1) / m);
    out[i] = rc_rule_wino_weight_tiles(threads, rc_wino_blocks(v, cin, cout, w, tiles, 0) <= 1);
  }
}

static void test_rule_and_reasons(void** state) {
  (void)state;
  const repconv_backend A = REPCONV_BACKEND_AUTO, W = REPCONV_BACKEND_WINOGRAD;
  /* The tile GEMMs' rows + w·α², w the weights' price for a plan of one
   * thread: 48; 14 on two 512-bit FMA units (AVX-512F Winograd) for a
   * variant whose tiles fit one block (U read once, from memory); 8 where
   * AVX-512 runs on 256-bit units. Rows α² a tile but on border tiles (56 =
   * 9·6 + 2: F(6,3)'s last tile is a nested F(2,3), 9·8 + 4 = 76 positions
   * an axis). 56x56, several blocks: F(4,3) 36·(196 + w) against F(6,3) 76²
   * + 64·w; w 8, F(6,3); w 48, F(4,3). */
  int w[3];
  prices(64, 64, 56, 56, 1, w);
  assert_true((w[1] == 48 || w[1] == 8) && w[1] == w[2]);
  char note[192];
  int f6 = 76 * 76 + 64 * w[2] < 36 * (196 + w[1]);
  snprintf(note, sizeof note, "wino%d3: C 64→64, 56x56 (%s); least GEMM rows + w·α², w %d/%d/%d (F2 %d, F4 %d, F6 %d)",
           f6 ? 6 : 4, f6 ? "100 tiles of 6x6" : "196 tiles of 4x4", w[0], w[1], w[2], 16 * (784 + w[0]),
           36 * (196 + w[1]), 76 * 76 + 64 * w[2]);
  expect_rule(64, 64, 56, 56, 3, 1, 1, 1, A, "winograd", f6 ? "wino63" : "wino43", note);
  /* 28 = 4·6 + 4: F(6,3)'s last tile a nested F(4,3), 38² = 1444 rows,
   * against F(4,3)'s 42²: w 8, F(6,3) 1956 < 2052; w 48, F(4,3). One
   * thread on two 512-bit units: F(6,3)'s 25 tiles are one block (w 14),
   * F(4,3)'s 49 two (w 48): F(6,3), 2340 < 3492. */
  prices(96, 96, 28, 28, 1, w);
  if (two_512bit_units()) {
    assert_int_equal(w[1], 48);
    assert_int_equal(w[2], 14);
  }
  f6 = 38 * 38 + 64 * w[2] < 42 * 42 + 36 * w[1];
  expect_rule(96, 96, 28, 28, 3, 1, 1, 1, A, "winograd", f6 ? "wino63" : "wino43",
              f6 ? "wino63: C 96→96, 28x28 (25 tiles of 6x6)" : "wino43: C 96→96, 28x28 (49 tiles of 4x4)");
  /* 14x14, one block each: F(4,3)'s last tiles run the nested F(2,3) (4 +
   * 4 + 4 + 2), 22² = 484 rows, F(6,3)'s too (6 + 6 + 2), 20² = 400;
   * streaming their weights makes F(2,3) the cheapest at w 48: 16·(49 +
   * 48) = 1552 < 484 + 36·48 = 2212; at w 14 F(4,3): 988 < 1008 < 1296; at
   * w 8 F(4,3): 772 < 912. */
  prices(192, 192, 14, 14, 1, w);
  assert_true(w[0] == w[1] && w[1] == w[2]);
  if (two_512bit_units()) {
    assert_int_equal(w[0], 14); /* one block, one thread */
    int w56[3];
    prices(64, 64, 56, 56, 1, w56);
    assert_int_equal(w56[1], 48); /* several blocks */
  }
  const int wt = w[0], f4 = 484 + 36 * wt < 16 * (49 + wt);
  snprintf(note, sizeof note, "w %d/%d/%d (F2 %d, F4 %d, F6 %d)", wt, wt, wt, 16 * (49 + wt), 484 + 36 * wt,
           400 + 64 * wt);
  expect_rule(192, 192, 14, 14, 3, 1, 1, 1, A, "winograd", f4 ? "wino43" : "wino23", note);
  expect_rule(192, 192, 14, 14, 3, 1, 1, 1, A, "winograd", f4 ? "wino43" : "wino23",
              f4 ? "wino43: C 192→192, 14x14 (16 tiles of 4x4)" : "wino23: C 192→192, 14x14 (49 tiles of 2x2)");
  /* A plan for two threads prices the weights at 48 on two 512-bit units
   * (each thread streams all of a few-tile layer's U, from half the
   * memory bandwidth): F(2,3) there. */
  prices(192, 192, 14, 14, 2, w);
  const int wt2 = w[0], f4_2 = 484 + 36 * wt2 < 16 * (49 + wt2);
  assert_true((wt2 == 48 || wt2 == 8) && w[1] == wt2 && w[2] == wt2);
  snprintf(note, sizeof note, "least GEMM rows + w·α², w %d/%d/%d (F2 %d, F4 %d, F6 %d)", wt2, wt2, wt2,
           16 * (49 + wt2), 484 + 36 * wt2, 400 + 64 * wt2);
  expect_rule_threads(192, 192, 14, 14, 3, 1, 1, 1, A, 2, "winograd", f4_2 ? "wino43" : "wino23", note);
  /* Sessions plan with the model's thread count, not their own, so a
   * model's outputs are bitwise the same at any thread count: a session of
   * 2 threads on another backend (its own plan) of a model loaded for 1. */
  {
    repconv_model_t* m = one_conv(192, 192, 14, 14, 3, 1, 1, 1, A, 1);
    repconv_session_t* s = rc_test_session(m, W, 2);
    snprintf(note, sizeof note, "least GEMM rows + w·α², w %d/%d/%d (F2 %d, F4 %d, F6 %d)", wt, wt, wt, 16 * (49 + wt),
             484 + 36 * wt, 400 + 64 * wt);
    expect_entry(s, "C 192→192 14x14, model for 1 thread, session of 2 on backend winograd", "winograd",
                 f4 ? "wino43" : "wino23", note);
    repconv_session_destroy(s);
    repconv_model_destroy(m);
  }
  /* Small channel counts: F(6,3) only with AVX-512F or AVX2, where it has the
   * least work here: 64·(150 + w) against F(4,3)'s 90·136 + 36·w (60 = 15·4;
   * 90 = 22·4 + 2, 23 tiles with a border tile: 23·6 − 2 positions). */
  const rc_wino_isa wisa = rc_wino_isa_resolve(RC_WINO_ISA_AUTO);
  if (wisa == RC_WINO_ISA_AVX512F || wisa == RC_WINO_ISA_AVX2) {
    prices(16, 16, 60, 90, 1, w);
    snprintf(note, sizeof note,
             "wino63: C 16→16, 60x90 (150 tiles of 6x6); least GEMM rows + w·α², w %d/%d/%d (F2 %d, F4 %d, F6 %d)",
             w[0], w[1], w[2], 16 * (1350 + w[0]), 90 * 136 + 36 * w[1], 64 * (150 + w[2]));
    expect_rule(16, 16, 60, 90, 3, 1, 1, 1, A, "winograd", "wino63", note);
  } else {
    expect_rule(16, 16, 60, 90, 3, 1, 1, 1, A, "winograd", "wino43", "F6 for C ≥ 32 here");
  }
  /* A tiny image: F(2,3). */
  expect_rule(64, 64, 2, 2, 3, 1, 1, 1, A, "winograd", "wino23", "wino23: C 64→64, 2x2 (1 tiles of 2x2)");
  /* Under 4 input channels auto leaves it to the GEMM's direct path where
   * the auto micro-kernel has one (AVX2, AVX-512F), else to XNNPACK;
   * backend winograd does not. */
  const rc_gemm_ukernel auk = rc_gemm_ukernel_resolve(RC_GEMM_UK_AUTO);
  const int direct =
      auk != RC_GEMM_UK_SCALAR && auk != RC_GEMM_UK_NEON && !(rc_cpu_get()->avx512f && rc_gemm_ukernel_nr(auk) < 32);
  expect_rule(3, 16, 32, 32, 3, 1, 1, 1, A, direct ? "gemm" : "xnnpack", direct ? "gemm:" : "xnnpack:convolution2d",
              "Winograd not chosen");
  expect_rule(3, 16, 32, 32, 3, 1, 1, 1, W, "winograd", "wino43", "wino43: C 3→16");
  /* Stride 2: a stride-2 variant from 9 output tiles of 2x2 and 16 input
   * channels (RepVGG-A0's stage1.0–3.0), else the GEMM rule (repconv's
   * GEMM or XNNPACK: test_gemm_plan.c), and the note says why; backend
   * winograd takes it anyway. F(4,3) stride 2 where its rows win at every
   * weight price (56x56: 196·81 + 48·81 against 784·25 + 48·25), F(2,3)
   * stride 2 where they do not (16x16: 16·81 against 64·25 at any price). */
  expect_rule(32, 32, 112, 112, 3, 2, 1, 1, A, "winograd", "wino43s2",
              "wino43s2: stride 2, C 32→32, 56x56 (196 tiles of 4x4, α 9: 81 products for 16 outputs");
  const rc_gemm_ukernel uk = rc_gemm_ukernel_resolve(RC_GEMM_UK_AUTO);
  const int gemm = uk != RC_GEMM_UK_SCALAR && !(rc_cpu_get()->avx512f && rc_gemm_ukernel_nr(uk) < 32);
  expect_rule(32, 32, 32, 32, 3, 2, 1, 1, A, "winograd", "wino23s2",
              "wino23s2: stride 2, C 32→32, 16x16 (64 tiles of 2x2, α 5");
  expect_rule(32, 32, 14, 14, 3, 2, 1, 1, A, "winograd", "wino23s2",
              "7x7 (16 tiles of 2x2, α 5: 25 products for 4 outputs against 36; 324 GEMM rows a channel pair "
              "against 441 direct)"); /* 18² with the one-output border tiles */
  expect_rule(32, 32, 12, 12, 3, 2, 1, 1, A, "winograd", "wino23s2", "wino23s2: stride 2, C 32→32, 6x6 (9 tiles");
  expect_rule(32, 32, 8, 8, 3, 2, 1, 1, A, gemm ? "gemm" : "xnnpack", gemm ? "gemm:" : "xnnpack:",
              "stride-2 Winograd not chosen: C 32→32, 4x4 (4 tiles of 2x2), U 0.06 MiB: too few tiles");
  expect_rule(8, 32, 32, 32, 3, 2, 1, 1, A, gemm ? "gemm" : "xnnpack",
              gemm ? "gemm:" : "xnnpack:", "too few input channels");
  expect_rule(32, 32, 8, 8, 3, 2, 1, 1, W, "winograd", "wino23s2", "wino23s2: stride 2, C 32→32, 4x4");
  /* Where Winograd does not apply: XNNPACK, and the note says why. */
  expect_rule(32, 32, 16, 16, 1, 1, 1, 1, W, "xnnpack", "xnnpack:", "Winograd n/a: kernel 1x1");
  expect_rule(32, 32, 16, 16, 3, 1, 32, 1, W, "xnnpack", "xnnpack:", "Winograd n/a: 32 groups");
  expect_rule(32, 32, 16, 16, 3, 1, 1, 2, A, gemm ? "gemm" : "xnnpack",
              gemm ? "gemm:" : "xnnpack:", "Winograd n/a: dilation 2x2");
  /* Weight cap: at C 1024 F(6,3)'s and F(4,3)'s transformed weights (256 and
   * 144 MiB) exceed 64 MiB, F(2,3)'s (64 MiB) do not; F(4,3) would otherwise
   * win at 8x8 (144 vs 256 α²·tiles). */
  expect_rule(1024, 1024, 8, 8, 3, 1, 1, 1, A, "winograd", "wino23", "U 64.00 MiB");
  /* Small layers run on one thread, and say so. */
  expect_rule(16, 16, 8, 8, 3, 1, 1, 1, A, "winograd", "wino23", "1 thread (small layer)");
}

static void test_driver_choices(void** state) {
  (void)state;
  /* Non-temporal U prefetch: RepVGG-A0's stage3 panel (192 rows × 3 × 16 floats, 36 KiB) in a 48 KiB L1d, not in
   * 32 KiB; never for the tile GEMM (nv 0) or an unknown L1d. */
  assert_true(rc_wino_u_nta(192, 3, 48 << 10));
  assert_false(rc_wino_u_nta(192, 3, 32 << 10));
  assert_true(rc_wino_u_nta(128, 4, 32 << 10));
  assert_false(rc_wino_u_nta(129, 4, 32 << 10));
  assert_false(rc_wino_u_nta(16, 0, 48 << 10));
  assert_false(rc_wino_u_nta(16, 1, 0));
  /* The wide GEMM's groups: RepVGG-A0's stage3 (16 tiles, 12 blocks of 16
   * channels) 4 + 4 + 4 on one thread; a thread's 6 blocks on two 3 + 3,
   * not 4 + 2 (the same cost); 3 blocks at 25 tiles one group at either
   * width, 5 rows a call (nv 4) or 9 (nv 3) at the same cost: the widest. */
  assert_int_equal(rc_wino_wide_nv(16, 12), 4);
  assert_int_equal(rc_wino_wide_nv(16, 6), 3);
  assert_int_equal(rc_wino_wide_nv(16, 8), 4);
  assert_int_equal(rc_wino_wide_nv(25, 3), 4);
  assert_int_equal(rc_wino_wide_nv(60, 1), 2);
}

/* V and M: a conv of fewer tiles than a block strided by its tiles, at the
 * slice's start, others by the block; one row more where that stride is a
 * multiple of 8 lines (RepVGG-A0's stage3: 16 tiles of 192 channels, 17
 * rows; stage2: 25 tiles of 96, 25 rows; 56x56 at 64 channels: blocks of
 * 28 tiles, 29 rows, at 1 MiB of L2). */
static void test_workspace_layout(void** state) {
  (void)state;
  const size_t l2 = 1 << 20;
  const struct {
    int hw, c;
    size_t block, rows;
  } convs[] = {{14, 192, 16, 17}, {20, 96, 25, 25}, {56, 64, 28, 29}};
  assert_int_equal(rc_wino_unaliased_tiles(16, 24, 192, 192), 17);
  assert_int_equal(rc_wino_unaliased_tiles(16, 17, 192, 192), 17); /* the limit itself */
  assert_int_equal(rc_wino_unaliased_tiles(16, 16, 192, 192), 16); /* none: the tiles */
  assert_int_equal(rc_wino_unaliased_tiles(15, 24, 8, 16), 15);
  assert_int_equal(rc_wino_unaliased_tiles(16, 24, 8, 16), 17);
  assert_int_equal(rc_wino_unaliased_tiles(16, 24, 96, 128), 17);  /* M aliases at any count: V decides */
  assert_int_equal(rc_wino_unaliased_tiles(16, 24, 128, 256), 16); /* neither can be helped */
  for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
    rc_wino_conv_params p;
    memset(&p, 0, sizeof p);
    p.variant = RC_WINO_F43;
    p.batch = 1;
    p.in_h = p.in_w = p.out_h = p.out_w = convs[i].hw;
    p.in_c = p.out_c = convs[i].c;
    p.pad_top = p.pad_left = 1;
    p.l2_bytes = l2;
    void* mem = malloc(rc_wino_workspace_size(RC_WINO_F43, (size_t)p.in_c, (size_t)p.out_c, (size_t)p.out_w, l2, 0));
    assert_non_null(mem);
    float* ws = rc_wino_align_ws(mem);
    rc_wino_run c;
    rc_wino_run_init(&c, &p, NULL, NULL, NULL, NULL, ws);
    const size_t c_ = (size_t)convs[i].c;
    assert_int_equal(c.block_tiles, convs[i].block);
    assert_int_equal(c.vm_rows, convs[i].rows);
    assert_ptr_equal(c.m, c.v + 36 * convs[i].rows * c_);
    assert_ptr_equal(c.scratch, c.m + 36 * convs[i].rows * c_);
    free(mem);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rule_and_reasons),
      cmocka_unit_test(test_driver_choices),
      cmocka_unit_test(test_workspace_layout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

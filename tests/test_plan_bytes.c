/* rc_plan_step_bytes and repconv_session_step_bytes: the bytes of a
 * Winograd step, a GEMM step and a Winograd chain against sizes computed by
 * hand from the kernels' layouts (kernels/winograd/wino.h, kernels/gemm/gemm.h);
 * and where the plan puts weights of a huge page or more (runtime/plan/owned.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/api/handles.h"
#include "runtime/plan/plan.h"
#include "runtime/plan/step_bytes.h"
#include "repconv.h"

typedef struct conv_spec {
  int cout, stride, bias, act; /* act: 0 none, 1 relu, 2 prelu */
} conv_spec;

/* A chain of 3x3 convs (pad 1) with weights 0.01 on a 1xCxHxW input. */
static repconv_model_t* build(int c, int h, int w, const conv_spec* convs, int n, repconv_backend be, int wino) {
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, c, h, w};
  repconv_id x;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  for (int i = 0; i < n; i++) {
    const conv_spec* s = &convs[i];
    repconv_conv2d_desc_t cd = {.out_channels = s->cout,
                                .kernel_h = 3,
                                .kernel_w = 3,
                                .stride_h = s->stride,
                                .stride_w = s->stride,
                                .pad_top = 1,
                                .pad_left = 1,
                                .pad_bottom = 1,
                                .pad_right = 1};
    size_t nw = (size_t)s->cout * (size_t)c * 9;
    float* wt = malloc(nw * sizeof(float));
    float* bias = malloc((size_t)s->cout * sizeof(float));
    assert_non_null(wt);
    assert_non_null(bias);
    for (size_t k = 0; k < nw; k++) wt[k] = 0.01f;
    for (int k = 0; k < s->cout; k++) bias[k] = 0.1f;
    char name[32];
    snprintf(name, sizeof(name), "conv%d", i);
    assert_int_equal(repconv_builder_conv2d(b, name, x, &cd, wt, s->bias ? bias : NULL, &x), REPCONV_OK);
    snprintf(name, sizeof(name), "act%d", i);
    if (s->act == 1) assert_int_equal(repconv_builder_activation(b, name, REPCONV_RELU, x, 0, 0, &x), REPCONV_OK);
    if (s->act == 2) assert_int_equal(repconv_builder_prelu(b, name, x, bias, s->cout, &x), REPCONV_OK);
    free(wt);
    free(bias);
    c = s->cout;
  }
  assert_int_equal(repconv_builder_output(b, x, "y"), REPCONV_OK);
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, be), REPCONV_OK);
  assert_int_equal(repconv_options_set_winograd(o, wino), REPCONV_OK);
  repconv_model_t* m;
  assert_int_equal(repconv_builder_finish(b, o, &m), REPCONV_OK);
  repconv_builder_destroy(b);
  repconv_options_destroy(o);
  return m;
}

static void expect_bytes(const rc_step_bytes* b, uint64_t weights, uint64_t channels, uint64_t inputs, uint64_t outputs,
                         uint64_t rings, int32_t layers) {
  assert_int_equal(b->weights, weights);
  assert_int_equal(b->channels, channels);
  assert_int_equal(b->inputs, inputs);
  assert_int_equal(b->outputs, outputs);
  assert_int_equal(b->rings, rings);
  assert_int_equal(b->layers, layers);
}

/* F(2,3), 16 → 24 channels, 20x24, bias, ReLU fused. */
static void test_winograd_step(void** state) {
  (void)state;
  const conv_spec convs[] = {{24, 1, 1, 1}};
  repconv_model_t* m = build(16, 20, 24, convs, 1, REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_F23);
  const rc_plan* p = &m->plan;
  assert_int_equal(p->n_order, 3); /* conv, its fused ReLU, the identity naming the output */
  assert_int_equal(p->steps[0].kind, RC_KERNEL_WINOGRAD);
  rc_step_bytes b;
  assert_int_equal(rc_plan_step_bytes(&m->g, p, 0, &b), REPCONV_OK);
  /* U: α² = 16 positions × out_c padded to 32 × in_c 16 floats; bias 24
   * floats; x 16·20·24 floats in, y 24·20·24 floats out. */
  expect_bytes(&b, 16 * 32 * 16 * 4, 24 * 4, 16 * 20 * 24 * 4, 24 * 20 * 24 * 4, 0, 1);
  assert_int_equal(b.weights, p->wino_weight_bytes);
  /* The fused ReLU: nothing of its own. */
  assert_int_equal(rc_plan_step_bytes(&m->g, p, 1, &b), REPCONV_OK);
  expect_bytes(&b, 0, 0, 0, 0, 0, 0);
  /* The identity: fused too (the conv writes the output it names). */
  assert_int_equal(p->steps[2].kind, RC_KERNEL_FUSED);
  assert_int_equal(p->steps[0].out, m->g.outputs[0]);
  assert_int_equal(rc_plan_step_bytes(&m->g, p, 2, &b), REPCONV_OK);
  expect_bytes(&b, 0, 0, 0, 0, 0, 0);
  assert_int_equal(rc_plan_step_bytes(&m->g, p, 3, &b), REPCONV_ERROR_NOT_FOUND);
  assert_int_equal(rc_plan_step_bytes(&m->g, p, -1, &b), REPCONV_ERROR_NOT_FOUND);

  /* The same through the public API. */
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  repconv_step_bytes_t sb;
  assert_int_equal(repconv_session_step_bytes(s, 0, &sb), REPCONV_OK);
  assert_int_equal(sb.weights, 32768);
  assert_int_equal(sb.channels, 96);
  assert_int_equal(sb.inputs, 30720);
  assert_int_equal(sb.outputs, 46080);
  assert_int_equal(sb.rings, 0);
  assert_int_equal(sb.layers, 1);
  assert_int_equal(repconv_session_step_bytes(s, 1, &sb), REPCONV_OK);
  assert_int_equal(sb.layers, 0);
  assert_int_equal(sb.weights + sb.inputs + sb.outputs, 0);
  assert_int_equal(repconv_session_step_bytes(s, 3, &sb), REPCONV_ERROR_NOT_FOUND);
  assert_int_equal(repconv_session_step_bytes(s, 0, NULL), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(repconv_session_step_bytes(NULL, 0, &sb), REPCONV_ERROR_INVALID_ARGUMENT);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
}

/* GEMM, 24 → 40 channels, stride 2, 20x24 → 10x12, bias, PReLU fused. */
static void test_gemm_step(void** state) {
  (void)state;
  const conv_spec convs[] = {{40, 2, 1, 2}};
  repconv_model_t* m = build(24, 20, 24, convs, 1, REPCONV_BACKEND_GEMM, REPCONV_WINOGRAD_AUTO);
  const rc_plan* p = &m->plan;
  assert_int_equal(p->n_order, 3);
  assert_int_equal(p->steps[0].kind, RC_KERNEL_GEMM);
  rc_step_bytes b;
  assert_int_equal(rc_plan_step_bytes(&m->g, p, 0, &b), REPCONV_OK);
  /* Packed panel: out_c padded to 48 × K = 9·24 = 216 floats; bias and
   * slopes padded to 48 floats each; x 24·20·24, y 40·10·12 floats. */
  expect_bytes(&b, 48 * 216 * 4, 2 * 48 * 4, 24 * 20 * 24 * 4, 40 * 10 * 12 * 4, 0, 1);
  assert_int_equal(b.weights, p->gemm_weight_bytes);
  repconv_model_destroy(m);
}

/* Two F(2,3) layers, 16 → 16 → 16 channels at 300x300 (5.76 MB activations:
 * chained), no bias. */
static void test_winograd_chain(void** state) {
  (void)state;
  const conv_spec convs[] = {{16, 1, 0, 0}, {16, 1, 0, 0}};
  repconv_model_t* m = build(16, 300, 300, convs, 2, REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_F23);
  const rc_plan* p = &m->plan;
  assert_int_equal(p->n_order, 2);
  assert_int_equal(p->steps[0].chain_len, 2);
  rc_step_bytes b;
  assert_int_equal(rc_plan_step_bytes(&m->g, p, 0, &b), REPCONV_OK);
  /* U: 2 layers × 16 × 16 × 16 floats. The ring between them: round_up(m1
   * + 2 + band, m) = round_up(2 + 2 + 2, 2) = 6 rows of 300 pixels × 16
   * channels (wino_chain.c). */
  expect_bytes(&b, 2 * 16 * 16 * 16 * 4, 0, 16 * 300 * 300 * 4, 16 * 300 * 300 * 4, 6 * 300 * 16 * 4, 2);
  assert_int_equal(b.weights, p->wino_weight_bytes);
  assert_int_equal(rc_plan_step_bytes(&m->g, p, 1, &b), REPCONV_OK); /* run by the head */
  expect_bytes(&b, 0, 0, 0, 0, 0, 0);
  repconv_model_destroy(m);
}

/* The huge-page advice is read back on x86-64 Linux only: CI runs the
 * AArch64 tests under qemu-user, whose madvise is a no-op, and under ASan
 * the weights stay on the heap (runtime/plan/owned.c). */
#if defined(__linux__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define CHECK_HUGE_ADVICE 1

/* 1 if the mapping that holds address a has the kernel's huge-page advice
 * ("hg" in its VmFlags), 0 if not, -1 if /proc/self/smaps cannot say. */
static int advised_huge(const void* a) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  int in = 0, found = -1;
  const uintptr_t x = (uintptr_t)a;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      in = x >= lo && x < hi;
    } else if (in && !strncmp(line, "VmFlags:", 8)) {
      found = strstr(line, " hg") != NULL;
      break;
    }
  }
  fclose(f);
  return found;
}

/* 1 if this kernel has transparent huge pages for advised mappings. */
static int thp_advisable(void) {
  FILE* f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f) return 0;
  char line[128] = "";
  const int ok = fgets(line, sizeof line, f) && !strstr(line, "[never]");
  fclose(f);
  return ok;
}
#endif

/* Weights of at least 2 MiB (U of C192 F(4,3): 5.3 MB; packed GEMM weights
 * of 192 → 512 3x3: 3.5 MB) start on a 2 MiB boundary (Linux) and, where
 * the kernel has transparent huge pages, carry the huge-page advice; small
 * ones (PReLU slopes) stay 64-byte aligned, without it. */
static void test_big_weights_on_huge_pages(void** state) {
  (void)state;
  const conv_spec wino[] = {{192, 1, 1, 2}}, gemm[] = {{512, 2, 1, 1}}; /* PReLU: plan-owned slopes */
  repconv_model_t* mw = build(192, 14, 14, wino, 1, REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_F43);
  repconv_model_t* mg = build(192, 14, 14, gemm, 1, REPCONV_BACKEND_GEMM, REPCONV_WINOGRAD_AUTO);
  const rc_step* sw = &mw->plan.steps[0];
  const rc_step* sg = &mg->plan.steps[0];
  assert_int_equal(sw->kind, RC_KERNEL_WINOGRAD);
  assert_int_equal(sg->kind, RC_KERNEL_GEMM);
  assert_true(mw->plan.wino_weight_bytes >= ((size_t)4 << 20));
  assert_true(mg->plan.gemm_weight_bytes >= ((size_t)3 << 20));
  assert_int_equal((uintptr_t)sw->wino_slopes % 64, 0);
#if defined(__SANITIZE_ADDRESS__) /* owned.c keeps them on the heap, where ASan sees overruns */
  assert_int_equal((uintptr_t)sw->wino_u % 64, 0);
  assert_int_equal((uintptr_t)sg->gemm_w % 64, 0);
#elif defined(__linux__)
  assert_int_equal((uintptr_t)sw->wino_u % ((uintptr_t)2 << 20), 0);
  assert_int_equal((uintptr_t)sg->gemm_w % ((uintptr_t)2 << 20), 0);
#endif
#ifdef CHECK_HUGE_ADVICE
  if (thp_advisable()) {
    const int u = advised_huge(sw->wino_u), w = advised_huge(sg->gemm_w), sl = advised_huge(sw->wino_slopes);
    printf("huge-page advice: U %d, GEMM weights %d, slopes %d (1 = hg, -1 = no smaps)\n", u, w, sl);
    if (u >= 0) {
      assert_int_equal(u, 1);
      assert_int_equal(w, 1);
      assert_int_equal(sl, 0);
    }
  }
#endif
  repconv_model_destroy(mg);
  repconv_model_destroy(mw);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_winograd_step),
      cmocka_unit_test(test_gemm_step),
      cmocka_unit_test(test_winograd_chain),
      cmocka_unit_test(test_big_weights_on_huge_pages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The activation arena: a long chain needs about two activations, and no two
 * tensors that are alive at the same time ever share memory (checked on
 * every tensor pair of the branchy built-in RepVGG-A0). */
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
#include "repconv.h"

static void test_chain_arena_two_activations(void** state) {
  (void)state;
  enum { C = 16, H = 31, W = 29, DEPTH = 40 };
  repconv_builder_t* b;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  int64_t d[4] = {1, C, H, W};
  repconv_id x;
  assert_int_equal(repconv_builder_input(b, "x", 4, d, &x), REPCONV_OK);
  static float w[C * C * 9];
  repconv_conv2d_desc_t cd = {
      .out_channels = C, .kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  char name[32];
  for (int i = 0; i < DEPTH; i++) {
    snprintf(name, sizeof(name), "conv%d", i);
    assert_int_equal(repconv_builder_conv2d(b, name, x, &cd, w, NULL, &x), REPCONV_OK);
  }
  assert_int_equal(repconv_builder_output(b, x, "conv39"), REPCONV_OK);
  repconv_model_t* m;
  assert_int_equal(repconv_builder_finish(b, NULL, &m), REPCONV_OK);
  repconv_builder_destroy(b);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  size_t act = (size_t)C * H * W * sizeof(float);
  size_t act_aligned = (act + 63) / 64 * 64;
  size_t arena = repconv_session_arena_bytes(s);
  /* Input + 40 convs, each alive for one step: two buffers. */
  if (arena > 2 * act_aligned) fail_msg("arena %zu bytes > 2 activations (%zu)", arena, 2 * act_aligned);
  assert_true(arena >= 2 * act);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
}

static void test_no_overlap_while_alive(void** state) {
  (void)state;
  repconv_model_t* m;
  repconv_options_t* opt;
  assert_int_equal(repconv_options_create(&opt), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(opt, 0), REPCONV_OK); /* the branchy train-time graph */
  assert_int_equal(repconv_model_load("repvgg-a0", opt, &m), REPCONV_OK);
  repconv_options_destroy(opt);
  const rc_graph* g = &m->g;
  const rc_plan* p = &m->plan;
  int32_t nt = g->n_tensors;
  int32_t* first = malloc((size_t)nt * sizeof(int32_t));
  int32_t* last = malloc((size_t)nt * sizeof(int32_t));
  assert_non_null(first);
  assert_non_null(last);
  for (int32_t t = 0; t < nt; t++) {
    first[t] = g->tensors[t].kind == RC_TENSOR_INPUT ? -1 : INT32_MAX;
    last[t] = -2;
  }
  for (int32_t i = 0; i < p->n_order; i++) {
    const rc_node* n = &g->nodes[p->order[i]];
    /* A fused activation is computed by the step before it, which writes
     * the activation's output; the tensor between them is never stored. */
    if (p->steps[i].kind == RC_KERNEL_FUSED) continue;
    const int32_t out = p->steps[i].out;
    if (i < first[out]) first[out] = i;
    if (i > last[out]) last[out] = i;
    for (int32_t k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] >= 0 && i > last[n->inputs[k]]) last[n->inputs[k]] = i;
    }
  }
  for (int32_t i = 0; i < g->n_outputs; i++) last[g->outputs[i]] = p->n_order;
  size_t largest = 0, sum = 0;
  for (int32_t a = 0; a < nt; a++) {
    if (g->tensors[a].kind == RC_TENSOR_CONST) {
      assert_true(p->offset[a] == RC_NO_OFFSET);
      continue;
    }
    size_t na = (size_t)rc_shape_numel(&g->tensors[a].shape);
    if (p->offset[a] == RC_NO_OFFSET) { /* elided: the input of a fused activation */
      sum += na;
      continue;
    }
    assert_true(p->offset[a] + na <= p->arena_floats);
    assert_int_equal(p->offset[a] % RC_ARENA_ALIGN_FLOATS, 0);
    if (na > largest) largest = na;
    sum += na;
    for (int32_t c = a + 1; c < nt; c++) {
      if (g->tensors[c].kind == RC_TENSOR_CONST || p->offset[c] == RC_NO_OFFSET) continue;
      if (!(first[a] <= last[c] && first[c] <= last[a])) continue;
      size_t nc = (size_t)rc_shape_numel(&g->tensors[c].shape);
      int disjoint = p->offset[a] + na <= p->offset[c] || p->offset[c] + nc <= p->offset[a];
      if (!disjoint) fail_msg("'%s' and '%s' are alive together and overlap", g->tensors[a].name, g->tensors[c].name);
    }
  }
  /* Without in-place ops the peak of a RepVGG block is its add: two branch
   * tensors and the sum, three activations of the largest size (stage 0),
   * against the ~21 activations that one buffer per tensor would take. */
  if (p->arena_floats > 3 * largest) fail_msg("arena %zu floats > 3 × %zu", p->arena_floats, largest);
  assert_true(sum > 20 * largest);
  free(first);
  free(last);
  repconv_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_arena_two_activations),
      cmocka_unit_test(test_no_overlap_while_alive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

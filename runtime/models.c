#include "models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold/blocks.h"
#include "rng.h"

/* RepVGG-A0 (Ding et al. 2021): widths 48, 48, 96, 192, 1280, depths 1, 2, 4,
 * 14, 1, stride 2 at each stage's first block, global average pool, FC 1000.
 * 22 RepVGG blocks: 22 3×3 convs once folded. */
static rc_status build_repvgg_a0(rc_graph* g) {
  static const int32_t widths[5] = {48, 48, 96, 192, 1280};
  static const int32_t depths[5] = {1, 2, 4, 14, 1};
  rc_rng rng = {0x5eed0a0ull};
  rc_shape in = {4, {1, 3, 224, 224}};
  int32_t x;
  RC_CHECK(rc_graph_add_input(g, "input", &in, &x));
  int32_t cin = 3;
  char name[RC_MAX_NAME];
  for (int stage = 0; stage < 5; stage++) {
    for (int i = 0; i < depths[stage]; i++) {
      snprintf(name, sizeof(name), "stage%d.%d", stage, i);
      RC_CHECK(rc_block_repvgg(g, &rng, name, x, cin, widths[stage], i == 0 ? 2 : 1, 1, &x));
      cin = widths[stage];
    }
  }
  int32_t pooled, flat, logits;
  RC_CHECK(rc_graph_add_node(g, RC_OP_GLOBAL_AVGPOOL, "gap", &x, 1, NULL, "gap", &pooled));
  rc_attrs fa = rc_attrs_default();
  fa.axis = 1;
  RC_CHECK(rc_graph_add_node(g, RC_OP_FLATTEN, "flatten", &pooled, 1, &fa, "flatten", &flat));
  const int32_t classes = 1000;
  size_t nw = (size_t)classes * (size_t)cin;
  float* w = malloc(nw * sizeof(float));
  float* b = malloc((size_t)classes * sizeof(float));
  rc_status s = REPCONV_OK;
  if (!w || !b) s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "repvgg-a0: out of memory");
  int32_t in3[3] = {flat, -1, -1};
  if (s == REPCONV_OK) {
    float a = sqrtf(3.0f / (float)cin);
    for (size_t i = 0; i < nw; i++) w[i] = rc_rng_uniform(&rng, -a, a);
    for (int32_t i = 0; i < classes; i++) b[i] = rc_rng_uniform(&rng, -0.1f, 0.1f);
    rc_shape ws = {2, {classes, cin}}, bs = {1, {classes}};
    s = rc_graph_add_const(g, "linear.weight", &ws, w, &in3[1]);
    if (s == REPCONV_OK) s = rc_graph_add_const(g, "linear.bias", &bs, b, &in3[2]);
  }
  free(w);
  free(b);
  RC_CHECK(s);
  RC_CHECK(rc_graph_add_node(g, RC_OP_GEMM, "linear", in3, 3, NULL, "output", &logits));
  return rc_graph_add_output(g, logits);
}

typedef struct builtin {
  const char* name;
  rc_status (*build)(rc_graph* g);
} builtin;

static const builtin k_builtins[] = {
    {"repvgg-a0", build_repvgg_a0},
};

#define N_BUILTINS (sizeof(k_builtins) / sizeof(k_builtins[0]))

const char* rc_builtin_name(size_t index) { return index < N_BUILTINS ? k_builtins[index].name : NULL; }

int rc_builtin_exists(const char* name) {
  for (size_t i = 0; i < N_BUILTINS; i++) {
    if (strcmp(k_builtins[i].name, name) == 0) return 1;
  }
  return 0;
}

rc_status rc_builtin_build(const char* name, rc_graph* g) {
  for (size_t i = 0; i < N_BUILTINS; i++) {
    if (strcmp(k_builtins[i].name, name) == 0) {
      rc_status s = k_builtins[i].build(g);
      if (s != REPCONV_OK) return rc_error_context(s, "built-in model '%s'", name);
      return REPCONV_OK;
    }
  }
  return rc_error(REPCONV_ERROR_NOT_FOUND, "no built-in model '%s'", name);
}

#include "runtime/zoo/zoo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/zoo/blocks.h"
#include "runtime/zoo/trained.h"
#include "runtime/graph/rng.h"

/* Global average pool → flatten → FC (gemm "linear" or "fc", output tensor
 * "output"), weights uniform with variance 1/cin, bias in ±0.1. */
static rc_status add_classifier(rc_graph* g, rc_rng* rng, const char* fc_name, int32_t x, int32_t cin, int32_t classes,
                                int32_t* out) {
  char nm[RC_MAX_NAME];
  int32_t pooled, flat;
  RC_CHECK(rc_graph_add_node(g, RC_OP_GLOBAL_AVGPOOL, "gap", &x, 1, NULL, "gap", &pooled));
  rc_attrs fa = rc_attrs_default();
  fa.axis = 1;
  RC_CHECK(rc_graph_add_node(g, RC_OP_FLATTEN, "flatten", &pooled, 1, &fa, "flatten", &flat));
  int32_t in3[3] = {flat, -1, -1};
  const float a = sqrtf(3.0f / (float)cin);
  rc_shape ws = {2, {classes, cin}}, bs = {1, {classes}};
  snprintf(nm, sizeof(nm), "%s.weight", fc_name);
  RC_CHECK(rc_block_const_uniform(g, rng, nm, &ws, -a, a, &in3[1]));
  snprintf(nm, sizeof(nm), "%s.bias", fc_name);
  RC_CHECK(rc_block_const_uniform(g, rng, nm, &bs, -0.1f, 0.1f, &in3[2]));
  return rc_graph_add_node(g, RC_OP_GEMM, fc_name, in3, 3, NULL, "output", out);
}

/* RepVGG (Ding et al. 2021): five stages of RepVGG blocks, stride 2 at each
 * stage's first block, global average pool, FC 1000; input 1×3×224×224. */
static rc_status build_repvgg(rc_graph* g, uint64_t seed, const int32_t widths[5], const int32_t depths[5]) {
  rc_rng rng = {seed};
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
  int32_t logits;
  RC_CHECK(add_classifier(g, &rng, "linear", x, cin, 1000, &logits));
  return rc_graph_add_output(g, logits);
}

/* RepVGG-A0: widths 48, 48, 96, 192, 1280 (a = 0.75, b = 2.5), depths 1, 2,
 * 4, 14, 1. 22 RepVGG blocks: 22 3×3 convs once folded. */
static rc_status build_repvgg_a0(rc_graph* g) {
  static const int32_t widths[5] = {48, 48, 96, 192, 1280};
  static const int32_t depths[5] = {1, 2, 4, 14, 1};
  return build_repvgg(g, 0x5eed0a0ull, widths, depths);
}

/* RepVGG-B0: widths 64, 64, 128, 256, 1280 (a = 1, b = 2.5), depths 1, 4, 6,
 * 16, 1. 28 RepVGG blocks: 28 3×3 convs once folded. */
static rc_status build_repvgg_b0(rc_graph* g) {
  static const int32_t widths[5] = {64, 64, 128, 256, 1280};
  static const int32_t depths[5] = {1, 4, 6, 16, 1};
  return build_repvgg(g, 0x5eed0b0ull, widths, depths);
}

/* ResNet-18 (He et al. 2016) with every K×K conv a Diverse Branch Block
 * (Ding et al. 2021), as the DBB paper trains it: stem DBB 7×7 s2 (3 → 64)
 * → ReLU → max pool 3×3 s2 p1; four stages of two BasicBlocks (64, 128, 256,
 * 512 channels, stride 2 at the first block of stages 2-4), BasicBlock =
 * DBB 3×3 (stride s) → ReLU → DBB 3×3, + shortcut (1×1 s2 conv + BN when the
 * shape changes, else x) → ReLU; global average pool, FC 1000. Input
 * 1×3×224×224. 17 DBBs (85 convs) + 3 shortcut convs; 20 convs once folded
 * (17 K×K + 3 1×1). */
static rc_status build_dbb_resnet18(rc_graph* g) {
  static const int32_t widths[4] = {64, 128, 256, 512};
  rc_rng rng = {0x5eedd0bull};
  rc_shape in = {4, {1, 3, 224, 224}};
  int32_t x;
  char name[RC_MAX_NAME];
  RC_CHECK(rc_graph_add_input(g, "input", &in, &x));
  RC_CHECK(rc_block_dbb(g, &rng, "conv1", x, 3, 64, 7, 2, 3, 1, &x));
  RC_CHECK(rc_graph_add_node(g, RC_OP_RELU, "relu", &x, 1, NULL, "relu", &x));
  rc_attrs mp = rc_attrs_default();
  mp.kernel[0] = mp.kernel[1] = 3;
  mp.stride[0] = mp.stride[1] = 2;
  mp.pad[0] = mp.pad[1] = mp.pad[2] = mp.pad[3] = 1;
  RC_CHECK(rc_graph_add_node(g, RC_OP_MAXPOOL, "maxpool", &x, 1, &mp, "maxpool", &x));
  int32_t cin = 64;
  for (int stage = 0; stage < 4; stage++) {
    const int32_t cout = widths[stage];
    for (int i = 0; i < 2; i++) {
      const int32_t stride = stage > 0 && i == 0 ? 2 : 1;
      int32_t y, shortcut = x;
      snprintf(name, sizeof(name), "layer%d.%d.conv1", stage + 1, i);
      RC_CHECK(rc_block_dbb(g, &rng, name, x, cin, cout, 3, stride, 1, 1, &y));
      snprintf(name, sizeof(name), "layer%d.%d.relu1", stage + 1, i);
      RC_CHECK(rc_graph_add_node(g, RC_OP_RELU, name, &y, 1, NULL, name, &y));
      snprintf(name, sizeof(name), "layer%d.%d.conv2", stage + 1, i);
      RC_CHECK(rc_block_dbb(g, &rng, name, y, cout, cout, 3, 1, 1, 1, &y));
      if (stride != 1 || cin != cout) {
        snprintf(name, sizeof(name), "layer%d.%d.downsample", stage + 1, i);
        RC_CHECK(rc_block_conv_bn(g, &rng, name, x, cin, cout, 1, stride, 0, 1, &shortcut));
      }
      int32_t pair[2] = {y, shortcut};
      snprintf(name, sizeof(name), "layer%d.%d.add", stage + 1, i);
      RC_CHECK(rc_graph_add_node(g, RC_OP_ADD, name, pair, 2, NULL, name, &y));
      snprintf(name, sizeof(name), "layer%d.%d.relu2", stage + 1, i);
      RC_CHECK(rc_graph_add_node(g, RC_OP_RELU, name, &y, 1, NULL, name, &x));
      cin = cout;
    }
  }
  int32_t logits;
  RC_CHECK(add_classifier(g, &rng, "fc", x, cin, 1000, &logits));
  return rc_graph_add_output(g, logits);
}

/* ECBSR-M4C16 ×2 (Zhang et al. 2021) on the Y channel (values 0..255):
 * ECB head 1 → 16 + PReLU, four ECB 16 → 16 + PReLU, ECB tail 16 → 4
 * (linear), + the input (broadcast to the 4 channels: a nearest-upsampled
 * residual once shuffled), pixel shuffle ×2 (depth-to-space, CRD).
 * Input 1×1×540×960, output 1×1×1080×1920. 6 ECBs of 5 branches (54 convs);
 * 6 3×3 convs once folded. The tail is built with a small gain so the
 * network is a modest correction of the upsampled input, as a trained SR
 * net is; outputs stay about in 0..255. */
static rc_status build_ecbsr_m4c16_x2(rc_graph* g) {
  enum { M = 4, C = 16, SCALE = 2, COLORS = 1 };
  rc_rng rng = {0x5eedec8ull};
  rc_shape in = {4, {1, COLORS, 540, 960}};
  int32_t x, y;
  char name[RC_MAX_NAME];
  RC_CHECK(rc_graph_add_input(g, "input", &in, &x));
  /* Gains: ~1/√5 per branch keeps a block near unit gain (five branches). */
  RC_CHECK(rc_block_ecb(g, &rng, "backbone.0", x, COLORS, C, 1, 0.45f, 2.0f, &y));
  for (int i = 0; i < M; i++) {
    snprintf(name, sizeof(name), "backbone.%d", i + 1);
    RC_CHECK(rc_block_ecb(g, &rng, name, y, C, C, 1, 0.45f, 2.0f, &y));
  }
  snprintf(name, sizeof(name), "backbone.%d", M + 1);
  RC_CHECK(rc_block_ecb(g, &rng, name, y, C, COLORS * SCALE * SCALE, 0, 0.15f, 1.0f, &y));
  int32_t pair[2] = {y, x};
  RC_CHECK(rc_graph_add_node(g, RC_OP_ADD, "residual", pair, 2, NULL, "residual", &y));
  rc_attrs d2s = rc_attrs_default();
  d2s.block = SCALE;
  d2s.mode = 0; /* CRD: PyTorch's PixelShuffle */
  RC_CHECK(rc_graph_add_node(g, RC_OP_DEPTH_TO_SPACE, "upsampler", &y, 1, &d2s, "output", &y));
  return rc_graph_add_output(g, y);
}

typedef struct builtin {
  const char* name;
  rc_status (*build)(rc_graph* g);
} builtin;

static const builtin k_builtins[] = {
    {"repvgg-a0", build_repvgg_a0},           {"repvgg-b0", build_repvgg_b0},      {"dbb-resnet18", build_dbb_resnet18},
    {"ecbsr-m4c16-x2", build_ecbsr_m4c16_x2}, {"ecbsr-x2", rc_zoo_build_ecbsr_x2}, /* trained: runtime/zoo/trained.c */
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

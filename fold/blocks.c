#include "blocks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static rc_status add_random_const(rc_graph* g, rc_rng* rng, const char* name, const rc_shape* s, float lo,
                                  float hi, int32_t* out) {
  size_t n = (size_t)rc_shape_numel(s);
  float* d = malloc(n * sizeof(float));
  if (!d) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "constant '%s': out of memory", name);
  for (size_t i = 0; i < n; i++) d[i] = rc_rng_uniform(rng, lo, hi);
  rc_status st = rc_graph_add_const(g, name, s, d, out);
  free(d);
  return st;
}

rc_status rc_block_bn(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t c, int32_t* out) {
  char nm[RC_MAX_NAME];
  rc_shape s = {1, {c}};
  /* gamma, beta, running mean, running var. Kept so that a block's branches
   * sum to roughly unit variance and deep stacks neither explode nor vanish. */
  static const char* const suffix[] = {"weight", "bias", "running_mean", "running_var"};
  static const float lo[] = {0.35f, -0.1f, -0.1f, 0.5f};
  static const float hi[] = {0.75f, 0.1f, 0.1f, 1.5f};
  int32_t in[5] = {x, -1, -1, -1, -1};
  for (int i = 0; i < 4; i++) {
    snprintf(nm, sizeof(nm), "%s.%s", name, suffix[i]);
    RC_CHECK(add_random_const(g, rng, nm, &s, lo[i], hi[i], &in[1 + i]));
  }
  rc_attrs a = rc_attrs_default();
  a.eps = 1e-5f;
  return rc_graph_add_node(g, RC_OP_BATCHNORM, name, in, 5, &a, name, out);
}

rc_status rc_block_conv_bn(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                           int32_t kernel, int32_t stride, int32_t pad, int32_t groups, int32_t* out) {
  char conv[RC_MAX_NAME], wname[RC_MAX_NAME], bn[RC_MAX_NAME];
  snprintf(conv, sizeof(conv), "%s.conv", name);
  snprintf(wname, sizeof(wname), "%s.conv.weight", name);
  snprintf(bn, sizeof(bn), "%s.bn", name);
  rc_shape ws = {4, {cout, cin / groups, kernel, kernel}};
  /* Uniform with variance 1/fan_in, so a conv keeps its input's scale. */
  float a = sqrtf(3.0f / (float)(cin / groups * kernel * kernel));
  int32_t in[2] = {x, -1};
  RC_CHECK(add_random_const(g, rng, wname, &ws, -a, a, &in[1]));
  rc_attrs at = rc_attrs_default();
  at.kernel[0] = at.kernel[1] = kernel;
  at.stride[0] = at.stride[1] = stride;
  at.pad[0] = at.pad[1] = at.pad[2] = at.pad[3] = pad;
  at.groups = groups;
  int32_t y;
  RC_CHECK(rc_graph_add_node(g, RC_OP_CONV2D, conv, in, 2, &at, conv, &y));
  return rc_block_bn(g, rng, bn, y, cout, out);
}

rc_status rc_block_repvgg(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                          int32_t stride, int32_t groups, int32_t* out) {
  char nm[RC_MAX_NAME];
  int32_t dense, one, sum;
  snprintf(nm, sizeof(nm), "%s.rbr_dense", name);
  RC_CHECK(rc_block_conv_bn(g, rng, nm, x, cin, cout, 3, stride, 1, groups, &dense));
  snprintf(nm, sizeof(nm), "%s.rbr_1x1", name);
  RC_CHECK(rc_block_conv_bn(g, rng, nm, x, cin, cout, 1, stride, 0, groups, &one));
  int32_t pair[2] = {dense, one};
  snprintf(nm, sizeof(nm), "%s.add", name);
  RC_CHECK(rc_graph_add_node(g, RC_OP_ADD, nm, pair, 2, NULL, nm, &sum));
  if (cin == cout && stride == 1) {
    int32_t id;
    snprintf(nm, sizeof(nm), "%s.rbr_identity", name);
    RC_CHECK(rc_block_bn(g, rng, nm, x, cin, &id));
    pair[0] = sum;
    pair[1] = id;
    snprintf(nm, sizeof(nm), "%s.add_identity", name);
    RC_CHECK(rc_graph_add_node(g, RC_OP_ADD, nm, pair, 2, NULL, nm, &sum));
  }
  snprintf(nm, sizeof(nm), "%s.relu", name);
  return rc_graph_add_node(g, RC_OP_RELU, nm, &sum, 1, NULL, nm, out);
}

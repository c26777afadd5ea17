#include "runtime/zoo/blocks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rc_status rc_block_const_uniform(rc_graph* g, rc_rng* rng, const char* name, const rc_shape* s, float lo, float hi,
                                 int32_t* out) {
  /* Added as zeros, then filled in place: no second buffer to copy (the
   * built-in classifiers hold tens of millions of weights). */
  int32_t id;
  RC_CHECK(rc_graph_add_const(g, name, s, NULL, &id));
  float* d = g->tensors[id].data;
  const size_t n = (size_t)rc_shape_numel(s);
  for (size_t i = 0; i < n; i++) d[i] = rc_rng_uniform(rng, lo, hi);
  if (out) *out = id;
  return REPCONV_OK;
}

/* Adds a node with attrs a and a single output named like the node. */
static rc_status add_node(rc_graph* g, rc_op op, const char* name, const int32_t* in, int32_t n_in, const rc_attrs* a,
                          int32_t* out) {
  return rc_graph_add_node(g, op, name, in, n_in, a, name, out);
}

/* "<prefix>.<suffix>" into buf. A name too long for RC_MAX_NAME is cut;
 * the graph then reports the clash of two equal names. */
static const char* join(char* buf, size_t size, const char* prefix, const char* suffix) {
  if (snprintf(buf, size, "%s.%s", prefix, suffix) >= (int)size) buf[size - 1] = '\0';
  return buf;
}

static rc_status add2(rc_graph* g, const char* name, int32_t a, int32_t b, int32_t* out) {
  int32_t pair[2] = {a, b};
  return add_node(g, RC_OP_ADD, name, pair, 2, NULL, out);
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
  for (int i = 0; i < 4; i++)
    RC_CHECK(rc_block_const_uniform(g, rng, join(nm, sizeof(nm), name, suffix[i]), &s, lo[i], hi[i], &in[1 + i]));
  rc_attrs a = rc_attrs_default();
  a.eps = 1e-5f;
  return add_node(g, RC_OP_BATCHNORM, name, in, 5, &a, out);
}

/* A pad node "<name>" of p pixels on every side of x, with per-channel
 * border values (a new constant "<name>_values" holding a copy of them). */
static rc_status add_pad(rc_graph* g, const char* name, int32_t x, int32_t p, const float* values, int32_t c,
                         int32_t* out) {
  char nm[RC_MAX_NAME];
  rc_shape s = {1, {c}};
  int32_t in[2] = {x, -1};
  snprintf(nm, sizeof(nm), "%s_values", name);
  RC_CHECK(rc_graph_add_const(g, nm, &s, values, &in[1]));
  rc_attrs a = rc_attrs_default();
  a.pad[0] = a.pad[1] = a.pad[2] = a.pad[3] = p;
  return add_node(g, RC_OP_PAD, name, in, 2, &a, out);
}

rc_status rc_block_bn_pad(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t c, int32_t pad, int32_t* out) {
  char nm[RC_MAX_NAME];
  int32_t y;
  RC_CHECK(rc_block_bn(g, rng, name, x, c, &y));
  const rc_node* bn = &g->nodes[g->tensors[y].producer];
  const float* gamma = g->tensors[bn->inputs[1]].data;
  const float* beta = g->tensors[bn->inputs[2]].data;
  const float* mean = g->tensors[bn->inputs[3]].data;
  const float* var = g->tensors[bn->inputs[4]].data;
  const double eps = (double)bn->a.eps;
  float* v = malloc((size_t)c * sizeof(float));
  if (!v) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "'%s': out of memory", name);
  /* The BN of a zero input, in the exact arithmetic of the BN kernel
   * (kernels/ref/batchnorm.c): ((0 − μ)·(1/√(var+eps))·γ + β) in double,
   * rounded once to float. BNAndPadLayer pads with this value, so the ring
   * holds the same bits the BN gives an interior zero. */
  for (int32_t i = 0; i < c; i++) {
    const double inv = 1.0 / sqrt((double)var[i] + eps);
    v[i] = (float)((0.0 - (double)mean[i]) * inv * (double)gamma[i] + (double)beta[i]);
  }
  rc_status st = add_pad(g, join(nm, sizeof(nm), name, "pad"), y, pad, v, c, out);
  free(v);
  return st;
}

rc_status rc_block_conv(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                        int32_t kernel, int32_t stride, int32_t pad, int32_t groups, float gain, float bias_range,
                        int32_t* out) {
  char nm[RC_MAX_NAME];
  if (groups < 1 || cin % groups != 0 || cout % groups != 0 || kernel < 1) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "'%s': %d → %d channels, kernel %d, groups %d", name, cin, cout,
                    kernel, groups);
  }
  rc_shape ws = {4, {cout, cin / groups, kernel, kernel}};
  /* Uniform with variance gain²/fan_in, so a conv scales its input by gain. */
  float a = sqrtf(3.0f / (float)(cin / groups * kernel * kernel)) * gain;
  int32_t in[3] = {x, -1, -1};
  RC_CHECK(rc_block_const_uniform(g, rng, join(nm, sizeof(nm), name, "weight"), &ws, -a, a, &in[1]));
  if (bias_range > 0.0f) {
    rc_shape bs = {1, {cout}};
    RC_CHECK(rc_block_const_uniform(g, rng, join(nm, sizeof(nm), name, "bias"), &bs, -bias_range, bias_range, &in[2]));
  }
  rc_attrs at = rc_attrs_default();
  at.kernel[0] = at.kernel[1] = kernel;
  at.stride[0] = at.stride[1] = stride;
  at.pad[0] = at.pad[1] = at.pad[2] = at.pad[3] = pad;
  at.groups = groups;
  return add_node(g, RC_OP_CONV2D, name, in, bias_range > 0.0f ? 3 : 2, &at, out);
}

rc_status rc_block_conv_bn(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                           int32_t kernel, int32_t stride, int32_t pad, int32_t groups, int32_t* out) {
  char nm[RC_MAX_NAME];
  int32_t y;
  RC_CHECK(rc_block_conv(g, rng, join(nm, sizeof(nm), name, "conv"), x, cin, cout, kernel, stride, pad, groups, 1.0f,
                         0.0f, &y));
  return rc_block_bn(g, rng, join(nm, sizeof(nm), name, "bn"), y, cout, out);
}

rc_status rc_block_repvgg(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                          int32_t stride, int32_t groups, int32_t* out) {
  char nm[RC_MAX_NAME];
  int32_t dense, one, sum;
  RC_CHECK(
      rc_block_conv_bn(g, rng, join(nm, sizeof(nm), name, "rbr_dense"), x, cin, cout, 3, stride, 1, groups, &dense));
  RC_CHECK(rc_block_conv_bn(g, rng, join(nm, sizeof(nm), name, "rbr_1x1"), x, cin, cout, 1, stride, 0, groups, &one));
  RC_CHECK(add2(g, join(nm, sizeof(nm), name, "add"), dense, one, &sum));
  if (cin == cout && stride == 1) {
    int32_t id;
    RC_CHECK(rc_block_bn(g, rng, join(nm, sizeof(nm), name, "rbr_identity"), x, cin, &id));
    RC_CHECK(add2(g, join(nm, sizeof(nm), name, "add_identity"), sum, id, &sum));
  }
  return add_node(g, RC_OP_RELU, join(nm, sizeof(nm), name, "relu"), &sum, 1, NULL, out);
}

rc_status rc_block_dbb(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout, int32_t kernel,
                       int32_t stride, int32_t pad, int32_t groups, int32_t* out) {
  char nm[RC_MAX_NAME];
  if (kernel < 1 || kernel % 2 == 0 || pad != kernel / 2 || stride < 1 || groups < 1 || groups >= cout ||
      cin % groups != 0 || cout % groups != 0) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED,
                    "DBB '%s': kernel %d, pad %d, stride %d, groups %d, %d → %d channels (needs an odd kernel, "
                    "pad = kernel/2, groups < out channels: the dense case)",
                    name, kernel, pad, stride, groups, cin, cout);
  }
  int32_t origin, one, avg, kxk, sum;
  /* K×K + BN. */
  RC_CHECK(rc_block_conv_bn(g, rng, join(nm, sizeof(nm), name, "dbb_origin"), x, cin, cout, kernel, stride, pad, groups,
                            &origin));
  /* 1×1 + BN, same stride: sits at the K×K's centre tap. */
  RC_CHECK(rc_block_conv_bn(g, rng, join(nm, sizeof(nm), name, "dbb_1x1"), x, cin, cout, 1, stride, 0, groups, &one));
  /* 1×1 → BN-and-pad → K×K average (pad 0: the padding is the BN's) → BN.
   * An average pool is a conv with 1/K² on the diagonal (transform V). */
  RC_CHECK(rc_block_conv(g, rng, join(nm, sizeof(nm), name, "dbb_avg.conv"), x, cin, cout, 1, 1, 0, groups, 1.0f, 0.0f,
                         &avg));
  RC_CHECK(rc_block_bn_pad(g, rng, join(nm, sizeof(nm), name, "dbb_avg.bn"), avg, cout, pad, &avg));
  rc_attrs pa = rc_attrs_default();
  pa.kernel[0] = pa.kernel[1] = kernel;
  pa.stride[0] = pa.stride[1] = stride;
  pa.count_include_pad = 1;
  RC_CHECK(add_node(g, RC_OP_AVGPOOL, join(nm, sizeof(nm), name, "dbb_avg.avg"), &avg, 1, &pa, &avg));
  RC_CHECK(rc_block_bn(g, rng, join(nm, sizeof(nm), name, "dbb_avg.avgbn"), avg, cout, &avg));
  /* 1×1 (cin → cin internal channels, the non-depthwise default) →
   * BN-and-pad → K×K (stride s, pad 0) → BN (transforms I and III). */
  RC_CHECK(rc_block_conv(g, rng, join(nm, sizeof(nm), name, "dbb_1x1_kxk.idconv1"), x, cin, cin, 1, 1, 0, groups, 1.0f,
                         0.0f, &kxk));
  RC_CHECK(rc_block_bn_pad(g, rng, join(nm, sizeof(nm), name, "dbb_1x1_kxk.bn1"), kxk, cin, pad, &kxk));
  RC_CHECK(rc_block_conv(g, rng, join(nm, sizeof(nm), name, "dbb_1x1_kxk.conv2"), kxk, cin, cout, kernel, stride, 0,
                         groups, 1.0f, 0.0f, &kxk));
  RC_CHECK(rc_block_bn(g, rng, join(nm, sizeof(nm), name, "dbb_1x1_kxk.bn2"), kxk, cout, &kxk));
  /* Transform II: the branches sum. */
  RC_CHECK(add2(g, join(nm, sizeof(nm), name, "add_1x1"), origin, one, &sum));
  RC_CHECK(add2(g, join(nm, sizeof(nm), name, "add_avg"), sum, avg, &sum));
  return add2(g, join(nm, sizeof(nm), name, "add_1x1_kxk"), sum, kxk, out);
}

/* The fixed masks of ECB's edge branches, [kh][kw]. */
static const float k_sobel_x[9] = {1, 0, -1, 2, 0, -2, 1, 0, -1};
static const float k_sobel_y[9] = {1, 2, 1, 0, 0, 0, -1, -2, -1};
static const float k_laplacian[9] = {0, 1, 0, 1, -4, 1, 0, 1, 0};

/* Where an ECB's parameters come from: the generator (rng, the random
 * built-ins; draws in the order they always were) or a weight blob (blob,
 * trained built-ins; tensors named as PyTorch's state_dict keys). */
typedef struct ecb_src {
  rc_rng* rng;
  rc_wblob* blob;
} ecb_src;

/* A stride-1 conv "<name>" with bias: rc_block_conv from the generator, or
 * "<name>.weight" and "<name>.bias" from the blob. */
static rc_status src_conv(rc_graph* g, const ecb_src* src, const char* name, int32_t x, int32_t cin, int32_t cout,
                          int32_t kernel, int32_t pad, float gain, float bias_range, int32_t* out) {
  if (src->rng) return rc_block_conv(g, src->rng, name, x, cin, cout, kernel, 1, pad, 1, gain, bias_range, out);
  char nm[RC_MAX_NAME];
  rc_shape ws = {4, {cout, cin, kernel, kernel}}, bs = {1, {cout}};
  int32_t in[3] = {x, -1, -1};
  RC_CHECK(rc_wblob_const(src->blob, g, join(nm, sizeof(nm), name, "weight"), &ws, &in[1]));
  RC_CHECK(rc_wblob_const(src->blob, g, join(nm, sizeof(nm), name, "bias"), &bs, &in[2]));
  rc_attrs at = rc_attrs_default();
  at.kernel[0] = at.kernel[1] = kernel;
  at.pad[0] = at.pad[1] = at.pad[2] = at.pad[3] = pad;
  return add_node(g, RC_OP_CONV2D, name, in, 3, &at, out);
}

/* The per-channel scales and biases of an edge branch's depthwise 3×3 into
 * scale[cout], b[cout]: from the generator (uniform with variance
 * gain²/Σmask², so the branch has gain gain), or from the blob's
 * "<name>.conv1.scale" [cout, 1, 1, 1] and "<name>.conv1.bias". */
static rc_status edge_params(const ecb_src* src, const char* name, int32_t cout, const float* mask, float gain,
                             float bias_range, float* scale, float* b) {
  if (src->rng) {
    float m2 = 0.0f;
    for (int k = 0; k < 9; k++) m2 += mask[k] * mask[k];
    const float a = sqrtf(3.0f / m2) * gain;
    for (int32_t o = 0; o < cout; o++) scale[o] = rc_rng_uniform(src->rng, -a, a);
    for (int32_t o = 0; o < cout; o++) b[o] = rc_rng_uniform(src->rng, -bias_range, bias_range);
    return REPCONV_OK;
  }
  char nm[RC_MAX_NAME];
  rc_shape ss = {4, {cout, 1, 1, 1}}, bs = {1, {cout}};
  RC_CHECK(rc_wblob_take(src->blob, join(nm, sizeof(nm), name, "conv1.scale"), &ss, scale));
  return rc_wblob_take(src->blob, join(nm, sizeof(nm), name, "conv1.bias"), &bs, b);
}

/* 1×1 (cin → mid, bias b0) → pad 1 with b0 → 3×3 pad 0 (dense, or depthwise
 * with weight scale[o]·mask when mask != NULL; mid == cout then). */
static rc_status ecb_seq(rc_graph* g, const ecb_src* src, const char* name, int32_t x, int32_t cin, int32_t mid,
                         int32_t cout, const float* mask, float gain, float bias_range, int32_t* out) {
  char nm[RC_MAX_NAME];
  int32_t y;
  RC_CHECK(src_conv(g, src, join(nm, sizeof(nm), name, "conv0"), x, cin, mid, 1, 0, 1.0f, bias_range, &y));
  /* Pad with b0: the 1×1 of a zero-padded input gives b0 in the ring. */
  const rc_node* c0 = &g->nodes[g->tensors[y].producer];
  const float* b0 = g->tensors[c0->inputs[2]].data;
  RC_CHECK(add_pad(g, join(nm, sizeof(nm), name, "pad"), y, 1, b0, mid, &y));
  if (!mask) return src_conv(g, src, join(nm, sizeof(nm), name, "conv1"), y, mid, cout, 3, 0, gain, bias_range, out);
  /* Depthwise scale[o]·mask, computed once here (ECB's weight generator;
   * PyTorch's scale * mask is the same one float product per tap). */
  float* w = malloc((size_t)cout * 9 * sizeof(float));
  float* scale = malloc((size_t)cout * sizeof(float));
  float* b = malloc((size_t)cout * sizeof(float));
  rc_status st = REPCONV_OK;
  int32_t in[3] = {y, -1, -1};
  if (!w || !scale || !b) st = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "'%s': out of memory", name);
  if (st == REPCONV_OK) st = edge_params(src, name, cout, mask, gain, bias_range, scale, b);
  if (st == REPCONV_OK) {
    for (int32_t o = 0; o < cout; o++) {
      for (int k = 0; k < 9; k++) w[(size_t)o * 9 + (size_t)k] = scale[o] * mask[k];
    }
    rc_shape ws = {4, {cout, 1, 3, 3}}, bs = {1, {cout}};
    st = rc_graph_add_const(g, join(nm, sizeof(nm), name, "conv1.weight"), &ws, w, &in[1]);
    if (st == REPCONV_OK) st = rc_graph_add_const(g, join(nm, sizeof(nm), name, "conv1.bias"), &bs, b, &in[2]);
  }
  free(w);
  free(scale);
  free(b);
  RC_CHECK(st);
  rc_attrs at = rc_attrs_default();
  at.kernel[0] = at.kernel[1] = 3;
  at.groups = cout;
  return add_node(g, RC_OP_CONV2D, join(nm, sizeof(nm), name, "conv1"), in, 3, &at, out);
}

static rc_status ecb(rc_graph* g, const ecb_src* src, const char* name, int32_t x, int32_t cin, int32_t cout, int prelu,
                     float gain, float bias_range, int32_t* out) {
  char nm[RC_MAX_NAME];
  int32_t b[5], sum;
  RC_CHECK(src_conv(g, src, join(nm, sizeof(nm), name, "conv3x3"), x, cin, cout, 3, 1, gain, bias_range, &b[0]));
  /* depth_multiplier 2: the 1×1 expands to 2·cout before the 3×3. */
  RC_CHECK(ecb_seq(g, src, join(nm, sizeof(nm), name, "conv1x1_3x3"), x, cin, 2 * cout, cout, NULL, gain, bias_range,
                   &b[1]));
  RC_CHECK(ecb_seq(g, src, join(nm, sizeof(nm), name, "conv1x1_sbx"), x, cin, cout, cout, k_sobel_x, gain, bias_range,
                   &b[2]));
  RC_CHECK(ecb_seq(g, src, join(nm, sizeof(nm), name, "conv1x1_sby"), x, cin, cout, cout, k_sobel_y, gain, bias_range,
                   &b[3]));
  RC_CHECK(ecb_seq(g, src, join(nm, sizeof(nm), name, "conv1x1_lpl"), x, cin, cout, cout, k_laplacian, gain, bias_range,
                   &b[4]));
  static const char* const adds[4] = {"add_1x1_3x3", "add_sbx", "add_sby", "add_lpl"};
  sum = b[0];
  for (int i = 0; i < 4; i++) RC_CHECK(add2(g, join(nm, sizeof(nm), name, adds[i]), sum, b[1 + i], &sum));
  if (!prelu) {
    *out = sum;
    return REPCONV_OK;
  }
  /* nn.PReLU(cout): slopes around PyTorch's 0.25 init. */
  int32_t in[2] = {sum, -1};
  rc_shape s = {1, {cout}};
  if (src->rng) {
    RC_CHECK(rc_block_const_uniform(g, src->rng, join(nm, sizeof(nm), name, "act.weight"), &s, 0.1f, 0.4f, &in[1]));
  } else {
    RC_CHECK(rc_wblob_const(src->blob, g, join(nm, sizeof(nm), name, "act.weight"), &s, &in[1]));
  }
  return add_node(g, RC_OP_PRELU, join(nm, sizeof(nm), name, "act"), in, 2, NULL, out);
}

rc_status rc_block_ecb(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout, int prelu,
                       float gain, float bias_range, int32_t* out) {
  if (cin < 1 || cout < 1 || !(bias_range > 0.0f)) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "ECB '%s': %d → %d channels, bias range %g", name, cin, cout,
                    (double)bias_range);
  }
  const ecb_src src = {rng, NULL};
  return ecb(g, &src, name, x, cin, cout, prelu, gain, bias_range, out);
}

rc_status rc_block_ecb_trained(rc_graph* g, rc_wblob* blob, const char* name, int32_t x, int32_t cin, int32_t cout,
                               int prelu, int32_t* out) {
  if (cin < 1 || cout < 1) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "ECB '%s': %d → %d channels", name, cin, cout);
  }
  const ecb_src src = {NULL, blob};
  return ecb(g, &src, name, x, cin, cout, prelu, 0.0f, 0.0f, out);
}

/* Builders for the named train-time blocks, as their papers define them, on
 * the graph IR. Weights come from a deterministic generator (BN statistics
 * are non-trivial so a fold that mishandles them shows), or for trained
 * built-ins (rc_block_ecb_trained) from a weight blob.
 *
 * Every builder appends nodes and constants to g and returns the id of the
 * block's output tensor in *out. Names: "<name>.<part>" after the module
 * names of the official PyTorch code, so a report can point at a branch.
 * Shapes are never fixed here: spatial sizes come from the graph input, so
 * a model runs at any input size. */
#ifndef RC_FOLD_BLOCKS_H
#define RC_FOLD_BLOCKS_H

#include "runtime/graph/graph.h"
#include "runtime/graph/rng.h"
#include "runtime/zoo/wblob.h"

/* A constant of the given shape, uniform in [lo, hi) from rng. */
rc_status rc_block_const_uniform(rc_graph* g, rc_rng* rng, const char* name, const rc_shape* s, float lo, float hi,
                                 int32_t* out);
/* A conv node "<name>" with weight "<name>.weight" [cout, cin/groups, k, k]
 * uniform with variance gain²/fan_in (fan_in = cin/groups·k²), and, when
 * bias_range > 0, a bias "<name>.bias" uniform in ±bias_range. */
rc_status rc_block_conv(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                        int32_t kernel, int32_t stride, int32_t pad, int32_t groups, float gain, float bias_range,
                        int32_t* out);
/* conv (no bias) → BN, PyTorch's conv_bn(). Nodes "<name>.conv", "<name>.bn". */
rc_status rc_block_conv_bn(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                           int32_t kernel, int32_t stride, int32_t pad, int32_t groups, int32_t* out);
/* A BN layer "<name>" on c channels. */
rc_status rc_block_bn(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t c, int32_t* out);
/* DBB's BNAndPadLayer: a BN "<name>" followed by a pad "<name>.pad" of pad
 * pixels on each side whose per-channel value ("<name>.pad_values") is what
 * the BN outputs for a zero input, β − μγ/√(var+eps), computed in float the
 * way the BN kernel computes it, so the padded tensor is exactly the BN of a
 * zero-padded input. */
rc_status rc_block_bn_pad(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t c, int32_t pad, int32_t* out);
/* RepVGG block: 3×3 conv+BN (rbr_dense) + 1×1 conv+BN (rbr_1x1) + BN
 * identity (rbr_identity, when cin == cout and stride 1), summed, ReLU. */
rc_status rc_block_repvgg(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                          int32_t stride, int32_t groups, int32_t* out);
/* Diverse Branch Block (Ding et al. 2021), train-time form, dense case
 * (groups < cout), no activation. Four branches on x, summed:
 *   dbb_origin:  K×K conv (stride s, pad p) + BN;
 *   dbb_1x1:     1×1 conv (stride s) + BN;
 *   dbb_avg:     1×1 conv → BN-and-pad(p) → AvgPool(K, s, pad 0) → BN (avgbn);
 *   dbb_1x1_kxk: 1×1 conv (cin → cin, "idconv1", random here rather than
 *                W+I) → BN-and-pad(p) → K×K conv (stride s, pad 0) → BN.
 * The two inner branches pad the BN output with the BN's own bias instead of
 * zeros: transform III of the paper (1×1 then K×K is one K×K) assumes the
 * K×K sees x⊛W1 + b1 everywhere, border ring included, and zero padding
 * would break the border pixels. With that padding the block is exactly one
 * K×K conv (stride s, pad p). Requires an odd kernel and pad == kernel/2
 * (as the official code asserts). Nodes: 5 convs, 6 BNs, 2 pads, 1 avg
 * pool, 3 adds. */
rc_status rc_block_dbb(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout, int32_t kernel,
                       int32_t stride, int32_t pad, int32_t groups, int32_t* out);
/* Edge-oriented Convolution Block (ECBSR, Zhang et al. 2021), train-time
 * form; every conv has a bias. Five branches on x, summed:
 *   conv3x3:      3×3 conv, pad 1;
 *   conv1x1_3x3:  1×1 conv (cin → 2·cout) → pad 1 with its bias b0 → 3×3
 *                 conv, pad 0;
 *   conv1x1_sbx, conv1x1_sby, conv1x1_lpl: 1×1 conv (cin → cout) → pad 1
 *                 with its bias b0 → depthwise 3×3, pad 0, weight
 *                 scale[o]·mask (Sobel-x, Sobel-y, Laplacian; stored as one
 *                 constant computed here) and a learned bias.
 * Padding with b0 is the paper's exact padding: the 1×1's output on a
 * zero-padded input is b0 in the ring, so the composed 3×3 (pad 1) equals
 * the branch at every pixel. prelu != 0 appends PReLU(cout) ("<name>.act").
 * gain is the standard deviation each branch gives a unit-variance white
 * input (so the five summed give about √5·gain); biases are uniform in
 * ±bias_range. Nodes: 9 convs, 4 pads, 4 adds (+ PReLU). */
rc_status rc_block_ecb(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout, int prelu,
                       float gain, float bias_range, int32_t* out);
/* The same block with trained parameters, taken from blob in PyTorch's
 * state_dict order and names (relative to name): conv3x3.{weight,bias};
 * conv1x1_3x3.conv0.{weight,bias}, .conv1.{weight,bias}; for sbx, sby, lpl:
 * conv1x1_<e>.conv0.{weight,bias}, .conv1.scale [cout, 1, 1, 1],
 * .conv1.bias; act.weight when prelu (tools/train/ecbsr.py's ECB). The
 * graph is the one rc_block_ecb builds, node for node. */
rc_status rc_block_ecb_trained(rc_graph* g, rc_wblob* blob, const char* name, int32_t x, int32_t cin, int32_t cout,
                               int prelu, int32_t* out);

#endif

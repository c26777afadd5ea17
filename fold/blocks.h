/* Builders for the named train-time blocks, as their papers define them, on
 * the graph IR. Weights come from a deterministic generator; BN statistics
 * are non-trivial so a fold that mishandles them shows. */
#ifndef RC_FOLD_BLOCKS_H
#define RC_FOLD_BLOCKS_H

#include "runtime/graph.h"
#include "runtime/rng.h"

/* conv (no bias) → BN, PyTorch's conv_bn(). Nodes "<name>.conv", "<name>.bn". */
rc_status rc_block_conv_bn(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                           int32_t kernel, int32_t stride, int32_t pad, int32_t groups, int32_t* out);
/* A BN layer "<name>" on c channels. */
rc_status rc_block_bn(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t c, int32_t* out);
/* RepVGG block: 3×3 conv+BN (rbr_dense) + 1×1 conv+BN (rbr_1x1) + BN
 * identity (rbr_identity, when cin == cout and stride 1), summed, ReLU. */
rc_status rc_block_repvgg(rc_graph* g, rc_rng* rng, const char* name, int32_t x, int32_t cin, int32_t cout,
                          int32_t stride, int32_t groups, int32_t* out);

#endif

/* How a tensor of the IR is laid out in memory (graph.h): activations
 * channels-last, constants in logical C order. Pure functions of shapes and
 * the graph: no allocation, no state. Shapes must be inferred. */
#ifndef RC_GRAPH_LAYOUT_H
#define RC_GRAPH_LAYOUT_H

#include <stdint.h>

#include "runtime/graph/graph.h"

/* The logical shape padded on the right with 1s to rank 4. */
void rc_shape_dims4(const rc_shape* s, int64_t dims[4]);
/* Storage strides (in elements) of a tensor in its own logical dims:
 * channels-last (dims padded to rank 4, stored NHWC) or C order (0 past its
 * rank). */
void rc_storage_strides(const rc_shape* s, int channels_last, int64_t strides[RC_MAX_DIMS]);
/* Strides of input k of binary node n seen through the output's logical
 * dims (numpy broadcasting: aligned right, stride 0 where the input has size
 * 1 or past the output's rank). */
void rc_broadcast_strides(const rc_graph* g, const rc_node* n, int k, int64_t strides[RC_MAX_DIMS]);

#endif

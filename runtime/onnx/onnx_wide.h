/* Tensors of rank 5 to 8 (onnx_wide.c), as RepMLP's export makes them. */
#ifndef RC_ONNX_WIDE_H
#define RC_ONNX_WIDE_H

#include "runtime/onnx/onnx_value.h"

/* Imports the current node when it makes or reads a rank > 4 tensor
 * (Reshape to rank 5+, RepMLP's partition/merge Transpose, Reshape back,
 * elementwise ops and Shape of such tensors); *handled = 0 for other nodes.
 * Any other reader of a rank > 4 tensor is an error naming the node. */
rc_status ox_wide_node(ox* x, ox_value** in, size_t n_in, int* handled);

#endif

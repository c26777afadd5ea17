/* Pending pads (onnx_ring.c): a Pad (or a Concat that pads) stays pending
 * while ScatterND overwrites its padding ring, then becomes one IR pad. */
#ifndef RC_ONNX_RING_H
#define RC_ONNX_RING_H

#include "runtime/onnx/onnx_value.h"

struct ox_ring;
void ox_ring_free(struct ox_ring* r);
/* The display name of ONNX node i (its name, or "<op>_<index>"). */
const char* ox_node_name_at(const ox* x, size_t i, char* buf, size_t size);
/* The current node's output is pad(xi, pad, chan[c]) (chan NULL: zeros), pending. */
rc_status ox_pad_pending(ox* x, int32_t xi, const int32_t* pad, const double* chan);
/* Makes a pending value an IR tensor (no-op for other kinds); a shape-only
 * value is an error naming the reader. */
rc_status ox_settle(ox* x, ox_value* v);
/* A computed value's shape (OX_TENSOR, OX_PENDING, OX_SHAPE_ONLY), or NULL. */
const rc_shape* ox_computed_shape(ox* x, const ox_value* v);
/* Importers (onnx_ops.h): ScatterND on a computed tensor; Slice of a
 * computed tensor (its shape only). */
rc_status ox_op_scatternd(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_slice_shape_only(ox* x, ox_value** in, size_t n_in);

#endif

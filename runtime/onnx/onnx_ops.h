/* The importers of ONNX ops on computed tensors, by family, and the table
 * that picks one by op_type (onnx_ops.c). Each adds IR nodes for the
 * current node (x->node) and defines its outputs. */
#ifndef RC_ONNX_OPS_H
#define RC_ONNX_OPS_H

#include "runtime/onnx/onnx_value.h"

typedef rc_status (*ox_op_fn)(ox* x, ox_value** in, size_t n_in);

/* The importer of op_type op, or NULL. */
ox_op_fn ox_find_handler(const char* op);

/* onnx_ops_conv.c */
rc_status ox_op_conv(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_batchnorm(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_gemm(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_pad(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_pool(ox* x, ox_value** in, size_t n_in);
/* onnx_ops_elementwise.c */
rc_status ox_op_binary(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_unary(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_prelu(ox* x, ox_value** in, size_t n_in);
/* onnx_ops_shape.c */
rc_status ox_op_concat(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_alias(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_reshape(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_squeeze(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_tile(ox* x, ox_value** in, size_t n_in);
/* onnx_ops_resize.c */
rc_status ox_op_resize(ox* x, ox_value** in, size_t n_in);
rc_status ox_op_reduce_mean(ox* x, ox_value** in, size_t n_in);

#endif

/* Constant evaluation while importing (onnx_const*.c): nodes whose inputs
 * are all constants, for the ops of shape arithmetic and small weight math. */
#ifndef RC_ONNX_CONST_H
#define RC_ONNX_CONST_H

#include "runtime/onnx/onnx_value.h"

/* Evaluates node n, whose inputs are all constants, if the op is one the
 * constant evaluator knows; *handled = 0 otherwise. Outputs are defined in
 * the value table. */
rc_status ox_const_eval(ox* x, const Onnx__NodeProto* n, ox_value** in, size_t n_in, int* handled);

/* Output dims of Slice node n applied to a tensor of rank r and dims in_dims
 * (its starts/ends/axes/steps must be constants). */
rc_status ox_slice_shape(ox* x, const Onnx__NodeProto* n, ox_value** in, size_t n_in, int32_t r, const int64_t* in_dims,
                         int64_t* out_dims);
/* ScatterND: 1 if indices/updates fit data of that shape, else 0 and *st set. */
int ox_scatternd_check(ox* x, int32_t data_ndim, const int64_t* data_dims, const ox_const* idx, const ox_const* upd,
                       rc_status* st);
/* Offset into data (C order) of index tuple t, with its coordinates (0 past
 * the tuple's length) in coords; -1 and *st set when out of range. */
int64_t ox_scatternd_offset(ox* x, int32_t data_ndim, const int64_t* data_dims, const ox_const* idx, int64_t t,
                            int64_t* coords, rc_status* st);

#endif

/* TensorProto decoding (onnx_tensor.c). */
#ifndef RC_ONNX_TENSOR_H
#define RC_ONNX_TENSOR_H

#include "runtime/onnx/onnx_value.h"

/* Decodes a TensorProto (raw or typed fields; external data refused) into
 * *out; what names it in messages. */
rc_status ox_tensor_decode(ox* x, const Onnx__TensorProto* t, const char* what, ox_const* out);
/* Decodes an initializer on first use (OX_INIT -> OX_CONST); other kinds
 * are left alone. */
rc_status ox_materialize(ox* x, ox_value* v);

#endif

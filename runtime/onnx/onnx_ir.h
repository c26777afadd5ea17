/* Building the IR for the ONNX node being imported (onnx_ir.c). Errors name
 * the node. */
#ifndef RC_ONNX_IR_H
#define RC_ONNX_IR_H

#include "runtime/onnx/onnx_value.h"

/* A fresh IR tensor name base + suffix (ONNX value names are taken) into buf. */
const char* ox_unique_name(ox* x, const char* base, const char* suffix, char* buf, size_t size);
/* The IR tensor of computed value v (role names it in messages). */
rc_status ox_tensor_of(ox* x, const ox_value* v, const char* role, int32_t* id);
const rc_shape* ox_shape_of(ox* x, int32_t id);
/* A float32 IR constant with constant v's data, added once per graph
 * (cached in v by graph generation). */
rc_status ox_ir_const(ox* x, ox_value* v, const char* role, int32_t* id);
/* A float32 IR constant made here (transposed weights, broadcast biases),
 * named after the node and suffix. */
rc_status ox_ir_const_data(ox* x, const char* suffix, const rc_shape* s, const float* data, int32_t* id);
/* Defines name as an alias of IR tensor id. */
rc_status ox_define_tensor(ox* x, const char* name, int32_t id);
/* Adds an IR node for the current ONNX node and infers its shape;
 * out_suffix NULL names the result after the node's first output and
 * defines that value, else the result gets a fresh name from the suffix and
 * is not defined. Defining a value may move x->v: value pointers taken
 * before are stale. */
rc_status ox_add_ir(ox* x, rc_op op, const int32_t* ins, int32_t n, const rc_attrs* a, const char* out_suffix,
                    int32_t* out);
/* v into [lo, hi] as int32, else an error naming what. */
rc_status ox_to_i32(ox* x, const char* what, int64_t v, int32_t lo, int32_t hi, int32_t* out);
/* An ints attribute of exactly `want` entries into out (the defaults in out
 * stay when it is absent). */
rc_status ox_ints_attr(ox* x, const char* name, size_t want, int32_t lo, int32_t hi, int32_t* out);
/* auto_pad SAME_UPPER/SAME_LOWER/VALID into explicit a->pad (t, l, b, r). */
rc_status ox_auto_pad(ox* x, const rc_shape* in, rc_attrs* a);

#endif

/* The constant ops behind ox_const_eval (onnx_const_math.c: arithmetic and
 * broadcasting; onnx_const_layout.c: data movement). Each makes *out (its
 * storage within the constant-bytes limit) or fails naming the node. */
#ifndef RC_ONNX_CONST_OPS_H
#define RC_ONNX_CONST_OPS_H

#include "runtime/onnx/onnx_value.h"

typedef enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_EQ, B_LT, B_GT, B_AND, B_OR, B_MIN, B_MAX, B_MOD } ox_bin_op;
typedef enum { U_NEG, U_SQRT, U_RECIP, U_ABS, U_FLOOR, U_CEIL, U_NOT, U_EXP, U_LOG, U_RELU, U_SIGMOID } ox_un_op;
typedef struct ox_slice_args {
  int64_t starts[OX_MAX_RANK], ends[OX_MAX_RANK], axes[OX_MAX_RANK], steps[OX_MAX_RANK];
  size_t count;
  int has_axes, has_steps;
} ox_slice_args;

/* Rounds a floating result to its dtype (float results are float32 values). */
static inline double ox_round_to(int32_t dtype, double v) { return dtype == OX_FLOAT ? (double)(float)v : v; }

rc_status ox_const_copy(ox* x, const ox_const* src, ox_const* dst);
/* Reads a 1-D int constant as a list (shape, axes, pads, ...). */
rc_status ox_int_list(ox* x, const ox_value* v, const char* what, int64_t* out, size_t cap, size_t* count);
/* axis in [-rank, rank) into [0, rank); 0 when out of range. */
int ox_norm_axis(int64_t axis, int rank, int* out);
/* Numpy broadcasting of up to three shapes; 0 when they do not broadcast. */
int ox_broadcast(const ox_const* const* cs, int count, int32_t* ndim, int64_t* dims);
/* Offset into c of output element k (output shape ndim/dims). */
int64_t ox_bcast_index(const ox_const* c, int32_t ndim, const int64_t* dims, int64_t k);

rc_status ox_eval_binary(ox* x, ox_bin_op op, const ox_const* a, const ox_const* b, ox_const* out);
rc_status ox_eval_unary(ox* x, ox_un_op op, const ox_const* a, ox_const* out);
rc_status ox_eval_cast(ox* x, const ox_const* a, int64_t to, ox_const* out);
/* Multiply-adds are taken from x->macs before computing. */
rc_status ox_eval_matmul(ox* x, const ox_const* a0, const ox_const* b0, ox_const* out);
rc_status ox_eval_einsum(ox* x, const char* eq, ox_value** in, size_t n_in, ox_const* out);

rc_status ox_eval_gather(ox* x, const ox_const* data, const ox_const* idx, int64_t axis_attr, ox_const* out);
rc_status ox_eval_concat(ox* x, ox_value** in, size_t n_in, int64_t axis_attr, ox_const* out);
rc_status ox_eval_reshape(ox* x, const ox_const* a, const int64_t* shape, size_t r, int allowzero, ox_const* out);
rc_status ox_eval_transpose(ox* x, const ox_const* a, const int64_t* perm_attr, size_t np, ox_const* out);
/* Slice node n's starts/ends/axes/steps (inputs, or attributes before opset 10). */
rc_status ox_slice_read(ox* x, const Onnx__NodeProto* n, ox_value** in, size_t n_in, ox_slice_args* sa);
rc_status ox_eval_slice(ox* x, const ox_const* a, const ox_slice_args* sa, ox_const* out);
rc_status ox_eval_scatternd(ox* x, const ox_const* data, const ox_const* idx, const ox_const* upd, ox_const* out);
rc_status ox_eval_expand(ox* x, const ox_const* a, const int64_t* shape, size_t r, ox_const* out);
rc_status ox_eval_tile(ox* x, const ox_const* a, const int64_t* reps, size_t r, ox_const* out);

#endif

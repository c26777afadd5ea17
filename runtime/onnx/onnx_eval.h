/* Constant evaluation of ops only the IR knows (onnx_eval.c): Conv,
 * BatchNormalization, Pad, pools, ... with all inputs constant. */
#ifndef RC_ONNX_EVAL_H
#define RC_ONNX_EVAL_H

#include "runtime/onnx/onnx_ops.h"

/* Imports the current node with its importer fn into a one-node graph whose
 * input is constant in[0], runs that graph on the reference kernels
 * (runtime/eval) and defines the node's output as the resulting constant.
 * Takes the multiply-adds from x->macs; the result counts against the
 * constant-bytes limit. */
rc_status ox_eval_via_ir(ox* x, ox_op_fn fn, ox_value** in, size_t n_in);

#endif

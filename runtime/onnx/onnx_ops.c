/* The ONNX op table: which importer handles each op_type. */
#include <string.h>

#include "runtime/onnx/onnx_ops.h"
#include "runtime/onnx/onnx_ring.h"

typedef struct op_entry {
  const char* name;
  ox_op_fn fn;
} op_entry;

static const op_entry k_ops[] = {
    {"Conv", ox_op_conv},
    {"BatchNormalization", ox_op_batchnorm},
    {"Add", ox_op_binary},
    {"Sub", ox_op_binary},
    {"Mul", ox_op_binary},
    {"Div", ox_op_binary},
    {"Concat", ox_op_concat},
    {"Pad", ox_op_pad},
    {"AveragePool", ox_op_pool},
    {"MaxPool", ox_op_pool},
    {"GlobalAveragePool", ox_op_unary},
    {"Gemm", ox_op_gemm},
    {"MatMul", ox_op_gemm},
    {"Flatten", ox_op_unary},
    {"Reshape", ox_op_reshape},
    {"Squeeze", ox_op_squeeze},
    {"Unsqueeze", ox_op_squeeze},
    {"Relu", ox_op_unary},
    {"PRelu", ox_op_prelu},
    {"LeakyRelu", ox_op_unary},
    {"Clip", ox_op_unary},
    {"Sigmoid", ox_op_unary},
    {"HardSigmoid", ox_op_unary},
    {"DepthToSpace", ox_op_unary},
    {"Identity", ox_op_alias},
    {"Dropout", ox_op_alias},
    {"Resize", ox_op_resize},
    {"Upsample", ox_op_resize},
    {"ReduceMean", ox_op_reduce_mean},
    {"Tile", ox_op_tile},
    {"Expand", ox_op_tile},
    {"ScatterND", ox_op_scatternd},
    {"Slice", ox_op_slice_shape_only},
};

ox_op_fn ox_find_handler(const char* op) {
  for (size_t i = 0; i < sizeof(k_ops) / sizeof(k_ops[0]); i++) {
    if (strcmp(k_ops[i].name, op) == 0) return k_ops[i].fn;
  }
  return NULL;
}

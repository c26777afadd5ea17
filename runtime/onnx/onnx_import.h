/* ONNX import: a PyTorch export (opset 7–18, float32 compute) into the graph
 * IR. Constant subgraphs are evaluated while importing, so the graph holds
 * only real compute. */
#ifndef RC_ONNX_IMPORT_H
#define RC_ONNX_IMPORT_H

#include <stddef.h>

#include "runtime/graph/graph.h"

/* A static shape for a graph input whose dims are symbolic (or to replace
 * the stored ones). name NULL: the first graph input. */
typedef struct rc_input_shape {
  const char* name;
  rc_shape shape;
} rc_input_shape;

/* what names the model in messages (the file name). The graph g must be
 * freshly initialized; on failure it may hold a partial graph (free it). */
rc_status rc_onnx_load_memory(const void* data, size_t size, const char* what, const rc_input_shape* shapes,
                              size_t n_shapes, rc_graph* g);
rc_status rc_onnx_load_file(const char* path, const rc_input_shape* shapes, size_t n_shapes, rc_graph* g);

#endif

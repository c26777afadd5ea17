/* The graph IR: tensors (graph inputs, constants, computed values) and nodes.
 *
 * Logical shapes are NCHW for rank-4 tensors. Constants hold their data in
 * logical C order (conv weights OIHW, gemm weights [out, in]). Activations
 * (inputs and computed values) are stored channels-last: a logical shape is
 * padded on the right with 1s to rank 4 and stored NHWC, so [N, C, H, W] is
 * [N][H][W][C], [N, F] is [N][F] and [N, C, L] is [N][L][C].
 *
 * Loaders and the builder only append to a graph; fold rewrites it; the
 * planner reads it. Node inputs always refer to tensors by index. */
#ifndef RC_GRAPH_H
#define RC_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/limit.h"
#include "runtime/graph/status.h"

#define RC_MAX_DIMS REPCONV_MAX_DIMS
/* Bounds that every loader and the builder enforce, so that kernels may use
 * int32 indices per dimension and int64 for element counts. */
#define RC_MAX_DIM_VALUE ((int64_t)1 << 24)
#define RC_MAX_ELEMENTS ((int64_t)1 << 34)
#define RC_MAX_NAME 256

typedef enum rc_op {
  RC_OP_CONV2D = 0, /* in: x, weight [O, I/g, kh, kw], bias [O] or -1 */
  RC_OP_BATCHNORM,  /* in: x, gamma, beta, mean, var (all [C]); attr eps */
  RC_OP_ADD,        /* in: a, b (numpy broadcasting) */
  RC_OP_SUB,
  RC_OP_MUL,
  RC_OP_DIV,
  RC_OP_CONCAT,         /* in: x0..xn, along channels (axis 1) */
  RC_OP_PAD,            /* in: x, values [C] or -1 (zeros); attr pad[4] */
  RC_OP_AVGPOOL,        /* in: x; kernel, stride, pad, ceil_mode, count_include_pad */
  RC_OP_MAXPOOL,        /* in: x; kernel, stride, pad, ceil_mode */
  RC_OP_GLOBAL_AVGPOOL, /* in: x; out [N, C, 1, 1] */
  RC_OP_GEMM,           /* in: x [N, K], weight [O, K], bias [O] or -1; alpha, beta */
  RC_OP_FLATTEN,        /* in: x; axis */
  RC_OP_RESHAPE,        /* in: x; reshape_ndim, reshape[] (0 copies, -1 inferred) */
  RC_OP_RELU,
  RC_OP_PRELU,      /* in: x, slope [C] or [1] */
  RC_OP_LEAKY_RELU, /* alpha */
  RC_OP_CLIP,       /* min, max */
  RC_OP_SIGMOID,
  RC_OP_DEPTH_TO_SPACE,   /* block, mode (0 CRD, 1 DCR) */
  RC_OP_UPSAMPLE_NEAREST, /* scale[2] (integer factors) */
  RC_OP_IDENTITY,
  /* RepMLP's partition x.reshape(N, C, gh, H/gh, gw, W/gw).permute(0, 2, 4, 1, 3, 5)
   * and its inverse, as rank-4 ops. scale[2] = the patch grid (gh, gw):
   * partition [N, C, H, W] → [N·gh·gw, C, H/gh, W/gw], batch item (n, i, j)
   * holding patch (i, j) of item n; merge [N·gh·gw, C, h, w] → [N, C, gh·h, gw·w]. */
  RC_OP_PATCH_PARTITION,
  RC_OP_PATCH_MERGE,
  /* ONNX Resize, linear or cubic, on H and W; in: x [N, C, H, W]. Its
   * attributes live in rc_attrs fields other ops use (so the .rcm node
   * record is unchanged):
   *   mode    interpolation, a repconv_resize_mode (REPCONV_RESIZE_LINEAR/CUBIC)
   *   axis    coordinate transformation, a repconv_resize_coord
   *   kernel  output H, W when the sizes were given (then the coordinate map
   *           uses in/out); 0, 0: output floor(in · scale), map by 1/scale
   *   alpha, beta  the scales along H and W (used when kernel is 0, 0)
   *   eps     cubic coefficient a (−0.75 PyTorch and ONNX's default, −0.5 TensorFlow)
   *   count_include_pad  exclude_outside (cubic: taps outside the input
   *           weigh 0 and the others are renormalised) */
  RC_OP_RESIZE,
  RC_OP_HARD_SIGMOID, /* max(0, min(1, alpha·x + beta)) (ONNX HardSigmoid; PyTorch's: alpha 1/6, beta 0.5) */
  RC_OP_COUNT
} rc_op;

const char* rc_op_name(rc_op op);

typedef enum rc_tensor_kind {
  RC_TENSOR_VALUE = 0, /* computed by a node */
  RC_TENSOR_INPUT = 1, /* a graph input */
  RC_TENSOR_CONST = 2  /* constant data */
} rc_tensor_kind;

typedef struct rc_shape {
  int32_t ndim;
  int64_t d[RC_MAX_DIMS];
} rc_shape;

int64_t rc_shape_numel(const rc_shape* s);
int rc_shape_equal(const rc_shape* a, const rc_shape* b);
/* The one shape-to-text helper. RC_SHAPE_X: "1x3x224x224", "scalar" for
 * rank 0 (messages, the CLI); RC_SHAPE_TUPLE: numpy's "(1, 3, 224, 224)",
 * "(5,)", "()" (.npy messages). ndim dims of dims (any count: a file's
 * header may hold more than RC_MAX_DIMS) into buf, cut at size; returns buf. */
typedef enum rc_shape_style { RC_SHAPE_X = 0, RC_SHAPE_TUPLE = 1 } rc_shape_style;
const char* rc_dims_str(int32_t ndim, const int64_t* dims, rc_shape_style style, char* buf, size_t size);
/* rc_dims_str of s in RC_SHAPE_X. */
const char* rc_shape_str(const rc_shape* s, char* buf, size_t size);

typedef struct rc_tensor {
  char* name;
  rc_tensor_kind kind;
  rc_shape shape;     /* values: filled by rc_graph_infer_shapes */
  float* data;        /* constants only, logical C order */
  int32_t producer;   /* node index, or -1 */
  uint8_t data_owned; /* 0 when data points into the graph's blob */
  uint8_t is_output;  /* listed in g->outputs (rc_graph_add_output) */
  /* Graph inputs: bit k set when dim k is symbolic (ONNX dim_param, or a
   * built-in marked so): any size at run time, and shape.d[k] is only the
   * placeholder the graph was built and folded with. */
  uint8_t dyn;
} rc_tensor;

typedef struct rc_attrs {
  int32_t kernel[2]; /* h, w */
  int32_t stride[2];
  int32_t dilation[2];
  int32_t pad[4]; /* top, left, bottom, right */
  int32_t groups;
  int32_t ceil_mode;
  int32_t count_include_pad;
  int32_t axis;
  int32_t block;
  int32_t mode;
  int32_t scale[2];
  float alpha, beta, eps, min, max;
  int32_t reshape_ndim;
  int64_t reshape[RC_MAX_DIMS];
} rc_attrs;

/* Attributes with the neutral defaults (stride/dilation/groups/scale 1, alpha/beta 1). */
rc_attrs rc_attrs_default(void);

typedef struct rc_node {
  rc_op op;
  char* name;
  int32_t* inputs; /* tensor ids; -1 marks an absent optional input */
  int32_t n_inputs;
  int32_t output; /* tensor id */
  rc_attrs a;
} rc_node;

typedef struct rc_graph {
  rc_tensor* tensors;
  int32_t n_tensors, cap_tensors;
  rc_node* nodes;
  int32_t n_nodes, cap_nodes;
  int32_t* inputs; /* tensor ids of graph inputs, in order */
  int32_t n_inputs;
  int32_t* outputs; /* tensor ids of graph outputs, in order */
  int32_t n_outputs;
  /* Backing storage of constants that do not own their data (an .rcm image,
   * malloc'd or mapped); released with the graph. */
  void* blob;
  size_t blob_size;
  int blob_mapped; /* 1: munmap(blob, blob_size); 0: free(blob) */
  /* What adding to the graph may take: nodes (REPCONV_LIMIT_NODES) and
   * constant bytes (REPCONV_LIMIT_CONSTANT_BYTES), checked by the add
   * functions before they allocate. All zero (no limit) after
   * rc_graph_init; loaders set them from the options first. */
  rc_limits limits;
  uint64_t const_bytes; /* data bytes of the graph's constants */
  /* Tensor names hashed (open addressing, linear probing): slot → tensor id
   * or -1, name_cap slots (a power of two, at least twice n_tensors), kept
   * by every call that adds or drops tensors, so lookups are O(1). */
  int32_t* name_slots;
  size_t name_cap;
  /* "" unless a loader computed a constant from the shape of a tensor that
   * depends on the input size (an ONNX Shape/Size op): then what it read,
   * and the graph is right only at the load-time input shapes. */
  char size_fixed[RC_MAX_NAME + 128];
  /* 1: a view (rc_graph_view): tensors and nodes are copies of another
   * graph's structs, everything they point to belongs to that graph. */
  int view;
} rc_graph;

void rc_graph_init(rc_graph* g);
void rc_graph_free(rc_graph* g);

/* A view of g for another input size: own copies of the tensor and node
 * structs (shapes and attributes may then change), sharing names, node
 * inputs, constant data and the name index with g, which must outlive it.
 * Nothing may be added to a view; rc_graph_free frees only its copies. */
rc_status rc_graph_view(const rc_graph* g, rc_graph* view);
/* Marks dims of a graph input as symbolic (rc_tensor.dyn): builders of
 * models that run at any height and width. */
rc_status rc_graph_set_input_dyn(rc_graph* g, int32_t input, uint8_t dims_mask);

/* Index of the tensor with that name, or -1. */
int32_t rc_graph_find_tensor(const rc_graph* g, const char* name);

/* Adds a graph input with a static shape. */
rc_status rc_graph_add_input(rc_graph* g, const char* name, const rc_shape* shape, int32_t* out);
/* Adds a constant; data is copied (data may be NULL for zeros). */
rc_status rc_graph_add_const(rc_graph* g, const char* name, const rc_shape* shape, const float* data, int32_t* out);
/* Adds a constant whose data points into g->blob (not copied, not freed). */
rc_status rc_graph_add_const_borrowed(rc_graph* g, const char* name, const rc_shape* shape, float* data, int32_t* out);
/* 1 if input k of op may be absent (-1): a conv's or gemm's bias, a pad's
 * values. Every other input of every op is required. */
int rc_op_input_optional(rc_op op, int32_t k);

/* Adds a node and a new value tensor named output_name for its result. The
 * inputs must be existing tensor ids (or -1 for an absent optional input). */
rc_status rc_graph_add_node(rc_graph* g, rc_op op, const char* node_name, const int32_t* inputs, int32_t n_inputs,
                            const rc_attrs* attrs, const char* output_name, int32_t* out);
/* For loaders that declare tensors first: adds a value tensor without a
 * producer, and a node writing an existing producer-less value tensor. Node
 * order need not be topological; the planner sorts. */
rc_status rc_graph_add_value(rc_graph* g, const char* name, int32_t* out);
rc_status rc_graph_add_node_to(rc_graph* g, rc_op op, const char* node_name, const int32_t* inputs, int32_t n_inputs,
                               const rc_attrs* attrs, int32_t output);
rc_status rc_graph_add_output(rc_graph* g, int32_t tensor);

/* FORMAT naming the tensor and element if a constant holds NaN: it would
 * poison every output it feeds (infinities are legitimate: max-pool pads). */
rc_status rc_graph_check_constants(const rc_graph* g);
/* Execution order (Kahn's algorithm, stable: of the ready nodes the lowest
 * index goes first, so a node list already in topological order is kept)
 * into order[n_nodes], in O((nodes + edges) log nodes). Fails on a cycle or
 * on a value tensor nobody produces. */
rc_status rc_graph_topo_order(const rc_graph* g, int32_t* order);

/* Checks references and fills the shape of every value tensor, in
 * topological order. Errors name the node, its op and the shapes involved.
 * Also refuses graph input shapes whose element count is out of range (the
 * options may have replaced them) and graph outputs no node computes. */
rc_status rc_graph_infer_shapes(rc_graph* g);
/* Infers one node whose inputs already have shapes (the builder checks each
 * node as it is added). */
rc_status rc_graph_infer_node(rc_graph* g, int32_t node);
/* Drops tensors and nodes added after the counts given (undo of a failed
 * builder call); graph inputs/outputs must not refer to dropped tensors. */
void rc_graph_truncate(rc_graph* g, int32_t n_tensors, int32_t n_nodes);

/* Parameters (constant elements read) and FLOPs of one node; shapes must be inferred. */
int64_t rc_node_params(const rc_graph* g, const rc_node* n);
int64_t rc_node_flops(const rc_graph* g, const rc_node* n);

#endif

/* The ONNX importer's shared state (onnx_value.c): the value table (every
 * ONNX value name is a constant, an initializer not yet decoded, or a
 * computed tensor), constants, node attributes and messages. Every other
 * importer file builds on this one. */
#ifndef RC_ONNX_VALUE_H
#define RC_ONNX_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <onnx/onnx.pb-c.h>

#include "runtime/graph/graph.h"
#include "runtime/onnx/onnx_import.h"

#define OX_MAX_RANK 8
/* Constants made while importing (ConstantOfShape, Expand, ...) are bounded
 * so a hostile file cannot ask for terabytes. */
#define OX_MAX_CONST_ELEMENTS ((int64_t)1 << 28)

/* ONNX TensorProto.DataType codes. */
enum {
  OX_FLOAT = 1,
  OX_UINT8 = 2,
  OX_INT8 = 3,
  OX_UINT16 = 4,
  OX_INT16 = 5,
  OX_INT32 = 6,
  OX_INT64 = 7,
  OX_STRING = 8,
  OX_BOOL = 9,
  OX_FLOAT16 = 10,
  OX_DOUBLE = 11,
  OX_UINT32 = 12,
  OX_UINT64 = 13
};

/* A constant: floating types held as double (exact for float and double),
 * integer and bool types as int64. dtype keeps the ONNX type. */
typedef struct ox_const {
  int32_t dtype;
  int32_t ndim;
  int64_t dims[OX_MAX_RANK];
  int64_t numel;
  double* d;      /* floating dtypes */
  int64_t* i;     /* integer and bool dtypes */
  uint64_t* live; /* the importer's count of constant bytes held, which ox_const_free lowers */
} ox_const;

int ox_dtype_is_float(int32_t dtype);
int ox_dtype_is_int(int32_t dtype);
const char* ox_dtype_name(int32_t dtype);
struct ox;
/* Allocates storage for a constant of that dtype and shape (numel checked),
 * within the limit on constant bytes (REPCONV_LIMIT_CONSTANT_BYTES: these
 * and the IR graph's constants together). */
rc_status ox_const_alloc(struct ox* x, ox_const* c, int32_t dtype, int32_t ndim, const int64_t* dims);
void ox_const_free(ox_const* c);
/* Element k as double / int64 whatever the storage. */
double ox_const_get_d(const ox_const* c, int64_t k);
int64_t ox_const_get_i(const ox_const* c, int64_t k);

/* What an ONNX value is:
 * OX_INIT: an initializer, decoded on first use (ox_materialize).
 * OX_CONST: a constant (c).
 * OX_TENSOR: IR tensor `tensor` of graph ir_graph.
 * OX_PENDING: a constant pad of an IR tensor whose padding ring may since
 *   have been overwritten by ScatterND (onnx_ring.c); it becomes an IR pad
 *   node (OX_TENSOR) when something other than ScatterND, Shape or Slice
 *   reads it.
 * OX_SHAPE_ONLY: a Slice of a computed tensor; only its shape may be read.
 * OX_WIDE: a computed tensor of rank 5 to 8 (onnx_wide.c); IR tensor
 *   `tensor` holds its elements in C order, wide_dims its ONNX shape. */
typedef enum ox_kind { OX_UNDEF = 0, OX_INIT, OX_CONST, OX_TENSOR, OX_PENDING, OX_SHAPE_ONLY, OX_WIDE } ox_kind;

struct ox_ring; /* onnx_ring.h */

typedef struct ox_value {
  const char* name; /* owned by the protobuf message */
  ox_kind kind;
  const Onnx__TensorProto* init; /* OX_INIT: decoded on first use */
  ox_const c;                    /* OX_CONST */
  int32_t tensor;                /* OX_TENSOR: IR tensor; OX_CONST: IR copy in ir_graph, or -1 */
  const rc_graph* ir_graph;      /* the graph `tensor` belongs to */
  uint64_t ir_gen;               /* that graph's generation (ox.gen when `tensor` was set): a
                                      graph's address can be reused (onnx_eval.c's graphs live on
                                      the stack), its generation never is */
  rc_shape shape;                /* OX_PENDING, OX_SHAPE_ONLY */
  size_t producer;               /* OX_PENDING, OX_SHAPE_ONLY: index of the ONNX node that made it */
  struct ox_ring* ring;          /* OX_PENDING (kept once it is an OX_TENSOR); owned */
  int32_t wide_ndim;             /* OX_WIDE */
  int64_t wide_dims[OX_MAX_RANK];
  int32_t split_tensor; /* OX_WIDE: its elements as [split_batch, .., h, w], made once, or -1 */
  int64_t split_batch;
} ox_value;

typedef struct ox {
  const char* what; /* file name for messages */
  rc_graph* g;
  uint64_t gen;      /* generation of g: 1 for the graph being built, then one
                        more for each one-node graph of onnx_eval.c */
  uint64_t last_gen; /* the highest generation handed out */
  int64_t opset;
  ox_value* v;
  size_t nv, cap;
  int32_t* slots; /* open-addressing hash: value index + 1, 0 empty */
  size_t nslots;
  const Onnx__GraphProto* gp; /* the graph being imported */
  const rc_input_shape* shapes;
  size_t n_shapes;
  const Onnx__NodeProto* node; /* the node being imported, for messages */
  char node_name[RC_MAX_NAME];
  size_t node_index;
  const rc_limits* limits; /* the options' (those of the graph being built) */
  uint64_t const_live;     /* bytes of the ox_consts alive */
  rc_budget macs;          /* multiply-adds of constant evaluation (REPCONV_LIMIT_LOAD_MACS) */
} ox;

/* "file: node 'name' (Op): message" */
rc_status ox_node_error(ox* x, rc_status code, const char* fmt, ...) RC_PRINTF(3, 4);

/* Value table. Defining a value may move x->v: value pointers taken before
 * are stale. */
ox_value* ox_find(ox* x, const char* name);
rc_status ox_define(ox* x, const char* name, ox_value** out);

/* Attributes of the current node. */
const Onnx__AttributeProto* ox_attr(const Onnx__NodeProto* n, const char* name);
int64_t ox_attr_int(const Onnx__NodeProto* n, const char* name, int64_t def);
float ox_attr_float(const Onnx__NodeProto* n, const char* name, float def);
/* The string attribute into buf (def when absent). */
const char* ox_attr_string(const Onnx__NodeProto* n, const char* name, const char* def, char* buf, size_t size);
/* ints attribute: count in *n (0 when absent). */
const int64_t* ox_attr_ints(const Onnx__NodeProto* n, const char* name, size_t* count);

#endif

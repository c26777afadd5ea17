/* Shared by the ONNX importer's files: the value table (every ONNX value
 * name is a constant, an initializer not yet decoded, or an IR tensor) and
 * the constant evaluator. */
#ifndef RC_ONNX_INTERNAL_H
#define RC_ONNX_INTERNAL_H

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

/* OX_PENDING: a computed tensor that is a constant pad of an IR tensor whose
 * padding ring may since have been overwritten by ScatterND; it becomes an IR
 * pad node (OX_TENSOR) when something other than ScatterND, Shape or Slice
 * reads it (see "pad + ScatterND" in onnx_import.c).
 * OX_SHAPE_ONLY: a Slice of a computed tensor; only its shape may be read
 * (PyTorch slices the padded tensor just to take the Shape of the slab). */
/* OX_WIDE: a computed tensor of rank 5 to 8 (RepMLP's partition and merge
 * go through rank 6); IR tensor `tensor` holds its elements in C order, and
 * wide_dims its ONNX shape (see onnx_patch.c). */
typedef enum ox_kind { OX_UNDEF = 0, OX_INIT, OX_CONST, OX_TENSOR, OX_PENDING, OX_SHAPE_ONLY, OX_WIDE } ox_kind;

struct ox_ring; /* onnx_import.c */

typedef struct ox_value {
  const char* name; /* owned by the protobuf message */
  ox_kind kind;
  const Onnx__TensorProto* init; /* OX_INIT: decoded on first use */
  ox_const c;                    /* OX_CONST */
  int32_t tensor;                /* OX_TENSOR: IR tensor; OX_CONST: IR copy in ir_graph, or -1 */
  const rc_graph* ir_graph;      /* the graph `tensor` belongs to */
  uint64_t ir_gen;               /* that graph's generation (ox.gen when `tensor` was set): a
                                      graph's address can be reused (eval_via_ir's graphs live on
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
                                      more for each one-node graph of eval_via_ir */
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

/* Value table. */
ox_value* ox_find(ox* x, const char* name);
rc_status ox_define(ox* x, const char* name, ox_value** out);
/* Decodes an initializer on first use (OX_INIT → OX_CONST). */
rc_status ox_materialize(ox* x, ox_value* v);

/* Attributes of the current node. */
const Onnx__AttributeProto* ox_attr(const Onnx__NodeProto* n, const char* name);
int64_t ox_attr_int(const Onnx__NodeProto* n, const char* name, int64_t def);
float ox_attr_float(const Onnx__NodeProto* n, const char* name, float def);
/* The string attribute into buf (def when absent). */
const char* ox_attr_string(const Onnx__NodeProto* n, const char* name, const char* def, char* buf, size_t size);
/* ints attribute: count in *n (0 when absent). */
const int64_t* ox_attr_ints(const Onnx__NodeProto* n, const char* name, size_t* count);

/* Decodes a TensorProto (raw or typed fields; external data refused). */
rc_status ox_tensor_decode(ox* x, const Onnx__TensorProto* t, const char* what, ox_const* out);

/* Evaluates a node whose inputs are all constants, if the op is one the
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

/* onnx_import.c: adds an IR node for the current ONNX node and infers its
 * shape; out_suffix NULL names the result after the node's first output and
 * defines that value, else the result gets a fresh name from the suffix and
 * is not defined. Defining a value may move x->v: value pointers taken
 * before are stale. */
rc_status ox_add_ir(ox* x, rc_op op, const int32_t* ins, int32_t n, const rc_attrs* a, const char* out_suffix,
                    int32_t* out);
/* Defines name as an alias of IR tensor id. */
rc_status ox_define_tensor(ox* x, const char* name, int32_t id);

/* onnx_patch.c: the current node when it makes or reads a rank > 4 tensor
 * (Reshape to rank 5+, RepMLP's partition/merge Transpose, Reshape back,
 * elementwise ops and Shape of such tensors); *handled = 0 for other nodes.
 * Any other reader of a rank > 4 tensor is an error naming the node. */
rc_status ox_wide_node(ox* x, ox_value** in, size_t n_in, int* handled);

#endif

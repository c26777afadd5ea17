/* ONNX import: decodes a ModelProto with protobuf-c, walks the nodes in file
 * order (ONNX requires topological order) and turns each into IR nodes, or
 * into a constant when all its inputs are constants. Each IR node's shape is
 * inferred as it is added, so Shape ops downstream see static shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/io/file.h"
#include "runtime/onnx/onnx_const.h"
#include "runtime/onnx/onnx_eval.h"
#include "runtime/onnx/onnx_import.h"
#include "runtime/onnx/onnx_ir.h"
#include "runtime/onnx/onnx_ops.h"
#include "runtime/onnx/onnx_ring.h"
#include "runtime/onnx/onnx_tensor.h"
#include "runtime/onnx/onnx_wide.h"
#include "runtime/onnx/onnx_wire.h"

#define OX_MIN_OPSET 7
#define OX_MAX_OPSET 18

/* Placeholder sizes of symbolic input dims (ONNX dim_param): the graph is
 * built and folded at A; B is the other size that tells which shapes depend
 * on the input size. Batch (dim 0) 1 and 2, other dims 64 and 128 (multiples
 * of the 32 a five-stage downsampling network needs). */
#define OX_DYN_A(k) ((k) == 0 ? 1 : 64)
#define OX_DYN_B(k) ((k) == 0 ? 2 : 128)

static int any_dynamic_input(const rc_graph* g) {
  for (int32_t i = 0; i < g->n_inputs; i++) {
    if (g->tensors[g->inputs[i]].dyn) return 1;
  }
  return 0;
}

/* 1 when the shape of value v (read by a Shape op) changes with the input
 * size: the IR built so far re-inferred at another size (B for symbolic
 * dims; for a static model, batch, height and width doubled) gives it
 * another shape. Values that are no IR tensor yet (pending pads, slices,
 * rank > 4) count as dependent: a refusal, never a wrong constant. */
static int shape_depends_on_size(ox* x, const ox_value* v) {
  if (v->kind != OX_TENSOR || v->ir_graph != x->g) return 1;
  const int dynamic = any_dynamic_input(x->g);
  rc_graph view;
  if (rc_graph_view(x->g, &view) != REPCONV_OK) return 1;
  for (int32_t i = 0; i < view.n_inputs; i++) {
    rc_tensor* t = &view.tensors[view.inputs[i]];
    uint8_t mask = dynamic ? t->dyn : (uint8_t)(t->shape.ndim == 4 ? 0xd : 0x1);
    for (int k = 0; k < t->shape.ndim; k++) {
      if (mask >> k & 1) t->shape.d[k] = dynamic ? OX_DYN_B(k) : 2 * t->shape.d[k];
    }
  }
  int32_t* order = malloc(((size_t)view.n_nodes + 1) * sizeof(int32_t));
  int dep = !order || rc_graph_topo_order(&view, order) != REPCONV_OK;
  for (int32_t i = 0; !dep && i < view.n_nodes; i++) dep = rc_graph_infer_node(&view, order[i]) != REPCONV_OK;
  if (!dep) dep = !rc_shape_equal(&view.tensors[v->tensor].shape, &x->g->tensors[v->tensor].shape);
  free(order);
  rc_graph_free(&view);
  return dep;
}

/* A Shape op reads the shape of a computed tensor, which the importer turns
 * into a constant. If that shape depends on the input size, a symbolic input
 * cannot be imported (the constant would hold the placeholder), and a static
 * model is right only at its load-time shape (sessions refuse other sizes). */
static rc_status check_shape_read(ox* x, const ox_value* v) {
  if (!shape_depends_on_size(x, v)) return REPCONV_OK;
  if (any_dynamic_input(x->g)) {
    return ox_node_error(x, REPCONV_ERROR_SHAPE,
                         "reads the shape of '%s', which depends on the size of a graph input with symbolic dims "
                         "(repconv computes shapes at load): give that input a static shape "
                         "(repconv_options_set_input_shape)",
                         v->name ? v->name : "?");
  }
  if (!x->g->size_fixed[0]) {
    int w = snprintf(x->g->size_fixed, sizeof(x->g->size_fixed),
                     "node '%.160s' (Shape) read the shape of '%.160s' at load", x->node_name, v->name ? v->name : "?");
    (void)w;
  }
  return REPCONV_OK;
}

static rc_status import_node(ox* x, const Onnx__NodeProto* n, size_t index) {
  x->node = n;
  x->node_index = index;
  const char* op = n->op_type;
  if (n->name && n->name[0]) {
    snprintf(x->node_name, sizeof(x->node_name), "%.*s", RC_MAX_NAME - 1, n->name);
  } else {
    snprintf(x->node_name, sizeof(x->node_name), "%.64s_%zu", op ? op : "node", index);
  }
  if (!op || !op[0]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no op_type");
  if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "op domain '%s' (only the default ONNX domain)", n->domain);
  }
  if (n->n_output < 1 || !n->output[0] || !n->output[0][0]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "no output");
  if (n->n_input > 4096) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%zu inputs", n->n_input);
  ox_value* small[8];
  ox_value** in = n->n_input <= 8 ? small : malloc(n->n_input * sizeof(*in));
  if (!in) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  rc_status s = REPCONV_OK;
  int all_const = 1, any = 0;
  for (size_t k = 0; k < n->n_input && s == REPCONV_OK; k++) {
    in[k] = NULL;
    if (!n->input[k] || !n->input[k][0]) continue; /* an omitted optional input */
    in[k] = ox_find(x, n->input[k]);
    if (!in[k]) {
      s = ox_node_error(x, REPCONV_ERROR_FORMAT,
                        "input '%s' is not defined before this node (nodes must be in topological order)", n->input[k]);
      break;
    }
    any = 1;
    if (ox_computed_shape(x, in[k]) || in[k]->kind == OX_WIDE)
      all_const = 0;
    else
      s = ox_materialize(x, in[k]);
  }
  ox_op_fn fn = ox_find_handler(op);
  int is_shape = strcmp(op, "Shape") == 0 && n->n_input >= 1 && ox_computed_shape(x, in[0]);
  if (s == REPCONV_OK && strcmp(op, "Shape") == 0 && n->n_input >= 1 && in[0] && (is_shape || in[0]->kind == OX_WIDE)) {
    s = check_shape_read(x, in[0]);
  }
  /* Pending pads and shape-only slices become IR tensors, or are refused,
   * unless read by Shape, or as the data of ScatterND or Slice. */
  int keep0 = is_shape || strcmp(op, "ScatterND") == 0 || strcmp(op, "Slice") == 0;
  for (size_t k = 0; k < n->n_input && s == REPCONV_OK && !all_const; k++) {
    if (in[k] && !(k == 0 && keep0)) s = ox_settle(x, in[k]);
  }
  int wide = 0;
  if (s == REPCONV_OK && !all_const) s = ox_wide_node(x, in, n->n_input, &wide);
  if (s == REPCONV_OK && !wide) {
    if (is_shape) {
      /* Shapes are static: Shape of a computed tensor is a constant. */
      const rc_shape* sh = ox_computed_shape(x, in[0]);
      ox_const c;
      int64_t d = sh->ndim;
      s = ox_const_alloc(x, &c, OX_INT64, 1, &d);
      if (s == REPCONV_OK) {
        for (int i = 0; i < sh->ndim; i++) c.i[i] = sh->d[i];
        int64_t start = ox_attr_int(n, "start", 0), end = ox_attr_int(n, "end", sh->ndim);
        if (start != 0 || end != sh->ndim) {
          ox_const_free(&c);
          s = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "Shape with start/end");
        } else {
          ox_value* v;
          s = ox_define(x, n->output[0], &v);
          if (s == REPCONV_OK) {
            v->kind = OX_CONST;
            v->c = c;
          } else {
            ox_const_free(&c);
          }
        }
      }
    } else if (all_const && (any || strcmp(op, "Constant") == 0)) {
      int handled = 0;
      s = ox_const_eval(x, n, in, n->n_input, &handled);
      if (s == REPCONV_OK && !handled) {
        if (fn && in[0])
          s = ox_eval_via_ir(x, fn, in, n->n_input);
        else
          s = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "op '%s' is not supported by repconv", op);
      }
    } else if (fn) {
      if (n->n_input < 1 || !in[0])
        s = ox_node_error(x, REPCONV_ERROR_FORMAT, "no data input");
      else
        s = fn(x, in, n->n_input);
    } else if (all_const) {
      s = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "op '%s' is not supported by repconv", op);
    } else {
      s = ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                        "op '%s' is not supported by repconv (on computed tensors; constants only: Shape, Gather, "
                        "Slice, Cast, ...)",
                        op);
    }
  }
  if (in != small) free(in);
  return s;
}

static const Onnx__NodeProto* first_user(const Onnx__GraphProto* gp, const char* name) {
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto* n = gp->node[i];
    for (size_t k = 0; n && k < n->n_input; k++) {
      if (n->input[k] && strcmp(n->input[k], name) == 0) return n;
    }
  }
  return NULL;
}

static rc_status import_inputs(ox* x, const Onnx__GraphProto* gp) {
  int first = 1;
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto* vi = gp->input[i];
    if (!vi || !vi->name || !vi->name[0])
      return ox_node_error(x, REPCONV_ERROR_FORMAT, "graph input %zu has no name", i);
    ox_value* v = ox_find(x, vi->name);
    if (v) {
      if (v->kind == OX_INIT) continue; /* older exports list initializers as inputs */
      return ox_node_error(x, REPCONV_ERROR_FORMAT, "graph input '%s' is listed twice", vi->name);
    }
    const Onnx__TypeProto* tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "graph input '%s' is not a tensor", vi->name);
    }
    const Onnx__TypeProto__Tensor* tt = tp->tensor_type;
    int32_t et = tt->has_elem_type ? tt->elem_type : 0;
    if (et != OX_FLOAT) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "graph input '%s' has dtype %s (repconv computes float32)",
                           vi->name, ox_dtype_name(et));
    }
    rc_shape s;
    memset(&s, 0, sizeof(s));
    uint8_t dyn = 0;
    const rc_input_shape* over = NULL;
    for (size_t k = 0; k < x->n_shapes; k++) {
      if ((x->shapes[k].name && strcmp(x->shapes[k].name, vi->name) == 0) || (!x->shapes[k].name && first)) {
        over = &x->shapes[k];
      }
    }
    const Onnx__TensorShapeProto* sp = tt->shape;
    if (over) {
      s = over->shape;
      if (sp && sp->n_dim != (size_t)s.ndim) {
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "input '%s' has rank %zu, the given shape has rank %d", vi->name,
                             sp->n_dim, s.ndim);
      }
      for (size_t k = 0; sp && k < sp->n_dim; k++) {
        const Onnx__TensorShapeProto__Dimension* d = sp->dim[k];
        if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value != s.d[k]) {
          return ox_node_error(x, REPCONV_ERROR_SHAPE, "input '%s' dim %zu is %lld in the model, %lld given", vi->name,
                               k, (long long)d->dim_value, (long long)s.d[k]);
        }
      }
    } else {
      if (!sp) {
        return ox_node_error(x, REPCONV_ERROR_SHAPE,
                             "input '%s' has no shape; give one (repconv_options_set_input_shape)", vi->name);
      }
      if (sp->n_dim > RC_MAX_DIMS) {
        const Onnx__NodeProto* user = first_user(gp, vi->name);
        return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                             "input '%s' has rank %zu (at most 4), read by node '%s' (%s)", vi->name, sp->n_dim,
                             user && user->name ? user->name : "?", user && user->op_type ? user->op_type : "?");
      }
      s.ndim = (int32_t)sp->n_dim;
      for (size_t k = 0; k < sp->n_dim; k++) {
        const Onnx__TensorShapeProto__Dimension* d = sp->dim[k];
        if (!d || d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
          /* Symbolic (dim_param) or unset: any size at run time. */
          dyn |= (uint8_t)(1u << k);
          s.d[k] = OX_DYN_A(k);
        } else if (d->dim_value < 1) {
          return ox_node_error(x, REPCONV_ERROR_SHAPE, "input '%s' dim %zu is %lld", vi->name, k,
                               (long long)d->dim_value);
        } else {
          s.d[k] = d->dim_value;
        }
      }
    }
    int32_t id;
    rc_status st = rc_graph_add_input(x->g, vi->name, &s, &id);
    if (st != REPCONV_OK) return rc_error_context(st, "%s", x->what);
    x->g->tensors[id].dyn = dyn;
    RC_CHECK(ox_define_tensor(x, vi->name, id));
    first = 0;
  }
  for (size_t k = 0; k < x->n_shapes; k++) {
    if (x->shapes[k].name && rc_graph_find_tensor(x->g, x->shapes[k].name) < 0) {
      return ox_node_error(x, REPCONV_ERROR_NOT_FOUND, "a shape was given for '%s', which is not a graph input",
                           x->shapes[k].name);
    }
  }
  if (x->g->n_inputs < 1) return ox_node_error(x, REPCONV_ERROR_FORMAT, "the graph has no inputs");
  return REPCONV_OK;
}

static rc_status import_outputs(ox* x, const Onnx__GraphProto* gp) {
  x->node = NULL;
  if (gp->n_output < 1) return ox_node_error(x, REPCONV_ERROR_FORMAT, "the graph has no outputs");
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto* vi = gp->output[i];
    if (!vi || !vi->name || !vi->name[0])
      return ox_node_error(x, REPCONV_ERROR_FORMAT, "graph output %zu has no name", i);
    ox_value* v = ox_find(x, vi->name);
    if (!v) return ox_node_error(x, REPCONV_ERROR_FORMAT, "graph output '%s' is not computed by any node", vi->name);
    RC_CHECK(ox_settle(x, v));
    if (v->kind == OX_WIDE) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "graph output '%s' has rank %d (outputs have rank 1 to 4)",
                           vi->name, v->wide_ndim);
    }
    if (v->kind != OX_TENSOR) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "graph output '%s' is a constant", vi->name);
    }
    int32_t id = v->tensor;
    if (strcmp(x->g->tensors[id].name, vi->name) != 0) {
      /* An alias (Identity of another tensor): give the output its name. */
      int32_t out;
      char nm[RC_MAX_NAME + 16];
      snprintf(nm, sizeof(nm), "%s.identity", vi->name);
      rc_status s = rc_graph_add_node(x->g, RC_OP_IDENTITY, nm, &id, 1, NULL, vi->name, &out);
      if (s == REPCONV_OK) s = rc_graph_infer_node(x->g, x->g->n_nodes - 1);
      if (s != REPCONV_OK) return rc_error_context(s, "%s", x->what);
      id = out;
    }
    rc_status s = rc_graph_add_output(x->g, id);
    if (s != REPCONV_OK) return rc_error_context(s, "%s", x->what);
  }
  return REPCONV_OK;
}

rc_status rc_onnx_load_memory(const void* data, size_t size, const char* what, const rc_input_shape* shapes,
                              size_t n_shapes, rc_graph* g) {
  if (!data && size) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: NULL data", what);
  RC_CHECK(ox_nesting_scan(data, size, what));
  Onnx__ModelProto* m = onnx__model_proto__unpack(NULL, size, data);
  if (!m) {
    return rc_error(REPCONV_ERROR_FORMAT,
                    "%s: not a valid ONNX model (the protobuf does not decode: truncated or "
                    "corrupted, %zu bytes)",
                    what, size);
  }
  ox x;
  memset(&x, 0, sizeof(x));
  x.what = what;
  x.g = g;
  x.gen = x.last_gen = 1;
  x.limits = &g->limits;
  x.macs = (rc_budget){.limits = &g->limits, .which = REPCONV_LIMIT_LOAD_MACS};
  x.shapes = shapes;
  x.n_shapes = n_shapes;
  x.opset = -1;
  rc_status s = REPCONV_OK;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto* o = m->opset_import[i];
    if (o && (!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0) && o->has_version) x.opset = o->version;
  }
  const Onnx__GraphProto* gp = m->graph;
  x.gp = gp;
  if (!gp) {
    s = rc_error(REPCONV_ERROR_FORMAT, "%s: the model has no graph", what);
  } else if (x.opset < OX_MIN_OPSET || x.opset > OX_MAX_OPSET) {
    s = rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: opset %lld (repconv reads opsets %d to %d)", what, (long long)x.opset,
                 OX_MIN_OPSET, OX_MAX_OPSET);
  }
  for (size_t i = 0; s == REPCONV_OK && i < gp->n_initializer; i++) {
    const Onnx__TensorProto* t = gp->initializer[i];
    ox_value* v;
    if (!t || !t->name) {
      s = rc_error(REPCONV_ERROR_FORMAT, "%s: initializer %zu has no name", what, i);
      break;
    }
    s = ox_define(&x, t->name, &v);
    if (s == REPCONV_OK) {
      v->kind = OX_INIT;
      v->init = t;
    }
  }
  if (s == REPCONV_OK && gp->n_sparse_initializer) {
    s = rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: sparse initializers", what);
  }
  if (s == REPCONV_OK) s = import_inputs(&x, gp);
  for (size_t i = 0; s == REPCONV_OK && i < gp->n_node; i++) {
    if (!gp->node[i]) {
      s = rc_error(REPCONV_ERROR_FORMAT, "%s: node %zu is empty", what, i);
      break;
    }
    s = import_node(&x, gp->node[i], i);
  }
  if (s == REPCONV_OK) s = import_outputs(&x, gp);
  for (size_t i = 0; i < x.nv; i++) {
    ox_const_free(&x.v[i].c);
    ox_ring_free(x.v[i].ring);
  }
  free(x.v);
  free(x.slots);
  onnx__model_proto__free_unpacked(m, NULL);
  return s;
}

rc_status rc_onnx_load_file(const char* path, const rc_input_shape* shapes, size_t n_shapes, rc_graph* g) {
  /* Read, not mapped: a file truncated while loading is then an error, not SIGBUS. */
  void* data = NULL;
  size_t size = 0;
  RC_CHECK(rc_file_read_all(path, "an ONNX model", sizeof(void*), &data, &size));
  rc_status s = rc_onnx_load_memory(data, size, path, shapes, n_shapes, g);
  free(data);
  return s;
}

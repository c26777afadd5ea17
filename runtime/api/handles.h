/* The objects behind the public handles. */
#ifndef RC_MODEL_H
#define RC_MODEL_H

#include <stdatomic.h>

#include "fold/fold.h"
#include "runtime/graph/graph.h"
#include "runtime/graph/limit.h"
#include "runtime/plan/plan.h"

#define RC_MAX_INPUT_SHAPES 16

struct repconv_options {
  int threads;
  int fold_level; /* repconv_fold_level */
  int fold_max_kernel;
  repconv_backend backend;
  int winograd;     /* REPCONV_WINOGRAD_* */
  int autotune;     /* time the kernel candidates of each layer at load */
  int chains;       /* 1 (default): Winograd chains; repconv_options_set_chains(0): layer by layer */
  int weights_fp16; /* repconv_options_set_weights_fp16 */
  int pin_threads;  /* 1 (default): workers pinned one per CPU (repconv_options_set_thread_affinity) */
  rc_limits limits;
  /* Static shapes for graph inputs (symbolic ONNX dims, or another size). */
  size_t n_shapes;
  char shape_names[RC_MAX_INPUT_SHAPES][RC_MAX_NAME]; /* "" = the first input */
  rc_shape shapes[RC_MAX_INPUT_SHAPES];
};

/* Immutable after rc_model_finish: sessions only read it. */
struct repconv_model {
  rc_graph g;
  rc_plan plan;   /* made at load when every input dim is static (has_plan) */
  int has_plan;   /* 0: an input has symbolic dims; sessions plan per size */
  int32_t* order; /* !has_plan: the execution order the node queries list */
  /* Folded models: the graph before folding without its constant data,
   * inferred at a new size to check the folded graph's extents (and adjust
   * the bottom/right padding of strided folded convs) before a session runs
   * it there. */
  rc_graph skel;
  uint8_t* dyn_mask; /* !has_plan: per tensor of g, the dims that change with the input size */
  /* Why the model runs only at its load-time input shapes ("" when any size
   * whose shapes infer is fine): a loader baked a shape into a constant, or
   * a fold decision relied on the load-time size. */
  char size_fixed[640];
  int folded;
  rc_fold_report fold;
  rc_limits limits; /* the load options' limits: sessions created without options use them */
  /* References: the caller's handle (dropped by repconv_model_destroy) and
   * one per live session; the last one frees the model. The only field that
   * changes after load, hence atomic. */
  atomic_int refs;
};

/* A reference to a model (a session holds one); the last release frees it. */
void rc_model_retain(const struct repconv_model* model);
void rc_model_release(struct repconv_model* model);

/* Takes ownership of *g (moved into the model, *g is reset): infers shapes,
 * plans. On failure the graph is freed. */
rc_status rc_model_from_graph(rc_graph* g, const struct repconv_options* options, struct repconv_model** out);

/* The model's graph at other input shapes: shapes[i] for graph input i.
 * *view (rc_graph_view of model->g) has every shape inferred; for a folded
 * model the extents are checked against the unfolded graph (and strided
 * folded convs' bottom/right padding adjusted to them). Errors name the
 * node and the shapes (REPCONV_ERROR_SHAPE), or say why the model runs only
 * at its load-time shapes. */
rc_status rc_model_view_at(const struct repconv_model* model, const rc_shape* shapes, rc_graph* view);
/* Matches the caller's tensors to the graph inputs (by name, each once) and
 * writes their shapes to shapes[g->n_inputs]; what names the call. Checks
 * rank, and for symbolic-dim inputs the static dims. */
rc_status rc_model_match_inputs(const struct repconv_model* model, const char* what, const repconv_tensor_t* inputs,
                                size_t num_inputs, rc_shape* shapes);
struct repconv_options rc_options_or_default(const struct repconv_options* options);
/* The graph a builder has built so far (tests and fuzzers read its shapes to
 * size the weights they pass). */
const rc_graph* rc_builder_graph(const struct repconv_builder* b);

#endif

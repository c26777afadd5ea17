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
  int winograd; /* REPCONV_WINOGRAD_* */
  int autotune; /* time the kernel candidates of each layer at load */
  int chains;   /* 1 (default): Winograd chains; repconv_options_set_chains(0): layer by layer */
  rc_limits limits;
  /* Static shapes for graph inputs (symbolic ONNX dims, or another size). */
  size_t n_shapes;
  char shape_names[RC_MAX_INPUT_SHAPES][RC_MAX_NAME]; /* "" = the first input */
  rc_shape shapes[RC_MAX_INPUT_SHAPES];
};

/* Immutable after rc_model_finish: sessions only read it. */
struct repconv_model {
  rc_graph g;
  rc_plan plan;
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

/* Test hook (tests/test_session.c): when set, repconv_session_run calls it
 * with rc_session_run_hook_arg once it holds the session, before computing.
 * Set it only while no run is in progress. */
extern void (*rc_session_run_hook)(void* arg);
extern void* rc_session_run_hook_arg;

/* Takes ownership of *g (moved into the model, *g is reset): infers shapes,
 * plans. On failure the graph is freed. */
rc_status rc_model_from_graph(rc_graph* g, const struct repconv_options* options, struct repconv_model** out);
struct repconv_options rc_options_or_default(const struct repconv_options* options);
/* The graph a builder has built so far (tests and fuzzers read its shapes to
 * size the weights they pass). */
const rc_graph* rc_builder_graph(const struct repconv_builder* b);

#endif

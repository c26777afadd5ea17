/* The fold pass's shared state (fold.h says what the pass does), for its
 * files only: fold.c walks the graph and keeps or records nodes,
 * fold_map.c evaluates spatial affine maps, fold_mat.c matrix maps,
 * fold_emit.c turns a map into nodes of the output graph and the report. */
#ifndef RC_FOLD_FOLD_PASS_H
#define RC_FOLD_FOLD_PASS_H

#include <stddef.h>
#include <stdint.h>

#include "fold/affine.h"
#include "fold/fold.h"
#include "fold/matmap.h"
#include "runtime/graph/graph.h"

/* ST_MAP: a spatial affine map (affine.h); ST_MAT: a dense matrix map of a
 * whole small tensor (matmap.h), once a reshape has left the spatial form. */
typedef enum st_kind { ST_NONE = 0, ST_OPAQUE, ST_MAP, ST_MAT } st_kind;

/* What is known of one tensor of the input graph. */
typedef struct tstate {
  st_kind kind;
  int32_t id;  /* ST_OPAQUE: tensor in the output graph */
  int32_t src; /* ST_MAP/ST_MAT: the opaque input-graph tensor the map reads */
  rc_affine map;
  rc_matmap mat;
  int32_t* nodes; /* input-graph nodes folded into the map */
  int32_t n_nodes;
  int64_t flops, params;
  int exact;
  char note[320];
} tstate;

typedef struct ctx {
  const rc_graph* in;
  rc_graph* out;
  rc_fold_options opt;
  rc_fold_report* rep;
  uint64_t macs; /* multiply-adds spent composing kernels so far */
  tstate* st;
  int32_t* consumers;
  int32_t* const_id; /* input-graph constant → output-graph constant, or -1 */
} ctx;

/* TRY_BOUNDARY: a linear op whose inputs are maps of different tensors (a
 * residual from elsewhere): the region ends there, nothing inexact. */
typedef enum try_result { TRY_OK = 0, TRY_NOT_LINEAR, TRY_CUT, TRY_BOUNDARY } try_result;

/* Records (once) a decision that holds only at the load-time height/width. */
void rc_fold_size_note(ctx* c, const char* node, const char* why);

static inline const rc_shape* rc_fold_shape(const ctx* c, int32_t t) { return &c->in->tensors[t].shape; }

typedef struct in_map {
  int32_t src; /* opaque source */
  const rc_affine* map;
  rc_affine own; /* identity of an opaque tensor */
  tstate* from;  /* the map's state when it is folded in */
} in_map;

/* ------------------------------------------------------------ fold_emit.c */

/* A name not used in either graph, base + suffix (+ _k). */
const char* rc_fold_unique(ctx* c, const char* base, const char* suffix, char* buf, size_t size);
/* The output-graph copy of input-graph constant t (made once). */
rc_status rc_fold_const_of(ctx* c, int32_t t, int32_t* id);
void rc_fold_free_state(tstate* s);
/* A line of the report for the region of state s, now nodes_after nodes
 * computing output (only if it folded something or was cut). */
rc_status rc_fold_add_region(ctx* c, const tstate* s, const char* output, int32_t nodes_after,
                             const rc_affine_conv_desc* d, int64_t flops_after, int64_t params_after);
/* The output-graph tensor computing input-graph tensor t: a map is emitted
 * as nodes first. */
rc_status rc_fold_get_opaque(ctx* c, int32_t t, int32_t* id);

/* ------------------------------------------------------------- fold_map.c */

void rc_fold_release_inputs(in_map* m, int n);
/* BN as a per-channel scale and shift in double; vec holds 2·C. */
void rc_fold_bn_affine(const rc_graph* g, const rc_node* n, int64_t C, double* vec);
/* The map of node n's output from its inputs' maps (use_maps 0: from the
 * inputs computed). TRY_NOT_LINEAR: not a linear map of one tensor; TRY_CUT:
 * it is, but not from these maps (why says so). On TRY_OK *out holds the new
 * map and *src its source; m[] the inputs used. */
try_result rc_fold_try_node(ctx* c, const rc_node* n, int use_maps, in_map* m, int* n_m, rc_affine* out, int32_t* src,
                            char* why, size_t why_size, rc_status* err);

/* ------------------------------------------------------------- fold_mat.c */

/* Linear ops once a reshape has left the spatial form. TRY_OK: the output
 * state is set. */
try_result rc_fold_try_mat(ctx* c, int32_t ni, rc_status* err);

/* ----------------------------------------------------------------- fold.c */

/* Bookkeeping of node ni's new map state from the states it absorbs. */
rc_status rc_fold_record(ctx* c, int32_t ni, tstate** from, int n_from, int32_t src);

#endif

/* Internal: the session object, shared by session.c (create, the float
 * API's run, plan queries) and session_image.c (the frame API). */
#ifndef RC_API_SESSION_IMPL_H
#define RC_API_SESSION_IMPL_H

#include <stdatomic.h>

#include "kernels/thread/pool.h"
#include "runtime/api/handles.h"
#include "runtime/exec/exec.h"

/* A session keeps plans for up to RC_SESSION_PLANS input sizes, least
 * recently used evicted first (and sooner when their arenas together would
 * pass the arena-bytes limit). Four covers the alternations apps make: an
 * image cut in tiles has at most four tile sizes (full, right edge, bottom
 * edge, corner), two video streams two. Each size has its own arena and
 * kernel state: XNNPACK operators are bound to arena addresses, so sizes
 * sharing one arena would re-create (and repack) them whenever a larger
 * size moved it. */
#define RC_SESSION_PLANS 4

typedef struct rc_sized {
  rc_shape* in;        /* per graph input: the shapes this entry runs */
  rc_graph view;       /* the model's graph at those shapes (unused when g is the model's) */
  const rc_graph* g;   /* &view or the model's graph */
  const rc_plan* plan; /* the model's, or own_plan */
  rc_plan own_plan;
  rc_exec_state xnn; /* XNNPACK operators and Winograd/GEMM workspaces */
  float* arena;
  uint64_t bytes; /* arena and workspaces, counted against the arena-bytes limit */
  uint64_t used;  /* the session's run count when last used */
  int external;   /* planned with external I/O (both APIs' runs; 0: the float API's fallback): part of the key */
} rc_sized;

struct repconv_session {
  repconv_model_t* model; /* holds a reference (rc_model_retain) */
  atomic_int busy;        /* 1 while a call that uses the arena or pool runs: a second one is refused */
  rc_plan_options po;     /* how this session plans */
  int threads;
  rc_limits limits;
  rc_sized sized[RC_SESSION_PLANS];
  int n_sized;
  rc_sized* cur;  /* the entry of the last run (or of session_create), NULL before any */
  rc_shape* want; /* scratch: the shapes of a run's inputs */
  uint64_t runs;
  rc_pool* pool;    /* NULL: run on the caller's thread */
  double* step_ms;  /* profiling on: the last run's time per plan entry */
  char error[4096]; /* as long as repconv_last_error's buffer: escaped messages are not cut */
  /* Test hook (tests/test_session.c): repconv_session_run calls it once it
   * holds the session, before computing. Set before the session is shared. */
  void (*run_hook)(void* arg);
  void* run_hook_arg;
};

/* The message of the last rc_error into the session's error; returns code. */
repconv_status rc_session_fail(repconv_session_t* s, rc_status code);
/* Takes the session for one call; 0 (with repconv_last_error set, and the
 * session's own error left alone: its owner may be writing it) if another
 * thread holds it. */
int rc_session_acquire(repconv_session_t* s, const char* what);
void rc_session_release(repconv_session_t* s);
/* The entry for the input shapes in s->want planned with external inputs
 * and outputs `external` (1: the runs of both APIs, the model's own plan
 * when it fits; 0: the float API's runs whose buffers cannot be bindings,
 * session.c run_external): the last one used when
 * it matches, else a cached one, else a new plan (the least recently used
 * entry evicted). Errors name the node and shapes (REPCONV_ERROR_SHAPE). */
rc_status rc_session_sized_get(repconv_session_t* s, int external, rc_sized** out);

#endif

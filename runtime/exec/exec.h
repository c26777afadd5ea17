/* The executor: runs a planned graph step by step on the session's arena,
 * dispatching each step to the kernel the plan chose. */
#ifndef RC_EXEC_H
#define RC_EXEC_H

#include <pthreadpool.h>

#include "runtime/graph/graph.h"
#include "runtime/plan/plan.h"

/* Per-session kernel state: one XNNPACK operator per XNNPACK step (created
 * with its weights packed and set up once against the session's arena), and
 * padded copies of constants XNNPACK reads directly. Owned by the session. */
typedef struct rc_exec_state {
  void** ops;   /* xnn_operator_t per step, NULL for ref/fused steps */
  float** bufs; /* owned scratch */
  int32_t n_steps, n_bufs;
  void* wino_ws; /* the Winograd workspace (plan->wino_workspace_bytes), one per session */
  void* gemm_ws; /* the GEMM workspace (plan->gemm_workspace_bytes per pool thread), one per session */
} rc_exec_state;

/* Allocates the Winograd and GEMM workspaces and creates the plan's XNNPACK operators bound to arena (stable for the
 * session's life) and pool. On failure nothing is left allocated. */
/* Bytes of the Winograd and GEMM workspaces rc_exec_prepare allocates for a pool of threads. */
uint64_t rc_exec_workspace_bytes(const rc_plan* p, size_t threads);
rc_status rc_exec_prepare(const rc_graph* g, const rc_plan* p, float* arena, pthreadpool_t pool, rc_exec_state* st);
void rc_exec_release(rc_exec_state* st);

/* Inputs must already be in the arena (channels-last). st may be NULL when
 * the plan has no XNNPACK or Winograd step. Winograd steps run on pool unless
 * the plan marked them single-threaded. step_ms: NULL, or p->n_order entries
 * that receive each step's wall time (0 for fused steps' own entries). */
rc_status rc_exec_run(const rc_graph* g, const rc_plan* p, const rc_exec_state* st, float* arena, pthreadpool_t pool,
                      double* step_ms);

#endif

/* The executor: runs a planned graph step by step on the session's arena,
 * dispatching each step to the kernel the plan chose. */
#ifndef RC_EXEC_H
#define RC_EXEC_H

#include "kernels/thread/pool.h"

#include "kernels/common/convert.h"

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
rc_status rc_exec_prepare(const rc_graph* g, const rc_plan* p, float* arena, rc_pool* pool, rc_exec_state* st);
void rc_exec_release(rc_exec_state* st);

/* Inputs must already be in the arena (channels-last). st may be NULL when
 * the plan has no XNNPACK or Winograd step. Winograd steps run on pool unless
 * the plan marked them single-threaded. step_ms: NULL, or p->n_order entries
 * that receive each step's wall time (0 for fused steps' own entries).
 * Outputs stay in the arena: a plan with external outputs needs
 * rc_exec_run_io (INTERNAL error here). */
rc_status rc_exec_run(const rc_graph* g, const rc_plan* p, const rc_exec_state* st, float* arena, rc_pool* pool,
                      double* step_ms);

/* rc_exec_run reading graph input k from inputs[k] where the plan keeps it
 * out of the arena (external_inputs: a chain converts its rows as it
 * reaches them; the other inputs must be in the arena, rc_exec_load_input,
 * and their bindings are not used; inputs may be NULL when no input is
 * external), then graph output k into outputs[k] (g->n_outputs bindings,
 * kernels/common/convert.h; element (n, y, x, c) of an output of logical
 * shape N×C×H×W, a rank-2 N×C one being N×C×1×1). Under a plan made with
 * external_outputs, an output whose step has out_external stores straight
 * into its binding (never in the arena); every other output is converted
 * from its arena slot after the run, by the same conversion kernels, split
 * over rows on pool. A binding with a NULL base leaves its output in the
 * arena (an error for an output the plan keeps out of it); outputs NULL:
 * rc_exec_run. The bindings' memory must
 * not overlap the arena or each other (not checked). */
rc_status rc_exec_run_io(const rc_graph* g, const rc_plan* p, const rc_exec_state* st, float* arena, rc_pool* pool,
                         const rc_binding* inputs, const rc_binding* outputs, double* step_ms);

/* Graph input k from the caller's binding b (a float tensor in any strides,
 * or uint8 through px·scale + bias) into its arena slot, channels-last:
 * the conversion a run needs first, vectorized, split over rows on pool
 * (may be NULL). k outside [0, g->n_inputs), or an input the plan keeps out
 * of the arena (rc_exec_run_io's inputs): REPCONV_ERROR_INVALID_ARGUMENT. */
rc_status rc_exec_load_input(const rc_graph* g, const rc_plan* p, float* arena, int32_t k, const rc_binding* b,
                             rc_pool* pool);

/* Converts an NHWC float tensor (batch × h × w × c) into binding b, or
 * (load 1) b into it: the executor's row loop, for the API's boundary
 * conversions too. pool may be NULL. */
void rc_exec_convert_nhwc(float* x, size_t batch, size_t h, size_t w, size_t c, const rc_binding* b, int load,
                          rc_pool* pool);
/* The same for tensor t's arena slot (its logical shape as above). */
void rc_exec_convert_tensor(const rc_graph* g, const rc_plan* p, float* arena, int32_t t, const rc_binding* b, int load,
                            rc_pool* pool);

#endif

/* rc_plan_create: the planner's passes in order (planner.h). */
#include "runtime/plan/plan.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/plan/planner.h"

rc_status rc_plan_create(const rc_graph* g, const rc_plan_options* opts, rc_plan* p) {
  memset(p, 0, sizeof(*p));
  p->backend = opts->backend;
  p->winograd = opts->winograd;
  p->autotune = opts->autotune && opts->winograd == REPCONV_WINOGRAD_AUTO;
  p->chains = opts->chains != 0;
  p->external_outputs = opts->external_outputs != 0;
  p->external_inputs = opts->external_inputs != 0;
  p->weights_fp16 = opts->weights_fp16 != 0;
  p->threads = opts->threads > 1 ? opts->threads : 1;
  p->order = malloc(((size_t)g->n_nodes + 1) * sizeof(int32_t));
  p->offset = malloc(((size_t)g->n_tensors + 1) * sizeof(size_t));
  rc_arena_scratch scratch = {NULL, NULL, NULL, NULL};
  rc_status s = REPCONV_OK;
  if (!p->order || !p->offset) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    goto done;
  }
  s = rc_arena_scratch_alloc(g, &scratch);
  if (s != REPCONV_OK) goto done;
  p->n_order = g->n_nodes;
  s = rc_graph_topo_order(g, p->order);
  if (s == REPCONV_OK) s = rc_plan_choose_kernels(g, p, scratch.elided);
  if (s == REPCONV_OK) s = rc_pack_winograd(g, p, opts->share);
  if (s == REPCONV_OK) s = rc_pack_gemm(g, p, opts->share);
  if (s == REPCONV_OK) s = rc_arena_place(g, p, &scratch);
done:
  rc_arena_scratch_free(&scratch);
  if (s != REPCONV_OK) rc_plan_free(p);
  return s;
}

void rc_plan_free(rc_plan* p) {
  rc_plan_owned_free(p);
  free(p->order);
  free(p->steps);
  free(p->offset);
  memset(p, 0, sizeof(*p));
}

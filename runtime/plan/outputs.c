/* External outputs and inputs (rc_plan_options.external_outputs,
 * external_inputs): which graph outputs the last kernel stores straight
 * into the caller's memory, and which the executor converts from the arena
 * after the run; which graph inputs a Winograd step or chain reads straight
 * from the caller's memory, and which the executor loads into the arena
 * first. */
#include <stdio.h>
#include <string.h>

#include "runtime/plan/planner.h"

/* Outputs with more channels are converted after the run (below). */
#define RC_EXTERNAL_MAX_CHANNELS 4

/* Appends text to a step's note (cut at its size, as the other passes do). */
static void note_append(rc_step* st, const char* fmt, const char* a, const char* b) {
  const size_t len = strlen(st->note);
  if (len + 1 < sizeof(st->note)) snprintf(st->note + len, sizeof(st->note) - len, fmt, a, b);
}

void rc_plan_external_outputs(const rc_graph* g, rc_plan* p, const int32_t* readers, uint8_t* elided) {
  for (int32_t k = 0; k < g->n_outputs; k++) {
    const int32_t t = g->outputs[k];
    int32_t w = -1; /* the step writing t: a step's out, fused steps aside */
    for (int32_t i = 0; i < p->n_order && w < 0; i++) {
      if (p->steps[i].kind != RC_KERNEL_FUSED && p->steps[i].out == t) w = i;
    }
    if (w < 0) continue; /* a graph input passed through: stays in the arena */
    rc_step* st = &p->steps[w];
    const char* name = g->tensors[t].name;
    /* Read by no node and listed once (a reader would need it in the
     * arena); channels in the graph's order (no CRD→DCR permutation); an
     * image's channels (at most 4, the frame API's formats): a tile stores
     * m pixels per row, and into the float API's planes of more channels
     * those short pieces cost more than one blocked transpose of the arena
     * after the run (C64 56x56: 16% of the run in transposes against 11%). */
    const int image = g->tensors[t].shape.d[1] <= RC_EXTERNAL_MAX_CHANNELS;
    if (st->kind == RC_KERNEL_WINOGRAD && readers[t] == 1 << 20 && st->crd_block == 0 && image) {
      st->out_external = k;
      elided[t] = 1;
      note_append(st, "; stores output '%s' straight into the caller's binding%s", name, " (no arena slot)");
    } else {
      note_append(st, "; output '%s' kept in the arena, converted after the run (%s)", name,
                  st->kind != RC_KERNEL_WINOGRAD                ? "not a Winograd step"
                  : readers[t] != 1 << 20 || st->crd_block != 0 ? "a node reads it"
                                                                : "more than 4 channels");
    }
  }
}

/* Input t can stay in the caller's memory: every node reading it is a
 * chain's head or a Winograd step in no chain (as its input 0), or a
 * residual add fused into a Winograd step, and no XNNPACK step runs (the
 * NaN scan reads the graph inputs). *head: the first such step, or -1. */
static int input_streams(const rc_graph* g, const rc_plan* p, const int32_t* readers, int32_t t, int32_t* head) {
  *head = -1;
  if (readers[t] < 1 || readers[t] >= 1 << 20) return 0; /* unread, or a graph output too */
  int32_t ok = 0;
  for (int32_t i = 0; i < p->n_order; i++) {
    const rc_step* st = &p->steps[i];
    if (st->kind == RC_KERNEL_XNNPACK) return 0;
    if (st->kind == RC_KERNEL_WINOGRAD && st->wino_residual == t) ok++; /* its fused add's read */
    if (st->kind == RC_KERNEL_FUSED) continue;
    const rc_node* n = &g->nodes[st->node];
    for (int32_t k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] != t) continue;
      /* input 0 of a chain's head or of a Winograd step in no chain */
      if (k != 0 || st->kind != RC_KERNEL_WINOGRAD || (st->chain_head >= 0 && st->chain_head != i)) return 0;
      if (*head < 0) *head = i;
      ok++;
    }
  }
  return *head >= 0 && ok == readers[t];
}

void rc_plan_external_inputs(const rc_graph* g, rc_plan* p, const int32_t* readers, uint8_t* elided) {
  for (int32_t k = 0; k < g->n_inputs; k++) {
    const int32_t t = g->inputs[k];
    int32_t head = -1;
    const char* name = g->tensors[t].name;
    if (!input_streams(g, p, readers, t, &head)) continue;
    for (int32_t i = 0; i < p->n_order; i++) {
      rc_step* st = &p->steps[i];
      if (st->kind == RC_KERNEL_WINOGRAD && (st->chain_head < 0 || st->chain_head == i) &&
          g->nodes[st->node].inputs[0] == t) {
        st->in_external = k;
      }
    }
    elided[t] = 1;
    note_append(&p->steps[head], "; reads input '%s' straight from the caller's binding%s", name,
                ", rows converted as its tiles reach them (no arena slot)");
  }
}

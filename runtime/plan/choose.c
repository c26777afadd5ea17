/* Kernel choice: the rule (or autotune) per node, then fusion and chains
 * (fuse.c, chains.c), and the execution order with fused steps right after
 * the step computing them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repconv.h"
#include "runtime/plan/autotune.h"
#include "kernels/gemm/gemm.h"
#include "runtime/plan/planner.h"

/* Autotune (backend AUTO): times every kernel that can compute conv/FC node n
 * on its real shape (the Winograd variants the rule would consider, on a
 * plan for several threads the one it picks, the GEMM when a SIMD
 * micro-kernel exists, XNNPACK) and plans the fastest, with the
 * times in the note. A conv that would head a Winograd chain is timed on the
 * Winograd variants only: alone the GEMM may be faster (ECBSR's 1→16 head at
 * 540x960: 2.7 against 3.8 ms), but in the chain its output never goes to
 * memory, which a timing of the layer alone cannot see. 0 when nothing could
 * be timed (the rule decides then). */
static int autotune_choose(const rc_graph* g, const rc_plan* p, const rc_node* n, int wino_ok, const rc_readers* ri,
                           rc_step* st) {
  enum { K_WINO, K_GEMM, K_XNN };
  char times[200] = "", why[160];
  size_t tl = 0;
  double best = -1.0;
  int kind = -1, variant = -1;
#define RC_TUNED(label, ms_expr, k, var)                                                                  \
  do {                                                                                                    \
    const double ms_ = (ms_expr);                                                                         \
    if (ms_ < 0) break;                                                                                   \
    if (tl < sizeof(times))                                                                               \
      tl += (size_t)snprintf(times + tl, sizeof(times) - tl, "%s%s %.3f ms", tl ? ", " : "", label, ms_); \
    if (best < 0 || ms_ < best) best = ms_, kind = (k), variant = (var);                                  \
  } while (0)
  const int chain = wino_ok && rc_rule_wino_can_head_chain(g, p, n, ri);
  if (wino_ok) {
    const size_t cin = (size_t)g->tensors[n->inputs[0]].shape.d[1], cout = (size_t)g->tensors[n->output].shape.d[1];
    static const char* labels[] = {"F2", "F4", "F6", "F2s2", "F4s2"};
    const int s2 = n->a.stride[0] == 2; /* its variants: the last two */
    /* On several threads, the variant the rule picks for them: which
     * variant is fastest there depends on the memory bandwidth the threads
     * share to stream U, which one layer timed on 1 thread with its U in
     * cache cannot see (RepVGG-A0 on 2 threads, every variant timed:
     * F(4,3) at 14x14, 3.50–3.87 ms against the rule's 3.20–3.66;
     * docs/DESIGN.md, "Autotune"). */
    rc_step ruled_step = *st;
    const int ruled = p->threads > 1 ? rc_rule_wino_choose(g, n, REPCONV_BACKEND_WINOGRAD, REPCONV_WINOGRAD_AUTO, chain,
                                                           p->threads, &ruled_step)
                                     : -1;
    for (int i = s2 ? 3 : 0; i < (s2 ? 5 : 3); i++) {
      if (ruled >= 0 && i != ruled) continue;
      if (i == 2 && !rc_rule_wino_f63_considered(cin, cout)) continue; /* as the rule */
      if (rc_wino_filter_size(rc_rule_wino_variants[i], cout, cin) * sizeof(float) > RC_WINO_WEIGHT_CAP) continue;
      RC_TUNED(labels[i], rc_autotune_wino_ms(g, n, (int)rc_rule_wino_variants[i], 2), K_WINO, i);
    }
  }
  if (!chain && rc_rule_gemm_applies(g, n, why, sizeof why) &&
      rc_gemm_ukernel_resolve(RC_GEMM_UK_AUTO) != RC_GEMM_UK_SCALAR) {
    RC_TUNED("gemm", rc_autotune_gemm_ms(g, n, 2), K_GEMM, 0);
  }
  /* A PReLU reading only n's output: Winograd and the GEMM fuse it, XNNPACK
   * runs it as a pass of its own, so its time counts for XNNPACK. */
  const rc_node* prelu = NULL;
  if (ri->sole[n->output] >= 0) { /* one reading input (a graph output may be read too) */
    const rc_node* r = &g->nodes[ri->sole[n->output]];
    if (r->op == RC_OP_PRELU && r->inputs[0] == n->output && rc_input_is_const(g, r, 1)) prelu = r;
  }
  rc_step probe = *st;
  if (!chain && rc_rule_xnn_supports(g, n, &probe, why, sizeof why)) {
    RC_TUNED(prelu ? "xnnpack+prelu" : "xnnpack", rc_autotune_xnn_ms(g, n, prelu, 2), K_XNN, 0);
  }
#undef RC_TUNED
  if (kind < 0) return 0;
  if (kind == K_WINO) {
    rc_rule_wino_choose(g, n, REPCONV_BACKEND_WINOGRAD, rc_wino_tile_m(rc_rule_wino_variants[variant]), 0, p->threads,
                        st);
    st->kind = RC_KERNEL_WINOGRAD;
  } else if (kind == K_GEMM) {
    rc_rule_gemm_choose(g, n, REPCONV_BACKEND_GEMM, st);
    st->kind = RC_KERNEL_GEMM;
  } else {
    rc_rule_xnn_supports(g, n, st, why, sizeof why);
    st->kind = RC_KERNEL_XNNPACK;
  }
  /* (the return value is used: a long note is cut, by design) */
  if (snprintf(st->note, sizeof(st->note), "autotuned, 1 thread%s: %s%s",
               wino_ok && p->threads > 1 ? " (Winograd: the rule's variant)" : "", times,
               chain ? " (Winograd only: chains into the next conv)" : "") < 0)
    st->note[0] = '\0';
  return 1;
}

/* Kernel choice per step (fills p->steps, reorders p->order) and marks the
 * tensors no kernel materialises in elided[]. */
rc_status rc_plan_choose_kernels(const rc_graph* g, rc_plan* p, uint8_t* elided) {
  const int use_wino = (p->backend == REPCONV_BACKEND_AUTO || p->backend == REPCONV_BACKEND_WINOGRAD) &&
                       p->winograd != REPCONV_WINOGRAD_OFF;
  const int any_gemm = p->backend == REPCONV_BACKEND_AUTO || p->backend == REPCONV_BACKEND_GEMM;
  const int32_t nn = p->n_order;
  int32_t* readers = calloc((size_t)g->n_tensors + 1, sizeof(int32_t));
  int32_t* sole = malloc(((size_t)g->n_tensors + 1) * sizeof(int32_t));
  int32_t* step_of = calloc((size_t)g->n_nodes + 1, sizeof(int32_t)); /* (zeroed: GCC cannot see the loop fill it) */
  rc_step* steps = calloc((size_t)nn + 1, sizeof(rc_step));
  /* fused steps of each step, in index order: first_fused[i], next_fused[j] (-1 ends) */
  int32_t* first_fused = malloc(((size_t)nn + 1) * sizeof(int32_t));
  int32_t* next_fused = malloc(((size_t)nn + 1) * sizeof(int32_t));
  int32_t* perm = malloc(((size_t)nn + 1) * sizeof(int32_t)); /* sorted position → step */
  rc_status s = REPCONV_OK;
  if (!readers || !sole || !step_of || !steps || !first_fused || !next_fused || !perm) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    goto done;
  }
  for (int32_t t = 0; t < g->n_tensors; t++) sole[t] = -1;
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const rc_node* n = &g->nodes[i];
    for (int32_t k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] >= 0) sole[n->inputs[k]] = readers[n->inputs[k]]++ == 0 ? i : -1;
    }
  }
  for (int32_t i = 0; i < g->n_outputs; i++) readers[g->outputs[i]] += 1 << 20; /* never single-reader */
  const rc_readers ri = {readers, sole};
  const int use_xnn = p->backend != REPCONV_BACKEND_REF;

  for (int32_t i = 0; i < nn; i++) {
    rc_step* st = &steps[i];
    const rc_node* n = &g->nodes[p->order[i]];
    step_of[p->order[i]] = i;
    st->node = p->order[i];
    st->kind = RC_KERNEL_REF;
    st->out = n->output;
    st->fused = -1;
    st->out_min = -INFINITY;
    st->out_max = INFINITY;
    st->wino_residual = -1;
    st->fused_into = -1;
    st->chain_head = -1;
    st->chain_next = -1;
    st->out_external = -1;
    st->in_external = -1;
    char why[160] = "";
    int wino_ok = use_wino && n->op == RC_OP_CONV2D && rc_rule_wino_applies(g, n, why, sizeof(why));
    if (use_wino && n->op == RC_OP_CONV2D && !wino_ok) snprintf(st->note, sizeof(st->note), "Winograd n/a: %s", why);
    if (p->autotune && p->backend == REPCONV_BACKEND_AUTO && (n->op == RC_OP_CONV2D || n->op == RC_OP_GEMM) &&
        autotune_choose(g, p, n, wino_ok, &ri, st)) {
      continue;
    }
    if (wino_ok && rc_rule_wino_choose(g, n, p->backend, p->winograd, rc_rule_wino_can_head_chain(g, p, n, &ri),
                                       p->threads, st) >= 0) {
      st->kind = RC_KERNEL_WINOGRAD;
    } else if (any_gemm && (n->op == RC_OP_CONV2D || n->op == RC_OP_GEMM) &&
               rc_rule_gemm_choose(g, n, p->backend, st)) {
      st->kind = RC_KERNEL_GEMM;
    } else if (use_xnn && rc_rule_xnn_supports(g, n, st, why, sizeof(why))) {
      st->kind = RC_KERNEL_XNNPACK;
    } else {
      snprintf(st->kernel, sizeof(st->kernel), "ref:%s", rc_op_name(n->op));
      if (use_xnn) snprintf(st->note, sizeof(st->note), "XNNPACK cannot: %s", why);
    }
  }

  if (use_xnn) rc_fuse_clamp(g, steps, nn, readers, step_of, elided);
  if (use_wino || any_gemm) rc_fuse_prelu(g, steps, nn, readers, step_of, elided);
  if (use_wino) rc_fuse_into_winograd(g, steps, nn, readers, step_of, elided);
  if (use_xnn) rc_fuse_crd_as_dcr(g, steps, nn, readers, step_of);
  if (use_xnn || use_wino || any_gemm) rc_fuse_identity(g, steps, nn, readers, step_of, elided);

  /* Order: the steps fused into a step right after it (each reads only what
   * that step computes, or a residual computed before it: still topological). */
  int32_t w = 0;
  for (int32_t i = 0; i < nn; i++) first_fused[i] = -1;
  for (int32_t j = nn - 1; j >= 0; j--) { /* lists in ascending j */
    if (steps[j].kind != RC_KERNEL_FUSED) continue;
    const int32_t o = rc_fuse_owner_step(steps, j);
    next_fused[j] = first_fused[o];
    first_fused[o] = j;
  }
  for (int32_t i = 0; i < nn; i++) {
    if (steps[i].kind == RC_KERNEL_FUSED) continue;
    perm[w++] = i;
    for (int32_t j = first_fused[i]; j >= 0; j = next_fused[j]) {
      if (j > i) perm[w++] = j;
    }
  }
  if (w != nn) { /* a step fused into one that runs after it */
    s = rc_error(REPCONV_ERROR_INTERNAL, "plan: %d of %d steps ordered after fusion", w, nn);
    goto done;
  }
  /* steps[k] = old steps[perm[k]], in place along the cycles of perm (a
   * step is large: no second array); first_fused marks the positions done */
  for (int32_t k = 0; k < nn; k++) first_fused[k] = 0;
  for (int32_t k = 0; k < nn; k++) {
    if (first_fused[k] || perm[k] == k) continue;
    rc_step held = steps[k];
    int32_t j = k;
    while (perm[j] != k) {
      steps[j] = steps[perm[j]];
      first_fused[j] = 1;
      j = perm[j];
    }
    steps[j] = held;
    first_fused[j] = 1;
  }
  for (int32_t i = 0; i < nn; i++) p->order[i] = steps[i].node;
  p->steps = steps;
  steps = NULL;
  if (use_wino && p->chains) rc_chain_form(g, p, readers, elided);
  if (p->external_outputs) rc_plan_external_outputs(g, p, readers, elided);
  if (p->external_inputs) rc_plan_external_inputs(g, p, readers, elided);
done:
  free(readers);
  free(sole);
  free(step_of);
  free(steps);
  free(first_fused);
  free(next_fused);
  free(perm);
  return s;
}

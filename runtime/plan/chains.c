/* Winograd chains: runs of consecutive Winograd convs run band by band by
 * their first step (rc_wino_chain_nhwc), and the kernel parameters of a
 * Winograd step or chain as the executor passes them. */
#include <stdio.h>
#include <string.h>

#include "runtime/plan/lower.h"
#include "runtime/plan/planner.h"

rc_wino_conv_params rc_plan_wino_step_params(const rc_graph* g, const rc_step* sp) {
  const rc_node* n = &g->nodes[sp->node];
  rc_wino_conv_params wp = rc_lower_wino_params(g, n, sp->wino_variant);
  wp.activation = (rc_wino_activation)sp->wino_act;
  wp.act_min = sp->out_min;
  wp.act_max = sp->out_max;
  wp.prelu_slopes = sp->wino_slopes;
  wp.shuffle = sp->wino_shuffle;
  wp.shuffle_crd = sp->wino_shuffle_crd;
  if (sp->wino_residual >= 0) wp.residual_c = (int32_t)g->tensors[sp->wino_residual].shape.d[1];
  wp.u_half = sp->wino_u_half;
  return wp;
}

const rc_binding rc_plan_load_placeholder = {RC_ELEM_U8, NULL, 0, 0, 0, 0, 1.0f, 0.0f};

size_t rc_plan_wino_chain(const rc_graph* g, const rc_plan* p, int32_t head, rc_wino_chain_layer* layers) {
  size_t n = 0;
  for (int32_t i = head; i >= 0 && n < RC_WINO_CHAIN_MAX; i = p->steps[i].chain_next, n++) {
    const rc_step* sp = &p->steps[i];
    layers[n].p = rc_plan_wino_step_params(g, sp);
    layers[n].p.chain_threads = p->threads;
    layers[n].u = sp->wino_u;
    layers[n].bias = sp->wino_bias;
  }
  if (n && p->steps[head].in_external >= 0) layers[0].p.load = &rc_plan_load_placeholder;
  return n;
}

/* Step prev (a Winograd step) can hand its output to step i in a chain: i is
 * the next step to run and the only reader of prev's output, which is large,
 * both are stride 1,
 * and prev stores plainly (no residual, shuffle or permuted channels: those
 * only on the chain's last layer). */
static int chain_link(const rc_graph* g, const rc_plan* p, const int32_t* readers, int32_t prev, int32_t i) {
  const rc_step* ps = &p->steps[prev];
  const rc_step* st = &p->steps[i];
  const int32_t t = ps->out;
  return st->kind == RC_KERNEL_WINOGRAD && g->nodes[st->node].inputs[0] == t && readers[t] == 1 &&
         rc_wino_stride((rc_wino_variant)ps->wino_variant) == 1 &&
         rc_wino_stride((rc_wino_variant)st->wino_variant) == 1 && ps->wino_residual < 0 && ps->wino_shuffle == 0 &&
         ps->crd_block == 0 && st->crd_block == 0 &&
         (size_t)rc_shape_numel(&g->tensors[t].shape) * sizeof(float) >= RC_WINO_CHAIN_MIN_BYTES;
}

/* Links runs of consecutive Winograd steps (in the sorted order, fused steps
 * aside) into chains run by their first step; the tensors between members
 * are not materialised. A member's residual (the last one's only) was
 * computed before the head: every step between head and member is a member
 * or fused into one, and their outputs have a single reader. */
void rc_chain_form(const rc_graph* g, rc_plan* p, const int32_t* readers, uint8_t* elided) {
  int32_t head = -1, prev = -1, len = 0;
  for (int32_t i = 0; i <= p->n_order; i++) {
    const int end = i == p->n_order;
    if (!end && p->steps[i].kind == RC_KERNEL_FUSED) continue;
    if (!end && prev >= 0 && len < RC_WINO_CHAIN_MAX && chain_link(g, p, readers, prev, i)) {
      p->steps[prev].chain_next = i;
      p->steps[i].chain_head = head;
      elided[p->steps[prev].out] = 1;
      prev = i;
      len++;
      continue;
    }
    if (len >= 2) { /* close the chain head..prev */
      rc_step* hs = &p->steps[head];
      hs->chain_len = len;
      hs->chain_head = head;
      const rc_step* ls = &p->steps[prev];
      size_t kl = strlen(hs->kernel);
      snprintf(hs->kernel + kl, sizeof(hs->kernel) - kl, " [chain of %d]", len);
      kl = strlen(hs->note);
      snprintf(hs->note + kl, sizeof(hs->note) - kl,
               "; runs a chain of %d layers to '%s', band by band, the "
               "activations between them in per-thread rings",
               len, g->nodes[ls->node].name);
      for (int32_t j = hs->chain_next; j >= 0; j = p->steps[j].chain_next) {
        rc_step* ms = &p->steps[j];
        kl = strlen(ms->kernel);
        snprintf(ms->kernel + kl, sizeof(ms->kernel) - kl, " [in chain]");
        kl = strlen(ms->note);
        snprintf(ms->note + kl, sizeof(ms->note) - kl, "; run by '%s' in its chain", g->nodes[hs->node].name);
      }
    }
    head = prev = -1;
    len = 0;
    if (!end && p->steps[i].kind == RC_KERNEL_WINOGRAD) {
      head = prev = i;
      len = 1;
    }
  }
}

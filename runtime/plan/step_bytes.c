/* See step_bytes.h. The sizes are the ones pack.c allocates and the chain's
 * workspace holds, recomputed from the step's variant and shapes. */
#include "runtime/plan/step_bytes.h"

#include <string.h>

#include "kernels/common/size.h"
#include "kernels/winograd/wino_run.h"
#include "runtime/plan/lower.h"
#include "runtime/plan/planner.h"

static uint64_t tensor_bytes(const rc_graph* g, int32_t t) {
  const int64_t n = rc_shape_numel(&g->tensors[t].shape);
  return n > 0 ? (uint64_t)n * sizeof(float) : 0;
}

/* The rings of a chain: its workspace slice less the alignment slack and the
 * largest layer's block buffers, the first layer's input-row cache counted
 * with its block (rc_wino_chain_workspace_size lays out
 * one slack, then the rings, each a multiple of RC_WINO_WS_ALIGN, then the
 * block). */
static uint64_t chain_rings(const rc_wino_chain_layer* layers, size_t n) {
  size_t block = 0;
  for (size_t k = 0; k < n; k++) {
    const size_t ws = rc_wino_slice_bytes(&layers[k].p);
    if (ws > block) block = ws;
  }
  const size_t total = rc_wino_chain_workspace_size(layers, n),
               fixed = RC_WINO_WS_ALIGN + rc_round_up(block, RC_WINO_WS_ALIGN);
  return total > fixed ? (uint64_t)(total - fixed) : 0;
}

rc_status rc_plan_step_bytes(const rc_graph* g, const rc_plan* p, int32_t i, rc_step_bytes* out) {
  memset(out, 0, sizeof(*out));
  if (i < 0 || i >= p->n_order) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "the plan has %d steps, asked for %d", p->n_order, i);
  }
  const rc_step* st = &p->steps[i];
  if (st->kind == RC_KERNEL_FUSED || (st->chain_head >= 0 && st->chain_head != i)) return REPCONV_OK;
  const rc_node* n = &g->nodes[st->node];
  out->layers = 1;
  if (st->kind == RC_KERNEL_WINOGRAD) {
    rc_wino_chain_layer layers[RC_WINO_CHAIN_MAX];
    size_t nl = 1;
    if (st->chain_len >= 2) {
      nl = rc_plan_wino_chain(g, p, i, layers);
    } else {
      layers[0].p = rc_plan_wino_step_params(g, st);
    }
    int32_t last = i;
    for (size_t k = 0; k < nl; k++) {
      const rc_step* sk = &p->steps[last];
      const rc_wino_conv_params* q = &layers[k].p;
      out->weights += (uint64_t)rc_wino_filter_size(q->variant, (size_t)q->out_c, (size_t)q->in_c) *
                      (q->u_half ? sizeof(uint16_t) : sizeof(float));
      const rc_node* nk = &g->nodes[sk->node];
      const uint64_t per_channel = (uint64_t)q->out_c * sizeof(float);
      if (!rc_input_absent(nk, 2)) out->channels += per_channel;
      if (sk->wino_act == RC_WINO_ACT_PRELU) out->channels += per_channel;
      if (sk->wino_residual >= 0) out->inputs += tensor_bytes(g, sk->wino_residual);
      if (k + 1 < nl) last = sk->chain_next;
    }
    out->inputs += tensor_bytes(g, n->inputs[0]);
    out->outputs = tensor_bytes(g, p->steps[last].out);
    out->layers = (int32_t)nl;
    if (nl >= 2) out->rings = chain_rings(layers, nl);
    return REPCONV_OK;
  }
  if (st->kind == RC_KERNEL_GEMM) {
    const rc_gemm_conv_params cp = rc_lower_gemm_params(g, n);
    const uint64_t per_channel = (uint64_t)rc_gemm_channels_size(&cp) * sizeof(float);
    out->weights = (uint64_t)rc_gemm_packed_size(&cp) * (st->gemm_w_half ? sizeof(uint16_t) : sizeof(float));
    if (!rc_input_absent(n, 2)) out->channels += per_channel;
    if (st->gemm_act == RC_GEMM_ACT_PRELU) out->channels += per_channel;
    out->inputs = tensor_bytes(g, n->inputs[0]);
    out->outputs = tensor_bytes(g, st->out);
    return REPCONV_OK;
  }
  /* XNNPACK and ref: every input, constants as weights. */
  for (int k = 0; k < n->n_inputs; k++) {
    const int32_t t = n->inputs[k];
    if (t < 0) continue;
    if (g->tensors[t].kind == RC_TENSOR_CONST) {
      out->weights += tensor_bytes(g, t);
    } else {
      out->inputs += tensor_bytes(g, t);
    }
  }
  out->outputs = tensor_bytes(g, st->out);
  return REPCONV_OK;
}

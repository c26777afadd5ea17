/* Weight packing: the plan-owned constants of the Winograd and GEMM steps
 * (transformed filters, packed weights, permuted biases and slopes), made
 * once per plan, and the workspace sizes they need. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/common/convert.h"

#include "runtime/plan/lower.h"
#include "runtime/plan/planner.h"

/* Weights as binary16 (rc_plan_options.weights_fp16): the count floats of
 * the temporary tmp (freed here) become plan-owned halves in *half, or,
 * when one lies beyond binary16's range (it would round to inf), plan-owned
 * floats in *floats, the step's note saying which ("U" or "weights"). */
static rc_status keep_weights(rc_plan* p, rc_step* st, const char* node, const char* what, float* tmp, size_t count,
                              const float** floats, const uint16_t** half) {
  *floats = NULL;
  *half = NULL;
  float peak = 0.0f;
  for (size_t i = 0; i < count; i++) peak = fabsf(tmp[i]) > peak ? fabsf(tmp[i]) : peak;
  const size_t len = strlen(st->note);
  const int fits = rc_f32_to_f16(peak) != 0x7c00u;
  void* kept = rc_plan_owned_alloc(p, fits ? (count + 1) / 2 : count);
  if (kept && fits) {
    uint16_t* h = kept;
    for (size_t i = 0; i < count; i++) h[i] = rc_f32_to_f16(tmp[i]);
    *half = h;
    /* The rule's note gave the float32 size; say what is kept. */
    snprintf(st->note + len, sizeof(st->note) - len, "%s%s as binary16: %.2f MiB", len ? "; " : "", what,
             (double)(count * sizeof(uint16_t)) / (1 << 20));
  } else if (kept) {
    memcpy(kept, tmp, count * sizeof(float));
    *floats = kept;
    snprintf(st->note + len, sizeof(st->note) - len, "%s%s kept float32: |%s| up to %.6g, beyond binary16's 65504",
             len ? "; " : "", what, what, (double)peak);
  }
  free(tmp);
  if (!kept) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory for the weights of '%s'", node);
  return REPCONV_OK;
}

/* share's step computing st's node with the same kernel on the same packed
 * constants (rc_plan_options.share), or NULL. The constants depend on the
 * node's weights and these fields, never on the input size. */
static const rc_step* shared_step(const rc_plan* p, const rc_step* st, const rc_plan* share) {
  if (!share || share->weights_fp16 != p->weights_fp16) return NULL;
  for (int32_t i = 0; i < share->n_order; i++) {
    const rc_step* s = &share->steps[i];
    if (s->node != st->node || s->kind != st->kind || s->crd_block != st->crd_block) continue;
    if (s->kind == RC_KERNEL_WINOGRAD && s->wino_variant == st->wino_variant &&
        (s->wino_act == RC_WINO_ACT_PRELU) == (st->wino_act == RC_WINO_ACT_PRELU)) {
      return s;
    }
    if (s->kind == RC_KERNEL_GEMM && (s->gemm_act == RC_GEMM_ACT_PRELU) == (st->gemm_act == RC_GEMM_ACT_PRELU)) {
      return s;
    }
  }
  return NULL;
}

static void note_shared(rc_step* st) {
  const size_t len = strlen(st->note);
  snprintf(st->note + len, sizeof(st->note) - len, "%sweights shared with the model's plan", len ? "; " : "");
}

/* The plan-owned constants of Winograd step st: its transformed filter
 * (output channels permuted CRD→DCR first where a pixel shuffle follows),
 * permuted bias and expanded PReLU slopes. */
static rc_status transform_filter(const rc_graph* g, rc_plan* p, rc_step* st) {
  const rc_node* n = &g->nodes[st->node];
  const rc_wino_variant v = (rc_wino_variant)st->wino_variant;
  const size_t cin = (size_t)g->tensors[n->inputs[0]].shape.d[1];
  const size_t cout = (size_t)g->tensors[n->inputs[1]].shape.d[0];
  const float* w = g->tensors[n->inputs[1]].data;
  const float* bias = rc_input_absent(n, 2) ? NULL : g->tensors[n->inputs[2]].data;
  const float* slopes = NULL;
  int64_t n_slopes = 0;
  if (st->wino_act == RC_WINO_ACT_PRELU) {
    const rc_node* a = &g->nodes[st->fused];
    slopes = g->tensors[a->inputs[1]].data;
    n_slopes = rc_shape_numel(&g->tensors[a->inputs[1]].shape);
  }
  /* perm[j]: the original channel output channel j computes. */
  size_t* perm = malloc(cout * sizeof(size_t));
  float* wp = st->crd_block ? malloc(cout * cin * 9 * sizeof(float)) : NULL;
  if (!perm || (st->crd_block && !wp)) {
    free(perm);
    free(wp);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
  }
  const size_t r2 = st->crd_block ? (size_t)st->crd_block * (size_t)st->crd_block : 1, c = cout / r2;
  for (size_t j = 0; j < cout; j++) perm[j] = st->crd_block ? (j % c) * r2 + j / c : j;
  if (wp) {
    for (size_t j = 0; j < cout; j++) memcpy(wp + j * cin * 9, w + perm[j] * cin * 9, cin * 9 * sizeof(float));
    w = wp;
  }
  const size_t uf = rc_wino_filter_size(v, cout, cin);
  /* With weights_fp16, U is made in a temporary and kept as halves (not
   * for a conv computed directly: its "U" is the few 3x3 weights). */
  const int half = p->weights_fp16 && !rc_wino_is_direct(v, cin);
  float* u = half ? malloc(uf * sizeof(float)) : rc_plan_owned_alloc(p, uf);
  float* b = bias && st->crd_block ? rc_plan_owned_alloc(p, cout) : NULL;
  float* sl = slopes ? rc_plan_owned_alloc(p, cout) : NULL;
  if (!u || (bias && st->crd_block && !b) || (slopes && !sl)) {
    free(perm);
    free(wp);
    if (half) free(u);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory for the transformed filter of '%s'", n->name);
  }
  rc_wino_filter_transform(v, cout, cin, w, u);
  if (b) {
    for (size_t j = 0; j < cout; j++) b[j] = bias[perm[j]];
  }
  if (sl) {
    for (size_t j = 0; j < cout; j++) sl[j] = n_slopes == 1 ? slopes[0] : slopes[perm[j]];
  }
  free(perm);
  free(wp);
  st->wino_u = u;
  st->wino_u_half = NULL;
  if (half) {
    const rc_status s = keep_weights(p, st, n->name, "U", u, uf, &st->wino_u, &st->wino_u_half);
    if (s != REPCONV_OK) return s;
  }
  st->wino_bias = b ? b : bias;
  st->wino_slopes = sl;
  p->wino_weight_bytes += uf * (st->wino_u_half ? sizeof(uint16_t) : sizeof(float));
  return REPCONV_OK;
}

/* The constants of the Winograd steps (made, or share's), and the
 * workspace they need. */
rc_status rc_pack_winograd(const rc_graph* g, rc_plan* p, const rc_plan* share) {
  int32_t nw = 0;
  for (int32_t i = 0; i < p->n_order; i++) nw += p->steps[i].kind == RC_KERNEL_WINOGRAD;
  if (nw == 0) return REPCONV_OK;
  if (!rc_plan_owned_reserve(p, nw * 4)) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
  for (int32_t i = 0; i < p->n_order; i++) {
    rc_step* st = &p->steps[i];
    if (st->kind != RC_KERNEL_WINOGRAD) continue;
    const rc_step* sh = shared_step(p, st, share);
    if (sh) {
      st->wino_u = sh->wino_u;
      st->wino_u_half = sh->wino_u_half;
      st->wino_bias = sh->wino_bias;
      st->wino_slopes = sh->wino_slopes;
      note_shared(st);
    } else {
      RC_CHECK(transform_filter(g, p, st));
    }
    rc_wino_conv_params wp = rc_plan_wino_step_params(g, st);
    if (st->in_external >= 0) wp.load = &rc_plan_load_placeholder; /* a step in no chain reading its binding */
    const size_t ws = rc_wino_slice_bytes(&wp);
    if (ws > p->wino_workspace_bytes) p->wino_workspace_bytes = ws;
  }
  for (int32_t i = 0; i < p->n_order; i++) {
    if (p->steps[i].chain_len < 2) continue;
    rc_wino_chain_layer layers[RC_WINO_CHAIN_MAX];
    const size_t n = rc_plan_wino_chain(g, p, i, layers);
    const size_t ws = rc_wino_chain_workspace_size(layers, n);
    if (ws == 0) {
      return rc_error(REPCONV_ERROR_INTERNAL, "plan: the Winograd chain at '%s' does not connect",
                      g->nodes[p->steps[i].node].name);
    }
    if (ws > p->wino_workspace_bytes) p->wino_workspace_bytes = ws;
  }
  return REPCONV_OK;
}

/* The plan-owned constants of GEMM step st: its packed weights (output
 * channels permuted CRD→DCR where a pixel shuffle follows), bias and PReLU
 * slopes. */
static rc_status pack_gemm_step(const rc_graph* g, rc_plan* p, rc_step* st, const rc_gemm_conv_params* cp) {
  const rc_node* n = &g->nodes[st->node];
  const float* bias = rc_input_absent(n, 2) ? NULL : g->tensors[n->inputs[2]].data;
  const float* slopes = NULL;
  int64_t n_slopes = 0;
  if (st->gemm_act == RC_GEMM_ACT_PRELU) {
    const rc_node* a = &g->nodes[st->fused];
    slopes = g->tensors[a->inputs[1]].data;
    n_slopes = rc_shape_numel(&g->tensors[a->inputs[1]].shape);
  }
  const size_t cout = (size_t)cp->out_c;
  size_t* perm = NULL;
  if (st->crd_block) { /* groups == 1 (the planner checked) */
    perm = malloc(cout * sizeof(size_t));
    if (!perm) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory for node '%s'", n->name);
    const size_t r2 = (size_t)st->crd_block * (size_t)st->crd_block, c = cout / r2;
    for (size_t j = 0; j < cout; j++) perm[j] = (j % c) * r2 + j / c;
  }
  const size_t wf = rc_gemm_packed_size(cp), cf = rc_gemm_channels_size(cp);
  /* With weights_fp16 the packed weights are made in a temporary and kept
   * as halves (not on the direct path, whose kernels read them as is). */
  const int half = p->weights_fp16 && !rc_gemm_direct_used(cp);
  float* w = half ? malloc(wf * sizeof(float)) : rc_plan_owned_alloc(p, wf);
  float* b = bias && w ? rc_plan_owned_alloc(p, cf) : NULL;
  float* sl = slopes && w && (b || !bias) ? rc_plan_owned_alloc(p, cf) : NULL;
  if (!w || (bias && !b) || (slopes && !sl)) {
    free(perm);
    if (half) free(w);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory for the packed weights of '%s'", n->name);
  }
  rc_gemm_pack_weights(cp, g->tensors[n->inputs[1]].data, perm, w);
  if (b) rc_gemm_pack_channels(cp, bias, 0, perm, b);
  if (sl) rc_gemm_pack_channels(cp, slopes, n_slopes == 1, perm, sl);
  free(perm);
  st->gemm_w = w;
  st->gemm_w_half = NULL;
  if (half) RC_CHECK(keep_weights(p, st, n->name, "weights", w, wf, &st->gemm_w, &st->gemm_w_half));
  st->gemm_bias = b;
  st->gemm_slopes = sl;
  p->gemm_weight_bytes += wf * (st->gemm_w_half ? sizeof(uint16_t) : sizeof(float));
  return REPCONV_OK;
}

/* The constants of the GEMM steps (made, or share's), and the workspace
 * they need. */
rc_status rc_pack_gemm(const rc_graph* g, rc_plan* p, const rc_plan* share) {
  int32_t ng = 0;
  for (int32_t i = 0; i < p->n_order; i++) ng += p->steps[i].kind == RC_KERNEL_GEMM;
  if (ng == 0) return REPCONV_OK;
  if (!rc_plan_owned_reserve(p, ng * 3)) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
  for (int32_t i = 0; i < p->n_order; i++) {
    rc_step* st = &p->steps[i];
    if (st->kind != RC_KERNEL_GEMM) continue;
    rc_gemm_conv_params cp = rc_lower_gemm_params(g, &g->nodes[st->node]);
    const rc_step* sh = shared_step(p, st, share);
    if (sh) {
      st->gemm_w = sh->gemm_w;
      st->gemm_w_half = sh->gemm_w_half;
      st->gemm_bias = sh->gemm_bias;
      st->gemm_slopes = sh->gemm_slopes;
      note_shared(st);
    } else {
      RC_CHECK(pack_gemm_step(g, p, st, &cp));
    }
    cp.packed_half = st->gemm_w_half;
    const size_t ws = rc_gemm_workspace_size(&cp);
    if (ws > p->gemm_workspace_bytes) p->gemm_workspace_bytes = ws;
  }
  return REPCONV_OK;
}

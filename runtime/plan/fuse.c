/* Fusion: steps that another step computes in its epilogue (an activation,
 * a residual add, a pixel shuffle), and the CRD pixel shuffle run as DCR by
 * permuting its producer's output channels. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/gemm/gemm.h"
#include "runtime/plan/planner.h"

/* "kernel" → "kernel+what (fused)"; "kernel+relu (fused)" → "kernel+relu+what (fused)". */
static void append_fused(rc_step* st, const char* what) {
  static const char tag[] = " (fused)";
  size_t kl = strlen(st->kernel);
  if (kl >= sizeof(tag) - 1 && strcmp(st->kernel + kl - (sizeof(tag) - 1), tag) == 0) kl -= sizeof(tag) - 1;
  snprintf(st->kernel + kl, sizeof(st->kernel) - kl, "+%s%s", what, tag);
}

/* The step computing fused step i: fused_into may name a step that was
 * fused in turn (mark_fused does not rewrite what was fused into it, which
 * would cost a pass over all steps per fusion); the chain is followed and
 * shortened. */
int32_t rc_fuse_owner_step(rc_step* steps, int32_t i) {
  int32_t o = i;
  while (steps[o].kind == RC_KERNEL_FUSED) o = steps[o].fused_into;
  while (steps[i].kind == RC_KERNEL_FUSED && steps[i].fused_into != o) {
    int32_t next = steps[i].fused_into;
    steps[i].fused_into = o;
    i = next;
  }
  return o;
}

/* The step that computes tensor t (its producer's, or the step that producer
 * was fused into), or NULL for inputs and constants. */
static rc_step* computing_step(const rc_graph* g, rc_step* steps, const int32_t* step_of, int32_t t) {
  const int32_t prod = g->tensors[t].producer;
  if (prod < 0) return NULL;
  return &steps[rc_fuse_owner_step(steps, step_of[prod])];
}

/* Step i is now computed by step into, and so is what was fused into i
 * (through owner_step). */
static void mark_fused(rc_step* steps, int32_t i, int32_t into, const char* note) {
  steps[i].kind = RC_KERNEL_FUSED;
  steps[i].fused_into = into;
  snprintf(steps[i].kernel, sizeof(steps[i].kernel), "fused");
  snprintf(steps[i].note, sizeof(steps[i].note), "%s", note);
}

/* Fuse into a Winograd conv (whose output has no other reader) the residual
 * add that follows it (with the ReLU/clip fused into that add), then a
 * depth-to-space after that: a super-resolution tail (conv, + input, pixel
 * shuffle) becomes one step writing the final image, instead of three passes
 * over it. The residual must be computed before the conv and be the conv's
 * shape with out_c channels or 1; an activation already fused into the conv
 * would come before the add, so such a conv keeps its add separate. */
void rc_fuse_into_winograd(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers,
                           const int32_t* step_of, uint8_t* elided) {
  char note[240];
  for (int32_t i = 0; i < nn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (steps[i].kind == RC_KERNEL_FUSED || n->op != RC_OP_ADD || n->n_inputs != 2) continue;
    for (int k = 0; k < 2; k++) {
      const int32_t t = n->inputs[k], o = n->inputs[1 - k];
      if (t < 0 || o < 0 || t == o || readers[t] != 1) continue;
      const int32_t prod = g->tensors[t].producer;
      if (prod < 0) continue;
      const int32_t pi = step_of[prod];
      rc_step* ps = &steps[pi];
      if (ps->kind != RC_KERNEL_WINOGRAD || ps->out != t || ps->fused >= 0 || ps->wino_residual >= 0) continue;
      const rc_shape* ts = &g->tensors[t].shape;
      const rc_shape* os = &g->tensors[o].shape;
      if (g->tensors[o].kind == RC_TENSOR_CONST || os->ndim != 4 || !rc_shape_equal(&g->tensors[n->output].shape, ts) ||
          os->d[0] != ts->d[0] || os->d[2] != ts->d[2] || os->d[3] != ts->d[3] ||
          (os->d[1] != ts->d[1] && os->d[1] != 1))
        continue;
      const int32_t op = g->tensors[o].producer;
      if (op >= 0 && step_of[op] >= pi) continue; /* the residual is computed after the conv */
      rc_step* as = &steps[i];
      ps->wino_residual = o;
      ps->out = as->out;
      if (as->fused >= 0) { /* the add's ReLU/clip, now after the residual in the conv's epilogue */
        ps->fused = as->fused;
        ps->out_min = as->out_min;
        ps->out_max = as->out_max;
        ps->wino_act = g->nodes[as->fused].op == RC_OP_RELU ? RC_WINO_ACT_RELU : RC_WINO_ACT_CLIP;
      }
      append_fused(ps, as->fused < 0 ? "add" : g->nodes[as->fused].op == RC_OP_RELU ? "add+relu" : "add+clip");
      snprintf(note, sizeof note,
               "computed by '%s': the residual '%s' (%lld channel%s) added in its Winograd output "
               "transform",
               g->nodes[prod].name, g->tensors[o].name, (long long)os->d[1], os->d[1] == 1 ? "" : "s");
      mark_fused(steps, i, pi, note);
      elided[t] = 1;
      break;
    }
  }
  for (int32_t i = 0; i < nn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (steps[i].kind == RC_KERNEL_FUSED || n->op != RC_OP_DEPTH_TO_SPACE || n->a.block < 2) continue;
    const int32_t t = n->inputs[0];
    rc_step* ps = computing_step(g, steps, step_of, t);
    if (!ps || ps->kind != RC_KERNEL_WINOGRAD || ps->out != t || readers[t] != 1 || ps->wino_shuffle) continue;
    ps->wino_shuffle = n->a.block;
    ps->wino_shuffle_crd = n->a.mode == 0;
    ps->out = n->output;
    append_fused(ps, "depth_to_space");
    snprintf(note, sizeof note, "computed by '%s': its Winograd output transform stores the %s pixel shuffle r=%d",
             g->nodes[ps->node].name, n->a.mode == 0 ? "CRD" : "DCR", n->a.block);
    mark_fused(steps, i, (int32_t)(ps - steps), note);
    elided[t] = 1;
  }
}

void rc_fuse_identity(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers, const int32_t* step_of,
                      uint8_t* elided) {
  char note[240];
  for (int32_t i = 0; i < nn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (steps[i].kind == RC_KERNEL_FUSED || n->op != RC_OP_IDENTITY) continue;
    const int32_t t = n->inputs[0];
    rc_step* ps = computing_step(g, steps, step_of, t);
    /* Read by the identity alone (not a graph output: readers counts those
     * as 1 << 20), and what the step writes. */
    if (!ps || ps->out != t || readers[t] != 1) continue;
    if (ps->kind != RC_KERNEL_WINOGRAD && ps->kind != RC_KERNEL_GEMM && ps->kind != RC_KERNEL_XNNPACK) continue;
    ps->out = n->output;
    snprintf(note, sizeof note, "computed by '%s', which writes '%s' (an identity: no copy)", g->nodes[ps->node].name,
             g->tensors[n->output].name);
    mark_fused(steps, i, (int32_t)(ps - steps), note);
    elided[t] = 1;
  }
}

static int fusable_producer(rc_op op) {
  return op == RC_OP_CONV2D || op == RC_OP_GEMM || (op >= RC_OP_ADD && op <= RC_OP_DIV);
}

void rc_fuse_clamp(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers, const int32_t* step_of,
                   uint8_t* elided) {
  for (int32_t i = 0; i < nn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (n->op != RC_OP_RELU && n->op != RC_OP_CLIP) continue;
    if (n->op == RC_OP_CLIP && (isnan(n->a.min) || isnan(n->a.max) || !(n->a.min < n->a.max))) continue;
    const int32_t t = n->inputs[0];
    const int32_t prod = g->tensors[t].producer;
    if (prod < 0 || readers[t] != 1) continue;
    rc_step* ps = &steps[step_of[prod]];
    const int wino = ps->kind == RC_KERNEL_WINOGRAD, gemm = ps->kind == RC_KERNEL_GEMM;
    if ((ps->kind != RC_KERNEL_XNNPACK && !wino && !gemm) || ps->fused >= 0 || !fusable_producer(g->nodes[prod].op)) {
      continue;
    }
    ps->fused = steps[i].node;
    ps->out = n->output;
    ps->out_min = n->op == RC_OP_RELU ? 0.0f : n->a.min;
    ps->out_max = n->op == RC_OP_RELU ? INFINITY : n->a.max;
    if (wino) ps->wino_act = n->op == RC_OP_RELU ? RC_WINO_ACT_RELU : RC_WINO_ACT_CLIP;
    if (gemm) ps->gemm_act = RC_GEMM_ACT_CLAMP;
    append_fused(ps, rc_op_name(n->op));
    steps[i].kind = RC_KERNEL_FUSED;
    steps[i].fused_into = step_of[prod];
    snprintf(steps[i].kernel, sizeof(steps[i].kernel), "fused");
    snprintf(steps[i].note, sizeof(steps[i].note), "computed by '%s' as its output clamp [%g, %g]", g->nodes[prod].name,
             (double)ps->out_min, (double)ps->out_max);
    elided[t] = 1;
  }
}

void rc_fuse_prelu(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers, const int32_t* step_of,
                   uint8_t* elided) {
  for (int32_t i = 0; i < nn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (n->op != RC_OP_PRELU || !rc_input_is_const(g, n, 1)) continue;
    const int32_t t = n->inputs[0];
    const int32_t prod = g->tensors[t].producer;
    if (prod < 0 || readers[t] != 1) continue;
    rc_step* ps = &steps[step_of[prod]];
    if ((ps->kind != RC_KERNEL_WINOGRAD && ps->kind != RC_KERNEL_GEMM) || ps->fused >= 0) continue;
    const int64_t ns = rc_shape_numel(&g->tensors[n->inputs[1]].shape);
    if (ns != 1 && ns != g->tensors[t].shape.d[1]) continue;
    ps->fused = steps[i].node;
    ps->out = n->output;
    if (ps->kind == RC_KERNEL_GEMM) {
      ps->gemm_act = RC_GEMM_ACT_PRELU;
    } else {
      ps->wino_act = RC_WINO_ACT_PRELU;
    }
    append_fused(ps, "prelu");
    steps[i].kind = RC_KERNEL_FUSED;
    steps[i].fused_into = step_of[prod];
    snprintf(steps[i].kernel, sizeof(steps[i].kernel), "fused");
    snprintf(steps[i].note, sizeof(steps[i].note), "computed by '%s' in its %s (%lld slope%s)", g->nodes[prod].name,
             ps->kind == RC_KERNEL_GEMM ? "GEMM store" : "Winograd output transform", (long long)ns,
             ns == 1 ? "" : "s");
    elided[t] = 1;
  }
}

void rc_fuse_crd_as_dcr(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers, const int32_t* step_of) {
  for (int32_t i = 0; i < nn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (steps[i].kind == RC_KERNEL_FUSED) continue;
    if (n->op != RC_OP_DEPTH_TO_SPACE || n->a.mode != 0 || n->a.block < 2) continue;
    const int32_t t = n->inputs[0];
    int32_t prod = g->tensors[t].producer;
    char* note = steps[i].note;
    const size_t ns = sizeof(steps[i].note);
    if (prod < 0) {
      snprintf(note, ns,
               "XNNPACK cannot: CRD order (PyTorch PixelShuffle) of a graph input; only a conv "
               "producer can be permuted to XNNPACK's DCR");
      continue;
    }
    if (readers[t] != 1) {
      snprintf(note, ns,
               "XNNPACK cannot: CRD order and its input '%s' has other readers or is a graph output, "
               "so its producer's channels cannot be permuted to DCR",
               g->tensors[t].name);
      continue;
    }
    rc_step* ws = &steps[step_of[prod]];
    if (ws->kind == RC_KERNEL_FUSED) { /* conv → relu → d2s: the conv writes t */
      const rc_node* act = &g->nodes[prod];
      prod = g->tensors[act->inputs[0]].producer;
      ws = &steps[step_of[prod]];
    }
    const rc_node* pn = &g->nodes[prod];
    if ((ws->kind != RC_KERNEL_XNNPACK && ws->kind != RC_KERNEL_WINOGRAD && ws->kind != RC_KERNEL_GEMM) ||
        pn->op != RC_OP_CONV2D || ws->out != t || ws->crd_block) {
      snprintf(note, ns,
               "XNNPACK cannot: CRD order and its producer '%s' (%s) is not an XNNPACK, Winograd or GEMM conv "
               "whose output channels could be permuted to DCR",
               pn->name, ws->kernel);
      continue;
    }
    if (pn->a.groups != 1) {
      snprintf(note, ns,
               "XNNPACK cannot: CRD order and the producing conv '%s' is grouped (a channel "
               "permutation would cross groups)",
               pn->name);
      continue;
    }
    ws->crd_block = n->a.block;
    size_t kl = strlen(ws->kernel);
    snprintf(ws->kernel + kl, sizeof(ws->kernel) - kl, " [out channels CRD->DCR r=%d]", n->a.block);
    rc_step* ds = &steps[i];
    ds->kind = RC_KERNEL_XNNPACK;
    ds->d2s_as_dcr = 1;
    snprintf(ds->kernel, sizeof(ds->kernel), "xnnpack:depth_to_space_nhwc_x32");
    snprintf(ds->note, sizeof(ds->note), "CRD run as DCR: '%s' writes its output channels in DCR order", pn->name);
  }
}

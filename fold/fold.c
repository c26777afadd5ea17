/* The fold pass (fold.h): one walk in execution order; each node is kept
 * (opaque) or extends a map (fold_map.c, fold_mat.c) that is emitted as nodes
 * when something needs it computed (fold_emit.c). */
#include "fold/fold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold/fold_pass.h"
#include "runtime/graph/checked.h"

static rc_status keep_node(ctx* c, const rc_node* n) {
  int32_t small[8] = {0};
  int32_t* ins = n->n_inputs <= 8 ? small : malloc((size_t)n->n_inputs * sizeof(int32_t));
  if (!ins) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
  rc_status s = REPCONV_OK;
  for (int32_t k = 0; k < n->n_inputs && s == REPCONV_OK; k++) {
    int32_t t = n->inputs[k];
    if (t < 0)
      ins[k] = -1;
    else if (c->in->tensors[t].kind == RC_TENSOR_CONST)
      s = rc_fold_const_of(c, t, &ins[k]);
    else
      s = rc_fold_get_opaque(c, t, &ins[k]);
  }
  int32_t id;
  if (s == REPCONV_OK) {
    s = rc_graph_add_node(c->out, n->op, n->name, ins, n->n_inputs, &n->a, c->in->tensors[n->output].name, &id);
  }
  if (ins != small) free(ins);
  RC_CHECK(s);
  c->st[n->output].kind = ST_OPAQUE;
  c->st[n->output].id = id;
  return REPCONV_OK;
}

/* Records the new map of node ni's output, folding in the inputs' states. */
/* Bookkeeping of a new map state from the states it absorbs. */
rc_status rc_fold_record(ctx* c, int32_t ni, tstate** from, int n_from, int32_t src) {
  const rc_node* n = &c->in->nodes[ni];
  tstate* s = &c->st[n->output];
  int32_t total = 1;
  for (int k = 0; k < n_from; k++) total += from[k] ? from[k]->n_nodes : 0;
  s->nodes = malloc((size_t)total * sizeof(int32_t));
  if (!s->nodes) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
  s->src = src;
  s->exact = 1;
  s->flops = rc_node_flops(c->in, n);
  s->params = rc_node_params(c->in, n);
  s->note[0] = '\0';
  for (int k = 0; k < n_from; k++) {
    tstate* f = from[k];
    if (!f) continue;
    memcpy(s->nodes + s->n_nodes, f->nodes, (size_t)f->n_nodes * sizeof(int32_t));
    s->n_nodes += f->n_nodes;
    s->flops = rc_sat_add_i64(s->flops, f->flops);
    s->params += f->params;
    s->exact &= f->exact;
    if (!s->note[0] && f->note[0]) snprintf(s->note, sizeof(s->note), "%s", f->note);
    rc_fold_free_state(f);
    f->kind = ST_NONE;
  }
  s->nodes[s->n_nodes++] = ni;
  return REPCONV_OK;
}

static rc_status take_map(ctx* c, int32_t ni, in_map* m, int n_m, rc_affine* map, int32_t src) {
  tstate* from[64];
  for (int k = 0; k < n_m; k++) from[k] = m[k].from;
  RC_CHECK(rc_fold_record(c, ni, from, n_m, src));
  tstate* s = &c->st[c->in->nodes[ni].output];
  s->kind = ST_MAP;
  s->map = *map;
  return REPCONV_OK;
}

/* BN-only folding: a conv starts a map from its (computed) input, and only
 * per-channel affine ops (BN, constant scale and shift) extend it. */
static int bn_only_allows(const ctx* c, const rc_node* n) {
  switch (n->op) {
    case RC_OP_CONV2D: return c->st[n->inputs[0]].kind == ST_OPAQUE;
    case RC_OP_BATCHNORM:
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV:
      for (int32_t k = 0; k < n->n_inputs; k++) {
        const int32_t t = n->inputs[k];
        if (c->in->tensors[t].kind == RC_TENSOR_CONST) continue;
        if (c->st[t].kind != ST_MAP || c->consumers[t] != 1) return 0;
      }
      return n->op == RC_OP_BATCHNORM || c->in->tensors[n->inputs[0]].kind == RC_TENSOR_CONST ||
             c->in->tensors[n->inputs[1]].kind == RC_TENSOR_CONST;
    default: return 0;
  }
}

static rc_status fold_node(ctx* c, int32_t ni) {
  const rc_node* n = &c->in->nodes[ni];
  if (c->opt.bn_only && !bn_only_allows(c, n)) return keep_node(c, n);
  rc_status merr;
  try_result mr = rc_fold_try_mat(c, ni, &merr);
  RC_CHECK(merr);
  if (mr == TRY_OK) return REPCONV_OK;
  if (mr == TRY_BOUNDARY) return keep_node(c, n);
  in_map m[64];
  int n_m = 0;
  rc_affine map;
  int32_t src = -1;
  char why[256] = "";
  rc_status err;
  try_result r = rc_fold_try_node(c, n, 1, m, &n_m, &map, &src, why, sizeof(why), &err);
  RC_CHECK(err);
  if (r == TRY_CUT || (r == TRY_NOT_LINEAR && why[0])) {
    /* Cut the region here: the inputs' maps become convs of their own, with
     * the reason, and (for a linear op) this node starts a new map from them;
     * a linear-looking op that is not shift-invariant is kept as it is. */
    for (int32_t k = 0; k < n->n_inputs && k < 64; k++) {
      int32_t t = n->inputs[k];
      if (t < 0 || c->st[t].kind != ST_MAP) continue;
      tstate* s = &c->st[t];
      s->exact = 0;
      snprintf(s->note, sizeof(s->note), "cut before '%s' (%s): %s", n->name, rc_op_name(n->op), why);
      int32_t id;
      RC_CHECK(rc_fold_get_opaque(c, t, &id));
    }
    if (r == TRY_CUT) {
      r = rc_fold_try_node(c, n, 0, m, &n_m, &map, &src, why, sizeof(why), &err);
      RC_CHECK(err);
      if (r == TRY_CUT) {
        /* Not even alone (its kernel is past the cap): kept, and said so. */
        tstate kept;
        memset(&kept, 0, sizeof(kept));
        kept.n_nodes = 1;
        kept.flops = rc_node_flops(c->in, n);
        kept.params = rc_node_params(c->in, n);
        snprintf(kept.note, sizeof(kept.note), "'%s' (%s) kept as it is: %s", n->name, rc_op_name(n->op), why);
        RC_CHECK(keep_node(c, n));
        return rc_fold_add_region(c, &kept, c->in->tensors[n->output].name, 1, NULL, kept.flops, kept.params);
      }
    }
  }
  if (r != TRY_OK) return keep_node(c, n);
  rc_status s = take_map(c, ni, m, n_m, &map, src);
  rc_fold_release_inputs(m, n_m);
  if (s != REPCONV_OK) rc_affine_free(&map);
  return s;
}

static int count_convs(const rc_graph* g) {
  int k = 0;
  for (int32_t i = 0; i < g->n_nodes; i++) k += g->nodes[i].op == RC_OP_CONV2D;
  return k;
}

rc_status rc_fold_graph(const rc_graph* in, const rc_fold_options* options, rc_graph* out, rc_fold_report* report) {
  ctx c;
  memset(&c, 0, sizeof(c));
  c.in = in;
  c.out = out;
  c.rep = report;
  c.opt.max_kernel = options && options->max_kernel > 0 ? options->max_kernel : RC_FOLD_DEFAULT_MAX_KERNEL;
  c.opt.bn_only = options && options->bn_only;
  c.opt.limits = options ? options->limits : NULL;
  if (report) memset(report, 0, sizeof(*report));
  rc_graph_init(out);
  out->limits = in->limits;
  size_t nt = (size_t)in->n_tensors + 1;
  c.st = calloc(nt, sizeof(tstate));
  c.consumers = calloc(nt, sizeof(int32_t));
  c.const_id = malloc(nt * sizeof(int32_t));
  int32_t* order = malloc(((size_t)in->n_nodes + 1) * sizeof(int32_t));
  rc_status s = REPCONV_OK;
  if (!c.st || !c.consumers || !c.const_id || !order) s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "fold: out of memory");
  if (s == REPCONV_OK) s = rc_graph_topo_order(in, order);
  if (s == REPCONV_OK) {
    for (int32_t t = 0; t < in->n_tensors; t++) c.const_id[t] = -1;
    for (int32_t i = 0; i < in->n_nodes; i++) {
      for (int32_t k = 0; k < in->nodes[i].n_inputs; k++) {
        if (in->nodes[i].inputs[k] >= 0) c.consumers[in->nodes[i].inputs[k]]++;
      }
    }
    /* A graph output is one more reader that needs the tensor computed. */
    for (int32_t i = 0; i < in->n_outputs; i++) c.consumers[in->outputs[i]] += 2;
  }
  for (int32_t i = 0; s == REPCONV_OK && i < in->n_inputs; i++) {
    const rc_tensor* t = &in->tensors[in->inputs[i]];
    s = rc_graph_add_input(out, t->name, &t->shape, &c.st[in->inputs[i]].id);
    c.st[in->inputs[i]].kind = ST_OPAQUE;
  }
  for (int32_t i = 0; s == REPCONV_OK && i < in->n_nodes; i++) s = fold_node(&c, order[i]);
  for (int32_t i = 0; s == REPCONV_OK && i < in->n_outputs; i++) {
    int32_t t = in->outputs[i], id;
    s = rc_fold_get_opaque(&c, t, &id);
    if (s == REPCONV_OK && strcmp(out->tensors[id].name, in->tensors[t].name) != 0) {
      /* The output folded away into a copy of another tensor: keep its name. */
      char nm[RC_MAX_NAME + 16];
      snprintf(nm, sizeof(nm), "%s.identity", in->tensors[t].name);
      s = rc_graph_add_node(out, RC_OP_IDENTITY, nm, &id, 1, NULL, in->tensors[t].name, &id);
    }
    if (s == REPCONV_OK) s = rc_graph_add_output(out, id);
  }
  if (s == REPCONV_OK && report) {
    report->nodes_before = in->n_nodes;
    report->nodes_after = out->n_nodes;
    report->convs_before = count_convs(in);
    report->convs_after = count_convs(out);
    for (int32_t i = 0; i < in->n_nodes; i++) {
      report->flops_before = rc_sat_add_i64(report->flops_before, rc_node_flops(in, &in->nodes[i]));
      report->params_before += rc_node_params(in, &in->nodes[i]);
    }
  }
  for (size_t t = 0; c.st && t < nt; t++) rc_fold_free_state(&c.st[t]);
  free(c.st);
  free(c.consumers);
  free(c.const_id);
  free(order);
  if (s != REPCONV_OK) {
    if (report) rc_fold_report_free(report);
    rc_graph_free(out);
  }
  return s;
}

void rc_fold_report_free(rc_fold_report* r) {
  if (!r) return;
  for (int32_t i = 0; i < r->n_regions; i++) free(r->regions[i].output);
  free(r->regions);
  memset(r, 0, sizeof(*r));
}

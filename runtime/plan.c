#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "checked.h"

void rc_shape_dims4(const rc_shape* s, int64_t dims[4]) {
  for (int i = 0; i < 4; i++) dims[i] = i < s->ndim ? s->d[i] : 1;
}

void rc_storage_strides(const rc_shape* s, int channels_last, int64_t st[RC_MAX_DIMS]) {
  int64_t d[4];
  rc_shape_dims4(s, d);
  if (channels_last) {
    st[1] = 1;
    st[3] = d[1];
    st[2] = d[3] * d[1];
    st[0] = d[2] * d[3] * d[1];
  } else {
    int64_t acc = 1;
    for (int i = s->ndim - 1; i >= 0; i--) {
      st[i] = acc;
      acc *= s->d[i];
    }
    for (int i = s->ndim; i < 4; i++) st[i] = 0;
  }
}

typedef struct lifetime {
  int32_t tensor;
  int32_t first, last; /* positions in the order; inputs first = -1 */
  size_t size;         /* floats, aligned */
} lifetime;

static int by_size_desc(const void* a, const void* b) {
  const lifetime* x = a;
  const lifetime* y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->tensor - y->tensor; /* stable, deterministic */
}

static int by_offset(const void* a, const void* b) {
  size_t x = *(const size_t*)a, y = *(const size_t*)b;
  return x < y ? -1 : x > y;
}

rc_status rc_plan_create(const rc_graph* g, int backend, rc_plan* p) {
  memset(p, 0, sizeof(*p));
  p->backend = backend;
  p->order = malloc(((size_t)g->n_nodes + 1) * sizeof(int32_t));
  p->offset = malloc(((size_t)g->n_tensors + 1) * sizeof(size_t));
  lifetime* lt = calloc((size_t)g->n_tensors + 1, sizeof(lifetime));
  int32_t* pos = malloc(((size_t)g->n_tensors + 1) * sizeof(int32_t));
  size_t* busy = malloc(((size_t)g->n_tensors + 1) * 2 * sizeof(size_t));
  rc_status s = REPCONV_OK;
  if (!p->order || !p->offset || !lt || !pos || !busy) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    goto done;
  }
  p->n_order = g->n_nodes;
  s = rc_graph_topo_order(g, p->order);
  if (s != REPCONV_OK) goto done;

  /* Lifetimes. pos[t] = index into lt, or -1 for constants. */
  int32_t n_lt = 0;
  for (int32_t t = 0; t < g->n_tensors; t++) {
    p->offset[t] = RC_NO_OFFSET;
    pos[t] = -1;
    const rc_tensor* tt = &g->tensors[t];
    if (tt->kind == RC_TENSOR_CONST) continue;
    size_t floats;
    if (rc_align_size((size_t)rc_shape_numel(&tt->shape), RC_ARENA_ALIGN_FLOATS, &floats)) {
      s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: tensor '%s' too large", tt->name);
      goto done;
    }
    lt[n_lt] = (lifetime){t, tt->kind == RC_TENSOR_INPUT ? -1 : g->n_nodes, -1, floats};
    pos[t] = n_lt++;
  }
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const rc_node* n = &g->nodes[p->order[i]];
    lifetime* o = &lt[pos[n->output]];
    if (i < o->first) o->first = i;
    if (i > o->last) o->last = i;
    for (int32_t k = 0; k < n->n_inputs; k++) {
      int32_t t = n->inputs[k];
      if (t >= 0 && pos[t] >= 0 && lt[pos[t]].last < i) lt[pos[t]].last = i;
    }
  }
  for (int32_t i = 0; i < g->n_outputs; i++) lt[pos[g->outputs[i]]].last = g->n_nodes;
  /* A tensor nobody reads (an unused input, a dead value) still gets room so
   * its producer can write it. */
  for (int32_t i = 0; i < n_lt; i++) {
    if (lt[i].last < lt[i].first) lt[i].last = lt[i].first;
  }

  qsort(lt, (size_t)n_lt, sizeof(lifetime), by_size_desc);
  size_t total = 0;
  for (int32_t i = 0; i < n_lt; i++) {
    /* Collect [offset, end) of placed tensors alive at the same time, then
     * take the lowest gap that fits. */
    int32_t nb = 0;
    for (int32_t j = 0; j < i; j++) {
      if (lt[j].first <= lt[i].last && lt[i].first <= lt[j].last) {
        busy[2 * nb] = p->offset[lt[j].tensor];
        busy[2 * nb + 1] = lt[j].size;
        nb++;
      }
    }
    qsort(busy, (size_t)nb, 2 * sizeof(size_t), by_offset);
    size_t at = 0;
    for (int32_t j = 0; j < nb; j++) {
      if (busy[2 * j] >= at + lt[i].size) break;
      size_t end = busy[2 * j] + busy[2 * j + 1];
      if (end > at) at = end;
    }
    p->offset[lt[i].tensor] = at;
    if (at + lt[i].size > total) total = at + lt[i].size;
  }
  p->arena_floats = total;

done:
  free(lt);
  free(pos);
  free(busy);
  if (s != REPCONV_OK) rc_plan_free(p);
  return s;
}

void rc_plan_free(rc_plan* p) {
  free(p->order);
  free(p->offset);
  memset(p, 0, sizeof(*p));
}

/* The activation arena: tensor lifetimes over the execution order and their
 * placement at float offsets, so that tensors alive at the same time never
 * share memory (the contract is in plan.h). */
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/plan/planner.h"

typedef struct rc_lifetime {
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

/* Overlap queries over lifetimes: the lifetimes sorted by first position
 * are the leaves of a tree holding, per subtree, the largest last position
 * of its placed lifetimes (INT32_MIN when none is placed). The placed
 * lifetimes overlapping [a, b] are those among the leaves with first <= b
 * (a prefix) whose last >= a: a descent that skips every subtree whose max
 * is below a finds them in O((k + 1) log n). */
typedef struct live_tree {
  int32_t* max;   /* [2 * leaves], node 1 the root, leaf r at leaves + r */
  int32_t* first; /* [n]: first positions, ascending (leaf order) */
  int32_t* leaf;  /* [n]: lifetime index → leaf */
  int32_t* owner; /* [n]: leaf → lifetime index */
  int32_t leaves;
} live_tree;

static void live_tree_free(live_tree* t) {
  free(t->max);
  free(t->first);
  free(t->leaf);
  free(t->owner);
}

/* lt[0..n): the lifetimes in placement order, first in [-1, positions]. */
static int live_tree_init(live_tree* t, const lifetime* lt, int32_t n, int32_t positions) {
  memset(t, 0, sizeof(*t));
  t->leaves = 1;
  while (t->leaves < n) t->leaves *= 2;
  t->max = malloc(2 * (size_t)t->leaves * sizeof(int32_t));
  t->first = malloc(((size_t)n + 1) * sizeof(int32_t));
  t->leaf = malloc(((size_t)n + 1) * sizeof(int32_t));
  t->owner = malloc(((size_t)n + 1) * sizeof(int32_t));
  int32_t* count = calloc((size_t)positions + 2, sizeof(int32_t));
  if (!t->max || !t->first || !t->leaf || !t->owner || !count) {
    free(count);
    live_tree_free(t);
    return 0;
  }
  for (size_t i = 0; i < 2 * (size_t)t->leaves; i++) t->max[i] = INT32_MIN;
  /* counting sort by first position */
  for (int32_t i = 0; i < n; i++) count[lt[i].first + 1]++;
  for (int32_t v = 0, sum = 0; v < positions + 2; v++) {
    int32_t c = count[v];
    count[v] = sum;
    sum += c;
  }
  for (int32_t i = 0; i < n; i++) {
    int32_t r = count[lt[i].first + 1]++;
    t->leaf[i] = r;
    t->owner[r] = i;
    t->first[r] = lt[i].first;
  }
  free(count);
  return 1;
}

static void live_tree_place(live_tree* t, int32_t i, int32_t last) {
  for (int32_t v = t->leaves + t->leaf[i]; v >= 1; v /= 2) {
    if (t->max[v] < last) t->max[v] = last;
  }
}

/* Writes to busy (pairs offset, size) the placed lifetimes overlapping
 * lifetime i; returns their number. */
static int32_t live_tree_overlaps(const live_tree* t, const lifetime* lt, const size_t* offset, int32_t n, int32_t i,
                                  size_t* busy) {
  int32_t lo = 0, hi = n; /* leaves [0, lo) have first <= lt[i].last */
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (t->first[mid] <= lt[i].last) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  const int32_t end = lo, a = lt[i].first;
  /* depth-first, left child first; the stack holds right children to visit
   * (node, its first leaf, its width): at most one per level */
  int32_t st_node[32], st_lo[32], st_w[32], sp = 0, nb = 0;
  int32_t node = 1, node_lo = 0, width = t->leaves;
  for (;;) {
    if (node_lo < end && t->max[node] >= a) {
      if (width == 1) {
        const lifetime* l = &lt[t->owner[node_lo]];
        busy[2 * nb] = offset[l->tensor];
        busy[2 * nb + 1] = l->size;
        nb++;
      } else {
        width /= 2;
        st_node[sp] = 2 * node + 1;
        st_lo[sp] = node_lo + width;
        st_w[sp++] = width;
        node = 2 * node;
        continue;
      }
    }
    if (sp == 0) break;
    sp--;
    node = st_node[sp];
    node_lo = st_lo[sp];
    width = st_w[sp];
  }
  return nb;
}

rc_status rc_arena_scratch_alloc(const rc_graph* g, rc_arena_scratch* a) {
  a->lt = calloc((size_t)g->n_tensors + 1, sizeof(lifetime));
  a->elided = calloc((size_t)g->n_tensors + 1, 1);
  a->pos = malloc(((size_t)g->n_tensors + 1) * sizeof(int32_t));
  a->busy = malloc(((size_t)g->n_tensors + 1) * 2 * sizeof(size_t));
  if (!a->lt || !a->elided || !a->pos || !a->busy) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
  return REPCONV_OK;
}

void rc_arena_scratch_free(rc_arena_scratch* a) {
  free(a->lt);
  free(a->elided);
  free(a->pos);
  free(a->busy);
  memset(a, 0, sizeof(*a));
}

rc_status rc_arena_place(const rc_graph* g, rc_plan* p, rc_arena_scratch* a) {
  lifetime* lt = a->lt;
  const uint8_t* elided = a->elided;
  int32_t* pos = a->pos;
  size_t* busy = a->busy;
  rc_status s = REPCONV_OK;
  /* Lifetimes. pos[t] = index into lt, or -1 for constants. */
  int32_t n_lt = 0;
  for (int32_t t = 0; t < g->n_tensors; t++) {
    p->offset[t] = RC_NO_OFFSET;
    pos[t] = -1;
    const rc_tensor* tt = &g->tensors[t];
    if (tt->kind == RC_TENSOR_CONST || elided[t]) continue;
    size_t floats;
    if (rc_align_size((size_t)rc_shape_numel(&tt->shape), RC_ARENA_ALIGN_FLOATS, &floats)) {
      s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: tensor '%s' too large", tt->name);
      goto done;
    }
    lt[n_lt] = (lifetime){t, tt->kind == RC_TENSOR_INPUT ? -1 : g->n_nodes, -1, floats};
    pos[t] = n_lt++;
  }
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const rc_step* st = &p->steps[i];
    if (st->kind == RC_KERNEL_FUSED) continue; /* its input is elided, its output written by the step before */
    if (st->chain_head >= 0 && st->chain_head != i) continue; /* run by its chain's head */
    const rc_node* n = &g->nodes[st->node];
    /* A chain's head writes the last member's output and reads its residual. */
    const rc_step* ls = st;
    while (ls->chain_next >= 0) ls = &p->steps[ls->chain_next];
    if (pos[ls->out] >= 0) { /* else an external output: the caller's memory */
      lifetime* o = &lt[pos[ls->out]];
      if (i < o->first) o->first = i;
      if (i > o->last) o->last = i;
    }
    for (int32_t k = 0; k < n->n_inputs; k++) {
      int32_t t = n->inputs[k];
      if (t >= 0 && pos[t] >= 0 && lt[pos[t]].last < i) lt[pos[t]].last = i;
    }
    if (ls->kind == RC_KERNEL_WINOGRAD && ls->wino_residual >= 0) { /* the fused add's other input */
      const int32_t t = ls->wino_residual;
      if (pos[t] >= 0 && lt[pos[t]].last < i) lt[pos[t]].last = i;
    }
  }
  for (int32_t i = 0; i < g->n_outputs; i++) {
    if (pos[g->outputs[i]] >= 0) lt[pos[g->outputs[i]]].last = g->n_nodes;
  }
  /* A tensor nobody reads (an unused input, a dead value) still gets room so
   * its producer can write it. */
  for (int32_t i = 0; i < n_lt; i++) {
    if (lt[i].last < lt[i].first) lt[i].last = lt[i].first;
  }

  qsort(lt, (size_t)n_lt, sizeof(lifetime), by_size_desc);
  live_tree tree;
  if (!live_tree_init(&tree, lt, n_lt, g->n_nodes)) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    goto done;
  }
  /* Overlaps examined in all: a graph where most tensors live at once (many
   * graph outputs) would make this quadratic; past the budget the remaining
   * tensors go on top of the arena, beside nothing. */
  const int64_t budget = 64 * (int64_t)n_lt + ((int64_t)1 << 22);
  int64_t examined = 0;
  size_t total = 0;
  for (int32_t i = 0; i < n_lt; i++) {
    /* Collect [offset, end) of placed tensors alive at the same time, then
     * take the lowest gap that fits. */
    size_t at = total;
    if (examined <= budget) {
      const int32_t nb = live_tree_overlaps(&tree, lt, p->offset, n_lt, i, busy);
      examined += nb;
      qsort(busy, (size_t)nb, 2 * sizeof(size_t), by_offset);
      at = 0;
      for (int32_t j = 0; j < nb; j++) {
        if (busy[2 * j] >= at + lt[i].size) break;
        size_t end = busy[2 * j] + busy[2 * j + 1];
        if (end > at) at = end;
      }
    }
    p->offset[lt[i].tensor] = at;
    live_tree_place(&tree, i, lt[i].last);
    if (at + lt[i].size > total) total = at + lt[i].size;
  }
  live_tree_free(&tree);
  p->arena_floats = total;

done:
  return s;
}

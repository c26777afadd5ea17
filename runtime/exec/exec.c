#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "runtime/exec/exec.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/gemm/gemm.h"
#include "kernels/ref/ref.h"
#include "kernels/winograd/wino.h"
#include "kernels/xnnpack/xnn.h"
#include "runtime/eval/eval.h"
#include "runtime/plan/lower.h"

static float* act(const rc_graph* g, const rc_plan* p, float* arena, int32_t t) {
  (void)g;
  return arena + p->offset[t];
}

/* Input k of node n: arena activation or constant data; NULL if absent. */
static const float* input(const rc_graph* g, const rc_plan* p, float* arena, const rc_node* n, int k) {
  if (k >= n->n_inputs || n->inputs[k] < 0) return NULL;
  const rc_tensor* t = &g->tensors[n->inputs[k]];
  return t->kind == RC_TENSOR_CONST ? t->data : arena + p->offset[n->inputs[k]];
}

static const rc_shape* shape(const rc_graph* g, const rc_node* n, int k) { return &g->tensors[n->inputs[k]].shape; }

static int is_const_input(const rc_graph* g, const rc_node* n, int k) {
  return k < n->n_inputs && n->inputs[k] >= 0 && g->tensors[n->inputs[k]].kind == RC_TENSOR_CONST;
}

/* Node n on the reference kernels (runtime/eval), its output written to y. */
static rc_status run_node_to(const rc_graph* g, const rc_plan* p, float* arena, const rc_node* n, float* y,
                             rc_pool* pool) {
  enum { SMALL = 16 };
  const float* small[SMALL] = {NULL}; /* set for -Wmaybe-uninitialized: a node has an input */
  const float** in = n->n_inputs <= SMALL ? small : malloc((size_t)n->n_inputs * sizeof(*in));
  if (!in) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "node '%s': out of memory", n->name);
  for (int32_t k = 0; k < n->n_inputs; k++) in[k] = input(g, p, arena, n, k);
  rc_status s = rc_eval_node_pool(g, n, in, y, pool);
  if (in != small) free(in);
  return s;
}

static rc_status run_node(const rc_graph* g, const rc_plan* p, float* arena, const rc_node* n, rc_pool* pool) {
  return run_node_to(g, p, arena, n, act(g, p, arena, n->output), pool);
}

/* The binding of graph input t under external_inputs (no arena slot). */
static const rc_binding* input_binding(const rc_graph* g, int32_t t, const rc_binding* inputs) {
  for (int32_t k = 0; inputs && k < g->n_inputs; k++) {
    if (g->inputs[k] == t) return &inputs[k];
  }
  return NULL;
}

/* A Winograd step's residual: its arena slot, or an external input's binding. */
static void set_residual(const rc_graph* g, const rc_plan* p, float* arena, int32_t t, const rc_binding* inputs,
                         rc_wino_conv_params* wp) {
  if (t < 0) return;
  if (p->offset[t] == RC_NO_OFFSET) {
    wp->residual_load = input_binding(g, t, inputs);
  } else {
    wp->residual = act(g, p, arena, t);
  }
}

static void run_winograd(const rc_graph* g, const rc_plan* p, const rc_step* sp, void* ws, float* arena, rc_pool* pool,
                         const rc_binding* inputs, const rc_binding* outputs) {
  const rc_node* n = &g->nodes[sp->node];
  rc_wino_conv_params wp = rc_plan_wino_step_params(g, sp);
  set_residual(g, p, arena, sp->wino_residual, inputs, &wp);
  const float* x = NULL;
  if (sp->in_external >= 0) {
    wp.load = &inputs[sp->in_external]; /* rc_exec_run_io checked that it is there */
  } else {
    x = input(g, p, arena, n, 0);
  }
  float* y = NULL;
  if (sp->out_external >= 0) {
    wp.store = &outputs[sp->out_external];
  } else {
    y = arena + p->offset[sp->out];
  }
  wp.ws_slice_bytes = p->wino_workspace_bytes; /* the slices the session allocated: the same lines every step */
  rc_wino_conv2d_nhwc(&wp, x, sp->wino_u, sp->wino_bias, y, ws, sp->wino_threads ? pool : NULL);
}

/* The chain headed by step i: every member, from the head's input to the
 * last member's output (and residual). */
static rc_status run_wino_chain(const rc_graph* g, const rc_plan* p, int32_t i, void* ws, float* arena, rc_pool* pool,
                                const rc_binding* inputs, const rc_binding* outputs) {
  rc_wino_chain_layer layers[RC_WINO_CHAIN_MAX];
  const size_t n = rc_plan_wino_chain(g, p, i, layers);
  const rc_step* ls = &p->steps[i];
  while (ls->chain_next >= 0) ls = &p->steps[ls->chain_next];
  set_residual(g, p, arena, ls->wino_residual, inputs, &layers[n - 1].p);
  const float* x = NULL;
  const int32_t in_ext = p->steps[i].in_external;
  if (in_ext >= 0) {
    layers[0].p.load = &inputs[in_ext]; /* rc_exec_run_io checked that it is there */
  } else {
    x = input(g, p, arena, &g->nodes[p->steps[i].node], 0);
  }
  float* y = NULL;
  if (ls->out_external >= 0) {
    layers[n - 1].p.store = &outputs[ls->out_external];
  } else {
    y = arena + p->offset[ls->out];
  }
  const rc_node* head = &g->nodes[p->steps[i].node];
  if (rc_wino_chain_nhwc(layers, n, x, y, ws, pool) != 0) {
    return rc_error(REPCONV_ERROR_INTERNAL, "node '%s': the Winograd chain of %zu layers did not run", head->name, n);
  }
  return REPCONV_OK;
}

/* A conv or FC on kernels/gemm with the plan's packed constants. */
static void run_gemm(const rc_graph* g, const rc_plan* p, const rc_step* sp, void* ws, float* arena, rc_pool* pool) {
  const rc_node* n = &g->nodes[sp->node];
  rc_gemm_conv_params gp = rc_lower_gemm_params(g, n);
  gp.packed_half = sp->gemm_w_half;
  gp.activation = (rc_gemm_activation)sp->gemm_act;
  gp.act_min = sp->out_min;
  gp.act_max = sp->out_max;
  rc_gemm_conv2d_nhwc(&gp, input(g, p, arena, n, 0), sp->gemm_w, sp->gemm_bias, sp->gemm_slopes,
                      arena + p->offset[sp->out], ws, sp->gemm_threads ? pool : NULL);
}

/* A copy of constant data with XNNPACK's over-read margin after it. */
static const float* padded_const(rc_exec_state* st, const float* data, size_t n) {
  float* b = malloc(n * sizeof(float) + RC_XNN_EXTRA_BYTES);
  if (!b) return NULL;
  memcpy(b, data, n * sizeof(float));
  memset((char*)b + n * sizeof(float), 0, RC_XNN_EXTRA_BYTES);
  st->bufs[st->n_bufs++] = b;
  return b;
}

static rc_status create_op(const rc_graph* g, const rc_plan* p, const rc_step* sp, float* arena, rc_pool* pool,
                           rc_exec_state* st, xnn_operator_t* op) {
  const rc_node* n = &g->nodes[sp->node];
  const rc_shape* xs = shape(g, n, 0);
  const rc_shape* ys = &g->tensors[n->output].shape;
  const float* x = input(g, p, arena, n, 0);
  float* y = arena + p->offset[sp->out];
  const rc_attrs* a = &n->a;
  const size_t numel = (size_t)rc_shape_numel(ys);
  switch (n->op) {
    case RC_OP_CONV2D: {
      rc_conv2d_params cp = rc_eval_conv_params(g, n);
      return rc_xnn_conv2d_create(&cp, a->pad[2], a->pad[3], input(g, p, arena, n, 1), input(g, p, arena, n, 2),
                                  sp->crd_block, sp->out_min, sp->out_max, x, y, pool, op);
    }
    case RC_OP_GEMM:
      return rc_xnn_fully_connected_create((size_t)xs->d[0], (size_t)xs->d[1], (size_t)ys->d[1],
                                           input(g, p, arena, n, 1), input(g, p, arena, n, 2), sp->out_min, sp->out_max,
                                           x, y, pool, op);
    case RC_OP_AVGPOOL:
    case RC_OP_MAXPOOL: {
      rc_pool_params pp = rc_eval_pool_params(g, n);
      pp.pad_bottom = sp->pool_pad_bottom;
      pp.pad_right = sp->pool_pad_right;
      return n->op == RC_OP_AVGPOOL ? rc_xnn_avgpool_create(&pp, sp->out_min, sp->out_max, x, y, pool, op)
                                    : rc_xnn_maxpool_create(&pp, sp->out_min, sp->out_max, x, y, pool, op);
    }
    case RC_OP_GLOBAL_AVGPOOL:
      return rc_xnn_global_avgpool_create((size_t)xs->d[0], (size_t)(xs->d[2] * xs->d[3]), (size_t)xs->d[1], x, y, pool,
                                          op);
    case RC_OP_PRELU: {
      size_t c = (size_t)xs->d[1];
      return rc_xnn_prelu_create(numel / c, c, input(g, p, arena, n, 1), (size_t)rc_shape_numel(shape(g, n, 1)), x, y,
                                 pool, op);
    }
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV: {
      size_t sa[4], sb[4];
      if (!rc_binary_physical_shape(g, n, 0, sa) || !rc_binary_physical_shape(g, n, 1, sb)) break;
      const float* ops[2];
      for (int k = 0; k < 2; k++) {
        ops[k] = input(g, p, arena, n, k);
        if (is_const_input(g, n, k)) {
          ops[k] = padded_const(st, ops[k], (size_t)rc_shape_numel(shape(g, n, k)));
          if (!ops[k]) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "out of memory");
        }
      }
      static const rc_binary_kind kinds[] = {RC_BINARY_ADD, RC_BINARY_SUB, RC_BINARY_MUL, RC_BINARY_DIV};
      return rc_xnn_binary_create(kinds[n->op - RC_OP_ADD], 4, sa, 4, sb, ops[0], ops[1], y, sp->out_min, sp->out_max,
                                  pool, op);
    }
    case RC_OP_RELU: return rc_xnn_clamp_create(1, numel, 0.0f, INFINITY, x, y, pool, op);
    case RC_OP_CLIP: return rc_xnn_clamp_create(1, numel, a->min, a->max, x, y, pool, op);
    case RC_OP_RESIZE: {
      const rc_resize_params rp = rc_eval_resize_params(g, n);
      return rc_xnn_resize_bilinear_create((size_t)rp.batch, (size_t)rp.in_h, (size_t)rp.in_w, (size_t)rp.channels,
                                           (size_t)rp.out_h, (size_t)rp.out_w, rp.coord, x, y, pool, op);
    }
    case RC_OP_DEPTH_TO_SPACE:
      return rc_xnn_depth_to_space_dcr_create((size_t)xs->d[0], (size_t)xs->d[2], (size_t)xs->d[3], (size_t)xs->d[1],
                                              (uint32_t)a->block, x, y, pool, op);
    default: break;
  }
  return rc_error(REPCONV_ERROR_INTERNAL, "no XNNPACK kernel for op %s", rc_op_name(n->op));
}

uint64_t rc_exec_workspace_bytes(const rc_plan* p, size_t threads) {
  /* One slice per pool thread (kernels/winograd/wino.h, kernels/gemm/gemm.h). */
  return ((uint64_t)p->wino_workspace_bytes + p->gemm_workspace_bytes) * (threads ? threads : 1);
}

rc_status rc_exec_prepare(const rc_graph* g, const rc_plan* p, float* arena, rc_pool* pool, rc_exec_state* st) {
  memset(st, 0, sizeof(*st));
  if (p->wino_workspace_bytes) {
    /* One slice per pool thread (kernels/winograd/wino.h). */
    const size_t threads = rc_pool_threads(pool);
    const size_t bytes = p->wino_workspace_bytes * (threads ? threads : 1);
    st->wino_ws = malloc(bytes);
    if (!st->wino_ws) {
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: cannot allocate the %zu-byte Winograd workspace", bytes);
    }
  }
  if (p->gemm_workspace_bytes) {
    /* One slice per pool thread (kernels/gemm/gemm.h). */
    const size_t threads = rc_pool_threads(pool);
    const size_t bytes = p->gemm_workspace_bytes * (threads ? threads : 1);
    st->gemm_ws = malloc(bytes);
    if (!st->gemm_ws) {
      rc_exec_release(st);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: cannot allocate the %zu-byte GEMM workspace", bytes);
    }
  }
  int32_t n_xnn = 0;
  for (int32_t i = 0; i < p->n_order; i++) n_xnn += p->steps[i].kind == RC_KERNEL_XNNPACK;
  if (n_xnn == 0) return REPCONV_OK;
  rc_status si = rc_xnn_init();
  if (si != REPCONV_OK) {
    rc_exec_release(st);
    return si;
  }
  st->ops = calloc((size_t)p->n_order, sizeof(void*));
  st->bufs = calloc((size_t)p->n_order * 2, sizeof(float*));
  st->n_steps = p->n_order;
  if (!st->ops || !st->bufs) {
    rc_exec_release(st);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: out of memory for XNNPACK operators");
  }
  for (int32_t i = 0; i < p->n_order; i++) {
    const rc_step* sp = &p->steps[i];
    if (sp->kind != RC_KERNEL_XNNPACK) continue;
    xnn_operator_t op = NULL;
    rc_status s = create_op(g, p, sp, arena, pool, st, &op);
    if (s != REPCONV_OK) {
      rc_exec_release(st);
      return rc_error_context(s, "node '%s' (%s)", g->nodes[sp->node].name, sp->kernel);
    }
    st->ops[i] = op;
  }
  return REPCONV_OK;
}

void rc_exec_release(rc_exec_state* st) {
  if (!st) return;
  for (int32_t i = 0; st->ops && i < st->n_steps; i++) rc_xnn_delete((xnn_operator_t)st->ops[i]);
  for (int32_t i = 0; i < st->n_bufs; i++) free(st->bufs[i]);
  free(st->ops);
  free(st->bufs);
  free(st->wino_ws);
  free(st->gemm_ws);
  memset(st, 0, sizeof(*st));
}

/* NaN semantics (repconv.h): NaN propagates through every op, as in PyTorch.
 * XNNPACK (Debian's 2022 snapshot) does not keep that: its output clamp,
 * max(acc, min) then min(acc, max), turns a NaN into the lower bound (0 for
 * a fused ReLU, -inf for a conv with no activation), its clamp operator does
 * the same, and its max pooling skips NaN. An XNNPACK step therefore checks
 * its activation inputs first and, if one could give a NaN, runs on the
 * reference kernels instead: NaN for the comparison ops (max pool, clamp),
 * NaN or ±inf for the arithmetic ones (inf - inf inside a conv or add is NaN).
 * Finite inputs run on XNNPACK at the price of that scan (bench: see the
 * commit). Not covered: a NaN made inside an XNNPACK conv/FC/add from finite
 * inputs whose sums overflow to ±inf. */
typedef struct nan_scan_ctx {
  const float* x;
  size_t n;
  uint32_t lim; /* |bits| ≥ lim: 0x7f800001 NaN, 0x7f800000 NaN or ±inf */
  atomic_int found;
} nan_scan_ctx;

enum { RC_NAN_SCAN_CHUNK = 1 << 14 };

static void nan_scan_chunk(void* arg, size_t chunk, size_t thread) {
  nan_scan_ctx* c = arg;
  const size_t lo = chunk * RC_NAN_SCAN_CHUNK, hi = lo + RC_NAN_SCAN_CHUNK < c->n ? lo + RC_NAN_SCAN_CHUNK : c->n;
  uint32_t any = 0; /* branch-free, so the loop vectorizes */
  for (size_t i = lo; i < hi; i++) {
    uint32_t u;
    memcpy(&u, &c->x[i], sizeof(u));
    any |= (u & 0x7fffffffu) >= c->lim;
  }
  if (any) atomic_store_explicit(&c->found, 1, memory_order_relaxed);
}

static int any_at_least(const float* x, size_t n, uint32_t lim, rc_pool* pool) {
  nan_scan_ctx c = {x, n, lim, 0};
  atomic_init(&c.found, 0);
  if (n) rc_pool_parallelize(pool, nan_scan_chunk, &c, (n + RC_NAN_SCAN_CHUNK - 1) / RC_NAN_SCAN_CHUNK);
  return atomic_load_explicit(&c.found, memory_order_relaxed);
}

static int xnn_input_may_lose_nan(const rc_graph* g, const rc_plan* p, float* arena, const rc_node* n, rc_pool* pool) {
  if (n->op == RC_OP_DEPTH_TO_SPACE || n->op == RC_OP_PRELU) return 0; /* a copy; a select on the sign */
  const int compare_only = n->op == RC_OP_MAXPOOL || n->op == RC_OP_RELU || n->op == RC_OP_CLIP;
  const uint32_t lim = compare_only ? 0x7f800001u : 0x7f800000u;
  for (int k = 0; k < n->n_inputs; k++) {
    if (n->inputs[k] < 0 || is_const_input(g, n, k)) continue; /* constants hold no NaN (checked at load) */
    const size_t len = (size_t)rc_shape_numel(shape(g, n, k));
    if (any_at_least(input(g, p, arena, n, k), len, lim, pool)) return 1;
  }
  return 0;
}

/* XNNPACK step sp on the reference kernels: the node, its fused clamp and
 * the CRD→DCR channel permutation of its output, as the XNNPACK operator
 * would have written them. */
static rc_status run_xnn_step_on_ref(const rc_graph* g, const rc_plan* p, const rc_step* sp, float* arena,
                                     rc_pool* pool) {
  const rc_node* n = &g->nodes[sp->node];
  const rc_shape* ys = &g->tensors[n->output].shape;
  const size_t numel = (size_t)rc_shape_numel(ys);
  float* y = act(g, p, arena, sp->out);
  float* tmp = sp->crd_block > 1 ? malloc(numel * sizeof(float) + 1) : NULL;
  if (sp->crd_block > 1 && !tmp) {
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "node '%s': out of memory for its NaN-propagating rerun", n->name);
  }
  rc_status s = run_node_to(g, p, arena, n, tmp ? tmp : y, pool);
  if (s == REPCONV_OK && tmp) { /* output channel o (DCR) is CRD channel (o % c)·r² + o / c */
    const size_t oc = (size_t)ys->d[1], r2 = (size_t)sp->crd_block * (size_t)sp->crd_block, c = oc / r2;
    for (size_t px = 0; px < numel / oc; px++) {
      for (size_t o = 0; o < oc; o++) y[px * oc + o] = tmp[px * oc + (o % c) * r2 + o / c];
    }
  }
  free(tmp);
  if (s == REPCONV_OK && sp->fused >= 0) rc_ref_clip(numel, sp->out_min, sp->out_max, y, y);
  return s;
}

/* Whether this run's XNNPACK steps must scan their inputs: only when a graph
 * input holds a NaN or ±inf, or the graph divides (x / 0 makes ±inf or NaN
 * from finite values). Otherwise every value is finite but for an overflow
 * inside a kernel, which the scan does not promise to catch either; skipping
 * the scans matters where XNNPACK runs many steps over large activations (an
 * unfolded SR model: 63 scans of 8.3M floats a frame, ~15% of its time). */
static int nan_scan_needed(const rc_graph* g, const rc_plan* p, float* arena, rc_pool* pool) {
  for (int32_t i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].op == RC_OP_DIV) return 1;
  }
  for (int32_t k = 0; k < g->n_inputs; k++) {
    const int32_t t = g->inputs[k];
    if (p->offset[t] == RC_NO_OFFSET) continue; /* external: only in plans without XNNPACK steps */
    if (any_at_least(act(g, p, arena, t), (size_t)rc_shape_numel(&g->tensors[t].shape), 0x7f800000u, pool)) return 1;
  }
  return 0;
}

static rc_status run_step(const rc_graph* g, const rc_plan* p, const rc_exec_state* st, float* arena, rc_pool* pool,
                          int32_t i, int nan_scan, const rc_binding* inputs, const rc_binding* outputs) {
  const rc_step* sp = &p->steps[i];
  const rc_node* n = &g->nodes[sp->node];
  switch (sp->kind) {
    case RC_KERNEL_FUSED: return REPCONV_OK;
    case RC_KERNEL_WINOGRAD:
      if (!st || !st->wino_ws) return rc_error(REPCONV_ERROR_INTERNAL, "node '%s': no Winograd workspace", n->name);
      if (sp->chain_head >= 0) { /* the head runs the whole chain */
        return sp->chain_head == i ? run_wino_chain(g, p, i, st->wino_ws, arena, pool, inputs, outputs) : REPCONV_OK;
      }
      run_winograd(g, p, sp, st->wino_ws, arena, pool, inputs, outputs);
      return REPCONV_OK;
    case RC_KERNEL_GEMM:
      if (p->gemm_workspace_bytes && (!st || !st->gemm_ws)) {
        return rc_error(REPCONV_ERROR_INTERNAL, "node '%s': no GEMM workspace", n->name);
      }
      run_gemm(g, p, sp, st ? st->gemm_ws : NULL, arena, pool);
      return REPCONV_OK;
    case RC_KERNEL_XNNPACK: {
      if (!st || !st->ops || !st->ops[i]) {
        return rc_error(REPCONV_ERROR_INTERNAL, "node '%s': XNNPACK operator not created", n->name);
      }
      if (nan_scan && xnn_input_may_lose_nan(g, p, arena, n, pool)) return run_xnn_step_on_ref(g, p, sp, arena, pool);
      /* XNNPACK runs on its own pthreadpool: the held rc_pool's idle
       * workers would spin (pinned, yielding) beside its workers for the
       * whole operator; released, they sleep after the brief spin, and the
       * hold wakes them again for the next step (docs/threads.md). */
      rc_pool_hold(pool, 0);
      rc_status s = rc_xnn_run((xnn_operator_t)st->ops[i], pool);
      rc_pool_hold(pool, 1);
      return s == REPCONV_OK ? s : rc_error_context(s, "node '%s'", n->name);
    }
    default: return run_node(g, p, arena, n, pool);
  }
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static rc_status run_steps(const rc_graph* g, const rc_plan* p, const rc_exec_state* st, float* arena, rc_pool* pool,
                           const rc_binding* inputs, const rc_binding* outputs, double* step_ms) {
  rc_pool_hold(pool, 1); /* the run's jobs come back to back: workers stay awake until its end */
  const int nan_scan = st && st->ops && nan_scan_needed(g, p, arena, pool);
  rc_status s = REPCONV_OK;
  for (int32_t i = 0; i < p->n_order && s == REPCONV_OK; i++) {
    double t0 = step_ms ? now_ms() : 0.0;
    s = run_step(g, p, st, arena, pool, i, nan_scan, inputs, outputs);
    if (step_ms) step_ms[i] = now_ms() - t0;
  }
  rc_pool_hold(pool, 0);
  return s;
}

rc_status rc_exec_run(const rc_graph* g, const rc_plan* p, const rc_exec_state* st, float* arena, rc_pool* pool,
                      double* step_ms) {
  if (p->external_outputs || p->external_inputs) return rc_exec_run_io(g, p, st, arena, pool, NULL, NULL, step_ms);
  return run_steps(g, p, st, arena, pool, NULL, NULL, step_ms);
}

/* Output k is stored by its Winograd step (under external_outputs). */
static int stored_by_step(const rc_plan* p, int32_t k) {
  for (int32_t i = 0; i < p->n_order; i++) {
    if (p->steps[i].out_external == k) return 1;
  }
  return 0;
}

rc_status rc_exec_run_io(const rc_graph* g, const rc_plan* p, const rc_exec_state* st, float* arena, rc_pool* pool,
                         const rc_binding* inputs, const rc_binding* outputs, double* step_ms) {
  for (int32_t k = 0; k < g->n_inputs; k++) {
    if (p->offset[g->inputs[k]] == RC_NO_OFFSET && (!inputs || !inputs[k].base)) {
      return rc_error(REPCONV_ERROR_INTERNAL,
                      "input '%s': no binding to read it from (the plan keeps it out of the arena)",
                      g->tensors[g->inputs[k]].name);
    }
  }
  for (int32_t k = 0; k < g->n_outputs; k++) {
    if ((!outputs || !outputs[k].base) && p->external_outputs && stored_by_step(p, k)) {
      return rc_error(REPCONV_ERROR_INTERNAL,
                      "output '%s': no binding to store it into (the plan keeps it out of "
                      "the arena)",
                      g->tensors[g->outputs[k]].name);
    }
  }
  RC_CHECK(run_steps(g, p, st, arena, pool, inputs, outputs, step_ms));
  for (int32_t k = 0; outputs && k < g->n_outputs; k++) {
    const int32_t t = g->outputs[k];
    if (!outputs[k].base || p->offset[t] == RC_NO_OFFSET) continue; /* left in the arena; stored by its step */
    rc_exec_convert_tensor(g, p, arena, t, &outputs[k], 0, pool);
  }
  return REPCONV_OK;
}

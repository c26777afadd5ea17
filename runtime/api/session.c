/* Public API: sessions: the arena, the pool and the kernels' state of one
 * runner of a model; run, plan dump, profiling. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/api/handles.h"
#include "runtime/api/session_impl.h"
#include "runtime/exec/exec.h"
#include "runtime/graph/layout.h"
#include "runtime/plan/step_bytes.h"

repconv_status rc_session_fail(repconv_session_t* s, rc_status code) {
  snprintf(s->error, sizeof(s->error), "%s", rc_error_message());
  return code;
}

static void sized_free(rc_sized* z) {
  rc_exec_release(&z->xnn);
  free(z->arena);
  if (z->plan == &z->own_plan) rc_plan_free(&z->own_plan);
  if (z->g == &z->view) rc_graph_free(&z->view);
  free(z->in);
  memset(z, 0, sizeof(*z));
}

static uint64_t sized_total(const repconv_session_t* s) {
  uint64_t b = 0;
  for (int i = 0; i < s->n_sized; i++) b += s->sized[i].bytes;
  return b;
}

/* Drops entry i (its slot is taken by the last one). */
static void sized_drop(repconv_session_t* s, int i) {
  sized_free(&s->sized[i]);
  if (i != s->n_sized - 1) {
    s->sized[i] = s->sized[s->n_sized - 1];
    /* The moved entry's g may point at its own view: fix the pointers. */
    rc_sized* z = &s->sized[i];
    if (z->g == &s->sized[s->n_sized - 1].view) z->g = &z->view;
    if (z->plan == &s->sized[s->n_sized - 1].own_plan) z->plan = &z->own_plan;
    if (s->cur == &s->sized[s->n_sized - 1]) s->cur = z;
    memset(&s->sized[s->n_sized - 1], 0, sizeof(rc_sized));
  }
  s->n_sized--;
}

/* Plans the model at shapes (the model's own plan when they are its
 * load-time shapes and the options match), with an arena and kernel state,
 * evicting the least recently used sizes to make room. */
static rc_status sized_add(repconv_session_t* s, const rc_shape* shapes, int external, rc_sized** out) {
  const repconv_model_t* m = s->model;
  const rc_graph* mg = &m->g;
  rc_sized z;
  memset(&z, 0, sizeof(z));
  z.in = malloc(((size_t)mg->n_inputs + 1) * sizeof(rc_shape));
  if (!z.in) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: out of memory");
  memcpy(z.in, shapes, (size_t)mg->n_inputs * sizeof(rc_shape));
  int load_shapes = m->has_plan;
  for (int32_t i = 0; load_shapes && i < mg->n_inputs; i++) {
    load_shapes = rc_shape_equal(&mg->tensors[mg->inputs[i]].shape, &shapes[i]);
  }
  rc_status st = REPCONV_OK;
  if (load_shapes) {
    z.g = mg;
  } else {
    st = rc_model_view_at(m, shapes, &z.view);
    z.g = &z.view;
  }
  rc_plan_options po_ext = s->po;
  po_ext.external_outputs = external;
  po_ext.external_inputs = external;
  /* Other sizes and the frame API's plans point at the model plan's
   * transformed and packed weights where their kernels match (the model
   * outlives its sessions' plans). */
  po_ext.share = m->has_plan ? &m->plan : NULL;
  const rc_plan_options* po = &po_ext;
  z.external = external;
  if (st == REPCONV_OK && load_shapes && external == m->plan.external_outputs && po->backend == m->plan.backend &&
      po->winograd == m->plan.winograd && (po->autotune && po->winograd == REPCONV_WINOGRAD_AUTO) == m->plan.autotune &&
      (po->chains != 0) == m->plan.chains && (po->weights_fp16 != 0) == m->plan.weights_fp16) {
    z.plan = &m->plan;
  } else if (st == REPCONV_OK) {
    st = rc_plan_create(z.g, po, &z.own_plan);
    if (st == REPCONV_OK) z.plan = &z.own_plan;
  }
  if (st != REPCONV_OK) {
    if (z.g == &z.view) rc_graph_free(&z.view);
    free(z.in);
    return st;
  }
  /* XNNPACK may read XNN_EXTRA_BYTES past the end of a tensor. */
  size_t bytes = (z.plan->arena_floats ? z.plan->arena_floats : RC_ARENA_ALIGN_FLOATS) * sizeof(float) + 64;
  z.bytes = (uint64_t)bytes + rc_exec_workspace_bytes(z.plan, s->threads > 1 ? (size_t)s->threads : 1);
  if (rc_limit_exceeded(&s->limits, REPCONV_LIMIT_ARENA_BYTES, z.bytes)) {
    if (z.plan == &z.own_plan) rc_plan_free(&z.own_plan);
    if (z.g == &z.view) rc_graph_free(&z.view);
    free(z.in);
    return rc_limit_error(&s->limits, REPCONV_LIMIT_ARENA_BYTES, z.bytes,
                          "session: the activation arena and kernel workspaces");
  }
  while (s->n_sized > 0 && (s->n_sized == RC_SESSION_PLANS ||
                            rc_limit_exceeded(&s->limits, REPCONV_LIMIT_ARENA_BYTES, sized_total(s) + z.bytes))) {
    int lru = 0;
    for (int i = 1; i < s->n_sized; i++) {
      if (s->sized[i].used < s->sized[lru].used) lru = i;
    }
    if (s->cur == &s->sized[lru]) s->cur = NULL;
    sized_drop(s, lru);
  }
  rc_sized* e = &s->sized[s->n_sized++];
  *e = z;
  if (e->g == &z.view) e->g = &e->view;
  if (e->plan == &z.own_plan) e->plan = &e->own_plan;
  e->arena = aligned_alloc(64, bytes);
  if (!e->arena) {
    sized_drop(s, s->n_sized - 1);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: cannot allocate the %zu-byte activation arena", bytes);
  }
  /* Not zeroed: every step writes its output before anything reads it, so a
   * large arena costs no page faults until used (Debug builds fill it with
   * NaN, so a read before a write shows in the outputs). XNNPACK's read-past
   * tail is zeroed. */
#ifndef NDEBUG
  for (size_t q = 0; q < (bytes - 64) / sizeof(float); q++) e->arena[q] = __builtin_nanf("");
#endif
  memset((char*)e->arena + bytes - 64, 0, 64);
  st = rc_exec_prepare(e->g, e->plan, e->arena, s->pool, &e->xnn);
  if (st != REPCONV_OK) {
    sized_drop(s, s->n_sized - 1);
    return rc_error_context(st, "session");
  }
  e->used = s->runs;
  *out = e;
  return REPCONV_OK;
}

rc_status rc_session_sized_get(repconv_session_t* s, int external, rc_sized** out) {
  const int32_t n = s->model->g.n_inputs;
  for (int k = -1; k < s->n_sized; k++) {
    rc_sized* z = k < 0 ? s->cur : &s->sized[k];
    if (!z || z->external != external) continue;
    int same = 1;
    for (int32_t i = 0; same && i < n; i++) same = rc_shape_equal(&z->in[i], &s->want[i]);
    if (same) {
      *out = z;
      return REPCONV_OK;
    }
  }
  return sized_add(s, s->want, external, out);
}

repconv_status repconv_session_create(const repconv_model_t* model, const repconv_options_t* options,
                                      repconv_session_t** out) {
  if (!model || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_create: NULL argument");
  *out = NULL;
  struct repconv_options o = rc_options_or_default(options);
  if (!options) {
    o.backend = (repconv_backend)model->plan.backend;
    o.winograd = model->plan.winograd;
    o.autotune = model->plan.autotune;
    o.chains = model->plan.chains;
    o.weights_fp16 = model->plan.weights_fp16;
  }
  if (!options) o.limits = model->limits;
  repconv_session_t* s = calloc(1, sizeof(*s));
  if (!s) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: out of memory");
  rc_model_retain(model);
  s->model = (repconv_model_t*)model;
  atomic_init(&s->busy, 0);
  s->po = (rc_plan_options){.backend = (int)o.backend,
                            .winograd = o.winograd,
                            .autotune = o.autotune,
                            .chains = o.chains,
                            .weights_fp16 = o.weights_fp16,
                            /* the model's, not o.threads: bitwise the same outputs at any thread count */
                            .threads = model->plan.threads};
  s->threads = o.threads;
  s->limits = o.limits;
  const rc_graph* g = &model->g;
  s->want = calloc((size_t)g->n_inputs + 1, sizeof(rc_shape));
  if (!s->want) {
    repconv_session_destroy(s);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: out of memory");
  }
  if (o.threads > 1) {
    s->pool = rc_pool_create_placed((size_t)o.threads, o.pin_threads);
    if (!s->pool) {
      repconv_session_destroy(s);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: cannot create a pool of %d threads", o.threads);
    }
  }
  /* The first size: the options' input shapes over the model's load-time
   * ones; a model with symbolic dims and no shape given plans at its first
   * run. */
  int known = 1;
  for (int32_t i = 0; i < g->n_inputs; i++) {
    const rc_tensor* t = &g->tensors[g->inputs[i]];
    s->want[i] = t->shape;
    int given = 0;
    for (size_t k = 0; k < o.n_shapes; k++) {
      if (o.shape_names[k][0] ? strcmp(o.shape_names[k], t->name) == 0 : i == 0) {
        given = o.shapes[k].ndim == t->shape.ndim;
        if (given) s->want[i] = o.shapes[k];
      }
    }
    if (t->dyn && !given) known = 0;
  }
  if (known) {
    rc_status st = sized_add(s, s->want, 1, &s->cur);
    if (st != REPCONV_OK) {
      repconv_session_destroy(s);
      return rc_error_context(st, "session");
    }
  }
  *out = s;
  return REPCONV_OK;
}

void repconv_session_destroy(repconv_session_t* session) {
  if (!session) return;
  while (session->n_sized > 0) sized_drop(session, session->n_sized - 1);
  rc_pool_destroy(session->pool);
  free(session->want);
  free(session->step_ms);
  rc_model_release(session->model);
  free(session);
}

int rc_session_acquire(repconv_session_t* s, const char* what) {
  int expected = 0;
  if (atomic_compare_exchange_strong_explicit(&s->busy, &expected, 1, memory_order_acquire, memory_order_relaxed)) {
    return 1;
  }
  rc_error(REPCONV_ERROR_INVALID_ARGUMENT,
           "%s: the session is in use by another call (a session runs one call at a time: use one session per "
           "thread; sessions of one model may run in parallel)",
           what);
  return 0;
}

void rc_session_release(repconv_session_t* s) { atomic_store_explicit(&s->busy, 0, memory_order_release); }

size_t repconv_session_arena_bytes(const repconv_session_t* session) {
  return session && session->cur ? session->cur->plan->arena_floats * sizeof(float) : 0;
}

repconv_backend repconv_session_backend(const repconv_session_t* session) {
  return session ? (repconv_backend)session->po.backend : REPCONV_BACKEND_AUTO;
}

size_t repconv_session_num_plan_entries(const repconv_session_t* session) {
  return session && session->cur ? (size_t)session->cur->plan->n_order : 0;
}

repconv_status repconv_session_plan(const repconv_session_t* session, size_t index, repconv_plan_entry_t* out) {
  if (!session || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_plan: NULL argument");
  if (!session->cur) {
    return rc_error(REPCONV_ERROR_NOT_FOUND,
                    "the session has no plan yet (the model has symbolic input dims: it "
                    "plans at the first run)");
  }
  const rc_plan* p = session->cur->plan;
  if (index >= (size_t)p->n_order) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "the plan has %d entries, asked for %zu", p->n_order, index);
  }
  const rc_step* st = &p->steps[index];
  const rc_node* n = &session->model->g.nodes[st->node];
  static const char* backends[] = {"ref", "xnnpack", "fused", "winograd", "gemm"};
  memset(out, 0, sizeof(*out));
  out->node = n->name;
  out->op = rc_op_name(n->op);
  /* A chain member is computed by its chain's head, like a fused activation. */
  out->backend = st->chain_head >= 0 && st->chain_head != (int32_t)index ? "fused" : backends[st->kind];
  out->kernel = st->kernel;
  out->note = st->note;
  return REPCONV_OK;
}

static repconv_status set_profiling(repconv_session_t* session, int on);

repconv_status repconv_session_set_profiling(repconv_session_t* session, int on) {
  if (!session) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_set_profiling: NULL session");
  /* A run writes the timings: they must not be freed under it. */
  if (!rc_session_acquire(session, "session_set_profiling")) return REPCONV_ERROR_INVALID_ARGUMENT;
  repconv_status s = set_profiling(session, on);
  rc_session_release(session);
  return s;
}

static repconv_status set_profiling(repconv_session_t* session, int on) {
  if (!on) {
    free(session->step_ms);
    session->step_ms = NULL;
    return REPCONV_OK;
  }
  if (session->step_ms) return REPCONV_OK;
  session->step_ms = calloc((size_t)session->model->g.n_nodes + 1, sizeof(double));
  if (!session->step_ms) {
    rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session_set_profiling: out of memory");
    return rc_session_fail(session, REPCONV_ERROR_OUT_OF_MEMORY);
  }
  return REPCONV_OK;
}

repconv_status repconv_session_step_time(const repconv_session_t* session, size_t index, double* ms) {
  if (!session || !ms) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_step_time: NULL argument");
  if (index >= (size_t)session->model->g.n_nodes) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "the plan has %d entries, asked for %zu", session->model->g.n_nodes,
                    index);
  }
  *ms = session->step_ms ? session->step_ms[index] : 0.0;
  return REPCONV_OK;
}

repconv_status repconv_session_step_bytes(const repconv_session_t* session, size_t index, repconv_step_bytes_t* out) {
  if (!session || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_step_bytes: NULL argument");
  memset(out, 0, sizeof(*out));
  if (!session->cur) {
    return rc_error(REPCONV_ERROR_NOT_FOUND,
                    "the session has no plan yet (the model has symbolic input dims: it plans at the first run)");
  }
  const rc_plan* p = session->cur->plan;
  if (index >= (size_t)p->n_order) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "the plan has %d entries, asked for %zu", p->n_order, index);
  }
  /* The plan's own graph: at another size than the model's, a view with
   * that size's shapes. */
  rc_step_bytes b;
  rc_status st = rc_plan_step_bytes(session->cur->g, p, (int32_t)index, &b);
  if (st != REPCONV_OK) return st;
  out->weights = b.weights;
  out->channels = b.channels;
  out->inputs = b.inputs;
  out->outputs = b.outputs;
  out->rings = b.rings;
  out->layers = b.layers;
  return REPCONV_OK;
}

const char* repconv_session_error(const repconv_session_t* session) { return session ? session->error : ""; }

static const char* dims_str(int32_t ndim, const int64_t* dims, char* buf, size_t size) {
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = ndim < 0 ? 0 : (ndim > RC_MAX_DIMS ? RC_MAX_DIMS : ndim);
  for (int i = 0; i < s.ndim; i++) s.d[i] = dims[i];
  return rc_shape_str(&s, buf, size);
}

/* Index into ids[] of the graph tensor with that name, or -1. */
static int32_t find_io(const rc_graph* g, const int32_t* ids, int32_t n, const char* name) {
  for (int32_t i = 0; i < n; i++) {
    if (name && strcmp(g->tensors[ids[i]].name, name) == 0) return i;
  }
  return -1;
}

static rc_status check_dims(const char* what, const repconv_tensor_t* t, const rc_tensor* want) {
  char b1[96], b2[96];
  int ok = t->ndim == want->shape.ndim;
  for (int i = 0; ok && i < t->ndim; i++) ok = t->dims[i] == want->shape.d[i];
  if (!ok) {
    return rc_error(REPCONV_ERROR_SHAPE, "%s '%s': shape %s given, the model's is %s", what, want->name,
                    dims_str(t->ndim, t->dims, b1, sizeof(b1)), rc_shape_str(&want->shape, b2, sizeof(b2)));
  }
  if (!t->data) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s '%s': NULL data", what, want->name);
  return REPCONV_OK;
}

static repconv_status session_run(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs,
                                  repconv_tensor_t* outputs, size_t num_outputs);

repconv_status repconv_session_reshape(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs) {
  if (!session) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_reshape: NULL session");
  if (!rc_session_acquire(session, "session_reshape")) return REPCONV_ERROR_INVALID_ARGUMENT;
  session->error[0] = '\0';
  rc_sized* z = NULL;
  rc_status s = rc_model_match_inputs(session->model, "session_reshape", inputs, num_inputs, session->want);
  if (s == REPCONV_OK) s = rc_session_sized_get(session, 1, &z); /* the plan a run takes */
  if (s == REPCONV_OK) {
    session->cur = z;
    z->used = ++session->runs;
  }
  rc_session_release(session);
  return s == REPCONV_OK ? REPCONV_OK : rc_session_fail(session, s);
}

repconv_status repconv_session_run(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs,
                                   repconv_tensor_t* outputs, size_t num_outputs) {
  if (!session) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: NULL session");
  if (!rc_session_acquire(session, "session_run")) return REPCONV_ERROR_INVALID_ARGUMENT;
  if (session->run_hook) session->run_hook(session->run_hook_arg);
  repconv_status s = session_run(session, inputs, num_inputs, outputs, num_outputs);
  rc_session_release(session);
  return s;
}

/* The caller's float NCHW buffer of tensor t (logical N×C×H×W; a rank-2
 * N×C one is N×C×1×1) as a binding. */
static rc_binding nchw_binding(const rc_graph* g, int32_t t, void* data) {
  int64_t d[4];
  rc_shape_dims4(&g->tensors[t].shape, d);
  rc_binding b;
  memset(&b, 0, sizeof b);
  b.type = RC_ELEM_F32;
  b.base = data;
  b.pixel_stride = 1;
  b.row_stride = (ptrdiff_t)d[3];
  b.channel_stride = (ptrdiff_t)(d[2] * d[3]);
  b.image_stride = (ptrdiff_t)(d[1] * d[2] * d[3]);
  return b;
}

/* Bytes of the caller's buffer of t (its dims as given; checked later). */
static size_t tensor_bytes(const repconv_tensor_t* t) {
  size_t n = sizeof(float);
  for (int32_t i = 0; i < t->ndim && i < REPCONV_MAX_DIMS; i++) n *= t->dims[i] > 0 ? (size_t)t->dims[i] : 0;
  return n;
}

static int overlap(const void* a, size_t na, const void* b, size_t nb) {
  const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return x < y + nb && y < x + na;
}

/* The run may take the plan with external I/O (rc_session_sized_get's
 * external): every graph output is asked for once, and no output buffer
 * overlaps an input's or another output's (a chain reads its input rows
 * while the tail stores output rows). Else the outputs are copied out of
 * the arena after the run, which works for any buffers. */
static int run_external(const rc_graph* g, const repconv_tensor_t* inputs, size_t num_inputs,
                        const repconv_tensor_t* outputs, size_t num_outputs) {
  if (num_outputs != (size_t)g->n_outputs) return 0;
  for (size_t i = 0; i < num_outputs; i++) {
    const size_t n = tensor_bytes(&outputs[i]);
    for (size_t j = 0; j < i; j++) {
      if (outputs[j].name && outputs[i].name && strcmp(outputs[j].name, outputs[i].name) == 0) return 0;
      if (overlap(outputs[i].data, n, outputs[j].data, tensor_bytes(&outputs[j]))) return 0;
    }
    for (size_t j = 0; j < num_inputs; j++) {
      if (overlap(outputs[i].data, n, inputs[j].data, tensor_bytes(&inputs[j]))) return 0;
    }
  }
  return 1;
}

static repconv_status session_run(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs,
                                  repconv_tensor_t* outputs, size_t num_outputs) {
  session->error[0] = '\0';
  if (num_outputs && !outputs) {
    rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: NULL tensor array");
    return rc_session_fail(session, REPCONV_ERROR_INVALID_ARGUMENT);
  }
  /* Validate everything before computing anything. */
  rc_status s = rc_model_match_inputs(session->model, "session_run", inputs, num_inputs, session->want);
  for (size_t i = 0; i < num_inputs && s == REPCONV_OK; i++) {
    if (!inputs[i].data) s = rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input '%s': NULL data", inputs[i].name);
  }
  const rc_graph* mg = &session->model->g;
  const int external = s == REPCONV_OK && run_external(mg, inputs, num_inputs, outputs, num_outputs);
  rc_sized* z = NULL;
  if (s == REPCONV_OK) s = rc_session_sized_get(session, external, &z);
  if (s != REPCONV_OK) return rc_session_fail(session, s);
  session->cur = z;
  z->used = ++session->runs;
  const rc_graph* g = z->g;
  for (size_t i = 0; i < num_outputs; i++) {
    int32_t k = find_io(g, g->outputs, g->n_outputs, outputs[i].name);
    if (k < 0) {
      rc_error(REPCONV_ERROR_NOT_FOUND, "session_run: the model has no output named '%s'",
               outputs[i].name ? outputs[i].name : "(null)");
      return rc_session_fail(session, REPCONV_ERROR_NOT_FOUND);
    }
    s = check_dims("output", &outputs[i], &g->tensors[g->outputs[k]]);
    if (s != REPCONV_OK) return rc_session_fail(session, s);
  }
  /* Bindings of the caller's NCHW buffers, one per graph input and output.
   * An input the plan keeps in the arena is converted to channels-last
   * first (the executor's row loop on the pool, with the conversion ISA's
   * transposes); the others are read by their chain as it goes. Outputs are
   * stored by their last Winograd step, or converted after the run. No
   * allocation per run for up to 16 of them. */
  rc_binding local[16];
  const size_t nb = (size_t)g->n_inputs + (size_t)g->n_outputs;
  rc_binding* b = nb <= 16 ? local : malloc(nb * sizeof(rc_binding));
  if (!b) {
    rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session_run: out of memory");
    return rc_session_fail(session, REPCONV_ERROR_OUT_OF_MEMORY);
  }
  memset(b, 0, nb * sizeof(rc_binding));
  rc_binding* bo = b + g->n_inputs;
  for (size_t i = 0; i < num_inputs; i++) {
    const int32_t k = find_io(g, g->inputs, g->n_inputs, inputs[i].name), t = g->inputs[k];
    b[k] = nchw_binding(g, t, (void*)inputs[i].data);
    if (z->plan->offset[t] != RC_NO_OFFSET) rc_exec_convert_tensor(g, z->plan, z->arena, t, &b[k], 1, session->pool);
  }
  if (external) {
    for (size_t i = 0; i < num_outputs; i++) {
      const int32_t k = find_io(g, g->outputs, g->n_outputs, outputs[i].name);
      bo[k] = nchw_binding(g, g->outputs[k], outputs[i].data);
    }
    s = rc_exec_run_io(g, z->plan, &z->xnn, z->arena, session->pool, b, bo, session->step_ms);
  } else {
    s = rc_exec_run(g, z->plan, &z->xnn, z->arena, session->pool, session->step_ms);
    for (size_t i = 0; i < num_outputs && s == REPCONV_OK; i++) {
      const int32_t t = g->outputs[find_io(g, g->outputs, g->n_outputs, outputs[i].name)];
      const rc_binding bt = nchw_binding(g, t, outputs[i].data);
      rc_exec_convert_tensor(g, z->plan, z->arena, t, &bt, 0, session->pool);
    }
  }
  if (b != local) free(b);
  return s == REPCONV_OK ? REPCONV_OK : rc_session_fail(session, s);
}

/* Public API: sessions: the arena, the pool and the kernels' state of one
 * runner of a model; run, plan dump, profiling. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ref/ref.h"
#include "runtime/api/handles.h"
#include "runtime/exec/exec.h"
#include "runtime/graph/layout.h"
#include "runtime/plan/step_bytes.h"

struct repconv_session {
  repconv_model_t* model; /* holds a reference (rc_model_retain) */
  atomic_int busy;        /* 1 while a call that uses the arena or pool runs: a second one is refused */
  const rc_plan* plan;    /* the model's, or own_plan for another backend */
  rc_plan own_plan;
  rc_exec_state xnn; /* this session's XNNPACK operators and Winograd workspace */
  float* arena;
  pthreadpool_t pool; /* NULL: run on the caller's thread */
  double* step_ms;    /* profiling on: the last run's time per plan entry */
  char error[4096];   /* as long as repconv_last_error's buffer: escaped messages are not cut */
};

static repconv_status session_fail(repconv_session_t* s, repconv_status code) {
  snprintf(s->error, sizeof(s->error), "%s", rc_error_message());
  return code;
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
  }
  if (!options) o.limits = model->limits;
  repconv_session_t* s = calloc(1, sizeof(*s));
  if (!s) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: out of memory");
  rc_model_retain(model);
  s->model = (repconv_model_t*)model;
  atomic_init(&s->busy, 0);
  s->plan = &model->plan;
  if ((int)o.backend != model->plan.backend || o.winograd != model->plan.winograd ||
      o.autotune != model->plan.autotune || o.chains != model->plan.chains) {
    rc_plan_options po = {
        .backend = (int)o.backend, .winograd = o.winograd, .autotune = o.autotune, .chains = o.chains};
    rc_status st = rc_plan_create(&model->g, &po, &s->own_plan);
    if (st != REPCONV_OK) {
      rc_model_release(s->model);
      free(s);
      return rc_error_context(st, "session");
    }
    s->plan = &s->own_plan;
  }
  /* XNNPACK may read XNN_EXTRA_BYTES past the end of a tensor. */
  size_t bytes = (s->plan->arena_floats ? s->plan->arena_floats : RC_ARENA_ALIGN_FLOATS) * sizeof(float) + 64;
  const uint64_t need = (uint64_t)bytes + rc_exec_workspace_bytes(s->plan, o.threads > 1 ? (size_t)o.threads : 1);
  if (rc_limit_exceeded(&o.limits, REPCONV_LIMIT_ARENA_BYTES, need)) {
    repconv_session_destroy(s);
    return rc_limit_error(&o.limits, REPCONV_LIMIT_ARENA_BYTES, need,
                          "session: the activation arena and kernel workspaces");
  }
  s->arena = aligned_alloc(64, bytes);
  if (!s->arena) {
    repconv_session_destroy(s);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: cannot allocate the %zu-byte activation arena", bytes);
  }
  /* Not zeroed: every step writes its output before anything reads it, so a
   * large arena costs no page faults until used (Debug builds fill it with
   * NaN, so a read before a write shows in the outputs). XNNPACK's read-past
   * tail is zeroed. */
#ifndef NDEBUG
  for (size_t q = 0; q < (bytes - 64) / sizeof(float); q++) s->arena[q] = __builtin_nanf("");
#endif
  memset((char*)s->arena + bytes - 64, 0, 64);
  if (o.threads > 1) {
    s->pool = pthreadpool_create((size_t)o.threads);
    if (!s->pool) {
      repconv_session_destroy(s);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session: cannot create a pool of %d threads", o.threads);
    }
  }
  rc_status st = rc_exec_prepare(&model->g, s->plan, s->arena, s->pool, &s->xnn);
  if (st != REPCONV_OK) {
    repconv_session_destroy(s);
    return rc_error_context(st, "session");
  }
  *out = s;
  return REPCONV_OK;
}

void repconv_session_destroy(repconv_session_t* session) {
  if (!session) return;
  rc_exec_release(&session->xnn);
  if (session->pool) pthreadpool_destroy(session->pool);
  free(session->arena);
  free(session->step_ms);
  if (session->plan == &session->own_plan) rc_plan_free(&session->own_plan);
  rc_model_release(session->model);
  free(session);
}

/* Takes the session for one call; 0 (with repconv_last_error set, and the
 * session's own error left alone: its owner may be writing it) if another
 * thread holds it. */
static int session_acquire(repconv_session_t* s, const char* what) {
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

static void session_release(repconv_session_t* s) { atomic_store_explicit(&s->busy, 0, memory_order_release); }

void (*rc_session_run_hook)(void* arg);
void* rc_session_run_hook_arg;

size_t repconv_session_arena_bytes(const repconv_session_t* session) {
  return session ? session->plan->arena_floats * sizeof(float) : 0;
}

repconv_backend repconv_session_backend(const repconv_session_t* session) {
  return session ? (repconv_backend)session->plan->backend : REPCONV_BACKEND_AUTO;
}

size_t repconv_session_num_plan_entries(const repconv_session_t* session) {
  return session ? (size_t)session->plan->n_order : 0;
}

repconv_status repconv_session_plan(const repconv_session_t* session, size_t index, repconv_plan_entry_t* out) {
  if (!session || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_plan: NULL argument");
  const rc_plan* p = session->plan;
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
  if (!session_acquire(session, "session_set_profiling")) return REPCONV_ERROR_INVALID_ARGUMENT;
  repconv_status s = set_profiling(session, on);
  session_release(session);
  return s;
}

static repconv_status set_profiling(repconv_session_t* session, int on) {
  if (!on) {
    free(session->step_ms);
    session->step_ms = NULL;
    return REPCONV_OK;
  }
  if (session->step_ms) return REPCONV_OK;
  session->step_ms = calloc((size_t)session->plan->n_order + 1, sizeof(double));
  if (!session->step_ms) {
    rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session_set_profiling: out of memory");
    return session_fail(session, REPCONV_ERROR_OUT_OF_MEMORY);
  }
  return REPCONV_OK;
}

repconv_status repconv_session_step_time(const repconv_session_t* session, size_t index, double* ms) {
  if (!session || !ms) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_step_time: NULL argument");
  if (index >= (size_t)session->plan->n_order) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "the plan has %d entries, asked for %zu", session->plan->n_order, index);
  }
  *ms = session->step_ms ? session->step_ms[index] : 0.0;
  return REPCONV_OK;
}

repconv_status repconv_session_step_bytes(const repconv_session_t* session, size_t index, repconv_step_bytes_t* out) {
  if (!session || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_step_bytes: NULL argument");
  memset(out, 0, sizeof(*out));
  if (index >= (size_t)session->plan->n_order) {
    return rc_error(REPCONV_ERROR_NOT_FOUND, "the plan has %d entries, asked for %zu", session->plan->n_order, index);
  }
  rc_step_bytes b;
  rc_status st = rc_plan_step_bytes(&session->model->g, session->plan, (int32_t)index, &b);
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

repconv_status repconv_session_run(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs,
                                   repconv_tensor_t* outputs, size_t num_outputs) {
  if (!session) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: NULL session");
  if (!session_acquire(session, "session_run")) return REPCONV_ERROR_INVALID_ARGUMENT;
  if (rc_session_run_hook) rc_session_run_hook(rc_session_run_hook_arg);
  repconv_status s = session_run(session, inputs, num_inputs, outputs, num_outputs);
  session_release(session);
  return s;
}

static repconv_status session_run(repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_inputs,
                                  repconv_tensor_t* outputs, size_t num_outputs) {
  session->error[0] = '\0';
  const repconv_model_t* m = session->model;
  const rc_graph* g = &m->g;
  if ((num_inputs && !inputs) || (num_outputs && !outputs)) {
    rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: NULL tensor array");
    return session_fail(session, REPCONV_ERROR_INVALID_ARGUMENT);
  }
  if (num_inputs != (size_t)g->n_inputs) {
    rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: %zu inputs given, the model has %d", num_inputs,
             g->n_inputs);
    return session_fail(session, REPCONV_ERROR_INVALID_ARGUMENT);
  }
  /* Validate everything before computing anything. */
  uint8_t* seen = calloc((size_t)g->n_inputs, 1);
  if (!seen) {
    rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "session_run: out of memory");
    return session_fail(session, REPCONV_ERROR_OUT_OF_MEMORY);
  }
  rc_status s = REPCONV_OK;
  for (size_t i = 0; i < num_inputs && s == REPCONV_OK; i++) {
    int32_t k = find_io(g, g->inputs, g->n_inputs, inputs[i].name);
    if (k < 0) {
      s = rc_error(REPCONV_ERROR_NOT_FOUND, "session_run: the model has no input named '%s'",
                   inputs[i].name ? inputs[i].name : "(null)");
    } else if (seen[k]) {
      s = rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "session_run: input '%s' given twice", inputs[i].name);
    } else {
      seen[k] = 1;
      s = check_dims("input", &inputs[i], &g->tensors[g->inputs[k]]);
    }
  }
  free(seen);
  if (s != REPCONV_OK) return session_fail(session, s);
  for (size_t i = 0; i < num_outputs; i++) {
    int32_t k = find_io(g, g->outputs, g->n_outputs, outputs[i].name);
    if (k < 0) {
      rc_error(REPCONV_ERROR_NOT_FOUND, "session_run: the model has no output named '%s'",
               outputs[i].name ? outputs[i].name : "(null)");
      return session_fail(session, REPCONV_ERROR_NOT_FOUND);
    }
    s = check_dims("output", &outputs[i], &g->tensors[g->outputs[k]]);
    if (s != REPCONV_OK) return session_fail(session, s);
  }
  /* NCHW (caller) → channels-last (arena). */
  for (size_t i = 0; i < num_inputs; i++) {
    int32_t t = g->inputs[find_io(g, g->inputs, g->n_inputs, inputs[i].name)];
    int64_t d[4];
    rc_shape_dims4(&g->tensors[t].shape, d);
    rc_ref_reshape(d, 0, inputs[i].data, d, 1, session->arena + session->plan->offset[t]);
  }
  s = rc_exec_run(g, session->plan, &session->xnn, session->arena, session->pool, session->step_ms);
  if (s != REPCONV_OK) return session_fail(session, s);
  for (size_t i = 0; i < num_outputs; i++) {
    int32_t t = g->outputs[find_io(g, g->outputs, g->n_outputs, outputs[i].name)];
    int64_t d[4];
    rc_shape_dims4(&g->tensors[t].shape, d);
    rc_ref_reshape(d, 1, session->arena + session->plan->offset[t], d, 0, outputs[i].data);
  }
  return REPCONV_OK;
}

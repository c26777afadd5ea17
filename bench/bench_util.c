/* See bench_util.h. */
#define _POSIX_C_SOURCE 200809L

#include "bench/bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/graph/rng.h"

static double g_peak[RCB_MAX_THREADS + 1];

double rcb_peak(int threads) { return threads >= 1 && threads <= RCB_MAX_THREADS ? g_peak[threads] : 0.0; }

void rcb_set_peak(int threads, double gflops) {
  if (threads >= 1 && threads <= RCB_MAX_THREADS) g_peak[threads] = gflops;
}

void rcb_fill_uniform(float* data, size_t n, uint64_t seed, float scale) {
  rc_rng r = {seed};
  rc_rng_fill_signed(&r, data, n, scale);
}

const char* rcb_backend_name(repconv_backend backend) {
  switch (backend) {
    case REPCONV_BACKEND_REF: return "ref";
    case REPCONV_BACKEND_XNNPACK: return "xnnpack";
    case REPCONV_BACKEND_WINOGRAD: return "winograd";
    case REPCONV_BACKEND_GEMM: return "gemm";
    default: return "auto";
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t numel(const repconv_tensor_info_t* t) {
  int64_t n = 1;
  for (int32_t d = 0; d < t->ndim; ++d) n *= t->dims[d];
  return n;
}

void rcb_time_model(rcb_state* state, const repconv_model_t* model, int threads, repconv_backend backend,
                    int64_t flops) {
  rcb_time_model_wino(state, model, threads, backend, REPCONV_WINOGRAD_AUTO, flops);
}

void rcb_time_model_wino(rcb_state* state, const repconv_model_t* model, int threads, repconv_backend backend,
                         int winograd, int64_t flops) {
  char msg[512];
  repconv_options_t* opts = NULL;
  repconv_session_t* session = NULL;
  size_t num_in = repconv_model_num_inputs(model), num_out = repconv_model_num_outputs(model);
  repconv_tensor_t* ins = calloc(num_in ? num_in : 1, sizeof *ins);
  repconv_tensor_t* outs = calloc(num_out ? num_out : 1, sizeof *outs);
  int ok = ins && outs;
  for (size_t i = 0; ok && i < num_in; ++i) {
    repconv_tensor_info_t t;
    ok = repconv_model_input(model, i, &t) == REPCONV_OK;
    if (!ok) break;
    ins[i].name = t.name;
    ins[i].ndim = t.ndim;
    memcpy(ins[i].dims, t.dims, sizeof t.dims);
    ins[i].data = malloc((size_t)numel(&t) * sizeof(float));
    ok = ins[i].data != NULL;
    if (ok) rcb_fill_uniform(ins[i].data, (size_t)numel(&t), 1 + i, 1.0f);
  }
  for (size_t j = 0; ok && j < num_out; ++j) {
    repconv_tensor_info_t t;
    ok = repconv_model_output(model, j, &t) == REPCONV_OK;
    if (!ok) break;
    outs[j].name = t.name;
    outs[j].ndim = t.ndim;
    memcpy(outs[j].dims, t.dims, sizeof t.dims);
    outs[j].data = malloc((size_t)numel(&t) * sizeof(float));
    ok = outs[j].data != NULL;
  }
  if (!ok) {
    rcb_skip_with_error(state, "out of memory (or a bad model input/output)");
    goto done;
  }
  repconv_status st = repconv_options_create(&opts);
  if (st == REPCONV_OK) st = repconv_options_set_threads(opts, threads);
  if (st == REPCONV_OK) st = repconv_options_set_backend(opts, backend);
  if (st == REPCONV_OK) st = repconv_options_set_winograd(opts, winograd);
  if (st == REPCONV_OK) st = repconv_session_create(model, opts, &session);
  if (st == REPCONV_OK) st = repconv_session_run(session, ins, num_in, outs, num_out); /* warm-up */
  if (st != REPCONV_OK) {
    snprintf(msg, sizeof msg, "%s", session ? repconv_session_error(session) : repconv_last_error());
    rcb_skip_with_error(state, msg[0] ? msg : repconv_status_string(st));
    goto done;
  }
  double t = 0;
  while (rcb_keep_running(state)) {
    double t0 = now_s();
    st = repconv_session_run(session, ins, num_in, outs, num_out);
    t += now_s() - t0;
    if (st != REPCONV_OK) {
      snprintf(msg, sizeof msg, "%s", repconv_session_error(session));
      rcb_skip_with_error(state, msg[0] ? msg : repconv_status_string(st));
      break;
    }
  }
  int64_t iters = rcb_iterations(state);
  if (st == REPCONV_OK && iters > 0 && t > 0 && flops > 0) {
    double gflops = (double)flops * (double)iters / t * 1e-9;
    rcb_set_counter(state, "GFLOPS", gflops);
    if (rcb_peak(threads) > 0) rcb_set_counter(state, "peak%", 100.0 * gflops / rcb_peak(threads));
  }
done:
  repconv_session_destroy(session);
  repconv_options_destroy(opts);
  for (size_t i = 0; ins && i < num_in; ++i) free(ins[i].data);
  for (size_t j = 0; outs && j < num_out; ++j) free(outs[j].data);
  free(ins);
  free(outs);
}

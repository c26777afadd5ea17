/* bench --steady: one form of the model, one session, frames back to back as
 * a video runs them. The input is one buffer, made once and not rewritten
 * between frames (the session copies it into its arena every frame, as it
 * would a new frame); one warm-up frame is run and not timed. Reported: the
 * median and p90 time per frame, frames/s from the median and overall
 * (frames / wall time of the timed loop), and the effective GFLOP/s against
 * the measured FMA peak. No pause between frames: the pool's threads stay
 * as warm as they are in a video pipeline. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/flops.h"
#include "bench/peak.h"
#include "runtime/graph/graph.h"
#include "tools/cli/bench.h"
#include "tools/cli/json.h"
#include "tools/cli/table.h"

typedef struct steady_result {
  const char* form;
  char kernels[160], kernels_json[256];
  int64_t flops;
  int frames;
  double wall_ms, median, p90, min, max;
  double peak, peak_1t;
  int peak_tries; /* bench_peaks */
  rc_peak_isa isa;
  bench_weights weights;
  bench_load load;  /* other processes and steal during the timed frames */
  bench_load probe; /* and during the FMA peak probe */
  char shape[96];
  int32_t ndim;
  int64_t dims[REPCONV_MAX_DIMS];
} steady_result;

/* Profiled frames after the timed ones (--profile): at most this many. */
#define STEADY_PROFILE_FRAMES 200

static const char* form_name(int level) {
  return level == REPCONV_FOLD_OFF ? "unfolded" : level == REPCONV_FOLD_BN ? "bn-fused" : "folded";
}

static double fps(double ms) { return ms > 0 ? 1000.0 / ms : 0; }
static double gflops(int64_t flops, double ms) { return ms > 0 ? (double)flops / (ms * 1e6) : 0; }

static void print_result(const cli_args* a, const steady_result* r) {
  char c1[32];
  printf(
      "bench --steady: %s%s, input %s, %d thread%s, backend %s, form %s; %d frame%s back to back in %.3f s after "
      "1 warm-up frame (not timed); one input buffer, not rewritten between frames\n",
      a->model, is_builtin(a->model) ? " (built-in)" : "", r->shape, a->threads, a->threads == 1 ? "" : "s",
      a->backend_name, r->form, r->frames, r->frames == 1 ? "" : "s", r->wall_ms / 1000.0);
  printf("FLOPs per frame: %s; FMA peak (measured): %.1f GFLOP/s on %d thread%s (%s", compact(r->flops, c1, sizeof c1),
         r->peak, a->threads, a->threads == 1 ? "" : "s", rc_peak_isa_name(r->isa));
  if (a->threads > 1) printf("; 1 thread %.1f", r->peak_1t);
  bench_peaks_print_notes(a->threads, r->peak_tries, r->peak, r->peak_1t, &r->probe);
  printf(")\n");
  bench_weights_print(&r->weights);
  bench_memory_print();
  bench_load_print(&r->load);
  size_t wk = strlen("kernels"), w = display_width(r->kernels);
  if (w > wk) wk = w;
  printf("  %-8s  %-7s  ", "form", "backend");
  print_cell("kernels", wk, 0);
  printf("  %7s  %6s  %10s  %11s  %9s  %9s  %19s  %8s  %6s\n", "threads", "frames", "fps median", "fps overall",
         "ms median", "ms p90", "min-max ms", "GFLOP/s", "% peak");
  char range[48];
  snprintf(range, sizeof range, "%.3f-%.3f", r->min, r->max);
  const double g = gflops(r->flops, r->median);
  printf("  %-8s  %-7s  ", r->form, a->backend_name);
  print_cell(r->kernels, wk, 0);
  printf("  %7d  %6d  %10.2f  %11.2f  %9.3f  %9.3f  %19s  %8.1f  %6.1f\n", a->threads, r->frames, fps(r->median),
         r->frames * fps(r->wall_ms), r->median, r->p90, range, g, r->peak > 0 ? 100.0 * g / r->peak : 0.0);
  const double go = gflops(r->flops * r->frames, r->wall_ms);
  printf(
      "frames/s: %.2f from the median frame (1000 / ms median), %.2f overall (frames / wall time); effective "
      "GFLOP/s %.1f median, %.1f overall (%.1f%% of the peak)\n",
      fps(r->median), r->frames * fps(r->wall_ms), g, go, r->peak > 0 ? 100.0 * go / r->peak : 0.0);
}

static int write_json(const cli_args* a, const steady_result* r, const bench_profile* profile,
                      const bench_profile* base) {
  FILE* f = fopen(a->json, "wb");
  if (!f) return fail(EXIT_ERROR, "writing the JSON results '%s': %s", a->json, strerror(errno));
  fputs("{\n  \"mode\": \"steady\",\n  \"model\": ", f);
  json_string(f, a->model);
  fputs(",\n  \"form\": ", f);
  json_string(f, r->form);
  fprintf(f, ",\n  \"threads\": %d,\n  \"backend\": ", a->threads);
  json_string(f, a->backend_name);
  fprintf(f, ",\n  \"kernels\": %s,\n  \"shape\": ", r->kernels_json);
  json_dims(f, r->ndim, r->dims);
  fprintf(f, ",\n  \"flops\": %" PRId64 ",\n  \"frames\": %d,\n  \"warmup_frames\": 1,\n", r->flops, r->frames);
  fputs("  \"input_rewritten\": false,\n  \"wall_s\": ", f);
  json_double(f, r->wall_ms / 1000.0);
  const struct {
    const char* key;
    double v;
  } fields[] = {
      {"fps_median", fps(r->median)},
      {"fps_overall", r->frames * fps(r->wall_ms)},
      {"ms_median", r->median},
      {"ms_p90", r->p90},
      {"ms_min", r->min},
      {"ms_max", r->max},
      {"gflops", gflops(r->flops, r->median)},
      {"gflops_overall", gflops(r->flops * r->frames, r->wall_ms)},
      {"peak_fraction", r->peak > 0 ? gflops(r->flops, r->median) / r->peak : HUGE_VAL},
      {"peak_gflops", r->peak > 0 ? r->peak : HUGE_VAL},
      {"peak_gflops_1thread", r->peak_1t > 0 ? r->peak_1t : HUGE_VAL},
  };
  for (size_t k = 0; k < sizeof fields / sizeof fields[0]; ++k) {
    fprintf(f, ",\n  \"%s\": ", fields[k].key);
    json_double(f, fields[k].v);
  }
  fputs(",\n  \"peak_isa\": ", f);
  json_string(f, rc_peak_isa_name(r->isa));
  fputs(",\n  \"weights\": ", f);
  bench_weights_json(f, &r->weights);
  bench_load_json(f, "other_load", &r->load);
  bench_load_json(f, "peak_other_load", &r->probe);
  if (profile) {
    fputs(",\n  ", f);
    bench_profile_json(f, profile, base);
  }
  fputs("\n}\n", f);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  if (bad) return fail(EXIT_ERROR, "writing the JSON results '%s': %s", a->json, strerror(errno ? errno : EIO));
  return EXIT_OK;
}

int bench_steady(const cli_args* a) {
  const int tty = isatty(STDERR_FILENO);
  const int level = a->form >= 0 ? a->form : REPCONV_FOLD_FULL;
  steady_result r;
  memset(&r, 0, sizeof r);
  r.form = form_name(level);
  snprintf(r.shape, sizeof r.shape, "-");
  repconv_options_t *opts = NULL, *opts1 = NULL;
  repconv_model_t *model = NULL, *model1 = NULL; /* model1, session1: --scaling's 1-thread session */
  repconv_session_t *session = NULL, *session1 = NULL;
  repconv_tensor_t *inputs = NULL, *outs = NULL;
  size_t num_in = 0, num_out = 0;
  double* ms = NULL;
  bench_profile profile[BENCH_PROFILE_MAX];
  memset(profile, 0, sizeof profile);
  rc_bandwidth bw;
  memset(&bw, 0, sizeof bw);

  cli_progress(tty, "bench %s: loading %s", a->model, r.form);
  int rc = load_model_level(a, 1, level, a->threads, a->backend, &opts, &model);
  if (rc != EXIT_OK) goto done;
  r.flops = rcb_model_flops(model);
  num_in = repconv_model_num_inputs(model);
  num_out = repconv_model_num_outputs(model);
  if (num_out == 0) {
    rc = fail(EXIT_ERROR, "model '%s' has no outputs", a->model);
    goto done;
  }
  inputs = calloc(num_in ? num_in : 1, sizeof *inputs);
  outs = calloc(num_out, sizeof *outs);
  const int cap = a->frames ? a->frames : CLI_MAX_RUNS;
  ms = calloc((size_t)cap, sizeof *ms);
  if (!inputs || !outs || !ms) {
    rc = fail(EXIT_ERROR, "bench: out of memory");
    goto done;
  }
  for (size_t i = 0; i < num_in; ++i) {
    repconv_tensor_info_t info;
    memset(&info, 0, sizeof info);
    repconv_status st = repconv_model_input(model, i, &info);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a->model, lib_error(st));
      goto done;
    }
    if (i == 0) {
      r.ndim = info.ndim;
      memcpy(r.dims, info.dims, sizeof r.dims);
      rc_dims_str(info.ndim, info.dims, RC_SHAPE_X, r.shape, sizeof r.shape);
    }
    rc = make_random_input("bench", &info, i, &inputs[i]);
    if (rc != EXIT_OK) goto done;
  }
  for (size_t j = 0; j < num_out; ++j) {
    repconv_tensor_info_t info;
    memset(&info, 0, sizeof info);
    repconv_status st = repconv_model_output(model, j, &info);
    int64_t n = st == REPCONV_OK ? numel_checked(info.ndim, info.dims) : -1;
    if (n < 0) {
      rc = fail(EXIT_ERROR, "reading output %zu of '%s': %s", j, a->model,
                st != REPCONV_OK ? lib_error(st) : "invalid shape");
      goto done;
    }
    outs[j].name = info.name;
    outs[j].ndim = info.ndim;
    memcpy(outs[j].dims, info.dims, sizeof outs[j].dims);
    outs[j].data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
    if (!outs[j].data) {
      rc =
          fail(EXIT_ERROR, "bench: out of memory for output '%s' (%" PRId64 " floats)", info.name ? info.name : "?", n);
      goto done;
    }
  }

  /* The yardstick, while no session's thread pool exists. */
  cli_progress(tty, "bench %s: measuring the FMA peak", a->model);
  r.isa = rc_peak_best_isa();
  r.peak_tries = bench_peaks(r.isa, a->threads, &r.peak, &r.peak_1t, &r.probe);
  if (a->profile) { /* the roofline's other yardstick; a failure leaves it unmeasured (said in the output) */
    cli_progress(tty, "bench %s: measuring the memory bandwidth", a->model);
    rc_bandwidth_measure(a->threads, 0, 3, &bw);
  }

  cli_progress(tty, "bench %s: planning %s", a->model, r.form);
  repconv_status st = repconv_session_create(model, opts, &session);
  if (st != REPCONV_OK) {
    session = NULL;
    rc = fail(EXIT_ERROR, "creating a session for '%s' (%s): %s", a->model, r.form, lib_error(st));
    goto done;
  }
  bench_describe_kernels(session, r.kernels, sizeof r.kernels, r.kernels_json, sizeof r.kernels_json);
  bench_weights_of(model, session, &r.weights);

  cli_progress(tty, "bench %s: warm-up frame", a->model);
  st = repconv_session_run(session, inputs, num_in, outs, num_out);
  if (st != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "running '%s' (%s): %s", a->model, r.form, session_error(session, st));
    goto done;
  }
  const double budget_ms = a->frames ? 0 : 1000.0 * (a->seconds > 0 ? a->seconds : CLI_BENCH_STEADY_S);
  bench_load_begin(&r.load);
  const double start = now_ms();
  double t1 = start;
  while (r.frames < cap) {
    const double t0 = now_ms();
    st = repconv_session_run(session, inputs, num_in, outs, num_out);
    t1 = now_ms();
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "running '%s' (%s): %s", a->model, r.form, session_error(session, st));
      goto done;
    }
    ms[r.frames++] = t1 - t0;
    if (budget_ms > 0 && t1 - start >= budget_ms) break;
    cli_progress(tty, "bench %s: frame %d", a->model, r.frames + 1);
  }
  bench_load_end(&r.load);
  r.wall_ms = t1 - start;
  cli_progress_clear(tty);
  qsort(ms, (size_t)r.frames, sizeof *ms, bench_compare_double);
  r.min = ms[0];
  r.max = ms[r.frames - 1];
  r.median = bench_median(ms, r.frames);
  r.p90 = bench_percentile(ms, r.frames, 90.0);
  print_result(a, &r);
  if (a->profile) { /* the same frames again, each step timed (outside the timed loop: the clock reads cost) */
    bench_profiled s[BENCH_PROFILE_MAX] = {{model, session, a->threads, r.peak}};
    size_t ns = 1;
    if (a->scaling) { /* the model loaded again for 1 thread (its plan is made for that), warmed up */
      cli_progress(tty, "bench %s: loading %s for 1 thread", a->model, r.form);
      rc = load_model_level(a, 1, level, 1, a->backend, &opts1, &model1);
      if (rc != EXIT_OK) goto done;
      st = repconv_session_create(model1, opts1, &session1);
      if (st != REPCONV_OK) {
        session1 = NULL;
        rc = fail(EXIT_ERROR, "creating a 1-thread session for '%s' (%s): %s", a->model, r.form, lib_error(st));
        goto done;
      }
      st = repconv_session_run(session1, inputs, num_in, outs, num_out);
      if (st != REPCONV_OK) {
        rc = fail(EXIT_ERROR, "running '%s' (%s) on 1 thread: %s", a->model, r.form, session_error(session1, st));
        goto done;
      }
      s[ns++] = (bench_profiled){model1, session1, 1, r.peak_1t};
    }
    cli_progress(tty, "bench %s: profiling", a->model);
    rc = bench_profile_run(a, r.form, 1, s, ns, inputs, num_in, outs, num_out,
                           r.frames < STEADY_PROFILE_FRAMES ? r.frames : STEADY_PROFILE_FRAMES, &bw, profile);
    cli_progress_clear(tty);
    if (rc != EXIT_OK) goto done;
    bench_profile_print(&profile[0], a->scaling ? &profile[1] : NULL);
  }
  rc = a->json ? write_json(a, &r, a->profile ? &profile[0] : NULL, a->scaling ? &profile[1] : NULL) : EXIT_OK;

done:
  for (size_t k = 0; k < BENCH_PROFILE_MAX; ++k) bench_profile_free(&profile[k]);
  repconv_session_destroy(session1);
  repconv_model_destroy(model1);
  repconv_options_destroy(opts1);
  repconv_session_destroy(session);
  if (inputs) {
    for (size_t i = 0; i < num_in; ++i) free(inputs[i].data);
  }
  if (outs) {
    for (size_t j = 0; j < num_out; ++j) free(outs[j].data);
  }
  free(inputs);
  free(outs);
  free(ms);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

/* repconv bench: the model unfolded, bn-fused and folded, timed side by side
 * in one process (interleaved rounds on the same input), against the
 * measured FMA peak; --profile times the folded form's plan entries.
 * docs/DESIGN.md ("bench: why the timing loop is shaped as it is") has the
 * measured reasons. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/flops.h"
#include "bench/peak.h"
#include "runtime/graph/graph.h"
#include "tools/cli/bench.h"
#include "tools/cli/cli.h"
#include "tools/cli/json.h"
#include "tools/cli/table.h"

/* Warm-up: at least one round, more while it has taken less than
 * BENCH_WARMUP_MS (at most BENCH_MAX_WARMUP rounds). */
#define BENCH_WARMUP_MS 200.0
#define BENCH_MAX_WARMUP 10
#define BENCH_BUDGET_MS (CLI_BENCH_BUDGET_S * 1000.0)

/* The three forms, in the order they run in every round. */
typedef struct bench_form {
  const char* name;
  repconv_fold_level level;
  repconv_options_t* opts;
  repconv_model_t* model;
  repconv_session_t* session;
  repconv_tensor_t* outs; /* one buffer per model output */
  int64_t flops;          /* the work this form does per run */
  double* ms;             /* one time per timed round */
  double median, min, max;
  char kernels[160];      /* "xnnpack 47" or "xnnpack 45, ref 2": plan entries per backend */
  char kernels_json[256]; /* {"xnnpack": 45, "ref": 2} */
} bench_form;

#define BENCH_FORMS 3

/* Max |a - b| / max |b| over every output (b: the unfolded form); HUGE_VAL
 * when NaNs differ. */
static double outputs_rel_diff(const bench_form* x, const bench_form* ref, size_t num_out, const int64_t* numel) {
  double worst = 0;
  for (size_t j = 0; j < num_out; ++j) {
    cli_diff d = cli_compare(x->outs[j].data, ref->outs[j].data, numel[j]);
    if (d.nan_mismatch) return HUGE_VAL;
    if (d.rel > worst) worst = d.rel;
  }
  return worst;
}

/* --weights fp16: the folded form's outputs against the same model with
 * float32 weights, run once on the same inputs: max |a − b| / max |b| over
 * the outputs (HUGE_VAL when NaNs differ); -1 when that model cannot be
 * loaded or run (its message is printed). */
static double half_weights_error(const cli_args* a, const bench_form* folded, const repconv_tensor_t* inputs,
                                 size_t num_in, size_t num_out, const int64_t* numel) {
  cli_args a32 = *a;
  a32.weights_fp16 = 0;
  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  repconv_session_t* session = NULL;
  double err = -1;
  repconv_tensor_t* outs = calloc(num_out ? num_out : 1, sizeof *outs);
  if (!outs || load_model_level(&a32, 1, (int)folded->level, a->threads, a->backend, &opts, &model) != EXIT_OK)
    goto done;
  repconv_status st = repconv_session_create(model, opts, &session);
  for (size_t j = 0; j < num_out && st == REPCONV_OK; ++j) {
    outs[j] = folded->outs[j];
    outs[j].data = malloc(numel[j] ? (size_t)numel[j] * sizeof(float) : sizeof(float));
    if (!outs[j].data) st = REPCONV_ERROR_OUT_OF_MEMORY;
  }
  if (st == REPCONV_OK) st = repconv_session_run(session, inputs, num_in, outs, num_out);
  if (st != REPCONV_OK) {
    fail(EXIT_ERROR, "running '%s' with float32 weights: %s", a->model, session_error(session, st));
    goto done;
  }
  err = 0;
  for (size_t j = 0; j < num_out; ++j) {
    const cli_diff d = cli_compare(folded->outs[j].data, outs[j].data, numel[j]);
    if (d.nan_mismatch) err = HUGE_VAL;
    if (d.rel > err) err = d.rel;
  }
done:
  for (size_t j = 0; outs && j < num_out; ++j) free(outs[j].data);
  free(outs);
  repconv_session_destroy(session);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return err;
}

static int write_bench_json(const char* path, const cli_args* a, const repconv_tensor_info_t* in0, int have_input,
                            const bench_form* forms, int runs, int64_t flops, double peak, const char* peak_isa,
                            double peak_1t, double speedup, const bench_weights* weights, const bench_load* load,
                            const bench_load* probe, const bench_profile* profile, double half_err) {
  FILE* f = fopen(path, "wb");
  if (!f) return fail(EXIT_ERROR, "writing the JSON results '%s': %s", path, strerror(errno));
  fputs("{\n  \"model\": ", f);
  json_string(f, a->model);
  fprintf(f, ",\n  \"threads\": %d,\n  \"backend\": ", a->threads);
  json_string(f, a->backend_name);
  fputs(",\n  \"shape\": ", f);
  json_dims(f, have_input ? in0->ndim : 0, in0->dims);
  fprintf(f, ",\n  \"runs\": %d,\n  \"timing\": \"%s\",\n  \"flops\": %" PRId64 ",\n  \"results\": [", runs,
          a->cold ? "cold" : "warm", flops);
  for (int k = 0; k < BENCH_FORMS; ++k) {
    const bench_form* b = &forms[k];
    fputs(k ? ",\n    {\"form\": " : "\n    {\"form\": ", f);
    json_string(f, b->name);
    fputs(", \"backend\": ", f);
    json_string(f, a->backend_name);
    fprintf(f, ", \"kernels\": %s, \"threads\": %d, \"median_ms\": ", b->kernels_json, a->threads);
    json_double(f, b->median);
    fputs(", \"min_ms\": ", f);
    json_double(f, b->min);
    fputs(", \"max_ms\": ", f);
    json_double(f, b->max);
    fputs(", \"gflops\": ", f);
    json_double(f, b->median > 0 ? (double)flops / (b->median * 1e6) : HUGE_VAL);
    fputs(", \"peak_fraction\": ", f);
    json_double(f, b->median > 0 && peak > 0 ? (double)flops / (b->median * 1e6) / peak : HUGE_VAL);
    fprintf(f, ", \"flops\": %" PRId64 ", \"runs\": %d}", b->flops, runs);
  }
  fputs("\n  ],\n  \"speedup\": ", f);
  json_double(f, speedup);
  fputs(",\n  \"peak_gflops\": ", f);
  json_double(f, peak > 0 ? peak : HUGE_VAL);
  fputs(",\n  \"peak_gflops_1thread\": ", f);
  json_double(f, peak_1t > 0 ? peak_1t : HUGE_VAL);
  fputs(",\n  \"peak_isa\": ", f);
  json_string(f, peak_isa);
  fputs(",\n  \"weights\": ", f);
  bench_weights_json(f, weights);
  fprintf(f, ",\n  \"weight_storage\": \"%s\"", a->weights_fp16 ? "fp16" : "fp32");
  bench_load_json(f, "other_load", load);
  bench_load_json(f, "peak_other_load", probe);
  if (a->weights_fp16) {
    fputs(",\n  \"fp16_max_rel\": ", f);
    json_double(f, half_err);
  }
  if (profile) {
    fputs(",\n  ", f);
    bench_profile_json(f, profile, NULL);
  }
  fputs("\n}\n", f);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  if (bad) return fail(EXIT_ERROR, "writing the JSON results '%s': %s", path, strerror(errno ? errno : EIO));
  return EXIT_OK;
}

/* The options only one of the two modes takes. */
static int check_mode_options(const cli_args* a) {
  if (!a->steady) {
    if (a->scaling) return usage_error("bench", "--scaling applies with --steady --profile");
    if (a->frames) return usage_error("bench", "--frames applies with --steady");
    if (a->seconds > 0) return usage_error("bench", "--seconds applies with --steady");
    if (a->form >= 0) return usage_error("bench", "--form applies with --steady");
    return EXIT_OK;
  }
  if (a->runs) return usage_error("bench", "--runs does not apply with --steady (--frames N or --seconds S)");
  if (a->cold) return usage_error("bench", "--cold does not apply with --steady (its frames run back to back)");
  if (a->frames && a->seconds > 0) return usage_error("bench", "--frames and --seconds exclude each other");
  if (a->scaling && !a->profile) return usage_error("bench", "--scaling applies with --profile");
  if (a->scaling && a->threads < 2) return usage_error("bench", "--scaling needs --threads 2 or more");
  return EXIT_OK;
}

static int cmd_bench(const cli_args* a) {
  int rc = check_mode_options(a);
  if (rc != EXIT_OK) return rc;
  if (a->steady) return bench_steady(a);
  const int tty = isatty(STDERR_FILENO);

  bench_form forms[BENCH_FORMS] = {
      {.name = "unfolded", .level = REPCONV_FOLD_OFF},
      {.name = "bn-fused", .level = REPCONV_FOLD_BN},
      {.name = "folded", .level = REPCONV_FOLD_FULL},
  };
  bench_form* const unfolded = &forms[0];
  bench_form* const folded = &forms[BENCH_FORMS - 1];
  size_t num_in = 0, num_out = 0;
  repconv_tensor_t* inputs = NULL;
  int64_t* out_numel = NULL;
  repconv_tensor_info_t in0;
  memset(&in0, 0, sizeof in0);
  int runs = a->runs;
  int warmup_rounds = 0;

  rc_peak_isa isa = rc_peak_best_isa();
  double peak = 0, peak_1t = 0, peak_fma3 = 0;
  rc_bandwidth bw;
  memset(&bw, 0, sizeof bw);
  bench_weights weights;
  bench_load load, probe;
  memset(&load, 0, sizeof load);
  memset(&probe, 0, sizeof probe);
  double half_err = -1; /* --weights fp16: the outputs' error against float32 weights */
  bench_profile profile;
  memset(&profile, 0, sizeof profile);

  for (int k = 0; k < BENCH_FORMS; ++k) {
    cli_progress(tty, "bench %s: loading %s", a->model, forms[k].name);
    rc = load_model_level(a, 1, (int)forms[k].level, a->threads, a->backend, &forms[k].opts, &forms[k].model);
    if (rc != EXIT_OK) goto done;
    forms[k].flops = rcb_model_flops(forms[k].model);
  }
  num_in = repconv_model_num_inputs(folded->model);
  num_out = repconv_model_num_outputs(folded->model);
  for (int k = 0; k < BENCH_FORMS; ++k) {
    if (repconv_model_num_inputs(forms[k].model) != num_in || repconv_model_num_outputs(forms[k].model) != num_out) {
      rc = fail(EXIT_ERROR, "bench: '%s' has a different number of inputs or outputs %s than folded", a->model,
                forms[k].name);
      goto done;
    }
  }
  if (num_out == 0) {
    rc = fail(EXIT_ERROR, "model '%s' has no outputs", a->model);
    goto done;
  }

  /* The same uniform [-1, 1) input for every form (input k: gen-input --seed k+1). */
  inputs = calloc(num_in ? num_in : 1, sizeof *inputs);
  out_numel = calloc(num_out, sizeof *out_numel);
  if (!inputs || !out_numel) {
    rc = fail(EXIT_ERROR, "bench: out of memory");
    goto done;
  }
  for (size_t i = 0; i < num_in; ++i) {
    repconv_tensor_info_t info;
    memset(&info, 0, sizeof info);
    repconv_status st = repconv_model_input(folded->model, i, &info);
    for (int k = 0; k < BENCH_FORMS - 1 && st == REPCONV_OK; ++k) {
      repconv_tensor_info_t other;
      memset(&other, 0, sizeof other);
      st = repconv_model_input(forms[k].model, i, &other);
      if (st == REPCONV_OK && !shapes_equal(info.ndim, info.dims, other.ndim, other.dims)) {
        rc = fail(EXIT_ERROR, "bench: input '%s' of '%s' differs in shape %s and folded", info.name ? info.name : "?",
                  a->model, forms[k].name);
        goto done;
      }
    }
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a->model, lib_error(st));
      goto done;
    }
    if (i == 0) in0 = info;
    rc = make_random_input("bench", &info, i, &inputs[i]);
    if (rc != EXIT_OK) goto done;
  }
  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_form* b = &forms[k];
    b->outs = calloc(num_out, sizeof *b->outs);
    if (!b->outs) {
      rc = fail(EXIT_ERROR, "bench: out of memory");
      goto done;
    }
    for (size_t j = 0; j < num_out; ++j) {
      repconv_tensor_info_t info;
      memset(&info, 0, sizeof info);
      repconv_status st = repconv_model_output(b->model, j, &info);
      if (st != REPCONV_OK) {
        rc = fail(EXIT_ERROR, "reading output %zu of '%s': %s", j, a->model, lib_error(st));
        goto done;
      }
      int64_t n = numel_checked(info.ndim, info.dims);
      if (n < 0 || (k > 0 && n != out_numel[j])) {
        char s[96];
        rc = fail(EXIT_ERROR, "bench: output '%s' of '%s' has the shape %s %s", info.name ? info.name : "?", a->model,
                  rc_dims_str(info.ndim, info.dims, RC_SHAPE_X, s, sizeof s),
                  n < 0 ? "(invalid)" : "(not the same in every form)");
        goto done;
      }
      out_numel[j] = n;
      b->outs[j].name = info.name;
      b->outs[j].ndim = info.ndim;
      memcpy(b->outs[j].dims, info.dims, sizeof b->outs[j].dims);
      b->outs[j].data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
      if (!b->outs[j].data) {
        rc = fail(EXIT_ERROR, "bench: out of memory for output '%s' (%" PRId64 " floats)", info.name ? info.name : "?",
                  n);
        goto done;
      }
    }
  }

  /* The yardstick, while no session's thread pool exists. */
  cli_progress(tty, "bench %s: measuring the FMA peak", a->model);
  const int peak_tries = bench_peaks(isa, a->threads, &peak, &peak_1t, &probe);
  if (isa == RC_PEAK_AVX512F) peak_fma3 = rc_peak_gflops(RC_PEAK_FMA3, a->threads, 5, 40.0);
  if (a->profile) { /* the roofline's other yardstick; a failure leaves it unmeasured (said in the output) */
    cli_progress(tty, "bench %s: measuring the memory bandwidth", a->model);
    rc_bandwidth_measure(a->threads, 0, 3, &bw);
  }

  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_form* b = &forms[k];
    cli_progress(tty, "bench %s: planning %s", a->model, b->name);
    repconv_status st = repconv_session_create(b->model, b->opts, &b->session);
    if (st != REPCONV_OK) {
      b->session = NULL;
      rc = fail(EXIT_ERROR, "creating a session for '%s' (%s): %s", a->model, b->name, lib_error(st));
      goto done;
    }
    bench_describe_kernels(b->session, b->kernels, sizeof b->kernels, b->kernels_json, sizeof b->kernels_json);
  }
  bench_weights_of(folded->model, folded->session, &weights);

  /* Warm-up: at least one round; more while it has taken less than
   * BENCH_WARMUP_MS. The last round's time sizes the default --runs. */
  double warm_start = now_ms(), round_ms = 0;
  do {
    cli_progress(tty, "bench %s: warm-up round %d", a->model, warmup_rounds + 1);
    double r0 = now_ms();
    for (int k = 0; k < BENCH_FORMS; ++k) {
      repconv_status st = repconv_session_run(forms[k].session, inputs, num_in, forms[k].outs, num_out);
      if (st != REPCONV_OK) {
        rc = fail(EXIT_ERROR, "running '%s' (%s): %s", a->model, forms[k].name, session_error(forms[k].session, st));
        goto done;
      }
    }
    round_ms = now_ms() - r0;
    ++warmup_rounds;
  } while (now_ms() - warm_start < BENCH_WARMUP_MS && warmup_rounds < BENCH_MAX_WARMUP);

  if (!a->cold) round_ms = 2 * round_ms + BENCH_FORMS * BENCH_SETTLE_MS; /* untimed runs before each timed one */
  if (runs <= 0) {
    runs = CLI_BENCH_RUNS;
    if (round_ms > 0 && round_ms * runs > BENCH_BUDGET_MS) {
      runs = (int)(BENCH_BUDGET_MS / round_ms);
      if (runs < CLI_BENCH_MIN_RUNS) runs = CLI_BENCH_MIN_RUNS;
    }
  }
  for (int k = 0; k < BENCH_FORMS; ++k) {
    forms[k].ms = calloc((size_t)runs, sizeof *forms[k].ms);
    if (!forms[k].ms) {
      rc = fail(EXIT_ERROR, "bench: out of memory for %d runs", runs);
      goto done;
    }
  }

  /* Interleaved: unfolded, bn-fused, folded, unfolded, ... so that a slow
   * phase of a shared machine hits every form alike. Unless --cold, each
   * timed run follows untimed runs of its form for at least
   * BENCH_SETTLE_MS, as a video's frames follow each other and as other
   * runtimes' benchmarks time back-to-back runs. One run is not enough:
   * RepVGG-A0 folded after a 30 ms sleep, one session, 2 threads: 6.41 ms
   * after 1 untimed run, 5.97 after 8, 5.72 back to back; on 1 thread
   * after the other forms, 11.96 after 1, 11.41 after 8 (= back to back).
   * They also outlast the previous form's spinning workers, which the
   * --cold timing waits out with a pause instead. */
  bench_load_begin(&load);
  for (int r = 0; r < runs; ++r) {
    cli_progress(tty, "bench %s: round %d/%d", a->model, r + 1, runs);
    for (int k = 0; k < BENCH_FORMS; ++k) {
      repconv_status st = REPCONV_OK;
      if (a->cold) {
        if (a->threads > 1) bench_settle();
      } else {
        const double w0 = now_ms();
        do {
          st = repconv_session_run(forms[k].session, inputs, num_in, forms[k].outs, num_out);
        } while (st == REPCONV_OK && now_ms() - w0 < BENCH_SETTLE_MS);
      }
      double t0 = now_ms(), t1 = t0;
      if (st == REPCONV_OK) {
        st = repconv_session_run(forms[k].session, inputs, num_in, forms[k].outs, num_out);
        t1 = now_ms();
      }
      if (st != REPCONV_OK) {
        rc = fail(EXIT_ERROR, "running '%s' (%s): %s", a->model, forms[k].name, session_error(forms[k].session, st));
        goto done;
      }
      forms[k].ms[r] = t1 - t0;
    }
  }
  bench_load_end(&load);
  cli_progress_clear(tty);

  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_form* b = &forms[k];
    qsort(b->ms, (size_t)runs, sizeof *b->ms, bench_compare_double);
    b->min = b->ms[0];
    b->max = b->ms[runs - 1];
    b->median = bench_median(b->ms, runs);
  }
  const int64_t flops = folded->flops;
  const double speedup = folded->median > 0 ? unfolded->median / folded->median : HUGE_VAL;

  /* The table. */
  char shape[96] = "-", c1[32], c2[32], c3[32];
  if (num_in > 0) rc_dims_str(in0.ndim, in0.dims, RC_SHAPE_X, shape, sizeof shape);
  printf(
      "bench: %s%s, input %s, %d thread%s, backend %s; %d round%s interleaved (unfolded, bn-fused, folded) "
      "after %d warm-up round%s",
      a->model, is_builtin(a->model) ? " (built-in)" : "", shape, a->threads, a->threads == 1 ? "" : "s",
      a->backend_name, runs, runs == 1 ? "" : "s", warmup_rounds, warmup_rounds == 1 ? "" : "s");
  if (a->cold)
    printf("; each timed run right after the other forms' (cold)%s\n",
           a->threads > 1 ? "; " CLI_XSTR(BENCH_SETTLE_MS) " ms pause before it (their workers go to sleep)" : "");
  else
    printf("; each timed run after " CLI_XSTR(
        BENCH_SETTLE_MS) " ms of untimed runs of its form (warm, as consecutive frames)\n");
  printf("FLOPs per run: unfolded %s, bn-fused %s, folded %s; GFLOP/s counts the folded graph's FLOPs for every form\n",
         compact(forms[0].flops, c1, sizeof c1), compact(forms[1].flops, c2, sizeof c2),
         compact(forms[2].flops, c3, sizeof c3));
  printf("FMA peak (measured): %.1f GFLOP/s on %d thread%s (%s", peak, a->threads, a->threads == 1 ? "" : "s",
         rc_peak_isa_name(isa));
  if (a->threads > 1) printf("; 1 thread %.1f", peak_1t);
  if (peak_fma3 > 0) printf("; fma3 ymm %.1f on %d thread%s", peak_fma3, a->threads, a->threads == 1 ? "" : "s");
  bench_peaks_print_notes(a->threads, peak_tries, peak, peak_1t, &probe);
  printf(")\n");
  bench_weights_print(&weights);
  bench_memory_print();
  bench_load_print(&load);

  size_t wk = strlen("kernels");
  for (int k = 0; k < BENCH_FORMS; ++k) {
    size_t w = display_width(forms[k].kernels);
    if (w > wk) wk = w;
  }
  printf("  %-8s  %-7s  ", "form", "backend");
  print_cell("kernels", wk, 0);
  printf("  %7s  %10s  %19s  %8s  %6s  %8s\n", "threads", "median ms", "min-max ms", "GFLOP/s", "% peak", "/ folded");
  for (int k = 0; k < BENCH_FORMS; ++k) {
    const bench_form* b = &forms[k];
    char range[48];
    double gflops = b->median > 0 ? (double)flops / (b->median * 1e6) : 0;
    snprintf(range, sizeof range, "%.3f-%.3f", b->min, b->max);
    printf("  %-8s  %-7s  ", b->name, a->backend_name);
    print_cell(b->kernels, wk, 0);
    printf("  %7d  %10.3f  %19s  %8.1f  %6.1f  %8.2f\n", a->threads, b->median, range, gflops,
           peak > 0 ? 100.0 * gflops / peak : 0.0, folded->median > 0 ? b->median / folded->median : 0.0);
  }
  printf("speedup of folding: %.2fx (unfolded median / folded median); bn-fused / folded: %.2fx\n", speedup,
         folded->median > 0 ? forms[1].median / folded->median : 0.0);
  double d_bn = outputs_rel_diff(&forms[1], unfolded, num_out, out_numel);
  double d_f = outputs_rel_diff(folded, unfolded, num_out, out_numel);
  printf("outputs vs unfolded: bn-fused max rel %.1e, folded max rel %.1e%s\n", d_bn, d_f,
         a->weights_fp16 ? "  (every form with binary16 weights)"
         : d_bn <= CLI_VERIFY_MAX_REL && d_f <= CLI_VERIFY_MAX_REL
             ? ""
             : "  (beyond float rounding: check with fold --verify)");
  if (a->weights_fp16) {
    half_err = half_weights_error(a, folded, inputs, num_in, num_out, out_numel);
    if (half_err < 0) {
      rc = EXIT_ERROR;
      goto done;
    }
    printf("binary16 weights: folded outputs vs float32 weights max rel %.1e (max |diff| / max |float32 output|)\n",
           half_err);
  }

  if (a->profile) {
    const bench_profiled one = {folded->model, folded->session, a->threads, peak};
    rc = bench_profile_run(a, "folded", 0, &one, 1, inputs, num_in, folded->outs, num_out, runs, &bw, &profile);
    if (rc != EXIT_OK) goto done;
    bench_profile_print(&profile, NULL);
  }
  if (a->json) {
    rc = write_bench_json(a->json, a, &in0, num_in > 0, forms, runs, flops, peak, rc_peak_isa_name(isa), peak_1t,
                          speedup, &weights, &load, &probe, a->profile ? &profile : NULL, half_err);
    if (rc != EXIT_OK) goto done;
  }
  rc = EXIT_OK;

done:
  bench_profile_free(&profile);
  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_form* b = &forms[k];
    repconv_session_destroy(b->session);
    if (b->outs) {
      for (size_t j = 0; j < num_out; ++j) free(b->outs[j].data);
    }
    free(b->outs);
    free(b->ms);
    repconv_model_destroy(b->model);
    repconv_options_destroy(b->opts);
  }
  if (inputs) {
    for (size_t i = 0; i < num_in; ++i) free(inputs[i].data);
  }
  free(inputs);
  free(out_numel);
  return rc;
}

const cli_command cli_bench_command = {
    .name = "bench",
    .usage =
        "  bench MODEL [--shape [NAME=]NxCxHxW] [--threads N] [--runs N] [--cold]\n"
        "              [--backend auto|winograd|gemm|xnnpack|ref] [--json FILE] [--max-kernel K]\n"
        "              [--profile]\n"
        "  bench MODEL --steady [--frames N | --seconds S] [--form F] [--shape ...]\n"
        "              [--threads N] [--backend B] [--json FILE] [--profile [--scaling]]\n"
        "      loads MODEL three times: unfolded (as trained), bn-fused (only conv+BN\n"
        "      pairs fused) and folded; warms each up, then runs them interleaved on the\n"
        "      same random input, each timed run after " CLI_XSTR(BENCH_SETTLE_MS) " ms of untimed runs of its\n"
        "      form (with --cold, right after the other forms'), and prints per form\n"
        "      the median and min-max time, the\n"
        "      effective GFLOP/s (FLOPs of the folded graph / time, for every form), the\n"
        "      fraction of the measured FMA peak and the time over the folded one;\n"
        "      --json also writes the figures as JSON; --profile then times the folded\n"
        "      form's plan entries one by one (median per entry, share, GFLOP/s) and\n"
        "      prints their roofline: bytes moved, FLOP/byte, % of the FMA peak and of\n"
        "      the measured memory bandwidth, and which of the two bounds each entry;\n"
        "      --steady instead runs one form (--form, default folded) in one session,\n"
        "      frames back to back on one input buffer after a warm-up frame, for\n"
        "      --seconds (default " CLI_XSTR(CLI_BENCH_STEADY_S) ") or --frames, and prints frames/s, ms/frame\n"
        "      median and p90, and the effective GFLOP/s against the FMA peak; with\n"
        "      --profile, the same tables for that form over frames back to back;\n"
        "      --scaling (2 or more threads) adds a 1-thread session of the model, its\n"
        "      profiled frames alternating with those, and each entry's speedup\n",
    .options = OPT_SHAPE | OPT_THREADS | OPT_RUNS | OPT_BACKEND | OPT_JSON | OPT_MAX_KERNEL | OPT_PROFILE | OPT_STEADY |
               OPT_FRAMES | OPT_SECONDS | OPT_FORM | OPT_COLD | OPT_SCALING,
    .takes_model = 1,
    .run = cmd_bench,
};

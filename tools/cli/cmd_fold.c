/* repconv fold: folds every linear region into one conv, prints the fold
 * report, optionally verifies folded against unfolded outputs and writes the
 * report as JSON, then writes the folded model. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/graph.h"
#include "tools/cli/cli.h"
#include "tools/cli/json.h"
#include "tools/cli/table.h"

/* "3x3 s2 d2 g48": stride, dilation and groups only when not 1; "-" when
 * the region became no conv (a copy or a pad). */
static const char* kernel_str(const repconv_fold_region_t* r, char* buf, size_t size) {
  if (r->kernel_h <= 0 || r->kernel_w <= 0) {
    snprintf(buf, size, "-");
    return buf;
  }
  size_t used = 0;
  int n = snprintf(buf, size, "%dx%d", (int)r->kernel_h, (int)r->kernel_w);
  used = n > 0 ? (size_t)n : 0;
  if ((r->stride_h > 1 || r->stride_w > 1) && used < size) {
    n = r->stride_h == r->stride_w ? snprintf(buf + used, size - used, " s%d", (int)r->stride_h)
                                   : snprintf(buf + used, size - used, " s%dx%d", (int)r->stride_h, (int)r->stride_w);
    used += n > 0 ? (size_t)n : 0;
  }
  if ((r->dilation_h > 1 || r->dilation_w > 1) && used < size) {
    n = r->dilation_h == r->dilation_w
            ? snprintf(buf + used, size - used, " d%d", (int)r->dilation_h)
            : snprintf(buf + used, size - used, " d%dx%d", (int)r->dilation_h, (int)r->dilation_w);
    used += n > 0 ? (size_t)n : 0;
  }
  if (r->groups > 1 && used < size) snprintf(buf + used, size - used, " g%d", (int)r->groups);
  return buf;
}

typedef struct verify_result {
  int done;
  size_t num_outputs;
  const char** names; /* owned by the model */
  double* max_abs;    /* per output */
  double* max_ref;    /* max |unfolded| per output */
  double* max_rel;
  int64_t* nan_mismatch;
  double max_abs_all, max_rel_all;
  size_t worst; /* the output with the largest max_rel */
  double ms_unfolded, ms_folded;
  int ok;
} verify_result;

static void verify_result_free(verify_result* v) {
  free(v->names);
  free(v->max_abs);
  free(v->max_ref);
  free(v->max_rel);
  free(v->nan_mismatch);
  memset(v, 0, sizeof *v);
}

static int write_fold_json(const char* path, const cli_args* a, const repconv_model_t* model,
                           const repconv_fold_summary_t* sum, const verify_result* v) {
  FILE* f = fopen(path, "wb");
  if (!f) return fail(EXIT_ERROR, "writing the JSON report '%s': %s", path, strerror(errno));
  fputs("{\n  \"model\": ", f);
  json_string(f, a->model);
  fprintf(f, ",\n  \"max_kernel\": %d", a->max_kernel > 0 ? a->max_kernel : CLI_DEFAULT_MAX_KERNEL);
  fputs(",\n  \"inputs\": [", f);
  size_t num_in = repconv_model_num_inputs(model);
  for (size_t i = 0; i < num_in; ++i) {
    repconv_tensor_info_t t;
    memset(&t, 0, sizeof t);
    if (repconv_model_input(model, i, &t) != REPCONV_OK) continue;
    fputs(i ? ", {\"name\": " : "{\"name\": ", f);
    json_string(f, t.name);
    fputs(", \"shape\": ", f);
    json_dims(f, t.ndim, t.dims);
    fputc('}', f);
  }
  fprintf(f,
          "],\n  \"nodes_before\": %d,\n  \"nodes_after\": %d,\n  \"convs_before\": %d,\n  \"convs_after\": %d,\n"
          "  \"flops_before\": %" PRId64 ",\n  \"flops_after\": %" PRId64 ",\n  \"params_before\": %" PRId64
          ",\n  \"params_after\": %" PRId64 ",\n  \"regions\": [",
          (int)sum->nodes_before, (int)sum->nodes_after, (int)sum->convs_before, (int)sum->convs_after,
          sum->flops_before, sum->flops_after, sum->params_before, sum->params_after);
  for (int32_t i = 0; i < sum->regions; ++i) {
    repconv_fold_region_t r;
    memset(&r, 0, sizeof r);
    if (repconv_model_fold_region(model, (size_t)i, &r) != REPCONV_OK) continue;
    fputs(i ? ",\n    {\"output\": " : "\n    {\"output\": ", f);
    json_string(f, r.output);
    fprintf(f,
            ", \"nodes_before\": %d, \"nodes_after\": %d, \"kernel\": [%d, %d], \"stride\": [%d, %d], "
            "\"dilation\": [%d, %d], \"groups\": %d, \"exact\": %s, \"note\": ",
            (int)r.nodes_before, (int)r.nodes_after, (int)r.kernel_h, (int)r.kernel_w, (int)r.stride_h, (int)r.stride_w,
            (int)r.dilation_h, (int)r.dilation_w, (int)r.groups, r.exact ? "true" : "false");
    json_string(f, r.note);
    fprintf(f,
            ", \"flops_before\": %" PRId64 ", \"flops_after\": %" PRId64 ", \"params_before\": %" PRId64
            ", \"params_after\": %" PRId64 "}",
            r.flops_before, r.flops_after, r.params_before, r.params_after);
  }
  fputs(sum->regions > 0 ? "\n  ]" : "]", f);
  if (v && v->done) {
    fputs(",\n  \"verify\": {\"max_abs\": ", f);
    json_double(f, v->max_abs_all);
    fputs(", \"max_rel\": ", f);
    json_double(f, v->max_rel_all);
    fprintf(f, ", \"tolerance\": %g, \"ok\": %s, \"seed\": %d, \"outputs\": [", CLI_VERIFY_MAX_REL,
            v->ok ? "true" : "false", CLI_VERIFY_SEED);
    for (size_t j = 0; j < v->num_outputs; ++j) {
      fputs(j ? ", {\"name\": " : "{\"name\": ", f);
      json_string(f, v->names[j]);
      fputs(", \"max_abs\": ", f);
      json_double(f, v->max_abs[j]);
      fputs(", \"max_unfolded\": ", f);
      json_double(f, v->max_ref[j]);
      fputs(", \"max_rel\": ", f);
      json_double(f, v->max_rel[j]);
      fprintf(f, ", \"nan_mismatch\": %" PRId64 "}", v->nan_mismatch[j]);
    }
    fputs("]}", f);
  }
  fputs("\n}\n", f);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  if (bad) return fail(EXIT_ERROR, "writing the JSON report '%s': %s", path, strerror(errno ? errno : EIO));
  return EXIT_OK;
}

/* ---- the table */

typedef struct fold_row {
  char index[24], output[256], nodes[48], kernel[64], status[8], flops[64], params[64], note[400];
} fold_row;

static int print_fold_report(const cli_args* a, const repconv_model_t* model, const repconv_fold_summary_t* sum) {
  size_t n = sum->regions > 0 ? (size_t)sum->regions : 0;
  fold_row* rows = calloc(n + 1, sizeof *rows);
  if (!rows) return fail(EXIT_ERROR, "fold: out of memory for %zu report rows", n);
  /* Row 0 is the header. */
  fold_row* h = &rows[0];
  snprintf(h->index, sizeof h->index, "#");
  snprintf(h->output, sizeof h->output, "output");
  snprintf(h->nodes, sizeof h->nodes, "nodes");
  snprintf(h->kernel, sizeof h->kernel, "kernel");
  snprintf(h->status, sizeof h->status, "fold");
  snprintf(h->flops, sizeof h->flops, "FLOPs");
  snprintf(h->params, sizeof h->params, "params");
  snprintf(h->note, sizeof h->note, "note");
  int cut = 0;
  for (size_t i = 0; i < n; ++i) {
    repconv_fold_region_t r;
    memset(&r, 0, sizeof r);
    repconv_status st = repconv_model_fold_region(model, i, &r);
    if (st != REPCONV_OK) {
      free(rows);
      return fail(EXIT_ERROR, "reading fold region %zu of '%s': %s", i, a->model, lib_error(st));
    }
    fold_row* w = &rows[i + 1];
    char b1[32], b2[32];
    snprintf(w->index, sizeof w->index, "%zu", i);
    copy_printable(w->output, sizeof w->output, r.output);
    snprintf(w->nodes, sizeof w->nodes, "%d " ARROW " %d", (int)r.nodes_before, (int)r.nodes_after);
    kernel_str(&r, w->kernel, sizeof w->kernel);
    snprintf(w->status, sizeof w->status, "%s", r.exact ? "exact" : "cut");
    snprintf(w->flops, sizeof w->flops, "%s " ARROW " %s", compact(r.flops_before, b1, sizeof b1),
             compact(r.flops_after, b2, sizeof b2));
    snprintf(w->params, sizeof w->params, "%s " ARROW " %s", compact(r.params_before, b1, sizeof b1),
             compact(r.params_after, b2, sizeof b2));
    copy_printable(w->note, sizeof w->note, r.note);
    if (!r.exact) ++cut;
  }
  size_t wi = 0, wo = 0, wn = 0, wk = 0, ws = 0, wf = 0, wp = 0;
  for (size_t i = 0; i <= n; ++i) {
    const fold_row* w = &rows[i];
    size_t x;
    if ((x = display_width(w->index)) > wi) wi = x;
    if ((x = display_width(w->output)) > wo) wo = x < 48 ? x : 48;
    if ((x = display_width(w->nodes)) > wn) wn = x;
    if ((x = display_width(w->kernel)) > wk) wk = x;
    if ((x = display_width(w->status)) > ws) ws = x;
    if ((x = display_width(w->flops)) > wf) wf = x;
    if ((x = display_width(w->params)) > wp) wp = x;
  }
  printf("fold report: %s%s, max kernel %d: %zu region%s, %zu exact, %d cut\n", a->model,
         is_builtin(a->model) ? " (built-in)" : "", a->max_kernel > 0 ? a->max_kernel : CLI_DEFAULT_MAX_KERNEL, n,
         n == 1 ? "" : "s", n - (size_t)cut, cut);
  for (size_t i = 0; i <= n; ++i) {
    const fold_row* w = &rows[i];
    printf("  ");
    print_cell(w->index, wi, 1);
    printf("  ");
    print_cell(w->output, wo, 0);
    printf("  ");
    print_cell(w->nodes, wn, 1);
    printf("  ");
    print_cell(w->kernel, wk, 0);
    printf("  ");
    print_cell(w->status, ws, 0);
    printf("  ");
    print_cell(w->flops, wf, 1);
    printf("  ");
    print_cell(w->params, wp, 1);
    if (w->note[0] && (i > 0 || cut > 0)) printf("  %s", w->note);
    printf("\n");
  }
  free(rows);

  char b1[32], b2[32], c1[32], c2[32];
  double flops_pct =
      sum->flops_before ? 100.0 * (double)(sum->flops_after - sum->flops_before) / (double)sum->flops_before : 0.0;
  double params_pct =
      sum->params_before ? 100.0 * (double)(sum->params_after - sum->params_before) / (double)sum->params_before : 0.0;
  printf("totals:\n");
  printf("  nodes   %d " ARROW " %d\n", (int)sum->nodes_before, (int)sum->nodes_after);
  printf("  convs   %d " ARROW " %d\n", (int)sum->convs_before, (int)sum->convs_after);
  printf("  FLOPs   %s " ARROW " %s  (%+.1f%%; %s " ARROW " %s)\n", compact(sum->flops_before, c1, sizeof c1),
         compact(sum->flops_after, c2, sizeof c2), flops_pct, group_digits(sum->flops_before, b1, sizeof b1),
         group_digits(sum->flops_after, b2, sizeof b2));
  printf("  params  %s " ARROW " %s  (%+.1f%%; %s " ARROW " %s)\n", compact(sum->params_before, c1, sizeof c1),
         compact(sum->params_after, c2, sizeof c2), params_pct, group_digits(sum->params_before, b1, sizeof b1),
         group_digits(sum->params_after, b2, sizeof b2));
  return EXIT_OK;
}

/* ---- --verify */

/* Runs `model` on `inputs`, writing every output into outs (allocated here). */
static int run_all_outputs(const cli_args* a, const repconv_model_t* model, const repconv_options_t* opts,
                           const char* which, const repconv_tensor_t* inputs, size_t num_in, repconv_tensor_t* outs,
                           int64_t* numel, size_t num_out, double* ms) {
  for (size_t j = 0; j < num_out; ++j) {
    repconv_tensor_info_t info;
    memset(&info, 0, sizeof info);
    repconv_status st = repconv_model_output(model, j, &info);
    if (st != REPCONV_OK) return fail(EXIT_ERROR, "reading output %zu of '%s': %s", j, a->model, lib_error(st));
    int64_t n = numel_checked(info.ndim, info.dims);
    if (n < 0) {
      char s[96];
      return fail(EXIT_ERROR, "output '%s' has an invalid shape %s", info.name ? info.name : "?",
                  rc_dims_str(info.ndim, info.dims, RC_SHAPE_X, s, sizeof s));
    }
    outs[j].name = info.name;
    outs[j].ndim = info.ndim;
    memcpy(outs[j].dims, info.dims, sizeof outs[j].dims);
    outs[j].data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
    numel[j] = n;
    if (!outs[j].data) return fail(EXIT_ERROR, "fold: out of memory for output '%s'", info.name ? info.name : "?");
  }
  repconv_session_t* session = NULL;
  repconv_status st = repconv_session_create(model, opts, &session);
  if (st != REPCONV_OK) return fail(EXIT_ERROR, "creating a session for '%s' (%s): %s", a->model, which, lib_error(st));
  double t0 = now_ms();
  st = repconv_session_run(session, inputs, num_in, outs, num_out);
  *ms = now_ms() - t0;
  int rc = EXIT_OK;
  if (st != REPCONV_OK) rc = fail(EXIT_ERROR, "running '%s' (%s): %s", a->model, which, session_error(session, st));
  repconv_session_destroy(session);
  return rc;
}

/* Loads the model again with folding off, runs both on the same random
 * inputs and compares every output. */
static int verify_fold(const cli_args* a, const repconv_model_t* folded, const repconv_options_t* folded_opts,
                       verify_result* v) {
  repconv_options_t* opts = NULL;
  repconv_model_t* unfolded = NULL;
  int rc = load_model(a, 0, a->threads, a->backend, &opts, &unfolded);
  if (rc != EXIT_OK) return rc;

  size_t num_in = repconv_model_num_inputs(folded);
  size_t num_out = repconv_model_num_outputs(folded);
  repconv_tensor_t* inputs = calloc(num_in ? num_in : 1, sizeof *inputs);
  repconv_tensor_t* out_f = calloc(num_out ? num_out : 1, sizeof *out_f);
  repconv_tensor_t* out_u = calloc(num_out ? num_out : 1, sizeof *out_u);
  int64_t* numel_f = calloc(num_out ? num_out : 1, sizeof *numel_f);
  int64_t* numel_u = calloc(num_out ? num_out : 1, sizeof *numel_u);
  v->num_outputs = num_out;
  v->names = calloc(num_out ? num_out : 1, sizeof *v->names);
  v->max_abs = calloc(num_out ? num_out : 1, sizeof *v->max_abs);
  v->max_ref = calloc(num_out ? num_out : 1, sizeof *v->max_ref);
  v->max_rel = calloc(num_out ? num_out : 1, sizeof *v->max_rel);
  v->nan_mismatch = calloc(num_out ? num_out : 1, sizeof *v->nan_mismatch);
  if (!inputs || !out_f || !out_u || !numel_f || !numel_u || !v->names || !v->max_abs || !v->max_ref || !v->max_rel ||
      !v->nan_mismatch) {
    rc = fail(EXIT_ERROR, "fold: out of memory");
    goto done;
  }
  if (repconv_model_num_inputs(unfolded) != num_in || repconv_model_num_outputs(unfolded) != num_out) {
    rc = fail(EXIT_ERROR, "fold --verify: '%s' has %zu inputs and %zu outputs folded but %zu and %zu unfolded",
              a->model, num_in, num_out, repconv_model_num_inputs(unfolded), repconv_model_num_outputs(unfolded));
    goto done;
  }
  for (size_t i = 0; i < num_in; ++i) {
    repconv_tensor_info_t info, info_u;
    memset(&info, 0, sizeof info);
    memset(&info_u, 0, sizeof info_u);
    repconv_status st = repconv_model_input(folded, i, &info);
    if (st == REPCONV_OK) st = repconv_model_input(unfolded, i, &info_u);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a->model, lib_error(st));
      goto done;
    }
    if (!shapes_equal(info.ndim, info.dims, info_u.ndim, info_u.dims)) {
      rc = fail(EXIT_ERROR, "fold --verify: input '%s' of '%s' differs in shape folded and unfolded",
                info.name ? info.name : "?", a->model);
      goto done;
    }
    rc = make_random_input("fold", &info, i, &inputs[i]);
    if (rc != EXIT_OK) goto done;
  }

  rc = run_all_outputs(a, unfolded, opts, "unfolded", inputs, num_in, out_u, numel_u, num_out, &v->ms_unfolded);
  if (rc != EXIT_OK) goto done;
  rc = run_all_outputs(a, folded, folded_opts, "folded", inputs, num_in, out_f, numel_f, num_out, &v->ms_folded);
  if (rc != EXIT_OK) goto done;

  v->ok = 1;
  for (size_t j = 0; j < num_out; ++j) {
    v->names[j] = out_f[j].name;
    if (!shapes_equal(out_f[j].ndim, out_f[j].dims, out_u[j].ndim, out_u[j].dims)) {
      char s1[96], s2[96];
      rc = fail(EXIT_ERROR, "fold --verify: output '%s' of '%s' is %s folded but %s unfolded",
                out_f[j].name ? out_f[j].name : "?", a->model,
                rc_dims_str(out_f[j].ndim, out_f[j].dims, RC_SHAPE_X, s1, sizeof s1),
                rc_dims_str(out_u[j].ndim, out_u[j].dims, RC_SHAPE_X, s2, sizeof s2));
      goto done;
    }
    /* Relative to the output's scale (cli_compare). */
    cli_diff d = cli_compare(out_f[j].data, out_u[j].data, numel_f[j]);
    double max_abs = d.max_abs, rel = d.rel;
    v->max_abs[j] = max_abs;
    v->max_ref[j] = d.max_ref;
    v->max_rel[j] = rel;
    v->nan_mismatch[j] = d.nan_mismatch;
    if (max_abs > v->max_abs_all) v->max_abs_all = max_abs;
    if (j == 0 || rel > v->max_rel_all) {
      v->max_rel_all = rel;
      v->worst = j;
    }
    if (!(rel <= CLI_VERIFY_MAX_REL)) v->ok = 0;
  }
  v->done = 1;

  printf(
      "verify: folded vs unfolded on the same uniform [-1, 1) input%s (gen-input --seed %d), backend %s, "
      "%d thread%s\n",
      num_in == 1 ? "" : "s", CLI_VERIFY_SEED, a->backend_name, a->threads, a->threads == 1 ? "" : "s");
  size_t wname = 6;
  for (size_t j = 0; j < num_out; ++j) {
    size_t w = display_width(v->names[j] ? v->names[j] : "?");
    if (w > wname) wname = w < 48 ? w : 48;
  }
  printf("  ");
  print_cell("output", wname, 0);
  printf("  %-16s %12s %14s %12s\n", "shape", "max |diff|", "max |unfolded|", "max rel");
  for (size_t j = 0; j < num_out; ++j) {
    char name[256], shape[96];
    copy_printable(name, sizeof name, v->names[j] ? v->names[j] : "?");
    printf("  ");
    print_cell(name, wname, 0);
    printf("  %-16s %12.3e %14.6g %12.3e", rc_dims_str(out_f[j].ndim, out_f[j].dims, RC_SHAPE_X, shape, sizeof shape),
           v->max_abs[j], v->max_ref[j], v->max_rel[j]);
    if (v->nan_mismatch[j]) printf("  (%" PRId64 " NaN in one only)", v->nan_mismatch[j]);
    printf("\n");
  }
  printf("  time: unfolded %.1f ms, folded %.1f ms\n", v->ms_unfolded, v->ms_folded);
  printf("verify: max abs %.3e, max rel %.3e %s %.0e: %s\n", v->max_abs_all, v->max_rel_all, v->ok ? "<=" : ">",
         CLI_VERIFY_MAX_REL, v->ok ? "ok (float rounding)" : "FAILED");
  rc = EXIT_OK;

done:
  if (inputs) {
    for (size_t i = 0; i < num_in; ++i) free(inputs[i].data);
  }
  if (out_f) {
    for (size_t j = 0; j < num_out; ++j) free(out_f[j].data);
  }
  if (out_u) {
    for (size_t j = 0; j < num_out; ++j) free(out_u[j].data);
  }
  free(inputs);
  free(out_f);
  free(out_u);
  free(numel_f);
  free(numel_u);
  repconv_model_destroy(unfolded);
  repconv_options_destroy(opts);
  return rc;
}

static int cmd_fold(const cli_args* a) {
  int rc;
  /* The .rcm keeps float32 weights, and --verify checks the fold itself:
   * binary16 weights would move the outputs beyond float rounding. */
  if (a->weights_fp16) {
    return usage_error("fold",
                       "--weights fp16 does not apply: the .rcm keeps float32 weights (give it to run, bench, "
                       "video or upscale when the model runs)");
  }

  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  verify_result v;
  memset(&v, 0, sizeof v);
  rc = load_model(a, 1, a->threads, a->backend, &opts, &model);
  if (rc != EXIT_OK) return rc;

  repconv_fold_summary_t sum;
  repconv_status st = repconv_model_fold_summary(model, &sum);
  if (st != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "reading the fold summary of '%s': %s", a->model, lib_error(st));
    goto done;
  }
  if (!sum.folded) {
    rc = fail(EXIT_ERROR, "fold: '%s' was loaded but not folded", a->model);
    goto done;
  }
  rc = print_fold_report(a, model, &sum);
  if (rc != EXIT_OK) goto done;

  if (a->verify) {
    fflush(stdout);
    rc = verify_fold(a, model, opts, &v);
    if (rc != EXIT_OK) goto done;
  }
  if (a->json) {
    rc = write_fold_json(a->json, a, model, &sum, &v);
    if (rc != EXIT_OK) goto done;
  }
  if (a->verify && !v.ok) {
    const char* worst = v.names && v.names[v.worst] ? v.names[v.worst] : "?";
    rc = fail(EXIT_ERROR,
              "fold --verify: max relative difference %.3g on output '%s' exceeds %.0e: a fold that changes the "
              "output beyond float rounding is a bug; %s not written",
              v.max_rel_all, worst, CLI_VERIFY_MAX_REL, a->outputs[0]);
    goto done;
  }
  st = repconv_model_save(model, a->outputs[0]);
  if (st != REPCONV_OK) {
    rc = fail_lib(EXIT_ERROR, "saving the folded model", a->outputs[0], lib_error(st));
    goto done;
  }
  printf("wrote %s (%zu nodes)%s%s\n", a->outputs[0], repconv_model_num_nodes(model), a->json ? ", report " : "",
         a->json ? a->json : "");
  rc = EXIT_OK;

done:
  verify_result_free(&v);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

const cli_command cli_fold_command = {
    .name = "fold",
    .usage =
        "  fold MODEL -o OUT.rcm [--verify] [--json REPORT.json] [--max-kernel K]\n"
        "            [--shape [NAME=]NxCxHxW] [--threads N] [--backend auto|winograd|gemm|xnnpack|ref]\n"
        "      folds every linear region into one conv, prints the fold report (one row\n"
        "      per region, then totals) and writes the folded model to OUT.rcm;\n"
        "      --json also writes the report as JSON; --verify also runs the model\n"
        "      folded and unfolded on the same random input and prints the max absolute\n"
        "      and relative difference per output (exit status 1 if the relative\n"
        "      difference exceeds 1e-4)\n",
    .options = OPT_OUTPUT | OPT_VERIFY | OPT_JSON | OPT_MAX_KERNEL | OPT_SHAPE | OPT_THREADS | OPT_BACKEND,
    .takes_model = 1,
    .default_fold = 1,
    .require = OPT_OUTPUT,
    .missing = "missing -o OUT.rcm",
    .single_output = 1,
    .run = cmd_fold,
};

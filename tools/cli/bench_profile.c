/* bench --profile: the folded form's time per plan entry, and its roofline:
 * per entry the bytes it moves (repconv_session_step_bytes), its FLOPs,
 * FLOP/byte, the fraction of the FMA peak and of the measured memory
 * bandwidth it reaches, and which of the two bounds it. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/flops.h"
#include "tools/cli/bench.h"
#include "tools/cli/json.h"
#include "tools/cli/table.h"

int bench_profile_run(const cli_args* a, const char* form, int steady, const repconv_model_t* model,
                      repconv_session_t* session, const repconv_tensor_t* inputs, size_t num_in, repconv_tensor_t* outs,
                      size_t num_out, int runs, double peak, const rc_bandwidth* bw, bench_profile* p) {
  memset(p, 0, sizeof(*p));
  size_t n = repconv_session_num_plan_entries(session);
  p->n = n;
  p->runs = runs;
  p->threads = a->threads;
  p->form = form;
  p->steady = steady;
  p->peak = peak;
  if (bw) p->bw = *bw;
  double* t = calloc(n * (size_t)runs + 1, sizeof *t);
  double* whole = calloc(2 * (size_t)runs, sizeof *whole); /* per run: wall time, then its steps' sum */
  int64_t* flops = calloc(n + 1, sizeof *flops);
  p->rows = calloc(n + 1, sizeof *p->rows);
  int rc = EXIT_OK;
  if (!t || !whole || !flops || !p->rows || repconv_session_set_profiling(session, 1) != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "bench --profile: out of memory");
    goto out;
  }
  for (int r = 0; r < runs; ++r) {
    if (a->threads > 1 && !steady) bench_settle();
    const double t0 = now_ms();
    repconv_status st = repconv_session_run(session, inputs, num_in, outs, num_out);
    whole[r] = now_ms() - t0;
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "running '%s' (%s, profiling): %s", a->model, form, session_error(session, st));
      goto out;
    }
    for (size_t i = 0; i < n; ++i) {
      repconv_session_step_time(session, i, &t[i * (size_t)runs + (size_t)r]);
      whole[runs + r] += t[i * (size_t)runs + (size_t)r];
    }
  }
  qsort(whole, (size_t)runs, sizeof *whole, bench_compare_double);
  qsort(whole + runs, (size_t)runs, sizeof *whole, bench_compare_double);
  p->run_ms = bench_median(whole, runs);
  p->steps_ms = bench_median(whole + runs, runs);
  rcb_plan_entry_flops(model, session, flops, n);
  for (size_t i = 0; i < n; ++i) {
    bench_profile_row* row = &p->rows[i];
    double* m = &t[i * (size_t)runs];
    qsort(m, (size_t)runs, sizeof *m, bench_compare_double);
    row->ms = bench_median(m, runs);
    row->flops = flops[i];
    p->total_ms += row->ms;
    repconv_session_plan(session, i, &row->entry);
    repconv_session_step_bytes(session, i, &row->bytes);
    row->fused = !row->entry.backend || strcmp(row->entry.backend, "fused") == 0;
  }
out:
  repconv_session_set_profiling(session, 0);
  free(t);
  free(whole);
  free(flops);
  return rc;
}

void bench_profile_free(bench_profile* p) {
  free(p->rows);
  memset(p, 0, sizeof(*p));
}

/* The roofline figures of one row. */
typedef struct roof {
  uint64_t read, written, bytes; /* rings: read, once per thread */
  double intensity;              /* FLOP/byte */
  double gflops, peak_frac;      /* achieved, and over the peak */
  double mem_ms, bw_frac;        /* the bytes at the measured rates, and that over the time */
  const char* bound;             /* "compute" or "memory"; NULL without a bandwidth */
} roof;

static roof roof_of(const bench_profile* p, const bench_profile_row* r) {
  roof o;
  memset(&o, 0, sizeof o);
  const repconv_step_bytes_t* b = &r->bytes;
  o.read = b->weights + b->channels + b->inputs + b->rings * (uint64_t)p->threads;
  o.written = b->outputs;
  o.bytes = o.read + o.written;
  o.intensity = o.bytes ? (double)r->flops / (double)o.bytes : 0;
  o.gflops = r->ms > 0 ? (double)r->flops / (r->ms * 1e6) : 0;
  o.peak_frac = p->peak > 0 ? o.gflops / p->peak : 0;
  if (p->bw.read_gbs > 0 && p->bw.write_gbs > 0) {
    o.mem_ms = (double)o.read / (p->bw.read_gbs * 1e6) + (double)o.written / (p->bw.write_gbs * 1e6);
    o.bw_frac = r->ms > 0 ? o.mem_ms / r->ms : 0;
    const double compute_ms = p->peak > 0 ? (double)r->flops / (p->peak * 1e6) : 0;
    o.bound = o.mem_ms > compute_ms ? "memory" : "compute";
  }
  return o;
}

static void print_times(const bench_profile* p) {
  const char* unit = p->steady ? "frame" : "round";
  const char* tail = p->runs == 1 ? "" : p->steady ? "s back to back" : "s";
  printf("\nprofile of the %s form: median per plan entry over %d %s%s (sum %.3f ms)\n", p->form, p->runs, unit, tail,
         p->total_ms);
  printf(
      "per %s (medians): %.3f ms, of which the entries %.3f and %.3f outside them (the executor's input and output "
      "conversions, the session)\n",
      unit, p->run_ms, p->steps_ms, p->run_ms - p->steps_ms);
  printf("  %4s  %-28s  %-15s  %-48s  %9s  %6s  %8s  %6s\n", "#", "node", "op", "kernel", "median ms", "share",
         "GFLOP/s", "% peak");
  for (size_t i = 0; i < p->n; ++i) {
    const bench_profile_row* r = &p->rows[i];
    const repconv_plan_entry_t* e = &r->entry;
    char node[29], kernel[49], op[16];
    copy_printable(node, sizeof node, e->node ? e->node : "?");
    copy_printable(op, sizeof op, e->op ? e->op : "?");
    copy_printable(kernel, sizeof kernel, e->kernel ? e->kernel : "?");
    if (r->fused) { /* its time is its producer's */
      printf("  %4zu  %-28s  %-15s  %-48s  %9s  %6s  %8s  %6s\n", i, node, op, kernel, "-", "-", "-", "-");
      continue;
    }
    const double gf = r->ms > 0 ? (double)r->flops / (r->ms * 1e6) : 0;
    printf("  %4zu  %-28s  %-15s  %-48s  %9.3f  %5.1f%%  %8.1f  %6.1f\n", i, node, op, kernel, r->ms,
           p->total_ms > 0 ? 100.0 * r->ms / p->total_ms : 0.0, gf, p->peak > 0 ? 100.0 * gf / p->peak : 0.0);
  }
}

static void print_roofline(const bench_profile* p) {
  const rc_bandwidth* bw = &p->bw;
  printf(
      "\nroofline of the %s form: bytes each counted once (weights as the kernel reads them: Winograd "
      "transformed filters, GEMM packed panels; activations in and out; a chain's rings, once per thread)\n",
      p->form);
  if (bw->read_gbs > 0) {
    printf(
        "memory bandwidth (measured, %d thread%s, %.0f MB buffer, last-level cache %.0f MB): read %.1f GB/s, "
        "write %.1f GB/s, memcpy %.1f GB/s (read + written)\n",
        bw->threads, bw->threads == 1 ? "" : "s", (double)bw->buffer_bytes / 1e6, (double)bw->llc_bytes / 1e6,
        bw->read_gbs, bw->write_gbs, bw->copy_gbs);
    printf(
        "ridge point %.1f FLOP/byte (FMA peak %.1f GFLOP/s / read bandwidth); bound: memory when the entry's bytes "
        "at the read and write rates take longer than its FLOPs at the peak\n",
        p->peak / bw->read_gbs, p->peak);
  } else {
    printf("memory bandwidth: not measured (no buffer or threads for the probe)\n");
  }
  printf("  %4s  %-28s  %9s  %10s  %8s  %7s  %9s  %8s  %6s  %6s  %s\n", "#", "node", "MFLOP", "weights MB", "act MB",
         "FLOP/B", "median ms", "GFLOP/s", "% peak", "% bw", "bound");
  uint64_t tw = 0, ta = 0;
  int64_t tf = 0;
  double tmem = 0;
  for (size_t i = 0; i < p->n; ++i) {
    const bench_profile_row* r = &p->rows[i];
    if (r->fused) continue; /* counted with the entry that computes it */
    const roof o = roof_of(p, r);
    const uint64_t w = r->bytes.weights + r->bytes.channels, act = o.bytes - w;
    char node[29];
    copy_printable(node, sizeof node, r->entry.node ? r->entry.node : "?");
    printf("  %4zu  %-28s  %9.2f  %10.3f  %8.3f  %7.1f  %9.3f  %8.1f  %6.1f  %6.1f  %s\n", i, node,
           (double)r->flops / 1e6, (double)w / 1e6, (double)act / 1e6, o.intensity, r->ms, o.gflops,
           100.0 * o.peak_frac, 100.0 * o.bw_frac, o.bound ? o.bound : "-");
    tw += w;
    ta += act;
    tf += r->flops;
    tmem += o.mem_ms;
  }
  const double tg = p->total_ms > 0 ? (double)tf / (p->total_ms * 1e6) : 0;
  printf("  %4s  %-28s  %9.2f  %10.3f  %8.3f  %7.1f  %9.3f  %8.1f  %6.1f  %6.1f\n", "", "total", (double)tf / 1e6,
         (double)tw / 1e6, (double)ta / 1e6, tw + ta ? (double)tf / (double)(tw + ta) : 0.0, p->total_ms, tg,
         p->peak > 0 ? 100.0 * tg / p->peak : 0.0, p->total_ms > 0 ? 100.0 * tmem / p->total_ms : 0.0);
  if (bw->read_gbs > 0) {
    printf(
        "%% bw: the time the bytes take at the measured rates over the entry's time; above 100, some of them came "
        "from cache\n");
  }
}

void bench_profile_print(const bench_profile* p) {
  print_times(p);
  print_roofline(p);
}

static void json_num_or_null(FILE* f, const char* key, double v, int have) {
  fprintf(f, ", \"%s\": ", key);
  json_double(f, have ? v : HUGE_VAL);
}

void bench_profile_json(FILE* f, const bench_profile* p) {
  const rc_bandwidth* bw = &p->bw;
  const int have_bw = bw->read_gbs > 0;
  fprintf(f,
          "\"profile\": {\n    \"form\": \"%s\", \"steady\": %s, \"runs\": %d, \"threads\": %d, \"sum_ms\": ", p->form,
          p->steady ? "true" : "false", p->runs, p->threads);
  json_double(f, p->total_ms);
  fputs(", \"run_ms\": ", f);
  json_double(f, p->run_ms);
  fputs(", \"steps_ms\": ", f);
  json_double(f, p->steps_ms);
  fputs(", \"peak_gflops\": ", f);
  json_double(f, p->peak > 0 ? p->peak : HUGE_VAL);
  fprintf(f, ",\n    \"bandwidth\": {\"threads\": %d, \"buffer_bytes\": %zu, \"llc_bytes\": %zu", bw->threads,
          bw->buffer_bytes, bw->llc_bytes);
  json_num_or_null(f, "read_gbs", bw->read_gbs, have_bw);
  json_num_or_null(f, "write_gbs", bw->write_gbs, have_bw);
  json_num_or_null(f, "copy_gbs", bw->copy_gbs, have_bw);
  fputs("}", f);
  json_num_or_null(f, "ridge_flop_per_byte", have_bw ? p->peak / bw->read_gbs : 0, have_bw && p->peak > 0);
  fputs(",\n    \"entries\": [", f);
  for (size_t i = 0; i < p->n; ++i) {
    const bench_profile_row* r = &p->rows[i];
    const repconv_step_bytes_t* b = &r->bytes;
    const roof o = roof_of(p, r);
    fprintf(f, "%s\n      {\"index\": %zu, \"node\": ", i ? "," : "", i);
    json_string(f, r->entry.node ? r->entry.node : "?");
    fputs(", \"op\": ", f);
    json_string(f, r->entry.op ? r->entry.op : "?");
    fputs(", \"backend\": ", f);
    json_string(f, r->entry.backend ? r->entry.backend : "?");
    fputs(", \"kernel\": ", f);
    json_string(f, r->entry.kernel ? r->entry.kernel : "?");
    fprintf(f, ", \"fused\": %s", r->fused ? "true" : "false");
    json_num_or_null(f, "median_ms", r->ms, !r->fused);
    json_num_or_null(f, "share", p->total_ms > 0 ? r->ms / p->total_ms : 0, !r->fused);
    fprintf(f,
            ", \"flops\": %" PRId64 ", \"layers\": %d, \"weight_bytes\": %" PRIu64 ", \"channel_bytes\": %" PRIu64
            ", \"input_bytes\": %" PRIu64 ", \"output_bytes\": %" PRIu64 ", \"ring_bytes_per_thread\": %" PRIu64
            ", \"bytes\": %" PRIu64,
            r->flops, (int)b->layers, b->weights, b->channels, b->inputs, b->outputs, b->rings, o.bytes);
    json_num_or_null(f, "flop_per_byte", o.intensity, !r->fused && o.bytes > 0);
    json_num_or_null(f, "gflops", o.gflops, !r->fused);
    json_num_or_null(f, "peak_fraction", o.peak_frac, !r->fused && p->peak > 0);
    json_num_or_null(f, "bandwidth_fraction", o.bw_frac, !r->fused && have_bw);
    fputs(", \"bound\": ", f);
    if (!r->fused && o.bound) {
      json_string(f, o.bound);
    } else {
      fputs("null", f);
    }
    fputs("}", f);
  }
  fputs("\n    ]\n  }", f);
}

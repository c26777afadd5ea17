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

/* Runs of a session in a row when several take turns (bench_profile_run). */
#define PROFILE_BURST 5

/* One profiled session's state while its runs go: per run the entries'
 * times and the run's wall time, then its steps' sum. */
typedef struct profiling {
  double *t, *whole;
  int on; /* its profiling switched on */
} profiling;

/* Per-entry medians of s's runs into p. */
static void profile_finish(const bench_profiled* s, const profiling* g, int runs, bench_profile* p, int64_t* flops) {
  qsort(g->whole, (size_t)runs, sizeof *g->whole, bench_compare_double);
  qsort(g->whole + runs, (size_t)runs, sizeof *g->whole, bench_compare_double);
  p->run_ms = bench_median(g->whole, runs);
  p->steps_ms = bench_median(g->whole + runs, runs);
  rcb_plan_entry_flops(s->model, s->session, flops, p->n);
  for (size_t i = 0; i < p->n; ++i) {
    bench_profile_row* row = &p->rows[i];
    double* m = &g->t[i * (size_t)runs];
    qsort(m, (size_t)runs, sizeof *m, bench_compare_double);
    row->ms = bench_median(m, runs);
    row->flops = flops[i];
    p->total_ms += row->ms;
    repconv_session_plan(s->session, i, &row->entry);
    repconv_session_step_bytes(s->session, i, &row->bytes);
    row->fused = !row->entry.backend || strcmp(row->entry.backend, "fused") == 0;
  }
}

int bench_profile_run(const cli_args* a, const char* form, int steady, const bench_profiled* s, size_t ns,
                      const repconv_tensor_t* inputs, size_t num_in, repconv_tensor_t* outs, size_t num_out, int runs,
                      const rc_bandwidth* bw, bench_profile* p) {
  if (ns > BENCH_PROFILE_MAX)
    return fail(EXIT_ERROR, "bench --profile: %zu sessions, at most %d", ns, BENCH_PROFILE_MAX);
  profiling g[BENCH_PROFILE_MAX];
  memset(g, 0, sizeof g);
  int rc = EXIT_OK;
  size_t nmax = 0;
  for (size_t k = 0; k < ns; ++k) {
    bench_profile* q = &p[k];
    memset(q, 0, sizeof(*q));
    q->n = repconv_session_num_plan_entries(s[k].session);
    q->runs = runs;
    q->threads = s[k].threads;
    q->form = form;
    q->steady = steady;
    q->peak = s[k].peak;
    if (bw && k == 0) q->bw = *bw;
    if (q->n > nmax) nmax = q->n;
    g[k].t = calloc(q->n * (size_t)runs + 1, sizeof *g[k].t);
    g[k].whole = calloc(2 * (size_t)runs, sizeof *g[k].whole); /* per run: wall time, then its steps' sum */
    q->rows = calloc(q->n + 1, sizeof *q->rows);
    if (!g[k].t || !g[k].whole || !q->rows || repconv_session_set_profiling(s[k].session, 1) != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "bench --profile: out of memory");
      goto out;
    }
    g[k].on = 1;
  }
  int64_t* flops = calloc(nmax + 1, sizeof *flops);
  if (!flops) {
    rc = fail(EXIT_ERROR, "bench --profile: out of memory");
    goto out;
  }
  /* Several sessions take turns in bursts of PROFILE_BURST runs, each
   * after an untimed one: a run straight after the other session's found
   * its pool asleep and its lines evicted (RepVGG-A0's 2-thread frames
   * alternating one by one with 1-thread ones: 6.9 ms against 6.0–6.5 back
   * to back). */
  const int burst = ns > 1 ? PROFILE_BURST : runs;
  for (int r0 = 0; r0 < runs; r0 += burst)
    for (size_t k = 0; k < ns; ++k)
      for (int r = ns > 1 ? r0 - 1 : r0; r < r0 + burst && r < runs; ++r) {
        if (s[k].threads > 1 && !steady) bench_settle();
        const double t0 = now_ms();
        repconv_status st = repconv_session_run(s[k].session, inputs, num_in, outs, num_out);
        const double t1 = now_ms();
        if (st != REPCONV_OK) {
          rc = fail(EXIT_ERROR, "running '%s' (%s, profiling): %s", a->model, form, session_error(s[k].session, st));
          free(flops);
          goto out;
        }
        if (r < r0) continue; /* the burst's untimed run */
        g[k].whole[r] = t1 - t0;
        for (size_t i = 0; i < p[k].n; ++i) {
          repconv_session_step_time(s[k].session, i, &g[k].t[i * (size_t)runs + (size_t)r]);
          g[k].whole[runs + r] += g[k].t[i * (size_t)runs + (size_t)r];
        }
      }
  for (size_t k = 0; k < ns; ++k) profile_finish(&s[k], &g[k], runs, &p[k], flops);
  free(flops);
out:
  for (size_t k = 0; k < ns; ++k) {
    if (g[k].on) repconv_session_set_profiling(s[k].session, 0);
    free(g[k].t);
    free(g[k].whole);
  }
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

/* Whether base profiles the same plan entries as p (the same nodes, fused
 * alike): a plan made for another thread count may pick other kernels, not
 * other entries, but the per-entry speedups need it checked. */
static int same_entries(const bench_profile* p, const bench_profile* base) {
  if (!base || base->n != p->n) return 0;
  for (size_t i = 0; i < p->n; ++i) {
    const repconv_plan_entry_t *e = &p->rows[i].entry, *b = &base->rows[i].entry;
    if (p->rows[i].fused != base->rows[i].fused || !e->node || !b->node || strcmp(e->node, b->node) != 0) return 0;
  }
  return 1;
}

static void print_times(const bench_profile* p, const bench_profile* base) {
  const char* unit = p->steady ? "frame" : "round";
  const char* tail = p->runs == 1 ? "" : p->steady ? "s back to back" : "s";
  printf("\nprofile of the %s form: median per plan entry over %d %s%s (sum %.3f ms)\n", p->form, p->runs, unit, tail,
         p->total_ms);
  printf(
      "per %s (medians): %.3f ms, of which the entries %.3f and %.3f outside them (the executor's input and output "
      "conversions, the session)\n",
      unit, p->run_ms, p->steps_ms, p->run_ms - p->steps_ms);
  const int cols = same_entries(p, base);
  char head[16] = "";
  if (base) {
    printf(
        "on %d thread%s, its %ss alternating with these: %.3f ms a %s, the entries %.3f; %d threads over %d: %.2fx "
        "(%ss), %.2fx (entries)%s\n",
        base->threads, base->threads == 1 ? "" : "s", unit, base->run_ms, unit, base->steps_ms, p->threads,
        base->threads, p->run_ms > 0 ? base->run_ms / p->run_ms : 0.0, unit,
        p->steps_ms > 0 ? base->steps_ms / p->steps_ms : 0.0,
        cols ? "" : "; its plan has other entries: no per-entry column");
    if (cols) snprintf(head, sizeof head, "%dt ms", base->threads);
  }
  printf("  %4s  %-28s  %-15s  %-48s  %9s  %6s  %8s  %6s", "#", "node", "op", "kernel", "median ms", "share", "GFLOP/s",
         "% peak");
  if (cols) printf("  %9s  %7s", head, "speedup");
  printf("\n");
  for (size_t i = 0; i < p->n; ++i) {
    const bench_profile_row* r = &p->rows[i];
    const repconv_plan_entry_t* e = &r->entry;
    char node[29], kernel[49], op[16];
    copy_printable(node, sizeof node, e->node ? e->node : "?");
    copy_printable(op, sizeof op, e->op ? e->op : "?");
    copy_printable(kernel, sizeof kernel, e->kernel ? e->kernel : "?");
    if (r->fused) { /* its time is its producer's */
      printf("  %4zu  %-28s  %-15s  %-48s  %9s  %6s  %8s  %6s", i, node, op, kernel, "-", "-", "-", "-");
      if (cols) printf("  %9s  %7s", "-", "-");
      printf("\n");
      continue;
    }
    const double gf = r->ms > 0 ? (double)r->flops / (r->ms * 1e6) : 0;
    printf("  %4zu  %-28s  %-15s  %-48s  %9.3f  %5.1f%%  %8.1f  %6.1f", i, node, op, kernel, r->ms,
           p->total_ms > 0 ? 100.0 * r->ms / p->total_ms : 0.0, gf, p->peak > 0 ? 100.0 * gf / p->peak : 0.0);
    if (cols) printf("  %9.3f  %6.2fx", base->rows[i].ms, r->ms > 0 ? base->rows[i].ms / r->ms : 0.0);
    printf("\n");
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

void bench_profile_print(const bench_profile* p, const bench_profile* base) {
  print_times(p, base);
  print_roofline(p);
}

static void json_num_or_null(FILE* f, const char* key, double v, int have) {
  fprintf(f, ", \"%s\": ", key);
  json_double(f, have ? v : HUGE_VAL);
}

void bench_profile_json(FILE* f, const bench_profile* p, const bench_profile* base) {
  const int cols = same_entries(p, base);
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
  if (base) { /* --scaling: the profile on fewer threads, frames alternating with these */
    fprintf(f, ",\n    \"baseline\": {\"threads\": %d, \"sum_ms\": ", base->threads);
    json_double(f, base->total_ms);
    fputs(", \"run_ms\": ", f);
    json_double(f, base->run_ms);
    fputs(", \"steps_ms\": ", f);
    json_double(f, base->steps_ms);
    fprintf(f, ", \"same_entries\": %s}", cols ? "true" : "false");
  }
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
    if (cols) {
      json_num_or_null(f, "baseline_ms", base->rows[i].ms, !r->fused);
      json_num_or_null(f, "speedup", r->ms > 0 ? base->rows[i].ms / r->ms : 0, !r->fused && r->ms > 0);
    }
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

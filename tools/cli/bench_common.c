/* What the parts of `repconv bench` share: the pause, medians, the kernel
 * summary, the weight bytes and the machine's other load (bench.h). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/cli/bench.h"
#include "tools/cli/table.h"

void bench_settle(void) {
  struct timespec ts = {0, BENCH_SETTLE_MS * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int bench_compare_double(const void* pa, const void* pb) {
  double a = *(const double*)pa, b = *(const double*)pb;
  return a < b ? -1 : a > b ? 1 : 0;
}

double bench_median(const double* s, int n) { return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]); }

double bench_percentile(const double* s, int n, double q) {
  int rank = (int)ceil(q / 100.0 * n); /* nearest rank: the smallest value with q% of them at or below it */
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return s[rank - 1];
}

/* Plan entries per backend ("fused" entries, computed by the entry before
 * them, are not counted). */
void bench_describe_kernels(const repconv_session_t* session, char* text, size_t text_size, char* json,
                            size_t json_size) {
  const char* names[8];
  size_t counts[8], distinct = 0, other = 0;
  size_t n = repconv_session_num_plan_entries(session);
  for (size_t i = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    memset(&e, 0, sizeof e);
    if (repconv_session_plan(session, i, &e) != REPCONV_OK || !e.backend || strcmp(e.backend, "fused") == 0) continue;
    size_t k = 0;
    while (k < distinct && strcmp(names[k], e.backend) != 0) ++k;
    if (k == distinct) {
      if (distinct == sizeof names / sizeof names[0]) {
        ++other;
        continue;
      }
      names[distinct] = e.backend;
      counts[distinct++] = 0;
    }
    counts[k]++;
  }
  size_t tu = 0, ju = 0;
  text[0] = '\0';
  ju = (size_t)snprintf(json, json_size, "{");
  for (size_t k = 0; k < distinct; ++k) {
    char name[32];
    copy_printable(name, sizeof name, names[k]);
    if (tu < text_size) tu += (size_t)snprintf(text + tu, text_size - tu, "%s%s %zu", k ? ", " : "", name, counts[k]);
    if (ju < json_size)
      ju += (size_t)snprintf(json + ju, json_size - ju, "%s\"%s\": %zu", k ? ", " : "", name, counts[k]);
  }
  if (other && tu < text_size) snprintf(text + tu, text_size - tu, "%sother %zu", distinct ? ", " : "", other);
  if (!distinct && !other) snprintf(text, text_size, "-");
  if (ju < json_size) snprintf(json + ju, json_size - ju, "}");
}

void bench_weights_of(const repconv_model_t* model, const repconv_session_t* session, bench_weights* w) {
  memset(w, 0, sizeof(*w));
  size_t nodes = repconv_model_num_nodes(model);
  for (size_t i = 0; i < nodes; ++i) {
    repconv_node_info_t ni;
    memset(&ni, 0, sizeof ni);
    if (repconv_model_node(model, i, &ni) == REPCONV_OK && ni.params > 0) w->params += (uint64_t)ni.params * 4;
  }
  size_t n = repconv_session_num_plan_entries(session);
  for (size_t i = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    repconv_step_bytes_t b;
    memset(&e, 0, sizeof e);
    if (repconv_session_plan(session, i, &e) != REPCONV_OK || !e.backend) continue;
    if (repconv_session_step_bytes(session, i, &b) != REPCONV_OK) continue;
    const uint64_t v = b.weights + b.channels;
    if (strcmp(e.backend, "winograd") == 0) w->winograd += v;
    if (strcmp(e.backend, "gemm") == 0) w->gemm += v;
    if (strcmp(e.backend, "xnnpack") == 0) w->xnnpack += v;
  }
  w->resident = w->params + w->winograd + w->gemm + w->xnnpack;
}

static double mb(uint64_t bytes) { return (double)bytes / 1e6; }

void bench_weights_print(const bench_weights* w) {
  printf(
      "weights (MB = 10^6 bytes): parameters %.2f MB; resident %.2f MB, %.2fx the parameters = the parameters "
      "(the model keeps them) + Winograd filters %.2f + GEMM packed %.2f + XNNPACK's copies ~%.2f\n",
      mb(w->params), mb(w->resident), w->params ? (double)w->resident / (double)w->params : 0.0, mb(w->winograd),
      mb(w->gemm), mb(w->xnnpack));
}

/* Linux: the transparent-huge-page mode, and the MB of this process on huge
 * pages (owned.c advises the plan's weights of 2 MiB or more): with THP off
 * the weights stream through small pages, and runs on one machine and
 * another compare only with this said. */
void bench_memory_print(void) {
  char mode[32] = "n/a";
  FILE* f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (f) {
    char line[128];
    const char *a, *b;
    if (fgets(line, sizeof line, f) && (a = strchr(line, '[')) && (b = strchr(a, ']')) && b - a - 1 < (int)sizeof mode)
      snprintf(mode, sizeof mode, "%.*s", (int)(b - a - 1), a + 1);
    fclose(f);
  }
  long huge_kb = -1;
  f = fopen("/proc/self/smaps_rollup", "r");
  if (f) {
    char line[128];
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "AnonHugePages: %ld kB", &huge_kb) == 1) break;
    fclose(f);
  }
  if (huge_kb >= 0) {
    printf("memory: transparent huge pages %s; %.1f MB of this process on huge pages\n", mode, huge_kb * 1024 / 1e6);
  } else {
    printf("memory: transparent huge pages %s\n", mode);
  }
}

void bench_weights_json(FILE* f, const bench_weights* w) {
  fprintf(f,
          "{\"param_bytes\": %" PRIu64 ", \"resident_bytes\": %" PRIu64 ", \"winograd_bytes\": %" PRIu64
          ", \"gemm_bytes\": %" PRIu64 ", \"xnnpack_bytes\": %" PRIu64 "}",
          w->params, w->resident, w->winograd, w->gemm, w->xnnpack);
}

/* The first line of /proc/stat: ticks of all CPUs in user, nice, system,
 * idle, iowait, irq, softirq, steal. Busy: all but idle, iowait and steal
 * (guest time is inside user). */
static int read_cpu_ticks(unsigned long long* busy, unsigned long long* steal) {
  FILE* f = fopen("/proc/stat", "r");
  if (!f) return 0;
  unsigned long long v[8] = {0};
  const int n =
      fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 7) return 0;
  *busy = v[0] + v[1] + v[2] + v[5] + v[6];
  *steal = n == 8 ? v[7] : 0;
  return 1;
}

/* This process's CPU time, all its threads, in seconds. */
static double process_cpu_s(void) {
  struct timespec ts;
  return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 ? (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec : 0.0;
}

void bench_load_begin(bench_load* l) {
  memset(l, 0, sizeof(*l));
  l->known = read_cpu_ticks(&l->busy0, &l->steal0);
  l->wall0 = now_ms() / 1e3;
  l->own0 = process_cpu_s();
}

void bench_load_end(bench_load* l) {
  unsigned long long busy = 0, steal = 0;
  const double wall = now_ms() / 1e3 - l->wall0, own = process_cpu_s() - l->own0;
  const long hz = sysconf(_SC_CLK_TCK);
  if (!l->known || hz <= 0 || wall <= 0 || !read_cpu_ticks(&busy, &steal)) {
    l->known = 0;
    return;
  }
  const double busy_s = (double)(busy - l->busy0) / (double)hz, steal_s = (double)(steal - l->steal0) / (double)hz;
  /* Ticks are 10 ms samples: a negative remainder is this process counted
   * on a tick boundary, not a negative load. */
  l->other_cores = busy_s > own ? (busy_s - own) / wall : 0.0;
  l->steal_cores = steal_s / wall;
  l->own_cores = own / wall;
}

static int load_busy(const bench_load* l) {
  return l->known && (l->other_cores > BENCH_BUSY_CORES || l->steal_cores > BENCH_BUSY_CORES);
}

void bench_load_print(const bench_load* l) {
  if (!l->known) return;
  printf("machine: other processes %.2f cores, steal %.2f during the timed runs (this process %.2f)%s\n",
         l->other_cores, l->steal_cores, l->own_cores,
         load_busy(l) ? "; a busy machine: the times are slower and noisier than on an idle one" : "");
}

void bench_load_json(FILE* f, const char* key, const bench_load* l) {
  if (!l->known) return;
  fprintf(f, ",\n  \"%s\": {\"other_cores\": %.3f, \"steal_cores\": %.3f, \"own_cores\": %.3f}", key, l->other_cores,
          l->steal_cores, l->own_cores);
}

static int online_cpus(void) {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 && n < 65536 ? (int)n : 1;
}

/* The threaded peak scales too little for `threads` threads on this many CPUs. */
static int peak_low(int threads, double peak, double peak_1t) {
  const int cpus = online_cpus(), busy = threads < cpus ? threads : cpus;
  return threads > 1 && peak < BENCH_PEAK_SCALING * busy * peak_1t;
}

int bench_peaks(rc_peak_isa isa, int threads, double* peak, double* peak_1t, bench_load* probe) {
  bench_load_begin(probe);
  *peak = rc_peak_gflops(isa, threads, 5, 40.0);
  *peak_1t = threads == 1 ? *peak : rc_peak_gflops(isa, 1, 5, 40.0);
  int tries = 1;
  for (; tries < BENCH_PEAK_TRIES && peak_low(threads, *peak, *peak_1t); tries++) {
    const double p = rc_peak_gflops(isa, threads, 5, 40.0), p1 = rc_peak_gflops(isa, 1, 5, 40.0);
    if (p > *peak) *peak = p;
    if (p1 > *peak_1t) *peak_1t = p1;
  }
  bench_load_end(probe);
  return tries;
}

void bench_peaks_print_notes(int threads, int tries, double peak, double peak_1t, const bench_load* probe) {
  if (tries > 1) {
    printf("; the %d-thread peak measured %d times, best kept", threads, tries);
    if (peak_low(threads, peak, peak_1t))
      printf(": still %.2fx the 1-thread peak (SMT siblings, fewer CPUs allowed than threads, or a busy machine)",
             peak_1t > 0 ? peak / peak_1t : 0.0);
  }
  if (load_busy(probe))
    printf("; other processes %.2f cores, steal %.2f while it was measured: it may read low", probe->other_cores,
           probe->steal_cores);
}

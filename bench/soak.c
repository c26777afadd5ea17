/* Soak: load → session create → run → destroy, many times per built-in
 * model, through the public API only. Prints the resident set size after
 * the first tenth of the cycles (allocator pools warmed up) and at the end:
 * a leak or a growing cache shows as growth. Under LeakSanitizer (an ASan
 * build) a leak also fails the exit. Not a test: bench/soak.sh runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repconv.h"

/* Resident set in KiB from /proc/self/statm (0 where there is none). */
static long rss_kib(void) {
  long pages = 0, resident = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  fclose(f);
  return resident * 4;
}

/* One cycle; 0 on success. The input is a fixed ramp so every cycle does the same work. */
static int cycle(const char* name, const repconv_options_t* o) {
  repconv_model_t* m = NULL;
  repconv_session_t* s = NULL;
  float* x = NULL;
  float* y = NULL;
  int rc = 1;
  if (repconv_model_load(name, o, &m) != REPCONV_OK) goto done;
  if (repconv_session_create(m, o, &s) != REPCONV_OK) goto done;
  repconv_tensor_info_t ii, oi;
  if (repconv_model_input(m, 0, &ii) != REPCONV_OK || repconv_model_output(m, 0, &oi) != REPCONV_OK) goto done;
  size_t nx = 1, ny = 1;
  for (int k = 0; k < ii.ndim; k++) nx *= (size_t)ii.dims[k];
  for (int k = 0; k < oi.ndim; k++) ny *= (size_t)oi.dims[k];
  x = malloc(nx * sizeof(float));
  y = malloc(ny * sizeof(float));
  if (!x || !y) goto done;
  for (size_t k = 0; k < nx; k++) x[k] = (float)(k % 251) / 251.0f - 0.5f;
  repconv_tensor_t in = {.name = ii.name, .ndim = ii.ndim, .data = x};
  repconv_tensor_t out = {.name = oi.name, .ndim = oi.ndim, .data = y};
  memcpy(in.dims, ii.dims, sizeof(in.dims));
  memcpy(out.dims, oi.dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) goto done;
  rc = 0;
done:
  if (rc) fprintf(stderr, "soak: %s: %s\n", name, s ? repconv_session_error(s) : repconv_last_error());
  free(x);
  free(y);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  return rc;
}

int main(int argc, char** argv) {
  int cycles = argc > 1 ? atoi(argv[1]) : 1000;
  int threads = argc > 2 ? atoi(argv[2]) : 2;
  if (cycles < 10 || threads < 1) {
    fprintf(stderr, "usage: repconv_soak [CYCLES >= 10] [THREADS]\n");
    return 2;
  }
  int failed = 0;
  printf("%-16s %8s %8s %14s %14s %10s\n", "model", "cycles", "threads", "RSS@10% KiB", "RSS@end KiB", "growth");
  for (size_t i = 0; repconv_builtin_name(i); i++) {
    const char* name = repconv_builtin_name(i);
    repconv_options_t* o = NULL;
    if (repconv_options_create(&o) != REPCONV_OK || repconv_options_set_threads(o, threads) != REPCONV_OK) return 1;
    /* Small frames: the soak is about what each cycle leaves behind, not about compute. */
    repconv_tensor_info_t ii;
    repconv_model_t* probe = NULL;
    if (repconv_model_load(name, NULL, &probe) != REPCONV_OK || repconv_model_input(probe, 0, &ii) != REPCONV_OK) {
      fprintf(stderr, "soak: %s: %s\n", name, repconv_last_error());
      return 1;
    }
    int64_t d[4] = {1, ii.dims[1], 64, 64};
    repconv_model_destroy(probe);
    if (repconv_options_set_input_shape(o, NULL, 4, d) != REPCONV_OK) return 1;
    long warm = 0;
    for (int c = 0; c < cycles && !failed; c++) {
      failed |= cycle(name, o);
      if (c + 1 == cycles / 10) warm = rss_kib();
    }
    long end = rss_kib();
    printf("%-16s %8d %8d %14ld %14ld %+9.1f%%\n", name, cycles, threads, warm, end,
           warm ? 100.0 * (double)(end - warm) / (double)warm : 0.0);
    fflush(stdout);
    repconv_options_destroy(o);
  }
  return failed;
}

/* The frame store of an SR model (docs: runtime/exec/exec.h, external
 * outputs): ecbsr-m4c16-x2 (or MODEL) on a uint8 Y plane, three ways,
 * interleaved run by run, medians of ROUNDS (1 thread unless THREADS):
 *
 *   float        the default plan: float output in the arena (the path every
 *                run took before output bindings; A/B it against the old
 *                binary with `repconv bench`)
 *   float+u8     the default plan, then a separate pass converting the
 *                arena's float output into the uint8 plane (what an app does)
 *   direct u8    the plan with external outputs: the Winograd tail stores
 *                the uint8 plane itself; the arena holds the input only
 *
 * The input is loaded from a uint8 plane in all three (rc_exec_load_input).
 * `--rss` instead runs FRAMES frames of the direct form (with `--only 1`:
 * the float output and the u8 pass) alone and prints the
 * arena, workspace and peak RSS (getrusage; run under /usr/bin/time -v for
 * the kernel's own figure).
 *
 * `--only K` runs form K (0, 1, 2) alone (for callgrind's instruction counts).
 *
 *   repconv_frame_store [--shape HxW] [--rounds N] [--threads N] [--only K] [--rss FRAMES] [MODEL] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kernels/thread/pool.h"

#include "kernels/common/convert.h"
#include "repconv.h"
#include "runtime/api/handles.h"
#include "runtime/exec/exec.h"
#include "runtime/plan/plan.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

typedef struct form {
  rc_plan plan;
  float* arena;
  rc_exec_state st;
} form;

static int make_form(const rc_graph* g, int external, rc_pool* pool, form* f) {
  rc_plan_options po = {.backend = REPCONV_BACKEND_AUTO, .winograd = REPCONV_WINOGRAD_AUTO, .chains = 1};
  po.external_outputs = external;
  if (rc_plan_create(g, &po, &f->plan) != REPCONV_OK) return 0;
  const size_t bytes = (f->plan.arena_floats + 16) * sizeof(float);
  f->arena = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!f->arena) return 0;
  memset(f->arena, 0, bytes);
  return rc_exec_prepare(g, &f->plan, f->arena, pool, &f->st) == REPCONV_OK;
}

static void free_form(form* f) {
  rc_exec_release(&f->st);
  rc_plan_free(&f->plan);
  free(f->arena);
}

static double peak_rss_mib(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_maxrss / 1024.0; /* KiB on Linux */
}

int main(int argc, char** argv) {
  const char* model = "ecbsr-m4c16-x2";
  long h = 540, w = 960, rounds = 15, threads = 1, rss_frames = 0, only = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--shape") && i + 1 < argc && sscanf(argv[i + 1], "%ldx%ld", &h, &w) == 2) {
      i++;
    } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = strtol(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = strtol(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
      only = strtol(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--rss") && i + 1 < argc) {
      rss_frames = strtol(argv[++i], NULL, 10);
    } else if (argv[i][0] != '-') {
      model = argv[i];
    } else {
      fprintf(stderr, "usage: %s [--shape HxW] [--rounds N] [--threads N] [--only K] [--rss FRAMES] [MODEL]\n",
              argv[0]);
      return 2;
    }
  }
  repconv_options_t* o;
  repconv_options_create(&o);
  const int64_t dims[4] = {1, 1, h, w};
  repconv_options_set_input_shape(o, NULL, 4, dims);
  repconv_model_t* m;
  if (repconv_model_load(model, o, &m) != REPCONV_OK) {
    fprintf(stderr, "%s\n", repconv_last_error());
    return 1;
  }
  repconv_options_destroy(o);
  const rc_graph* g = &m->g;
  const int32_t tout = g->outputs[0];
  const size_t oh = (size_t)g->tensors[tout].shape.d[2], ow = (size_t)g->tensors[tout].shape.d[3];
  rc_pool* pool = threads > 1 ? rc_pool_create((size_t)threads) : NULL;

  /* The frames: a uint8 plane in, a uint8 plane out, rows padded to 64. */
  const size_t in_stride = ((size_t)w + 63) / 64 * 64, out_stride = (ow + 63) / 64 * 64;
  uint8_t* in = malloc(in_stride * (size_t)h);
  uint8_t* out = malloc(out_stride * oh);
  if (!in || !out) return 1;
  for (size_t i = 0; i < in_stride * (size_t)h; i++) in[i] = (uint8_t)((i * 2654435761u) >> 24);
  const rc_binding bin = {RC_ELEM_U8, in, 0, (ptrdiff_t)in_stride, 1, 0, 1.0f / 255.0f, 0.0f};
  const rc_binding bout = {RC_ELEM_U8, out, 0, (ptrdiff_t)out_stride, 1, 0, 255.0f, 0.0f};

  if (rss_frames > 0) {
    const double before = peak_rss_mib();
    const int direct = only != 1;
    form d;
    if (!make_form(g, direct, pool, &d)) return 1;
    for (long f = 0; f < rss_frames; f++) {
      rc_exec_load_input(g, &d.plan, d.arena, 0, &bin, pool);
      if (direct) {
        if (rc_exec_run_io(g, &d.plan, &d.st, d.arena, pool, NULL, &bout, NULL) != REPCONV_OK) return 1;
      } else {
        if (rc_exec_run(g, &d.plan, &d.st, d.arena, pool, NULL) != REPCONV_OK) return 1;
        rc_exec_convert_tensor(g, &d.plan, d.arena, tout, &bout, 0, pool);
      }
    }
    printf(
        "%s %ldx%ld -> %zux%zu, %s, %ld frames: arena %.1f MB, workspace %.2f MB, frames in+out %.1f MB; "
        "peak RSS %.1f MiB (%.1f MiB after load)\n",
        model, h, w, oh, ow, direct ? "direct u8 store" : "float output + u8 pass", rss_frames,
        d.plan.arena_floats * 4 / 1e6, (double)rc_exec_workspace_bytes(&d.plan, (size_t)threads) / 1e6,
        (double)(in_stride * (size_t)h + out_stride * oh) / 1e6, peak_rss_mib(), before);
    free_form(&d);
    return 0;
  }

  form def, ext;
  if (!make_form(g, 0, pool, &def) || !make_form(g, 1, pool, &ext)) {
    fprintf(stderr, "plan: %s\n", repconv_last_error());
    return 1;
  }
  double* t[3];
  for (int k = 0; k < 3; k++) t[k] = calloc((size_t)rounds, sizeof(double));
  for (long r = -1; r < rounds; r++) { /* round -1 warms up */
    for (int k = 0; k < 3; k++) {
      if (only >= 0 && k != only) continue;
      form* f = k == 2 ? &ext : &def;
      const double t0 = now_ms();
      rc_exec_load_input(g, &f->plan, f->arena, 0, &bin, pool);
      if (k == 2) {
        rc_exec_run_io(g, &f->plan, &f->st, f->arena, pool, NULL, &bout, NULL);
      } else {
        rc_exec_run(g, &f->plan, &f->st, f->arena, pool, NULL);
        if (k == 1) rc_exec_convert_tensor(g, &f->plan, f->arena, tout, &bout, 0, pool);
      }
      if (r >= 0) t[k][r] = now_ms() - t0;
    }
  }
  static const char* names[3] = {"float (arena output)", "float + u8 pass", "direct u8 store"};
  double med[3];
  printf("%s %ldx%ld -> %zux%zu, %ld thread(s), median of %ld interleaved rounds:\n", model, h, w, oh, ow, threads,
         rounds);
  for (int k = 0; k < 3; k++) {
    qsort(t[k], (size_t)rounds, sizeof(double), cmp_double);
    med[k] = t[k][rounds / 2];
    printf("  %-22s %8.2f ms  (min %.2f, max %.2f)  arena %.1f MB\n", names[k], med[k], t[k][0], t[k][rounds - 1],
           (k == 2 ? ext : def).plan.arena_floats * 4 / 1e6);
  }
  printf("  direct / (float + u8 pass) = %.3f\n", med[2] / med[1]);
  for (int k = 0; k < 3; k++) free(t[k]);
  free_form(&def);
  free_form(&ext);
  free(in);
  free(out);
  if (pool) rc_pool_destroy(pool);
  repconv_model_destroy(m);
  return 0;
}

/* The frame API's boundary cost against the float API, through the public
 * API only: one session of MODEL (ecbsr-m4c16-x2 unless given) at HxW
 * (540x960 unless --shape), run three ways, interleaved run by run,
 * medians of ROUNDS:
 *
 *   float   repconv_session_run: float NCHW in and out (the app converts
 *           its uint8 plane to floats and back itself: not timed here)
 *   gray8   repconv_session_run_image, GRAY8 in and out: the conversion
 *           in the input copy, the output stored by the last kernel
 *   f32     repconv_session_run_image, F32 (NHWC) in and out
 *   float+u8  the float run plus the app's own passes (uint8 → float in,
 *           float → uint8 out, rc_float_to_u8's rule, plain loops)
 *
 *   repconv_frame_api [--shape HxW] [--rounds N] [--threads N] [MODEL] */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repconv.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double median(double* v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char** argv) {
  int h = 540, w = 960, rounds = 15, threads = 1;
  const char* name = "ecbsr-m4c16-x2";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--shape") && i + 1 < argc && sscanf(argv[i + 1], "%dx%d", &h, &w) == 2) {
      i++;
    } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = atoi(argv[++i]);
    } else {
      name = argv[i];
    }
  }
  if (rounds < 1 || rounds > 1000) rounds = 15;
  repconv_options_t* o = NULL;
  repconv_model_t* m = NULL;
  repconv_session_t* s = NULL;
  int32_t ow = 0, oh = 0;
  if (repconv_options_create(&o) != REPCONV_OK || repconv_options_set_threads(o, threads) != REPCONV_OK ||
      repconv_model_load(name, o, &m) != REPCONV_OK || repconv_session_create(m, o, &s) != REPCONV_OK ||
      repconv_model_image_output_size(m, w, h, &ow, &oh) != REPCONV_OK) {
    fprintf(stderr, "frame_api: %s\n", repconv_last_error());
    return 1;
  }
  const size_t n_in = (size_t)w * (size_t)h, n_out = (size_t)ow * (size_t)oh;
  uint8_t* u_in = malloc(n_in);
  uint8_t* u_out = malloc(n_out);
  float* f_in = malloc(n_in * sizeof(float));
  float* f_out = malloc(n_out * sizeof(float));
  if (!u_in || !u_out || !f_in || !f_out) return 1;
  for (size_t i = 0; i < n_in; i++) u_in[i] = (uint8_t)((i * 2654435761u) >> 24);
  for (size_t i = 0; i < n_in; i++) f_in[i] = (float)u_in[i];
  repconv_tensor_info_t ti, to;
  repconv_model_input(m, 0, &ti);
  repconv_model_output(m, 0, &to);
  repconv_tensor_t tin = {.name = ti.name, .ndim = 4, .dims = {1, 1, h, w}, .data = f_in};
  repconv_tensor_t tout = {.name = to.name, .ndim = 4, .dims = {1, 1, oh, ow}, .data = f_out};
  repconv_image_t gi = {.format = REPCONV_PIXEL_GRAY8, .width = w, .height = h, .data = u_in};
  repconv_image_t go = {.format = REPCONV_PIXEL_GRAY8, .width = ow, .height = oh, .data = u_out};
  repconv_image_t fi = {.format = REPCONV_PIXEL_F32, .width = w, .height = h, .data = f_in};
  repconv_image_t fo = {.format = REPCONV_PIXEL_F32, .width = ow, .height = oh, .data = f_out};
  enum { FORMS = 4 };
  static const char* const names[FORMS] = {"float", "gray8", "f32", "float+u8"};
  double* t[FORMS];
  for (int k = 0; k < FORMS; k++) t[k] = malloc((size_t)rounds * sizeof(double));
  for (int r = -1; r < rounds; r++) { /* round -1: warm-up (plans both forms) */
    for (int k = 0; k < FORMS; k++) {
      double t0 = now_ms();
      repconv_status st;
      if (k == 0) {
        st = repconv_session_run(s, &tin, 1, &tout, 1);
      } else if (k == 1) {
        st = repconv_session_run_image(s, &gi, &go, NULL);
      } else if (k == 2) {
        st = repconv_session_run_image(s, &fi, &fo, NULL);
      } else {
        for (size_t i = 0; i < n_in; i++) f_in[i] = (float)u_in[i];
        st = repconv_session_run(s, &tin, 1, &tout, 1);
        for (size_t i = 0; i < n_out; i++) {
          float v = f_out[i] > 0.0f ? f_out[i] : 0.0f;
          v = v < 255.0f ? v : 255.0f;
          u_out[i] = (uint8_t)lrintf(v);
        }
      }
      if (st != REPCONV_OK) {
        fprintf(stderr, "frame_api: %s\n", repconv_session_error(s));
        return 1;
      }
      if (r >= 0) t[k][r] = now_ms() - t0;
    }
  }
  printf("%s %dx%d -> %dx%d, %d thread%s, median of %d interleaved rounds (ms a frame):", name, h, w, oh, ow, threads,
         threads > 1 ? "s" : "", rounds);
  double base = 0;
  for (int k = 0; k < FORMS; k++) {
    const double v = median(t[k], rounds);
    if (k == 0) base = v;
    printf(" %s %.2f (%+.1f%%)%s", names[k], v, 100.0 * (v - base) / base, k + 1 < FORMS ? "," : "\n");
    free(t[k]);
  }
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_options_destroy(o);
  free(u_in);
  free(u_out);
  free(f_in);
  free(f_out);
  return 0;
}

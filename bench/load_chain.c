/* Load time of a long chain through the builder (issue 11 item 7): times
 * building the graph, repconv_builder_finish (shape inference, fold, plan)
 * and repconv_session_create, so that a regression to quadratic load shows.
 *
 *   build/bench/repconv_load_chain NODES [fold 0|1] [relu|conv] [backend]
 *
 * relu: relu and clip alternate on a 1x4x8x8 tensor; conv: 3x3 4→4 convs
 * and relus alternate (half the nodes are convs). Figures: docs/load-scaling.md. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repconv.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int fail(const char* what) {
  fprintf(stderr, "%s: %s\n", what, repconv_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s NODES [fold 0|1] [relu|conv] [auto|ref|xnnpack|winograd|gemm]\n", argv[0]);
    return 2;
  }
  const int nodes = atoi(argv[1]);
  const int fold = argc > 2 ? atoi(argv[2]) : 1;
  const int conv = argc > 3 && strcmp(argv[3], "conv") == 0;
  repconv_backend backend = REPCONV_BACKEND_AUTO;
  if (argc > 4 && repconv_backend_from_name(argv[4], &backend) != REPCONV_OK) return fail("backend");
  static float w[4 * 4 * 9], bias[4];
  for (int i = 0; i < 4 * 4 * 9; i++) w[i] = (float)(i % 7) * 0.01f;

  const double t0 = now_s();
  repconv_builder_t* b;
  if (repconv_builder_create(&b) != REPCONV_OK) return fail("builder");
  const int64_t d[4] = {1, 4, 8, 8};
  repconv_id x;
  if (repconv_builder_input(b, "x", 4, d, &x) != REPCONV_OK) return fail("input");
  const repconv_conv2d_desc_t cd = {.out_channels = 4,
                                    .kernel_h = 3,
                                    .kernel_w = 3,
                                    .stride_h = 1,
                                    .stride_w = 1,
                                    .pad_top = 1,
                                    .pad_left = 1,
                                    .pad_bottom = 1,
                                    .pad_right = 1,
                                    .groups = 1};
  char name[32];
  for (int i = 0; i < nodes; i++) {
    snprintf(name, sizeof(name), "n%d", i);
    repconv_status s;
    if (i % 2 == 0 && conv) {
      s = repconv_builder_conv2d(b, name, x, &cd, w, bias, &x);
    } else if (i % 2 == 0) {
      s = repconv_builder_activation(b, name, REPCONV_RELU, x, 0, 0, &x);
    } else {
      s = conv ? repconv_builder_activation(b, name, REPCONV_RELU, x, 0, 0, &x)
               : repconv_builder_activation(b, name, REPCONV_CLIP, x, -2.0f, 2.0f, &x);
    }
    if (s != REPCONV_OK) return fail(name);
  }
  if (repconv_builder_output(b, x, "y") != REPCONV_OK) return fail("output");
  const double t1 = now_s();
  repconv_options_t* o;
  if (repconv_options_create(&o) != REPCONV_OK || repconv_options_set_fold(o, fold) != REPCONV_OK ||
      repconv_options_set_backend(o, backend) != REPCONV_OK) {
    return fail("options");
  }
  repconv_model_t* m;
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) return fail("finish");
  const double t2 = now_s();
  repconv_session_t* s;
  if (repconv_session_create(m, o, &s) != REPCONV_OK) return fail("session");
  const double t3 = now_s();
  printf("%d nodes (%s, fold %s, backend %s): build %.3f s, finish %.3f s (load %.3f s), session %.3f s\n", nodes,
         conv ? "conv" : "relu", fold ? "on" : "off", argc > 4 ? argv[4] : "auto", t1 - t0, t2 - t1, t2 - t0, t3 - t2);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_builder_destroy(b);
  repconv_options_destroy(o);
  return 0;
}

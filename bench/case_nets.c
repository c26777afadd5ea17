/* The built-in networks at their default input sizes (repvgg-a0, repvgg-b0,
 * dbb-resnet18: 1x3x224x224; ecbsr-m4c16-x2: 1x1x540x960), unfolded,
 * bn-fused and folded, for each backend and thread count. GFLOPS counts the
 * folded graph's FLOPs for every form (work done, not work spent). */
#include <stdio.h>

#include "bench/bench_util.h"
#include "bench/flops.h"

static const char* const kNets[] = {"repvgg-a0", "repvgg-b0", "dbb-resnet18", "ecbsr-m4c16-x2"};
#define NUM_NETS (sizeof kNets / sizeof kNets[0])

static const struct {
  const char* name;
  repconv_fold_level level;
} kForms[] = {{"unfolded", REPCONV_FOLD_OFF}, {"bn-fused", REPCONV_FOLD_BN}, {"folded", REPCONV_FOLD_FULL}};
#define NUM_FORMS (sizeof kForms / sizeof kForms[0])

static const repconv_backend kBackends[] = {REPCONV_BACKEND_XNNPACK, REPCONV_BACKEND_AUTO};
static const int kThreads[] = {1, 2};
#define NUM_BACKENDS (sizeof kBackends / sizeof kBackends[0])
#define NUM_THREADS (sizeof kThreads / sizeof kThreads[0])

typedef struct net_case {
  size_t net, form;
  repconv_backend backend;
  int threads;
} net_case;

static net_case g_cases[NUM_NETS * NUM_FORMS * NUM_BACKENDS * NUM_THREADS];
/* Loaded on first use and kept: the model per (net, form), and the folded
 * graph's FLOPs per net. */
static repconv_model_t* g_models[NUM_NETS][NUM_FORMS];
static int64_t g_folded_flops[NUM_NETS];

static repconv_status load(size_t net, size_t form, repconv_model_t** out) {
  repconv_options_t* opts = NULL;
  repconv_status st = repconv_options_create(&opts);
  if (st == REPCONV_OK) st = repconv_options_set_fold_level(opts, kForms[form].level);
  if (st == REPCONV_OK) st = repconv_model_load(kNets[net], opts, out);
  repconv_options_destroy(opts);
  return st;
}

static void run_net(rcb_state* state, const void* arg) {
  const net_case* c = (const net_case*)arg;
  const size_t folded = NUM_FORMS - 1;
  size_t need[2] = {c->form, folded};
  for (size_t k = 0; k < 2; ++k) {
    if (!g_models[c->net][need[k]] && load(c->net, need[k], &g_models[c->net][need[k]]) != REPCONV_OK) {
      rcb_skip_with_error(state, repconv_last_error());
      return;
    }
  }
  if (!g_folded_flops[c->net]) g_folded_flops[c->net] = rcb_model_flops(g_models[c->net][folded]);
  rcb_time_model(state, g_models[c->net][c->form], c->threads, c->backend, g_folded_flops[c->net]);
}

void rcb_register_net_cases(void) {
  size_t n = 0;
  char name[128];
  for (size_t i = 0; i < NUM_NETS; ++i) {
    for (size_t f = 0; f < NUM_FORMS; ++f) {
      for (size_t b = 0; b < NUM_BACKENDS; ++b) {
        for (size_t t = 0; t < NUM_THREADS; ++t) {
          net_case* c = &g_cases[n++];
          c->net = i;
          c->form = f;
          c->backend = kBackends[b];
          c->threads = kThreads[t];
          snprintf(name, sizeof name, "net/%s/%s/%s/threads:%d", kNets[i], kForms[f].name, rcb_backend_name(c->backend),
                   c->threads);
          rcb_register(name, run_net, c);
        }
      }
    }
  }
}

void rcb_free_net_cases(void) {
  for (size_t i = 0; i < NUM_NETS; ++i) {
    for (size_t f = 0; f < NUM_FORMS; ++f) {
      repconv_model_destroy(g_models[i][f]);
      g_models[i][f] = NULL;
    }
  }
}

/* Model loading and the tensor helpers the commands share. */
#define _POSIX_C_SOURCE 200809L

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/graph/graph.h"
#include "runtime/graph/rng.h"
#include "tools/cli/cli.h"

int load_model_level(const cli_args* a, int fold, int level, int threads, repconv_backend backend,
                     repconv_options_t** opts_out, repconv_model_t** model_out) {
  repconv_options_t* opts = NULL;
  repconv_status st = repconv_options_create(&opts);
  if (st != REPCONV_OK) return fail(EXIT_ERROR, "creating options: %s", lib_error(st));
  st = level >= 0 ? repconv_options_set_fold_level(opts, (repconv_fold_level)level)
                  : repconv_options_set_fold(opts, fold);
  if (st == REPCONV_OK && a->max_kernel > 0) st = repconv_options_set_fold_max_kernel(opts, a->max_kernel);
  if (st == REPCONV_OK) st = repconv_options_set_threads(opts, threads);
  if (st == REPCONV_OK) st = repconv_options_set_backend(opts, backend);
  if (st == REPCONV_OK) st = repconv_options_set_winograd(opts, a->winograd);
  if (st == REPCONV_OK) st = repconv_options_set_autotune(opts, a->autotune);
  if (st == REPCONV_OK) st = repconv_options_set_chains(opts, !a->no_chains);
  if (st == REPCONV_OK) st = repconv_options_set_weights_fp16(opts, a->weights_fp16);
  for (size_t k = 0; k < a->num_shapes && st == REPCONV_OK; k++) {
    st = repconv_options_set_input_shape(opts, a->shape_names[k][0] ? a->shape_names[k] : NULL, a->shape_ndim[k],
                                         a->shape_dims[k]);
  }
  for (int k = 0; k < REPCONV_LIMIT_COUNT && st == REPCONV_OK; k++) {
    if (a->limit_set[k]) st = repconv_options_set_limit(opts, (repconv_limit)k, a->limit_value[k]);
  }
  if (st != REPCONV_OK) {
    int rc = fail(EXIT_ERROR, "setting options: %s", lib_error(st));
    repconv_options_destroy(opts);
    return rc;
  }
  repconv_model_t* model = NULL;
  st = repconv_model_load(a->model, opts, &model);
  if (st != REPCONV_OK) {
    char msg[4200];
    snprintf(msg, sizeof msg, "%s%s", lib_error(st), shape_hint(lib_error(st)));
    int rc = fail_lib(EXIT_ERROR, "loading model", a->model, msg);
    repconv_options_destroy(opts);
    return rc;
  }
  *opts_out = opts;
  *model_out = model;
  return EXIT_OK;
}

int load_model(const cli_args* a, int fold, int threads, repconv_backend backend, repconv_options_t** opts_out,
               repconv_model_t** model_out) {
  return load_model_level(a, fold, -1, threads, backend, opts_out, model_out);
}

const char* shape_hint(const char* msg) {
  return msg && strstr(msg, "repconv_options_set_input_shape") ? " (--shape [NAME=]NxCxHxW on the command line)" : "";
}

const char* dims_text(int32_t ndim, const int64_t* dims, char* buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int32_t i = 0; i < ndim && i < REPCONV_MAX_DIMS && used + 1 < size; ++i) {
    int w = dims[i] < 0 ? snprintf(buf + used, size - used, i ? "x?" : "?")
                        : snprintf(buf + used, size - used, i ? "x%" PRId64 : "%" PRId64, dims[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
  if (ndim <= 0) snprintf(buf, size, "scalar");
  return buf;
}

int64_t numel_checked(int32_t ndim, const int64_t* dims) {
  if (ndim < 0 || ndim > REPCONV_MAX_DIMS) return -1;
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; ++i) {
    if (dims[i] < 0) return -1;
    if (dims[i] != 0 && n > INT64_MAX / dims[i]) return -1;
    n *= dims[i];
  }
  if ((uint64_t)n > SIZE_MAX / sizeof(float)) return -1;
  return n;
}

int shapes_equal(int32_t na, const int64_t* a, int32_t nb, const int64_t* b) {
  if (na != nb) return 0;
  for (int32_t i = 0; i < na; ++i) {
    if (a[i] != b[i]) return 0;
  }
  return 1;
}

double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int is_builtin(const char* name) {
  for (size_t i = 0;; ++i) {
    const char* b = repconv_builtin_name(i);
    if (!b) return 0;
    if (strcmp(b, name) == 0) return 1;
  }
}

const char* fold_status(const repconv_model_t* model, char* buf, size_t size) {
  repconv_fold_summary_t sum;
  if (repconv_model_fold_summary(model, &sum) != REPCONV_OK || !sum.folded) {
    snprintf(buf, size, "fold off");
  } else {
    snprintf(buf, size, "fold on: %d " ARROW " %d convs", (int)sum.convs_before, (int)sum.convs_after);
  }
  return buf;
}

void fill_uniform(float* data, int64_t n, uint64_t seed) {
  rc_rng r = {seed};
  rc_rng_fill_signed(&r, data, (size_t)n, 1.0f);
}

int make_random_input(const char* what, const repconv_tensor_info_t* info, size_t i, repconv_tensor_t* t) {
  int64_t n = numel_checked(info->ndim, info->dims);
  if (n < 0) {
    char s[96];
    return fail(EXIT_ERROR, "input '%s' has an invalid shape %s", info->name ? info->name : "?",
                rc_dims_str(info->ndim, info->dims, RC_SHAPE_X, s, sizeof s));
  }
  t->name = info->name;
  t->ndim = info->ndim;
  memcpy(t->dims, info->dims, sizeof t->dims);
  t->data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
  if (!t->data) {
    return fail(EXIT_ERROR, "%s: out of memory for input '%s' (%" PRId64 " floats)", what,
                info->name ? info->name : "?", n);
  }
  fill_uniform(t->data, n, (uint64_t)CLI_VERIFY_SEED + i);
  return EXIT_OK;
}

cli_diff cli_compare(const float* x, const float* ref, int64_t n) {
  cli_diff d = {0, 0, 0, 0};
  for (int64_t k = 0; k < n; ++k) {
    double a = x[k], b = ref[k];
    int an = a != a, bn = b != b;
    if (an || bn) {
      if (an != bn) ++d.nan_mismatch;
      continue;
    }
    double e = a > b ? a - b : b - a;
    if (e > d.max_abs) d.max_abs = e;
    double m = b < 0 ? -b : b;
    if (m > d.max_ref) d.max_ref = m;
  }
  d.rel = d.nan_mismatch ? HUGE_VAL : d.max_abs / (d.max_ref > FLT_MIN ? d.max_ref : FLT_MIN);
  return d;
}

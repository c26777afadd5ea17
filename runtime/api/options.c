/* Public API: load options (repconv_options_*) and the name parsers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/api/handles.h"

#define RC_MAX_THREADS 256

repconv_status repconv_options_create(repconv_options_t** out) {
  if (!out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL out pointer");
  repconv_options_t* o = malloc(sizeof(*o));
  if (!o) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "options: out of memory");
  *o = rc_options_or_default(NULL);
  *out = o;
  return REPCONV_OK;
}

void repconv_options_destroy(repconv_options_t* options) { free(options); }

struct repconv_options rc_options_or_default(const struct repconv_options* options) {
  if (options) return *options;
  struct repconv_options d = {.threads = 1,
                              .fold_level = REPCONV_FOLD_FULL,
                              .fold_max_kernel = RC_FOLD_DEFAULT_MAX_KERNEL,
                              .backend = REPCONV_BACKEND_AUTO,
                              .chains = 1,
                              .pin_threads = 1,
                              .limits = rc_limits_default()};
  return d;
}

repconv_status repconv_options_set_limit(repconv_options_t* options, repconv_limit limit, uint64_t value) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if ((unsigned)limit >= REPCONV_LIMIT_COUNT) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: unknown limit %d", (int)limit);
  }
  options->limits.v[limit] = value;
  return REPCONV_OK;
}

uint64_t repconv_options_get_limit(const repconv_options_t* options, repconv_limit limit) {
  if (!options || (unsigned)limit >= REPCONV_LIMIT_COUNT) return 0;
  return options->limits.v[limit];
}

repconv_status repconv_options_set_threads(repconv_options_t* options, int threads) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (threads < 1 || threads > RC_MAX_THREADS) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "threads: %d (must be 1 to %d)", threads, RC_MAX_THREADS);
  }
  options->threads = threads;
  return REPCONV_OK;
}

repconv_status repconv_options_set_thread_affinity(repconv_options_t* options, int pin) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  options->pin_threads = pin != 0;
  return REPCONV_OK;
}

repconv_status repconv_options_set_fold_level(repconv_options_t* options, repconv_fold_level level) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (level != REPCONV_FOLD_OFF && level != REPCONV_FOLD_FULL && level != REPCONV_FOLD_BN) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "fold level: %d", (int)level);
  }
  options->fold_level = (int)level;
  return REPCONV_OK;
}

repconv_status repconv_options_set_fold(repconv_options_t* options, int enabled) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  /* On keeps a level already chosen (BN stays BN); from off it is FULL. */
  if (!enabled) {
    options->fold_level = REPCONV_FOLD_OFF;
  } else if (options->fold_level == REPCONV_FOLD_OFF) {
    options->fold_level = REPCONV_FOLD_FULL;
  }
  return REPCONV_OK;
}

repconv_status repconv_options_set_fold_max_kernel(repconv_options_t* options, int k) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (k < 1 || k > 4096) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "fold max kernel: %d (1 to 4096)", k);
  options->fold_max_kernel = k;
  return REPCONV_OK;
}

repconv_status repconv_options_set_backend(repconv_options_t* options, repconv_backend backend) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (backend != REPCONV_BACKEND_AUTO && backend != REPCONV_BACKEND_REF && backend != REPCONV_BACKEND_XNNPACK &&
      backend != REPCONV_BACKEND_WINOGRAD && backend != REPCONV_BACKEND_GEMM) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "backend: %d is not a backend", (int)backend);
  }
  options->backend = backend;
  return REPCONV_OK;
}

repconv_status repconv_options_set_winograd(repconv_options_t* options, int tile) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  if (tile != REPCONV_WINOGRAD_AUTO && tile != REPCONV_WINOGRAD_OFF && tile != REPCONV_WINOGRAD_F23 &&
      tile != REPCONV_WINOGRAD_F43 && tile != REPCONV_WINOGRAD_F63) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "winograd: %d (0 auto, -1 off, or the tile 2, 4, 6)", tile);
  }
  options->winograd = tile;
  return REPCONV_OK;
}

repconv_status repconv_options_set_autotune(repconv_options_t* options, int on) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  options->autotune = on != 0;
  return REPCONV_OK;
}

repconv_status repconv_options_set_chains(repconv_options_t* options, int on) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  options->chains = on != 0;
  return REPCONV_OK;
}

repconv_status repconv_options_set_weights_fp16(repconv_options_t* options, int enabled) {
  if (!options) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "options: NULL handle");
  options->weights_fp16 = enabled != 0;
  return REPCONV_OK;
}

repconv_status repconv_winograd_from_name(const char* name, int* out) {
  if (!name || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "winograd: NULL argument");
  static const struct {
    const char* name;
    int tile;
  } names[] = {{"auto", REPCONV_WINOGRAD_AUTO},
               {"off", REPCONV_WINOGRAD_OFF},
               {"2", 2},
               {"4", 4},
               {"6", 6},
               {"f2", 2},
               {"f4", 4},
               {"f6", 6},
               {"F2", 2},
               {"F4", 4},
               {"F6", 6},
               {"F(2,3)", 2},
               {"F(4,3)", 4},
               {"F(6,3)", 6}};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (strcmp(name, names[i].name) == 0) {
      *out = names[i].tile;
      return REPCONV_OK;
    }
  }
  return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "winograd '%s' is unknown (auto, off, 2, 4, 6)", name);
}

repconv_status repconv_options_set_input_shape(repconv_options_t* options, const char* name, int32_t ndim,
                                               const int64_t* dims) {
  if (!options || (ndim > 0 && !dims)) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape: NULL argument");
  const char* key = name ? name : "";
  if (strlen(key) >= RC_MAX_NAME) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape: name too long");
  if (ndim < 1 || ndim > RC_MAX_DIMS) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape for '%s': rank %d (1 to %d)", key, ndim, RC_MAX_DIMS);
  }
  rc_shape s;
  memset(&s, 0, sizeof(s));
  s.ndim = ndim;
  for (int i = 0; i < ndim; i++) {
    if (dims[i] < 1 || dims[i] > RC_MAX_DIM_VALUE) {
      return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape for '%s': dim %d is %lld", key, i,
                      (long long)dims[i]);
    }
    s.d[i] = dims[i];
  }
  size_t k = 0;
  while (k < options->n_shapes && strcmp(options->shape_names[k], key) != 0) k++;
  if (k == RC_MAX_INPUT_SHAPES) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input shape: at most %d inputs", RC_MAX_INPUT_SHAPES);
  }
  snprintf(options->shape_names[k], RC_MAX_NAME, "%s", key);
  options->shapes[k] = s;
  if (k == options->n_shapes) options->n_shapes++;
  return REPCONV_OK;
}

repconv_status repconv_backend_from_name(const char* name, repconv_backend* out) {
  if (!name || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "backend: NULL argument");
  if (strcmp(name, "auto") == 0) {
    *out = REPCONV_BACKEND_AUTO;
  } else if (strcmp(name, "ref") == 0) {
    *out = REPCONV_BACKEND_REF;
  } else if (strcmp(name, "xnnpack") == 0) {
    *out = REPCONV_BACKEND_XNNPACK;
  } else if (strcmp(name, "winograd") == 0) {
    *out = REPCONV_BACKEND_WINOGRAD;
  } else if (strcmp(name, "gemm") == 0) {
    *out = REPCONV_BACKEND_GEMM;
  } else {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "backend '%s' is unknown (auto, ref, xnnpack, winograd, gemm)",
                    name);
  }
  return REPCONV_OK;
}

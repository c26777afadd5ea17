/* repconv run: runs a model on .npy inputs, writes the outputs asked for and
 * prints a summary per output, the run time and the fold status. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/graph.h"
#include "runtime/io/npy.h"
#include "tools/cli/cli.h"
#include "tools/cli/table.h"

/* Splits "NAME=PATH" when NAME is one of the model's tensors; otherwise the
 * whole argument is a path. Returns the tensor index or -1 (no name given);
 * -2 if the model has several tensors and no valid name was given. */
static long resolve_named(const char* spec, const repconv_tensor_info_t* infos, size_t count, const char** path) {
  const char* eq = strchr(spec, '=');
  if (eq) {
    size_t len = (size_t)(eq - spec);
    for (size_t i = 0; i < count; ++i) {
      if (infos[i].name && strlen(infos[i].name) == len && strncmp(infos[i].name, spec, len) == 0) {
        *path = eq + 1;
        return (long)i;
      }
    }
  }
  *path = spec;
  return count == 1 ? -1 : -2;
}

static void summarize(const float* x, int64_t n, double* mn, double* mx, double* mean, int64_t* nans) {
  double lo = 0, hi = 0, sum = 0;
  int64_t bad = 0, seen = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = x[i];
    if (v != v) {
      ++bad;
      continue;
    }
    if (seen == 0 || v < lo) lo = v;
    if (seen == 0 || v > hi) hi = v;
    sum += v;
    ++seen;
  }
  *mn = lo;
  *mx = hi;
  *mean = seen ? sum / (double)seen : 0.0;
  *nans = bad;
}

static int cmd_run(const cli_args* a) {
  int rc;

  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  repconv_session_t* session = NULL;
  size_t num_in = 0, num_out = 0;
  repconv_tensor_info_t* in_info = NULL;
  repconv_tensor_info_t* out_info = NULL;
  rc_npy* in_data = NULL;
  const char** in_path = NULL;
  repconv_tensor_t* in_tensors = NULL;
  repconv_tensor_t* out_tensors = NULL;
  const char** out_path = NULL;
  size_t* out_index = NULL;
  int64_t* out_numel = NULL;
  size_t num_run_out = 0;
  size_t max_out = 0;

  rc = load_model(a, a->fold, a->threads, a->backend, &opts, &model);
  if (rc != EXIT_OK) return rc;

  num_in = repconv_model_num_inputs(model);
  num_out = repconv_model_num_outputs(model);
  if (num_out == 0) {
    rc = fail(EXIT_ERROR, "model '%s' has no outputs", a->model);
    goto done;
  }
  in_info = calloc(num_in ? num_in : 1, sizeof *in_info);
  out_info = calloc(num_out, sizeof *out_info);
  in_data = calloc(num_in ? num_in : 1, sizeof *in_data);
  in_path = calloc(num_in ? num_in : 1, sizeof *in_path);
  in_tensors = calloc(num_in ? num_in : 1, sizeof *in_tensors);
  max_out = a->num_outputs ? a->num_outputs : num_out;
  out_tensors = calloc(max_out, sizeof *out_tensors);
  out_path = calloc(max_out, sizeof *out_path);
  out_index = calloc(max_out, sizeof *out_index);
  out_numel = calloc(max_out, sizeof *out_numel);
  if (!in_info || !out_info || !in_data || !in_path || !in_tensors || !out_tensors || !out_path || !out_index ||
      !out_numel) {
    rc = fail(EXIT_ERROR, "run: out of memory");
    goto done;
  }
  for (size_t i = 0; i < num_in; ++i) {
    repconv_status st = repconv_model_input(model, i, &in_info[i]);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a->model, lib_error(st));
      goto done;
    }
  }
  for (size_t i = 0; i < num_out; ++i) {
    repconv_status st = repconv_model_output(model, i, &out_info[i]);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading output %zu of '%s': %s", i, a->model, lib_error(st));
      goto done;
    }
  }

  /* Match --input options to model inputs. */
  for (size_t k = 0; k < a->num_inputs; ++k) {
    const char* path = NULL;
    if (num_in == 0) {
      rc = usage_error("run", "model '%s' has no inputs, but --input '%s' was given", a->model, a->inputs[k]);
      goto done;
    }
    long idx = resolve_named(a->inputs[k], in_info, num_in, &path);
    if (idx == -2) {
      rc = usage_error("run", "model '%s' has %zu inputs: name each one with --input NAME=PATH ('%s' names none)",
                       a->model, num_in, a->inputs[k]);
      goto done;
    }
    size_t i = idx < 0 ? 0 : (size_t)idx;
    if (in_path[i]) {
      rc = usage_error("run", "input '%s' given more than once", in_info[i].name ? in_info[i].name : "?");
      goto done;
    }
    in_path[i] = path;
  }
  for (size_t i = 0; i < num_in; ++i) {
    if (!in_path[i]) {
      rc = usage_error("run", "missing --input %s=PATH for model input '%s'", in_info[i].name ? in_info[i].name : "?",
                       in_info[i].name ? in_info[i].name : "?");
      goto done;
    }
  }

  /* Match --output options to model outputs; none means: summarize all, write none. */
  if (a->num_outputs == 0) {
    num_run_out = num_out;
    for (size_t i = 0; i < num_out; ++i) out_index[i] = i;
  } else {
    for (size_t k = 0; k < a->num_outputs; ++k) {
      const char* path = NULL;
      long idx = resolve_named(a->outputs[k], out_info, num_out, &path);
      if (idx == -2) {
        if (a->num_outputs > 1) {
          rc = usage_error("run", "model '%s' has %zu outputs: name them with --output NAME=PATH ('%s' names none)",
                           a->model, num_out, a->outputs[k]);
          goto done;
        }
        idx = 0; /* a single unnamed --output: the first output */
      }
      size_t i = idx < 0 ? 0 : (size_t)idx;
      for (size_t j = 0; j < num_run_out; ++j) {
        if (out_index[j] == i) {
          rc = usage_error("run", "output '%s' given more than once", out_info[i].name ? out_info[i].name : "?");
          goto done;
        }
      }
      out_index[num_run_out] = i;
      out_path[num_run_out] = path;
      ++num_run_out;
    }
  }

  /* Read the inputs and check their shapes. */
  for (size_t i = 0; i < num_in; ++i) {
    if (rc_npy_read_file(in_path[i], &in_data[i]) != REPCONV_OK) {
      char what[320];
      snprintf(what, sizeof what, "reading input '%.200s'", in_info[i].name ? in_info[i].name : "?");
      rc = fail_lib(EXIT_ERROR, what, in_path[i], lib_error(REPCONV_ERROR_IO));
      goto done;
    }
    /* The .npy gives the size for dynamic dims, and for any dim with
     * --shape-from-input (the library checks that the graph infers). */
    int dynamic = 0;
    for (int32_t k = 0; k < in_info[i].ndim; ++k) dynamic |= in_info[i].dims[k] < 0;
    int ok = in_data[i].ndim == in_info[i].ndim && in_data[i].ndim <= REPCONV_MAX_DIMS;
    for (int32_t k = 0; ok && k < in_info[i].ndim; ++k) {
      ok = in_info[i].dims[k] < 0 || a->shape_from_input || in_data[i].dims[k] == in_info[i].dims[k];
    }
    if (!ok) {
      char s1[96], s2[96];
      rc = fail(
          EXIT_ERROR, "input '%s' from %s: shape %s does not match the model's %s%s",
          in_info[i].name ? in_info[i].name : "?", in_path[i],
          rc_dims_str(in_data[i].ndim, in_data[i].dims, RC_SHAPE_X, s1, sizeof s1),
          dims_text(in_info[i].ndim, in_info[i].dims, s2, sizeof s2),
          in_data[i].ndim == in_info[i].ndim && !dynamic ? " (--shape-from-input runs it at the file's shape)" : "");
      goto done;
    }
    in_tensors[i].name = in_info[i].name;
    in_tensors[i].ndim = in_data[i].ndim;
    memcpy(in_tensors[i].dims, in_data[i].dims, (size_t)in_data[i].ndim * sizeof in_tensors[i].dims[0]);
    in_tensors[i].data = in_data[i].data;
  }

  /* Output buffers of the output shapes at these inputs' shapes. */
  for (size_t j = 0; j < num_run_out; ++j) {
    repconv_tensor_info_t* info = &out_info[out_index[j]];
    repconv_status ist = repconv_model_infer_output(model, in_tensors, num_in, out_index[j], info);
    if (ist != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "running '%s': %s%s", a->model, lib_error(ist), shape_hint(lib_error(ist)));
      goto done;
    }
    int64_t n = numel_checked(info->ndim, info->dims);
    if (n < 0) {
      char s[96];
      rc = fail(EXIT_ERROR, "output '%s' has an invalid shape %s", info->name ? info->name : "?",
                rc_dims_str(info->ndim, info->dims, RC_SHAPE_X, s, sizeof s));
      goto done;
    }
    out_numel[j] = n;
    out_tensors[j].name = info->name;
    out_tensors[j].ndim = info->ndim;
    memcpy(out_tensors[j].dims, info->dims, sizeof out_tensors[j].dims);
    out_tensors[j].data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
    if (!out_tensors[j].data) {
      rc = fail(EXIT_ERROR, "out of memory for output '%s' (%" PRId64 " floats)", info->name ? info->name : "?", n);
      goto done;
    }
  }

  repconv_status st = repconv_session_create(model, opts, &session);
  if (st != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "creating a session for '%s': %s", a->model, lib_error(st));
    session = NULL;
    goto done;
  }
  double t0 = now_ms();
  st = repconv_session_run(session, in_tensors, num_in, out_tensors, num_run_out);
  double t1 = now_ms();
  if (st != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "running '%s': %s%s", a->model, session_error(session, st),
              shape_hint(session_error(session, st)));
    goto done;
  }

  for (size_t j = 0; j < num_run_out; ++j) {
    if (!out_path[j]) continue;
    if (rc_npy_write_file(out_path[j], out_tensors[j].ndim, out_tensors[j].dims, out_tensors[j].data) != REPCONV_OK) {
      char what[320];
      snprintf(what, sizeof what, "writing output '%.200s'", out_tensors[j].name ? out_tensors[j].name : "?");
      rc = fail_lib(EXIT_ERROR, what, out_path[j], lib_error(REPCONV_ERROR_IO));
      goto done;
    }
  }
  for (size_t j = 0; j < num_run_out; ++j) {
    double mn, mx, mean;
    int64_t nans;
    char shape[96], nan_note[48] = "", name[256];
    summarize(out_tensors[j].data, out_numel[j], &mn, &mx, &mean, &nans);
    if (nans) snprintf(nan_note, sizeof nan_note, "  NaN %" PRId64, nans);
    printf("%s: %s  min %.6g  max %.6g  mean %.6g%s%s%s\n",
           copy_printable(name, sizeof name, out_tensors[j].name ? out_tensors[j].name : "?"),
           rc_dims_str(out_tensors[j].ndim, out_tensors[j].dims, RC_SHAPE_X, shape, sizeof shape), mn, mx, mean,
           nan_note, out_path[j] ? "  -> " : "", out_path[j] ? out_path[j] : "");
  }
  char fold_buf[96];
  printf("time %.3f ms  (%d thread%s, backend %s, %s)\n", t1 - t0, a->threads, a->threads == 1 ? "" : "s",
         a->backend_name, fold_status(model, fold_buf, sizeof fold_buf));
  rc = EXIT_OK;

done:
  repconv_session_destroy(session);
  if (out_tensors) {
    for (size_t j = 0; j < max_out; ++j) free(out_tensors[j].data);
  }
  if (in_data) {
    for (size_t i = 0; i < num_in; ++i) rc_npy_free(&in_data[i]);
  }
  free(out_numel);
  free(out_index);
  free(out_path);
  free(out_tensors);
  free(in_tensors);
  free(in_path);
  free(in_data);
  free(out_info);
  free(in_info);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

const cli_command cli_run_command = {
    .name = "run",
    .usage =
        "  run MODEL --input X.npy [--output Y.npy] [--threads N] [--no-fold] [--max-kernel K]\n"
        "            [--backend auto|winograd|gemm|xnnpack|ref] [--shape [NAME=]NxCxHxW]\n"
        "            [--shape-from-input]\n"
        "      folds the model (unless --no-fold), runs it on X.npy (float32; float64 is\n"
        "      converted), writes the first output to Y.npy and prints min/max/mean per\n"
        "      output, the run time and the fold status;\n"
        "      several inputs/outputs: repeat --input NAME=PATH / --output NAME=PATH;\n"
        "      inputs with dynamic dims (info shows them as ?) take their size from the\n"
        "      .npy, and so does every input with --shape-from-input (one loaded model,\n"
        "      any size its graph infers for)\n",
    .options = OPT_INPUT | OPT_OUTPUT | OPT_THREADS | OPT_NO_FOLD | OPT_MAX_KERNEL | OPT_BACKEND | OPT_SHAPE |
               OPT_SHAPE_FROM_INPUT,
    .takes_model = 1,
    .default_fold = 1,
    .require = OPT_INPUT,
    .missing = "missing --input X.npy",
    .run = cmd_run,
};

/* repconv gen-input: a deterministic uniform [-1, 1) float32 input of the
 * model's input shape, as .npy. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/graph.h"
#include "runtime/io/npy.h"
#include "tools/cli/cli.h"

static int cmd_gen_input(const cli_args* a) {
  int rc;
  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  float* data = NULL;
  rc = load_model(a, 0, 1, REPCONV_BACKEND_AUTO, &opts, &model);
  if (rc != EXIT_OK) return rc;

  size_t num_in = repconv_model_num_inputs(model);
  repconv_tensor_info_t info;
  memset(&info, 0, sizeof info);
  int found = 0;
  for (size_t i = 0; i < num_in; ++i) {
    repconv_status st = repconv_model_input(model, i, &info);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a->model, lib_error(st));
      goto done;
    }
    if (!a->name || (info.name && strcmp(info.name, a->name) == 0)) {
      found = 1;
      break;
    }
  }
  if (!found) {
    if (a->name) {
      rc = fail(EXIT_ERROR, "gen-input: model '%s' has no input named '%s'", a->model, a->name);
    } else {
      rc = fail(EXIT_ERROR, "gen-input: model '%s' has no inputs", a->model);
    }
    goto done;
  }
  int64_t n = numel_checked(info.ndim, info.dims);
  if (n < 0) {
    char s[96];
    rc = fail(EXIT_ERROR, "gen-input: input '%s' has an invalid shape %s", info.name ? info.name : "?",
              rc_dims_str(info.ndim, info.dims, RC_SHAPE_X, s, sizeof s));
    goto done;
  }
  data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
  if (!data) {
    rc = fail(EXIT_ERROR, "gen-input: out of memory for %" PRId64 " floats", n);
    goto done;
  }
  fill_uniform(data, n, a->seed);
  if (rc_npy_write_file(a->outputs[0], info.ndim, info.dims, data) != REPCONV_OK) {
    rc = fail_lib(EXIT_ERROR, "writing the input", a->outputs[0], lib_error(REPCONV_ERROR_IO));
    goto done;
  }
  char shape[96];
  printf("wrote %s: %s for input '%s', uniform [-1, 1), seed %" PRIu64 "\n", a->outputs[0],
         rc_dims_str(info.ndim, info.dims, RC_SHAPE_X, shape, sizeof shape), info.name ? info.name : "?", a->seed);
  rc = EXIT_OK;

done:
  free(data);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

const cli_command cli_gen_input_command = {
    .name = "gen-input",
    .usage =
        "  gen-input MODEL -o X.npy [--seed S] [--name INPUT] [--shape [NAME=]NxCxHxW]\n"
        "      writes a deterministic uniform [-1, 1) float32 input of the model's input\n"
        "      shape (the first input unless --name)\n",
    .options = OPT_OUTPUT | OPT_SEED | OPT_NAME | OPT_SHAPE,
    .takes_model = 1,
    .default_fold = 0,
    .require = OPT_OUTPUT,
    .missing = "missing -o X.npy",
    .single_output = 1,
    .run = cmd_gen_input,
};

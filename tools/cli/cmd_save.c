/* repconv save: writes a model (built-in or loaded), folded unless
 * --no-fold, as .rcm. */
#include <stdio.h>

#include "tools/cli/cli.h"

static int cmd_save(const cli_args* a) {
  int rc;
  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  rc = load_model(a, a->fold, 1, REPCONV_BACKEND_AUTO, &opts, &model);
  if (rc != EXIT_OK) return rc;
  repconv_status st = repconv_model_save(model, a->outputs[0]);
  if (st != REPCONV_OK) {
    rc = fail_lib(EXIT_ERROR, "saving the model", a->outputs[0], lib_error(st));
  } else {
    char fold_buf[96];
    printf("wrote %s (%zu nodes, %s)\n", a->outputs[0], repconv_model_num_nodes(model),
           fold_status(model, fold_buf, sizeof fold_buf));
  }
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

const cli_command cli_save_command = {
    .name = "save",
    .usage =
        "  save MODEL -o OUT.rcm [--no-fold] [--max-kernel K] [--shape [NAME=]NxCxHxW]\n"
        "      writes the model (folded unless --no-fold) as a .rcm file\n",
    .options = OPT_OUTPUT | OPT_NO_FOLD | OPT_MAX_KERNEL | OPT_SHAPE,
    .takes_model = 1,
    .default_fold = 1,
    .require = OPT_OUTPUT,
    .missing = "missing -o OUT.rcm",
    .single_output = 1,
    .run = cmd_save,
};

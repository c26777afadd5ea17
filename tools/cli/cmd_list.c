/* repconv list: the names of the built-in models, one a line. */
#include <stdio.h>

#include "tools/cli/cli.h"

static int cmd_list(const cli_args* a) {
  (void)a;
  for (size_t i = 0;; ++i) {
    const char* name = repconv_builtin_name(i);
    if (!name) break;
    printf("%s\n", name);
  }
  return EXIT_OK;
}

const cli_command cli_list_command = {
    .name = "list",
    .usage =
        "  list\n"
        "      the names of the built-in models, one a line\n",
    .run = cmd_list,
};

/* repconv — the command-line program: the command table, --help, and the
 * dispatch. Each command is a cli_command in its own cmd_<name>.c; args.c
 * parses its arguments from that entry. */
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"

/* In the order --help lists them. */
static const cli_command* const kCommands[] = {
    &cli_info_command,  &cli_run_command,  &cli_save_command,  &cli_fold_command,    &cli_gen_input_command,
    &cli_bench_command, &cli_list_command, &cli_video_command, &cli_upscale_command,
};
#define NUM_COMMANDS (sizeof kCommands / sizeof kCommands[0])

void cli_print_usage(FILE* f) {
  fprintf(f,
          "usage: repconv COMMAND [ARGS]\n"
          "\n"
          "repconv %s: deploy-time runtime for re-parameterizable CNNs.\n"
          "\n"
          "commands:\n",
          repconv_version());
  for (size_t k = 0; k < NUM_COMMANDS; ++k) fputs(kCommands[k]->usage, f);
  fputs("\noptions:\n", f);
  cli_print_options(f);
  fputs("\nMODEL is a .rcm or .onnx file, or the name of a built-in model:", f);
  for (size_t i = 0;; ++i) {
    const char* name = repconv_builtin_name(i);
    if (!name) break;
    fprintf(f, "%s %s", i ? "," : "", name);
  }
  fprintf(f,
          "\n"
          "\n"
          "exit status: 0 on success, 1 on an error, 2 on a usage error.\n");
}

static int run_command(const cli_command* c, int argc, char** argv) {
  cli_args a;
  int rc = cli_parse(c, argc, argv, 2, &a);
  if (rc == CLI_HELP) {
    cli_print_usage(stdout);
    return EXIT_OK;
  }
  return rc == EXIT_OK ? c->run(&a) : rc;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage_error(NULL, "no command given");
  const char* cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    cli_print_usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("repconv %s\ncpu: %s\n", repconv_version(), repconv_cpu_summary());
    return EXIT_OK;
  }
  const cli_command* c = NULL;
  for (size_t k = 0; k < NUM_COMMANDS && !c; ++k) {
    if (strcmp(cmd, kCommands[k]->name) == 0) c = kCommands[k];
  }
  int rc;
  if (c) {
    rc = run_command(c, argc, argv);
  } else if (cmd[0] == '-') {
    rc = usage_error(NULL, "unknown option '%.64s' (options follow the command)", cmd);
  } else {
    rc = usage_error(NULL, "unknown command '%.64s'", cmd);
  }
  if (fflush(stdout) != 0 && rc == EXIT_OK) rc = fail(EXIT_ERROR, "writing to stdout failed");
  return rc;
}

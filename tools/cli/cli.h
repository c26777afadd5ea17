/* What the files of the repconv program share: the command table entry, the
 * parsed arguments, messages, model loading and tensor helpers.
 *
 *   repconv info MODEL                 what a model is: inputs, outputs, ops, params, FLOPs, nodes
 *   repconv run MODEL --input X.npy    run it on .npy tensors, print a summary and the time
 *   repconv save MODEL -o OUT.rcm      write a model (built-in or loaded) as .rcm
 *   repconv fold MODEL -o OUT.rcm      fold it, print the fold report, write the folded model
 *   repconv gen-input MODEL -o X.npy   a deterministic random input of the model's input shape
 *   repconv bench MODEL                unfolded vs bn-fused vs folded, timed side by side in one process
 *   repconv list                       the names of the built-in models, one a line
 *
 * main.c holds the command table and dispatches; args.c parses every
 * command's arguments from its table entry (cli_command); cmd_<name>.c is
 * one command. Models go through the public API only (include/repconv.h);
 * .npy files through runtime/io/npy.h. Every error ends the program with
 * exactly one line on stderr, "repconv: <what>: <why>", and exit status 2
 * for usage errors, 1 for everything else. */
#ifndef REPCONV_CLI_H
#define REPCONV_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "repconv.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

#define CLI_MAX_IO 64
#define CLI_MAX_THREADS 256
/* Folded kernels larger than K x K stay cut: the range the library accepts,
 * and its default (repconv_options_set_fold_max_kernel). */
#define CLI_MAX_KERNEL_LIMIT 4096
#define CLI_DEFAULT_MAX_KERNEL 7
/* fold --verify and bench: folded vs unfolded outputs may differ by float
 * rounding only; a larger relative difference fails fold --verify. */
#define CLI_VERIFY_MAX_REL 1e-4
/* The random input of fold --verify and bench: model input k is gen-input's
 * tensor for seed CLI_VERIFY_SEED + k. */
#define CLI_VERIFY_SEED 1
/* bench: --runs is 1 to CLI_MAX_RUNS; without it CLI_BENCH_RUNS rounds,
 * fewer (not below CLI_BENCH_MIN_RUNS) when they would take longer than
 * CLI_BENCH_BUDGET_S. Literal integers: the --help text spells them. */
#define CLI_MAX_RUNS 100000
#define CLI_BENCH_RUNS 20
#define CLI_BENCH_MIN_RUNS 5
#define CLI_BENCH_BUDGET_S 15
#define CLI_MAX_SHAPES 16
/* bench --steady: frames for CLI_BENCH_STEADY_S seconds unless --frames or
 * --seconds (at most CLI_MAX_SECONDS) say otherwise; never more than
 * CLI_MAX_RUNS frames. */
#define CLI_BENCH_STEADY_S 10
#define CLI_MAX_SECONDS 3600

#define CLI_STR(x) #x
#define CLI_XSTR(x) CLI_STR(x) /* a macro's value as a string literal */

#define ARROW "\u2192"

/* ------------------------------------------------------------ arguments */

/* One bit per option; a command's table entry lists the ones it takes. */
enum {
  OPT_INPUT = 1 << 0,
  OPT_OUTPUT = 1 << 1,
  OPT_THREADS = 1 << 2,
  OPT_NO_FOLD = 1 << 3,
  OPT_FOLD = 1 << 4,
  OPT_BACKEND = 1 << 5,
  OPT_SEED = 1 << 6,
  OPT_NAME = 1 << 7,
  OPT_SHAPE = 1 << 8,
  OPT_MAX_KERNEL = 1 << 9,
  OPT_VERIFY = 1 << 10,
  OPT_JSON = 1 << 11,
  OPT_RUNS = 1 << 12,
  OPT_PLAN = 1 << 13,
  OPT_PROFILE = 1 << 14,
  OPT_WINOGRAD = 1 << 15, /* accepted wherever --backend is */
  OPT_AUTOTUNE = 1 << 16, /* accepted wherever --backend is */
  OPT_CHAINS = 1 << 17,   /* accepted wherever --backend is */
  OPT_LIMIT = 1 << 18,    /* accepted wherever --shape is (commands that load a model) */
  OPT_STEADY = 1 << 19,   /* bench: steady state; brings --frames, --seconds and --form */
  OPT_FRAMES = 1 << 20,
  OPT_SECONDS = 1 << 21,
  OPT_FORM = 1 << 22
};

/* The parsed command line of one command; cli_parse starts it from the
 * command's defaults. */
typedef struct cli_args {
  const char* command_name;
  const char* model;
  const char* inputs[CLI_MAX_IO];
  size_t num_inputs;
  const char* outputs[CLI_MAX_IO];
  size_t num_outputs;
  int threads;
  int fold; /* -1: decided by the command (info: --plan) */
  repconv_backend backend;
  const char* backend_name;
  uint64_t seed;
  const char* name;
  int plan;
  int max_kernel; /* 0: the library's default */
  int verify;
  const char* json;
  int runs; /* bench: 0 = automatic */
  int profile;
  int winograd; /* REPCONV_WINOGRAD_AUTO (0) unless --winograd */
  int autotune;
  int no_chains;                         /* --chains off */
  int steady;                            /* bench --steady */
  int frames;                            /* bench --steady --frames N; 0: by time */
  double seconds;                        /* bench --steady --seconds S; 0: the default */
  int form;                              /* bench --steady --form: a repconv_fold_level; -1: not given */
  char shape_names[CLI_MAX_SHAPES][256]; /* "": the first input */
  int32_t shape_ndim[CLI_MAX_SHAPES];
  int64_t shape_dims[CLI_MAX_SHAPES][REPCONV_MAX_DIMS];
  size_t num_shapes;
  int limit_set[REPCONV_LIMIT_COUNT];
  uint64_t limit_value[REPCONV_LIMIT_COUNT];
} cli_args;

/* One command: its name, its paragraph of --help, the options it takes, its
 * defaults, what it requires, and the function that runs it on the parsed
 * arguments. */
typedef struct cli_command {
  const char* name;
  const char* usage;   /* synopsis and description lines of --help, each ending in '\n' */
  int options;         /* OPT_* it accepts; 0 with !takes_model: any argument is unexpected */
  int takes_model;     /* one MODEL operand, required */
  int default_fold;    /* cli_args.fold before the options */
  int require;         /* OPT_INPUT or OPT_OUTPUT that must be given, or 0 */
  const char* missing; /* the usage error when `require` is not given */
  int single_output;   /* -o at most once */
  int (*run)(const cli_args* a);
} cli_command;

enum { CLI_HELP = -1 }; /* cli_parse: -h or --help was given */

/* Parses argv[first..] for `cmd` into a: EXIT_OK, CLI_HELP, or EXIT_USAGE
 * (the message printed). Accepts "--opt value", "--opt=value", "-o value"
 * and "--" to end the options; options and MODEL may come in any order. */
int cli_parse(const cli_command* cmd, int argc, char** argv, int first, cli_args* a);
/* The "options:" block of --help, from the option table. */
void cli_print_options(FILE* f);
/* The whole --help text (main.c). */
void cli_print_usage(FILE* f);

/* The commands, in the order --help lists them. */
extern const cli_command cli_info_command, cli_run_command, cli_save_command, cli_fold_command, cli_gen_input_command,
    cli_bench_command, cli_list_command;

/* ------------------------------------------------------------ messages */

/* Prints "repconv: <message>" as exactly one line on stderr (control
 * characters replaced; bench's progress line cleared first); returns code. */
int fail(int code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
/* fail(EXIT_USAGE, "<command>: <message> (see 'repconv --help')"). */
int usage_error(const char* command, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
/* "repconv: <what> '<path>': <msg>", or "repconv: <what>: <msg>" when the
 * library's message already names the path. */
int fail_lib(int code, const char* what, const char* path, const char* msg);
/* The library's message for the last failing call on this thread. */
const char* lib_error(repconv_status st);
/* The session's message, else lib_error(st). */
const char* session_error(const repconv_session_t* session, repconv_status st);

/* A progress line on stderr, only when `on` (stderr is a terminal), so that
 * scripts get an empty stderr; at most 10 updates a second. */
void cli_progress(int on, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_progress_clear(int on);

/* ------------------------------------------------------------ models and tensors */

/* Loads a->model with a's options (shapes, limits, max kernel, Winograd,
 * autotune, chains), `threads` and `backend`, folded to `level` (a
 * repconv_fold_level), or with repconv_options_set_fold(fold) when level < 0.
 * On success the caller owns both; on failure the message is printed. */
int load_model_level(const cli_args* a, int fold, int level, int threads, repconv_backend backend,
                     repconv_options_t** opts_out, repconv_model_t** model_out);
int load_model(const cli_args* a, int fold, int threads, repconv_backend backend, repconv_options_t** opts_out,
               repconv_model_t** model_out);

/* Element count of a shape with overflow and sign checks; -1 if bad. */
int64_t numel_checked(int32_t ndim, const int64_t* dims);
int shapes_equal(int32_t na, const int64_t* a, int32_t nb, const int64_t* b);
double now_ms(void);
int is_builtin(const char* name);
/* "fold on: 44 → 22 convs" when the model was folded at load, else "fold off". */
const char* fold_status(const repconv_model_t* model, char* buf, size_t size);

/* n floats uniform over [-1, 1) from the seed: the tensor gen-input writes. */
void fill_uniform(float* data, int64_t n, uint64_t seed);
/* t: a deterministic uniform [-1, 1) tensor for input i of that shape, seed
 * CLI_VERIFY_SEED + i (what: the command, for messages); t->data malloc'd. */
int make_random_input(const char* what, const repconv_tensor_info_t* info, size_t i, repconv_tensor_t* t);

/* How far x is from ref (n floats): the largest |x - ref|, the largest
 * |ref| and their ratio (FLT_MIN keeps an all-zero ref finite); NaN pairs are
 * skipped, and a NaN in one only is counted and makes rel HUGE_VAL. */
typedef struct cli_diff {
  double max_abs, max_ref, rel;
  int64_t nan_mismatch;
} cli_diff;
cli_diff cli_compare(const float* x, const float* ref, int64_t n);

#endif

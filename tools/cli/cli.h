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
 *   repconv video MODEL IN.y4m OUT.y4m a YUV4MPEG2 stream through an image model (its Y plane), frames streamed
 *   repconv upscale MODEL -i IN -o OUT a picture (PNG, JPEG) or a folder of them, upscaled to PNG
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
#define CLI_MAX_OPERANDS 2
/* upscale: the default --max-memory (MB), and the ranges of --tile, --halo
 * and --max-memory. */
#define CLI_UPSCALE_MEMORY_MB 256
#define CLI_MAX_TILE 16777216
#define CLI_MAX_HALO 4096
#define CLI_MAX_MEMORY_MB 1048576
/* bench --steady: frames for CLI_BENCH_STEADY_S seconds unless --frames or
 * --seconds (at most CLI_MAX_SECONDS) say otherwise; never more than
 * CLI_MAX_RUNS frames. */
#define CLI_BENCH_STEADY_S 10
#define CLI_MAX_SECONDS 3600

#define CLI_STR(x) #x
#define CLI_XSTR(x) CLI_STR(x) /* a macro's value as a string literal */

#define ARROW "\u2192"

/* ------------------------------------------------------------ arguments */

/* One bit per option; a command's table entry lists the ones it takes
 * (more than 32 options: 64-bit masks). */
typedef uint64_t cli_opts;
#define OPT_INPUT ((cli_opts)1 << 0)
#define OPT_OUTPUT ((cli_opts)1 << 1)
#define OPT_THREADS ((cli_opts)1 << 2)
#define OPT_NO_FOLD ((cli_opts)1 << 3)
#define OPT_FOLD ((cli_opts)1 << 4)
#define OPT_BACKEND ((cli_opts)1 << 5)
#define OPT_SEED ((cli_opts)1 << 6)
#define OPT_NAME ((cli_opts)1 << 7)
#define OPT_SHAPE ((cli_opts)1 << 8)
#define OPT_MAX_KERNEL ((cli_opts)1 << 9)
#define OPT_VERIFY ((cli_opts)1 << 10)
#define OPT_JSON ((cli_opts)1 << 11)
#define OPT_RUNS ((cli_opts)1 << 12)
#define OPT_PLAN ((cli_opts)1 << 13)
#define OPT_PROFILE ((cli_opts)1 << 14)
#define OPT_WINOGRAD ((cli_opts)1 << 15) /* accepted wherever --backend is */
#define OPT_AUTOTUNE ((cli_opts)1 << 16) /* accepted wherever --backend is */
#define OPT_CHAINS ((cli_opts)1 << 17)   /* accepted wherever --backend is */
#define OPT_LIMIT ((cli_opts)1 << 18)    /* accepted wherever --shape is (commands that load a model) */
#define OPT_SHAPE_FROM_INPUT ((cli_opts)1 << 19)
#define OPT_PROGRESS ((cli_opts)1 << 20)
#define OPT_QUIET ((cli_opts)1 << 21)
#define OPT_MODEL_ONLY ((cli_opts)1 << 22)
#define OPT_TILE ((cli_opts)1 << 23) /* upscale: -t is --tile there, --threads elsewhere */
#define OPT_MAX_MEMORY ((cli_opts)1 << 24)
#define OPT_HALO ((cli_opts)1 << 25)
#define OPT_REFERENCE ((cli_opts)1 << 26)
#define OPT_BICUBIC ((cli_opts)1 << 27)
#define OPT_STEADY ((cli_opts)1 << 28) /* bench: steady state; brings --frames, --seconds and --form */
#define OPT_FRAMES ((cli_opts)1 << 29)
#define OPT_SECONDS ((cli_opts)1 << 30)
#define OPT_FORM ((cli_opts)1 << 31)
#define OPT_COLD ((cli_opts)1 << 32)    /* bench: each timed run right after the other forms' */
#define OPT_WEIGHTS ((cli_opts)1 << 33) /* accepted wherever --backend is */
#define OPT_SCALING ((cli_opts)1 << 34) /* bench --steady --profile: a 1-thread profile alongside */

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
  int weights_fp16;                      /* --weights fp16 */
  int cold;                              /* bench --cold */
  int steady;                            /* bench --steady */
  int scaling;                           /* bench --steady --profile --scaling */
  int frames;                            /* bench --steady --frames N; 0: by time */
  double seconds;                        /* bench --steady --seconds S; 0: the default */
  int form;                              /* bench --steady --form: a repconv_fold_level; -1: not given */
  char shape_names[CLI_MAX_SHAPES][256]; /* "": the first input */
  int32_t shape_ndim[CLI_MAX_SHAPES];
  int64_t shape_dims[CLI_MAX_SHAPES][REPCONV_MAX_DIMS];
  size_t num_shapes;
  int shape_from_input; /* run: the input shapes from the .npy files (a session at that size) */
  int limit_set[REPCONV_LIMIT_COUNT];
  uint64_t limit_value[REPCONV_LIMIT_COUNT];
  const char* operands[CLI_MAX_OPERANDS]; /* after MODEL (video: IN, OUT) */
  size_t num_operands;
  int progress; /* --progress: also when stderr is not a terminal */
  int quiet;
  int model_only;
  int tile;          /* upscale: kept tile side, 0 = from the memory budget */
  int halo;          /* upscale: -1 = from the model */
  int max_memory_mb; /* upscale: 0 = CLI_UPSCALE_MEMORY_MB */
  const char* reference;
  int bicubic;
} cli_args;

/* One command: its name, its paragraph of --help, the options it takes, its
 * defaults, what it requires, and the function that runs it on the parsed
 * arguments. */
typedef struct cli_command {
  const char* name;
  const char* usage;   /* synopsis and description lines of --help, each ending in '\n' */
  cli_opts options;    /* OPT_* it accepts; 0 with !takes_model: any argument is unexpected */
  int takes_model;     /* one MODEL operand, required */
  int default_fold;    /* cli_args.fold before the options */
  cli_opts require;    /* OPT_INPUT or OPT_OUTPUT that must be given, or 0 */
  const char* missing; /* the usage error when `require` is not given */
  int single_output;   /* -o at most once */
  int max_operands;    /* operands after MODEL it takes (the command checks how many it needs) */
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
    cli_bench_command, cli_list_command, cli_video_command, cli_upscale_command;

/* ------------------------------------------------------------ messages */

/* Prints "repconv: <message>" as exactly one line on stderr (control
 * characters replaced; bench's progress line cleared first); returns code. */
int fail(int code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
/* fail(EXIT_USAGE, "<command>: <message> (see 'repconv --help')"). */
int usage_error(const char* command, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
/* "repconv: <what> '<path>': <msg>", or "repconv: <what>: <msg>" when the
 * library's message already names the path. */
int fail_lib(int code, const char* what, const char* path, const char* msg);
/* " (--shape [NAME=]NxCxHxW on the command line)" when a library message
 * asks for repconv_options_set_input_shape, else "": the library's messages
 * never name a flag; the program adds it. */
const char* shape_hint(const char* msg);
/* "1x1x?x?": a shape as the model reports it, "?" for a dynamic dim (-1). */
const char* dims_text(int32_t ndim, const int64_t* dims, char* buf, size_t size);
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

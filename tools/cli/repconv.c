/* repconv — the command-line program.
 *
 *   repconv info MODEL                 what a model is: inputs, outputs, ops, params, FLOPs, nodes
 *   repconv run MODEL --input X.npy    run it on .npy tensors, print a summary and the time
 *   repconv save MODEL -o OUT.rcm      write a model (built-in or loaded) as .rcm
 *   repconv fold MODEL -o OUT.rcm      fold it, print the fold report, write the folded model
 *   repconv gen-input MODEL -o X.npy   a deterministic random input of the model's input shape
 *   repconv bench MODEL                unfolded vs bn-fused vs folded, timed side by side in one process
 *   repconv list                       the names of the built-in models, one a line
 *
 * Models go through the public API only (include/repconv.h); .npy files
 * through runtime/npy.h. Every error ends the program with exactly one line
 * on stderr, "repconv: <what>: <why>", and exit status 2 for usage errors, 1
 * for everything else. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/peak.h"
#include "repconv.h"
#include "runtime/io/npy.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

#define CLI_MAX_IO 64
#define CLI_MAX_THREADS 256
/* Folded kernels larger than K x K stay cut: the range the library accepts,
 * and its default (repconv_options_set_fold_max_kernel). */
#define CLI_MAX_KERNEL_LIMIT 4096
#define CLI_DEFAULT_MAX_KERNEL 7
/* fold --verify: folded vs unfolded outputs may differ by float rounding
 * only; a larger relative difference fails the command. */
#define CLI_VERIFY_MAX_REL 1e-4
/* The input of fold --verify: model input k is gen-input's tensor for seed
 * CLI_VERIFY_SEED + k. */
#define CLI_VERIFY_SEED 1
/* bench: --runs is 1 to CLI_MAX_RUNS. Without --runs: CLI_BENCH_RUNS rounds,
 * fewer (not below CLI_BENCH_MIN_RUNS) when they would take longer than
 * CLI_BENCH_BUDGET_MS; warm-up: at least one round, more while the warm-up
 * has taken less than CLI_BENCH_WARMUP_MS (at most CLI_BENCH_MAX_WARMUP). */
#define CLI_MAX_RUNS 100000
#define CLI_BENCH_RUNS 20
#define CLI_BENCH_MIN_RUNS 5
#define CLI_BENCH_BUDGET_MS 15000.0
#define CLI_BENCH_WARMUP_MS 200.0
#define CLI_BENCH_MAX_WARMUP 10
/* bench with --threads > 1: the pause before each timed run. A thread pool's
 * workers spin for up to ~20 ms after their last task before they sleep
 * (pthreadpool); without the pause the pool of the form that ran before
 * takes a core from the next one (measured: dbb-resnet18 folded on 2
 * threads 29 ms without, 15.5 ms with a 20-50 ms pause, as when it runs
 * alone). */
#define CLI_BENCH_SETTLE_MS 30

#define ARROW "\u2192"

/* ------------------------------------------------------------ messages */

/* 1 while bench's progress line (on a terminal) is on screen: an error
 * message first clears it. */
static int g_progress_shown = 0;

/* Prints "repconv: <message>" as exactly one line on stderr. */
static int fail(int code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char* fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* One line, and no terminal control characters (messages may quote file bytes). */
  for (char* p = buf; *p; ++p) {
    unsigned char c = (unsigned char)*p;
    if (c == '\n' || c == '\r' || c == '\t') {
      *p = ' ';
    } else if (c < 0x20 || c == 0x7f) {
      *p = '?';
    }
  }
  size_t n = strlen(buf);
  while (n > 0 && buf[n - 1] == ' ') buf[--n] = '\0';
  fflush(stdout);
  if (g_progress_shown) fprintf(stderr, "\r%78s\r", ""); /* bench's progress line (a terminal only) */
  g_progress_shown = 0;
  const char* lim = strstr(buf, "over the limit '");
  if (lim) { /* the library names the API call; say the flag too */
    lim += strlen("over the limit '");
    fprintf(stderr, "repconv: %s; on the command line: --limit %.*s=N\n", buf, (int)strcspn(lim, "'"), lim);
  } else {
    fprintf(stderr, "repconv: %s\n", buf);
  }
  return code;
}

/* The library's message for the last failing call on this thread. */
static const char* lib_error(repconv_status st) {
  const char* msg = repconv_last_error();
  if (msg && msg[0]) return msg;
  return repconv_status_string(st);
}

/* "repconv: <what> '<path>': <msg>", or "repconv: <what>: <msg>" when the
 * library's message already names the path. */
static int fail_lib(int code, const char* what, const char* path, const char* msg) {
  if (path && path[0] && strstr(msg, path)) return fail(code, "%s: %s", what, msg);
  if (path && path[0]) return fail(code, "%s '%s': %s", what, path, msg);
  return fail(code, "%s: %s", what, msg);
}

static const char* session_error(const repconv_session_t* session, repconv_status st) {
  const char* msg = session ? repconv_session_error(session) : NULL;
  if (msg && msg[0]) return msg;
  return lib_error(st);
}

static void print_usage(FILE* f) {
  fprintf(f,
          "usage: repconv COMMAND [ARGS]\n"
          "\n"
          "repconv %s: deploy-time runtime for re-parameterizable CNNs.\n"
          "\n"
          "commands:\n"
          "  info MODEL [--fold] [--max-kernel K] [--shape [NAME=]NxCxHxW]\n"
          "       [--plan [--no-fold] [--backend B] [--threads N]]\n"
          "      inputs, outputs, node counts by op, parameters, FLOPs and the node list;\n"
          "      shows the graph as stored (train-time), or folded with --fold (plus a\n"
          "      one-line fold summary); --plan adds the kernel the planner chose for each\n"
          "      node and why, and the activation arena size (folded unless --no-fold)\n"
          "  run MODEL --input X.npy [--output Y.npy] [--threads N] [--no-fold] [--max-kernel K]\n"
          "            [--backend auto|winograd|gemm|xnnpack|ref] [--shape [NAME=]NxCxHxW]\n"
          "      folds the model (unless --no-fold), runs it on X.npy (float32; float64 is\n"
          "      converted), writes the first output to Y.npy and prints min/max/mean per\n"
          "      output, the run time and the fold status;\n"
          "      several inputs/outputs: repeat --input NAME=PATH / --output NAME=PATH\n"
          "  save MODEL -o OUT.rcm [--no-fold] [--max-kernel K] [--shape [NAME=]NxCxHxW]\n"
          "      writes the model (folded unless --no-fold) as a .rcm file\n"
          "  fold MODEL -o OUT.rcm [--verify] [--json REPORT.json] [--max-kernel K]\n"
          "            [--shape [NAME=]NxCxHxW] [--threads N] [--backend auto|winograd|gemm|xnnpack|ref]\n"
          "      folds every linear region into one conv, prints the fold report (one row\n"
          "      per region, then totals) and writes the folded model to OUT.rcm;\n"
          "      --json also writes the report as JSON; --verify also runs the model\n"
          "      folded and unfolded on the same random input and prints the max absolute\n"
          "      and relative difference per output (exit status 1 if the relative\n"
          "      difference exceeds 1e-4)\n"
          "  gen-input MODEL -o X.npy [--seed S] [--name INPUT] [--shape [NAME=]NxCxHxW]\n"
          "      writes a deterministic uniform [-1, 1) float32 input of the model's input\n"
          "      shape (the first input unless --name)\n"
          "  bench MODEL [--shape [NAME=]NxCxHxW] [--threads N] [--runs N]\n"
          "              [--backend auto|winograd|gemm|xnnpack|ref] [--json FILE] [--max-kernel K]\n"
          "              [--profile]\n"
          "      loads MODEL three times: unfolded (as trained), bn-fused (only conv+BN\n"
          "      pairs fused) and folded; warms each up, then runs them interleaved on the\n"
          "      same random input and prints per form the median and min-max time, the\n"
          "      effective GFLOP/s (FLOPs of the folded graph / time, for every form), the\n"
          "      fraction of the measured FMA peak and the time over the folded one;\n"
          "      --json also writes the figures as JSON; --profile then times the folded\n"
          "      form's plan entries one by one (median per entry, share, GFLOP/s)\n"
          "  list\n"
          "      the names of the built-in models, one a line\n"
          "\n"
          "options:\n"
          "  -i, --input [NAME=]PATH    input tensor (.npy)\n"
          "  -o, --output [NAME=]PATH   output file (.npy for run, .rcm for save and fold)\n"
          "  -t, --threads N            threads of the session, 1 to %d (default 1)\n"
          "      --no-fold              keep the graph as loaded (no linear-region folding)\n"
          "      --fold                 info: show the folded graph\n"
          "      --max-kernel K         regions whose folded kernel would exceed K x K stay\n"
          "                             cut; 1 to %d (default %d)\n"
          "      --verify               fold: check the folded model against the unfolded one\n"
          "      --json FILE            fold: write the fold report as JSON; bench: the timings\n"
          "      --backend B            kernels: auto (the planner's choice, default: Winograd\n"
          "                             for stride-1 3x3 convs, repconv's GEMM or XNNPACK for\n"
          "                             the rest), winograd (Winograd wherever it applies),\n"
          "                             gemm (repconv's GEMM for every conv and FC), xnnpack\n"
          "                             (XNNPACK wherever it is exact) or ref (scalar reference)\n"
          "      --runs N               bench: timed rounds, 1 to %d (default %d, fewer - not\n"
          "                             below %d - when they would take over %.0f s)\n"
          "      --profile              bench: per-entry times of the folded form\n"
          "      --winograd V           with --backend auto or winograd: auto (the planner's rule,\n"
          "                             default), off, or 2, 4, 6 to force F(2,3), F(4,3), F(6,3)\n"
          "      --autotune             with --backend auto: time every conv/FC at load with each\n"
          "                             kernel that can run it (Winograd variants, GEMM, XNNPACK)\n"
          "                             and run the fastest (slower loading)\n"
          "      --chains on|off        with --backend auto or winograd: run consecutive Winograd\n"
          "                             layers over large images as one chain, band by band,\n"
          "                             activations kept in cache (on, default), or layer by layer\n"
          "      --seed S               gen-input: random seed, an unsigned integer (default 0)\n"
          "      --name INPUT           gen-input: which model input\n"
          "      --shape [NAME=]NxCxHxW static shape of an input (the first unless NAME=): for\n"
          "                             ONNX inputs with dynamic dims (static ONNX dims must\n"
          "                             match), or built-in/.rcm models at another size\n"
          "      --limit NAME=N         a resource limit for untrusted models (N may end in K,\n"
          "                             M, G, T; 0 = none): arena-bytes (a session's memory,\n"
          "                             default 4G), constant-bytes (constants while loading,\n"
          "                             2G), nodes (1M), load-macs (multiply-adds at load,\n"
          "                             64G)\n"
          "  -h, --help                 this text\n"
          "      --version              the version\n"
          "\n"
          "MODEL is a .rcm or .onnx file, or the name of a built-in model:",
          repconv_version(), CLI_MAX_THREADS, CLI_MAX_KERNEL_LIMIT, CLI_DEFAULT_MAX_KERNEL, CLI_MAX_RUNS,
          CLI_BENCH_RUNS, CLI_BENCH_MIN_RUNS, CLI_BENCH_BUDGET_MS / 1000.0);
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

/* ------------------------------------------------------------ formatting */

static const char* shape_str(int32_t ndim, const int64_t* dims, char* buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  if (ndim <= 0) {
    snprintf(buf, size, "scalar");
    return buf;
  }
  for (int32_t i = 0; i < ndim && used < size; ++i) {
    int n = snprintf(buf + used, size - used, "%s%" PRId64, i ? "x" : "", dims[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
  return buf;
}

/* 1234567 -> "1,234,567" */
static const char* group_digits(int64_t v, char* buf, size_t size) {
  char tmp[32];
  int neg = v < 0;
  uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  size_t n = 0;
  int digits = 0;
  do {
    if (digits && digits % 3 == 0) tmp[n++] = ',';
    tmp[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
    ++digits;
  } while (u && n < sizeof tmp - 2);
  if (neg) tmp[n++] = '-';
  size_t j = 0;
  while (n > 0 && j + 1 < size) buf[j++] = tmp[--n];
  buf[j] = '\0';
  return buf;
}

/* Element count of a shape with overflow and sign checks; -1 if bad. */
static int64_t numel_checked(int32_t ndim, const int64_t* dims) {
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

static int shapes_equal(int32_t na, const int64_t* a, int32_t nb, const int64_t* b) {
  if (na != nb) return 0;
  for (int32_t i = 0; i < na; ++i) {
    if (a[i] != b[i]) return 0;
  }
  return 1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int is_builtin(const char* name) {
  for (size_t i = 0;; ++i) {
    const char* b = repconv_builtin_name(i);
    if (!b) return 0;
    if (strcmp(b, name) == 0) return 1;
  }
}

/* "fold on: 44 → 22 convs" when the model was folded at load, else "fold off". */
static const char* fold_status(const repconv_model_t* model, char* buf, size_t size) {
  repconv_fold_summary_t sum;
  if (repconv_model_fold_summary(model, &sum) != REPCONV_OK || !sum.folded) {
    snprintf(buf, size, "fold off");
  } else {
    snprintf(buf, size, "fold on: %d " ARROW " %d convs", (int)sum.convs_before, (int)sum.convs_after);
  }
  return buf;
}

/* ------------------------------------------------------------ arguments */

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
  OPT_LIMIT = 1 << 18     /* accepted wherever --shape is (commands that load a model) */
};

#define CLI_MAX_SHAPES 16

typedef struct cli_args {
  const char* command_name;
  const char* model;
  const char* inputs[CLI_MAX_IO];
  size_t num_inputs;
  const char* outputs[CLI_MAX_IO];
  size_t num_outputs;
  int threads;
  int fold; /* -1: the command's default */
  repconv_backend backend;
  const char* backend_name;
  uint64_t seed;
  const char* name;
  int help;
  int plan;
  int max_kernel; /* 0: the library's default */
  int verify;
  const char* json;
  int runs; /* bench: 0 = automatic */
  int profile;
  int winograd; /* REPCONV_WINOGRAD_AUTO (0) unless --winograd */
  int autotune;
  int no_chains;                         /* --chains off */
  char shape_names[CLI_MAX_SHAPES][256]; /* "": the first input */
  int32_t shape_ndim[CLI_MAX_SHAPES];
  int64_t shape_dims[CLI_MAX_SHAPES][REPCONV_MAX_DIMS];
  size_t num_shapes;
  int limit_set[REPCONV_LIMIT_COUNT];
  uint64_t limit_value[REPCONV_LIMIT_COUNT];
} cli_args;

typedef struct cli_option {
  const char* long_name;
  char short_name;
  int id;
  int takes_value;
} cli_option;

static const cli_option kOptions[] = {
    {"input", 'i', OPT_INPUT, 1},     {"output", 'o', OPT_OUTPUT, 1},
    {"threads", 't', OPT_THREADS, 1}, {"no-fold", 0, OPT_NO_FOLD, 0},
    {"fold", 0, OPT_FOLD, 0},         {"backend", 0, OPT_BACKEND, 1},
    {"seed", 0, OPT_SEED, 1},         {"name", 0, OPT_NAME, 1},
    {"shape", 0, OPT_SHAPE, 1},       {"max-kernel", 0, OPT_MAX_KERNEL, 1},
    {"verify", 0, OPT_VERIFY, 0},     {"json", 0, OPT_JSON, 1},
    {"runs", 0, OPT_RUNS, 1},         {"plan", 0, OPT_PLAN, 0},
    {"profile", 0, OPT_PROFILE, 0},   {"winograd", 0, OPT_WINOGRAD, 1},
    {"autotune", 0, OPT_AUTOTUNE, 0}, {"chains", 0, OPT_CHAINS, 1},
    {"limit", 0, OPT_LIMIT, 1},
};

static int usage_error(const char* command, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char* command, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (command) return fail(EXIT_USAGE, "%s: %s (see 'repconv --help')", command, buf);
  return fail(EXIT_USAGE, "%s (see 'repconv --help')", buf);
}

static int parse_threads(const char* cmd, const char* s, int* out) {
  /* Digits only (strtol alone would accept " 2", "+2" and "-1"). */
  int ok = s[0] >= '0' && s[0] <= '9';
  long v = 0;
  if (ok) {
    char* end = NULL;
    errno = 0;
    v = strtol(s, &end, 10);
    ok = *end == '\0' && errno == 0 && v >= 1 && v <= CLI_MAX_THREADS;
  }
  if (!ok) {
    return usage_error(cmd, "bad --threads value '%s' (expected an integer from 1 to %d)", s, CLI_MAX_THREADS);
  }
  *out = (int)v;
  return EXIT_OK;
}

static int parse_max_kernel(const char* cmd, const char* s, int* out) {
  int ok = s[0] >= '0' && s[0] <= '9';
  long v = 0;
  if (ok) {
    char* end = NULL;
    errno = 0;
    v = strtol(s, &end, 10);
    ok = *end == '\0' && errno == 0 && v >= 1 && v <= CLI_MAX_KERNEL_LIMIT;
  }
  if (!ok) {
    return usage_error(cmd, "bad --max-kernel value '%s' (expected an integer from 1 to %d)", s, CLI_MAX_KERNEL_LIMIT);
  }
  *out = (int)v;
  return EXIT_OK;
}

static int parse_runs(const char* cmd, const char* s, int* out) {
  int ok = s[0] >= '0' && s[0] <= '9';
  long v = 0;
  if (ok) {
    char* end = NULL;
    errno = 0;
    v = strtol(s, &end, 10);
    ok = *end == '\0' && errno == 0 && v >= 1 && v <= CLI_MAX_RUNS;
  }
  if (!ok) return usage_error(cmd, "bad --runs value '%s' (expected an integer from 1 to %d)", s, CLI_MAX_RUNS);
  *out = (int)v;
  return EXIT_OK;
}

static int parse_seed(const char* cmd, const char* s, uint64_t* out) {
  char* end = NULL;
  errno = 0;
  if (s[0] < '0' || s[0] > '9') return usage_error(cmd, "bad --seed value '%s' (expected an unsigned integer)", s);
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' || errno != 0) {
    return usage_error(cmd, "bad --seed value '%s' (expected an unsigned integer)", s);
  }
  *out = (uint64_t)v;
  return EXIT_OK;
}

/* "[NAME=]NxCxHxW": dims are integers ≥ 1 separated by 'x'. */
static int parse_shape(cli_args* a, const char* value) {
  const char* cmd = a->command_name;
  if (a->num_shapes == CLI_MAX_SHAPES) return usage_error(cmd, "more than %d --shape options", CLI_MAX_SHAPES);
  size_t k = a->num_shapes;
  const char* dims = value;
  const char* eq = strrchr(value, '=');
  a->shape_names[k][0] = '\0';
  if (eq) {
    size_t len = (size_t)(eq - value);
    if (len == 0 || len >= sizeof(a->shape_names[k])) return usage_error(cmd, "bad --shape input name in '%s'", value);
    memcpy(a->shape_names[k], value, len);
    a->shape_names[k][len] = '\0';
    dims = eq + 1;
  }
  int32_t nd = 0;
  const char* p = dims;
  while (1) {
    if (*p < '0' || *p > '9' || nd == REPCONV_MAX_DIMS) break;
    char* end = NULL;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || v < 1 || v > (1u << 24)) break;
    a->shape_dims[k][nd++] = (int64_t)v;
    if (*end == '\0') {
      a->shape_ndim[k] = nd;
      a->num_shapes++;
      return EXIT_OK;
    }
    if (*end != 'x') break;
    p = end + 1;
  }
  return usage_error(cmd, "bad --shape value '%s' (expected [NAME=]NxCxHxW, 1 to %d dims from 1 to 16777216)", value,
                     REPCONV_MAX_DIMS);
}

/* "NAME=VALUE", VALUE an unsigned integer with an optional K, M, G or T
 * (powers of 1024); 0 lifts the limit. */
static int parse_limit(cli_args* a, const char* value) {
  const char* cmd = a->command_name;
  const char* eq = strchr(value, '=');
  char name[64];
  repconv_limit which;
  if (!eq || (size_t)(eq - value) >= sizeof(name)) {
    return usage_error(cmd, "bad --limit value '%s' (expected NAME=VALUE)", value);
  }
  memcpy(name, value, (size_t)(eq - value));
  name[eq - value] = '\0';
  if (repconv_limit_from_name(name, &which) != REPCONV_OK) {
    return usage_error(cmd, "unknown limit '%s' (expected arena-bytes, constant-bytes, nodes or load-macs)", name);
  }
  char* end = NULL;
  errno = 0;
  unsigned long long v = eq[1] >= '0' && eq[1] <= '9' ? strtoull(eq + 1, &end, 10) : 0;
  int shift = 0;
  if (end && *end) {
    const char* units = "KMGT";
    const char* u = strchr(units, *end);
    shift = u && end[1] == '\0' ? 10 * (int)(u - units + 1) : -1;
  }
  if (!end || errno || shift < 0 || (shift && v > (~0ULL >> shift))) {
    return usage_error(cmd, "bad --limit value '%s' (expected NAME=N with an optional K, M, G or T)", value);
  }
  a->limit_set[which] = 1;
  a->limit_value[which] = (uint64_t)v << shift;
  return EXIT_OK;
}

static int apply_option(cli_args* a, int allowed, const cli_option* opt, const char* shown, const char* value) {
  const char* cmd = a->command_name;
  if (allowed & OPT_BACKEND) allowed |= OPT_WINOGRAD | OPT_AUTOTUNE | OPT_CHAINS;
  if (allowed & OPT_SHAPE) allowed |= OPT_LIMIT;
  if (!(allowed & opt->id)) return usage_error(cmd, "option '%s' does not apply to this command", shown);
  switch (opt->id) {
    case OPT_INPUT:
      if (a->num_inputs == CLI_MAX_IO) return usage_error(cmd, "more than %d --input options", CLI_MAX_IO);
      if (value[0] == '\0') return usage_error(cmd, "empty --input value");
      a->inputs[a->num_inputs++] = value;
      return EXIT_OK;
    case OPT_OUTPUT:
      if (a->num_outputs == CLI_MAX_IO) return usage_error(cmd, "more than %d --output options", CLI_MAX_IO);
      if (value[0] == '\0') return usage_error(cmd, "empty --output value");
      a->outputs[a->num_outputs++] = value;
      return EXIT_OK;
    case OPT_THREADS: return parse_threads(cmd, value, &a->threads);
    case OPT_NO_FOLD: a->fold = 0; return EXIT_OK;
    case OPT_FOLD: a->fold = 1; return EXIT_OK;
    case OPT_BACKEND:
      if (repconv_backend_from_name(value, &a->backend) != REPCONV_OK) {
        return usage_error(cmd, "unknown backend '%s' (expected auto, winograd, gemm, xnnpack or ref)", value);
      }
      a->backend_name = value;
      return EXIT_OK;
    case OPT_SEED: return parse_seed(cmd, value, &a->seed);
    case OPT_RUNS: return parse_runs(cmd, value, &a->runs);
    case OPT_PLAN: a->plan = 1; return EXIT_OK;
    case OPT_NAME:
      if (value[0] == '\0') return usage_error(cmd, "empty --name value");
      a->name = value;
      return EXIT_OK;
    case OPT_SHAPE: return parse_shape(a, value);
    case OPT_LIMIT: return parse_limit(a, value);
    case OPT_MAX_KERNEL: return parse_max_kernel(cmd, value, &a->max_kernel);
    case OPT_VERIFY: a->verify = 1; return EXIT_OK;
    case OPT_PROFILE: a->profile = 1; return EXIT_OK;
    case OPT_WINOGRAD:
      if (repconv_winograd_from_name(value, &a->winograd) != REPCONV_OK) {
        return usage_error(cmd, "unknown --winograd value '%s' (expected auto, off, 2, 4 or 6)", value);
      }
      return EXIT_OK;
    case OPT_AUTOTUNE: a->autotune = 1; return EXIT_OK;
    case OPT_CHAINS:
      if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
        return usage_error(cmd, "unknown --chains value '%s' (expected on or off)", value);
      }
      a->no_chains = strcmp(value, "off") == 0;
      return EXIT_OK;
    case OPT_JSON:
      if (value[0] == '\0') return usage_error(cmd, "empty --json value");
      if (a->json) return usage_error(cmd, "--json given more than once");
      a->json = value;
      return EXIT_OK;
    default: return usage_error(cmd, "internal: unhandled option '%s'", shown);
  }
}

/* Parses argv[first..] for a command taking one MODEL and the options in
 * `allowed`. Accepts "--opt value", "--opt=value", "-o value" and "--" to end
 * the options; options and MODEL may come in any order. */
static int parse_args(int argc, char** argv, int first, int allowed, cli_args* a) {
  const char* cmd = a->command_name;
  int only_positional = 0;
  for (int i = first; i < argc; ++i) {
    const char* arg = argv[i];
    if (!only_positional && strcmp(arg, "--") == 0) {
      only_positional = 1;
      continue;
    }
    if (!only_positional && arg[0] == '-' && arg[1] != '\0') {
      if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        a->help = 1;
        return EXIT_OK;
      }
      const cli_option* opt = NULL;
      const char* inline_value = NULL;
      char shown[64];
      if (arg[1] == '-') {
        const char* name = arg + 2;
        const char* eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (size_t k = 0; k < sizeof kOptions / sizeof kOptions[0]; ++k) {
          if (strlen(kOptions[k].long_name) == len && strncmp(kOptions[k].long_name, name, len) == 0) {
            opt = &kOptions[k];
            break;
          }
        }
        snprintf(shown, sizeof shown, "--%.*s", (int)(len < 40 ? len : 40), name);
        if (!opt) return usage_error(cmd, "unknown option '%s'", shown);
        if (eq) inline_value = eq + 1;
      } else {
        for (size_t k = 0; k < sizeof kOptions / sizeof kOptions[0]; ++k) {
          if (kOptions[k].short_name && kOptions[k].short_name == arg[1]) {
            opt = &kOptions[k];
            break;
          }
        }
        snprintf(shown, sizeof shown, "%.40s", arg);
        if (!opt || arg[2] != '\0') return usage_error(cmd, "unknown option '%s'", shown);
      }
      if (!opt->takes_value) {
        if (inline_value) return usage_error(cmd, "option '%s' takes no value", shown);
        int rc = apply_option(a, allowed, opt, shown, NULL);
        if (rc != EXIT_OK) return rc;
        continue;
      }
      const char* value = inline_value;
      if (!value) {
        if (i + 1 >= argc) return usage_error(cmd, "option '%s' needs a value", shown);
        value = argv[++i];
      }
      int rc = apply_option(a, allowed, opt, shown, value);
      if (rc != EXIT_OK) return rc;
      continue;
    }
    if (a->model) return usage_error(cmd, "unexpected argument '%.200s'", arg);
    if (arg[0] == '\0') return usage_error(cmd, "empty MODEL argument");
    a->model = arg;
  }
  if (!a->model) return usage_error(cmd, "missing MODEL (a .rcm file or a built-in name)");
  return EXIT_OK;
}

/* ------------------------------------------------------------ model loading */

/* Loads a->model folded to `level` (the library's default fold level when
 * level < 0 and fold is on). */
static int load_model_level(const cli_args* a, int fold, int level, int threads, repconv_backend backend,
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
    int rc = fail_lib(EXIT_ERROR, "loading model", a->model, lib_error(st));
    repconv_options_destroy(opts);
    return rc;
  }
  *opts_out = opts;
  *model_out = model;
  return EXIT_OK;
}

static int load_model(const cli_args* a, int fold, int threads, repconv_backend backend, repconv_options_t** opts_out,
                      repconv_model_t** model_out) {
  return load_model_level(a, fold, -1, threads, backend, opts_out, model_out);
}

/* ------------------------------------------------------------ info */

typedef struct op_count {
  const char* op;
  int64_t count;
} op_count;

static int compare_op_count(const void* pa, const void* pb) {
  const op_count* a = (const op_count*)pa;
  const op_count* b = (const op_count*)pb;
  if (a->count != b->count) return a->count > b->count ? -1 : 1;
  return strcmp(a->op, b->op);
}

static int print_tensor_list(const repconv_model_t* model, int inputs) {
  size_t n = inputs ? repconv_model_num_inputs(model) : repconv_model_num_outputs(model);
  printf("%s (%zu):\n", inputs ? "inputs" : "outputs", n);
  for (size_t i = 0; i < n; ++i) {
    repconv_tensor_info_t t;
    memset(&t, 0, sizeof t);
    repconv_status st = inputs ? repconv_model_input(model, i, &t) : repconv_model_output(model, i, &t);
    if (st != REPCONV_OK) return fail(EXIT_ERROR, "reading %s %zu: %s", inputs ? "input" : "output", i, lib_error(st));
    char shape[96];
    printf("  %-24s %s\n", t.name ? t.name : "?", shape_str(t.ndim, t.dims, shape, sizeof shape));
  }
  return EXIT_OK;
}

/* The planner's choice per node, as a session with these options makes it. */
static int print_plan(const cli_args* a, const repconv_model_t* model, const repconv_options_t* opts) {
  repconv_session_t* s = NULL;
  repconv_status st = repconv_session_create(model, opts, &s);
  if (st != REPCONV_OK) return fail_lib(EXIT_ERROR, "planning", a->model, lib_error(st));
  size_t n = repconv_session_num_plan_entries(s);
  int node_w = 4, kern_w = 6;
  for (size_t i = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    if (repconv_session_plan(s, i, &e) != REPCONV_OK) continue;
    size_t a1 = strlen(e.node ? e.node : ""), a2 = strlen(e.kernel ? e.kernel : "");
    if ((int)(a1 < 40 ? a1 : 40) > node_w) node_w = (int)(a1 < 40 ? a1 : 40);
    if ((int)(a2 < 56 ? a2 : 56) > kern_w) kern_w = (int)(a2 < 56 ? a2 : 56);
  }
  char b[64];
  printf("\nplan (backend %s, %d thread%s): arena %s bytes\n", a->backend_name, a->threads, a->threads == 1 ? "" : "s",
         group_digits((int64_t)repconv_session_arena_bytes(s), b, sizeof b));
  printf("  %5s  %-*s  %-14s  %-*s  %s\n", "#", node_w, "node", "op", kern_w, "kernel", "why");
  for (size_t i = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    if (repconv_session_plan(s, i, &e) != REPCONV_OK) continue;
    printf("  %5zu  %-*s  %-14s  %-*s  %s\n", i, node_w, e.node ? e.node : "", e.op ? e.op : "", kern_w,
           e.kernel ? e.kernel : "", e.note ? e.note : "");
  }
  repconv_session_destroy(s);
  return EXIT_OK;
}

static int cmd_info(int argc, char** argv) {
  cli_args a;
  memset(&a, 0, sizeof a);
  a.command_name = "info";
  a.fold = -1; /* the graph as stored, unless --fold (or --plan: the graph as it runs) */
  a.threads = 1;
  a.backend = REPCONV_BACKEND_AUTO;
  a.backend_name = "auto";
  int rc = parse_args(argc, argv, 2,
                      OPT_FOLD | OPT_NO_FOLD | OPT_MAX_KERNEL | OPT_SHAPE | OPT_PLAN | OPT_BACKEND | OPT_THREADS, &a);
  if (rc != EXIT_OK) return rc;
  if (a.fold < 0) a.fold = a.plan;
  if (a.help) {
    print_usage(stdout);
    return EXIT_OK;
  }
  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  rc = load_model(&a, a.fold, a.threads, a.backend, &opts, &model);
  if (rc != EXIT_OK) return rc;

  size_t num_nodes = repconv_model_num_nodes(model);
  repconv_node_info_t* nodes = calloc(num_nodes ? num_nodes : 1, sizeof *nodes);
  op_count* counts = calloc(num_nodes ? num_nodes : 1, sizeof *counts);
  if (!nodes || !counts) {
    rc = fail(EXIT_ERROR, "info: out of memory for %zu nodes", num_nodes);
    goto done;
  }
  size_t num_ops = 0;
  int64_t total_params = 0, total_flops = 0;
  for (size_t i = 0; i < num_nodes; ++i) {
    repconv_status st = repconv_model_node(model, i, &nodes[i]);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading node %zu of '%s': %s", i, a.model, lib_error(st));
      goto done;
    }
    if (!nodes[i].op) nodes[i].op = "?";
    if (!nodes[i].name) nodes[i].name = "";
    size_t k = 0;
    while (k < num_ops && strcmp(counts[k].op, nodes[i].op) != 0) ++k;
    if (k == num_ops) {
      counts[num_ops].op = nodes[i].op;
      counts[num_ops].count = 0;
      ++num_ops;
    }
    counts[k].count++;
    total_params += nodes[i].params;
    total_flops += nodes[i].flops;
  }
  qsort(counts, num_ops, sizeof *counts, compare_op_count);

  char b1[64], b2[64];
  printf("model: %s%s%s\n", a.model, is_builtin(a.model) ? " (built-in)" : "",
         a.fold ? ", folded" : ", as stored (not folded)");
  if (a.fold) {
    repconv_fold_summary_t sum;
    repconv_status st = repconv_model_fold_summary(model, &sum);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading the fold summary of '%s': %s", a.model, lib_error(st));
      goto done;
    }
    int cut = 0;
    for (int32_t r = 0; r < sum.regions; ++r) {
      repconv_fold_region_t reg;
      if (repconv_model_fold_region(model, (size_t)r, &reg) == REPCONV_OK && !reg.exact) ++cut;
    }
    printf("fold: nodes %d " ARROW " %d, convs %d " ARROW " %d, %d region%s (%d exact, %d cut), max kernel %d\n",
           (int)sum.nodes_before, (int)sum.nodes_after, (int)sum.convs_before, (int)sum.convs_after, (int)sum.regions,
           sum.regions == 1 ? "" : "s", (int)sum.regions - cut, cut,
           a.max_kernel > 0 ? a.max_kernel : CLI_DEFAULT_MAX_KERNEL);
  }
  rc = print_tensor_list(model, 1);
  if (rc == EXIT_OK) rc = print_tensor_list(model, 0);
  if (rc != EXIT_OK) goto done;

  printf("nodes by op (%zu nodes):\n", num_nodes);
  for (size_t k = 0; k < num_ops; ++k) printf("  %-24s %6" PRId64 "\n", counts[k].op, counts[k].count);
  printf("parameters: %s (%.2f M)\n", group_digits(total_params, b1, sizeof b1), (double)total_params / 1e6);
  printf("FLOPs: %.3f GFLOPs (%s)\n", (double)total_flops / 1e9, group_digits(total_flops, b2, sizeof b2));

  /* Node list; the name column is as wide as the longest name (capped). */
  int name_w = 4, op_w = 2;
  for (size_t i = 0; i < num_nodes; ++i) {
    size_t n = strlen(nodes[i].name), o = strlen(nodes[i].op);
    if ((int)(n < 48 ? n : 48) > name_w) name_w = (int)(n < 48 ? n : 48);
    if ((int)(o < 24 ? o : 24) > op_w) op_w = (int)(o < 24 ? o : 24);
  }
  printf("\nnodes (execution order):\n");
  printf("  %5s  %-*s  %-*s  %-16s %-7s %-7s %6s %14s %16s\n", "#", op_w, "op", name_w, "name", "output", "kernel",
         "stride", "groups", "params", "FLOPs");
  for (size_t i = 0; i < num_nodes; ++i) {
    const repconv_node_info_t* n = &nodes[i];
    char shape[96], kernel[32] = "-", stride[32] = "-", groups[16] = "-";
    if (n->kernel_h > 0 || n->kernel_w > 0) {
      snprintf(kernel, sizeof kernel, "%dx%d", (int)n->kernel_h, (int)n->kernel_w);
      snprintf(stride, sizeof stride, "%dx%d", (int)n->stride_h, (int)n->stride_w);
      if (n->groups > 0) snprintf(groups, sizeof groups, "%d", (int)n->groups);
    }
    printf("  %5zu  %-*s  %-*s  %-16s %-7s %-7s %6s %14s %16s\n", i, op_w, n->op, name_w, n->name,
           shape_str(n->output.ndim, n->output.dims, shape, sizeof shape), kernel, stride, groups,
           group_digits(n->params, b1, sizeof b1), group_digits(n->flops, b2, sizeof b2));
  }
  rc = a.plan ? print_plan(&a, model, opts) : EXIT_OK;

done:
  free(counts);
  free(nodes);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

/* ------------------------------------------------------------ run */

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

static int cmd_run(int argc, char** argv) {
  cli_args a;
  memset(&a, 0, sizeof a);
  a.command_name = "run";
  a.fold = 1;
  a.threads = 1;
  a.backend = REPCONV_BACKEND_AUTO;
  a.backend_name = "auto";
  int rc = parse_args(
      argc, argv, 2, OPT_INPUT | OPT_OUTPUT | OPT_THREADS | OPT_NO_FOLD | OPT_MAX_KERNEL | OPT_BACKEND | OPT_SHAPE, &a);
  if (rc != EXIT_OK) return rc;
  if (a.help) {
    print_usage(stdout);
    return EXIT_OK;
  }
  if (a.num_inputs == 0) return usage_error("run", "missing --input X.npy");

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

  rc = load_model(&a, a.fold, a.threads, a.backend, &opts, &model);
  if (rc != EXIT_OK) return rc;

  num_in = repconv_model_num_inputs(model);
  num_out = repconv_model_num_outputs(model);
  if (num_out == 0) {
    rc = fail(EXIT_ERROR, "model '%s' has no outputs", a.model);
    goto done;
  }
  in_info = calloc(num_in ? num_in : 1, sizeof *in_info);
  out_info = calloc(num_out, sizeof *out_info);
  in_data = calloc(num_in ? num_in : 1, sizeof *in_data);
  in_path = calloc(num_in ? num_in : 1, sizeof *in_path);
  in_tensors = calloc(num_in ? num_in : 1, sizeof *in_tensors);
  max_out = a.num_outputs ? a.num_outputs : num_out;
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
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a.model, lib_error(st));
      goto done;
    }
  }
  for (size_t i = 0; i < num_out; ++i) {
    repconv_status st = repconv_model_output(model, i, &out_info[i]);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading output %zu of '%s': %s", i, a.model, lib_error(st));
      goto done;
    }
  }

  /* Match --input options to model inputs. */
  for (size_t k = 0; k < a.num_inputs; ++k) {
    const char* path = NULL;
    if (num_in == 0) {
      rc = usage_error("run", "model '%s' has no inputs, but --input '%s' was given", a.model, a.inputs[k]);
      goto done;
    }
    long idx = resolve_named(a.inputs[k], in_info, num_in, &path);
    if (idx == -2) {
      rc = usage_error("run", "model '%s' has %zu inputs: name each one with --input NAME=PATH ('%s' names none)",
                       a.model, num_in, a.inputs[k]);
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
  if (a.num_outputs == 0) {
    num_run_out = num_out;
    for (size_t i = 0; i < num_out; ++i) out_index[i] = i;
  } else {
    for (size_t k = 0; k < a.num_outputs; ++k) {
      const char* path = NULL;
      long idx = resolve_named(a.outputs[k], out_info, num_out, &path);
      if (idx == -2) {
        if (a.num_outputs > 1) {
          rc = usage_error("run", "model '%s' has %zu outputs: name them with --output NAME=PATH ('%s' names none)",
                           a.model, num_out, a.outputs[k]);
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
    if (!shapes_equal(in_data[i].ndim, in_data[i].dims, in_info[i].ndim, in_info[i].dims)) {
      char s1[96], s2[96];
      rc = fail(EXIT_ERROR, "input '%s' from %s: shape %s does not match the model's %s",
                in_info[i].name ? in_info[i].name : "?", in_path[i],
                shape_str(in_data[i].ndim, in_data[i].dims, s1, sizeof s1),
                shape_str(in_info[i].ndim, in_info[i].dims, s2, sizeof s2));
      goto done;
    }
    in_tensors[i].name = in_info[i].name;
    in_tensors[i].ndim = in_info[i].ndim;
    memcpy(in_tensors[i].dims, in_info[i].dims, sizeof in_tensors[i].dims);
    in_tensors[i].data = in_data[i].data;
  }

  /* Output buffers of the model's output shapes. */
  for (size_t j = 0; j < num_run_out; ++j) {
    const repconv_tensor_info_t* info = &out_info[out_index[j]];
    int64_t n = numel_checked(info->ndim, info->dims);
    if (n < 0) {
      char s[96];
      rc = fail(EXIT_ERROR, "output '%s' has an invalid shape %s", info->name ? info->name : "?",
                shape_str(info->ndim, info->dims, s, sizeof s));
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
    rc = fail(EXIT_ERROR, "creating a session for '%s': %s", a.model, lib_error(st));
    session = NULL;
    goto done;
  }
  double t0 = now_ms();
  st = repconv_session_run(session, in_tensors, num_in, out_tensors, num_run_out);
  double t1 = now_ms();
  if (st != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "running '%s': %s", a.model, session_error(session, st));
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
    char shape[96], nan_note[48] = "";
    summarize(out_tensors[j].data, out_numel[j], &mn, &mx, &mean, &nans);
    if (nans) snprintf(nan_note, sizeof nan_note, "  NaN %" PRId64, nans);
    printf("%s: %s  min %.6g  max %.6g  mean %.6g%s%s%s\n", out_tensors[j].name ? out_tensors[j].name : "?",
           shape_str(out_tensors[j].ndim, out_tensors[j].dims, shape, sizeof shape), mn, mx, mean, nan_note,
           out_path[j] ? "  -> " : "", out_path[j] ? out_path[j] : "");
  }
  char fold_buf[96];
  printf("time %.3f ms  (%d thread%s, backend %s, %s)\n", t1 - t0, a.threads, a.threads == 1 ? "" : "s", a.backend_name,
         fold_status(model, fold_buf, sizeof fold_buf));
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

/* ------------------------------------------------------------ save */

static int cmd_save(int argc, char** argv) {
  cli_args a;
  memset(&a, 0, sizeof a);
  a.command_name = "save";
  a.fold = 1;
  int rc = parse_args(argc, argv, 2, OPT_OUTPUT | OPT_NO_FOLD | OPT_MAX_KERNEL | OPT_SHAPE, &a);
  if (rc != EXIT_OK) return rc;
  if (a.help) {
    print_usage(stdout);
    return EXIT_OK;
  }
  if (a.num_outputs == 0) return usage_error("save", "missing -o OUT.rcm");
  if (a.num_outputs > 1) return usage_error("save", "-o given more than once");
  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  rc = load_model(&a, a.fold, 1, REPCONV_BACKEND_AUTO, &opts, &model);
  if (rc != EXIT_OK) return rc;
  repconv_status st = repconv_model_save(model, a.outputs[0]);
  if (st != REPCONV_OK) {
    rc = fail_lib(EXIT_ERROR, "saving the model", a.outputs[0], lib_error(st));
  } else {
    char fold_buf[96];
    printf("wrote %s (%zu nodes, %s)\n", a.outputs[0], repconv_model_num_nodes(model),
           fold_status(model, fold_buf, sizeof fold_buf));
  }
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

/* ------------------------------------------------------------ gen-input */

/* splitmix64: a fixed, platform-independent sequence for a seed. */
static uint64_t splitmix64(uint64_t* s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* n floats, uniform over [-1, 1), from the seed: the tensor gen-input writes. */
static void fill_uniform(float* data, int64_t n, uint64_t seed) {
  uint64_t state = seed;
  for (int64_t i = 0; i < n; ++i) {
    /* 24 random bits -> k / 2^23 - 1: exact floats, uniform over [-1, 1). */
    uint32_t bits = (uint32_t)(splitmix64(&state) >> 40);
    data[i] = (float)bits * (1.0f / 8388608.0f) - 1.0f;
  }
}

/* A deterministic uniform [-1, 1) tensor for input i of the given info
 * (what: the command, for messages). */
static int make_random_input(const char* what, const repconv_tensor_info_t* info, size_t i, repconv_tensor_t* t) {
  int64_t n = numel_checked(info->ndim, info->dims);
  if (n < 0) {
    char s[96];
    return fail(EXIT_ERROR, "input '%s' has an invalid shape %s", info->name ? info->name : "?",
                shape_str(info->ndim, info->dims, s, sizeof s));
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

static int cmd_gen_input(int argc, char** argv) {
  cli_args a;
  memset(&a, 0, sizeof a);
  a.command_name = "gen-input";
  int rc = parse_args(argc, argv, 2, OPT_OUTPUT | OPT_SEED | OPT_NAME | OPT_SHAPE, &a);
  if (rc != EXIT_OK) return rc;
  if (a.help) {
    print_usage(stdout);
    return EXIT_OK;
  }
  if (a.num_outputs == 0) return usage_error("gen-input", "missing -o X.npy");
  if (a.num_outputs > 1) return usage_error("gen-input", "-o given more than once");
  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  float* data = NULL;
  rc = load_model(&a, 0, 1, REPCONV_BACKEND_AUTO, &opts, &model);
  if (rc != EXIT_OK) return rc;

  size_t num_in = repconv_model_num_inputs(model);
  repconv_tensor_info_t info;
  memset(&info, 0, sizeof info);
  int found = 0;
  for (size_t i = 0; i < num_in; ++i) {
    repconv_status st = repconv_model_input(model, i, &info);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a.model, lib_error(st));
      goto done;
    }
    if (!a.name || (info.name && strcmp(info.name, a.name) == 0)) {
      found = 1;
      break;
    }
  }
  if (!found) {
    if (a.name) {
      rc = fail(EXIT_ERROR, "gen-input: model '%s' has no input named '%s'", a.model, a.name);
    } else {
      rc = fail(EXIT_ERROR, "gen-input: model '%s' has no inputs", a.model);
    }
    goto done;
  }
  int64_t n = numel_checked(info.ndim, info.dims);
  if (n < 0) {
    char s[96];
    rc = fail(EXIT_ERROR, "gen-input: input '%s' has an invalid shape %s", info.name ? info.name : "?",
              shape_str(info.ndim, info.dims, s, sizeof s));
    goto done;
  }
  data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
  if (!data) {
    rc = fail(EXIT_ERROR, "gen-input: out of memory for %" PRId64 " floats", n);
    goto done;
  }
  fill_uniform(data, n, a.seed);
  if (rc_npy_write_file(a.outputs[0], info.ndim, info.dims, data) != REPCONV_OK) {
    rc = fail_lib(EXIT_ERROR, "writing the input", a.outputs[0], lib_error(REPCONV_ERROR_IO));
    goto done;
  }
  char shape[96];
  printf("wrote %s: %s for input '%s', uniform [-1, 1), seed %" PRIu64 "\n", a.outputs[0],
         shape_str(info.ndim, info.dims, shape, sizeof shape), info.name ? info.name : "?", a.seed);
  rc = EXIT_OK;

done:
  free(data);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

/* ------------------------------------------------------------ fold */

/* Terminal columns of a UTF-8 string (bytes that do not continue a sequence). */
static size_t display_width(const char* s) {
  size_t w = 0;
  for (; *s; ++s) {
    if (((unsigned char)*s & 0xC0) != 0x80) ++w;
  }
  return w;
}

/* Prints s padded to `width` columns (right-aligned if right). */
static void print_cell(const char* s, size_t width, int right) {
  size_t w = display_width(s);
  size_t pad = w < width ? width - w : 0;
  if (right) printf("%*s", (int)pad, "");
  fputs(s, stdout);
  if (!right) printf("%*s", (int)pad, "");
}

/* A name from a model file for the table: control characters become '?'. */
static void copy_printable(char* dst, size_t size, const char* src) {
  size_t j = 0;
  for (const char* p = src ? src : ""; *p && j + 1 < size; ++p) {
    unsigned char c = (unsigned char)*p;
    dst[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  dst[j] = '\0';
}

/* 1234 -> "1.23K", 231211008 -> "231.2M": 3 to 4 significant digits. */
static const char* compact(int64_t v, char* buf, size_t size) {
  double d = (double)v;
  double a = d < 0 ? -d : d;
  if (a < 1e3) {
    snprintf(buf, size, "%" PRId64, v);
  } else if (a < 1e6) {
    snprintf(buf, size, a < 1e4 ? "%.2fK" : a < 1e5 ? "%.1fK" : "%.0fK", d / 1e3);
  } else if (a < 1e9) {
    snprintf(buf, size, a < 1e7 ? "%.2fM" : a < 1e8 ? "%.1fM" : "%.0fM", d / 1e6);
  } else {
    snprintf(buf, size, a < 1e10 ? "%.2fG" : a < 1e11 ? "%.1fG" : "%.0fG", d / 1e9);
  }
  return buf;
}

/* "3x3 s2 d2 g48": stride, dilation and groups only when not 1; "-" when
 * the region became no conv (a copy or a pad). */
static const char* kernel_str(const repconv_fold_region_t* r, char* buf, size_t size) {
  if (r->kernel_h <= 0 || r->kernel_w <= 0) {
    snprintf(buf, size, "-");
    return buf;
  }
  size_t used = 0;
  int n = snprintf(buf, size, "%dx%d", (int)r->kernel_h, (int)r->kernel_w);
  used = n > 0 ? (size_t)n : 0;
  if ((r->stride_h > 1 || r->stride_w > 1) && used < size) {
    n = r->stride_h == r->stride_w ? snprintf(buf + used, size - used, " s%d", (int)r->stride_h)
                                   : snprintf(buf + used, size - used, " s%dx%d", (int)r->stride_h, (int)r->stride_w);
    used += n > 0 ? (size_t)n : 0;
  }
  if ((r->dilation_h > 1 || r->dilation_w > 1) && used < size) {
    n = r->dilation_h == r->dilation_w
            ? snprintf(buf + used, size - used, " d%d", (int)r->dilation_h)
            : snprintf(buf + used, size - used, " d%dx%d", (int)r->dilation_h, (int)r->dilation_w);
    used += n > 0 ? (size_t)n : 0;
  }
  if (r->groups > 1 && used < size) snprintf(buf + used, size - used, " g%d", (int)r->groups);
  return buf;
}

/* ---- JSON output */

/* A JSON string: quotes, backslashes and control characters escaped;
 * bytes that are not valid UTF-8 become U+FFFD. */
static void json_string(FILE* f, const char* s) {
  fputc('"', f);
  const unsigned char* p = (const unsigned char*)(s ? s : "");
  while (*p) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc((int)c, f);
      ++p;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default: fprintf(f, "\\u%04x", (unsigned)c); break;
      }
      ++p;
    } else if (c < 0x80) {
      fputc((int)c, f);
      ++p;
    } else {
      /* The length of a well-formed UTF-8 sequence starting here, or 0. */
      size_t len = 0;
      uint32_t cp = 0;
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
      }
      for (size_t k = 1; k < len; ++k) {
        if ((p[k] & 0xC0) != 0x80) {
          len = 0;
          break;
        }
        cp = (cp << 6) | (p[k] & 0x3F);
      }
      /* Overlong forms, surrogates and code points past U+10FFFF are invalid. */
      if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) len = 0;
      if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) len = 0;
      if (len == 0) {
        fputs("\\ufffd", f);
        ++p;
      } else {
        fwrite(p, 1, len, f);
        p += len;
      }
    }
  }
  fputc('"', f);
}

/* A JSON number; NaN and infinities (not JSON) are written as null. */
static void json_double(FILE* f, double v) {
  if (v != v || v > DBL_MAX || v < -DBL_MAX) {
    fputs("null", f);
  } else {
    fprintf(f, "%.9g", v);
  }
}

typedef struct verify_result {
  int done;
  size_t num_outputs;
  const char** names; /* owned by the model */
  double* max_abs;    /* per output */
  double* max_ref;    /* max |unfolded| per output */
  double* max_rel;
  int64_t* nan_mismatch;
  double max_abs_all, max_rel_all;
  size_t worst; /* the output with the largest max_rel */
  double ms_unfolded, ms_folded;
  int ok;
} verify_result;

static void verify_result_free(verify_result* v) {
  free(v->names);
  free(v->max_abs);
  free(v->max_ref);
  free(v->max_rel);
  free(v->nan_mismatch);
  memset(v, 0, sizeof *v);
}

static int write_fold_json(const char* path, const cli_args* a, const repconv_model_t* model,
                           const repconv_fold_summary_t* sum, const verify_result* v) {
  FILE* f = fopen(path, "wb");
  if (!f) return fail(EXIT_ERROR, "writing the JSON report '%s': %s", path, strerror(errno));
  fputs("{\n  \"model\": ", f);
  json_string(f, a->model);
  fprintf(f, ",\n  \"max_kernel\": %d", a->max_kernel > 0 ? a->max_kernel : CLI_DEFAULT_MAX_KERNEL);
  fputs(",\n  \"inputs\": [", f);
  size_t num_in = repconv_model_num_inputs(model);
  for (size_t i = 0; i < num_in; ++i) {
    repconv_tensor_info_t t;
    memset(&t, 0, sizeof t);
    if (repconv_model_input(model, i, &t) != REPCONV_OK) continue;
    fputs(i ? ", {\"name\": " : "{\"name\": ", f);
    json_string(f, t.name);
    fputs(", \"shape\": [", f);
    for (int32_t d = 0; d < t.ndim; ++d) fprintf(f, "%s%" PRId64, d ? ", " : "", t.dims[d]);
    fputs("]}", f);
  }
  fprintf(f,
          "],\n  \"nodes_before\": %d,\n  \"nodes_after\": %d,\n  \"convs_before\": %d,\n  \"convs_after\": %d,\n"
          "  \"flops_before\": %" PRId64 ",\n  \"flops_after\": %" PRId64 ",\n  \"params_before\": %" PRId64
          ",\n  \"params_after\": %" PRId64 ",\n  \"regions\": [",
          (int)sum->nodes_before, (int)sum->nodes_after, (int)sum->convs_before, (int)sum->convs_after,
          sum->flops_before, sum->flops_after, sum->params_before, sum->params_after);
  for (int32_t i = 0; i < sum->regions; ++i) {
    repconv_fold_region_t r;
    memset(&r, 0, sizeof r);
    if (repconv_model_fold_region(model, (size_t)i, &r) != REPCONV_OK) continue;
    fputs(i ? ",\n    {\"output\": " : "\n    {\"output\": ", f);
    json_string(f, r.output);
    fprintf(f,
            ", \"nodes_before\": %d, \"nodes_after\": %d, \"kernel\": [%d, %d], \"stride\": [%d, %d], "
            "\"dilation\": [%d, %d], \"groups\": %d, \"exact\": %s, \"note\": ",
            (int)r.nodes_before, (int)r.nodes_after, (int)r.kernel_h, (int)r.kernel_w, (int)r.stride_h, (int)r.stride_w,
            (int)r.dilation_h, (int)r.dilation_w, (int)r.groups, r.exact ? "true" : "false");
    json_string(f, r.note);
    fprintf(f,
            ", \"flops_before\": %" PRId64 ", \"flops_after\": %" PRId64 ", \"params_before\": %" PRId64
            ", \"params_after\": %" PRId64 "}",
            r.flops_before, r.flops_after, r.params_before, r.params_after);
  }
  fputs(sum->regions > 0 ? "\n  ]" : "]", f);
  if (v && v->done) {
    fputs(",\n  \"verify\": {\"max_abs\": ", f);
    json_double(f, v->max_abs_all);
    fputs(", \"max_rel\": ", f);
    json_double(f, v->max_rel_all);
    fprintf(f, ", \"tolerance\": %g, \"ok\": %s, \"seed\": %d, \"outputs\": [", CLI_VERIFY_MAX_REL,
            v->ok ? "true" : "false", CLI_VERIFY_SEED);
    for (size_t j = 0; j < v->num_outputs; ++j) {
      fputs(j ? ", {\"name\": " : "{\"name\": ", f);
      json_string(f, v->names[j]);
      fputs(", \"max_abs\": ", f);
      json_double(f, v->max_abs[j]);
      fputs(", \"max_unfolded\": ", f);
      json_double(f, v->max_ref[j]);
      fputs(", \"max_rel\": ", f);
      json_double(f, v->max_rel[j]);
      fprintf(f, ", \"nan_mismatch\": %" PRId64 "}", v->nan_mismatch[j]);
    }
    fputs("]}", f);
  }
  fputs("\n}\n", f);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  if (bad) return fail(EXIT_ERROR, "writing the JSON report '%s': %s", path, strerror(errno ? errno : EIO));
  return EXIT_OK;
}

/* ---- the table */

typedef struct fold_row {
  char index[16], output[256], nodes[48], kernel[64], status[8], flops[64], params[64], note[400];
} fold_row;

static int print_fold_report(const cli_args* a, const repconv_model_t* model, const repconv_fold_summary_t* sum) {
  size_t n = sum->regions > 0 ? (size_t)sum->regions : 0;
  fold_row* rows = calloc(n + 1, sizeof *rows);
  if (!rows) return fail(EXIT_ERROR, "fold: out of memory for %zu report rows", n);
  /* Row 0 is the header. */
  fold_row* h = &rows[0];
  snprintf(h->index, sizeof h->index, "#");
  snprintf(h->output, sizeof h->output, "output");
  snprintf(h->nodes, sizeof h->nodes, "nodes");
  snprintf(h->kernel, sizeof h->kernel, "kernel");
  snprintf(h->status, sizeof h->status, "fold");
  snprintf(h->flops, sizeof h->flops, "FLOPs");
  snprintf(h->params, sizeof h->params, "params");
  snprintf(h->note, sizeof h->note, "note");
  int cut = 0;
  for (size_t i = 0; i < n; ++i) {
    repconv_fold_region_t r;
    memset(&r, 0, sizeof r);
    repconv_status st = repconv_model_fold_region(model, i, &r);
    if (st != REPCONV_OK) {
      free(rows);
      return fail(EXIT_ERROR, "reading fold region %zu of '%s': %s", i, a->model, lib_error(st));
    }
    fold_row* w = &rows[i + 1];
    char b1[32], b2[32];
    snprintf(w->index, sizeof w->index, "%zu", i);
    copy_printable(w->output, sizeof w->output, r.output);
    snprintf(w->nodes, sizeof w->nodes, "%d " ARROW " %d", (int)r.nodes_before, (int)r.nodes_after);
    kernel_str(&r, w->kernel, sizeof w->kernel);
    snprintf(w->status, sizeof w->status, "%s", r.exact ? "exact" : "cut");
    snprintf(w->flops, sizeof w->flops, "%s " ARROW " %s", compact(r.flops_before, b1, sizeof b1),
             compact(r.flops_after, b2, sizeof b2));
    snprintf(w->params, sizeof w->params, "%s " ARROW " %s", compact(r.params_before, b1, sizeof b1),
             compact(r.params_after, b2, sizeof b2));
    copy_printable(w->note, sizeof w->note, r.note);
    if (!r.exact) ++cut;
  }
  size_t wi = 0, wo = 0, wn = 0, wk = 0, ws = 0, wf = 0, wp = 0;
  for (size_t i = 0; i <= n; ++i) {
    const fold_row* w = &rows[i];
    size_t x;
    if ((x = display_width(w->index)) > wi) wi = x;
    if ((x = display_width(w->output)) > wo) wo = x < 48 ? x : 48;
    if ((x = display_width(w->nodes)) > wn) wn = x;
    if ((x = display_width(w->kernel)) > wk) wk = x;
    if ((x = display_width(w->status)) > ws) ws = x;
    if ((x = display_width(w->flops)) > wf) wf = x;
    if ((x = display_width(w->params)) > wp) wp = x;
  }
  printf("fold report: %s%s, max kernel %d: %zu region%s, %zu exact, %d cut\n", a->model,
         is_builtin(a->model) ? " (built-in)" : "", a->max_kernel > 0 ? a->max_kernel : CLI_DEFAULT_MAX_KERNEL, n,
         n == 1 ? "" : "s", n - (size_t)cut, cut);
  for (size_t i = 0; i <= n; ++i) {
    const fold_row* w = &rows[i];
    printf("  ");
    print_cell(w->index, wi, 1);
    printf("  ");
    print_cell(w->output, wo, 0);
    printf("  ");
    print_cell(w->nodes, wn, 1);
    printf("  ");
    print_cell(w->kernel, wk, 0);
    printf("  ");
    print_cell(w->status, ws, 0);
    printf("  ");
    print_cell(w->flops, wf, 1);
    printf("  ");
    print_cell(w->params, wp, 1);
    if (w->note[0] && (i > 0 || cut > 0)) printf("  %s", w->note);
    printf("\n");
  }
  free(rows);

  char b1[32], b2[32], c1[32], c2[32];
  double flops_pct =
      sum->flops_before ? 100.0 * (double)(sum->flops_after - sum->flops_before) / (double)sum->flops_before : 0.0;
  double params_pct =
      sum->params_before ? 100.0 * (double)(sum->params_after - sum->params_before) / (double)sum->params_before : 0.0;
  printf("totals:\n");
  printf("  nodes   %d " ARROW " %d\n", (int)sum->nodes_before, (int)sum->nodes_after);
  printf("  convs   %d " ARROW " %d\n", (int)sum->convs_before, (int)sum->convs_after);
  printf("  FLOPs   %s " ARROW " %s  (%+.1f%%; %s " ARROW " %s)\n", compact(sum->flops_before, c1, sizeof c1),
         compact(sum->flops_after, c2, sizeof c2), flops_pct, group_digits(sum->flops_before, b1, sizeof b1),
         group_digits(sum->flops_after, b2, sizeof b2));
  printf("  params  %s " ARROW " %s  (%+.1f%%; %s " ARROW " %s)\n", compact(sum->params_before, c1, sizeof c1),
         compact(sum->params_after, c2, sizeof c2), params_pct, group_digits(sum->params_before, b1, sizeof b1),
         group_digits(sum->params_after, b2, sizeof b2));
  return EXIT_OK;
}

/* ---- --verify */

/* Runs `model` on `inputs`, writing every output into outs (allocated here). */
static int run_all_outputs(const cli_args* a, const repconv_model_t* model, const repconv_options_t* opts,
                           const char* which, const repconv_tensor_t* inputs, size_t num_in, repconv_tensor_t* outs,
                           int64_t* numel, size_t num_out, double* ms) {
  for (size_t j = 0; j < num_out; ++j) {
    repconv_tensor_info_t info;
    memset(&info, 0, sizeof info);
    repconv_status st = repconv_model_output(model, j, &info);
    if (st != REPCONV_OK) return fail(EXIT_ERROR, "reading output %zu of '%s': %s", j, a->model, lib_error(st));
    int64_t n = numel_checked(info.ndim, info.dims);
    if (n < 0) {
      char s[96];
      return fail(EXIT_ERROR, "output '%s' has an invalid shape %s", info.name ? info.name : "?",
                  shape_str(info.ndim, info.dims, s, sizeof s));
    }
    outs[j].name = info.name;
    outs[j].ndim = info.ndim;
    memcpy(outs[j].dims, info.dims, sizeof outs[j].dims);
    outs[j].data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
    numel[j] = n;
    if (!outs[j].data) return fail(EXIT_ERROR, "fold: out of memory for output '%s'", info.name ? info.name : "?");
  }
  repconv_session_t* session = NULL;
  repconv_status st = repconv_session_create(model, opts, &session);
  if (st != REPCONV_OK) return fail(EXIT_ERROR, "creating a session for '%s' (%s): %s", a->model, which, lib_error(st));
  double t0 = now_ms();
  st = repconv_session_run(session, inputs, num_in, outs, num_out);
  *ms = now_ms() - t0;
  int rc = EXIT_OK;
  if (st != REPCONV_OK) rc = fail(EXIT_ERROR, "running '%s' (%s): %s", a->model, which, session_error(session, st));
  repconv_session_destroy(session);
  return rc;
}

/* Loads the model again with folding off, runs both on the same random
 * inputs and compares every output. */
static int verify_fold(const cli_args* a, const repconv_model_t* folded, const repconv_options_t* folded_opts,
                       verify_result* v) {
  repconv_options_t* opts = NULL;
  repconv_model_t* unfolded = NULL;
  int rc = load_model(a, 0, a->threads, a->backend, &opts, &unfolded);
  if (rc != EXIT_OK) return rc;

  size_t num_in = repconv_model_num_inputs(folded);
  size_t num_out = repconv_model_num_outputs(folded);
  repconv_tensor_t* inputs = calloc(num_in ? num_in : 1, sizeof *inputs);
  repconv_tensor_t* out_f = calloc(num_out ? num_out : 1, sizeof *out_f);
  repconv_tensor_t* out_u = calloc(num_out ? num_out : 1, sizeof *out_u);
  int64_t* numel_f = calloc(num_out ? num_out : 1, sizeof *numel_f);
  int64_t* numel_u = calloc(num_out ? num_out : 1, sizeof *numel_u);
  v->num_outputs = num_out;
  v->names = calloc(num_out ? num_out : 1, sizeof *v->names);
  v->max_abs = calloc(num_out ? num_out : 1, sizeof *v->max_abs);
  v->max_ref = calloc(num_out ? num_out : 1, sizeof *v->max_ref);
  v->max_rel = calloc(num_out ? num_out : 1, sizeof *v->max_rel);
  v->nan_mismatch = calloc(num_out ? num_out : 1, sizeof *v->nan_mismatch);
  if (!inputs || !out_f || !out_u || !numel_f || !numel_u || !v->names || !v->max_abs || !v->max_ref || !v->max_rel ||
      !v->nan_mismatch) {
    rc = fail(EXIT_ERROR, "fold: out of memory");
    goto done;
  }
  if (repconv_model_num_inputs(unfolded) != num_in || repconv_model_num_outputs(unfolded) != num_out) {
    rc = fail(EXIT_ERROR, "fold --verify: '%s' has %zu inputs and %zu outputs folded but %zu and %zu unfolded",
              a->model, num_in, num_out, repconv_model_num_inputs(unfolded), repconv_model_num_outputs(unfolded));
    goto done;
  }
  for (size_t i = 0; i < num_in; ++i) {
    repconv_tensor_info_t info, info_u;
    memset(&info, 0, sizeof info);
    memset(&info_u, 0, sizeof info_u);
    repconv_status st = repconv_model_input(folded, i, &info);
    if (st == REPCONV_OK) st = repconv_model_input(unfolded, i, &info_u);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a->model, lib_error(st));
      goto done;
    }
    if (!shapes_equal(info.ndim, info.dims, info_u.ndim, info_u.dims)) {
      rc = fail(EXIT_ERROR, "fold --verify: input '%s' of '%s' differs in shape folded and unfolded",
                info.name ? info.name : "?", a->model);
      goto done;
    }
    rc = make_random_input("fold", &info, i, &inputs[i]);
    if (rc != EXIT_OK) goto done;
  }

  rc = run_all_outputs(a, unfolded, opts, "unfolded", inputs, num_in, out_u, numel_u, num_out, &v->ms_unfolded);
  if (rc != EXIT_OK) goto done;
  rc = run_all_outputs(a, folded, folded_opts, "folded", inputs, num_in, out_f, numel_f, num_out, &v->ms_folded);
  if (rc != EXIT_OK) goto done;

  v->ok = 1;
  for (size_t j = 0; j < num_out; ++j) {
    v->names[j] = out_f[j].name;
    if (!shapes_equal(out_f[j].ndim, out_f[j].dims, out_u[j].ndim, out_u[j].dims)) {
      char s1[96], s2[96];
      rc = fail(EXIT_ERROR, "fold --verify: output '%s' of '%s' is %s folded but %s unfolded",
                out_f[j].name ? out_f[j].name : "?", a->model, shape_str(out_f[j].ndim, out_f[j].dims, s1, sizeof s1),
                shape_str(out_u[j].ndim, out_u[j].dims, s2, sizeof s2));
      goto done;
    }
    double max_abs = 0, max_ref = 0;
    int64_t nan_mismatch = 0;
    for (int64_t k = 0; k < numel_f[j]; ++k) {
      double f = out_f[j].data[k], u = out_u[j].data[k];
      int fn = f != f, un = u != u;
      if (fn || un) {
        if (fn != un) ++nan_mismatch;
        continue;
      }
      double d = f > u ? f - u : u - f;
      if (d > max_abs) max_abs = d;
      double m = u < 0 ? -u : u;
      if (m > max_ref) max_ref = m;
    }
    /* Relative to the output's scale; FLT_MIN keeps an all-zero output finite. */
    double rel = max_abs / (max_ref > FLT_MIN ? max_ref : FLT_MIN);
    if (nan_mismatch) rel = HUGE_VAL;
    v->max_abs[j] = max_abs;
    v->max_ref[j] = max_ref;
    v->max_rel[j] = rel;
    v->nan_mismatch[j] = nan_mismatch;
    if (max_abs > v->max_abs_all) v->max_abs_all = max_abs;
    if (j == 0 || rel > v->max_rel_all) {
      v->max_rel_all = rel;
      v->worst = j;
    }
    if (!(rel <= CLI_VERIFY_MAX_REL)) v->ok = 0;
  }
  v->done = 1;

  printf(
      "verify: folded vs unfolded on the same uniform [-1, 1) input%s (gen-input --seed %d), backend %s, "
      "%d thread%s\n",
      num_in == 1 ? "" : "s", CLI_VERIFY_SEED, a->backend_name, a->threads, a->threads == 1 ? "" : "s");
  size_t wname = 6;
  for (size_t j = 0; j < num_out; ++j) {
    size_t w = display_width(v->names[j] ? v->names[j] : "?");
    if (w > wname) wname = w < 48 ? w : 48;
  }
  printf("  ");
  print_cell("output", wname, 0);
  printf("  %-16s %12s %14s %12s\n", "shape", "max |diff|", "max |unfolded|", "max rel");
  for (size_t j = 0; j < num_out; ++j) {
    char name[256], shape[96];
    copy_printable(name, sizeof name, v->names[j] ? v->names[j] : "?");
    printf("  ");
    print_cell(name, wname, 0);
    printf("  %-16s %12.3e %14.6g %12.3e", shape_str(out_f[j].ndim, out_f[j].dims, shape, sizeof shape), v->max_abs[j],
           v->max_ref[j], v->max_rel[j]);
    if (v->nan_mismatch[j]) printf("  (%" PRId64 " NaN in one only)", v->nan_mismatch[j]);
    printf("\n");
  }
  printf("  time: unfolded %.1f ms, folded %.1f ms\n", v->ms_unfolded, v->ms_folded);
  printf("verify: max abs %.3e, max rel %.3e %s %.0e: %s\n", v->max_abs_all, v->max_rel_all, v->ok ? "<=" : ">",
         CLI_VERIFY_MAX_REL, v->ok ? "ok (float rounding)" : "FAILED");
  rc = EXIT_OK;

done:
  if (inputs) {
    for (size_t i = 0; i < num_in; ++i) free(inputs[i].data);
  }
  if (out_f) {
    for (size_t j = 0; j < num_out; ++j) free(out_f[j].data);
  }
  if (out_u) {
    for (size_t j = 0; j < num_out; ++j) free(out_u[j].data);
  }
  free(inputs);
  free(out_f);
  free(out_u);
  free(numel_f);
  free(numel_u);
  repconv_model_destroy(unfolded);
  repconv_options_destroy(opts);
  return rc;
}

static int cmd_fold(int argc, char** argv) {
  cli_args a;
  memset(&a, 0, sizeof a);
  a.command_name = "fold";
  a.fold = 1;
  a.threads = 1;
  a.backend = REPCONV_BACKEND_AUTO;
  a.backend_name = "auto";
  int rc = parse_args(argc, argv, 2,
                      OPT_OUTPUT | OPT_VERIFY | OPT_JSON | OPT_MAX_KERNEL | OPT_SHAPE | OPT_THREADS | OPT_BACKEND, &a);
  if (rc != EXIT_OK) return rc;
  if (a.help) {
    print_usage(stdout);
    return EXIT_OK;
  }
  if (a.num_outputs == 0) return usage_error("fold", "missing -o OUT.rcm");
  if (a.num_outputs > 1) return usage_error("fold", "-o given more than once");

  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  verify_result v;
  memset(&v, 0, sizeof v);
  rc = load_model(&a, 1, a.threads, a.backend, &opts, &model);
  if (rc != EXIT_OK) return rc;

  repconv_fold_summary_t sum;
  repconv_status st = repconv_model_fold_summary(model, &sum);
  if (st != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "reading the fold summary of '%s': %s", a.model, lib_error(st));
    goto done;
  }
  if (!sum.folded) {
    rc = fail(EXIT_ERROR, "fold: '%s' was loaded but not folded", a.model);
    goto done;
  }
  rc = print_fold_report(&a, model, &sum);
  if (rc != EXIT_OK) goto done;

  if (a.verify) {
    fflush(stdout);
    rc = verify_fold(&a, model, opts, &v);
    if (rc != EXIT_OK) goto done;
  }
  if (a.json) {
    rc = write_fold_json(a.json, &a, model, &sum, &v);
    if (rc != EXIT_OK) goto done;
  }
  if (a.verify && !v.ok) {
    const char* worst = v.names && v.names[v.worst] ? v.names[v.worst] : "?";
    rc = fail(EXIT_ERROR,
              "fold --verify: max relative difference %.3g on output '%s' exceeds %.0e: a fold that changes the "
              "output beyond float rounding is a bug; %s not written",
              v.max_rel_all, worst, CLI_VERIFY_MAX_REL, a.outputs[0]);
    goto done;
  }
  st = repconv_model_save(model, a.outputs[0]);
  if (st != REPCONV_OK) {
    rc = fail_lib(EXIT_ERROR, "saving the folded model", a.outputs[0], lib_error(st));
    goto done;
  }
  printf("wrote %s (%zu nodes)%s%s\n", a.outputs[0], repconv_model_num_nodes(model), a.json ? ", report " : "",
         a.json ? a.json : "");
  rc = EXIT_OK;

done:
  verify_result_free(&v);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

/* ------------------------------------------------------------ bench */

/* The three forms, in the order they run in every round. */
typedef struct bench_form {
  const char* name;
  repconv_fold_level level;
  repconv_options_t* opts;
  repconv_model_t* model;
  repconv_session_t* session;
  repconv_tensor_t* outs; /* one buffer per model output */
  int64_t flops;          /* the work this form does per run */
  double* ms;             /* one time per timed round */
  double median, min, max;
  char kernels[160];      /* "xnnpack 47" or "xnnpack 45, ref 2": plan entries per backend */
  char kernels_json[256]; /* {"xnnpack": 45, "ref": 2} */
} bench_form;

#define BENCH_FORMS 3

/* Waits CLI_BENCH_SETTLE_MS so that idle thread-pool workers go to sleep. */
static void settle(void) {
  struct timespec ts = {0, CLI_BENCH_SETTLE_MS * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int compare_double(const void* pa, const void* pb) {
  double a = *(const double*)pa, b = *(const double*)pb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/* Sum of the nodes' FLOPs: the work one run of the model does. */
static int64_t model_flops(const repconv_model_t* model) {
  int64_t total = 0;
  size_t n = repconv_model_num_nodes(model);
  for (size_t i = 0; i < n; ++i) {
    repconv_node_info_t info;
    memset(&info, 0, sizeof info);
    if (repconv_model_node(model, i, &info) == REPCONV_OK && info.flops > 0) total += info.flops;
  }
  return total;
}

/* What the session's plan runs: plan entries per backend ("fused" entries,
 * computed by the entry before them, are not counted). */
static void describe_kernels(const repconv_session_t* session, char* text, size_t text_size, char* json,
                             size_t json_size) {
  const char* names[8];
  size_t counts[8], distinct = 0, other = 0;
  size_t n = repconv_session_num_plan_entries(session);
  for (size_t i = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    memset(&e, 0, sizeof e);
    if (repconv_session_plan(session, i, &e) != REPCONV_OK || !e.backend || strcmp(e.backend, "fused") == 0) continue;
    size_t k = 0;
    while (k < distinct && strcmp(names[k], e.backend) != 0) ++k;
    if (k == distinct) {
      if (distinct == sizeof names / sizeof names[0]) {
        ++other;
        continue;
      }
      names[distinct] = e.backend;
      counts[distinct++] = 0;
    }
    counts[k]++;
  }
  size_t tu = 0, ju = 0;
  text[0] = '\0';
  ju = (size_t)snprintf(json, json_size, "{");
  for (size_t k = 0; k < distinct; ++k) {
    char name[32];
    copy_printable(name, sizeof name, names[k]);
    if (tu < text_size) tu += (size_t)snprintf(text + tu, text_size - tu, "%s%s %zu", k ? ", " : "", name, counts[k]);
    if (ju < json_size)
      ju += (size_t)snprintf(json + ju, json_size - ju, "%s\"%s\": %zu", k ? ", " : "", name, counts[k]);
  }
  if (other && tu < text_size) snprintf(text + tu, text_size - tu, "%sother %zu", distinct ? ", " : "", other);
  if (!distinct && !other) snprintf(text, text_size, "-");
  if (ju < json_size) snprintf(json + ju, json_size - ju, "}");
}

/* The progress line on stderr: only on a terminal, so that scripts get an
 * empty stderr. */
static void bench_progress(int on, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void bench_progress(int on, const char* fmt, ...) {
  static double last_ms = -1e9;
  if (!on) return;
  double t = now_ms();
  if (t - last_ms < 100.0) return; /* at most 10 updates a second */
  last_ms = t;
  g_progress_shown = 1;
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\r%-78.78s", buf);
  fflush(stderr);
}

static void bench_progress_clear(int on) {
  if (!on || !g_progress_shown) return;
  fprintf(stderr, "\r%78s\r", "");
  fflush(stderr);
  g_progress_shown = 0;
}

/* Max |a - b| / max |b| over every output (b: the unfolded form); HUGE_VAL
 * when NaNs differ. */
static double outputs_rel_diff(const bench_form* x, const bench_form* ref, size_t num_out, const int64_t* numel) {
  double worst = 0;
  for (size_t j = 0; j < num_out; ++j) {
    double max_abs = 0, max_ref = 0;
    for (int64_t k = 0; k < numel[j]; ++k) {
      double a = x->outs[j].data[k], b = ref->outs[j].data[k];
      if (a != a || b != b) {
        if ((a != a) != (b != b)) return HUGE_VAL;
        continue;
      }
      double d = a > b ? a - b : b - a;
      if (d > max_abs) max_abs = d;
      if ((b < 0 ? -b : b) > max_ref) max_ref = b < 0 ? -b : b;
    }
    double rel = max_abs / (max_ref > FLT_MIN ? max_ref : FLT_MIN);
    if (rel > worst) worst = rel;
  }
  return worst;
}

static int write_bench_json(const char* path, const cli_args* a, const repconv_tensor_info_t* in0, int have_input,
                            const bench_form* forms, int runs, int64_t flops, double peak, const char* peak_isa,
                            double peak_1t, double speedup) {
  FILE* f = fopen(path, "wb");
  if (!f) return fail(EXIT_ERROR, "writing the JSON results '%s': %s", path, strerror(errno));
  fputs("{\n  \"model\": ", f);
  json_string(f, a->model);
  fprintf(f, ",\n  \"threads\": %d,\n  \"backend\": ", a->threads);
  json_string(f, a->backend_name);
  fputs(",\n  \"shape\": [", f);
  if (have_input) {
    for (int32_t d = 0; d < in0->ndim; ++d) fprintf(f, "%s%" PRId64, d ? ", " : "", in0->dims[d]);
  }
  fprintf(f, "],\n  \"runs\": %d,\n  \"flops\": %" PRId64 ",\n  \"results\": [", runs, flops);
  for (int k = 0; k < BENCH_FORMS; ++k) {
    const bench_form* b = &forms[k];
    fputs(k ? ",\n    {\"form\": " : "\n    {\"form\": ", f);
    json_string(f, b->name);
    fputs(", \"backend\": ", f);
    json_string(f, a->backend_name);
    fprintf(f, ", \"kernels\": %s, \"threads\": %d, \"median_ms\": ", b->kernels_json, a->threads);
    json_double(f, b->median);
    fputs(", \"min_ms\": ", f);
    json_double(f, b->min);
    fputs(", \"max_ms\": ", f);
    json_double(f, b->max);
    fputs(", \"gflops\": ", f);
    json_double(f, b->median > 0 ? (double)flops / (b->median * 1e6) : HUGE_VAL);
    fputs(", \"peak_fraction\": ", f);
    json_double(f, b->median > 0 && peak > 0 ? (double)flops / (b->median * 1e6) / peak : HUGE_VAL);
    fprintf(f, ", \"flops\": %" PRId64 ", \"runs\": %d}", b->flops, runs);
  }
  fputs("\n  ],\n  \"speedup\": ", f);
  json_double(f, speedup);
  fputs(",\n  \"peak_gflops\": ", f);
  json_double(f, peak > 0 ? peak : HUGE_VAL);
  fputs(",\n  \"peak_gflops_1thread\": ", f);
  json_double(f, peak_1t > 0 ? peak_1t : HUGE_VAL);
  fputs(",\n  \"peak_isa\": ", f);
  json_string(f, peak_isa);
  fputs("\n}\n", f);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  if (bad) return fail(EXIT_ERROR, "writing the JSON results '%s': %s", path, strerror(errno ? errno : EIO));
  return EXIT_OK;
}

/* bench --profile: the folded form's time per plan entry, median over its
 * own rounds (after the timed ones, so the clock reads do not touch them). */
static int profile_steps(const cli_args* a, bench_form* f, const repconv_tensor_t* inputs, size_t num_in,
                         size_t num_out, int runs, double peak) {
  size_t n = repconv_session_num_plan_entries(f->session);
  double* t = calloc(n * (size_t)runs + 1, sizeof *t);
  int rc = EXIT_OK;
  if (!t || repconv_session_set_profiling(f->session, 1) != REPCONV_OK) {
    rc = fail(EXIT_ERROR, "bench --profile: out of memory");
    goto out;
  }
  for (int r = 0; r < runs; ++r) {
    if (a->threads > 1) settle();
    repconv_status st = repconv_session_run(f->session, inputs, num_in, f->outs, num_out);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "running '%s' (folded, profiling): %s", a->model, session_error(f->session, st));
      goto out;
    }
    for (size_t i = 0; i < n; ++i) repconv_session_step_time(f->session, i, &t[i * (size_t)runs + (size_t)r]);
  }
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    qsort(&t[i * (size_t)runs], (size_t)runs, sizeof *t, compare_double);
    double* m = &t[i * (size_t)runs];
    m[0] = runs % 2 ? m[runs / 2] : 0.5 * (m[runs / 2 - 1] + m[runs / 2]); /* the row's median, in its first slot */
    total += m[0];
  }
  printf("\nprofile of the folded form: median per plan entry over %d round%s (sum %.3f ms)\n", runs,
         runs == 1 ? "" : "s", total);
  printf("  %4s  %-28s  %-15s  %-48s  %9s  %6s  %8s  %6s\n", "#", "node", "op", "kernel", "median ms", "share",
         "GFLOP/s", "% peak");
  /* FLOPs per entry; a fused entry's (an activation, a chain member) count
   * with the entry that computes it, the last one before it that is not fused. */
  size_t nodes = repconv_model_num_nodes(f->model);
  int64_t* flops = calloc(n + 1, sizeof *flops);
  if (!flops) {
    rc = fail(EXIT_ERROR, "bench --profile: out of memory");
    goto out;
  }
  for (size_t i = 0, owner = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    memset(&e, 0, sizeof e);
    if (repconv_session_plan(f->session, i, &e) != REPCONV_OK) continue;
    const int fused = e.backend && strcmp(e.backend, "fused") == 0;
    if (!fused) owner = i;
    for (size_t j = 0; j < nodes; ++j) {
      repconv_node_info_t ni;
      memset(&ni, 0, sizeof ni);
      if (repconv_model_node(f->model, j, &ni) == REPCONV_OK && ni.name && e.node && strcmp(ni.name, e.node) == 0) {
        flops[owner] += ni.flops;
        break;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    memset(&e, 0, sizeof e);
    if (repconv_session_plan(f->session, i, &e) != REPCONV_OK) continue;
    double ms = t[i * (size_t)runs];
    double gf = ms > 0 ? (double)flops[i] / (ms * 1e6) : 0;
    char node[29], kernel[49];
    copy_printable(node, sizeof node, e.node ? e.node : "?");
    copy_printable(kernel, sizeof kernel, e.kernel ? e.kernel : "?");
    if (e.backend && strcmp(e.backend, "fused") == 0) { /* its time is its producer's */
      printf("  %4zu  %-28s  %-15s  %-48s  %9s  %6s  %8s  %6s\n", i, node, e.op ? e.op : "?", kernel, "-", "-", "-",
             "-");
      continue;
    }
    printf("  %4zu  %-28s  %-15s  %-48s  %9.3f  %5.1f%%  %8.1f  %6.1f\n", i, node, e.op ? e.op : "?", kernel, ms,
           total > 0 ? 100.0 * ms / total : 0.0, gf, peak > 0 ? 100.0 * gf / peak : 0.0);
  }
  free(flops);
out:
  if (f->session) repconv_session_set_profiling(f->session, 0);
  free(t);
  return rc;
}

static int cmd_bench(int argc, char** argv) {
  cli_args a;
  memset(&a, 0, sizeof a);
  a.command_name = "bench";
  a.threads = 1;
  a.backend = REPCONV_BACKEND_AUTO;
  a.backend_name = "auto";
  int rc = parse_args(argc, argv, 2,
                      OPT_SHAPE | OPT_THREADS | OPT_RUNS | OPT_BACKEND | OPT_JSON | OPT_MAX_KERNEL | OPT_PROFILE, &a);
  if (rc != EXIT_OK) return rc;
  if (a.help) {
    print_usage(stdout);
    return EXIT_OK;
  }
  const int tty = isatty(STDERR_FILENO);

  bench_form forms[BENCH_FORMS] = {
      {.name = "unfolded", .level = REPCONV_FOLD_OFF},
      {.name = "bn-fused", .level = REPCONV_FOLD_BN},
      {.name = "folded", .level = REPCONV_FOLD_FULL},
  };
  bench_form* const unfolded = &forms[0];
  bench_form* const folded = &forms[BENCH_FORMS - 1];
  size_t num_in = 0, num_out = 0;
  repconv_tensor_t* inputs = NULL;
  int64_t* out_numel = NULL;
  repconv_tensor_info_t in0;
  memset(&in0, 0, sizeof in0);
  int runs = a.runs;
  int warmup_rounds = 0;

  rc_peak_isa isa = rc_peak_best_isa();
  double peak = 0, peak_1t = 0, peak_fma3 = 0;

  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_progress(tty, "bench %s: loading %s", a.model, forms[k].name);
    rc = load_model_level(&a, 1, (int)forms[k].level, a.threads, a.backend, &forms[k].opts, &forms[k].model);
    if (rc != EXIT_OK) goto done;
    forms[k].flops = model_flops(forms[k].model);
  }
  num_in = repconv_model_num_inputs(folded->model);
  num_out = repconv_model_num_outputs(folded->model);
  for (int k = 0; k < BENCH_FORMS; ++k) {
    if (repconv_model_num_inputs(forms[k].model) != num_in || repconv_model_num_outputs(forms[k].model) != num_out) {
      rc = fail(EXIT_ERROR, "bench: '%s' has a different number of inputs or outputs %s than folded", a.model,
                forms[k].name);
      goto done;
    }
  }
  if (num_out == 0) {
    rc = fail(EXIT_ERROR, "model '%s' has no outputs", a.model);
    goto done;
  }

  /* The same uniform [-1, 1) input for every form (input k: gen-input --seed k+1). */
  inputs = calloc(num_in ? num_in : 1, sizeof *inputs);
  out_numel = calloc(num_out, sizeof *out_numel);
  if (!inputs || !out_numel) {
    rc = fail(EXIT_ERROR, "bench: out of memory");
    goto done;
  }
  for (size_t i = 0; i < num_in; ++i) {
    repconv_tensor_info_t info;
    memset(&info, 0, sizeof info);
    repconv_status st = repconv_model_input(folded->model, i, &info);
    for (int k = 0; k < BENCH_FORMS - 1 && st == REPCONV_OK; ++k) {
      repconv_tensor_info_t other;
      memset(&other, 0, sizeof other);
      st = repconv_model_input(forms[k].model, i, &other);
      if (st == REPCONV_OK && !shapes_equal(info.ndim, info.dims, other.ndim, other.dims)) {
        rc = fail(EXIT_ERROR, "bench: input '%s' of '%s' differs in shape %s and folded", info.name ? info.name : "?",
                  a.model, forms[k].name);
        goto done;
      }
    }
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading input %zu of '%s': %s", i, a.model, lib_error(st));
      goto done;
    }
    if (i == 0) in0 = info;
    rc = make_random_input("bench", &info, i, &inputs[i]);
    if (rc != EXIT_OK) goto done;
  }
  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_form* b = &forms[k];
    b->outs = calloc(num_out, sizeof *b->outs);
    if (!b->outs) {
      rc = fail(EXIT_ERROR, "bench: out of memory");
      goto done;
    }
    for (size_t j = 0; j < num_out; ++j) {
      repconv_tensor_info_t info;
      memset(&info, 0, sizeof info);
      repconv_status st = repconv_model_output(b->model, j, &info);
      if (st != REPCONV_OK) {
        rc = fail(EXIT_ERROR, "reading output %zu of '%s': %s", j, a.model, lib_error(st));
        goto done;
      }
      int64_t n = numel_checked(info.ndim, info.dims);
      if (n < 0 || (k > 0 && n != out_numel[j])) {
        char s[96];
        rc = fail(EXIT_ERROR, "bench: output '%s' of '%s' has the shape %s %s", info.name ? info.name : "?", a.model,
                  shape_str(info.ndim, info.dims, s, sizeof s), n < 0 ? "(invalid)" : "(not the same in every form)");
        goto done;
      }
      out_numel[j] = n;
      b->outs[j].name = info.name;
      b->outs[j].ndim = info.ndim;
      memcpy(b->outs[j].dims, info.dims, sizeof b->outs[j].dims);
      b->outs[j].data = malloc(n ? (size_t)n * sizeof(float) : sizeof(float));
      if (!b->outs[j].data) {
        rc = fail(EXIT_ERROR, "bench: out of memory for output '%s' (%" PRId64 " floats)", info.name ? info.name : "?",
                  n);
        goto done;
      }
    }
  }

  /* The yardstick, while no session's thread pool exists. */
  bench_progress(tty, "bench %s: measuring the FMA peak", a.model);
  peak = rc_peak_gflops(isa, a.threads, 5, 40.0);
  peak_1t = a.threads == 1 ? peak : rc_peak_gflops(isa, 1, 5, 40.0);
  if (isa == RC_PEAK_AVX512F) peak_fma3 = rc_peak_gflops(RC_PEAK_FMA3, a.threads, 5, 40.0);

  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_form* b = &forms[k];
    bench_progress(tty, "bench %s: planning %s", a.model, b->name);
    repconv_status st = repconv_session_create(b->model, b->opts, &b->session);
    if (st != REPCONV_OK) {
      b->session = NULL;
      rc = fail(EXIT_ERROR, "creating a session for '%s' (%s): %s", a.model, b->name, lib_error(st));
      goto done;
    }
    describe_kernels(b->session, b->kernels, sizeof b->kernels, b->kernels_json, sizeof b->kernels_json);
  }

  /* Warm-up: at least one round; more while it has taken less than
   * CLI_BENCH_WARMUP_MS. The last round's time sizes the default --runs. */
  double warm_start = now_ms(), round_ms = 0;
  do {
    bench_progress(tty, "bench %s: warm-up round %d", a.model, warmup_rounds + 1);
    double r0 = now_ms();
    for (int k = 0; k < BENCH_FORMS; ++k) {
      repconv_status st = repconv_session_run(forms[k].session, inputs, num_in, forms[k].outs, num_out);
      if (st != REPCONV_OK) {
        rc = fail(EXIT_ERROR, "running '%s' (%s): %s", a.model, forms[k].name, session_error(forms[k].session, st));
        goto done;
      }
    }
    round_ms = now_ms() - r0;
    ++warmup_rounds;
  } while (now_ms() - warm_start < CLI_BENCH_WARMUP_MS && warmup_rounds < CLI_BENCH_MAX_WARMUP);

  if (runs <= 0) {
    runs = CLI_BENCH_RUNS;
    if (round_ms > 0 && round_ms * runs > CLI_BENCH_BUDGET_MS) {
      runs = (int)(CLI_BENCH_BUDGET_MS / round_ms);
      if (runs < CLI_BENCH_MIN_RUNS) runs = CLI_BENCH_MIN_RUNS;
    }
  }
  for (int k = 0; k < BENCH_FORMS; ++k) {
    forms[k].ms = calloc((size_t)runs, sizeof *forms[k].ms);
    if (!forms[k].ms) {
      rc = fail(EXIT_ERROR, "bench: out of memory for %d runs", runs);
      goto done;
    }
  }

  /* Interleaved: unfolded, bn-fused, folded, unfolded, ... so that a slow
   * phase of a shared machine hits every form alike. */
  for (int r = 0; r < runs; ++r) {
    bench_progress(tty, "bench %s: round %d/%d", a.model, r + 1, runs);
    for (int k = 0; k < BENCH_FORMS; ++k) {
      if (a.threads > 1) settle();
      double t0 = now_ms();
      repconv_status st = repconv_session_run(forms[k].session, inputs, num_in, forms[k].outs, num_out);
      double t1 = now_ms();
      if (st != REPCONV_OK) {
        rc = fail(EXIT_ERROR, "running '%s' (%s): %s", a.model, forms[k].name, session_error(forms[k].session, st));
        goto done;
      }
      forms[k].ms[r] = t1 - t0;
    }
  }
  bench_progress_clear(tty);

  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_form* b = &forms[k];
    qsort(b->ms, (size_t)runs, sizeof *b->ms, compare_double);
    b->min = b->ms[0];
    b->max = b->ms[runs - 1];
    b->median = runs % 2 ? b->ms[runs / 2] : 0.5 * (b->ms[runs / 2 - 1] + b->ms[runs / 2]);
  }
  const int64_t flops = folded->flops;
  const double speedup = folded->median > 0 ? unfolded->median / folded->median : HUGE_VAL;

  /* The table. */
  char shape[96] = "-", c1[32], c2[32], c3[32];
  if (num_in > 0) shape_str(in0.ndim, in0.dims, shape, sizeof shape);
  printf(
      "bench: %s%s, input %s, %d thread%s, backend %s; %d round%s interleaved (unfolded, bn-fused, folded) "
      "after %d warm-up round%s",
      a.model, is_builtin(a.model) ? " (built-in)" : "", shape, a.threads, a.threads == 1 ? "" : "s", a.backend_name,
      runs, runs == 1 ? "" : "s", warmup_rounds, warmup_rounds == 1 ? "" : "s");
  if (a.threads > 1) printf("; %d ms pause before each timed run (idle pool threads spin)", CLI_BENCH_SETTLE_MS);
  printf("\n");
  printf("FLOPs per run: unfolded %s, bn-fused %s, folded %s; GFLOP/s counts the folded graph's FLOPs for every form\n",
         compact(forms[0].flops, c1, sizeof c1), compact(forms[1].flops, c2, sizeof c2),
         compact(forms[2].flops, c3, sizeof c3));
  printf("FMA peak (measured): %.1f GFLOP/s on %d thread%s (%s", peak, a.threads, a.threads == 1 ? "" : "s",
         rc_peak_isa_name(isa));
  if (a.threads > 1) printf("; 1 thread %.1f", peak_1t);
  if (peak_fma3 > 0) printf("; fma3 ymm %.1f", peak_fma3);
  printf(")\n");

  size_t wk = strlen("kernels");
  for (int k = 0; k < BENCH_FORMS; ++k) {
    size_t w = display_width(forms[k].kernels);
    if (w > wk) wk = w;
  }
  printf("  %-8s  %-7s  ", "form", "backend");
  print_cell("kernels", wk, 0);
  printf("  %7s  %10s  %19s  %8s  %6s  %8s\n", "threads", "median ms", "min-max ms", "GFLOP/s", "% peak", "/ folded");
  for (int k = 0; k < BENCH_FORMS; ++k) {
    const bench_form* b = &forms[k];
    char range[48];
    double gflops = b->median > 0 ? (double)flops / (b->median * 1e6) : 0;
    snprintf(range, sizeof range, "%.3f-%.3f", b->min, b->max);
    printf("  %-8s  %-7s  ", b->name, a.backend_name);
    print_cell(b->kernels, wk, 0);
    printf("  %7d  %10.3f  %19s  %8.1f  %6.1f  %8.2f\n", a.threads, b->median, range, gflops,
           peak > 0 ? 100.0 * gflops / peak : 0.0, folded->median > 0 ? b->median / folded->median : 0.0);
  }
  printf("speedup of folding: %.2fx (unfolded median / folded median); bn-fused / folded: %.2fx\n", speedup,
         folded->median > 0 ? forms[1].median / folded->median : 0.0);
  double d_bn = outputs_rel_diff(&forms[1], unfolded, num_out, out_numel);
  double d_f = outputs_rel_diff(folded, unfolded, num_out, out_numel);
  printf("outputs vs unfolded: bn-fused max rel %.1e, folded max rel %.1e%s\n", d_bn, d_f,
         d_bn <= CLI_VERIFY_MAX_REL && d_f <= CLI_VERIFY_MAX_REL
             ? ""
             : "  (beyond float rounding: check with fold --verify)");

  if (a.profile) {
    rc = profile_steps(&a, folded, inputs, num_in, num_out, runs, peak);
    if (rc != EXIT_OK) goto done;
  }
  if (a.json) {
    rc = write_bench_json(a.json, &a, &in0, num_in > 0, forms, runs, flops, peak, rc_peak_isa_name(isa), peak_1t,
                          speedup);
    if (rc != EXIT_OK) goto done;
  }
  rc = EXIT_OK;

done:
  for (int k = 0; k < BENCH_FORMS; ++k) {
    bench_form* b = &forms[k];
    repconv_session_destroy(b->session);
    if (b->outs) {
      for (size_t j = 0; j < num_out; ++j) free(b->outs[j].data);
    }
    free(b->outs);
    free(b->ms);
    repconv_model_destroy(b->model);
    repconv_options_destroy(b->opts);
  }
  if (inputs) {
    for (size_t i = 0; i < num_in; ++i) free(inputs[i].data);
  }
  free(inputs);
  free(out_numel);
  return rc;
}

static int cmd_list(int argc, char** argv) {
  if (argc > 2) {
    if (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0) {
      print_usage(stdout);
      return EXIT_OK;
    }
    return usage_error("list", "unexpected argument '%.200s'", argv[2]);
  }
  for (size_t i = 0;; ++i) {
    const char* name = repconv_builtin_name(i);
    if (!name) break;
    printf("%s\n", name);
  }
  return EXIT_OK;
}

/* ------------------------------------------------------------ main */

int main(int argc, char** argv) {
  if (argc < 2) return usage_error(NULL, "no command given");
  const char* cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    print_usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("repconv %s\ncpu: %s\n", repconv_version(), repconv_cpu_summary());
    return EXIT_OK;
  }
  int rc;
  if (strcmp(cmd, "info") == 0) {
    rc = cmd_info(argc, argv);
  } else if (strcmp(cmd, "run") == 0) {
    rc = cmd_run(argc, argv);
  } else if (strcmp(cmd, "save") == 0) {
    rc = cmd_save(argc, argv);
  } else if (strcmp(cmd, "gen-input") == 0) {
    rc = cmd_gen_input(argc, argv);
  } else if (strcmp(cmd, "fold") == 0) {
    rc = cmd_fold(argc, argv);
  } else if (strcmp(cmd, "bench") == 0) {
    rc = cmd_bench(argc, argv);
  } else if (strcmp(cmd, "list") == 0) {
    rc = cmd_list(argc, argv);
  } else if (cmd[0] == '-') {
    rc = usage_error(NULL, "unknown option '%.64s' (options follow the command)", cmd);
  } else {
    rc = usage_error(NULL, "unknown command '%.64s'", cmd);
  }
  if (fflush(stdout) != 0 && rc == EXIT_OK) rc = fail(EXIT_ERROR, "writing to stdout failed");
  return rc;
}

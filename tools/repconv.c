/* repconv — the command-line program.
 *
 *   repconv info MODEL                 what a model is: inputs, outputs, ops, params, FLOPs, nodes
 *   repconv run MODEL --input X.npy    run it on .npy tensors, print a summary and the time
 *   repconv save MODEL -o OUT.rcm      write a model (built-in or loaded) as .rcm
 *   repconv gen-input MODEL -o X.npy   a deterministic random input of the model's input shape
 *
 * Models go through the public API only (include/repconv.h); .npy files
 * through runtime/npy.h. Every error ends the program with exactly one line
 * on stderr, "repconv: <what>: <why>", and exit status 2 for usage errors, 1
 * for everything else. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repconv.h"
#include "runtime/npy.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

#define CLI_MAX_IO 64
#define CLI_MAX_THREADS 256

/* ------------------------------------------------------------ messages */

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
  fprintf(stderr, "repconv: %s\n", buf);
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
          "  info MODEL [--fold] [--shape [NAME=]NxCxHxW]\n"
          "      inputs, outputs, node counts by op, parameters, FLOPs and the node list;\n"
          "      shows the graph as stored (train-time), or after folding with --fold\n"
          "  run MODEL --input X.npy [--output Y.npy] [--threads N] [--no-fold] [--backend ref|auto]\n"
          "            [--shape [NAME=]NxCxHxW]\n"
          "      runs the model on X.npy (float32; float64 is converted), writes the first\n"
          "      output to Y.npy and prints min/max/mean per output and the run time;\n"
          "      several inputs/outputs: repeat --input NAME=PATH / --output NAME=PATH\n"
          "  save MODEL -o OUT.rcm [--no-fold] [--shape [NAME=]NxCxHxW]\n"
          "      writes the model (folded unless --no-fold) as a .rcm file\n"
          "  gen-input MODEL -o X.npy [--seed S] [--name INPUT] [--shape [NAME=]NxCxHxW]\n"
          "      writes a deterministic uniform [-1, 1) float32 input of the model's input\n"
          "      shape (the first input unless --name)\n"
          "\n"
          "options:\n"
          "  -i, --input [NAME=]PATH    input tensor (.npy)\n"
          "  -o, --output [NAME=]PATH   output file (.npy for run, .rcm for save)\n"
          "  -t, --threads N            threads of the session, 1 to %d (default 1)\n"
          "      --no-fold              keep the graph as loaded (no linear-region folding)\n"
          "      --fold                 info: show the folded graph\n"
          "                             (this version has no fold pass yet: both are accepted\n"
          "                             and every graph runs as loaded)\n"
          "      --backend ref|auto     kernels: scalar reference or the planner's choice (default auto)\n"
          "      --seed S               gen-input: random seed, an unsigned integer (default 0)\n"
          "      --name INPUT           gen-input: which model input\n"
          "      --shape [NAME=]NxCxHxW static shape of an input (the first unless NAME=): for\n"
          "                             ONNX inputs with dynamic dims (static ONNX dims must\n"
          "                             match), or built-in/.rcm models at another size\n"
          "  -h, --help                 this text\n"
          "      --version              the version\n"
          "\n"
          "MODEL is a .rcm or .onnx file, or the name of a built-in model:",
          repconv_version(), CLI_MAX_THREADS);
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

/* ------------------------------------------------------------ arguments */

typedef enum cli_command { CMD_INFO, CMD_RUN, CMD_SAVE, CMD_GEN_INPUT } cli_command;

enum {
  OPT_INPUT = 1 << 0,
  OPT_OUTPUT = 1 << 1,
  OPT_THREADS = 1 << 2,
  OPT_NO_FOLD = 1 << 3,
  OPT_FOLD = 1 << 4,
  OPT_BACKEND = 1 << 5,
  OPT_SEED = 1 << 6,
  OPT_NAME = 1 << 7,
  OPT_SHAPE = 1 << 8
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
  int fold;     /* -1: the command's default */
  repconv_backend backend;
  const char* backend_name;
  uint64_t seed;
  const char* name;
  int help;
  char shape_names[CLI_MAX_SHAPES][256]; /* "": the first input */
  int32_t shape_ndim[CLI_MAX_SHAPES];
  int64_t shape_dims[CLI_MAX_SHAPES][REPCONV_MAX_DIMS];
  size_t num_shapes;
} cli_args;

typedef struct cli_option {
  const char* long_name;
  char short_name;
  int id;
  int takes_value;
} cli_option;

static const cli_option kOptions[] = {
    {"input", 'i', OPT_INPUT, 1},   {"output", 'o', OPT_OUTPUT, 1}, {"threads", 't', OPT_THREADS, 1},
    {"no-fold", 0, OPT_NO_FOLD, 0}, {"fold", 0, OPT_FOLD, 0},       {"backend", 0, OPT_BACKEND, 1},
    {"seed", 0, OPT_SEED, 1},       {"name", 0, OPT_NAME, 1},       {"shape", 0, OPT_SHAPE, 1},
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
  return usage_error(cmd, "bad --shape value '%s' (expected [NAME=]NxCxHxW, 1 to %d dims from 1 to 16777216)",
                     value, REPCONV_MAX_DIMS);
}

static int apply_option(cli_args* a, int allowed, const cli_option* opt, const char* shown, const char* value) {
  const char* cmd = a->command_name;
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
    case OPT_THREADS:
      return parse_threads(cmd, value, &a->threads);
    case OPT_NO_FOLD:
      a->fold = 0;
      return EXIT_OK;
    case OPT_FOLD:
      a->fold = 1;
      return EXIT_OK;
    case OPT_BACKEND:
      if (repconv_backend_from_name(value, &a->backend) != REPCONV_OK) {
        return usage_error(cmd, "unknown backend '%s' (expected ref or auto)", value);
      }
      a->backend_name = value;
      return EXIT_OK;
    case OPT_SEED:
      return parse_seed(cmd, value, &a->seed);
    case OPT_NAME:
      if (value[0] == '\0') return usage_error(cmd, "empty --name value");
      a->name = value;
      return EXIT_OK;
    case OPT_SHAPE:
      return parse_shape(a, value);
    default:
      return usage_error(cmd, "internal: unhandled option '%s'", shown);
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

static int load_model(const cli_args* a, int fold, int threads, repconv_backend backend, repconv_options_t** opts_out,
                      repconv_model_t** model_out) {
  repconv_options_t* opts = NULL;
  repconv_status st = repconv_options_create(&opts);
  if (st != REPCONV_OK) return fail(EXIT_ERROR, "creating options: %s", lib_error(st));
  st = repconv_options_set_fold(opts, fold);
  if (st == REPCONV_OK) st = repconv_options_set_threads(opts, threads);
  if (st == REPCONV_OK) st = repconv_options_set_backend(opts, backend);
  for (size_t k = 0; k < a->num_shapes && st == REPCONV_OK; k++) {
    st = repconv_options_set_input_shape(opts, a->shape_names[k][0] ? a->shape_names[k] : NULL, a->shape_ndim[k],
                                         a->shape_dims[k]);
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

static int cmd_info(int argc, char** argv) {
  cli_args a;
  memset(&a, 0, sizeof a);
  a.command_name = "info";
  a.fold = 0; /* info shows the graph as stored unless --fold */
  a.threads = 1;
  int rc = parse_args(argc, argv, 2, OPT_FOLD | OPT_NO_FOLD | OPT_SHAPE, &a);
  if (rc != EXIT_OK) return rc;
  if (a.help) {
    print_usage(stdout);
    return EXIT_OK;
  }
  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  rc = load_model(&a, a.fold, 1, REPCONV_BACKEND_AUTO, &opts, &model);
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
         a.fold ? ", fold requested (no fold pass yet)" : "");
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
  rc = EXIT_OK;

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
  int rc = parse_args(argc, argv, 2, OPT_INPUT | OPT_OUTPUT | OPT_THREADS | OPT_NO_FOLD | OPT_BACKEND | OPT_SHAPE, &a);
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
    if (rc_npy_write_file(out_path[j], out_tensors[j].ndim, out_tensors[j].dims, out_tensors[j].data) !=
        REPCONV_OK) {
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
  printf("time %.3f ms  (%d thread%s, backend %s, fold %s)\n", t1 - t0, a.threads, a.threads == 1 ? "" : "s",
         a.backend_name, a.fold ? "requested, no fold pass yet" : "off");
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
  int rc = parse_args(argc, argv, 2, OPT_OUTPUT | OPT_NO_FOLD | OPT_SHAPE, &a);
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
    printf("wrote %s (%zu nodes, fold %s)\n", a.outputs[0], repconv_model_num_nodes(model), a.fold ? "requested, no fold pass yet" : "off");
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
  uint64_t state = a.seed;
  for (int64_t i = 0; i < n; ++i) {
    /* 24 random bits -> k / 2^23 - 1: exact floats, uniform over [-1, 1). */
    uint32_t bits = (uint32_t)(splitmix64(&state) >> 40);
    data[i] = (float)bits * (1.0f / 8388608.0f) - 1.0f;
  }
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
  } else if (cmd[0] == '-') {
    rc = usage_error(NULL, "unknown option '%.64s' (options follow the command)", cmd);
  } else {
    rc = usage_error(NULL, "unknown command '%.64s'", cmd);
  }
  if (fflush(stdout) != 0 && rc == EXIT_OK) rc = fail(EXIT_ERROR, "writing to stdout failed");
  return rc;
}

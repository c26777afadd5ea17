/* The option table and the one argument parser every command uses: the
 * command's table entry says which options it takes, its defaults and what
 * it requires (cli.h). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"

typedef struct cli_option {
  const char* long_name;
  char short_name;
  cli_opts id;       /* OPT_*; 0: a --help line only (-h and --version are parsed elsewhere) */
  const char* value; /* the value's name in --help, NULL: takes no value */
  const char* help;  /* --help text, '\n' starting an indented continuation line; NULL: not listed */
} cli_option;

/* In the order --help lists them. */
static const cli_option kOptions[] = {
    {"input", 'i', OPT_INPUT, "[NAME=]PATH", "input tensor (.npy); upscale: a picture or a folder"},
    {"output", 'o', OPT_OUTPUT, "[NAME=]PATH",
     "output file (.npy for run, .rcm for save and fold; .png\n"
     "or a folder for upscale)"},
    {"threads", 't', OPT_THREADS, "N",
     "threads of the session, 1 to " CLI_XSTR(CLI_MAX_THREADS) " (default 1; upscale:\n"
                                                               "--threads only, -t is --tile there)"},
    {"no-fold", 0, OPT_NO_FOLD, NULL, "keep the graph as loaded (no linear-region folding)"},
    {"fold", 0, OPT_FOLD, NULL, "info: show the folded graph"},
    /* clang-format off */
    {"max-kernel", 0, OPT_MAX_KERNEL, "K",
     "regions whose folded kernel would exceed K x K stay\n"
     "cut; 1 to " CLI_XSTR(CLI_MAX_KERNEL_LIMIT) " (default " CLI_XSTR(CLI_DEFAULT_MAX_KERNEL) ")"},
    /* clang-format on */
    {"verify", 0, OPT_VERIFY, NULL, "fold: check the folded model against the unfolded one"},
    {"json", 0, OPT_JSON, "FILE", "fold: write the fold report as JSON; bench: the timings"},
    {"backend", 0, OPT_BACKEND, "B",
     "kernels: auto (the planner's choice, default: Winograd\n"
     "for stride-1 3x3 convs, repconv's GEMM or XNNPACK for\n"
     "the rest), winograd (Winograd wherever it applies),\n"
     "gemm (repconv's GEMM for every conv and FC), xnnpack\n"
     "(XNNPACK wherever it is exact) or ref (scalar reference)"},
    /* clang-format off */
    {"runs", 0, OPT_RUNS, "N",
     "bench: timed rounds, 1 to " CLI_XSTR(CLI_MAX_RUNS) " (default " CLI_XSTR(CLI_BENCH_RUNS) ", fewer - not\n"
     "below " CLI_XSTR(CLI_BENCH_MIN_RUNS) " - when they would take over " CLI_XSTR(CLI_BENCH_BUDGET_S) " s)"},
    /* clang-format on */
    {"profile", 0, OPT_PROFILE, NULL,
     "bench: per-entry times of the folded form, and its\n"
     "roofline (bytes, FLOP/byte, % of peak and of bandwidth);\n"
     "video: time per frame in each stage"},
    {"progress", 0, OPT_PROGRESS, NULL, "video, upscale: progress on stderr even when it is not a\nterminal"},
    {"quiet", 'q', OPT_QUIET, NULL, "video: no progress and no summary line"},
    {"model-only", 0, OPT_MODEL_ONLY, NULL,
     "video: time the model alone on IN's frames (no OUT):\nthe frames/s the stream is measured against"},
    {"cold", 0, OPT_COLD, NULL,
     "bench: time each run right after the other forms' runs\n"
     "(its weights out of cache), not after a run of its own"},
    {"scaling", 0, OPT_SCALING, NULL,
     "bench --steady --profile on 2 or more threads: also\n"
     "profile a 1-thread session of the model, frames\n"
     "alternating with the profiled ones, and give each\n"
     "entry's time there and its speedup"},
    {"steady", 0, OPT_STEADY, NULL,
     "bench: one form, one session, frames back to back (as\n"
     "frames of a video): frames/s, ms/frame median and p90"},
    /* clang-format off */
    {"frames", 0, OPT_FRAMES, "N", "bench --steady: timed frames, 1 to " CLI_XSTR(CLI_MAX_RUNS)},
    {"seconds", 0, OPT_SECONDS, "S",
     "bench --steady: frames for S seconds, above 0, at most\n"
     CLI_XSTR(CLI_MAX_SECONDS) " (default " CLI_XSTR(CLI_BENCH_STEADY_S) ")"},
    /* clang-format on */
    {"form", 0, OPT_FORM, "F", "bench --steady: unfolded, bn-fused or folded (default)"},
    {"winograd", 0, OPT_WINOGRAD, "V",
     "with --backend auto or winograd: auto (the planner's rule,\n"
     "default), off, or 2, 4, 6 to force F(2,3), F(4,3), F(6,3)\n"
     "(stride 2: F(2,3) for 2, F(4,3) for 4 and 6)"},
    {"autotune", 0, OPT_AUTOTUNE, NULL,
     "with --backend auto: time every conv/FC at load with each\n"
     "kernel that can run it (Winograd variants, GEMM, XNNPACK)\n"
     "and run the fastest (slower loading)"},
    {"chains", 0, OPT_CHAINS, "on|off",
     "with --backend auto or winograd: run consecutive Winograd\n"
     "layers over large images as one chain, band by band,\n"
     "activations kept in cache (on, default), or layer by layer"},
    {"weights", 0, OPT_WEIGHTS, "fp32|fp16",
     "fp16: keep the Winograd and GEMM weights as binary16\n"
     "(half their memory, float32 arithmetic; outputs move by\n"
     "~1e-4 to 1e-3 of their largest value); fp32 (default)"},
    /* clang-format off */
    {"tile", 't', OPT_TILE, "N",
     "upscale (-t there): tile side in input pixels, the halo\n"
     "the model needs added around it; 0 = from --max-memory"},
    {"max-memory", 0, OPT_MAX_MEMORY, "MB",
     "upscale: memory for tiles and output rows (default " CLI_XSTR(CLI_UPSCALE_MEMORY_MB) ")"},
    /* clang-format on */
    {"halo", 0, OPT_HALO, "N",
     "upscale: input pixels around each tile (default: the\n"
     "model's reach, derived from its convs)"},
    {"bicubic", 0, OPT_BICUBIC, NULL, "upscale: the bicubic filter instead of the model"},
    {"reference", 0, OPT_REFERENCE, "HR.png",
     "upscale: print PSNR and SSIM on Y of the output and of\n"
     "bicubic upscaling against this picture"},
    {"seed", 0, OPT_SEED, "S", "gen-input: random seed, an unsigned integer (default 0)"},
    {"name", 0, OPT_NAME, "INPUT", "gen-input: which model input"},
    {"shape", 0, OPT_SHAPE, "[NAME=]NxCxHxW",
     "static shape of an input (the first unless NAME=): for\n"
     "ONNX inputs with dynamic dims (static ONNX dims must\n"
     "match), or built-in/.rcm models at another size"},
    {"shape-from-input", 0, OPT_SHAPE_FROM_INPUT, NULL,
     "run: each input's shape from its .npy file (any size the\n"
     "model's graph infers for; implied for inputs with\n"
     "dynamic dims)"},
    {"limit", 0, OPT_LIMIT, "NAME=N",
     "a resource limit for untrusted models (N may end in K,\n"
     "M, G, T; 0 = none): arena-bytes (a session's memory,\n"
     "default 4G), constant-bytes (constants while loading,\n"
     "2G), nodes (1M), load-macs (multiply-adds at load,\n"
     "64G)"},
    {"plan", 0, OPT_PLAN, NULL, NULL}, /* info: listed in the command's synopsis only */
    {"help", 'h', 0, NULL, "this text"},
    {"version", 0, 0, NULL, "the version"},
};
#define NUM_OPTIONS (sizeof kOptions / sizeof kOptions[0])

/* "  -i, --input [NAME=]PATH    input tensor (.npy)": the help text starts
 * in column HELP_COLUMN, continuation lines too. */
#define HELP_COLUMN 29

void cli_print_options(FILE* f) {
  for (size_t k = 0; k < NUM_OPTIONS; ++k) {
    const cli_option* o = &kOptions[k];
    if (!o->help) continue;
    char flag[64];
    snprintf(flag, sizeof flag, "--%s%s%s", o->long_name, o->value ? " " : "", o->value ? o->value : "");
    if (o->short_name) {
      fprintf(f, "  -%c, %-22s ", o->short_name, flag);
    } else {
      fprintf(f, "      %-22s ", flag);
    }
    for (const char* line = o->help;;) {
      size_t len = strcspn(line, "\n");
      fprintf(f, "%.*s\n", (int)len, line);
      if (!line[len]) break;
      line += len + 1;
      fprintf(f, "%*s", HELP_COLUMN, "");
    }
  }
}

/* ------------------------------------------------------------ values */

/* An integer from 1 to max, digits only (strtol alone would accept " 2", "+2"
 * and "-1"); the usage error names the option. */
static int parse_count(const char* cmd, const char* option, const char* s, int max, int* out) {
  int ok = s[0] >= '0' && s[0] <= '9';
  long v = 0;
  if (ok) {
    char* end = NULL;
    errno = 0;
    v = strtol(s, &end, 10);
    ok = *end == '\0' && errno == 0 && v >= 1 && v <= max;
  }
  if (!ok) return usage_error(cmd, "bad %s value '%s' (expected an integer from 1 to %d)", option, s, max);
  *out = (int)v;
  return EXIT_OK;
}

/* An integer from lo to max, digits only. */
static int parse_range(const char* cmd, const char* option, const char* s, int lo, int max, int* out) {
  int ok = s[0] >= '0' && s[0] <= '9';
  long v = 0;
  if (ok) {
    char* end = NULL;
    errno = 0;
    v = strtol(s, &end, 10);
    ok = *end == '\0' && errno == 0 && v >= lo && v <= max;
  }
  if (!ok) return usage_error(cmd, "bad %s value '%s' (expected an integer from %d to %d)", option, s, lo, max);
  *out = (int)v;
  return EXIT_OK;
}

/* Seconds: a decimal number above 0, at most CLI_MAX_SECONDS. */
static int parse_seconds(const char* cmd, const char* s, double* out) {
  int ok = (s[0] >= '0' && s[0] <= '9') || (s[0] == '.' && s[1] >= '0' && s[1] <= '9');
  double v = 0;
  if (ok) {
    char* end = NULL;
    errno = 0;
    v = strtod(s, &end);
    ok = *end == '\0' && errno == 0 && v > 0 && v <= CLI_MAX_SECONDS;
  }
  if (!ok) {
    return usage_error(cmd, "bad --seconds value '%s' (expected a number of seconds above 0, at most %d)", s,
                       CLI_MAX_SECONDS);
  }
  *out = v;
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

static int apply_option(cli_args* a, cli_opts allowed, const cli_option* opt, const char* shown, const char* value) {
  const char* cmd = a->command_name;
  if (allowed & OPT_BACKEND) allowed |= OPT_WINOGRAD | OPT_AUTOTUNE | OPT_CHAINS | OPT_WEIGHTS;
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
    case OPT_THREADS: return parse_count(cmd, "--threads", value, CLI_MAX_THREADS, &a->threads);
    case OPT_NO_FOLD: a->fold = 0; return EXIT_OK;
    case OPT_FOLD: a->fold = 1; return EXIT_OK;
    case OPT_BACKEND:
      if (repconv_backend_from_name(value, &a->backend) != REPCONV_OK) {
        return usage_error(cmd, "unknown backend '%s' (expected auto, winograd, gemm, xnnpack or ref)", value);
      }
      a->backend_name = value;
      return EXIT_OK;
    case OPT_SEED: return parse_seed(cmd, value, &a->seed);
    case OPT_RUNS: return parse_count(cmd, "--runs", value, CLI_MAX_RUNS, &a->runs);
    case OPT_PLAN: a->plan = 1; return EXIT_OK;
    case OPT_NAME:
      if (value[0] == '\0') return usage_error(cmd, "empty --name value");
      a->name = value;
      return EXIT_OK;
    case OPT_SHAPE: return parse_shape(a, value);
    case OPT_LIMIT: return parse_limit(a, value);
    case OPT_MAX_KERNEL: return parse_count(cmd, "--max-kernel", value, CLI_MAX_KERNEL_LIMIT, &a->max_kernel);
    case OPT_VERIFY: a->verify = 1; return EXIT_OK;
    case OPT_SHAPE_FROM_INPUT: a->shape_from_input = 1; return EXIT_OK;
    case OPT_PROFILE: a->profile = 1; return EXIT_OK;
    case OPT_STEADY: a->steady = 1; return EXIT_OK;
    case OPT_SCALING: a->scaling = 1; return EXIT_OK;
    case OPT_COLD: a->cold = 1; return EXIT_OK;
    case OPT_FRAMES: return parse_count(cmd, "--frames", value, CLI_MAX_RUNS, &a->frames);
    case OPT_SECONDS: return parse_seconds(cmd, value, &a->seconds);
    case OPT_FORM:
      if (strcmp(value, "unfolded") == 0) {
        a->form = REPCONV_FOLD_OFF;
      } else if (strcmp(value, "bn-fused") == 0) {
        a->form = REPCONV_FOLD_BN;
      } else if (strcmp(value, "folded") == 0) {
        a->form = REPCONV_FOLD_FULL;
      } else {
        return usage_error(cmd, "unknown --form value '%s' (expected unfolded, bn-fused or folded)", value);
      }
      return EXIT_OK;
    case OPT_WINOGRAD:
      if (repconv_winograd_from_name(value, &a->winograd) != REPCONV_OK) {
        return usage_error(cmd, "unknown --winograd value '%s' (expected auto, off, 2, 4 or 6)", value);
      }
      return EXIT_OK;
    case OPT_AUTOTUNE: a->autotune = 1; return EXIT_OK;
    case OPT_PROGRESS: a->progress = 1; return EXIT_OK;
    case OPT_QUIET: a->quiet = 1; return EXIT_OK;
    case OPT_MODEL_ONLY: a->model_only = 1; return EXIT_OK;
    case OPT_TILE: return parse_range(cmd, "--tile", value, 0, CLI_MAX_TILE, &a->tile);
    case OPT_HALO: return parse_range(cmd, "--halo", value, 0, CLI_MAX_HALO, &a->halo);
    case OPT_MAX_MEMORY: return parse_range(cmd, "--max-memory", value, 16, CLI_MAX_MEMORY_MB, &a->max_memory_mb);
    case OPT_BICUBIC: a->bicubic = 1; return EXIT_OK;
    case OPT_REFERENCE:
      if (value[0] == '\0') return usage_error(cmd, "empty --reference value");
      a->reference = value;
      return EXIT_OK;
    case OPT_WEIGHTS:
      if (strcmp(value, "fp32") != 0 && strcmp(value, "fp16") != 0) {
        return usage_error(cmd, "unknown --weights value '%s' (expected fp32 or fp16)", value);
      }
      a->weights_fp16 = strcmp(value, "fp16") == 0;
      return EXIT_OK;
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

/* ------------------------------------------------------------ the parser */

static const cli_option* find_long(const char* name, size_t len) {
  for (size_t k = 0; k < NUM_OPTIONS; ++k) {
    if (kOptions[k].id && strlen(kOptions[k].long_name) == len && strncmp(kOptions[k].long_name, name, len) == 0) {
      return &kOptions[k];
    }
  }
  return NULL;
}

/* A letter may name two options (-t: --tile for upscale, as other
 * upscalers spell it, --threads elsewhere): the last in the table that the
 * command takes, else the first (for the "does not apply" message). */
static const cli_option* find_short(char c, cli_opts allowed) {
  const cli_option *first = NULL, *taken = NULL;
  for (size_t k = 0; k < NUM_OPTIONS; ++k) {
    if (!kOptions[k].id || kOptions[k].short_name != c) continue;
    if (allowed & kOptions[k].id) taken = &kOptions[k];
    if (!first) first = &kOptions[k];
  }
  return taken ? taken : first;
}

static int is_help(const char* arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

int cli_parse(const cli_command* c, int argc, char** argv, int first, cli_args* a) {
  memset(a, 0, sizeof *a);
  a->command_name = c->name;
  a->fold = c->default_fold;
  a->threads = 1;
  a->backend = REPCONV_BACKEND_AUTO;
  a->backend_name = "auto";
  a->halo = -1;
  a->form = -1;
  const char* cmd = c->name;
  int only_positional = 0;
  for (int i = first; i < argc; ++i) {
    const char* arg = argv[i];
    if (!c->options && !c->takes_model) { /* e.g. list: nothing but --help */
      if (is_help(arg)) return CLI_HELP;
      return usage_error(cmd, "unexpected argument '%.200s'", arg);
    }
    if (!only_positional && strcmp(arg, "--") == 0) {
      only_positional = 1;
      continue;
    }
    if (!only_positional && arg[0] == '-' && arg[1] != '\0') {
      if (is_help(arg)) return CLI_HELP;
      const cli_option* opt = NULL;
      const char* inline_value = NULL;
      char shown[64];
      if (arg[1] == '-') {
        const char* name = arg + 2;
        const char* eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        opt = find_long(name, len);
        snprintf(shown, sizeof shown, "--%.*s", (int)(len < 40 ? len : 40), name);
        if (!opt) return usage_error(cmd, "unknown option '%s'", shown);
        if (eq) inline_value = eq + 1;
      } else {
        opt = find_short(arg[1], c->options);
        snprintf(shown, sizeof shown, "%.40s", arg);
        if (!opt || arg[2] != '\0') return usage_error(cmd, "unknown option '%s'", shown);
      }
      const char* value = inline_value;
      if (!opt->value) {
        if (inline_value) return usage_error(cmd, "option '%s' takes no value", shown);
      } else if (!value) {
        if (i + 1 >= argc) return usage_error(cmd, "option '%s' needs a value", shown);
        value = argv[++i];
      }
      int rc = apply_option(a, c->options, opt, shown, value);
      if (rc != EXIT_OK) return rc;
      continue;
    }
    if (a->model && a->num_operands < (size_t)c->max_operands) {
      a->operands[a->num_operands++] = arg;
      continue;
    }
    if (a->model) return usage_error(cmd, "unexpected argument '%.200s'", arg);
    if (arg[0] == '\0') return usage_error(cmd, "empty MODEL argument");
    a->model = arg;
  }
  if (!c->takes_model) return EXIT_OK;
  if (!a->model) return usage_error(cmd, "missing MODEL (a .rcm file or a built-in name)");
  size_t given = c->require == OPT_INPUT ? a->num_inputs : c->require == OPT_OUTPUT ? a->num_outputs : 1;
  if (given == 0) return usage_error(cmd, "%s", c->missing);
  if (c->single_output && a->num_outputs > 1) return usage_error(cmd, "-o given more than once");
  return EXIT_OK;
}

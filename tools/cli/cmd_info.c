/* repconv info: what a model is (inputs, outputs, node counts by op,
 * parameters, FLOPs, the node list), as stored or folded; --plan adds the
 * planner's kernel per node. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/graph.h"
#include "tools/cli/cli.h"
#include "tools/cli/table.h"

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
    char shape[96], name[256];
    printf("  %-24s %s\n", copy_printable(name, sizeof name, t.name ? t.name : "?"),
           dims_text(t.ndim, t.dims, shape, sizeof shape));
  }
  return EXIT_OK;
}

/* The planner's choice per node, as a session with these options makes it. */
static int print_plan(const cli_args* a, const repconv_model_t* model, const repconv_options_t* opts) {
  repconv_session_t* s = NULL;
  repconv_status st = repconv_session_create(model, opts, &s);
  if (st != REPCONV_OK) return fail_lib(EXIT_ERROR, "planning", a->model, lib_error(st));
  if (repconv_session_num_plan_entries(s) == 0 && repconv_model_num_nodes(model) > 0) {
    repconv_session_destroy(s);
    return fail(EXIT_ERROR, "planning '%s': the model has dynamic input dims: give a size with --shape", a->model);
  }
  size_t n = repconv_session_num_plan_entries(s);
  int node_w = 4, kern_w = 6;
  for (size_t i = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    if (repconv_session_plan(s, i, &e) != REPCONV_OK) continue;
    char node[256];
    size_t a1 = display_width(copy_printable(node, sizeof node, e.node)), a2 = strlen(e.kernel ? e.kernel : "");
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
    char node[256], op[64], note[1024];
    printf("  %5zu  %-*s  %-14s  %-*s  %s\n", i, node_w, copy_printable(node, sizeof node, e.node),
           copy_printable(op, sizeof op, e.op), kern_w, e.kernel ? e.kernel : "",
           copy_printable(note, sizeof note, e.note));
  }
  repconv_session_destroy(s);
  return EXIT_OK;
}

static int cmd_info(const cli_args* a) {
  /* the graph as stored, unless --fold (or --plan: the graph as it runs) */
  const int fold = a->fold < 0 ? a->plan : a->fold;
  int rc;
  repconv_options_t* opts = NULL;
  repconv_model_t* model = NULL;
  rc = load_model(a, fold, a->threads, a->backend, &opts, &model);
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
  int dynamic_flops = 0; /* a node's FLOPs depend on a dynamic input dim */
  for (size_t i = 0; i < num_nodes; ++i) {
    repconv_status st = repconv_model_node(model, i, &nodes[i]);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading node %zu of '%s': %s", i, a->model, lib_error(st));
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
    if (nodes[i].flops < 0)
      dynamic_flops = 1;
    else
      total_flops += nodes[i].flops;
  }
  qsort(counts, num_ops, sizeof *counts, compare_op_count);

  char b1[64], b2[64];
  printf("model: %s%s%s\n", a->model, is_builtin(a->model) ? " (built-in)" : "",
         fold ? ", folded" : ", as stored (not folded)");
  if (fold) {
    repconv_fold_summary_t sum;
    repconv_status st = repconv_model_fold_summary(model, &sum);
    if (st != REPCONV_OK) {
      rc = fail(EXIT_ERROR, "reading the fold summary of '%s': %s", a->model, lib_error(st));
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
           a->max_kernel > 0 ? a->max_kernel : CLI_DEFAULT_MAX_KERNEL);
  }
  rc = print_tensor_list(model, 1);
  if (rc == EXIT_OK) rc = print_tensor_list(model, 0);
  if (rc != EXIT_OK) goto done;

  printf("nodes by op (%zu nodes):\n", num_nodes);
  for (size_t k = 0; k < num_ops; ++k) {
    char op[256];
    printf("  %-24s %6" PRId64 "\n", copy_printable(op, sizeof op, counts[k].op), counts[k].count);
  }
  printf("parameters: %s (%.2f M)\n", group_digits(total_params, b1, sizeof b1), (double)total_params / 1e6);
  if (dynamic_flops) {
    printf("FLOPs: depend on the input size (dynamic dims; --shape gives one)\n");
  } else {
    printf("FLOPs: %.3f GFLOPs (%s)\n", (double)total_flops / 1e9, group_digits(total_flops, b2, sizeof b2));
  }

  /* Node list; the name column is as wide as the longest name (capped). */
  int name_w = 4, op_w = 2;
  for (size_t i = 0; i < num_nodes; ++i) {
    char nb[256], ob[256];
    size_t n = display_width(copy_printable(nb, sizeof nb, nodes[i].name));
    size_t o = display_width(copy_printable(ob, sizeof ob, nodes[i].op));
    if ((int)(n < 48 ? n : 48) > name_w) name_w = (int)(n < 48 ? n : 48);
    if ((int)(o < 24 ? o : 24) > op_w) op_w = (int)(o < 24 ? o : 24);
  }
  printf("\nnodes (execution order):\n");
  printf("  %5s  %-*s  %-*s  %-16s %-7s %-7s %6s %14s %16s\n", "#", op_w, "op", name_w, "name", "output", "kernel",
         "stride", "groups", "params", "FLOPs");
  for (size_t i = 0; i < num_nodes; ++i) {
    const repconv_node_info_t* n = &nodes[i];
    char shape[96], kernel[32] = "-", stride[32] = "-", groups[16] = "-", name[256], op[256];
    if (n->kernel_h > 0 || n->kernel_w > 0) {
      snprintf(kernel, sizeof kernel, "%dx%d", (int)n->kernel_h, (int)n->kernel_w);
      snprintf(stride, sizeof stride, "%dx%d", (int)n->stride_h, (int)n->stride_w);
      if (n->groups > 0) snprintf(groups, sizeof groups, "%d", (int)n->groups);
    }
    printf("  %5zu  %-*s  %-*s  %-16s %-7s %-7s %6s %14s %16s\n", i, op_w, copy_printable(op, sizeof op, n->op), name_w,
           copy_printable(name, sizeof name, n->name), dims_text(n->output.ndim, n->output.dims, shape, sizeof shape),
           kernel, stride, groups, group_digits(n->params, b1, sizeof b1),
           n->flops < 0 ? "?" : group_digits(n->flops, b2, sizeof b2));
  }
  rc = a->plan ? print_plan(a, model, opts) : EXIT_OK;

done:
  free(counts);
  free(nodes);
  repconv_model_destroy(model);
  repconv_options_destroy(opts);
  return rc;
}

const cli_command cli_info_command = {
    .name = "info",
    .usage =
        "  info MODEL [--fold] [--max-kernel K] [--shape [NAME=]NxCxHxW]\n"
        "       [--plan [--no-fold] [--backend B] [--threads N]]\n"
        "      inputs, outputs, node counts by op, parameters, FLOPs and the node list;\n"
        "      shows the graph as stored (train-time), or folded with --fold (plus a\n"
        "      one-line fold summary); --plan adds the kernel the planner chose for each\n"
        "      node and why, and the activation arena size (folded unless --no-fold)\n",
    .options = OPT_FOLD | OPT_NO_FOLD | OPT_MAX_KERNEL | OPT_SHAPE | OPT_PLAN | OPT_BACKEND | OPT_THREADS,
    .takes_model = 1,
    .default_fold = -1,
    .run = cmd_info,
};

/* See flops.h. */
#include "bench/flops.h"

#include <stdlib.h>
#include <string.h>

int64_t rcb_model_flops(const repconv_model_t* model) {
  int64_t total = 0;
  size_t n = repconv_model_num_nodes(model);
  for (size_t i = 0; i < n; ++i) {
    repconv_node_info_t info;
    memset(&info, 0, sizeof info);
    if (repconv_model_node(model, i, &info) == REPCONV_OK && info.flops > 0) total += info.flops;
  }
  return total;
}

void rcb_plan_entry_flops(const repconv_model_t* model, const repconv_session_t* session, int64_t* flops, size_t n) {
  size_t nodes = repconv_model_num_nodes(model);
  memset(flops, 0, n * sizeof *flops);
  /* Names need not be unique (an ONNX Gemm and the Reshape before it may
   * share one): an entry takes the first node of its name and op that no
   * entry took yet. */
  unsigned char* taken = calloc(nodes + 1, 1);
  if (!taken) return;
  for (size_t i = 0, owner = 0; i < n; ++i) {
    repconv_plan_entry_t e;
    memset(&e, 0, sizeof e);
    if (repconv_session_plan(session, i, &e) != REPCONV_OK) continue;
    const int fused = e.backend && strcmp(e.backend, "fused") == 0;
    if (!fused) owner = i;
    for (size_t j = 0; j < nodes; ++j) {
      repconv_node_info_t ni;
      memset(&ni, 0, sizeof ni);
      if (taken[j] || repconv_model_node(model, j, &ni) != REPCONV_OK || !ni.name || !e.node) continue;
      if (strcmp(ni.name, e.node) == 0 && (!ni.op || !e.op || strcmp(ni.op, e.op) == 0)) {
        taken[j] = 1;
        flops[owner] += ni.flops;
        break;
      }
    }
  }
  free(taken);
}

/* The executor's boundary: graph inputs from the caller's bindings into the
 * arena, graph outputs from the arena (or straight from the last Winograd
 * kernel) into the caller's bindings (exec.h). */
#include <stdint.h>

#include "runtime/exec/exec.h"
#include "runtime/graph/layout.h"

typedef struct convert_ctx {
  float* x;
  size_t h, w, c;
  const rc_binding* b;
  const rc_convert_kernels* k;
  int load;
} convert_ctx;

static void convert_row(void* arg, size_t row, size_t thread) {
  const convert_ctx* cc = arg;
  const size_t n = row / cc->h, y = row % cc->h;
  float* x = cc->x + row * cc->w * cc->c;
  if (cc->load) {
    rc_binding_load_pixels(cc->b, cc->k, x, cc->w, cc->c, n, y, 0);
  } else {
    rc_binding_store_pixels(cc->b, cc->k, x, cc->w, cc->c, n, y, 0);
  }
}

void rc_exec_convert_nhwc(float* x, size_t batch, size_t h, size_t w, size_t c, const rc_binding* b, int load,
                          rc_pool* pool) {
  const convert_ctx cc = {x, h, w, c, b, rc_convert_kernels_get(RC_CONVERT_ISA_AUTO), load};
  const size_t rows = batch * h;
  rc_pool_parallelize(pool, convert_row, (void*)&cc, rows);
}

/* The NHWC dims of tensor t (logical N×C×H×W, padded with 1s to rank 4). */
static void nhwc_dims(const rc_graph* g, int32_t t, size_t d[4]) {
  int64_t l[4];
  rc_shape_dims4(&g->tensors[t].shape, l);
  d[0] = (size_t)l[0];
  d[1] = (size_t)l[2];
  d[2] = (size_t)l[3];
  d[3] = (size_t)l[1];
}

rc_status rc_exec_load_input(const rc_graph* g, const rc_plan* p, float* arena, int32_t k, const rc_binding* b,
                             rc_pool* pool) {
  if (k < 0 || k >= g->n_inputs || !b || !b->base) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "input %d: no such graph input or no binding", (int)k);
  }
  if (p->offset[g->inputs[k]] == RC_NO_OFFSET) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT,
                    "input '%s': the plan reads it from its binding during the run (rc_exec_run_io), it has no "
                    "arena slot",
                    g->tensors[g->inputs[k]].name);
  }
  rc_exec_convert_tensor(g, p, arena, g->inputs[k], b, 1, pool);
  return REPCONV_OK;
}

void rc_exec_convert_tensor(const rc_graph* g, const rc_plan* p, float* arena, int32_t t, const rc_binding* b, int load,
                            rc_pool* pool) {
  size_t d[4];
  nhwc_dims(g, t, d);
  rc_exec_convert_nhwc(arena + p->offset[t], d[0], d[1], d[2], d[3], b, load, pool);
}

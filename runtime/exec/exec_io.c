/* The executor's boundary: graph inputs from the caller's bindings into the
 * arena, graph outputs from the arena (or straight from the last Winograd
 * kernel) into the caller's bindings (exec.h). */
#include <stdint.h>

#include "runtime/exec/exec.h"
#include "runtime/graph/layout.h"

typedef struct convert_ctx {
  float* x;
  size_t n, h, w, c; /* batch, height, width, channels */
  size_t bands;      /* convert_planes: row bands per plane block */
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

/* Float planes (NCHW; not one pixel of contiguous channels, an FC's
 * output) of many channels: one item is a band of rows of
 * PLANE_BLOCK planes, the items in plane-block order, the bands contiguous
 * (threads meet only at band edges). Rows of all planes at once keep c read
 * or write streams going, more than the hardware prefetchers follow: the
 * store of a 64-channel 56x56 output after a run took 3x as long as the
 * same copy into lines already in cache; blocks of 16 and 64 planes were
 * slower than 32 on 1 or 2 threads (Xeon, AVX-512). */
#define PLANE_BLOCK 32

static void convert_planes(void* arg, size_t item, size_t thread) {
  const convert_ctx* cc = arg;
  const size_t rows = cc->n * cc->h, blk = item / cc->bands, band = item % cc->bands;
  const size_t c0 = blk * PLANE_BLOCK, nc = cc->c - c0 < PLANE_BLOCK ? cc->c - c0 : PLANE_BLOCK;
  const rc_binding* b = cc->b;
  (void)thread;
  for (size_t row = band * rows / cc->bands; row < (band + 1) * rows / cc->bands; row++) {
    const size_t n = row / cc->h, y = row % cc->h;
    float* x = cc->x + row * cc->w * cc->c + c0;
    float* p = (float*)b->base + rc_binding_offset(b, n, y, 0, c0);
    if (cc->load) {
      cc->k->transpose_f32(p, b->channel_stride, nc, cc->w, x, (ptrdiff_t)cc->c);
    } else {
      cc->k->transpose_f32(x, (ptrdiff_t)cc->c, cc->w, nc, p, b->channel_stride);
    }
  }
}

void rc_exec_convert_nhwc(float* x, size_t batch, size_t h, size_t w, size_t c, const rc_binding* b, int load,
                          rc_pool* pool) {
  const size_t rows = batch * h;
  convert_ctx cc = {x, batch, h, w, c, 1, b, rc_convert_kernels_get(RC_CONVERT_ISA_AUTO), load};
  if (b->type == RC_ELEM_F32 && b->pixel_stride == 1 && b->channel_stride != 1 && c > PLANE_BLOCK) {
    cc.bands = rc_pool_parts(pool, rows);
    rc_pool_parallelize(pool, convert_planes, &cc, cc.bands * ((c + PLANE_BLOCK - 1) / PLANE_BLOCK));
    return;
  }
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

/* Reference average / max / global average pooling (NHWC), PyTorch semantics. */
#include <math.h>

#include "kernels/ref/ref.h"

typedef struct pool_ctx {
  const rc_pool_params* p;
  const float* x;
  float* y;
} pool_ctx;

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* One task = one output row (n, oh). */
static void avgpool_row(void* context, size_t row, size_t thread) {
  const pool_ctx* ctx = context;
  const rc_pool_params* p = ctx->p;
  const int64_t oh = (int64_t)(row % (size_t)p->out_h), n = (int64_t)(row / (size_t)p->out_h);
  const int64_t in_h = p->in_h, in_w = p->in_w, ch = p->channels;
  const float* x_n = ctx->x + (size_t)(n * in_h * in_w * ch);
  float* y_row = ctx->y + (size_t)((n * p->out_h + oh) * p->out_w * ch);

  /* Window clipped to the padded extent [-pt, in_h + pb): its size is the
   * count_include_pad divisor; then clipped to the input for the taps. */
  int64_t hs = oh * p->stride_h - p->pad_top;
  int64_t he = min64(hs + p->kernel_h, in_h + p->pad_bottom);
  const int64_t hsize = he - hs;
  hs = max64(hs, 0);
  he = min64(he, in_h);
  for (int64_t ow = 0; ow < p->out_w; ow++) {
    int64_t ws = ow * p->stride_w - p->pad_left;
    int64_t we = min64(ws + p->kernel_w, in_w + p->pad_right);
    const int64_t wsize = we - ws;
    ws = max64(ws, 0);
    we = min64(we, in_w);
    float* yp = y_row + (size_t)(ow * ch);
    const int64_t taps = (he > hs && we > ws) ? (he - hs) * (we - ws) : 0;
    if (taps == 0) {
      for (int64_t c = 0; c < ch; c++) yp[c] = 0.0f;
      continue;
    }
    const double divisor = p->count_include_pad ? (double)(hsize * wsize) : (double)taps;
    for (int64_t c = 0; c < ch; c++) {
      double acc = 0.0;
      for (int64_t ih = hs; ih < he; ih++) {
        for (int64_t iw = ws; iw < we; iw++) acc += (double)x_n[(size_t)((ih * in_w + iw) * ch + c)];
      }
      yp[c] = (float)(acc / divisor);
    }
  }
}

static void maxpool_row(void* context, size_t row, size_t thread) {
  const pool_ctx* ctx = context;
  const rc_pool_params* p = ctx->p;
  const int64_t oh = (int64_t)(row % (size_t)p->out_h), n = (int64_t)(row / (size_t)p->out_h);
  const int64_t in_h = p->in_h, in_w = p->in_w, ch = p->channels;
  const float* x_n = ctx->x + (size_t)(n * in_h * in_w * ch);
  float* y_row = ctx->y + (size_t)((n * p->out_h + oh) * p->out_w * ch);

  const int64_t hs0 = oh * p->stride_h - p->pad_top;
  const int64_t hs = max64(hs0, 0), he = min64(hs0 + p->kernel_h, in_h);
  for (int64_t ow = 0; ow < p->out_w; ow++) {
    const int64_t ws0 = ow * p->stride_w - p->pad_left;
    const int64_t ws = max64(ws0, 0), we = min64(ws0 + p->kernel_w, in_w);
    float* yp = y_row + (size_t)(ow * ch);
    for (int64_t c = 0; c < ch; c++) {
      float m = -INFINITY;
      for (int64_t ih = hs; ih < he; ih++) {
        for (int64_t iw = ws; iw < we; iw++) {
          const float v = x_n[(size_t)((ih * in_w + iw) * ch + c)];
          /* Once m is NaN nothing compares greater, so NaN sticks. */
          if (v > m || isnan(v)) m = v;
        }
      }
      yp[c] = m;
    }
  }
}

static void run_rows(const rc_pool_params* p, const float* x, float* y, rc_pool* pool, rc_pool_task task) {
  pool_ctx ctx = {p, x, y};
  const size_t rows = (size_t)p->batch * (size_t)p->out_h;
  if (rows == 0 || p->out_w <= 0 || p->channels <= 0) return;
  rc_pool_parallelize(pool, task, &ctx, rows);
}

void rc_ref_avgpool_nhwc(const rc_pool_params* p, const float* x, float* y, rc_pool* pool) {
  run_rows(p, x, y, pool, avgpool_row);
}

void rc_ref_maxpool_nhwc(const rc_pool_params* p, const float* x, float* y, rc_pool* pool) {
  run_rows(p, x, y, pool, maxpool_row);
}

void rc_ref_global_avgpool_nhwc(int32_t batch, size_t pixels, size_t channels, const float* x, float* y) {
  for (size_t n = 0; n < (size_t)(batch > 0 ? batch : 0); n++) {
    const float* x_n = x + n * pixels * channels;
    for (size_t c = 0; c < channels; c++) {
      double acc = 0.0;
      for (size_t px = 0; px < pixels; px++) acc += (double)x_n[px * channels + c];
      y[n * channels + c] = pixels ? (float)(acc / (double)pixels) : 0.0f;
    }
  }
}

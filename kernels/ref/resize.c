/* Reference linear / cubic resize (NHWC), ONNX Resize and PyTorch semantics;
 * separable: an output row is the weighted sum of (up to 4) input rows,
 * then each output pixel the weighted sum of (up to 4) columns of it. */
#include <math.h>
#include <stdlib.h>

#include "kernels/ref/ref.h"

/* Source coordinate of output index o along an axis of in → out. */
static double source(const rc_resize_params* p, int64_t o, int64_t in, int64_t out, double inv_scale) {
  switch (p->coord) {
    case RC_REF_RESIZE_PYTORCH_HALF_PIXEL:
      if (out == 1) return 0.0;
      /* fall through */
    case RC_REF_RESIZE_HALF_PIXEL: return ((double)o + 0.5) * inv_scale - 0.5;
    case RC_REF_RESIZE_ALIGN_CORNERS: return out == 1 ? 0.0 : (double)o * (double)(in - 1) / (double)(out - 1);
    case RC_REF_RESIZE_ASYMMETRIC: return (double)o * inv_scale;
  }
  return 0.0;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Keys' cubic convolution weight at distance d (|d| < 2). */
static double cubic_weight(double d, double a) {
  d = fabs(d);
  if (d <= 1.0) return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0;
  if (d < 2.0) return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a;
  return 0.0;
}

int rc_ref_resize_taps(const rc_resize_params* p, int axis, int64_t o, int64_t idx[4], double w[4]) {
  const int64_t in = axis ? p->in_w : p->in_h, out = axis ? p->out_w : p->out_h;
  const double src = source(p, o, in, out, axis ? p->inv_scale_w : p->inv_scale_h);
  if (p->mode == RC_REF_RESIZE_LINEAR) {
    const double s = src < 0.0 ? 0.0 : src > (double)(in - 1) ? (double)(in - 1) : src;
    const int64_t i0 = (int64_t)floor(s);
    const double t = s - (double)i0;
    idx[0] = i0;
    idx[1] = i0 + 1 < in ? i0 + 1 : in - 1;
    w[0] = 1.0 - t;
    w[1] = t;
    return 2;
  }
  const double f = floor(src);
  const double t = src - f;
  const int64_t i0 = (int64_t)f;
  double sum = 0.0;
  for (int k = 0; k < 4; k++) {
    const int64_t i = i0 - 1 + k;
    w[k] = cubic_weight(t - (double)(k - 1), p->cubic_a);
    if (p->exclude_outside && (i < 0 || i >= in)) w[k] = 0.0;
    sum += w[k];
    idx[k] = clamp64(i, 0, in - 1);
  }
  if (p->exclude_outside && sum != 0.0) {
    for (int k = 0; k < 4; k++) w[k] /= sum;
  }
  return 4;
}

typedef struct resize_ctx {
  const rc_resize_params* p;
  const float* x;
  float* y;
  size_t rows, tile; /* batch × out_h, rows per item */
} resize_ctx;

/* One output pixel from its 2D taps, without workspace (when a task's row
 * buffer cannot be allocated: the kernel does not fail). */
static void pixel_direct(const rc_resize_params* p, const float* x_n, int64_t oh, int64_t ow, float* yp) {
  int64_t ih[4], iw[4];
  double wh[4], ww[4];
  const int nh = rc_ref_resize_taps(p, 0, oh, ih, wh), nw = rc_ref_resize_taps(p, 1, ow, iw, ww);
  const int64_t ch = p->channels;
  for (int64_t c = 0; c < ch; c++) {
    double acc = 0.0;
    for (int i = 0; i < nh; i++) {
      double r = 0.0;
      for (int j = 0; j < nw; j++) r += ww[j] * (double)x_n[(size_t)((ih[i] * p->in_w + iw[j]) * ch + c)];
      acc += wh[i] * r;
    }
    yp[c] = (float)acc;
  }
}

/* Output rows [start, start + count) of batch × out_h. */
static void resize_rows(const resize_ctx* ctx, size_t start, size_t count) {
  const rc_resize_params* p = ctx->p;
  const int64_t ch = p->channels, in_w = p->in_w, out_w = p->out_w;
  const size_t row_len = (size_t)(in_w * ch);
  /* Row buffer (double) and the column taps, shared by the task's rows. */
  double* tmp = malloc(row_len * sizeof(double) + (size_t)out_w * 4 * (sizeof(double) + sizeof(int64_t)));
  double* cw = tmp ? tmp + row_len : NULL;
  int64_t* ci = tmp ? (int64_t*)(cw + (size_t)out_w * 4) : NULL;
  int nw = 0;
  for (int64_t ow = 0; tmp && ow < out_w; ow++) nw = rc_ref_resize_taps(p, 1, ow, ci + ow * 4, cw + ow * 4);
  for (size_t row = start; row < start + count; row++) {
    const int64_t oh = (int64_t)(row % (size_t)p->out_h), n = (int64_t)(row / (size_t)p->out_h);
    const float* x_n = ctx->x + (size_t)(n * p->in_h * in_w * ch);
    float* y_row = ctx->y + (size_t)((n * p->out_h + oh) * out_w * ch);
    if (!tmp) {
      for (int64_t ow = 0; ow < out_w; ow++) pixel_direct(p, x_n, oh, ow, y_row + ow * ch);
      continue;
    }
    int64_t ih[4];
    double wh[4];
    const int nh = rc_ref_resize_taps(p, 0, oh, ih, wh);
    for (size_t e = 0; e < row_len; e++) tmp[e] = 0.0;
    for (int i = 0; i < nh; i++) {
      const float* xr = x_n + (size_t)(ih[i] * in_w * ch);
      for (size_t e = 0; e < row_len; e++) tmp[e] += wh[i] * (double)xr[e];
    }
    for (int64_t ow = 0; ow < out_w; ow++) {
      const int64_t* iw = ci + ow * 4;
      const double* ww = cw + ow * 4;
      float* yp = y_row + ow * ch;
      for (int64_t c = 0; c < ch; c++) {
        double acc = 0.0;
        for (int j = 0; j < nw; j++) acc += ww[j] * tmp[iw[j] * ch + c];
        yp[c] = (float)acc;
      }
    }
  }
  free(tmp);
}

static void resize_tile(void* context, size_t item, size_t thread) {
  const resize_ctx* ctx = context;
  const size_t start = item * ctx->tile;
  resize_rows(ctx, start, ctx->rows - start < ctx->tile ? ctx->rows - start : ctx->tile);
}

void rc_ref_resize_nhwc(const rc_resize_params* p, const float* x, float* y, rc_pool* pool) {
  const size_t rows = (size_t)p->batch * (size_t)p->out_h;
  if (rows == 0 || p->out_w <= 0 || p->channels <= 0) return;
  resize_ctx ctx = {p, x, y, rows, 1};
  /* Tiles of rows so each task's row buffer and column taps serve many rows. */
  const size_t threads = rc_pool_threads(pool);
  ctx.tile = rows / (threads * 8);
  if (ctx.tile < 1) ctx.tile = 1;
  rc_pool_parallelize(pool, resize_tile, &ctx, (rows + ctx.tile - 1) / ctx.tile);
}

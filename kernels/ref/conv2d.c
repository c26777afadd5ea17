/* Reference 2-D convolution, NHWC activations, OIHW weights, grouped and
 * dilated, 4-sided padding (bottom/right implied by out_h/out_w). */
#include "kernels/ref/ref.h"

typedef struct conv_ctx {
  const rc_conv2d_params* p;
  const float* x;
  const float* w;
  const float* bias;
  float* y;
} conv_ctx;

/* One task = one output row (n, oh): every element of it, in a fixed order. */
static void conv_row(void* context, size_t row, size_t thread) {
  const conv_ctx* ctx = context;
  const rc_conv2d_params* p = ctx->p;
  const int64_t oh = (int64_t)(row % (size_t)p->out_h);
  const int64_t n = (int64_t)(row / (size_t)p->out_h);
  const int64_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c;
  const int64_t out_w = p->out_w, out_c = p->out_c;
  const int64_t kh_n = p->kernel_h, kw_n = p->kernel_w;
  const int64_t icg = in_c / p->groups, ocg = out_c / p->groups;
  const float* x_n = ctx->x + (size_t)(n * in_h * in_w * in_c);
  float* y_row = ctx->y + (size_t)(((n * p->out_h) + oh) * out_w * out_c);
  const int64_t ih0 = oh * p->stride_h - p->pad_top;

  for (int64_t ow = 0; ow < out_w; ow++) {
    const int64_t iw0 = ow * p->stride_w - p->pad_left;
    for (int64_t oc = 0; oc < out_c; oc++) {
      const int64_t g = oc / ocg;
      const float* w_oc = ctx->w + (size_t)(oc * icg * kh_n * kw_n);
      double acc = ctx->bias ? (double)ctx->bias[oc] : 0.0;
      for (int64_t kh = 0; kh < kh_n; kh++) {
        const int64_t ih = ih0 + kh * p->dilation_h;
        if (ih < 0 || ih >= in_h) continue;
        for (int64_t kw = 0; kw < kw_n; kw++) {
          const int64_t iw = iw0 + kw * p->dilation_w;
          if (iw < 0 || iw >= in_w) continue;
          const float* x_px = x_n + (size_t)((ih * in_w + iw) * in_c + g * icg);
          for (int64_t ic = 0; ic < icg; ic++) {
            acc += (double)x_px[ic] * (double)w_oc[(size_t)((ic * kh_n + kh) * kw_n + kw)];
          }
        }
      }
      y_row[(size_t)(ow * out_c + oc)] = (float)acc;
    }
  }
}

void rc_ref_conv2d_nhwc(const rc_conv2d_params* p, const float* x, const float* w, const float* bias, float* y,
                        rc_pool* pool) {
  conv_ctx ctx = {p, x, w, bias, y};
  const size_t rows = (size_t)p->batch * (size_t)p->out_h;
  if (rows == 0 || p->out_w <= 0 || p->out_c <= 0) return;
  rc_pool_parallelize(pool, conv_row, &ctx, rows);
}

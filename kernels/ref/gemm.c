/* Reference fully connected layer: y = alpha · x · wᵀ + beta · bias. */
#include "kernels/ref/ref.h"

typedef struct gemm_ctx {
  size_t k, n_out;
  const float* x;
  const float* w;
  const float* bias;
  double alpha, beta;
  float* y;
} gemm_ctx;

/* One task = one row of y. */
static void gemm_row(void* context, size_t m, size_t thread) {
  const gemm_ctx* c = context;
  const float* xr = c->x + m * c->k;
  float* yr = c->y + m * c->n_out;
  for (size_t o = 0; o < c->n_out; o++) {
    const float* wr = c->w + o * c->k;
    double acc = 0.0;
    for (size_t i = 0; i < c->k; i++) acc += (double)xr[i] * (double)wr[i];
    double v = c->alpha * acc;
    if (c->bias) v += c->beta * (double)c->bias[o];
    yr[o] = (float)v;
  }
}

void rc_ref_gemm(size_t m, size_t k, size_t n_out, const float* x, const float* w, const float* bias, float alpha,
                 float beta, float* y, rc_pool* pool) {
  gemm_ctx ctx = {k, n_out, x, w, bias, alpha, beta, y};
  if (m == 0 || n_out == 0) return;
  rc_pool_parallelize(pool, gemm_row, &ctx, m);
}

/* Reference reshape/relayout between NHWC and C-order views of one logical
 * C-order element sequence. */
#include "kernels/ref/ref.h"

/* Storage offset of logical [n][c][h][w] in a tensor of logical dims d. */
static int64_t offset(const int64_t d[4], int nhwc, const int64_t i[4]) {
  if (nhwc) return ((i[0] * d[2] + i[2]) * d[3] + i[3]) * d[1] + i[1];
  return ((i[0] * d[1] + i[1]) * d[2] + i[2]) * d[3] + i[3];
}

/* Advances a C-order multi-index; the last axis moves fastest. */
static void next(const int64_t d[4], int64_t i[4]) {
  for (int a = 3; a >= 0; a--) {
    if (++i[a] < d[a]) return;
    i[a] = 0;
  }
}

void rc_ref_reshape(const int64_t in_dims[4], int in_nhwc, const float* x, const int64_t out_dims[4], int out_nhwc,
                    float* y) {
  const int64_t total = in_dims[0] * in_dims[1] * in_dims[2] * in_dims[3];
  int64_t ii[4] = {0, 0, 0, 0}, oi[4] = {0, 0, 0, 0};
  for (int64_t e = 0; e < total; e++) {
    y[offset(out_dims, out_nhwc, oi)] = x[offset(in_dims, in_nhwc, ii)];
    next(in_dims, ii);
    next(out_dims, oi);
  }
}

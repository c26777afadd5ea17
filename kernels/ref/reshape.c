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

/* 1 when the storage order is the logical C order (NHWC with C = 1 or
 * H·W = 1 is). */
static int plain_order(const int64_t d[4], int nhwc) { return !nhwc || d[1] == 1 || d[2] * d[3] == 1; }

/* y[b][j][i] = x[b][i][j] for rows × cols matrices, in cache-sized tiles. */
static void transpose(int64_t batch, int64_t rows, int64_t cols, const float* x, float* y) {
  enum { T = 32 };
  for (int64_t b = 0; b < batch; b++) {
    const float* xb = x + b * rows * cols;
    float* yb = y + b * rows * cols;
    for (int64_t i0 = 0; i0 < rows; i0 += T) {
      const int64_t i1 = i0 + T < rows ? i0 + T : rows;
      for (int64_t j0 = 0; j0 < cols; j0 += T) {
        const int64_t j1 = j0 + T < cols ? j0 + T : cols;
        for (int64_t i = i0; i < i1; i++) {
          for (int64_t j = j0; j < j1; j++) yb[j * rows + i] = xb[i * cols + j];
        }
      }
    }
  }
}

void rc_ref_reshape(const int64_t in_dims[4], int in_nhwc, const float* x, const int64_t out_dims[4], int out_nhwc,
                    float* y) {
  const int64_t total = in_dims[0] * in_dims[1] * in_dims[2] * in_dims[3];
  /* Fast paths: both sides in logical order (a copy), or the same dims in
   * the two layouts (NCHW ↔ NHWC at the API boundary: a transpose). */
  if (plain_order(in_dims, in_nhwc) && plain_order(out_dims, out_nhwc)) {
    for (int64_t e = 0; e < total; e++) y[e] = x[e];
    return;
  }
  int same = 1;
  for (int a = 0; a < 4; a++) same &= in_dims[a] == out_dims[a];
  if (same && in_nhwc == out_nhwc) {
    for (int64_t e = 0; e < total; e++) y[e] = x[e];
    return;
  }
  if (same) {
    const int64_t hw = in_dims[2] * in_dims[3];
    if (in_nhwc)
      transpose(in_dims[0], hw, in_dims[1], x, y);
    else
      transpose(in_dims[0], in_dims[1], hw, x, y);
    return;
  }
  int64_t ii[4] = {0, 0, 0, 0}, oi[4] = {0, 0, 0, 0};
  for (int64_t e = 0; e < total; e++) {
    y[offset(out_dims, out_nhwc, oi)] = x[offset(in_dims, in_nhwc, ii)];
    next(in_dims, ii);
    next(out_dims, oi);
  }
}

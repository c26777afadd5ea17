/* Dense linear maps over whole (small) tensors, for the folds that leave the
 * spatial algebra: a reshape turns a partition [N, C, h, w] into a vector of
 * C·h·w features (RepMLP's FC), and conv branches on the partition then fold
 * into that FC by expanding each conv into the matrix it applies (the
 * "probe" of the RepMLP paper). Per batch item:
 *
 *   flat(T) = m · flat(P) + b,   m: rows × cols, rows = |T|/N, cols = |P|/N
 *
 * with flat() the logical C-order of one item. Sizes are capped (4096 per
 * side) so the matrices stay small. */
#ifndef RC_FOLD_MATMAP_H
#define RC_FOLD_MATMAP_H

#include <stdint.h>

#include "fold/affine.h"

#define RC_MATMAP_MAX_SIDE 4096

typedef struct rc_matmap {
  int64_t rows, cols;
  double* m;    /* [rows][cols] */
  double* b;    /* [rows] */
  int identity; /* known to be the identity (m = I, b = 0): a product with it reads off the other factor */
} rc_matmap;

void rc_matmap_free(rc_matmap* a);
rc_status rc_matmap_identity(rc_matmap* a, int64_t n);
/* The matrix of a spatial map of a [cin, in_h, in_w] tensor. */
rc_status rc_matmap_from_affine(const rc_affine* f, rc_matmap* out);
/* out = W·a·alpha + bias·beta for W [o][a.rows] (gemm), bias may be NULL. */
rc_status rc_matmap_gemm(const rc_matmap* a, const float* w, int64_t o, const float* bias, double alpha, double beta,
                         rc_matmap* out);
/* out = conv(a) where a's rows are a tensor [c, h, w]: the conv applied to
 * the rows (zero padding). */
rc_status rc_matmap_conv(const rc_matmap* a, int64_t c, int64_t h, int64_t w, int64_t co, const float* wt,
                         const float* bias, int32_t kh, int32_t kw, const int32_t s[2], const int32_t d[2],
                         const int32_t p[4], int32_t groups, int64_t oh, int64_t ow, rc_matmap* out);
/* Rows grouped by channel (rows = c·inner): row r scaled by scale[r / inner]
 * and shifted by shift[r / inner] (either may be NULL). */
void rc_matmap_scale_shift(rc_matmap* a, int64_t inner, const double* scale, const double* shift);
rc_status rc_matmap_add(const rc_matmap* a, const rc_matmap* c, double sign, rc_matmap* out);
int rc_matmap_is_identity(const rc_matmap* a);
/* Largest g with m block-diagonal in g blocks. */
int32_t rc_matmap_groups(const rc_matmap* a);

#endif

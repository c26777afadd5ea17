/* The affine-map algebra of folding. A tensor T inside a linear region is an
 * affine map of the region's input X:
 *
 *   T[o](t, u) = b[o] + Σ_c Σ_i Σ_j w[o][c][i][j] · X[c](t·sh − pt + i, u·sw − pl + j)
 *
 * with X zero outside its extent. Every linear op (conv, BN, per-channel
 * scale and shift, add, concat, constant pad, average pool, identity) maps
 * maps to maps; a region's output map is one convolution. Everything is in
 * float64; the emitted conv is rounded to float once.
 *
 * Exactness at the border: composing through a padded intermediate T is
 * exact only when T's map evaluates to the pad value at every padded
 * position, i.e. the windows there read X's padding only and T's bias equals
 * the pad value (rc_affine_pad_exact). */
#ifndef RC_FOLD_AFFINE_H
#define RC_FOLD_AFFINE_H

#include <stdint.h>

#include "runtime/graph/graph.h"

typedef struct rc_affine {
  int32_t cout, cin;
  int32_t kh, kw;
  int32_t sh, sw;
  int32_t pt, pl;       /* top/left padding of X */
  int64_t in_h, in_w;   /* X's extent */
  int64_t out_h, out_w; /* T's extent */
  /* The linear part w is the identity (cout == cin, 1x1, s 1, p 0), w NULL
   * until needed. Says nothing of b: x + K has an identity w and the bias K,
   * so "the map is a copy of X" is rc_affine_is_copy, not this flag. */
  int w_identity;
  double* w; /* [cout][cin][kh][kw] */
  double* b; /* [cout] */
} rc_affine;

void rc_affine_free(rc_affine* a);
/* The identity map of a C-channel tensor of extent h × w. */
rc_status rc_affine_identity(rc_affine* a, int32_t c, int64_t h, int64_t w);
rc_status rc_affine_copy(const rc_affine* a, rc_affine* out);
/* Makes w explicit (identity → delta kernel). */
rc_status rc_affine_densify(rc_affine* a);
/* 1 when the map is X itself, at most zero-padded: 1x1, stride 1, w the
 * identity (flagged or dense) and every bias exactly 0. */
int rc_affine_is_copy(const rc_affine* a);

/* Padding of X the map needs at the bottom/right so that its output extent
 * is out_h/out_w; returns 0 and sets pb/pr, or -1 when no padding ≥ 0 gives
 * that extent. */
int rc_affine_bottom_right(const rc_affine* a, int32_t* pb, int32_t* pr);

/* Is padding T by pad[4] (top, left, bottom, right) with per-channel values
 * (NULL: zeros) exact? 1 yes; 0 no, with a reason in why. */
int rc_affine_pad_exact(const rc_affine* a, const int32_t pad[4], const float* values, char* why, size_t why_size);

/* out = conv(a) for a conv with weight w2·w2_scale [co][a.cout/groups][k2h][k2w]
 * (the scale lets an average pool pass 1/(kh·kw) exactly), bias b2 (NULL:
 * none), stride s2, dilation d2, padding p2 (4 sides, checked exact by the
 * caller), groups; out_h/out_w the conv's output extent. */
rc_status rc_affine_conv(const rc_affine* a, int32_t co, const float* w2, double w2_scale, const float* b2, int32_t k2h,
                         int32_t k2w, const int32_t s2[2], const int32_t d2[2], const int32_t p2[4], int32_t groups,
                         int64_t out_h, int64_t out_w, rc_affine* out);
/* a ← a·scale[o] + shift[o] per output channel (either may be NULL). */
rc_status rc_affine_scale_shift(rc_affine* a, const double* scale, const double* shift);
/* out = a + sign·c (sign ±1). Same source, stride and extent required. */
rc_status rc_affine_add(const rc_affine* a, const rc_affine* c, double sign, rc_affine* out);
/* out = concat(parts) along channels. */
rc_status rc_affine_concat(const rc_affine* const* parts, int32_t n, rc_affine* out);
/* T padded by pad[4] (exactness checked by the caller). */
void rc_affine_pad(rc_affine* a, const int32_t pad[4]);

/* 1 when two maps sample X on the same grid (same stride and extent), so
 * they can be added or concatenated. */
int rc_affine_same_grid(const rc_affine* a, const rc_affine* c);

/* The conv that computes the map, ready for the IR: the kernel trimmed of
 * zero rows/columns where the padding allows, dilation and groups detected
 * (so a depthwise region stays depthwise, a dilated one dilated), weights
 * [cout][cin/groups][kh][kw] and bias rounded to float (bias NULL when all
 * zero). Caller frees weight and bias. */
typedef struct rc_affine_conv_desc {
  int32_t kh, kw, sh, sw, dh, dw, pad[4], groups;
  float* weight;
  float* bias;
} rc_affine_conv_desc;
rc_status rc_affine_to_conv(const rc_affine* a, rc_affine_conv_desc* out);

#endif

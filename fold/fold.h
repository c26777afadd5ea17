/* The fold pass: rewrites every linear region of a graph into one conv.
 *
 * One walk in execution order gives every tensor a state: computed by a kept
 * node (opaque), or an affine map (fold/affine.h) of an opaque source tensor
 * not yet computed. Linear nodes extend their inputs' maps; a map is turned
 * into one conv node (materialized) when a non-linear node, a graph output or
 * a second consumer needs it. Where extending a map would not be exact at the
 * border (a padded intermediate that does not hold the pad value), would grow
 * the kernel past the cap, or would mix two sources, the inputs are
 * materialized first and the region is cut there: the exact parts fold, the
 * rest is kept, and the report says why. */
#ifndef RC_FOLD_FOLD_H
#define RC_FOLD_FOLD_H

#include <stdint.h>

#include "runtime/graph/graph.h"

typedef struct rc_fold_options {
  int32_t max_kernel; /* regions whose folded kernel would exceed this stay cut */
  int bn_only;        /* fold only per-channel affine ops into the conv before them */
  /* NULL: none. A map whose dense weights would pass REPCONV_LIMIT_CONSTANT_BYTES,
   * or a composition that would take the multiply-adds left of
   * REPCONV_LIMIT_LOAD_MACS, cuts the region there (as the kernel cap does). */
  const rc_limits* limits;
} rc_fold_options;

#define RC_FOLD_DEFAULT_MAX_KERNEL 7

typedef struct rc_fold_region {
  char* output; /* the tensor the region's conv computes */
  int32_t nodes_before, nodes_after;
  int32_t kh, kw, sh, sw, dh, dw, groups;
  int64_t flops_before, flops_after, params_before, params_after;
  int exact; /* 0: cut, see note */
  char note[320];
} rc_fold_region;

typedef struct rc_fold_report {
  rc_fold_region* regions;
  int32_t n_regions, cap_regions;
  int32_t nodes_before, nodes_after, convs_before, convs_after;
  int64_t flops_before, flops_after, params_before, params_after;
  /* "" when every fold decision holds at any input size; else the first
   * decision that relied on the load-time height/width (a padded map of
   * stride > 1, an average pool's ceil_mode windows, a matrix map over the
   * flattened image): a session refuses other sizes (runtime/api). */
  char size_note[320];
} rc_fold_report;

/* in: a shape-inferred graph (unchanged). out: a fresh graph (shapes not
 * inferred). report may be NULL. */
rc_status rc_fold_graph(const rc_graph* in, const rc_fold_options* options, rc_graph* out, rc_fold_report* report);
void rc_fold_report_free(rc_fold_report* r);

#endif

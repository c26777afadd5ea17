/* Helpers of the fold tests (tests/test_fold*.c): networks built with the
 * public builder (random weights from fold_rng), finished folded and
 * unfolded, run on the reference path and compared. Failures fail the
 * running cmocka test. */
#ifndef RC_TESTS_FOLD_NET_H
#define RC_TESTS_FOLD_NET_H

#include <stddef.h>
#include <stdint.h>

#include "repconv.h"
#include "runtime/api/handles.h"
#include "tests/support/test_util.h"

/* Folded vs unfolded: max |folded − unfolded| ≤ FOLD_RTOL · max(1e-3, max |unfolded|)
 * (the reasoning: tests/test_fold.c). */
#define FOLD_RTOL 2e-6

/* The weights' and inputs' generator; each test executable seeds it. */
extern rc_test_rng fold_rng;

typedef struct net {
  repconv_builder_t* b;
  int64_t n, c, h, w;
  repconv_id x;
  int k; /* name counter */
} net;

/* A builder with input "x" of [n, c, h, w]. */
net net_new(int64_t n, int64_t c, int64_t h, int64_t w);
/* A fresh node name: what + a counter. buf holds 64 bytes. */
const char* nm(net* t, const char* what, char* buf);
/* n floats uniform in [lo, hi) (malloc'd). */
float* rnd(size_t n, float lo, float hi);

typedef struct conv_spec {
  int kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups, bias;
} conv_spec;

/* Layers with random weights. */
repconv_id conv(net* t, repconv_id x, int64_t cin, int64_t cout, conv_spec s);
conv_spec k_same(int k, int stride, int groups);
repconv_id bn(net* t, repconv_id x, int64_t c);
/* A BN then a pad with its bias value β − μγ/√(var+eps) (DBB's BN-and-pad). */
repconv_id bn_and_pad(net* t, repconv_id x, int64_t c, int p);
repconv_id add(net* t, repconv_id a, repconv_id b);
repconv_id relu(net* t, repconv_id a);

typedef struct fold_result {
  int convs_before, convs_after, cut_regions;
  double rel;
  repconv_model_t* folded;
} fold_result;

/* The net finished unfolded (fold 0: saved to a temp file) or loaded folded
 * from that file (fold 1). */
repconv_model_t* finish_copy(net* t, int fold, repconv_id y);
/* Runs m on x (its first input), returns its first output (malloc'd). */
float* run(repconv_model_t* m, const float* x, size_t* n_out);
/* max |a − b| relative to max(1e-3, max |b|). */
double max_rel(const float* a, const float* b, size_t n);
/* Finishes the net as output y, folds, compares on input x0 (NULL: a random
 * one); *folded_y (if not NULL) gets the folded output. */
fold_result check_on(net* t, repconv_id y, const char* what, const float* x0, float** folded_y);
fold_result check(net* t, repconv_id y, const char* what);
/* Fails unless the fold gave after convs and cuts cut regions; frees r.folded. */
void expect_convs(fold_result r, int after, int cuts);
/* The only conv of a folded model. */
const rc_node* only_conv(const repconv_model_t* m);

#endif

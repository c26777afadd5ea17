/* Helpers of the fold tests (tests/test_fold*.c): networks built with the
 * public builder, loaded folded and unfolded, run and compared. */
#define _GNU_SOURCE
#include "tests/support/fold_net.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

rc_test_rng fold_rng;

/* ----------------------------------------------------------- building */

net net_new(int64_t n, int64_t c, int64_t h, int64_t w) {
  net t;
  memset(&t, 0, sizeof(t));
  t.n = n;
  t.c = c;
  t.h = h;
  t.w = w;
  assert_int_equal(repconv_builder_create(&t.b), REPCONV_OK);
  int64_t d[4] = {n, c, h, w};
  assert_int_equal(repconv_builder_input(t.b, "x", 4, d, &t.x), REPCONV_OK);
  return t;
}

const char* nm(net* t, const char* what, char* buf) {
  sprintf(buf, "%s%d", what, t->k++);
  return buf;
}

float* rnd(size_t n, float lo, float hi) {
  float* p = malloc(n * sizeof(float));
  assert_non_null(p);
  rc_test_fill_uniform(&fold_rng, p, n, lo, hi);
  return p;
}

repconv_id conv(net* t, repconv_id x, int64_t cin, int64_t cout, conv_spec s) {
  char buf[64];
  int g = s.groups ? s.groups : 1;
  size_t nw = (size_t)(cout * (cin / g) * s.kh * s.kw);
  float a = 1.0f / sqrtf((float)((cin / g) * s.kh * s.kw));
  float* w = rnd(nw, -a, a);
  float* b = s.bias ? rnd((size_t)cout, -0.3f, 0.3f) : NULL;
  repconv_conv2d_desc_t d = {(int32_t)cout, s.kh, s.kw, s.sh, s.sw, s.dh, s.dw, s.pt, s.pl, s.pb, s.pr, g};
  repconv_id y;
  if (repconv_builder_conv2d(t->b, nm(t, "conv", buf), x, &d, w, b, &y) != REPCONV_OK) {
    fail_msg("%s", repconv_last_error());
  }
  free(w);
  free(b);
  return y;
}

conv_spec k_same(int k, int stride, int groups) {
  conv_spec s = {k, k, stride, stride, 1, 1, k / 2, k / 2, k / 2, k / 2, groups, 0};
  return s;
}

repconv_id bn(net* t, repconv_id x, int64_t c) {
  char buf[64];
  float* g = rnd((size_t)c, 0.5f, 1.5f);
  float* be = rnd((size_t)c, -0.3f, 0.3f);
  float* mu = rnd((size_t)c, -0.3f, 0.3f);
  float* var = rnd((size_t)c, 0.5f, 2.0f);
  repconv_id y;
  assert_int_equal(repconv_builder_batchnorm(t->b, nm(t, "bn", buf), x, g, be, mu, var, 1e-5f, &y), REPCONV_OK);
  free(g);
  free(be);
  free(mu);
  free(var);
  return y;
}

/* BN's bias value β − μγ/√(var+eps), as the BN-and-pad layers compute it. */
repconv_id bn_and_pad(net* t, repconv_id x, int64_t c, int p) {
  char buf[64];
  float* g = rnd((size_t)c, 0.5f, 1.5f);
  float* be = rnd((size_t)c, -0.3f, 0.3f);
  float* mu = rnd((size_t)c, -0.3f, 0.3f);
  float* var = rnd((size_t)c, 0.5f, 2.0f);
  float* pv = malloc((size_t)c * sizeof(float));
  assert_non_null(pv);
  for (int64_t i = 0; i < c; i++) pv[i] = (float)((double)be[i] - (double)mu[i] * g[i] / sqrt((double)var[i] + 1e-5));
  repconv_id y;
  assert_int_equal(repconv_builder_batchnorm(t->b, nm(t, "bn", buf), x, g, be, mu, var, 1e-5f, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_pad(t->b, nm(t, "bnpad", buf), y, p, p, p, p, pv, &y), REPCONV_OK);
  free(g);
  free(be);
  free(mu);
  free(var);
  free(pv);
  return y;
}

repconv_id add(net* t, repconv_id a, repconv_id b) {
  char buf[64];
  repconv_id y;
  assert_int_equal(repconv_builder_binary(t->b, nm(t, "add", buf), REPCONV_ADD, a, b, &y), REPCONV_OK);
  return y;
}

repconv_id relu(net* t, repconv_id a) {
  char buf[64];
  repconv_id y;
  assert_int_equal(repconv_builder_activation(t->b, nm(t, "relu", buf), REPCONV_RELU, a, 0, 0, &y), REPCONV_OK);
  return y;
}

/* ---------------------------------------------------------- checking */

repconv_model_t* finish_copy(net* t, int fold, repconv_id y) {
  (void)y;
  repconv_options_t* o;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_fold(o, fold), REPCONV_OK);
  /* Save and reload so the same graph can be finished twice (fold 0, then 1:
   * the second call removes the file). */
  repconv_model_t* m = NULL;
  char path[512];
  char file[64];
  snprintf(file, sizeof(file), "fold_net_%ld.rcm", (long)getpid()); /* test executables run in parallel */
  rc_test_tmp_path(file, path, sizeof(path));
  if (fold == 0) {
    if (repconv_builder_finish(t->b, o, &m) != REPCONV_OK) fail_msg("%s", repconv_last_error());
    assert_int_equal(repconv_model_save(m, path), REPCONV_OK);
  } else {
    if (repconv_model_load(path, o, &m) != REPCONV_OK) fail_msg("%s", repconv_last_error());
    remove(path);
  }
  repconv_options_destroy(o);
  return m;
}

float* run(repconv_model_t* m, const float* x, size_t* n_out) {
  repconv_tensor_info_t ii, oi;
  assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &oi), REPCONV_OK);
  size_t n = 1;
  for (int i = 0; i < oi.ndim; i++) n *= (size_t)oi.dims[i];
  float* y = malloc(n * sizeof(float));
  assert_non_null(y);
  repconv_session_t* s;
  assert_int_equal(repconv_session_create(m, NULL, &s), REPCONV_OK);
  repconv_tensor_t in = {ii.name, ii.ndim, {0}, (float*)x};
  repconv_tensor_t out = {oi.name, oi.ndim, {0}, y};
  memcpy(in.dims, ii.dims, sizeof(in.dims));
  memcpy(out.dims, oi.dims, sizeof(out.dims));
  if (repconv_session_run(s, &in, 1, &out, 1) != REPCONV_OK) fail_msg("%s", repconv_session_error(s));
  repconv_session_destroy(s);
  *n_out = n;
  return y;
}

double max_rel(const float* a, const float* b, size_t n) {
  double mag = 1e-3, err = 0;
  for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(b[i]));
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)a[i] - b[i]);
    if (!(e <= err)) err = e;
  }
  return err / mag;
}

/* Finishes the net as output y, folds, compares on input x (NULL: a random
 * one); *folded_y (if not NULL) gets the folded output. */
fold_result check_on(net* t, repconv_id y, const char* what, const float* x0, float** folded_y) {
  assert_int_equal(repconv_builder_output(t->b, y, "y"), REPCONV_OK);
  repconv_model_t* plain = finish_copy(t, 0, y);
  repconv_model_t* folded = finish_copy(t, 1, y);
  repconv_builder_destroy(t->b);
  size_t nx = (size_t)(t->n * t->c * t->h * t->w), n1, n2;
  float* x = rnd(nx, -1, 1);
  if (x0) memcpy(x, x0, nx * sizeof(float));
  float* y1 = run(plain, x, &n1);
  float* y2 = run(folded, x, &n2);
  assert_int_equal(n1, n2);
  fold_result r;
  memset(&r, 0, sizeof(r));
  r.rel = max_rel(y2, y1, n1);
  repconv_fold_summary_t fs;
  assert_int_equal(repconv_model_fold_summary(folded, &fs), REPCONV_OK);
  assert_int_equal(fs.folded, 1);
  r.convs_before = fs.convs_before;
  r.convs_after = fs.convs_after;
  for (int32_t i = 0; i < fs.regions; i++) {
    repconv_fold_region_t g;
    assert_int_equal(repconv_model_fold_region(folded, (size_t)i, &g), REPCONV_OK);
    r.cut_regions += !g.exact;
  }
  printf("  %-34s convs %d -> %d, cut regions %d, max rel diff %.2e\n", what, r.convs_before, r.convs_after,
         r.cut_regions, r.rel);
  if (!(r.rel <= FOLD_RTOL)) fail_msg("%s: folded differs from unfolded by %.3g relative", what, r.rel);
  free(x);
  free(y1);
  if (folded_y)
    *folded_y = y2;
  else
    free(y2);
  repconv_model_destroy(plain);
  r.folded = folded;
  return r;
}

/* Finishes the net as output y, folds, compares on a random input. */
fold_result check(net* t, repconv_id y, const char* what) { return check_on(t, y, what, NULL, NULL); }

void expect_convs(fold_result r, int after, int cuts) {
  if (r.convs_after != after) fail_msg("%d convs after folding, expected %d", r.convs_after, after);
  if (r.cut_regions != cuts) fail_msg("%d cut regions, expected %d", r.cut_regions, cuts);
  repconv_model_destroy(r.folded);
}

/* The only conv of a folded model: its attributes. */
const rc_node* only_conv(const repconv_model_t* m) {
  const rc_node* found = NULL;
  for (int32_t i = 0; i < m->g.n_nodes; i++) {
    if (m->g.nodes[i].op == RC_OP_CONV2D) {
      assert_null(found);
      found = &m->g.nodes[i];
    }
  }
  assert_non_null(found);
  return found;
}

/* Tests of Winograd chains (rc_wino_chain_nhwc, kernels/winograd/
 * wino_chain.c): a chain must give bitwise the output of its layers run one
 * by one with rc_wino_conv2d_nhwc over whole tensors (whose accuracy
 * test_winograd checks against float64), whatever the thread count, ISA,
 * block size, image size and padding. A random sweep of chains of 1–5 layers
 * mixes the three variants (bands of 2, 4, 6 and 12 rows), channel counts
 * around the vector widths, zero and asymmetric padding (layers that shrink
 * the image), images thinner than a tile and taller than many bands, batch 2,
 * every activation, and a last layer with a residual and a pixel shuffle;
 * some a few hundred columns wide, run in column slices (tiny L2 blocking);
 * each also with its input (and residual) read through bindings: a uint8
 * plane or floats, pixels and rows padded (with values no read may pick up).
 * Workspaces are allocated at exactly the size asked for, so ASan sees an
 * overrun of a ring or a block buffer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "kernels/thread/pool.h"

#include "kernels/winograd/wino.h"
#include "tests/support/test_util.h"

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

typedef struct layer_data {
  rc_wino_chain_layer l;
  float *w, *b, *slopes, *u;
  int pb, pr; /* bottom/right padding (implied by the shapes) */
} layer_data;

typedef struct chain_case {
  int n, batch, h, w;
  layer_data layer[5];
  float* residual;
  float* x;
  size_t nx, ny; /* floats of x and of the final output */
} chain_case;

static int rnd(rc_test_rng* r, int n) { return rc_test_rng_int(r, 0, n - 1); }

/* A random chain; returns 0 if some layer's output would be empty. */
/* wide: a few hundred columns and tiny L2 blocking, which the chain runs in
 * column slices (wino_chain.c, chain_slices). */
static int make_chain(chain_case* c, rc_test_rng* r, rc_wino_isa isa, int wide) {
  static const int chans[] = {1, 3, 8, 16, 17, 24};
  static const int heights[] = {1, 3, 5, 13, 40, 97};
  static const int widths[] = {1, 4, 7, 30}, wide_widths[] = {260, 397, 613, 1031};
  memset(c, 0, sizeof *c);
  c->n = 1 + rnd(r, 5);
  c->batch = 1 + rnd(r, 2);
  c->h = heights[rnd(r, wide ? 5 : 6)];
  c->w = wide ? wide_widths[rnd(r, 4)] : widths[rnd(r, 4)];
  int h = c->h, w = c->w, cin = chans[rnd(r, 6)];
  c->nx = (size_t)c->batch * h * w * cin;
  for (int k = 0; k < c->n; k++) {
    layer_data* L = &c->layer[k];
    rc_wino_conv_params* p = &L->l.p;
    const int last = k == c->n - 1;
    int cout = chans[rnd(r, 6)];
    const int shuffle = last && rnd(r, 3) == 0 ? 2 : 0;
    if (shuffle) cout = 4 * (1 + rnd(r, 3));
    const int pads[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {2, 1, 0, 1}, {1, 0, 2, 2}};
    const int* pd = pads[rnd(r, 4) == 0 ? 1 + rnd(r, 3) : 0];
    p->variant = (rc_wino_variant)rnd(r, RC_WINO_STRIDE1_COUNT);
    p->isa = isa;
    p->batch = c->batch;
    p->in_h = h;
    p->in_w = w;
    p->in_c = cin;
    p->pad_top = pd[0];
    p->pad_left = pd[1];
    L->pb = pd[2];
    L->pr = pd[3];
    p->out_h = h + pd[0] + pd[2] - 2;
    p->out_w = w + pd[1] + pd[3] - 2;
    p->out_c = cout;
    if (p->out_h < 1 || p->out_w < 1) return 0;
    p->activation = (rc_wino_activation)rnd(r, 4);
    p->act_min = -0.5f;
    p->act_max = 0.75f;
    p->l2_bytes = wide || rnd(r, 2) ? 8 << 10 : 0; /* tiny blocks: mid-row block starts */
    const size_t nw = (size_t)cout * cin * 9;
    L->w = xmalloc(nw * sizeof(float));
    L->b = xmalloc((size_t)cout * sizeof(float));
    L->slopes = xmalloc((size_t)cout * sizeof(float));
    /* Weights scaled so activations stay O(1) through the layers. */
    const float s = 1.0f / sqrtf((float)(9 * cin));
    rc_test_fill_uniform(r, L->w, nw, -s, s);
    rc_test_fill_uniform(r, L->b, (size_t)cout, -0.2f, 0.2f);
    rc_test_fill_uniform(r, L->slopes, (size_t)cout, -0.5f, 0.5f);
    p->prelu_slopes = L->slopes;
    L->u = xmalloc(rc_wino_filter_size(p->variant, (size_t)cout, (size_t)cin) * sizeof(float));
    rc_wino_filter_transform(p->variant, (size_t)cout, (size_t)cin, L->w, L->u);
    L->l.u = L->u;
    L->l.bias = rnd(r, 4) ? L->b : NULL;
    if (last) {
      const size_t pix = (size_t)c->batch * p->out_h * p->out_w;
      if (rnd(r, 2)) {
        p->residual_c = rnd(r, 2) ? 1 : cout;
        c->residual = xmalloc(pix * (size_t)p->residual_c * sizeof(float));
        rc_test_fill_uniform(r, c->residual, pix * (size_t)p->residual_c, -1.0f, 1.0f);
        p->residual = c->residual;
      }
      p->shuffle = shuffle;
      p->shuffle_crd = rnd(r, 2);
      c->ny = pix * (size_t)cout;
    }
    h = p->out_h;
    w = p->out_w;
    cin = cout;
  }
  c->x = xmalloc(c->nx * sizeof(float));
  rc_test_fill_uniform(r, c->x, c->nx, -1.0f, 1.0f);
  return 1;
}

static void free_chain(chain_case* c) {
  for (int k = 0; k < 5; k++) {
    free(c->layer[k].w);
    free(c->layer[k].b);
    free(c->layer[k].slopes);
    free(c->layer[k].u);
  }
  free(c->residual);
  free(c->x);
}

/* The layers one by one over whole tensors, on the caller's thread. */
static float* run_layers(const chain_case* c) {
  const float* x = c->x;
  float* y = NULL;
  for (int k = 0; k < c->n; k++) {
    const rc_wino_conv_params* p = &c->layer[k].l.p;
    const size_t ny = (size_t)p->batch * p->out_h * p->out_w * p->out_c;
    y = xmalloc(ny * sizeof(float));
    void* ws = xmalloc(rc_wino_workspace_size(p->variant, (size_t)p->in_c, (size_t)p->out_c, (size_t)p->out_w,
                                              p->l2_bytes, p->u_half != NULL));
    rc_wino_conv2d_nhwc(p, x, c->layer[k].l.u, c->layer[k].l.bias, y, ws, NULL);
    free(ws);
    if (k > 0) free((void*)x);
    x = y;
  }
  return y;
}

static rc_wino_chain_layer* chain_layers(const chain_case* c, rc_wino_chain_layer* out) {
  for (int k = 0; k < c->n; k++) out[k] = c->layer[k].l;
  return out;
}

/* The chain's input and residual in the caller's memory: bindings with
 * padded pixels and rows (kernels/common/convert.h), a uint8 plane
 * (quant: c->x is replaced by its values, px·scale + bias, first) or
 * floats. The buffers are freed by free_bound. */
typedef struct bound_io {
  rc_binding x, res;
  void *xbuf, *rbuf;
} bound_io;

static void bind_input(chain_case* c, rc_test_rng* r, int quant, bound_io* io) {
  const rc_wino_conv_params* p0 = &c->layer[0].l.p;
  const size_t h = (size_t)p0->in_h, w = (size_t)p0->in_w, ch = (size_t)p0->in_c;
  const size_t ps = ch + (size_t)rnd(r, 2), rs = w * ps + (size_t)rnd(r, 5), is = h * rs + (size_t)rnd(r, 3);
  memset(io, 0, sizeof *io);
  io->x.type = quant ? RC_ELEM_U8 : RC_ELEM_F32;
  io->x.pixel_stride = (ptrdiff_t)ps;
  io->x.channel_stride = 1;
  io->x.row_stride = (ptrdiff_t)rs;
  io->x.image_stride = (ptrdiff_t)is;
  io->x.scale = quant ? 1.0f / 255.0f : 1.0f;
  io->x.bias = quant ? -0.5f : 0.0f;
  const size_t n = is * (size_t)c->batch;
  io->xbuf = xmalloc(n * (quant ? 1 : sizeof(float)));
  io->x.base = io->xbuf;
  for (size_t e = 0; e < n; e++) { /* padding: values no read may pick up */
    if (quant) ((uint8_t*)io->xbuf)[e] = 0xEE;
    if (!quant) ((float*)io->xbuf)[e] = NAN;
  }
  for (size_t b = 0; b < (size_t)c->batch; b++)
    for (size_t y = 0; y < h; y++)
      for (size_t j = 0; j < w; j++)
        for (size_t k = 0; k < ch; k++) {
          const size_t at = b * is + y * rs + j * ps + k, e = ((b * h + y) * w + j) * ch + k;
          if (quant) {
            const uint8_t px = (uint8_t)rc_test_rng_u32(r);
            ((uint8_t*)io->xbuf)[at] = px;
            c->x[e] = rc_u8_to_float(px, io->x.scale, io->x.bias);
          } else {
            ((float*)io->xbuf)[at] = c->x[e];
          }
        }
  const rc_wino_conv_params* pl = &c->layer[c->n - 1].l.p;
  if (!pl->residual) return;
  const size_t rh = (size_t)pl->out_h, rw = (size_t)pl->out_w, rc = pl->residual_c > 1 ? (size_t)pl->out_c : 1;
  const size_t rrs = rw * rc + 2, nr = rh * rrs * (size_t)c->batch;
  io->res = (rc_binding){RC_ELEM_F32, NULL, (ptrdiff_t)(rh * rrs), (ptrdiff_t)rrs, (ptrdiff_t)rc, 1, 1.0f, 0.0f};
  io->rbuf = xmalloc(nr * sizeof(float));
  io->res.base = io->rbuf;
  for (size_t e = 0; e < nr; e++) ((float*)io->rbuf)[e] = NAN;
  for (size_t b = 0; b < (size_t)c->batch; b++)
    for (size_t y = 0; y < rh; y++)
      memcpy((float*)io->rbuf + b * rh * rrs + y * rrs, c->residual + (b * rh + y) * rw * rc, rw * rc * sizeof(float));
}

static void free_bound(bound_io* io) {
  free(io->xbuf);
  free(io->rbuf);
}

static void test_chain_sweep(void** state) {
  (void)state;
  static const rc_wino_isa isas[] = {
  /* the lines of kernels/winograd/wino_transform_ukernels.inc */
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa) RC_WINO_ISA_##ISA,
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS
  };
  rc_pool* pools[3] = {NULL, rc_pool_create(2), rc_pool_create(3)};
  assert_non_null(pools[1]);
  assert_non_null(pools[2]);
  rc_test_rng r;
  rc_test_rng_seed(&r, 2026);
  size_t runs = 0, layers = 0, multi = 0;
  size_t sliced = 0, by_slice = 0; /* runs whose threads take whole column slices (slices a multiple of them) */
  for (int i = 0; i < 460; i++) {
    const rc_wino_isa isa = isas[i % (sizeof isas / sizeof isas[0])];
    if (!rc_wino_isa_available(isa)) continue;
    chain_case c;
    if (!make_chain(&c, &r, isa, i >= 400)) {
      free_chain(&c);
      continue;
    }
    bound_io io;
    bind_input(&c, &r, i % 2, &io);
    float* want = run_layers(&c);
    rc_wino_chain_layer l[5];
    chain_layers(&c, l);
    float* got = xmalloc(c.ny * sizeof(float));
    sliced += rc_wino_chain_slices(l, (size_t)c.n) > 1;
    for (int t = 0; t < 6; t++) { /* 3 thread counts, from x (and residual), then through the bindings */
      const size_t threads = rc_pool_threads(pools[t % 3]);
      if (t >= 3) {
        l[0].p.load = &io.x;
        l[c.n - 1].p.residual_load = io.rbuf ? &io.res : NULL;
        l[c.n - 1].p.residual = NULL;
      }
      const size_t slice = rc_wino_chain_workspace_size(l, (size_t)c.n), slices = rc_wino_chain_slices(l, (size_t)c.n);
      assert_true(slice > 0);
      by_slice += threads > 1 && slices % threads == 0;
      void* ws = xmalloc(slice * threads);
      memset(ws, 0xff, slice * threads);              /* NaNs: no ring row or block may be read before it is written */
      for (size_t e = 0; e < c.ny; e++) got[e] = NAN; /* every output must be written */
      assert_int_equal(rc_wino_chain_nhwc(l, (size_t)c.n, t >= 3 ? NULL : c.x, got, ws, pools[t % 3]), 0);
      free(ws);
      for (size_t e = 0; e < c.ny; e++) {
        if (memcmp(&got[e], &want[e], sizeof(float)) != 0) {
          char desc[512];
          int len = snprintf(desc, sizeof desc, "%s batch %d %dx%d%s:", rc_wino_isa_name(isa), c.batch, c.h, c.w,
                             t < 3   ? ""
                             : i % 2 ? " (float bindings)"
                                     : " (uint8 input binding)");
          for (int k = 0; k < c.n && len > 0 && (size_t)len < sizeof desc; k++) {
            const rc_wino_conv_params* p = &l[k].p;
            len += snprintf(desc + len, sizeof desc - (size_t)len, " [%s C%d->%d pad %d,%d act %d%s%s]",
                            rc_wino_variant_name(p->variant), p->in_c, p->out_c, p->pad_top, p->pad_left,
                            (int)p->activation, p->residual || p->residual_load ? " res" : "",
                            p->shuffle ? " shuffle" : "");
          }
          fail_msg("chain %s, %zu threads: output [%zu] = %.9g, layer by layer %.9g", desc, threads, e, got[e],
                   want[e]);
        }
      }
      runs++;
    }
    layers += (size_t)c.n;
    multi += c.n > 1;
    free(got);
    free(want);
    free_bound(&io);
    free_chain(&c);
  }
  rc_pool_destroy(pools[1]);
  rc_pool_destroy(pools[2]);
  size_t n_isas = 0; /* the cases are dealt round the ISAs: those this CPU runs got them */
  for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) n_isas += rc_wino_isa_available(isas[k]) != 0;
  print_message(
      "chains: %zu runs, %zu layers, %zu chains of 2+ layers, %zu in column slices (%zu ISAs), %zu runs "
      "threaded by slice\n",
      runs, layers, multi, sliced, n_isas, by_slice);
  assert_true(multi > 7 * n_isas && sliced > 3 * n_isas && by_slice > n_isas);
}

/* Layer params of a padded ("same") 3x3 conv, batch 1, h×w, cin → cout. */
static void same_layer(rc_wino_conv_params* p, rc_wino_variant v, int h, int w, int cin, int cout) {
  p->variant = v;
  p->batch = 1;
  p->in_h = p->out_h = h;
  p->in_w = p->out_w = w;
  p->in_c = cin;
  p->out_c = cout;
  p->pad_top = p->pad_left = 1;
}

/* A tall image split between threads: the strips meet mid-image, after many
 * bands; the output still matches layer by layer. */
static void test_chain_tall(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 7);
  chain_case c;
  memset(&c, 0, sizeof c);
  /* A fixed SR-like body: 1→8 PReLU, 3×(8→8 PReLU), 8→4 + x, shuffle 2. */
  const int H = 203, W = 37, C[] = {1, 8, 8, 8, 8, 4};
  c.n = 5;
  c.batch = 1;
  c.h = H;
  c.w = W;
  c.nx = (size_t)H * W;
  c.x = xmalloc(c.nx * sizeof(float));
  rc_test_fill_uniform(&r, c.x, c.nx, 0.0f, 1.0f);
  c.residual = xmalloc(c.nx * sizeof(float));
  memcpy(c.residual, c.x, c.nx * sizeof(float));
  for (int k = 0; k < 5; k++) {
    layer_data* L = &c.layer[k];
    rc_wino_conv_params* p = &L->l.p;
    same_layer(p, k == 2 ? RC_WINO_F63 : k == 3 ? RC_WINO_F23 : RC_WINO_F43, H, W, C[k], C[k + 1]);
    p->isa = RC_WINO_ISA_AUTO;
    const size_t nw = (size_t)C[k + 1] * C[k] * 9;
    L->w = xmalloc(nw * sizeof(float));
    L->slopes = xmalloc((size_t)C[k + 1] * sizeof(float));
    L->b = xmalloc((size_t)C[k + 1] * sizeof(float));
    rc_test_fill_uniform(&r, L->w, nw, -0.3f, 0.3f);
    rc_test_fill_uniform(&r, L->slopes, (size_t)C[k + 1], 0.0f, 0.3f);
    rc_test_fill_uniform(&r, L->b, (size_t)C[k + 1], -0.1f, 0.1f);
    p->activation = k < 4 ? RC_WINO_ACT_PRELU : RC_WINO_ACT_NONE;
    p->prelu_slopes = L->slopes;
    L->u = xmalloc(rc_wino_filter_size(p->variant, (size_t)C[k + 1], (size_t)C[k]) * sizeof(float));
    rc_wino_filter_transform(p->variant, (size_t)C[k + 1], (size_t)C[k], L->w, L->u);
    L->l.u = L->u;
    L->l.bias = L->b;
  }
  c.layer[4].l.p.residual = c.residual;
  c.layer[4].l.p.residual_c = 1;
  c.layer[4].l.p.shuffle = 2;
  c.layer[4].l.p.shuffle_crd = 1;
  c.ny = (size_t)H * W * 4;
  float* want = run_layers(&c);
  rc_wino_chain_layer l[5];
  chain_layers(&c, l);
  const size_t slice = rc_wino_chain_workspace_size(l, 5);
  rc_pool* pool = rc_pool_create(2);
  void* ws = xmalloc(slice * 2);
  float* got = xmalloc(c.ny * sizeof(float));
  assert_int_equal(rc_wino_chain_nhwc(l, 5, c.x, got, ws, pool), 0);
  assert_memory_equal(got, want, c.ny * sizeof(float));
  /* Transient memory: rings of a few rows, so a taller image needs no more. */
  l[0].p.in_h = l[0].p.out_h = 4 * H;
  for (int k = 1; k < 5; k++) l[k].p.in_h = l[k].p.out_h = 4 * H;
  assert_int_equal(rc_wino_chain_workspace_size(l, 5), slice);
  free(got);
  free(ws);
  free(want);
  rc_pool_destroy(pool);
  free_chain(&c);
}

/* ecbsr-m4c16-x2's body (1→16, 4×16→16, 16→4) in variant v at h×w, a 1 MB
 * L2, planned for `threads` (chain_threads). */
static void sr_body(rc_wino_chain_layer* l, rc_wino_variant v, int h, int w, int threads) {
  const int C[] = {1, 16, 16, 16, 16, 16, 4};
  memset(l, 0, 6 * sizeof *l);
  for (int k = 0; k < 6; k++) {
    rc_wino_conv_params* p = &l[k].p;
    same_layer(p, v, h, w, C[k], C[k + 1]);
    p->l2_bytes = 1 << 20;
    p->chain_threads = threads;
  }
}

/* The per-thread workspace of an SR body (ecbsr-m4c16-x2: 1→16, 4×16→16,
 * 16→4 + x, shuffle 2; F(4,3); the default blocking of a 1 MB L2) stays
 * within 5 MiB at 1080p and 4K widths (column slices: rings within 4× the
 * L2; whole rows took 7.8 MB at 1920) and does not depend on the height.
 * Sizes only: no run. */
static void test_chain_workspace_bound(void** state) {
  (void)state;
  static const int widths[] = {1920, 3840}, heights[] = {1080, 2160};
  for (int i = 0; i < 2; i++) {
    rc_wino_chain_layer l[6];
    sr_body(l, RC_WINO_F43, heights[i], widths[i], 0);
    static const rc_binding b = {RC_ELEM_U8, NULL, 0, 0, 0, 0, 1.0f, 0.0f};
    l[0].p.load = &b;
    l[5].p.residual_load = &b;
    l[5].p.residual_c = 1;
    l[5].p.shuffle = 2;
    const size_t ws = rc_wino_chain_workspace_size(l, 6);
    print_message("%dx%d: %zu column slices, workspace %zu bytes per thread\n", widths[i], heights[i],
                  rc_wino_chain_slices(l, 6), ws);
    assert_true(ws > 0 && ws <= (size_t)5 << 20);
    assert_true(rc_wino_chain_slices(l, 6) >= (size_t)2 << i);
    for (int k = 0; k < 6; k++) l[k].p.in_h = l[k].p.out_h = 7;
    assert_int_equal(rc_wino_chain_workspace_size(l, 6), ws);
  }
}

/* The column slices (wino_chain.c, chain_slices) of the body in F(6,3):
 * rings of 18 rows, 5.5 MB at 960 columns and 11 MB at 1920. The budget is
 * 4 MiB (4× the L2) when planned for several threads, 8 MiB for one; an
 * odd count over 2 becomes even, so that 2 threads take whole slices: 1920
 * columns, 3 by the budget, run in 2. */
static void test_chain_slices(void** state) {
  (void)state;
  rc_wino_chain_layer l[6];
  static const struct {
    int h, w, threads;
    size_t slices;
  } cases[] = {{1080, 1920, 2, 2}, {1080, 1920, 0, 2}, {1080, 1920, 1, 2}, {540, 960, 2, 2}, {540, 960, 1, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sr_body(l, RC_WINO_F63, cases[i].h, cases[i].w, cases[i].threads);
    print_message("%dx%d planned for %d thread(s): %zu slices\n", cases[i].w, cases[i].h, cases[i].threads,
                  rc_wino_chain_slices(l, 6));
    assert_int_equal(rc_wino_chain_slices(l, 6), cases[i].slices);
    assert_true(rc_wino_chain_workspace_size(l, 6) > 0);
  }
}

/* Layers that do not connect are refused, and nothing is written. */
static void test_chain_refused(void** state) {
  (void)state;
  rc_wino_chain_layer l[2];
  memset(l, 0, sizeof l);
  for (int k = 0; k < 2; k++) same_layer(&l[k].p, RC_WINO_F43, 8, 8, 4, 4);
  float x[8 * 8 * 4] = {0}, y[8 * 8 * 4];
  char ws[1];
  l[1].p.in_c = 5; /* layer 0 makes 4 channels */
  assert_int_equal(rc_wino_chain_workspace_size(l, 2), 0);
  y[0] = 42.0f;
  assert_int_equal(rc_wino_chain_nhwc(l, 2, x, y, ws, NULL), -1);
  assert_true(y[0] == 42.0f);
  l[1].p.in_c = 4;
  l[0].p.shuffle = 2; /* only the last layer may shuffle */
  assert_int_equal(rc_wino_chain_workspace_size(l, 2), 0);
  l[0].p.shuffle = 0;
  l[1].p.in_h = 9;
  assert_int_equal(rc_wino_chain_workspace_size(l, 2), 0);
  l[1].p.in_h = 8;
  const rc_binding b = {RC_ELEM_F32, NULL, 0, 0, 0, 0, 1.0f, 0.0f};
  l[1].p.load = &b; /* only the first layer may load */
  assert_int_equal(rc_wino_chain_workspace_size(l, 2), 0);
  l[1].p.load = NULL;
  l[0].p.residual_load = &b; /* only the last layer may add a residual */
  assert_int_equal(rc_wino_chain_workspace_size(l, 2), 0);
  l[0].p.residual_load = NULL;
  assert_true(rc_wino_chain_workspace_size(l, 2) > 0);
  assert_int_equal(rc_wino_chain_workspace_size(l, 0), 0);
  assert_int_equal(rc_wino_chain_workspace_size(l, RC_WINO_CHAIN_MAX + 1), 0);
}

int main(void) {
  /* clang-format off */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_sweep),
      cmocka_unit_test(test_chain_tall),
      cmocka_unit_test(test_chain_refused),
      cmocka_unit_test(test_chain_workspace_bound),
      cmocka_unit_test(test_chain_slices),
  };
  /* clang-format on */
  return cmocka_run_group_tests(tests, NULL, NULL);
}

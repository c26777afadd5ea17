/* Winograd chains: n stride-1 3x3 convs, each reading the one before, run
 * band by band down the image so that no activation between them is
 * materialised (wino.h explains the contract).
 *
 * Per thread and image, layer k computes the tile rows [lo_k, hi_k) that its
 * strip needs (worked out backwards from the last layer's strip). Layer k < L
 * writes into a ring of R_k row slots; layer k + 1 reads its input rows from
 * that ring through row pointers (the input transform takes one pointer per
 * window row). The schedule makes passes over the layers; in each pass layer
 * k runs up to one band of B output rows (B = the lcm of the chain's tile
 * sides, so every layer advances whole tile rows) when
 *   - its input rows are in layer k − 1's ring (or in x), and
 *   - writing them would not overwrite ring rows layer k + 1 still needs.
 * A ring of R_k = round_up(m_{k+1} + 2 + B, m_k) rows always lets the lagging
 * layer catch up and the leading one run a whole band, so the passes never
 * stall (checked: a pass without progress is an internal error). Rings hold
 * whole tile rows (R_k is a multiple of m_k), so a tile's stores never wrap. */
#include <stdatomic.h>
#include <string.h>

#include "kernels/winograd/wino.h"
#include "kernels/winograd/wino_run.h"

static size_t round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }
static size_t gcd(size_t a, size_t b) {
  while (b) {
    const size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* The band: the lcm of the layers' tile sides. */
static size_t chain_band(const rc_wino_chain_layer* l, size_t n) {
  size_t b = 1;
  for (size_t k = 0; k < n; k++) {
    const size_t m = (size_t)rc_wino_tile_m(l[k].p.variant);
    b = b / gcd(b, m) * m;
  }
  return b;
}

static size_t ring_rows(const rc_wino_chain_layer* l, size_t n, size_t k) {
  const size_t m = (size_t)rc_wino_tile_m(l[k].p.variant), m1 = (size_t)rc_wino_tile_m(l[k + 1].p.variant);
  return round_up(m1 + 2 + chain_band(l, n), m);
}

static size_t ring_floats(const rc_wino_chain_layer* l, size_t n, size_t k) {
  return round_up(ring_rows(l, n, k) * (size_t)l[k].p.out_w * (size_t)l[k].p.out_c, RC_WINO_WS_ALIGN / sizeof(float));
}

static int connected(const rc_wino_chain_layer* l, size_t n) {
  if (n < 1 || n > RC_WINO_CHAIN_MAX) return 0;
  for (size_t k = 0; k < n; k++) {
    const rc_wino_conv_params* p = &l[k].p;
    if ((unsigned)p->variant >= RC_WINO_VARIANT_COUNT || p->batch <= 0 || p->in_h <= 0 || p->in_w <= 0 ||
        p->in_c <= 0 || p->out_h <= 0 || p->out_w <= 0 || p->out_c <= 0 || p->pad_top < 0 || p->pad_left < 0)
      return 0;
    if (k + 1 == n) break;
    const rc_wino_conv_params* q = &l[k + 1].p;
    if (p->residual || p->shuffle > 1 || p->store || q->batch != p->batch || q->in_h != p->out_h ||
        q->in_w != p->out_w || q->in_c != p->out_c)
      return 0;
  }
  return 1;
}

size_t rc_wino_chain_workspace_size(const rc_wino_chain_layer* l, size_t n) {
  if (!connected(l, n)) return 0;
  size_t bytes = RC_WINO_WS_ALIGN, block = 0;
  for (size_t k = 0; k < n; k++) {
    if (k + 1 < n) bytes += ring_floats(l, n, k) * sizeof(float);
    const rc_wino_conv_params* p = &l[k].p;
    const size_t ws =
        rc_wino_workspace_size(p->variant, (size_t)p->in_c, (size_t)p->out_c, (size_t)p->out_w, p->l2_bytes);
    if (ws > block) block = ws;
  }
  return round_up(bytes + block, RC_WINO_WS_ALIGN);
}

typedef struct chain_ctx {
  const rc_wino_chain_layer* l;
  size_t n, parts, slice_bytes, band;
  const float* x;
  float* y;
  char* ws;
  atomic_int failed; /* set by a task whose schedule stalled (never expected) */
} chain_ctx;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Strip `part` of every image on this thread, in workspace slice `part`. */
static void chain_task(void* arg, size_t part) {
  chain_ctx* cc = arg;
  const size_t n = cc->n, last = n - 1;
  rc_wino_run run[RC_WINO_CHAIN_MAX];
  int64_t m[RC_WINO_CHAIN_MAX], pt[RC_WINO_CHAIN_MAX], hin[RC_WINO_CHAIN_MAX], ring[RC_WINO_CHAIN_MAX];
  int64_t lo[RC_WINO_CHAIN_MAX], hi[RC_WINO_CHAIN_MAX], done[RC_WINO_CHAIN_MAX];
  float* slice = rc_wino_align_ws(cc->ws + part * cc->slice_bytes);
  float* rings = slice;
  for (size_t k = 0; k < last; k++) slice += ring_floats(cc->l, n, k);
  for (size_t k = 0; k < n; k++) {
    const rc_wino_chain_layer* L = &cc->l[k];
    const float* x = k == 0 ? cc->x : run[k - 1].y;
    float* y = cc->y;
    if (k < last) {
      y = rings;
      rings += ring_floats(cc->l, n, k);
    }
    rc_wino_run_init(&run[k], &L->p, x, L->u, L->bias, y, slice);
    run[k].x_ring = k == 0 ? 0 : (size_t)ring[k - 1];
    ring[k] = k < last ? (int64_t)ring_rows(cc->l, n, k) : 0;
    run[k].y_ring = (size_t)ring[k];
    m[k] = (int64_t)run[k].tile_m;
    pt[k] = L->p.pad_top;
    hin[k] = L->p.in_h;
  }
  /* Tile rows per layer, backwards from the last layer's strip. */
  const int64_t rows_last = (int64_t)run[last].tiles_h, parts = (int64_t)cc->parts;
  lo[last] = rows_last * (int64_t)part / parts;
  hi[last] = rows_last * ((int64_t)part + 1) / parts;
  if (lo[last] >= hi[last]) return;
  for (size_t k = last; k > 0; k--) {
    const int64_t a = max64(0, lo[k] * m[k] - pt[k]), b = min64(hin[k], hi[k] * m[k] + 2 - pt[k]);
    lo[k - 1] = a < b ? a / m[k - 1] : 0;
    hi[k - 1] = a < b ? (b + m[k - 1] - 1) / m[k - 1] : 0;
  }
  for (size_t img = 0; img < (size_t)cc->l[0].p.batch; img++) {
    for (size_t k = 0; k < n; k++) done[k] = lo[k];
    while (done[last] < hi[last]) {
      int progressed = 0;
      for (size_t k = 0; k < n; k++) {
        const int64_t start = done[k], cap = (int64_t)cc->band / m[k];
        while (done[k] < hi[k] && done[k] - start < cap) {
          const int64_t t = done[k];
          if (k > 0) { /* its input rows are written */
            const int64_t need = min64(hin[k], (t + 1) * m[k] + 2 - pt[k]);
            const int64_t have = done[k - 1] == hi[k - 1] ? hin[k] : min64(hin[k], done[k - 1] * m[k - 1]);
            if (need > have) break;
          }
          if (k < last && done[k + 1] < hi[k + 1]) { /* the rows the next layer still needs stay */
            const int64_t keep = max64(0, done[k + 1] * m[k + 1] - pt[k + 1]);
            if ((t + 1) * m[k] - ring[k] > keep) break;
          }
          done[k]++;
        }
        if (done[k] > start) {
          const size_t base = img * run[k].tiles_per_image, tw = run[k].tiles_w;
          rc_wino_run_range(&run[k], base + (size_t)start * tw, base + (size_t)done[k] * tw);
          progressed = 1;
        }
      }
      if (!progressed) {
        atomic_store(&cc->failed, 1);
        return;
      }
    }
  }
}

int rc_wino_chain_nhwc(const rc_wino_chain_layer* l, size_t n, const float* x, float* y, void* workspace,
                       pthreadpool_t pool) {
  const size_t slice = rc_wino_chain_workspace_size(l, n);
  if (!slice) return -1;
  const size_t m_last = (size_t)rc_wino_tile_m(l[n - 1].p.variant);
  const size_t rows_last = ((size_t)l[n - 1].p.out_h + m_last - 1) / m_last;
  const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
  /* Strips of at least 4 tile rows: thinner ones recompute too much. */
  size_t parts = threads < 1 ? 1 : threads;
  if (parts > rows_last / 4) parts = rows_last / 4 ? rows_last / 4 : 1;
  chain_ctx cc = {l, n, parts, slice, chain_band(l, n), x, y, workspace, 0};
  atomic_init(&cc.failed, 0);
  if (parts == 1) {
    chain_task(&cc, 0);
  } else {
    pthreadpool_parallelize_1d(pool, chain_task, &cc, parts, 0);
  }
  return atomic_load(&cc.failed) ? -1 : 0;
}

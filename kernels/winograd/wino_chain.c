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
 * whole tile rows (R_k is a multiple of m_k), so a tile's stores never wrap.
 * At large widths the strip runs in column slices (chain_slices), each
 * through the same schedule, the ring slots then holding a slice's columns.
 * A first layer with a load binding converts its input rows as it reaches
 * them (wino.c, fill_rows): no float input is materialised either. */
#include <stdatomic.h>
#include <string.h>

#include "kernels/common/size.h"
#include "kernels/winograd/wino.h"
#include "kernels/winograd/wino_run.h"

static int connected(const rc_wino_chain_layer* l, size_t n);
static size_t chain_slices(const rc_wino_chain_layer* l, size_t n);
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
  return rc_round_up(m1 + 2 + chain_band(l, n), m);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* The tiles [lo[k], hi[k]) each layer computes so that the last layer's
 * tiles [lo[n-1], hi[n-1]) get their inputs: rows (vertical, pads the top)
 * or columns (pads the left); m: tile sides, pad and in: each layer's. */
static void span_back(size_t n, const int64_t* m, const int64_t* pad, const int64_t* in, int64_t* lo, int64_t* hi) {
  for (size_t k = n - 1; k > 0; k--) {
    const int64_t a = max64(0, lo[k] * m[k] - pad[k]), b = min64(in[k], hi[k] * m[k] + 2 - pad[k]);
    lo[k - 1] = a < b ? a / m[k - 1] : 0;
    hi[k - 1] = a < b ? (b + m[k - 1] - 1) / m[k - 1] : 0;
  }
}

/* Column slices: at large widths the rings would outgrow the caches, and
 * every thread holds them (1920 columns of 16 channels: 1.5 MB a ring), so
 * each strip runs in vertical slices of the last layer's tile columns, the
 * layers before it widened by the columns their tiles read (that overlap
 * is computed twice: about a tile a side per layer back; tiles stay on the
 * unsliced grid, so every value is bitwise the same). As many slices as
 * keep the rings within RING_L2 × the L2 size (l2_bytes of the last layer,
 * as its blocking), none narrower than SLICE_TILES tiles per layer of the
 * chain (the overlap stays a small part). 4, not 2: fewer, wider slices
 * compute less overlap, and rings beyond L2 come from L3 fast enough
 * (Zen 5, ECBSR-M4C16 x2 in F(6,3), alternated steady runs: 1080x1920
 * input 4 → 2 slices, 1 thread 106–110 → 99–102 ms, 2 threads 55.7–55.8
 * → 49.8–51.5; 2160x3840 10 → 6, 440–455 → 412–425 and 225–230 →
 * 210–224; 540x960 2 slices either way). Twice that for a chain planned
 * for one thread (chain_threads 1), whose rings have the L3 to themselves:
 * 540x960 2 → 1 slice, 1 thread 25.15–25.29 → 23.26–23.67 ms; 2160x3840
 * 6 → 2, 402–405 → 389–395; on 2 threads those wider rings lost at
 * 2160x3840 (202–218 → 211–255 ms: two threads' 11 MB of rings in L3). */
#define RC_WINO_CHAIN_RING_L2 4
#define RC_WINO_CHAIN_SLICE_TILES 8

size_t rc_wino_chain_slices(const rc_wino_chain_layer* l, size_t n) { return connected(l, n) ? chain_slices(l, n) : 0; }

static size_t chain_slices(const rc_wino_chain_layer* l, size_t n) {
  size_t bytes = 0;
  for (size_t k = 0; k + 1 < n; k++) bytes += ring_rows(l, n, k) * (size_t)l[k].p.out_w * (size_t)l[k].p.out_c * 4;
  const rc_wino_conv_params* p = &l[n - 1].p;
  const size_t m = (size_t)rc_wino_tile_m(p->variant), tw = ((size_t)p->out_w + m - 1) / m;
  const size_t ring_l2 = RC_WINO_CHAIN_RING_L2 * (p->chain_threads == 1 ? 2 : 1);
  const size_t budget = ring_l2 * (p->l2_bytes ? p->l2_bytes : rc_wino_default_l2_bytes());
  size_t s = (bytes + budget - 1) / budget;
  if (s > tw / (RC_WINO_CHAIN_SLICE_TILES * n)) s = tw / (RC_WINO_CHAIN_SLICE_TILES * n);
  /* An even count rather than an odd one over 2: then 2 (or 4) threads
   * take whole slices instead of strips that add row halos to the slices'
   * column halos (rc_wino_chain_nhwc), whose cost outweighs rings half a
   * slice wider. ECBSR-M4C16 x2, Zen 5, alternated steady runs, 3 → 2
   * slices: at 1080x1920 (budget 4× L2) 2 threads 54.6–56.0 → 50.8–53.3
   * ms, 1 thread 103.4–105.2 → 101.5–102.2; at 540x960 (budget 2× L2)
   * 13.50–13.94 → 13.25–13.46 and 25.03–26.87 → 24.98–26.17. The slice
   * count cannot follow the run's threads: the plan sizes the rings. */
  if (s > 2 && s % 2) s--;
  return s ? s : 1;
}

/* The tile columns [lo[k], hi[k]) of every layer for slice s of `slices`. */
static void slice_cols(const rc_wino_chain_layer* l, size_t n, size_t s, size_t slices, int64_t* lo, int64_t* hi) {
  int64_t m[RC_WINO_CHAIN_MAX], pad[RC_WINO_CHAIN_MAX], in[RC_WINO_CHAIN_MAX];
  for (size_t k = 0; k < n; k++) {
    m[k] = rc_wino_tile_m(l[k].p.variant);
    pad[k] = l[k].p.pad_left;
    in[k] = l[k].p.in_w;
  }
  const int64_t tw = (l[n - 1].p.out_w + m[n - 1] - 1) / m[n - 1];
  lo[n - 1] = tw * (int64_t)s / (int64_t)slices;
  hi[n - 1] = tw * ((int64_t)s + 1) / (int64_t)slices;
  span_back(n, m, pad, in, lo, hi);
}

/* Columns a ring row of layer k holds: its widest slice's. */
static size_t ring_cols(const rc_wino_chain_layer* l, size_t n, size_t k) {
  const size_t slices = chain_slices(l, n), m = (size_t)rc_wino_tile_m(l[k].p.variant);
  if (slices == 1) return (size_t)l[k].p.out_w;
  size_t w = 0;
  for (size_t s = 0; s < slices; s++) {
    int64_t lo[RC_WINO_CHAIN_MAX], hi[RC_WINO_CHAIN_MAX];
    slice_cols(l, n, s, slices, lo, hi);
    const size_t ws = (size_t)(hi[k] - lo[k]) * m;
    if (ws > w) w = ws;
  }
  return w;
}

static size_t ring_floats(const rc_wino_chain_layer* l, size_t n, size_t k) {
  return rc_round_up(ring_rows(l, n, k) * ring_cols(l, n, k) * (size_t)l[k].p.out_c, RC_WINO_WS_ALIGN / sizeof(float));
}

static int connected(const rc_wino_chain_layer* l, size_t n) {
  if (n < 1 || n > RC_WINO_CHAIN_MAX) return 0;
  for (size_t k = 0; k < n; k++) {
    const rc_wino_conv_params* p = &l[k].p;
    if ((unsigned)p->variant >= RC_WINO_VARIANT_COUNT || rc_wino_stride(p->variant) != 1 || p->batch <= 0 ||
        p->in_h <= 0 || p->in_w <= 0 || p->in_c <= 0 || p->out_h <= 0 || p->out_w <= 0 || p->out_c <= 0 ||
        p->pad_top < 0 || p->pad_left < 0)
      return 0;
    if (k + 1 == n) break;
    const rc_wino_conv_params* q = &l[k + 1].p;
    if (p->residual || p->residual_load || p->shuffle > 1 || p->store || q->load || q->batch != p->batch ||
        q->in_h != p->out_h || q->in_w != p->out_w || q->in_c != p->out_c)
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
    const size_t ws = rc_wino_slice_bytes(p); /* the first layer's with its input rows (load) */
    if (ws > block) block = ws;
  }
  return rc_round_up(bytes + block, RC_WINO_WS_ALIGN);
}

typedef struct chain_ctx {
  const rc_wino_chain_layer* l;
  size_t n, parts, slice_bytes, band, slices;
  int by_slice; /* parts are column slices of whole height, not strips running every slice */
  const float* x;
  float* y;
  char* ws;
  atomic_int failed; /* set by a task whose schedule stalled (never expected) */
} chain_ctx;

/* Strip `part` of every image (or with by_slice, column slice `part` of
 * the whole height), in the workspace slice of the thread that claimed it
 * (parts are claimed dynamically: a descheduled thread's part is taken by
 * another). */
static void chain_task(void* arg, size_t part, size_t thread) {
  chain_ctx* cc = arg;
  const size_t n = cc->n, last = n - 1;
  rc_wino_run run[RC_WINO_CHAIN_MAX];
  int64_t m[RC_WINO_CHAIN_MAX], pt[RC_WINO_CHAIN_MAX], hin[RC_WINO_CHAIN_MAX], ring[RC_WINO_CHAIN_MAX];
  int64_t lo[RC_WINO_CHAIN_MAX], hi[RC_WINO_CHAIN_MAX], done[RC_WINO_CHAIN_MAX];
  int64_t clo[RC_WINO_CHAIN_MAX], chi[RC_WINO_CHAIN_MAX];
  size_t cols[RC_WINO_CHAIN_MAX];
  float* slice = rc_wino_align_ws(cc->ws + thread * cc->slice_bytes);
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
    cols[k] = k < last ? ring_cols(cc->l, n, k) : 0;
    if (k < last) run[k].y_row = cols[k] * (size_t)L->p.out_c;
    if (k > 0) run[k].x_row = cols[k - 1] * (size_t)L->p.in_c;
    m[k] = (int64_t)run[k].tile_m;
    pt[k] = L->p.pad_top;
    hin[k] = L->p.in_h;
  }
  /* Tile rows per layer, backwards from the last layer's strip. */
  const int64_t rows_last = (int64_t)run[last].tiles_h, strips = cc->by_slice ? 1 : (int64_t)cc->parts;
  const int64_t strip = cc->by_slice ? 0 : (int64_t)part;
  const size_t sl0 = cc->by_slice ? part : 0, sl1 = cc->by_slice ? part + 1 : cc->slices;
  lo[last] = rows_last * strip / strips;
  hi[last] = rows_last * (strip + 1) / strips;
  if (lo[last] >= hi[last]) return;
  span_back(n, m, pt, hin, lo, hi);
  for (size_t img = 0; img < (size_t)cc->l[0].p.batch; img++)
    for (size_t sl = sl0; sl < sl1; sl++) {
      slice_cols(cc->l, n, sl, cc->slices, clo, chi);
      for (size_t k = 0; k < n; k++) { /* ring slots hold this slice's columns */
        if (k < last) run[k].y_col0 = (size_t)clo[k] * (size_t)m[k];
        if (k > 0) run[k].x_col0 = run[k - 1].y_col0;
      }
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
            if (cc->slices == 1) { /* whole rows: one range */
              rc_wino_run_range(&run[k], base + (size_t)start * tw, base + (size_t)done[k] * tw);
            } else {
              for (int64_t t = start; t < done[k]; t++)
                rc_wino_run_range(&run[k], base + (size_t)t * tw + (size_t)clo[k],
                                  base + (size_t)t * tw + (size_t)chi[k]);
            }
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
                       rc_pool* pool) {
  const size_t slice = rc_wino_chain_workspace_size(l, n);
  if (!slice) return -1;
  const size_t m_last = (size_t)rc_wino_tile_m(l[n - 1].p.variant);
  const size_t rows_last = ((size_t)l[n - 1].p.out_h + m_last - 1) / m_last;
  const size_t threads = rc_pool_threads(pool);
  const size_t slices = chain_slices(l, n);
  /* With column slices a multiple of the threads, each thread runs whole
   * slices: strips would compute their row halos on top of the slices'
   * column halos. Otherwise strips of at least 4 tile rows: thinner ones
   * recompute too much. */
  const int by_slice = threads > 1 && slices % threads == 0;
  size_t parts = by_slice ? slices : threads < 1 ? 1 : threads;
  if (!by_slice && parts > rows_last / 4) parts = rows_last / 4 ? rows_last / 4 : 1;
  chain_ctx cc = {l, n, parts, slice, chain_band(l, n), slices, by_slice, x, y, workspace, 0};
  atomic_init(&cc.failed, 0);
  rc_pool_parallelize(pool, chain_task, &cc, parts);
  return atomic_load(&cc.failed) ? -1 : 0;
}

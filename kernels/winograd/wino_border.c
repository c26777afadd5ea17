/* Border tiles (wino_ukernels.h): which axes of a conv end in a nested
 * variant, the positions it uses, where each tile of a block lies, and the
 * ranges of tiles each position's GEMM runs over (wino_run.h). */
#include "kernels/winograd/wino_matrices.h"
#include "kernels/winograd/wino_run.h"

size_t rc_wino_border_axis(rc_wino_variant v, size_t out) {
  const size_t r = out % (size_t)rc_wino_tile_m(v);
  if (v == RC_WINO_F23 || v == RC_WINO_F23S2) return r == 1 ? RC_WINO_AXIS_N1 : RC_WINO_AXIS_FULL;
  if (v != RC_WINO_F43 && v != RC_WINO_F63) return RC_WINO_AXIS_FULL;
  return r == 1 || r == 2                         ? RC_WINO_AXIS_N2
         : v == RC_WINO_F63 && (r == 3 || r == 4) ? RC_WINO_AXIS_N4
                                                  : RC_WINO_AXIS_FULL;
}

/* The positions (of the parent's α) a nested axis kind uses; n of them. */
static const int* nested_positions(rc_wino_variant v, size_t kind, size_t* n) {
  static const int p23n1[] = RC_WINO23N1_POS_INIT, p43n2[] = RC_WINO43N2_POS_INIT, p63n2[] = RC_WINO63N2_POS_INIT,
                   p63n4[] = RC_WINO63N4_POS_INIT, p23s2n1[] = RC_WINO23S2N1_POS_INIT;
  *n = kind == RC_WINO_AXIS_N4 ? 6 : kind == RC_WINO_AXIS_N1 ? 3 : 4;
  return v == RC_WINO_F23          ? p23n1
         : v == RC_WINO_F23S2      ? p23s2n1
         : v == RC_WINO_F43        ? p43n2
         : kind == RC_WINO_AXIS_N4 ? p63n4
                                   : p63n2;
}

size_t rc_wino_axis_points(rc_wino_variant v, size_t out) {
  const size_t m = (size_t)rc_wino_tile_m(v), a = (size_t)rc_wino_tile_alpha(v), kind = rc_wino_border_axis(v, out);
  size_t n = a;
  if (kind != RC_WINO_AXIS_FULL) nested_positions(v, kind, &n);
  return (out + m - 1) / m * a - (a - n);
}

/* The tile classes, in the order of V's and M's rows. */
enum { CLS_BOTTOM, CLS_INNER, CLS_RIGHT, CLS_CORNER };

/* The shape of the border: sh, sw whether the last tile row, column is
 * nested; hf, wf the tile rows, columns that are not. */
typedef struct grid {
  size_t w, tpi, sh, sw, hf, wf;
} grid;

static grid grid_of(const rc_wino_run* c) {
  const size_t sh = c->by != RC_WINO_AXIS_FULL, sw = c->bx != RC_WINO_AXIS_FULL;
  const grid q = {c->tiles_w, c->tiles_per_image, sh, sw, c->tiles_h - sh, c->tiles_w - sw};
  return q;
}

/* The tiles of class k before tile g (raster order over the batch). */
static size_t before(const grid* q, size_t k, size_t g) {
  const size_t n = g / q->tpi, ty = g % q->tpi / q->w, tx = g % q->tpi % q->w;
  const size_t rows = ty < q->hf ? ty : q->hf, cols = tx < q->wf ? tx : q->wf;
  switch (k) {
    case CLS_BOTTOM: return q->sh * (n * q->wf + (ty == q->hf ? cols : 0));
    case CLS_INNER: return n * q->hf * q->wf + (ty < q->hf ? ty * q->wf + cols : q->hf * q->wf);
    case CLS_RIGHT: return q->sw * (n * q->hf + rows);
    default: return q->sh * q->sw * n;
  }
}

/* Tile number i of class k (raster order over the batch). */
static rc_wino_tile nth(const grid* q, size_t k, size_t i) {
  rc_wino_tile p = {0, q->hf, q->wf, RC_WINO_AXIS_FULL, RC_WINO_AXIS_FULL};
  switch (k) {
    case CLS_BOTTOM: p.n = i / q->wf, p.tx = i % q->wf; break;
    case CLS_INNER: p.n = i / (q->hf * q->wf), p.ty = i % (q->hf * q->wf) / q->wf, p.tx = i % q->wf; break;
    case CLS_RIGHT: p.n = i / q->hf, p.ty = i % q->hf; break;
    default: p.n = i;
  }
  return p;
}

/* The tiles of each class in one image. */
static void image_classes(const grid* q, size_t cnt[4]) {
  cnt[CLS_BOTTOM] = q->sh * q->wf;
  cnt[CLS_INNER] = q->hf * q->wf;
  cnt[CLS_RIGHT] = q->sw * q->hf;
  cnt[CLS_CORNER] = q->sh * q->sw;
}

/* The class of row t of rows holding cnt[k] tiles of each class in order;
 * *t becomes its place in the class. */
static size_t class_of_row(const size_t cnt[4], size_t* t) {
  size_t k = 0;
  while (k < 3 && *t >= cnt[k]) *t -= cnt[k++];
  return k;
}

/* The rows [lo, *hi) of the tiles that use a position, of rows holding
 * cnt[k] tiles of each class in order: the interior ones, the bottom row's
 * if iy (the position's row is among its nested points), the right
 * column's if ix, the corner's if both. */
static size_t users(const size_t cnt[4], int iy, int ix, size_t* hi) {
  *hi = cnt[CLS_BOTTOM] + cnt[CLS_INNER] + (ix ? cnt[CLS_RIGHT] + (iy ? cnt[CLS_CORNER] : 0) : 0);
  return iy ? 0 : cnt[CLS_BOTTOM];
}

void rc_wino_block_classes(rc_wino_run* c) {
  const grid q = grid_of(c);
  for (size_t k = 0; k < 4; k++) {
    c->class_before[k] = before(&q, k, c->first);
    c->class_count[k] = before(&q, k, c->first + c->count) - c->class_before[k];
  }
}

size_t rc_wino_slot_border(const rc_wino_run* c, size_t j) {
  const grid q = grid_of(c);
  const size_t g = c->first + j, r = g % q.tpi;
  const size_t k = q.sh && r / q.w == q.hf   ? (q.sw && r % q.w == q.wf ? CLS_CORNER : CLS_BOTTOM)
                   : q.sw && r % q.w == q.wf ? CLS_RIGHT
                                             : CLS_INNER;
  size_t slot = before(&q, k, g) - c->class_before[k];
  for (size_t i = 0; i < k; i++) slot += c->class_count[i];
  return slot;
}

rc_wino_tile rc_wino_tile_at_border(const rc_wino_run* c, size_t t) {
  const grid q = grid_of(c);
  rc_wino_tile p;
  if (c->grouped == RC_WINO_GROUP_BLOCK) {
    const size_t k = class_of_row(c->class_count, &t);
    p = nth(&q, k, c->class_before[k] + t);
  } else { /* per image */
    size_t cnt[4], r = (c->first + t) % q.tpi;
    image_classes(&q, cnt);
    const size_t k = class_of_row(cnt, &r);
    p = nth(&q, k, (c->first + t) / q.tpi * cnt[k] + r);
  }
  p.ky = q.sh && p.ty == q.hf ? c->by : RC_WINO_AXIS_FULL;
  p.kx = q.sw && p.tx == q.wf ? c->bx : RC_WINO_AXIS_FULL;
  return p;
}

/* The tiles that use position xi from tile pos on (wino_run.h): one range
 * of the block's tiles, or of each image's, in the class order (users). */
size_t rc_wino_xi_next_border(const rc_wino_run* c, size_t xi, size_t pos, size_t* end) {
  int iy = c->by == RC_WINO_AXIS_FULL, ix = c->bx == RC_WINO_AXIS_FULL;
  size_t n;
  const int* py = iy ? NULL : nested_positions(c->variant, c->by, &n);
  for (size_t k = 0; py && k < n; k++) iy |= (size_t)py[k] == xi / c->alpha;
  const int* px = ix ? NULL : nested_positions(c->variant, c->bx, &n);
  for (size_t k = 0; px && k < n; k++) ix |= (size_t)px[k] == xi % c->alpha;
  size_t hi;
  if (c->grouped == RC_WINO_GROUP_BLOCK) {
    const size_t lo = users(c->class_count, iy, ix, &hi), t0 = pos > lo ? pos : lo;
    if (t0 >= hi) return c->count;
    *end = hi;
    return t0;
  }
  const grid q = grid_of(c);
  size_t cnt[4];
  image_classes(&q, cnt);
  const size_t lo = users(cnt, iy, ix, &hi);
  if (lo == hi) return c->count; /* a nested row or column alone, xi not among its points */
  for (size_t g = c->first + pos; g < c->first + c->count;) {
    const size_t base = g - g % q.tpi, r = g % q.tpi;
    if (r >= hi) { /* the next image */
      g = base + q.tpi;
      continue;
    }
    const size_t t0 = (r > lo ? g : base + lo) - c->first, t1 = base + hi - c->first;
    if (t0 >= c->count) break;
    *end = t1 < c->count ? t1 : c->count;
    return t0;
  }
  return c->count;
}

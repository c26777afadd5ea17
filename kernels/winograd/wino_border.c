/* Border tiles (wino_ukernels.h): which axes of a conv end in a nested
 * variant, the positions it uses, where each tile of a block lies, and the
 * ranges of tiles each position's GEMM runs over (wino_run.h). */
#include "kernels/winograd/wino_matrices.h"
#include "kernels/winograd/wino_run.h"

size_t rc_wino_border_axis(rc_wino_variant v, size_t out) {
  const size_t r = out % (size_t)rc_wino_tile_m(v);
  if (v != RC_WINO_F43 && v != RC_WINO_F63) return RC_WINO_AXIS_FULL;
  return r == 1 || r == 2                         ? RC_WINO_AXIS_N2
         : v == RC_WINO_F63 && (r == 3 || r == 4) ? RC_WINO_AXIS_N4
                                                  : RC_WINO_AXIS_FULL;
}

/* The positions (of the parent's α) a nested axis kind uses; n of them. */
static const int* nested_positions(rc_wino_variant v, size_t kind, size_t* n) {
  static const int p43n2[] = RC_WINO43N2_POS_INIT, p63n2[] = RC_WINO63N2_POS_INIT, p63n4[] = RC_WINO63N4_POS_INIT;
  *n = kind == RC_WINO_AXIS_N4 ? 6 : 4;
  return v == RC_WINO_F43 ? p43n2 : kind == RC_WINO_AXIS_N4 ? p63n4 : p63n2;
}

size_t rc_wino_axis_points(rc_wino_variant v, size_t out) {
  const size_t m = (size_t)rc_wino_tile_m(v), a = (size_t)rc_wino_tile_alpha(v), kind = rc_wino_border_axis(v, out);
  size_t n = a;
  if (kind != RC_WINO_AXIS_FULL) nested_positions(v, kind, &n);
  return (out + m - 1) / m * a - (a - n);
}

rc_wino_tile rc_wino_tile_at_border(const rc_wino_run* c, size_t t) {
  const size_t g = c->first + t, r = g % c->tiles_per_image;
  rc_wino_tile p = {g / c->tiles_per_image, r / c->tiles_w, r % c->tiles_w, RC_WINO_AXIS_FULL, RC_WINO_AXIS_FULL};
  const size_t sh = c->by != RC_WINO_AXIS_FULL, sw = c->bx != RC_WINO_AXIS_FULL;
  const size_t hf = c->tiles_h - sh, wf = c->tiles_w - sw;
  if (c->grouped) { /* bottom row, interior, right column, corner (wino_run.h) */
    const size_t bottom = sh * wf, inner = bottom + hf * wf, right = inner + sw * hf;
    p.ty = r < bottom ? hf : r < inner ? (r - bottom) / wf : r < right ? r - inner : hf;
    p.tx = r < bottom ? r : r < inner ? (r - bottom) % wf : wf;
  }
  if (sh && p.ty == hf) p.ky = c->by;
  if (sw && p.tx == wf) p.kx = c->bx;
  return p;
}

/* The tiles that use position xi from tile pos on (wino_run.h): per
 * image those of rows < ny and columns < nx, ny and nx all or all but the
 * border one as xi is or is not among the nested points: one range in the
 * grouped order, one per tile row in raster order unless nx is the whole
 * width. */
size_t rc_wino_xi_next_border(const rc_wino_run* c, size_t xi, size_t pos, size_t* end) {
  int iy = c->by == RC_WINO_AXIS_FULL, ix = c->bx == RC_WINO_AXIS_FULL;
  size_t n;
  const int* py = iy ? NULL : nested_positions(c->variant, c->by, &n);
  for (size_t k = 0; py && k < n; k++) iy |= (size_t)py[k] == xi / c->alpha;
  const int* px = ix ? NULL : nested_positions(c->variant, c->bx, &n);
  for (size_t k = 0; px && k < n; k++) ix |= (size_t)px[k] == xi % c->alpha;
  const size_t sh = c->by != RC_WINO_AXIS_FULL, sw = c->bx != RC_WINO_AXIS_FULL;
  const size_t w = c->tiles_w, ny = c->tiles_h - (iy ? 0 : sh), nx = w - (ix ? 0 : sw), tpi = c->tiles_per_image;
  for (size_t g = c->first + pos; g < c->first + c->count;) {
    const size_t base = g - g % tpi, r = g % tpi;
    size_t lo, hi; /* image-relative */
    if (c->grouped) {
      lo = iy ? 0 : sh * (w - sw);
      hi = lo + ny * nx;
    } else if (nx == w) {
      lo = 0;
      hi = ny * w;
    } else if (r / w < ny) {
      lo = r / w * w;
      hi = lo + nx;
    } else { /* past the rows that use xi */
      g = base + tpi;
      continue;
    }
    if (r >= hi) { /* the next tile row, or image */
      g = !c->grouped && nx < w && r / w + 1 < ny ? base + (r / w + 1) * w : base + tpi;
      continue;
    }
    const size_t t0 = (r > lo ? g : base + lo) - c->first, t1 = base + hi - c->first;
    if (t0 >= c->count) break;
    *end = t1 < c->count ? t1 : c->count;
    return t0;
  }
  return c->count;
}

/* The Winograd post-store (wino_run.h, rc_wino_post_store): an output tile
 * that the output transform (or a direct tile) left in the thread's scratch,
 * plus the residual, through the activation, to its place: NHWC, the
 * depth-to-space image, or an output binding (float or u8, through the
 * ISA's conversion kernels). Internal to kernels/winograd/. */
#include <stdint.h>
#include <string.h>

#include "kernels/winograd/wino_run.h"

/* In place over n pixels of cout channels: the activation of the epilogue. */
/* always_inline: post_store keeps it inline as before bound stores shared it. */
static inline __attribute__((always_inline)) void activate_pixels(const rc_wino_epilogue* ep, float* v, size_t n,
                                                                  size_t cout) {
  const size_t len = n * cout;
  switch (ep->activation) {
    case RC_WINO_ACT_RELU:
      for (size_t e = 0; e < len; e++) v[e] = v[e] < 0.0f ? 0.0f : v[e];
      return;
    case RC_WINO_ACT_CLIP:
      for (size_t e = 0; e < len; e++) v[e] = v[e] < ep->min ? ep->min : (v[e] > ep->max ? ep->max : v[e]);
      return;
    case RC_WINO_ACT_PRELU:
      for (size_t j = 0; j < n; j++, v += cout)
        for (size_t k = 0; k < cout; k++) v[k] = v[k] < 0.0f ? ep->slopes[k] * v[k] : v[k];
      return;
    default: return;
  }
}

/* One value through the epilogue's activation (channel k), as activate_pixels. */
static inline float activate1(const rc_wino_epilogue* ep, size_t k, float v) {
  switch (ep->activation) {
    case RC_WINO_ACT_RELU: return v < 0.0f ? 0.0f : v;
    case RC_WINO_ACT_CLIP: return v < ep->min ? ep->min : (v > ep->max ? ep->max : v);
    case RC_WINO_ACT_PRELU: return v < 0.0f ? ep->slopes[k] * v : v;
    default: return v;
  }
}

/* One tile row of a one-channel shuffle (a super-resolution tail's Y image,
 * cout = r²): add, activate and store in one pass; r is a constant in the
 * common x2 case. res: the row's residual (rc floats per pixel) or NULL. */
static inline __attribute__((always_inline)) void post_row_y(const rc_wino_epilogue* ep, const float* s, size_t cols,
                                                             const float* res, size_t rc, float* y_row0, size_t yw,
                                                             const size_t r) {
  const size_t cout = r * r;
  for (size_t dy = 0; dy < r; dy++) {
    float* row = y_row0 + dy * yw;
    for (size_t j = 0; j < cols; j++) {
      for (size_t dx = 0; dx < r; dx++) {
        const size_t k = dy * r + dx;
        float v = s[j * cout + k];
        if (res) v = v + res[rc == 1 ? j : j * cout + k];
        row[j * r + dx] = activate1(ep, k, v);
      }
    }
  }
}

/* post_row_y for x2 without an activation (ECBSR's tail, to a tensor or a
 * binding: the residual is added, nothing clamps): both output rows of the tile row in one pass of
 * fixed-stride adds and stores, no per-element branches: 317 → 211 TSC
 * ticks a 4×4 tile on a Xeon, about 70 of them the 8 MB output frame's
 * writes to memory. */
static inline void post_row_y2(const float* s, size_t cols, const float* res, size_t rc, float* row0, size_t yw) {
  float* row1 = row0 + yw;
  if (!res) {
    for (size_t j = 0; j < cols; j++) {
      row0[2 * j] = s[4 * j];
      row0[2 * j + 1] = s[4 * j + 1];
      row1[2 * j] = s[4 * j + 2];
      row1[2 * j + 1] = s[4 * j + 3];
    }
  } else if (rc == 1) {
    for (size_t j = 0; j < cols; j++) {
      const float a = res[j];
      row0[2 * j] = s[4 * j] + a;
      row0[2 * j + 1] = s[4 * j + 1] + a;
      row1[2 * j] = s[4 * j + 2] + a;
      row1[2 * j + 1] = s[4 * j + 3] + a;
    }
  } else {
    for (size_t j = 0; j < cols; j++) {
      row0[2 * j] = s[4 * j] + res[4 * j];
      row0[2 * j + 1] = s[4 * j + 1] + res[4 * j + 1];
      row1[2 * j] = s[4 * j + 2] + res[4 * j + 2];
      row1[2 * j + 1] = s[4 * j + 3] + res[4 * j + 3];
    }
  }
}

/* The rows of a one-channel shuffle's tile row: x2 without an activation
 * through post_row_y2, x2 and xr through post_row_y with r a constant or not. */
static inline void post_rows_y(const rc_wino_epilogue* ep, const float* s, size_t cols, const float* res, size_t rc,
                               float* row0, size_t yw, size_t r) {
  if (r == 2 && ep->activation == RC_WINO_ACT_NONE) {
    post_row_y2(s, cols, res, rc, row0, yw);
  } else if (r == 2) {
    post_row_y(ep, s, cols, res, rc, row0, yw, 2);
  } else {
    post_row_y(ep, s, cols, res, rc, row0, yw, r);
  }
}

/* A tile row of cols pixels in scratch, in place: + the residual (rc
 * floats a pixel, or none), then the activation. */
static void finish_pixels(const rc_wino_run* c, float* s, const float* res, size_t cols) {
  const size_t cout = c->cout;
  if (res) {
    if (c->residual_c == 1) {
      for (size_t j = 0; j < cols; j++)
        for (size_t k = 0; k < cout; k++) s[j * cout + k] = s[j * cout + k] + res[j];
    } else {
      for (size_t e = 0; e < cols * cout; e++) s[e] = s[e] + res[e];
    }
  }
  activate_pixels(&c->ep, s, cols, cout);
}

/* The residual of output row oy, pixels [ox, ox + cols) of image n: in the
 * residual tensor, in the binding's memory (float, contiguous: ECBSR's input
 * plane, a tile row's few floats not worth a call to copy), or read through
 * the binding into the scratch's row segment (valid until the next call);
 * NULL without a residual. */
static const float* residual_row(const rc_wino_run* c, size_t n, size_t oy, size_t ox, size_t cols) {
  const size_t rc = c->residual_c;
  if (c->residual_load) {
    const float* in_place = rc_binding_f32_pixels(c->residual_load, cols, rc, n, oy, ox);
    if (in_place) return in_place;
    float* seg = c->scratch + 2 * c->tile_m * c->tile_m * c->cout_pad; /* after the two tile slots */
    rc_binding_load_pixels(c->residual_load, c->conv, seg, cols, rc, n, oy, ox);
    return seg;
  }
  return c->residual ? c->residual + ((n * (size_t)c->out_h + oy) * (size_t)c->out_w + ox) * rc : NULL;
}

/* The tile in scratch ([rows][cols] pixels of cout channels, rows tile_m
 * pixels apart) plus the residual, through the activation, to its place in
 * y: NHWC, or the depth-to-space image when shuffling. Output pixel (oy, ox)
 * of image n is the tile's top-left. Each tile row is finished in scratch
 * (add, activation: contiguous loops), then moved; a one-channel shuffle
 * (a super-resolution tail's Y image) adds, activates and stores in one pass
 * (post_row_y). */
static void post_store(const rc_wino_run* c, float* tile, size_t n, size_t oy, size_t ox, size_t rows, size_t cols) {
  const size_t oh = (size_t)c->out_h, ow = (size_t)c->out_w, cout = c->cout, rc = c->residual_c;
  const size_t r = c->shuffle > 1 ? c->shuffle : 1, r2 = r * r, cs = cout / r2; /* channels after the shuffle */
  const size_t yw = ow * r * cs;                                                /* floats per output row */
  float* y = c->y + n * oh * r * yw;
  for (size_t i = 0; i < rows; i++) {
    float* s = tile + i * c->tile_m * cout;
    const float* res = residual_row(c, n, oy + i, ox, cols);
    if (cs == 1 && r > 1) {
      float* row0 = y + (oy + i) * r * yw + ox * r;
      post_rows_y(&c->ep, s, cols, res, rc, row0, yw, r);
      continue;
    }
    finish_pixels(c, s, res, cols);
    if (r == 1) {
      memcpy(y + (oy + i) * yw + ox * cout, s, cols * cout * sizeof(float));
      continue;
    }
    for (size_t dy = 0; dy < r; dy++) {
      float* row = y + ((oy + i) * r + dy) * yw + ox * r * cs;
      for (size_t j = 0; j < cols; j++)
        for (size_t dx = 0; dx < r; dx++) {
          float* dst = row + (j * r + dx) * cs;
          const float* src = s + j * cout;
          if (c->shuffle_crd) {
            for (size_t q = 0; q < cs; q++) dst[q] = src[q * r2 + dy * r + dx];
          } else {
            memcpy(dst, src + (dy * r + dx) * cs, cs * sizeof(float));
          }
        }
    }
  }
}

/* Floats of the stack stage a bound store finishes output rows in. */
#define BOUND_STAGE 1024

/* The elements of binding b from channel q0 on: b with its base moved. */
static rc_binding binding_from_channel(const rc_binding* b, size_t q0) {
  rc_binding sub = *b;
  const ptrdiff_t off = (ptrdiff_t)q0 * b->channel_stride;
  sub.base = b->type == RC_ELEM_U8 ? (void*)((uint8_t*)b->base + off) : (void*)((float*)b->base + off);
  return sub;
}

/* One output row dy of a shuffled tile row with cs > 1 channels (s: the
 * finished tile row in scratch), through the stage: whole output pixels,
 * or for very wide pixels one pixel's channels at a time. */
static void bound_shuffle_row(const rc_wino_run* c, const float* s, size_t cols, size_t n, size_t y, size_t x0,
                              size_t dy, float* stage) {
  const size_t cout = c->cout, r = c->shuffle, r2 = r * r, cs = cout / r2;
  const size_t per = cs <= BOUND_STAGE ? BOUND_STAGE / cs : 1;
  size_t filled = 0;
  for (size_t j = 0; j < cols; j++)
    for (size_t dx = 0; dx < r; dx++) {
      const float* src = s + j * cout;
      for (size_t q0 = 0; q0 < cs; q0 += BOUND_STAGE) {
        const size_t m = cs - q0 < BOUND_STAGE ? cs - q0 : BOUND_STAGE;
        float* dst = stage + filled * cs; /* filled is 0 when cs > BOUND_STAGE */
        for (size_t q = 0; q < m; q++)
          dst[q] = c->shuffle_crd ? src[(q0 + q) * r2 + dy * r + dx] : src[(dy * r + dx) * cs + q0 + q];
        if (cs > BOUND_STAGE) {
          const rc_binding sub = binding_from_channel(c->store, q0);
          rc_binding_store_pixels(&sub, c->conv, stage, 1, m, n, y, x0 + j * r + dx);
        }
      }
      if (cs > BOUND_STAGE) continue;
      if (++filled == per) {
        rc_binding_store_pixels(c->store, c->conv, stage, filled, cs, n, y, x0 + j * r + dx + 1 - filled);
        filled = 0;
      }
    }
  if (filled) rc_binding_store_pixels(c->store, c->conv, stage, filled, cs, n, y, x0 + cols * r - filled);
}

/* nrows rows of `bytes` bytes from contiguous src to d, step bytes apart. */
static inline __attribute__((always_inline)) void copy_rows(char* d, ptrdiff_t step, const void* src, size_t nrows,
                                                            const size_t bytes) {
  for (size_t j = 0; j < nrows; j++) memcpy(d + (ptrdiff_t)j * step, (const char*)src + j * bytes, bytes);
}

/* A one-channel shuffle's whole tile (the super-resolution tail's Y plane:
 * rows·r output rows of cols·r pixels): into a float plane straight (the
 * float API's output; a stage and a copy were ~2% of ECBSR's run), else
 * finished in the stage, then, for a plane with pixel stride 1, converted in
 * one call of the vector kernel and copied row by row (row segments of a
 * tile are short: a call per segment would cost more than the conversion).
 * 0 if the tile does not fit the stage. */
static int bound_plane_tile(const rc_wino_run* c, const float* tile, size_t n, size_t oy, size_t ox, size_t rows,
                            size_t cols, float* stage) {
  const size_t r = c->shuffle, w = cols * r, nrows = rows * r, rc = c->residual_c;
  const rc_binding* b = c->store;
  const int straight = b->type == RC_ELEM_F32 && b->pixel_stride == 1 && b->row_stride > 0; /* a float plane */
  if (!straight && nrows * w > BOUND_STAGE) return 0;
  float* rows_out = straight ? (float*)b->base + rc_binding_offset(b, n, oy * r, ox * r, 0) : stage;
  const size_t row_step = straight ? (size_t)b->row_stride : w;
  for (size_t i = 0; i < rows; i++) {
    const float* res = residual_row(c, n, oy + i, ox, cols);
    post_rows_y(&c->ep, tile + i * c->tile_m * c->cout, cols, res, rc, rows_out + i * r * row_step, row_step, r);
  }
  if (straight) return 1;
  if (b->pixel_stride != 1) {
    for (size_t j = 0; j < nrows; j++) rc_binding_store_pixels(b, c->conv, stage + j * w, w, 1, n, oy * r + j, ox * r);
    return 1;
  }
  const ptrdiff_t at = rc_binding_offset(b, n, oy * r, ox * r, 0);
  const size_t esz = b->type == RC_ELEM_U8 ? 1 : sizeof(float);
  const void* src = stage;
  uint8_t bytes[BOUND_STAGE];
  if (b->type == RC_ELEM_U8) {
    c->conv->f32_to_u8(stage, nrows * w, b->scale, b->bias, bytes);
    src = bytes;
  }
  char* d = (char*)b->base + at * (ptrdiff_t)esz;
  const ptrdiff_t step = b->row_stride * (ptrdiff_t)esz;
  /* The usual widths (2·m for x2) as constant-size copies: a move each,
   * not a library call per row. */
  switch (w * esz) {
    case 8: copy_rows(d, step, src, nrows, 8); break;
    case 16: copy_rows(d, step, src, nrows, 16); break;
    case 12: copy_rows(d, step, src, nrows, 12); break;
    case 32: copy_rows(d, step, src, nrows, 32); break;
    case 48: copy_rows(d, step, src, nrows, 48); break;
    default: copy_rows(d, step, src, nrows, w * esz); break;
  }
  return 1;
}

/* post_store for a run with an output binding: each tile row is finished
 * with the same operations in the same order as post_store (so the values
 * are bitwise those it would write to y), then stored through the binding
 * row segment by row segment: a one-channel shuffle (the super-resolution
 * tail's Y plane) a whole tile at once (bound_plane_tile) or its r output
 * rows from the stage, a plain store straight from scratch. */
static void post_store_bound(const rc_wino_run* c, float* tile, size_t n, size_t oy, size_t ox, size_t rows,
                             size_t cols) {
  const size_t cout = c->cout, rc = c->residual_c;
  const size_t r = c->shuffle > 1 ? c->shuffle : 1, r2 = r * r, cs = cout / r2;
  float stage[BOUND_STAGE];
  if (cs == 1 && r > 1 && bound_plane_tile(c, tile, n, oy, ox, rows, cols, stage)) return;
  for (size_t i = 0; i < rows; i++) {
    float* s = tile + i * c->tile_m * cout;
    const float* res = residual_row(c, n, oy + i, ox, cols);
    if (cs == 1 && r > 1 && r2 * cols <= BOUND_STAGE) {
      post_rows_y(&c->ep, s, cols, res, rc, stage, cols * r, r);
      for (size_t dy = 0; dy < r; dy++)
        rc_binding_store_pixels(c->store, c->conv, stage + dy * cols * r, cols * r, 1, n, (oy + i) * r + dy, ox * r);
      continue;
    }
    finish_pixels(c, s, res, cols);
    if (r == 1) {
      rc_binding_store_pixels(c->store, c->conv, s, cols, cout, n, oy + i, ox);
      continue;
    }
    for (size_t dy = 0; dy < r; dy++) bound_shuffle_row(c, s, cols, n, (oy + i) * r + dy, ox * r, dy, stage);
  }
}

void rc_wino_post_store(const rc_wino_run* c, float* tile, size_t n, size_t oy, size_t ox, size_t rows, size_t cols) {
  if (c->store) {
    post_store_bound(c, tile, n, oy, ox, rows, cols);
  } else {
    post_store(c, tile, n, oy, ox, rows, cols);
  }
}

/* One picture through `repconv upscale` (upscale.h). */
#include "tools/cli/img/upscale.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/img/resample.h"
#include "tools/cli/img/tiles.h"
#include "tools/cli/img/ycbcr.h"

/* Input rows per band in --bicubic mode (no tiles there). */
#define BICUBIC_BAND 64
/* Largest output side (PNG's limit is 2^31 - 1; the bands' sizes are ints). */
#define MAX_OUT_SIDE (1 << 24)

static uint32_t sample_at(const cli_image* img, size_t i) {
  return img->depth > 8 ? ((const uint16_t*)img->data)[i] : ((const uint8_t*)img->data)[i];
}

/* The model's input planes for window (ox, oy, w, h) of the picture. */
static void fill_tile(const cli_image* img, int channels, int ox, int oy, int w, int h, float* in) {
  const size_t plane = (size_t)w * h;
  const int ic = img->channels;
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      const size_t p = ((size_t)(oy + y) * img->width + (size_t)(ox + x)) * (size_t)ic;
      const size_t o = (size_t)y * w + (size_t)x;
      float r = cli_sample_to_unit(sample_at(img, p), img->depth), g = r, b = r;
      if (ic >= 3) {
        g = cli_sample_to_unit(sample_at(img, p + 1), img->depth);
        b = cli_sample_to_unit(sample_at(img, p + 2), img->depth);
      }
      if (channels == 1) {
        in[o] = ic >= 3 ? cli_luma(r, g, b) : r;
      } else {
        in[o] = r;
        in[plane + o] = g;
        in[2 * plane + o] = b;
      }
    }
  }
}

/* Everything one picture needs, freed by release(). */
typedef struct job {
  float *cb, *cr; /* input-size chroma (Y path of a colour picture) */
  void* alpha;    /* input-size alpha samples */
  float* src;     /* --bicubic: input-size model planes */
  float *tile_in, *tile_out;
  float* band; /* model planes of one band of output rows */
  float *band_cb, *band_cr;
  void* band_alpha;
  uint8_t* rows; /* the band as PNG rows */
  cli_span *sx, *sy;
  cli_png_writer* png;
} job;

static void release(job* j) {
  free(j->cb);
  free(j->cr);
  free(j->alpha);
  free(j->src);
  free(j->tile_in);
  free(j->tile_out);
  free(j->band);
  free(j->band_cb);
  free(j->band_cr);
  free(j->band_alpha);
  free(j->rows);
  free(j->sx);
  free(j->sy);
  if (j->png) cli_png_writer_abort(j->png);
}

static void* alloc_or(size_t n, size_t size, int* failed) {
  void* p = NULL;
  if (n && size <= SIZE_MAX / n) p = malloc(n * size);
  if (!p && n) *failed = 1;
  return p;
}

/* The chroma or model planes the bands are resized from. */
static int split_planes(const cli_image* img, int channels, int bicubic, job* j) {
  const size_t n = (size_t)img->width * img->height;
  const int ic = img->channels;
  int failed = 0;
  if (ic % 2 == 0) j->alpha = alloc_or(n, img->depth > 8 ? 2 : 1, &failed);
  if (channels == 1 && ic >= 3) {
    j->cb = alloc_or(n, sizeof(float), &failed);
    j->cr = alloc_or(n, sizeof(float), &failed);
  }
  if (bicubic) j->src = alloc_or(n, (size_t)channels * sizeof(float), &failed);
  if (failed) return -1;
  for (size_t i = 0; i < n; i++) {
    const size_t p = i * (size_t)ic;
    if (j->alpha) {
      if (img->depth > 8) {
        ((uint16_t*)j->alpha)[i] = (uint16_t)sample_at(img, p + (size_t)ic - 1);
      } else {
        ((uint8_t*)j->alpha)[i] = (uint8_t)sample_at(img, p + (size_t)ic - 1);
      }
    }
    if (j->cb) {
      float y;
      cli_rgb_to_ycbcr(cli_sample_to_unit(sample_at(img, p), img->depth),
                       cli_sample_to_unit(sample_at(img, p + 1), img->depth),
                       cli_sample_to_unit(sample_at(img, p + 2), img->depth), &y, &j->cb[i], &j->cr[i]);
    }
  }
  if (bicubic) fill_tile(img, channels, 0, 0, img->width, img->height, j->src);
  return 0;
}

/* Output rows [r0, r0 + rows) as PNG rows, from the band's planes. */
static void compose(const cli_image* img, int channels, const job* j, int out_w, int rows, uint8_t* dst) {
  const size_t plane = (size_t)out_w * rows;
  const int ic = img->channels, d = img->depth;
  for (size_t i = 0; i < plane; i++) {
    float v[3];
    if (channels == 1) {
      v[0] = j->band[i];
      if (ic >= 3) cli_ycbcr_to_rgb(v[0], j->band_cb[i], j->band_cr[i], &v[0], &v[1], &v[2]);
    } else {
      v[0] = j->band[i];
      v[1] = j->band[plane + i];
      v[2] = j->band[2 * plane + i];
      if (ic < 3) v[0] = cli_luma(v[0], v[1], v[2]);
    }
    uint32_t s[4];
    const int colors = ic >= 3 ? 3 : 1;
    for (int c = 0; c < colors; c++) s[c] = cli_unit_to_sample(v[c], d);
    if (ic % 2 == 0) {
      s[ic - 1] = d > 8 ? ((const uint16_t*)j->band_alpha)[i] : ((const uint8_t*)j->band_alpha)[i];
    }
    for (int c = 0; c < ic; c++) {
      if (d > 8) {
        ((uint16_t*)dst)[i * (size_t)ic + (size_t)c] = (uint16_t)s[c];
      } else {
        dst[i * (size_t)ic + (size_t)c] = (uint8_t)s[c];
      }
    }
  }
}

static int resize_band(const void* src, cli_sample type, int w, int h, void* dst, int out_w, int out_h, int r0,
                       int rows, int maxval) {
  const cli_plane sp = {type, w, h, w, (void*)src};
  const cli_plane dp = {type, out_w, rows, out_w, dst};
  return cli_resize_bicubic_rows(&sp, &dp, out_h, r0, maxval);
}

/* The window side wanted under the memory budget: the largest t whose
 * t x t window (arena, tile buffers) and band of t·s output rows fit. */
static int budget_side(const cli_enhancer* e, const cli_image* img, double budget) {
  const double s = e->scale;
  const double per_px = e->arena_per_pixel + 4.0 * e->channels * (1.0 + s * s);
  const double out_px = 4.0 * e->channels + (e->channels == 1 && img->channels >= 3 ? 8.0 : 0.0) +
                        (img->channels % 2 == 0 ? 2.0 : 0.0) + img->channels * (img->depth > 8 ? 2.0 : 1.0);
  const double per_row = img->width * s * s * out_px;
  const double t = (-per_row + sqrt(per_row * per_row + 4.0 * per_px * budget)) / (2.0 * per_px);
  return t > 1e8 ? 100000000 : (int)t;
}

int cli_upscale(cli_enhancer* e, const cli_image* img, const char* out_path, const cli_upscale_opts* o,
                cli_upscale_stats* st, char* err, size_t err_size) {
  job j;
  memset(&j, 0, sizeof j);
  memset(st, 0, sizeof *st);
  const int W = img->width, H = img->height, s = e->scale, C = e->channels, ic = img->channels;
  if ((int64_t)W * s > MAX_OUT_SIDE || (int64_t)H * s > MAX_OUT_SIDE) {
    snprintf(err, err_size, "%dx%d upscaled x%d is over %d pixels a side", W, H, s, MAX_OUT_SIDE);
    return -1;
  }
  const int OW = W * s, OH = H * s;
  const int maxval = img->depth > 8 ? 65535 : 255;
  const cli_sample atype = img->depth > 8 ? CLI_SAMPLE_U16 : CLI_SAMPLE_U8;
  int nx = 1, ny = 1, tw = W, th = H, halo = 0;
  if (split_planes(img, C, o->bicubic, &j) != 0) {
    snprintf(err, err_size, "out of memory for the planes of a %dx%d picture", W, H);
    release(&j);
    return -1;
  }
  if (!o->bicubic) {
    const int bound = o->halo >= 0 ? o->halo : e->halo_bound;
    int want = o->tile > 0 ? o->tile + 2 * bound : budget_side(e, img, o->max_memory);
    if (e->unbounded[0]) want = W > H ? W : H; /* tiles would change the result */
    tw = cli_tile_window(W, want, bound, CLI_TILE_ALIGN);
    th = cli_tile_window(H, want, bound, CLI_TILE_ALIGN);
    if (cli_enhancer_shape(e, tw, th, err, err_size) != 0) {
      release(&j);
      return -1;
    }
    halo = o->halo >= 0 ? o->halo : cli_enhancer_halo(e);
    if (halo > bound) halo = bound; /* the windows were sized for the bound */
    nx = cli_tile_spans(W, tw, halo, CLI_TILE_ALIGN, NULL, 0);
    ny = cli_tile_spans(H, th, halo, CLI_TILE_ALIGN, NULL, 0);
    if (nx < 1 || ny < 1) {
      snprintf(err, err_size, "internal: no tiling of %dx%d in %dx%d windows with halo %d", W, H, tw, th, halo);
      release(&j);
      return -1;
    }
  } else {
    ny = (H + BICUBIC_BAND - 1) / BICUBIC_BAND;
  }
  int failed = 0;
  j.sx = alloc_or((size_t)nx, sizeof(cli_span), &failed);
  j.sy = alloc_or((size_t)ny, sizeof(cli_span), &failed);
  if (failed) {
    snprintf(err, err_size, "out of memory");
    release(&j);
    return -1;
  }
  if (!o->bicubic) {
    cli_tile_spans(W, tw, halo, CLI_TILE_ALIGN, j.sx, nx);
    cli_tile_spans(H, th, halo, CLI_TILE_ALIGN, j.sy, ny);
  } else {
    j.sx[0] = (cli_span){0, 0, W};
    for (int k = 0; k < ny; k++) {
      const int r1 = (k + 1) * BICUBIC_BAND;
      j.sy[k] = (cli_span){k * BICUBIC_BAND, k * BICUBIC_BAND, r1 < H ? r1 : H};
    }
  }
  int band_rows = 0;
  for (int k = 0; k < ny; k++) {
    if (j.sy[k].keep1 - j.sy[k].keep0 > band_rows) band_rows = j.sy[k].keep1 - j.sy[k].keep0;
  }
  const size_t band_px = (size_t)OW * (size_t)band_rows * (size_t)s;
  if (!o->bicubic) {
    j.tile_in = alloc_or((size_t)tw * th, (size_t)C * sizeof(float), &failed);
    j.tile_out = alloc_or((size_t)tw * th * (size_t)s * s, (size_t)C * sizeof(float), &failed);
  }
  j.band = alloc_or(band_px, (size_t)C * sizeof(float), &failed);
  if (j.cb) j.band_cb = alloc_or(band_px, sizeof(float), &failed);
  if (j.cr) j.band_cr = alloc_or(band_px, sizeof(float), &failed);
  if (j.alpha) j.band_alpha = alloc_or(band_px, img->depth > 8 ? 2 : 1, &failed);
  j.rows = alloc_or(band_px, (size_t)ic * (img->depth > 8 ? 2 : 1), &failed);
  if (failed) {
    snprintf(err, err_size, "out of memory for a band of %d output rows of %d pixels", band_rows * s, OW);
    release(&j);
    return -1;
  }
  st->out_w = OW;
  st->out_h = OH;
  st->tiles_x = o->bicubic ? 0 : nx;
  st->tiles_y = o->bicubic ? 0 : ny;
  st->window_w = tw;
  st->window_h = th;
  st->halo = halo;
  st->arena_bytes = o->bicubic ? 0 : repconv_session_arena_bytes(e->session);
  if (cli_png_writer_open(out_path, OW, OH, ic, img->depth, &j.png, err, err_size) != 0) {
    j.png = NULL;
    release(&j);
    return -1;
  }
  const int total = o->bicubic ? ny : nx * ny;
  int done = 0;
  for (int by = 0; by < ny; by++) {
    const cli_span ys = j.sy[by];
    const int rows = (ys.keep1 - ys.keep0) * s; /* output rows of this band */
    const size_t plane = (size_t)OW * rows;
    if (o->bicubic) {
      for (int c = 0; c < C; c++) {
        if (resize_band(j.src + (size_t)c * W * H, CLI_SAMPLE_F32, W, H, j.band + (size_t)c * plane, OW, OH,
                        ys.keep0 * s, rows, 0) != 0) {
          failed = 1;
        }
      }
      if (o->progress) o->progress(o->progress_ctx, ++done, total);
    }
    for (int bx = 0; bx < nx && !o->bicubic && !failed; bx++) {
      const cli_span xs = j.sx[bx];
      fill_tile(img, C, xs.origin, ys.origin, tw, th, j.tile_in);
      const double t0 = now_ms();
      if (cli_enhance_tile(e, j.tile_in, j.tile_out, err, err_size) != 0) {
        release(&j);
        return -1;
      }
      st->model_ms += now_ms() - t0;
      /* The kept part, from tile coordinates to band coordinates. */
      const size_t tplane = (size_t)tw * s * th * s;
      const int kx0 = (xs.keep0 - xs.origin) * s, kw = (xs.keep1 - xs.keep0) * s;
      const int ky0 = (ys.keep0 - ys.origin) * s;
      for (int c = 0; c < C; c++) {
        for (int y = 0; y < rows; y++) {
          memcpy(j.band + (size_t)c * plane + (size_t)y * OW + (size_t)xs.keep0 * s,
                 j.tile_out + (size_t)c * tplane + (size_t)(ky0 + y) * tw * s + (size_t)kx0,
                 (size_t)kw * sizeof(float));
        }
      }
      if (o->progress) o->progress(o->progress_ctx, ++done, total);
    }
    if (j.cb && (resize_band(j.cb, CLI_SAMPLE_F32, W, H, j.band_cb, OW, OH, ys.keep0 * s, rows, 0) != 0 ||
                 resize_band(j.cr, CLI_SAMPLE_F32, W, H, j.band_cr, OW, OH, ys.keep0 * s, rows, 0) != 0)) {
      failed = 1;
    }
    if (j.alpha && resize_band(j.alpha, atype, W, H, j.band_alpha, OW, OH, ys.keep0 * s, rows, maxval) != 0) {
      failed = 1;
    }
    if (failed) {
      snprintf(err, err_size, "out of memory resizing a band");
      release(&j);
      return -1;
    }
    compose(img, C, &j, OW, rows, j.rows);
    if (cli_png_writer_rows(j.png, j.rows, rows, err, err_size) != 0) {
      release(&j);
      return -1;
    }
  }
  cli_png_writer* png = j.png;
  j.png = NULL;
  release(&j);
  return cli_png_writer_finish(png, err, err_size);
}

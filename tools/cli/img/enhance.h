/* The model side of `repconv upscale`: one loaded model run on tiles of one
 * size, through the public API.
 *
 * Today a session runs the input size its model was loaded with, so the
 * enhancer reloads the model (with repconv_options_set_input_shape) when the
 * tile size changes (a picture of another size) and keeps the last one. All
 * model calls are in cli_enhancer_shape and cli_enhance_tile: the place to
 * switch to a session that re-plans for a new size, and to a uint8-plane
 * frame API, when the library has them. */
#ifndef CLI_IMG_ENHANCE_H
#define CLI_IMG_ENHANCE_H

#include <stddef.h>

#include "repconv.h"
#include "tools/cli/cli.h"

typedef struct cli_enhancer {
  cli_args args; /* a copy: the model and the options it loads with */
  repconv_options_t* opts;
  repconv_model_t* model;
  repconv_session_t* session;
  const char *in_name, *out_name; /* owned by model */
  int tile_w, tile_h;             /* the input size model and session run */
  int channels;                   /* 1 (Y or gray) or 3 (RGB) */
  int scale;                      /* output side / input side */
  double arena_per_pixel;         /* activation bytes per input pixel, measured on a probe tile */
  int halo_bound;                 /* a halo large enough whatever kernels the planner picks */
  char unbounded[192];            /* "": local model; else the node whose output depends on the whole picture */
} cli_enhancer;

/* Loads a->model (through load_model: a failure prints its message) and
 * checks it is an image-to-image model: one input 1xCxHxW with C 1 or 3, an
 * output 1xCx(sH)x(sW) with an integer s. Probes the arena on a 256x256
 * tile. EXIT_OK or the exit status (message printed). */
int cli_enhancer_open(cli_enhancer* e, const cli_args* a);
void cli_enhancer_close(cli_enhancer* e);

/* Makes the session run w x h tiles: planned by the one session
 * (repconv_session_reshape; its plans are cached), or, for a model whose
 * folding depends on the size, loaded again at that size. -1 with err set
 * on failure. */
int cli_enhancer_shape(cli_enhancer* e, int w, int h, char* err, size_t err_size);

/* The halo the current session needs so that a tile's kept pixels are
 * bitwise those of a whole-picture run with the same kernels: the sum over
 * all the model's convs and pools (the node API has no edges: an upper
 * bound of the longest path) of their reach, ceil((k-1)·dilation/2) input
 * pixels, or, for a conv this session runs with Winograd F(m,3), m (a
 * kept pixel's block must see the same (m+2)² inputs: tiles.h), each
 * scaled to input pixels by the node's resolution. The dilation comes from
 * the fold report (repconv_model_fold_region); a conv outside it counts as
 * dilation 1 (give --halo for an unfolded dilated model). */
int cli_enhancer_halo(const cli_enhancer* e);

/* Runs the current tile: in is channels planes of tile_w x tile_h floats
 * (0..255), out channels planes of (scale·tile_w) x (scale·tile_h). */
int cli_enhance_tile(cli_enhancer* e, const float* in, float* out, char* err, size_t err_size);

#endif

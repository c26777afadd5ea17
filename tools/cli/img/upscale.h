/* One picture through `repconv upscale`: colour split, tiles through the
 * model, chroma and alpha resized, the result streamed to a PNG band by band.
 *
 * The model runs on Y (1-channel models; gray pictures directly) or on RGB
 * (3-channel models), in the 0..255 scale. Cb, Cr (BT.601 full range,
 * ycbcr.h) and alpha are resized with the bicubic filter (resample.h). The
 * output PNG has the input's colour type and bit depth (palettes come out as
 * RGB or RGBA, 1/2/4-bit gray as 8-bit). Memory: the decoded picture, its
 * chroma planes in float, one tile's session and one band of output rows
 * (one row of tiles), so the output is never whole in memory. */
#ifndef CLI_IMG_UPSCALE_H
#define CLI_IMG_UPSCALE_H

#include <stddef.h>

#include "tools/cli/img/enhance.h"
#include "tools/cli/img/image.h"

typedef struct cli_upscale_opts {
  int tile;          /* kept tile side in input pixels (the halo comes on top); 0: from max_memory */
  int halo;          /* -1: from the model (cli_enhancer_halo) */
  double max_memory; /* bytes for the session's arena, tile buffers and one band of output rows */
  int bicubic;       /* the bicubic filter instead of the model */
  /* Called after each tile (done of total); may be NULL. */
  void (*progress)(void* ctx, int done, int total);
  void* progress_ctx;
} cli_upscale_opts;

typedef struct cli_upscale_stats {
  int out_w, out_h;
  int tiles_x, tiles_y;   /* windows per row and column */
  int window_w, window_h; /* the size the model runs */
  int halo;
  size_t arena_bytes;
  double model_ms; /* time in the model (the rest: colour, resizing, PNG encoding) */
} cli_upscale_stats;

/* Upscales img by the model's factor into the PNG out_path. -1 with err set
 * (no file left at out_path) on failure. */
int cli_upscale(cli_enhancer* e, const cli_image* img, const char* out_path, const cli_upscale_opts* o,
                cli_upscale_stats* stats, char* err, size_t err_size);

#endif

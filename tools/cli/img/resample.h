/* Bicubic resizing of one image plane, for the image and video commands:
 * chroma and alpha planes next to the model's Y plane, and the bicubic
 * baseline that `upscale --reference` compares against.
 *
 * The filter is PyTorch's interpolate(mode='bicubic', align_corners=False)
 * without antialias: Keys cubic with a = -0.75, half-pixel sample centres,
 * edge samples repeated. It is meant for enlarging; shrinking works but
 * aliases (no low-pass). Integer outputs are rounded to nearest and clamped
 * to the type's range (u16: to maxval). */
#ifndef CLI_IMG_RESAMPLE_H
#define CLI_IMG_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef enum cli_sample { CLI_SAMPLE_U8, CLI_SAMPLE_U16, CLI_SAMPLE_F32 } cli_sample;

/* A plane of width x height samples of one type; rows are `stride` samples
 * (not bytes) apart. */
typedef struct cli_plane {
  cli_sample type;
  int width, height;
  ptrdiff_t stride;
  void* data;
} cli_plane;

/* Resizes src into dst (their sizes say the ratio; types may differ: u8 in,
 * f32 out converts). maxval bounds u16 output (e.g. 65535, or 1023 for
 * 10-bit). Returns 0, or -1 when out of memory or a size is not positive. */
int cli_resize_bicubic(const cli_plane* src, const cli_plane* dst, int maxval);
/* Rows first_row .. first_row + dst->height - 1 of the resize to
 * dst->width x full_height, written to dst (a band of the output, so that
 * an upscaled picture never has to be whole in memory): the same values as
 * those rows of cli_resize_bicubic. */
int cli_resize_bicubic_rows(const cli_plane* src, const cli_plane* dst, int full_height, int first_row, int maxval);

#endif

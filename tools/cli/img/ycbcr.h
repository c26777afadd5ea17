/* Colour for `repconv upscale`: BT.601 full range, as JPEG (JFIF) defines
 * it, on samples scaled to 0..255 (16-bit samples divided by 257):
 *
 *   Y  = 0.299 R + 0.587 G + 0.114 B
 *   Cb = (B - Y) / 1.772        Cr = (R - Y) / 1.402
 *
 * Cb and Cr are kept centred on 0 (no +128) and in float, so a picture
 * that goes through unchanged comes back to the same samples. */
#ifndef CLI_IMG_YCBCR_H
#define CLI_IMG_YCBCR_H

#include <stddef.h>
#include <stdint.h>

void cli_rgb_to_ycbcr(float r, float g, float b, float* y, float* cb, float* cr);
void cli_ycbcr_to_rgb(float y, float cb, float cr, float* r, float* g, float* b);
/* The luma alone (what the model sees, and what the metrics compare). */
float cli_luma(float r, float g, float b);

/* Sample of `depth` bits to the 0..255 scale, and back (rounded to nearest,
 * clamped to 0..255 or 0..65535). */
float cli_sample_to_unit(uint32_t v, int depth);
uint32_t cli_unit_to_sample(float v, int depth);

/* The picture's luma as one plane of floats (0..255 scale): what the
 * metrics compare. *out malloc'd; -1 with err set when out of memory. */
struct cli_image;
int cli_image_luma(const struct cli_image* img, float** out, char* err, size_t err_size);

#endif

/* Pictures for `repconv upscale`: a decoded image held as interleaved
 * samples, PNG reading and writing (libpng), JPEG reading (libjpeg-turbo).
 *
 * Readers never crash on bad input: a malformed or truncated file, an
 * unsupported kind (CMYK JPEG) or a size over CLI_IMAGE_MAX_PIXELS returns -1
 * with a message ("truncated (the file ends inside the image data)") in err,
 * before any large allocation. */
#ifndef CLI_IMG_IMAGE_H
#define CLI_IMG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Pictures larger than this are refused before decoding (2^28 pixels: a
 * 16-bit RGBA picture of that size is already 2 GiB). */
#define CLI_IMAGE_MAX_PIXELS (1LL << 28)

/* width x height pixels of `channels` samples (1 gray, 2 gray+alpha, 3 RGB,
 * 4 RGBA), each `depth` bits (8: uint8_t, 16: uint16_t in host byte order),
 * rows packed (width * channels samples apart). */
typedef struct cli_image {
  int width, height, channels, depth;
  void* data;
} cli_image;

/* Bytes of one row (width * channels * depth / 8). */
size_t cli_image_row_bytes(int width, int channels, int depth);
/* Allocates img->data for the fields already set; -1 (err set) when over
 * the pixel limit or out of memory. */
int cli_image_alloc(cli_image* img, char* err, size_t err_size);
void cli_image_free(cli_image* img);

/* Reads a PNG or a JPEG, told apart by their first bytes (not the name).
 * PNG: 1-16 bit gray, gray+alpha, RGB, RGBA, palette; palettes expand to RGB
 * (RGBA with a tRNS chunk), 1/2/4-bit gray to 8-bit, a tRNS colour key to an
 * alpha channel, 16-bit stays 16-bit. JPEG: gray, or YCbCr/RGB as 8-bit RGB;
 * CMYK/YCCK is refused. Only regular files are read. */
int cli_image_read(const char* path, cli_image* img, char* err, size_t err_size);
int cli_png_read(const char* path, cli_image* img, char* err, size_t err_size);
int cli_jpeg_read(const char* path, cli_image* img, char* err, size_t err_size);

/* A PNG written row by row, so that an output picture never has to be whole
 * in memory. cli_png_writer_finish closes it; on any failure (or
 * cli_png_writer_abort) the file is removed, so that no half-written file
 * is left under the output name. */
typedef struct cli_png_writer cli_png_writer;
int cli_png_writer_open(const char* path, int width, int height, int channels, int depth, cli_png_writer** out,
                        char* err, size_t err_size);
/* n rows, each cli_image_row_bytes(...) long, packed. */
int cli_png_writer_rows(cli_png_writer* w, const void* rows, int n, char* err, size_t err_size);
int cli_png_writer_finish(cli_png_writer* w, char* err, size_t err_size);
void cli_png_writer_abort(cli_png_writer* w);
/* The whole image at once. */
int cli_png_write(const char* path, const cli_image* img, char* err, size_t err_size);

#endif

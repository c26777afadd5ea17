/* JPEG reading with libjpeg-turbo. Its default error handler prints and
 * exit()s, and a truncated file is only a warning (the rest of the picture
 * comes out gray): here every error and every warning (corrupt data, a
 * premature end) records the message and longjmps back, so a damaged file
 * is refused, never half-decoded. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After stdio.h: jpeglib.h uses FILE and size_t without including them. */
#include <jpeglib.h>

#include "tools/cli/img/image.h"

/* Progressive files may hold any number of scans, each a pass over the
 * whole picture: a small file could keep the decoder busy for minutes.
 * Real encoders write about ten. */
#define MAX_SCANS 1000

typedef struct jpeg_fail {
  struct jpeg_error_mgr mgr; /* first: libjpeg's pointer is ours */
  struct jpeg_progress_mgr progress;
  jmp_buf jump;
  char* err;
  size_t err_size;
} jpeg_fail;

static void on_error(j_common_ptr c) {
  jpeg_fail* f = (jpeg_fail*)c->err;
  char msg[JMSG_LENGTH_MAX];
  c->err->format_message(c, msg);
  snprintf(f->err, f->err_size, "%s", msg);
  longjmp(f->jump, 1);
}

static void on_message(j_common_ptr c, int level) {
  if (level < 0) on_error(c); /* a warning: corrupt or missing data */
}

static void on_output(j_common_ptr c) { (void)c; /* never print */ }

static void on_progress(j_common_ptr c) {
  j_decompress_ptr d = (j_decompress_ptr)c;
  if (d->input_scan_number > MAX_SCANS) {
    jpeg_fail* f = (jpeg_fail*)c->err;
    snprintf(f->err, f->err_size, "more than %d progressive scans", MAX_SCANS);
    longjmp(f->jump, 1);
  }
}

int cli_jpeg_read(const char* path, cli_image* img, char* err, size_t err_size) {
  memset(img, 0, sizeof *img);
  FILE* f = fopen(path, "rb");
  if (!f) {
    snprintf(err, err_size, "cannot open");
    return -1;
  }
  struct jpeg_decompress_struct d;
  jpeg_fail fail;
  memset(&d, 0, sizeof d);
  memset(&fail, 0, sizeof fail);
  d.err = jpeg_std_error(&fail.mgr);
  fail.mgr.error_exit = on_error;
  fail.mgr.emit_message = on_message;
  fail.mgr.output_message = on_output;
  fail.err = err;
  fail.err_size = err_size;
  void* volatile data = NULL;
  if (setjmp(fail.jump)) {
    free(data);
    jpeg_destroy_decompress(&d);
    fclose(f);
    return -1;
  }
  jpeg_create_decompress(&d);
  fail.progress.progress_monitor = on_progress;
  d.progress = &fail.progress;
  jpeg_stdio_src(&d, f);
  jpeg_read_header(&d, TRUE);
  if (d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK) {
    snprintf(err, err_size, "CMYK JPEG is not supported (convert it to RGB first)");
    longjmp(fail.jump, 1);
  }
  if (d.num_components == 1) {
    d.out_color_space = JCS_GRAYSCALE;
  } else if (d.num_components == 3) {
    d.out_color_space = JCS_RGB;
  } else {
    snprintf(err, err_size, "JPEG with %d components is not supported (gray or 3-component color only)",
             d.num_components);
    longjmp(fail.jump, 1);
  }
  cli_image out = {(int)d.image_width, (int)d.image_height, d.num_components, 8, NULL};
  if ((unsigned long long)d.image_width * d.image_height > (unsigned long long)CLI_IMAGE_MAX_PIXELS) {
    snprintf(err, err_size, "%ux%u pixels is over the limit of %lld pixels", (unsigned)d.image_width,
             (unsigned)d.image_height, (long long)CLI_IMAGE_MAX_PIXELS);
    longjmp(fail.jump, 1);
  }
  if (cli_image_alloc(&out, err, err_size) != 0) longjmp(fail.jump, 1);
  data = out.data;
  jpeg_start_decompress(&d);
  if ((int)d.output_width != out.width || (int)d.output_height != out.height || d.output_components != out.channels) {
    snprintf(err, err_size, "unexpected output layout");
    longjmp(fail.jump, 1);
  }
  size_t row_bytes = cli_image_row_bytes(out.width, out.channels, 8);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = (JSAMPROW)data + (size_t)d.output_scanline * row_bytes;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  fclose(f);
  *img = out;
  return 0;
}

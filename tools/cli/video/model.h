/* The model side of `repconv video`: the model loaded for the video's frame
 * size, its scale, and the call that runs it on one Y plane. */
#ifndef CLI_VIDEO_MODEL_H
#define CLI_VIDEO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tools/cli/cli.h"
#include "tools/cli/video/y4m.h"

typedef struct cli_video_model {
  repconv_options_t* opts;
  repconv_model_t* model;
  repconv_session_t* session;
  int scale;                    /* output size / input size, the same for H and W */
  cli_y4m_format in_fmt, y_out; /* the Y planes in and out */
  /* 8-bit: the Y planes go to the session as GRAY8 images (the library
   * converts them in and the last kernel stores them out). High depths:
   * float planes (F32 images) converted here, scaled to the model's 0..255. */
  float *f_in, *f_out; /* high depths only */
  float to_model, from_model;
  double ms_to_float, ms_run, ms_to_int; /* totals, for --profile (conversions here: high depths only) */
} cli_video_model;

/* Loads a->model for frames of fmt's size (input shape 1x1xHxW) with a's
 * options and a session; checks that it maps one 1-channel image to one
 * 1-channel image scaled by an integer factor. EXIT_OK, or the exit status
 * with the message printed (`what` names the video for messages). */
int cli_video_model_open(const cli_args* a, const cli_y4m_format* fmt, cli_video_model* m);
void cli_video_model_close(cli_video_model* m);

/* One Y plane in (the y4m frame's: width samples a row), one out (a
 * cli_video_process_fn): the one place the CLI calls the session, through
 * the library's frame API (repconv_session_run_image). 0, or -1 with the
 * message in err. */
int cli_video_model_run_y(void* ctx, const uint8_t* in, uint8_t* out, char* err, size_t err_size);
/* Bytes of the float planes the CLI holds (0 at 8 bits). */
size_t cli_video_model_float_bytes(const cli_video_model* m);

#endif

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
  int scale;                             /* output size / input size, the same for H and W */
  cli_y4m_format in_fmt, y_out;          /* the Y planes in and out */
  repconv_tensor_t in, out;              /* float32 1x1xHxW and 1x1x(sH)x(sW) */
  float to_model, from_model;            /* samples to the model's 0..255 and back (high depths) */
  double ms_to_float, ms_run, ms_to_int; /* totals, for --profile */
} cli_video_model;

/* Loads a->model for frames of fmt's size (input shape 1x1xHxW) with a's
 * options and a session; checks that it maps one 1-channel image to one
 * 1-channel image scaled by an integer factor. EXIT_OK, or the exit status
 * with the message printed (`what` names the video for messages). */
int cli_video_model_open(const cli_args* a, const cli_y4m_format* fmt, cli_video_model* m);
void cli_video_model_close(cli_video_model* m);

/* Converts one Y plane to the model's input (samples to float 0..255). */
void cli_video_model_load_y(cli_video_model* m, const uint8_t* in);
/* Runs the session on m->in into m->out. 0, or -1 with the message in err. */
int cli_video_model_run(cli_video_model* m, char* err, size_t err_size);
/* Converts the model's output to one Y plane (rounded, clamped to the
 * depth's range; NaN to 0). */
void cli_video_model_store_y(cli_video_model* m, uint8_t* out);
/* Both: one Y plane in, one out (a cli_video_process_fn). This is the one
 * place the CLI converts and calls the session, to switch to the library's
 * frame API (uint8 planes with a stride, normalization and rounding fused
 * into the kernels) when it lands. */
int cli_video_model_run_y(void* ctx, const uint8_t* in, uint8_t* out, char* err, size_t err_size);

#endif

/* The video stream: a reader thread, the model on the calling thread, a
 * writer thread, and a chroma worker, joined by bounded queues so reading,
 * compute and writing overlap and at most CLI_VIDEO_FRAMES input frames and
 * CLI_VIDEO_FRAMES output frames are in memory at any time:
 *
 *   reader --[in]--> model on Y (+ chroma worker) --[out]--> writer
 *
 * For each frame the calling thread hands the other planes (Cb, Cr, alpha)
 * to the chroma worker, runs `process_y` on the Y plane, then waits for the
 * worker: chroma resizing overlaps the model. Errors stop the stream: the
 * frames finished before it are all written (complete, in order), the
 * message names the frame. */
#ifndef CLI_VIDEO_PIPELINE_H
#define CLI_VIDEO_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "tools/cli/video/y4m.h"

/* Frames per direction: one being read (written) while the other is in
 * compute. Enough for the three stages to overlap; a third frame each way
 * only absorbs jitter, and at 1080p → 4K it costs 15 MB (peak RSS of 10
 * frames, 1 thread: 66 MB with 3 each way, 51 MB with 2). */
#define CLI_VIDEO_FRAMES 2

/* Runs the model on one Y plane: in is in_fmt's Y plane, out out_fmt's (both
 * packed, samples of in_fmt's size). 0, or -1 with a message in err. */
typedef int (*cli_video_process_fn)(void* ctx, const uint8_t* in, uint8_t* out, char* err, size_t err_size);

typedef struct cli_video_pipeline {
  /* set by the caller */
  cli_y4m_reader* reader; /* positioned after the stream header */
  const cli_y4m_format* in_fmt;
  const cli_y4m_format* out_fmt;
  int out_fd; /* the stream header is already written */
  cli_video_process_fn process_y;
  void* ctx;
  void (*progress)(void* progress_ctx, int64_t frames_done); /* after each frame, on the calling thread; or NULL */
  void* progress_ctx;
  const char* in_name; /* the input in messages: "'<in_name>': frame 3 is truncated ..." */
  /* results */
  int64_t frames_written;
  int output_closed; /* the writer got EPIPE */
  char err[1024];    /* the first error, "" when none */
  /* milliseconds: the calling thread waiting for input, in process_y, waiting
   * for the chroma worker, waiting for a free output frame; the chroma
   * worker busy; the writer in write() */
  double ms_wait_in, ms_model, ms_wait_chroma, ms_wait_out, ms_chroma, ms_write;
} cli_video_pipeline;

/* Streams every frame; 0 when all went through, -1 with p->err set. */
int cli_video_pipeline_run(cli_video_pipeline* p);

/* Resizes planes 1.. of a frame (Cb, Cr, alpha) from in to out with the
 * bicubic filter. 0, or -1 when out of memory. */
int cli_video_resize_chroma(const cli_y4m_format* in, const uint8_t* src, const cli_y4m_format* out, uint8_t* dst);

#endif

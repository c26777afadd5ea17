/* repconv video: a YUV4MPEG2 stream through an image model. The model runs
 * on the Y plane of each frame; Cb, Cr (and alpha) are resized by the
 * model's scale with the bicubic filter. Frames stream through
 * tools/cli/video/pipeline.h (read, compute and write overlap, a few frames
 * in memory); every message goes to stderr, so OUT may be stdout. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/cli/cli.h"
#include "tools/cli/video/model.h"
#include "tools/cli/video/pipeline.h"
#include "tools/cli/video/y4m.h"

/* --model-only keeps at most this many frames (as floats) in memory and
 * cycles through them for the clip's frame count. */
#define VIDEO_BENCH_FRAMES 16

typedef struct video_run {
  const cli_args* a;
  const char* in_name; /* for messages: the path, or "stdin" */
  cli_video_model model;
  int show_progress;
  int64_t total; /* frames in the input when it is a file (an estimate), else -1 */
  double t_start;
} video_run;

static const char* stream_name(const char* path, int out) {
  return strcmp(path, "-") == 0 ? (out ? "stdout" : "stdin") : path;
}

/* The frame count of a regular file, from its size: exact when FRAME lines
 * carry no parameters; -1 for pipes. */
static int64_t estimate_frames(int fd, uint64_t header_bytes, const cli_y4m_format* f) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < header_bytes) return -1;
  return (int64_t)(((uint64_t)st.st_size - header_bytes) / (cli_y4m_frame_bytes(f) + 6));
}

static void progress(void* ctx, int64_t done) {
  video_run* r = ctx;
  if (!r->show_progress) return;
  double s = (now_ms() - r->t_start) / 1e3;
  double fps = s > 0 ? (double)done / s : 0;
  if (r->total > 0 && done <= r->total) {
    double eta = fps > 0 ? (double)(r->total - done) / fps : 0;
    cli_progress(1, "video: %lld/%lld frames, %.2f frames/s, ETA %d:%02d", (long long)done, (long long)r->total, fps,
                 (int)(eta / 60), (int)eta % 60);
  } else {
    cli_progress(1, "video: %lld frames, %.2f frames/s", (long long)done, fps);
  }
}

static int open_input(const char* path, int* fd) {
  if (strcmp(path, "-") == 0) {
    *fd = STDIN_FILENO;
    return EXIT_OK;
  }
  *fd = open(path, O_RDONLY);
  if (*fd < 0) return fail(EXIT_ERROR, "video: cannot open '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(*fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(*fd);
    *fd = -1;
    return fail(EXIT_ERROR, "video: '%s' is a directory, not a .y4m stream", path);
  }
  return EXIT_OK;
}

static int open_output(const char* path, int* fd) {
  if (strcmp(path, "-") == 0) {
    if (isatty(STDOUT_FILENO)) {
      return fail(EXIT_ERROR, "video: not writing a video to a terminal (redirect stdout, or pipe it to ffmpeg)");
    }
    *fd = STDOUT_FILENO;
    return EXIT_OK;
  }
  *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (*fd < 0) return fail(EXIT_ERROR, "video: cannot create '%s': %s", path, strerror(errno));
  return EXIT_OK;
}

/* The output header: the input's, W and H scaled; F, I, A (the pixel aspect
 * is unchanged by a uniform scale), C and X carried over. */
static int output_header(const cli_y4m_header* in, int scale, cli_y4m_header* out) {
  *out = *in;
  if ((int64_t)in->width * scale > CLI_Y4M_MAX_SIZE * 4 || (int64_t)in->height * scale > CLI_Y4M_MAX_SIZE * 4) {
    return -1;
  }
  out->width = in->width * scale;
  out->height = in->height * scale;
  out->fmt.width = out->width;
  out->fmt.height = out->height;
  return 0;
}

/* --model-only: the model thread's call (cli_video_model_run_y: the
 * session's frame API on the Y plane) on the clip's frames back to back,
 * nothing else timed (reading happens before). */
static int model_only(video_run* r, cli_y4m_reader* rd, const cli_y4m_header* h) {
  cli_video_model* m = &r->model;
  const size_t in_b = (size_t)h->width * (size_t)h->height * (size_t)h->fmt.bytes;
  const size_t out_b = in_b * (size_t)m->scale * (size_t)m->scale;
  uint8_t* frame = malloc(cli_y4m_frame_bytes(&h->fmt));
  uint8_t* kept = malloc(in_b * VIDEO_BENCH_FRAMES);
  uint8_t* y_out = malloc(out_b);
  char params[CLI_Y4M_MAX_LINE], err[768];
  if (!frame || !kept || !y_out) {
    free(frame);
    free(kept);
    free(y_out);
    return fail(EXIT_ERROR, "video: out of memory for %d frames", VIDEO_BENCH_FRAMES);
  }
  int64_t frames = 0;
  int rc;
  while ((rc = cli_y4m_read_frame(rd, &h->fmt, frames, frame, params, err, sizeof err)) == 1) {
    if (frames < VIDEO_BENCH_FRAMES) memcpy(kept + in_b * (size_t)frames, frame, in_b); /* Y comes first */
    ++frames;
  }
  free(frame);
  if (rc < 0) {
    free(kept);
    free(y_out);
    return fail(EXIT_ERROR, "video: '%s': %s", r->in_name, err);
  }
  double* ms = malloc((size_t)(frames ? frames : 1) * sizeof(double));
  rc = EXIT_OK;
  for (int64_t k = 0; k < frames && ms; ++k) {
    double t0 = now_ms();
    if (cli_video_model_run_y(m, kept + in_b * (size_t)(k % VIDEO_BENCH_FRAMES), y_out, err, sizeof err) != 0) {
      rc = fail(EXIT_ERROR, "video: frame %lld: %s", (long long)k + 1, err);
      break;
    }
    ms[k] = now_ms() - t0;
  }
  free(y_out);
  if (!ms) rc = fail(EXIT_ERROR, "video: out of memory");
  if (rc == EXIT_OK) {
    double total = 0;
    for (int64_t k = 0; k < frames; ++k) total += ms[k];
    for (int64_t i = 1; i < frames; ++i) { /* insertion sort: a few hundred frames at most in practice */
      double v = ms[i];
      int64_t j = i - 1;
      for (; j >= 0 && ms[j] > v; --j) ms[j + 1] = ms[j];
      ms[j + 1] = v;
    }
    double median = frames ? (frames % 2 ? ms[frames / 2] : (ms[frames / 2 - 1] + ms[frames / 2]) / 2) : 0;
    fprintf(stderr,
            "video: model alone: %lld frames %dx%d " ARROW " %dx%d in %.2f s, %.2f frames/s (median %.1f ms a frame)\n",
            (long long)frames, h->width, h->height, m->y_out.width, m->y_out.height, total / 1e3,
            total > 0 ? (double)frames * 1e3 / total : 0.0, median);
  }
  free(ms);
  free(kept);
  return rc;
}

static void print_profile(const cli_video_pipeline* p, const cli_video_model* m, int64_t frames) {
  if (frames <= 0) return;
  const double n = (double)frames;
  fprintf(stderr,
          "video: per frame (ms): model thread: waiting for input %.2f, Y to float %.2f, model %.2f, Y to integers "
          "%.2f, waiting for chroma %.2f, waiting for a free output frame %.2f; chroma worker: resizing %.2f; writer: "
          "writing %.2f\n",
          p->ms_wait_in / n, m->ms_to_float / n, m->ms_run / n, m->ms_to_int / n, p->ms_wait_chroma / n,
          p->ms_wait_out / n, p->ms_chroma / n, p->ms_write / n);
  const double mib = 1024.0 * 1024.0;
  const double in_b = (double)cli_y4m_frame_bytes(p->in_fmt), out_b = (double)cli_y4m_frame_bytes(p->out_fmt);
  fprintf(stderr,
          "video: memory (MiB): frames %.1f (%d in of %.1f, %d out of %.1f), the CLI's float Y in and out %.1f "
          "(high depths only), the session's arena %.1f\n",
          CLI_VIDEO_FRAMES * (in_b + out_b) / mib, CLI_VIDEO_FRAMES, in_b / mib, CLI_VIDEO_FRAMES, out_b / mib,
          (double)cli_video_model_float_bytes(m) / mib, (double)repconv_session_arena_bytes(m->session) / mib);
}

static int cmd_video(const cli_args* a) {
  const size_t need = a->model_only ? 1 : 2;
  if (a->num_operands != need) {
    return usage_error("video", a->model_only ? "--model-only takes MODEL and IN.y4m (no OUT)"
                                              : "expected MODEL IN.y4m OUT.y4m ('-' for stdin or stdout)");
  }
  for (size_t k = 0; k < need; ++k) {
    if (!a->operands[k][0]) return usage_error("video", "empty %s argument", k ? "OUT" : "IN");
  }
  video_run r = {.a = a, .in_name = stream_name(a->operands[0], 0), .total = -1};
  r.show_progress = !a->quiet && (a->progress || isatty(STDERR_FILENO));
  int in_fd = -1, out_fd = -1, rc;
  static cli_y4m_reader reader; /* 64 KiB: not on the stack */
  cli_y4m_header h, oh;
  char err[768];
  rc = open_input(a->operands[0], &in_fd);
  if (rc != EXIT_OK) return rc;
  cli_y4m_reader_init(&reader, in_fd);
  if (cli_y4m_read_header(&reader, &h, err, sizeof err) != 0) {
    rc = fail(EXIT_ERROR, "video: '%s': %s", r.in_name, err);
    goto done;
  }
  if (h.interlace == 't' || h.interlace == 'b' || h.interlace == 'm') {
    rc = fail(EXIT_ERROR,
              "video: '%s' is interlaced (I%c): upscaling would mix its two fields; deinterlace it first "
              "(e.g. ffmpeg -vf bwdif)",
              r.in_name, h.interlace);
    goto done;
  }
  const double t_load = now_ms();
  rc = cli_video_model_open(a, &h.fmt, &r.model);
  if (rc != EXIT_OK) goto done;
  const double load_s = (now_ms() - t_load) / 1e3;
  if (a->model_only) {
    rc = model_only(&r, &reader, &h);
    goto done;
  }
  if (output_header(&h, r.model.scale, &oh) != 0) {
    rc = fail(EXIT_ERROR, "video: %dx%d scaled by %d is too large", h.width, h.height, r.model.scale);
    goto done;
  }
  rc = open_output(a->operands[1], &out_fd);
  if (rc != EXIT_OK) goto done;
  /* a consumer that quits early is an error to report, not a signal */
  signal(SIGPIPE, SIG_IGN);
  char line[CLI_Y4M_MAX_LINE + 64];
  int n = cli_y4m_format_header(&oh, line, sizeof line);
  if (n < 0) {
    rc = fail(EXIT_ERROR, "video: the output header is longer than %d bytes", CLI_Y4M_MAX_LINE);
    goto done;
  }
  if (cli_y4m_write_all(out_fd, line, (size_t)n) != 0) {
    rc = errno == EPIPE ? fail(EXIT_ERROR, "video: output closed after 0 frames")
                        : fail(EXIT_ERROR, "video: writing '%s': %s", stream_name(a->operands[1], 1), strerror(errno));
    goto done;
  }
  r.total = estimate_frames(in_fd, reader.offset, &h.fmt);
  cli_video_pipeline p = {
      .reader = &reader,
      .in_fmt = &h.fmt,
      .out_fmt = &oh.fmt,
      .out_fd = out_fd,
      .process_y = cli_video_model_run_y,
      .ctx = &r.model,
      .progress = progress,
      .progress_ctx = &r,
      .in_name = r.in_name,
  };
  r.t_start = now_ms();
  int prc = cli_video_pipeline_run(&p);
  const double secs = (now_ms() - r.t_start) / 1e3;
  cli_progress_clear(r.show_progress);
  if (prc != 0) {
    rc = fail(EXIT_ERROR, "video: %s", p.err);
    goto done;
  }
  if (!a->quiet) {
    fprintf(stderr,
            "video: %lld frames %dx%d " ARROW " %dx%d (C%s) in %.2f s, %.2f frames/s (model loaded in %.2f s)\n",
            (long long)p.frames_written, h.width, h.height, oh.width, oh.height,
            h.colorspace[0] ? h.colorspace : "420jpeg", secs, secs > 0 ? (double)p.frames_written / secs : 0.0, load_s);
  }
  if (a->profile) print_profile(&p, &r.model, p.frames_written);
  rc = EXIT_OK;
done:
  cli_video_model_close(&r.model);
  if (in_fd > STDERR_FILENO) close(in_fd);
  if (out_fd > STDERR_FILENO && close(out_fd) != 0 && rc == EXIT_OK) {
    rc = fail(EXIT_ERROR, "video: writing '%s': %s", a->operands[1], strerror(errno));
  }
  return rc;
}

const cli_command cli_video_command = {
    .name = "video",
    .usage =
        "  video MODEL IN.y4m OUT.y4m [--threads N] [--progress] [--quiet] [--profile]\n"
        "  video MODEL IN.y4m --model-only [--threads N]\n"
        "      runs MODEL (one channel in and out, e.g. ecbsr-m4c16-x2) on the Y plane of\n"
        "      each frame of a YUV4MPEG2 stream and resizes its chroma (and alpha) planes\n"
        "      by the model's scale with a bicubic filter; '-' is stdin or stdout:\n"
        "        ffmpeg -i in.mp4 -f yuv4mpegpipe - | repconv video ecbsr-m4c16-x2 - - |\n"
        "          ffmpeg -f yuv4mpegpipe -i - out.mp4\n"
        "      4:2:0, 4:1:1, 4:2:2, 4:4:4 (with alpha) and mono, 8 to 16 bits; the header\n"
        "      is carried over with W and H scaled. Frames stream: reading, the model and\n"
        "      writing overlap, 3 frames in memory each way. Progress on a terminal (or\n"
        "      --progress), a summary line on stderr unless --quiet\n",
    .options = OPT_THREADS | OPT_BACKEND | OPT_NO_FOLD | OPT_MAX_KERNEL | OPT_LIMIT | OPT_PROFILE | OPT_PROGRESS |
               OPT_QUIET | OPT_MODEL_ONLY,
    .takes_model = 1,
    .default_fold = 1,
    .max_operands = 2,
    .run = cmd_video,
};

/* tools/cli/video/pipeline.c with a stand-in model (nearest-neighbour x2 on
 * Y): every frame through in order with its FRAME parameters, chroma resized
 * by the bicubic filter (odd sizes, 8 and 16 bits), and the stream stopped
 * cleanly by a truncated input, a failing model or a closed output (the
 * frames before complete, no hang with the input pipe still open). */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/cli/img/resample.h"
#include "tools/cli/video/pipeline.h"
#include "tools/cli/video/y4m.h"

static cli_y4m_header g_in, g_out;
static cli_y4m_reader g_reader;

typedef struct fake {
  int w, h, bytes;
  int64_t calls, fail_at; /* fail on that call (1-based), 0: never */
  int64_t progress_last;
} fake;

/* Nearest-neighbour x2 of the Y plane. */
static int fake_model(void* ctx, const uint8_t* in, uint8_t* out, char* err, size_t n) {
  fake* f = ctx;
  if (++f->calls == f->fail_at) {
    snprintf(err, n, "boom");
    return -1;
  }
  for (int y = 0; y < 2 * f->h; ++y) {
    for (int x = 0; x < 2 * f->w; ++x) {
      memcpy(out + ((size_t)y * 2 * f->w + x) * f->bytes, in + ((size_t)(y / 2) * f->w + x / 2) * f->bytes, f->bytes);
    }
  }
  return 0;
}

static void on_progress(void* ctx, int64_t done) {
  fake* f = ctx;
  assert_int_equal(done, f->progress_last + 1);
  f->progress_last = done;
}

static void headers(const char* line) {
  char err[256] = "";
  if (cli_y4m_parse_header(line, strlen(line), &g_in, err, sizeof err) != 0) fail_msg("%s", err);
  g_out = g_in;
  g_out.width = g_out.fmt.width = 2 * g_in.width;
  g_out.height = g_out.fmt.height = 2 * g_in.height;
}

/* Frame k's bytes: a pattern that differs per frame and sample. */
static uint8_t sample(int64_t k, size_t i) { return (uint8_t)(k * 31 + i * 7 + (i >> 3)); }

/* A file with `frames` frames of g_in (the last cut to `last_bytes` when
 * > 0), frame 1 with parameters; positioned after the header. */
static FILE* input(int frames, size_t last_bytes) {
  FILE* f = tmpfile();
  assert_non_null(f);
  const size_t fb = cli_y4m_frame_bytes(&g_in.fmt);
  fprintf(f, "YUV4MPEG2 W%d H%d C%s\n", g_in.width, g_in.height, g_in.colorspace);
  for (int k = 0; k < frames; ++k) {
    fprintf(f, k == 1 ? "FRAME Ip Xk=1\n" : "FRAME\n");
    const size_t n = (k == frames - 1 && last_bytes) ? last_bytes : fb;
    for (size_t i = 0; i < n; ++i) fputc(sample(k, i), f);
  }
  fflush(f);
  lseek(fileno(f), 0, SEEK_SET);
  cli_y4m_reader_init(&g_reader, fileno(f));
  char err[256];
  assert_int_equal(cli_y4m_read_header(&g_reader, &g_in, err, sizeof err), 0);
  return f;
}

static cli_video_pipeline pipeline(fake* fk, int out_fd) {
  cli_video_pipeline p = {.reader = &g_reader,
                          .in_fmt = &g_in.fmt,
                          .out_fmt = &g_out.fmt,
                          .out_fd = out_fd,
                          .process_y = fake_model,
                          .ctx = fk,
                          .progress = on_progress,
                          .progress_ctx = fk,
                          .in_name = "in.y4m"};
  *fk = (fake){.w = g_in.width, .h = g_in.height, .bytes = g_in.fmt.bytes};
  return p;
}

/* Reads the output back: `frames` complete frames, each the stand-in's Y
 * and the bicubic chroma of its input frame, frame 2 with its parameters;
 * then the end of the file. */
static void check_output(FILE* out, int frames) {
  lseek(fileno(out), 0, SEEK_SET);
  static cli_y4m_reader r;
  cli_y4m_reader_init(&r, fileno(out));
  const size_t in_b = cli_y4m_frame_bytes(&g_in.fmt), out_b = cli_y4m_frame_bytes(&g_out.fmt);
  uint8_t* src = malloc(in_b);
  uint8_t* got = malloc(out_b);
  uint8_t* want = malloc(out_b);
  char params[CLI_Y4M_MAX_LINE], err[256] = "";
  fake fk = {.w = g_in.width, .h = g_in.height, .bytes = g_in.fmt.bytes};
  for (int k = 0; k < frames; ++k) {
    int rc = cli_y4m_read_frame(&r, &g_out.fmt, k, got, params, err, sizeof err);
    if (rc != 1) fail_msg("output frame %d: rc %d %s", k + 1, rc, err);
    assert_string_equal(params, k == 1 ? " Ip Xk=1" : "");
    for (size_t i = 0; i < in_b; ++i) src[i] = sample(k, i);
    fake_model(&fk, src, want, err, sizeof err);
    assert_int_equal(cli_video_resize_chroma(&g_in.fmt, src, &g_out.fmt, want), 0);
    assert_memory_equal(got, want, out_b);
  }
  assert_int_equal(cli_y4m_read_frame(&r, &g_out.fmt, frames, got, params, err, sizeof err), 0);
  free(src);
  free(got);
  free(want);
}

/* The chroma planes are cli_resize_bicubic of each plane (4:2:0 at 7x5:
 * chroma 4x3 -> 7x5), Y left to the model. */
static void test_chroma_planes(void** state) {
  (void)state;
  headers("YUV4MPEG2 W7 H5 C420jpeg");
  assert_int_equal(cli_y4m_plane_width(&g_out.fmt, 1), 7);
  uint8_t src[35 + 2 * 12], dst[140 + 2 * 35], plane[35];
  for (size_t i = 0; i < sizeof src; ++i) src[i] = sample(3, i);
  memset(dst, 0xee, sizeof dst);
  assert_int_equal(cli_video_resize_chroma(&g_in.fmt, src, &g_out.fmt, dst), 0);
  for (size_t i = 0; i < 140; ++i) assert_int_equal(dst[i], 0xee);
  for (int k = 0; k < 2; ++k) {
    cli_plane a = {CLI_SAMPLE_U8, 4, 3, 4, src + 35 + 12 * k};
    cli_plane b = {CLI_SAMPLE_U8, 7, 5, 7, plane};
    assert_int_equal(cli_resize_bicubic(&a, &b, 255), 0);
    assert_memory_equal(dst + 140 + 35 * k, plane, 35);
  }
  /* 10-bit 4:2:2: 16-bit samples clamped to 1023 */
  headers("YUV4MPEG2 W3 H2 C422p10");
  uint16_t s16[6 + 2 * 4], d16[24 + 2 * 12], p16[12];
  for (int i = 0; i < 14; ++i) s16[i] = (uint16_t)(i % 2 ? 1023 : 0);
  assert_int_equal(cli_video_resize_chroma(&g_in.fmt, (uint8_t*)s16, &g_out.fmt, (uint8_t*)d16), 0);
  for (int k = 0; k < 2; ++k) {
    cli_plane a = {CLI_SAMPLE_U16, 2, 2, 2, s16 + 6 + 4 * k};
    cli_plane b = {CLI_SAMPLE_U16, 3, 4, 3, p16};
    assert_int_equal(cli_resize_bicubic(&a, &b, 1023), 0);
    assert_memory_equal(d16 + 24 + 12 * k, p16, sizeof p16);
    for (int i = 0; i < 12; ++i) assert_true(p16[i] <= 1023);
  }
}

/* Every frame through, in order, for each kind of colorspace. */
static void test_frames_through(void** state) {
  (void)state;
  const char* spaces[] = {"YUV4MPEG2 W7 H5 C420jpeg", "YUV4MPEG2 W7 H5 C422",    "YUV4MPEG2 W6 H4 C444alpha",
                          "YUV4MPEG2 W5 H3 Cmono",    "YUV4MPEG2 W5 H3 C420p10", "YUV4MPEG2 W5 H5 C411"};
  for (size_t s = 0; s < sizeof spaces / sizeof spaces[0]; ++s) {
    headers(spaces[s]);
    for (int frames = 0; frames <= 7; frames += 7) { /* zero frames, and more than the queues hold */
      FILE* in = input(frames, 0);
      FILE* out = tmpfile();
      fake fk;
      cli_video_pipeline p = pipeline(&fk, fileno(out));
      if (cli_video_pipeline_run(&p) != 0) fail_msg("%s: %s", spaces[s], p.err);
      assert_int_equal(p.frames_written, frames);
      assert_int_equal(fk.progress_last, frames);
      check_output(out, frames);
      fclose(in);
      fclose(out);
    }
  }
}

/* The last frame cut short: an error naming it; the frames before it all
 * written, complete. */
static void test_truncated_input(void** state) {
  (void)state;
  headers("YUV4MPEG2 W7 H5 C420jpeg");
  FILE* in = input(5, 20);
  FILE* out = tmpfile();
  fake fk;
  cli_video_pipeline p = pipeline(&fk, fileno(out));
  assert_int_equal(cli_video_pipeline_run(&p), -1);
  assert_string_equal(p.err, "'in.y4m': frame 5 is truncated: the input ends after 20 of its 59 bytes");
  assert_int_equal(p.frames_written, 4);
  check_output(out, 4);
  fclose(in);
  fclose(out);
}

/* The model fails on frame 3: the message names it, frames 1 and 2 are out. */
static void test_model_fails(void** state) {
  (void)state;
  headers("YUV4MPEG2 W7 H5 C420jpeg");
  FILE* in = input(6, 0);
  FILE* out = tmpfile();
  fake fk;
  cli_video_pipeline p = pipeline(&fk, fileno(out));
  fk.fail_at = 3;
  assert_int_equal(cli_video_pipeline_run(&p), -1);
  assert_string_equal(p.err, "frame 3: boom");
  assert_int_equal(p.frames_written, 2);
  check_output(out, 2);
  fclose(in);
  fclose(out);
}

/* The consumer has gone and the producer keeps its end open without
 * writing: the run ends (the reader woken from its poll) with "output
 * closed". */
static void test_output_closed_input_idle(void** state) {
  (void)state;
  headers("YUV4MPEG2 W7 H5 C420jpeg");
  int in_pipe[2], out_pipe[2];
  assert_int_equal(pipe(in_pipe), 0);
  assert_int_equal(pipe(out_pipe), 0);
  close(out_pipe[0]);
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  uint8_t frame[59] = {0};
  assert_int_equal(cli_y4m_write_frame(in_pipe[1], "", frame, sizeof frame), 0);
  cli_y4m_reader_init(&g_reader, in_pipe[0]);
  fake fk;
  cli_video_pipeline p = pipeline(&fk, out_pipe[1]);
  assert_int_equal(cli_video_pipeline_run(&p), -1);
  assert_string_equal(p.err, "output closed after 0 frames");
  assert_int_equal(p.output_closed, 1);
  signal(SIGPIPE, old);
  close(in_pipe[0]);
  close(in_pipe[1]);
  close(out_pipe[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chroma_planes),
      cmocka_unit_test(test_frames_through),
      cmocka_unit_test(test_truncated_input),
      cmocka_unit_test(test_model_fails),
      cmocka_unit_test(test_output_closed_input_idle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

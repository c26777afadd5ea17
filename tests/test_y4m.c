/* tools/cli/video/y4m.c: the YUV4MPEG2 header (every colorspace, every
 * field, X and unknown tags carried over, malformed headers), frame sizes
 * (odd sizes round chroma up), and frames read from and written to file
 * descriptors (FRAME parameters, zero frames, truncated frames and headers). */
#define _GNU_SOURCE /* F_GETPIPE_SZ */

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/cli/video/y4m.h"

static cli_y4m_header g_h; /* 4 KiB of extra tags: not on the stack */

static int parse(const char* line, char* err, size_t n) {
  return cli_y4m_parse_header(line, strlen(line), &g_h, err, n);
}

/* A temp file holding bytes, positioned at its start; its descriptor. */
static FILE* file_with(const void* bytes, size_t n) {
  FILE* f = tmpfile();
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(bytes, 1, n, f), n);
  assert_int_equal(fflush(f), 0);
  assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
  return f;
}

/* Every colorspace: planes, subsampling, depth; frame bytes at 5x3 (odd
 * sizes: 4:2:0 chroma is 3x2, 4:1:1 2x3, 4:2:2 3x3). */
static void test_colorspaces(void** state) {
  (void)state;
  static const struct {
    const char* c;
    int planes, sx, sy, depth;
    size_t frame;
  } cases[] = {
      {"", 3, 1, 1, 8, 15 + 2 * 6},    {"420jpeg", 3, 1, 1, 8, 27}, {"420paldv", 3, 1, 1, 8, 27},
      {"420mpeg2", 3, 1, 1, 8, 27},    {"420", 3, 1, 1, 8, 27},     {"411", 3, 2, 0, 8, 15 + 2 * 6},
      {"422", 3, 1, 0, 8, 15 + 2 * 9}, {"444", 3, 0, 0, 8, 45},     {"444alpha", 4, 0, 0, 8, 60},
      {"mono", 1, 0, 0, 8, 15},        {"420p10", 3, 1, 1, 10, 54}, {"422p12", 3, 1, 0, 12, 2 * 33},
      {"444p16", 3, 0, 0, 16, 90},     {"420p9", 3, 1, 1, 9, 54},   {"mono16", 1, 0, 0, 16, 30},
      {"mono10", 1, 0, 0, 10, 30},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    char line[128], err[512] = "";
    snprintf(line, sizeof line, "YUV4MPEG2 W5 H3%s%s", cases[k].c[0] ? " C" : "", cases[k].c);
    if (parse(line, err, sizeof err) != 0) fail_msg("%s: %s", line, err);
    assert_int_equal(g_h.fmt.planes, cases[k].planes);
    assert_int_equal(g_h.fmt.shift_x, cases[k].sx);
    assert_int_equal(g_h.fmt.shift_y, cases[k].sy);
    assert_int_equal(g_h.fmt.depth, cases[k].depth);
    assert_int_equal(g_h.fmt.bytes, cases[k].depth > 8 ? 2 : 1);
    if (cli_y4m_frame_bytes(&g_h.fmt) != cases[k].frame) {
      fail_msg("%s: frame of %zu bytes, expected %zu", line, cli_y4m_frame_bytes(&g_h.fmt), cases[k].frame);
    }
  }
  /* 4:2:0 at 5x3: chroma planes 3x2 */
  assert_int_equal(parse("YUV4MPEG2 W5 H3 C420jpeg", NULL, 0), 0);
  assert_int_equal(cli_y4m_plane_width(&g_h.fmt, 1), 3);
  assert_int_equal(cli_y4m_plane_height(&g_h.fmt, 2), 2);
  assert_int_equal(cli_y4m_plane_width(&g_h.fmt, 0), 5);
}

/* Every field parsed; the header written back is the same line (fields in
 * W H F I A C order, then the X and unknown tags as they came). */
static void test_all_fields_round_trip(void** state) {
  (void)state;
  const char* line =
      "YUV4MPEG2 W1920 H1080 F30000:1001 Ip A128:117 C420mpeg2 XYSCSS=420MPEG2 XCOLORRANGE=LIMITED Zfuture X";
  char err[512] = "", out[CLI_Y4M_MAX_LINE + 8];
  if (parse(line, err, sizeof err) != 0) fail_msg("%s", err);
  assert_int_equal(g_h.width, 1920);
  assert_int_equal(g_h.height, 1080);
  assert_true(g_h.has_rate && g_h.rate_num == 30000 && g_h.rate_den == 1001);
  assert_int_equal(g_h.interlace, 'p');
  assert_true(g_h.has_aspect && g_h.aspect_num == 128 && g_h.aspect_den == 117);
  assert_string_equal(g_h.colorspace, "420mpeg2");
  assert_string_equal(g_h.extra, " XYSCSS=420MPEG2 XCOLORRANGE=LIMITED Zfuture X");
  int n = cli_y4m_format_header(&g_h, out, sizeof out);
  assert_int_equal(n, (int)strlen(line) + 1);
  assert_memory_equal(out, line, strlen(line));
  assert_int_equal(out[n - 1], '\n');
  /* only W and H: written back as they were; repeated spaces skipped */
  assert_int_equal(parse("YUV4MPEG2  W4   H2 ", err, sizeof err), 0);
  assert_int_equal(g_h.has_rate + g_h.has_aspect + g_h.interlace + g_h.colorspace[0], 0);
  assert_int_equal(cli_y4m_format_header(&g_h, out, sizeof out), (int)strlen("YUV4MPEG2 W4 H2\n"));
  assert_string_equal(out, "YUV4MPEG2 W4 H2\n");
  /* unknown rate and aspect, I? */
  assert_int_equal(parse("YUV4MPEG2 W4 H2 F0:0 A0:0 I? Cmono", err, sizeof err), 0);
  assert_int_equal(g_h.interlace, '?');
  cli_y4m_format_header(&g_h, out, sizeof out);
  assert_string_equal(out, "YUV4MPEG2 W4 H2 F0:0 I? A0:0 Cmono\n");
  /* the buffer too small */
  assert_int_equal(cli_y4m_format_header(&g_h, out, 10), -1);
}

/* Malformed headers: -1 and a message naming the field. */
static void test_malformed_headers(void** state) {
  (void)state;
  static const struct {
    const char* line;
    const char* says;
  } cases[] = {
      {"", "not a YUV4MPEG2 stream"},
      {"YUV4MPEG", "not a YUV4MPEG2 stream"},
      {"YUV4MPEG2W4 H2", "not a YUV4MPEG2 stream"},
      {"P6 640 480", "not a YUV4MPEG2 stream"},
      {"YUV4MPEG2", "no W"},
      {"YUV4MPEG2 W4", "no H"},
      {"YUV4MPEG2 H4", "no W"},
      {"YUV4MPEG2 W0 H2", "bad width 'W0'"},
      {"YUV4MPEG2 W-4 H2", "bad width"},
      {"YUV4MPEG2 W4x H2", "bad width 'W4x'"},
      {"YUV4MPEG2 W32769 H2", "bad width"},
      {"YUV4MPEG2 W99999999999 H2", "bad width"},
      {"YUV4MPEG2 W4 H", "bad height 'H'"},
      {"YUV4MPEG2 W4 H2 W4", "W given twice"},
      {"YUV4MPEG2 W4 H2 F25", "bad frame rate 'F25'"},
      {"YUV4MPEG2 W4 H2 F25:0", "bad frame rate"},
      {"YUV4MPEG2 W4 H2 F:1", "bad frame rate"},
      {"YUV4MPEG2 W4 H2 A1:0", "bad pixel aspect"},
      {"YUV4MPEG2 W4 H2 A1", "bad pixel aspect"},
      {"YUV4MPEG2 W4 H2 Ix", "bad interlacing 'Ix'"},
      {"YUV4MPEG2 W4 H2 Ipp", "bad interlacing"},
      {"YUV4MPEG2 W4 H2 C", "bad colorspace"},
      {"YUV4MPEG2 W4 H2 C420p17", "colorspace 'C420p17' is not supported"},
      {"YUV4MPEG2 W4 H2 C420p8", "colorspace 'C420p8' is not supported"},
      {"YUV4MPEG2 W4 H2 C420jpegp10", "not supported"},
      {"YUV4MPEG2 W4 H2 C411p10", "not supported"},
      {"YUV4MPEG2 W4 H2 C444alpha10", "not supported"},
      {"YUV4MPEG2 W4 H2 Cmonop10", "not supported"},
      {"YUV4MPEG2 W4 H2 Cyuyv", "colorspace 'Cyuyv' is not supported"},
      {"YUV4MPEG2 W4 H2 C420 C422", "C given twice"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    char err[512] = "";
    if (parse(cases[k].line, err, sizeof err) != -1) fail_msg("'%s' was accepted", cases[k].line);
    if (!strstr(err, cases[k].says)) fail_msg("'%s': '%s' does not say '%s'", cases[k].line, err, cases[k].says);
  }
}

/* Frames: parameters carried, the end of the stream after the last frame,
 * every byte in place. */
static void test_read_frames(void** state) {
  (void)state;
  /* 3x3 4:2:0: 9 + 4 + 4 bytes a frame */
  const char hdr[] = "YUV4MPEG2 W3 H3 F25:1 C420jpeg\n";
  uint8_t bytes[256];
  size_t n = 0;
  memcpy(bytes, hdr, sizeof hdr - 1);
  n += sizeof hdr - 1;
  memcpy(bytes + n, "FRAME\n", 6);
  n += 6;
  for (int i = 0; i < 17; ++i) bytes[n++] = (uint8_t)i;
  memcpy(bytes + n, "FRAME Ixyz Ip\n", 14);
  n += 14;
  for (int i = 0; i < 17; ++i) bytes[n++] = (uint8_t)(100 + i);
  FILE* f = file_with(bytes, n);
  static cli_y4m_reader r;
  cli_y4m_reader_init(&r, fileno(f));
  char err[512] = "", params[CLI_Y4M_MAX_LINE];
  uint8_t frame[17];
  assert_int_equal(cli_y4m_read_header(&r, &g_h, err, sizeof err), 0);
  assert_int_equal(r.offset, sizeof hdr - 1);
  assert_int_equal(cli_y4m_read_frame(&r, &g_h.fmt, 0, frame, params, err, sizeof err), 1);
  assert_string_equal(params, "");
  for (int i = 0; i < 17; ++i) assert_int_equal(frame[i], i);
  assert_int_equal(cli_y4m_read_frame(&r, &g_h.fmt, 1, frame, params, err, sizeof err), 1);
  assert_string_equal(params, " Ixyz Ip");
  for (int i = 0; i < 17; ++i) assert_int_equal(frame[i], 100 + i);
  assert_int_equal(cli_y4m_read_frame(&r, &g_h.fmt, 2, frame, params, err, sizeof err), 0);
  assert_int_equal(r.offset, n);
  fclose(f);
}

/* A header and no frame: the header parses, the first read is the end. */
static void test_zero_frames(void** state) {
  (void)state;
  FILE* f = file_with("YUV4MPEG2 W2 H2 Cmono\n", 22);
  static cli_y4m_reader r;
  cli_y4m_reader_init(&r, fileno(f));
  char err[512] = "", params[CLI_Y4M_MAX_LINE];
  uint8_t frame[4];
  assert_int_equal(cli_y4m_read_header(&r, &g_h, err, sizeof err), 0);
  assert_int_equal(cli_y4m_read_frame(&r, &g_h.fmt, 0, frame, params, err, sizeof err), 0);
  fclose(f);
}

/* Streams cut or damaged: the message names the frame (from 1) and what. */
static void test_truncated_and_bad_frames(void** state) {
  (void)state;
#define S(literal) literal, sizeof(literal) - 1
  static const struct {
    const char* bytes;
    size_t n;
    int header_rc; /* 0: the header parses, frames follow */
    const char* says;
  } cases[] = {
      {S(""), -1, "empty input"},
      {S("YUV4MPEG2 W2 H2 Cmono"), -1, "ends within its header"},
      {S("GIF89a\x01\x02"), -1, "not a YUV4MPEG2 stream"},
      {S("YUV4MPEG2 W2 H2 Cmono\nFRAME\n\1\2\3\4FRAME\n\1\2"), 0,
       "frame 2 is truncated: the input ends after 2 of its 4 bytes"},
      {S("YUV4MPEG2 W2 H2 Cmono\nFRAME\n\1\2\3\4FRAM"), 0, "frame 2: the input ends within its FRAME header"},
      {S("YUV4MPEG2 W2 H2 Cmono\nFRAME\n\1\2\3\4FRAMX\n\1\2\3\4"), 0,
       "frame 2: expected a FRAME header at byte 32, found 'FRAMX'"},
      {S("YUV4MPEG2 W2 H2 Cmono\nFRAME\n\1\2\3\4\5FRAME\n"), 0, "frame 2: expected a FRAME header at byte 32"},
      {S("YUV4MPEG2 W2 H2 Cmono\nFRAMES\n\1\2\3\4"), 0, "frame 1: expected a FRAME header at byte 22, found 'FRAMES'"},
      {S("YUV4MPEG2 W2 H2 Cmono\nFRAME\n"), 0, "frame 1 is truncated: the input ends after 0 of its 4 bytes"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    FILE* f = file_with(cases[k].bytes, cases[k].n);
    static cli_y4m_reader r;
    cli_y4m_reader_init(&r, fileno(f));
    char err[512] = "", params[CLI_Y4M_MAX_LINE];
    uint8_t frame[4];
    int rc = cli_y4m_read_header(&r, &g_h, err, sizeof err);
    if (rc != cases[k].header_rc) fail_msg("case %zu: header rc %d (%s)", k, rc, err);
    for (int64_t i = 0; rc == 0; ++i) {
      rc = cli_y4m_read_frame(&r, &g_h.fmt, i, frame, params, err, sizeof err);
      if (rc == 0) fail_msg("case %zu: the stream ended without an error", k);
      rc = rc == 1 ? 0 : -1;
    }
    if (!strstr(err, cases[k].says)) fail_msg("case %zu: '%s' does not say '%s'", k, err, cases[k].says);
    fclose(f);
  }
#undef S
  /* a header line over the limit, and a long binary file that is no y4m */
  static char big[CLI_Y4M_MAX_LINE + 100];
  memset(big, 'X', sizeof big);
  memcpy(big, "YUV4MPEG2 W2 H2 ", 16);
  const char* says[2] = {"header line longer than 4095 bytes", "not a YUV4MPEG2 stream (it starts with 'XXXXXXXXX')"};
  for (int k = 0; k < 2; ++k) {
    if (k) memset(big, 'X', 16);
    FILE* f = file_with(big, sizeof big);
    static cli_y4m_reader r;
    cli_y4m_reader_init(&r, fileno(f));
    char err[512] = "";
    assert_int_equal(cli_y4m_read_header(&r, &g_h, err, sizeof err), -1);
    if (!strstr(err, says[k])) fail_msg("'%s' does not say '%s'", err, says[k]);
    fclose(f);
  }
}

/* The writer: "FRAME" + params + '\n' and the bytes, read back the same. */
static void test_write_frames(void** state) {
  (void)state;
  FILE* f = tmpfile();
  assert_non_null(f);
  const uint8_t data[4] = {9, 8, 7, 6};
  assert_int_equal(cli_y4m_write_all(fileno(f), "YUV4MPEG2 W2 H2 Cmono\n", 22), 0);
  assert_int_equal(cli_y4m_write_frame(fileno(f), "", data, 4), 0);
  assert_int_equal(cli_y4m_write_frame(fileno(f), " Xa=b", data, 4), 0);
  assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
  char all[128];
  const char want[] = "YUV4MPEG2 W2 H2 Cmono\nFRAME\n\t\b\a\6FRAME Xa=b\n\t\b\a\6";
  assert_int_equal(read(fileno(f), all, sizeof all), (ssize_t)sizeof want - 1);
  assert_memory_equal(all, want, sizeof want - 1);
  fclose(f);
  /* a closed pipe: -1 (EPIPE once SIGPIPE is ignored, as the CLI does) */
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  close(fds[0]);
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  assert_int_equal(cli_y4m_write_frame(fds[1], "", data, 4), -1);
  signal(SIGPIPE, old);
  close(fds[1]);
}

/* A pipe grows towards a frame (Linux: at least past its 64 KiB default,
 * the unprivileged limit being 1 MiB unless lowered) and still carries a
 * frame; other descriptors are left alone. */
static void test_widen_pipe(void** state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
#ifdef F_GETPIPE_SZ
  const int before = fcntl(fds[1], F_GETPIPE_SZ);
  cli_y4m_widen_pipe(fds[1], (size_t)3 << 20);
  const int after = fcntl(fds[1], F_GETPIPE_SZ);
  if (before == 65536) assert_true(after > before);
  assert_true(after >= before);
#else
  cli_y4m_widen_pipe(fds[1], (size_t)3 << 20);
#endif
  const uint8_t data[6] = {1, 2, 3, 4, 5, 6};
  assert_int_equal(cli_y4m_write_frame(fds[1], "", data, sizeof data), 0);
  uint8_t got[12];
  assert_int_equal(read(fds[0], got, sizeof got), 12);
  assert_memory_equal(got, "FRAME\n", 6);
  assert_memory_equal(got + 6, data, sizeof data);
  close(fds[0]);
  close(fds[1]);
  FILE* f = file_with(data, sizeof data);
  cli_y4m_widen_pipe(fileno(f), (size_t)3 << 20); /* not a pipe: nothing */
  fclose(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_colorspaces),       cmocka_unit_test(test_all_fields_round_trip),
      cmocka_unit_test(test_malformed_headers), cmocka_unit_test(test_read_frames),
      cmocka_unit_test(test_zero_frames),       cmocka_unit_test(test_truncated_and_bad_frames),
      cmocka_unit_test(test_write_frames),      cmocka_unit_test(test_widen_pipe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

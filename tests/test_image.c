/* tools/cli/img: PNG and JPEG reading against the samples Pillow decodes
 * (tests/fixtures/images/make_images.py), PNG write -> read round trips of
 * every kind and depth, malformed and truncated files refused with a
 * message (never a crash: this also runs under ASan), BT.601 round trips
 * and the tile geometry. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/test_util.h"
#include "tools/cli/img/image.h"
#include "tools/cli/img/tiles.h"
#include "tools/cli/img/ycbcr.h"

static const char* fixture(const char* name, char* buf, size_t size) {
  const char* dir = rc_test_fixtures();
  snprintf(buf, size, "%s/images/%s", dir, name);
  return buf;
}

static unsigned char* slurp(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char* p = malloc((size_t)n + 1);
  assert_non_null(p);
  assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *size = (size_t)n;
  return p;
}

static void spit(const char* path, const unsigned char* p, size_t n) {
  FILE* f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, n, f), n);
  fclose(f);
}

static size_t image_bytes(const cli_image* img) {
  return cli_image_row_bytes(img->width, img->channels, img->depth) * (size_t)img->height;
}

/* Each fixture decodes to 37x23 with the kind and samples Pillow gives. */
static void test_fixtures_decode(void** state) {
  (void)state;
  static const struct {
    const char *file, *raw;
    int channels, depth;
  } k[] = {
      {"rgb8.png", "rgb8.raw", 3, 8},       {"gray8.png", "gray8.raw", 1, 8},    {"rgba8.png", "rgba8.raw", 4, 8},
      {"graya8.png", "graya8.raw", 2, 8},   {"gray16.png", "gray16.raw", 1, 16}, {"rgb16.png", "rgb16.raw", 3, 16},
      {"palette.png", "palette.raw", 4, 8}, {"gray1.png", "gray1.raw", 1, 8},    {"rgb.jpg", "rgb_jpg.raw", 3, 8},
      {"gray.jpg", "gray_jpg.raw", 1, 8},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    char p[1024], r[1024], err[512] = "";
    cli_image img;
    if (cli_image_read(fixture(k[i].file, p, sizeof p), &img, err, sizeof err) != 0) fail_msg("%s: %s", p, err);
    assert_int_equal(img.width, 37);
    assert_int_equal(img.height, 23);
    assert_int_equal(img.channels, k[i].channels);
    assert_int_equal(img.depth, k[i].depth);
    size_t n = 0;
    unsigned char* want = slurp(fixture(k[i].raw, r, sizeof r), &n);
    assert_int_equal(n, image_bytes(&img)); /* .raw files are little-endian, as x86 and arm64 hosts */
    if (memcmp(want, img.data, n) != 0) fail_msg("%s: samples differ from %s", k[i].file, k[i].raw);
    free(want);
    cli_image_free(&img);
  }
  char p[1024], err[512] = "";
  cli_image img;
  assert_int_equal(cli_image_read(fixture("progressive.jpg", p, sizeof p), &img, err, sizeof err), 0);
  assert_int_equal(img.channels, 3);
  cli_image_free(&img);
  assert_int_equal(cli_image_read(fixture("cmyk.jpg", p, sizeof p), &img, err, sizeof err), -1);
  assert_non_null(strstr(err, "CMYK"));
}

/* Write -> read gives back the same kind, depth and samples, for every
 * kind, both depths and odd sizes (1x1, 37x23, 301x2). */
static void test_png_round_trip(void** state) {
  (void)state;
  static const int sizes[3][2] = {{1, 1}, {37, 23}, {301, 2}};
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 13);
  for (int c = 1; c <= 4; c++) {
    for (int d = 8; d <= 16; d += 8) {
      for (int s = 0; s < 3; s++) {
        char err[512] = "", path[1024];
        cli_image img = {sizes[s][0], sizes[s][1], c, d, NULL}, back;
        assert_int_equal(cli_image_alloc(&img, err, sizeof err), 0);
        unsigned char* b = img.data;
        for (size_t i = 0; i < image_bytes(&img); i++) b[i] = (unsigned char)rc_test_rng_u32(&rng);
        rc_test_tmp_path("round_trip.png", path, sizeof path);
        if (cli_png_write(path, &img, err, sizeof err) != 0) fail_msg("write: %s", err);
        if (cli_png_read(path, &back, err, sizeof err) != 0) fail_msg("read: %s", err);
        assert_int_equal(back.width, img.width);
        assert_int_equal(back.height, img.height);
        assert_int_equal(back.channels, c);
        assert_int_equal(back.depth, d);
        assert_memory_equal(back.data, img.data, image_bytes(&img));
        cli_image_free(&img);
        cli_image_free(&back);
        remove(path);
      }
    }
  }
}

/* Every prefix of a good file is refused with a message; nothing crashes. */
static void expect_truncations_refused(const char* name) {
  char p[1024], t[1024], err[512];
  size_t n = 0;
  unsigned char* whole = slurp(fixture(name, p, sizeof p), &n);
  rc_test_tmp_path("truncated.bin", t, sizeof t);
  for (size_t len = 0; len < n; len += (len < 64 ? 1 : 17)) {
    spit(t, whole, len);
    cli_image img;
    err[0] = '\0';
    if (cli_image_read(t, &img, err, sizeof err) == 0)
      fail_msg("%s cut to %zu of %zu bytes was accepted", name, len, n);
    assert_true(err[0] != '\0');
  }
  remove(t);
  free(whole);
}

static void test_truncated(void** state) {
  (void)state;
  expect_truncations_refused("rgb8.png");
  expect_truncations_refused("gray16.png");
  expect_truncations_refused("rgb.jpg");
  expect_truncations_refused("progressive.jpg");
}

static uint32_t crc32_png(const unsigned char* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

static void put_be32(unsigned char* p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* rgb8.png with its IHDR width and height replaced (CRC fixed when asked). */
static const char* with_ihdr(uint32_t w, uint32_t h, int fix_crc, char* t, size_t size) {
  char p[1024];
  size_t n = 0;
  unsigned char* b = slurp(fixture("rgb8.png", p, sizeof p), &n);
  /* signature 8, length 4, "IHDR" at 12, data at 16 (13 bytes), CRC at 29 */
  put_be32(b + 16, w);
  put_be32(b + 20, h);
  if (fix_crc) put_be32(b + 29, crc32_png(b + 12, 17));
  rc_test_tmp_path("ihdr.png", t, size);
  spit(t, b, n);
  free(b);
  return t;
}

static void expect_refused(const char* path, const char* needle) {
  char err[512] = "";
  cli_image img;
  if (cli_image_read(path, &img, err, sizeof err) != -1) fail_msg("%s was accepted", path);
  if (needle && !strstr(err, needle)) fail_msg("message '%s' lacks '%s'", err, needle);
  assert_null(img.data);
}

static void test_malformed(void** state) {
  (void)state;
  char t[1024];
  expect_refused(with_ihdr(0, 23, 1, t, sizeof t), NULL);                      /* zero width */
  expect_refused(with_ihdr(38, 23, 0, t, sizeof t), "CRC");                    /* changed, CRC left as it was */
  expect_refused(with_ihdr(100000, 100000, 1, t, sizeof t), "over the limit"); /* 10^10 pixels, before allocating */
  expect_refused(with_ihdr(0x80000000u, 1, 1, t, sizeof t), NULL);             /* over PNG's 2^31 - 1 */
  /* Garbage, an empty file, a folder, a missing file. */
  static const unsigned char junk[] = "GIF89a not a picture at all";
  rc_test_tmp_path("junk.bin", t, sizeof t);
  spit(t, junk, sizeof junk);
  expect_refused(t, "not a PNG or JPEG");
  spit(t, junk, 0);
  expect_refused(t, "empty");
  remove(t);
  rc_test_tmp_path("", t, sizeof t);
  expect_refused(t, "not a regular file");
  expect_refused("/nonexistent/x.png", "cannot open");
  /* A JPEG whose frame header says 0 rows, and one whose first scan
   * header names a component the frame does not have. */
  char p[1024];
  size_t n = 0;
  unsigned char* b = slurp(fixture("rgb.jpg", p, sizeof p), &n);
  rc_test_tmp_path("bad.jpg", t, sizeof t);
  size_t sof = 0, sos = 0;
  for (size_t i = 2; i + 1 < n && (!sof || !sos); i++) {
    if (b[i] == 0xff && (b[i + 1] == 0xc0 || b[i + 1] == 0xc2) && !sof) sof = i;
    if (b[i] == 0xff && b[i + 1] == 0xda && !sos) sos = i;
  }
  assert_true(sof > 0 && sos > 0);
  const unsigned char rows_hi = b[sof + 5], rows_lo = b[sof + 6];
  b[sof + 5] = b[sof + 6] = 0; /* FFC0, length 2, precision 1, then the height */
  spit(t, b, n);
  expect_refused(t, NULL);
  b[sof + 5] = rows_hi;
  b[sof + 6] = rows_lo;
  b[sos + 5] = 0x7f; /* FFDA, length 2, count 1, then the first component id */
  spit(t, b, n);
  expect_refused(t, NULL);
  free(b);
  remove(t);
}

/* A writer that is aborted, or fails, leaves no file behind. */
static void test_writer_leaves_nothing(void** state) {
  (void)state;
  char path[1024], part[1100], err[512];
  rc_test_tmp_path("aborted.png", path, sizeof path);
  snprintf(part, sizeof part, "%s.part", path);
  cli_png_writer* w = NULL;
  assert_int_equal(cli_png_writer_open(path, 4, 4, 3, 8, &w, err, sizeof err), 0);
  unsigned char row[12] = {0};
  assert_int_equal(cli_png_writer_rows(w, row, 1, err, sizeof err), 0);
  assert_int_equal(access(part, F_OK), 0);
  cli_png_writer_abort(w);
  assert_int_not_equal(access(path, F_OK), 0);
  assert_int_not_equal(access(part, F_OK), 0);
  /* Finishing with rows missing fails and removes the part. */
  assert_int_equal(cli_png_writer_open(path, 4, 4, 3, 8, &w, err, sizeof err), 0);
  assert_int_equal(cli_png_writer_finish(w, err, sizeof err), -1);
  assert_int_not_equal(access(path, F_OK), 0);
  assert_int_not_equal(access(part, F_OK), 0);
  /* A folder that does not exist. */
  assert_int_equal(cli_png_writer_open("/nonexistent/x.png", 4, 4, 3, 8, &w, err, sizeof err), -1);
  assert_non_null(strstr(err, "cannot create"));
}

/* RGB -> YCbCr -> RGB gives the same samples back, 8-bit (every value of
 * each channel against a spread of the others) and 16-bit (a sample). */
static void test_ycbcr_round_trip(void** state) {
  (void)state;
  for (int depth = 8; depth <= 16; depth += 8) {
    const uint32_t maxv = depth > 8 ? 65535 : 255, step = depth > 8 ? 4369 : 15;
    for (uint32_t r = 0; r <= maxv; r += (depth > 8 ? 257 : 1)) {
      for (uint32_t g = 0; g <= maxv; g += step) {
        for (uint32_t b = 0; b <= maxv; b += step) {
          float y, cb, cr, r2, g2, b2;
          cli_rgb_to_ycbcr(cli_sample_to_unit(r, depth), cli_sample_to_unit(g, depth), cli_sample_to_unit(b, depth), &y,
                           &cb, &cr);
          cli_ycbcr_to_rgb(y, cb, cr, &r2, &g2, &b2);
          if (cli_unit_to_sample(r2, depth) != r || cli_unit_to_sample(g2, depth) != g ||
              cli_unit_to_sample(b2, depth) != b) {
            fail_msg("%d-bit (%u, %u, %u) came back (%u, %u, %u)", depth, r, g, b, cli_unit_to_sample(r2, depth),
                     cli_unit_to_sample(g2, depth), cli_unit_to_sample(b2, depth));
          }
        }
      }
    }
  }
  /* The JFIF values: white is Y 255 with no chroma; pure red has Cr 0.5·(255 - 76.245). */
  float y, cb, cr;
  cli_rgb_to_ycbcr(255, 255, 255, &y, &cb, &cr);
  assert_true(y > 254.999f && y < 255.001f && cb > -1e-3f && cb < 1e-3f && cr > -1e-3f && cr < 1e-3f);
  cli_rgb_to_ycbcr(255, 0, 0, &y, &cb, &cr);
  assert_true(y > 76.24f && y < 76.25f && cr > 127.49f && cr < 127.51f);
  assert_int_equal(cli_unit_to_sample(-3.0f, 8), 0);
  assert_int_equal(cli_unit_to_sample(300.0f, 8), 255);
  assert_int_equal(cli_unit_to_sample(300.0f, 16), 65535);
}

/* The windows cover the axis exactly once with their kept parts, each kept
 * part at least `halo` inside its window except at the picture's edges,
 * origins on the alignment, every window one length. */
static void test_tile_spans(void** state) {
  (void)state;
  cli_span spans[4096];
  for (int n = 1; n <= 700; n += 7) {
    for (int want = 1; want <= 400; want += 13) {
      for (int halo = 0; halo <= 40; halo += 9) {
        const int win = cli_tile_window(n, want, halo, CLI_TILE_ALIGN);
        assert_true(win >= 1 && win <= n);
        const int count = cli_tile_spans(n, win, halo, CLI_TILE_ALIGN, spans, 4096);
        if (count < 1) fail_msg("n %d want %d halo %d: window %d gives no tiling", n, want, halo, win);
        int at = 0;
        for (int k = 0; k < count; k++) {
          const cli_span s = spans[k];
          assert_int_equal(s.keep0, at);
          assert_true(s.keep1 > s.keep0);
          assert_true(s.origin >= 0 && s.origin + win <= n);
          assert_true(s.origin % CLI_TILE_ALIGN == 0);
          assert_true(s.keep0 >= s.origin + halo || s.origin == 0);
          assert_true(s.keep1 <= s.origin + win - halo || s.origin + win == n);
          assert_true(s.keep0 >= s.origin && s.keep1 <= s.origin + win);
          at = s.keep1;
        }
        assert_int_equal(at, n);
      }
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures_decode),
      cmocka_unit_test(test_png_round_trip),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_writer_leaves_nothing),
      cmocka_unit_test(test_ycbcr_round_trip),
      cmocka_unit_test(test_tile_spans),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

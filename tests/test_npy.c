/* Tests of the .npy reader and writer: round trips of ranks 0-4, hand-made
 * byte images of every header variant and error the reader must handle, and
 * every truncation of a valid file. Values are compared bit for bit (float32
 * files) or against C's double-to-float conversion (float64 files). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/io/npy.h"
#include "tests/support/test_util.h"

/* A .npy image: magic, version, header length (2 bytes for v1, 4 otherwise),
 * the header as given (no padding added), then the data bytes. */
typedef struct image {
  uint8_t* p;
  size_t n;
} image;

static image make_npy(int major, const char* header, const void* data, size_t data_len) {
  size_t hl = strlen(header), pre = major == 1 ? 10 : 12;
  image im;
  im.n = pre + hl + data_len;
  im.p = malloc(im.n);
  assert_non_null(im.p);
  memcpy(im.p, "\x93NUMPY", 6);
  im.p[6] = (uint8_t)major;
  im.p[7] = 0;
  for (size_t i = 0; i < pre - 8; i++) im.p[8 + i] = (uint8_t)(hl >> (8 * i));
  memcpy(im.p + pre, header, hl);
  if (data_len) memcpy(im.p + pre + hl, data, data_len);
  return im;
}

static void put32(uint8_t* p, float v, int big) {
  uint32_t u;
  memcpy(&u, &v, 4);
  for (int b = 0; b < 4; b++) p[big ? 3 - b : b] = (uint8_t)(u >> (8 * b));
}
static void put64(uint8_t* p, double v, int big) {
  uint64_t u;
  memcpy(&u, &v, 8);
  for (int b = 0; b < 8; b++) p[big ? 7 - b : b] = (uint8_t)(u >> (8 * b));
}

static const float k_vals[6] = {1.0f, -2.5f, 3.25f, 0.0f, -0.0f, 1e-30f};

/* Reads the image, expects OK with shape (2, 3) and k_vals. */
static void expect_vals_2x3(image im, const char* what) {
  rc_npy t;
  rc_status s = rc_npy_read_memory(im.p, im.n, what, &t);
  if (s != REPCONV_OK) fail_msg("%s: %s", what, rc_error_message());
  assert_int_equal(t.ndim, 2);
  assert_int_equal(t.dims[0], 2);
  assert_int_equal(t.dims[1], 3);
  assert_int_equal(t.dims[2], 0);
  if (memcmp(t.data, k_vals, sizeof(k_vals)) != 0) fail_msg("%s: values differ", what);
  rc_npy_free(&t);
  assert_null(t.data);
}

static void expect_fail(image im, rc_status want, const char* const* words) {
  rc_npy t;
  rc_status s = rc_npy_read_memory(im.p, im.n, "x.npy", &t);
  const char* msg = rc_error_message();
  if (s != want) fail_msg("status %d, want %d (%s)", s, want, msg);
  assert_null(t.data);
  for (; *words; words++) {
    if (!strstr(msg, *words)) fail_msg("message \"%s\" lacks \"%s\"", msg, *words);
  }
  rc_npy_free(&t);
}

static image f4_image(int major, const char* header, int big) {
  uint8_t d[24];
  for (int i = 0; i < 6; i++) put32(d + 4 * i, k_vals[i], big);
  return make_npy(major, header, d, sizeof(d));
}

static void test_round_trip(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 11);
  static const int64_t shapes[5][4] = {{0}, {7}, {3, 5}, {2, 3, 4}, {2, 3, 5, 7}};
  for (int32_t ndim = 0; ndim <= 4; ndim++) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shapes[ndim][i];
    float* x = malloc(n * sizeof(float));
    assert_non_null(x);
    rc_test_fill_uniform(&r, x, n, -10.0f, 10.0f);
    if (n > 3) {
      x[1] = NAN;
      x[2] = -INFINITY;
    }
    char path[512], name[64];
    snprintf(name, sizeof(name), "test_npy_rank%d.npy", ndim);
    rc_test_tmp_path(name, path, sizeof(path));
    rc_status s = rc_npy_write_file(path, ndim, shapes[ndim], x);
    if (s != REPCONV_OK) fail_msg("write: %s", rc_error_message());

    /* The file is laid out as numpy writes it. */
    FILE* f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t head[256];
    size_t got = fread(head, 1, sizeof(head), f);
    fclose(f);
    assert_true(got >= 64);
    assert_memory_equal(head, "\x93NUMPY\x01\x00", 8);
    size_t hl = (size_t)head[8] | ((size_t)head[9] << 8);
    assert_int_equal((10 + hl) % 64, 0);
    assert_int_equal(head[10 + hl - 1], '\n');
    const char* want_shape[5] = {"'shape': (), }", "'shape': (7,), }", "'shape': (3, 5), }", "'shape': (2, 3, 4), }",
                                 "'shape': (2, 3, 5, 7), }"};
    char hdr[256];
    memcpy(hdr, head + 10, hl);
    hdr[hl] = '\0';
    assert_non_null(strstr(hdr, "{'descr': '<f4', 'fortran_order': False, "));
    assert_non_null(strstr(hdr, want_shape[ndim]));

    rc_npy t;
    s = rc_npy_read_file(path, &t);
    if (s != REPCONV_OK) fail_msg("read: %s", rc_error_message());
    assert_int_equal(t.ndim, ndim);
    for (int i = 0; i < ndim; i++) assert_int_equal(t.dims[i], shapes[ndim][i]);
    assert_memory_equal(t.data, x, n * sizeof(float));
    rc_npy_free(&t);
    free(x);
    remove(path);
  }
}

static void test_variants(void** state) {
  (void)state;
  /* v1 little-endian, the header as numpy writes it (padded, '\n'). */
  image im = f4_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }                    \n", 0);
  expect_vals_2x3(im, "v1 <f4");
  free(im.p);
  /* Big-endian float32. */
  im = f4_image(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n", 1);
  expect_vals_2x3(im, "v1 >f4");
  free(im.p);
  /* Version 2.0 and 3.0 headers (4-byte length). */
  im = f4_image(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 0);
  expect_vals_2x3(im, "v2");
  free(im.p);
  im = f4_image(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 0);
  expect_vals_2x3(im, "v3");
  free(im.p);
  /* No terminating newline (numpy does not require it). */
  im = f4_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0);
  expect_vals_2x3(im, "no newline");
  free(im.p);
  /* Keys in another order, double quotes, odd spacing, no trailing comma,
   * trailing comma inside the tuple, Python 2 long. */
  im = f4_image(1, "{ \"shape\" :(2,3,) ,'fortran_order':False,\t'descr' : \"<f4\"}  \n", 0);
  expect_vals_2x3(im, "reordered");
  free(im.p);
  im = f4_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n", 0);
  expect_vals_2x3(im, "long ints");
  free(im.p);
}

static void test_float64(void** state) {
  (void)state;
  const double v[6] = {0.1, -1e300, 1e300, 3.0, NAN, 1e-50};
  for (int big = 0; big <= 1; big++) {
    uint8_t d[48];
    for (int i = 0; i < 6; i++) put64(d + 8 * i, v[i], big);
    image im = make_npy(1,
                        big ? "{'descr': '>f8', 'fortran_order': False, 'shape': (6,), }\n"
                            : "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }\n",
                        d, sizeof(d));
    rc_npy t;
    assert_int_equal(rc_npy_read_memory(im.p, im.n, "f8", &t), REPCONV_OK);
    assert_int_equal(t.ndim, 1);
    assert_int_equal(t.dims[0], 6);
    assert_true(t.data[0] == (float)0.1);
    assert_true(isinf(t.data[1]) && t.data[1] < 0);
    assert_true(isinf(t.data[2]) && t.data[2] > 0);
    assert_true(t.data[3] == 3.0f);
    assert_true(isnan(t.data[4]));
    assert_true(t.data[5] == 0.0f);
    rc_npy_free(&t);
    free(im.p);
  }
}

static void test_rank0(void** state) {
  (void)state;
  uint8_t d[4];
  put32(d, 42.5f, 0);
  image im = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", d, 4);
  rc_npy t;
  assert_int_equal(rc_npy_read_memory(im.p, im.n, "scalar", &t), REPCONV_OK);
  assert_int_equal(t.ndim, 0);
  assert_true(t.data[0] == 42.5f);
  rc_npy_free(&t);
  free(im.p);
}

static void test_errors(void** state) {
  (void)state;
  image im;
  uint8_t d[64];
  memset(d, 0, sizeof(d));

  im = f4_image(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", 0);
  const char* w_fortran[] = {"x.npy", "fortran_order", "not supported", NULL};
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_fortran);
  free(im.p);

  im = make_npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }\n", d, 24);
  const char* w_i4[] = {"x.npy: dtype '<i4' is not supported (float32 or float64 only)", NULL};
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_i4);
  free(im.p);
  im = make_npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }\n", d, 24);
  const char* w_i8[] = {"x.npy: dtype '<i8' is not supported (float32 or float64 only)", NULL};
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_i8);
  free(im.p);
  im = make_npy(1, "{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (3,), }\n", d, 24);
  const char* w_struct[] = {"structured", NULL};
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_struct);
  free(im.p);

  im = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 1, 3), }\n", d, 24);
  const char* w_rank[] = {"x.npy: rank 5", "(1, 1, 2, 1, 3)", "at most 4", NULL};
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_rank);
  free(im.p);

  /* Truncated and oversized data. */
  im = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", d, 20);
  const char* w_trunc[] = {"x.npy: data is 20 bytes, expected 24", "(2, 3)", "truncated", NULL};
  expect_fail(im, REPCONV_ERROR_FORMAT, w_trunc);
  free(im.p);
  im = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", d, 28);
  const char* w_trail[] = {"data is 28 bytes, expected 24", "trailing", NULL};
  expect_fail(im, REPCONV_ERROR_FORMAT, w_trail);
  free(im.p);

  /* Header length beyond the file. */
  im = f4_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 0);
  im.p[8] = 0xff;
  im.p[9] = 0x7f;
  const char* w_hlen[] = {"header length 32767", "past the end of the file", NULL};
  expect_fail(im, REPCONV_ERROR_FORMAT, w_hlen);
  free(im.p);
  im = f4_image(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 0);
  im.p[11] = 0xff;
  const char* w_hlen2[] = {"header length", "past the end", NULL};
  expect_fail(im, REPCONV_ERROR_FORMAT, w_hlen2);
  free(im.p);

  /* Garbage dicts. */
  static const struct {
    const char* header;
    const char* word;
  } bad[] = {
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }\n", "True or False"},
      {"garbage\n", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': False}\n", "no 'shape' key"},
      {"{'fortran_order': False, 'shape': (2, 3)}\n", "no 'descr' key"},
      {"{'descr': '<f4', 'shape': (2, 3)}\n", "no 'fortran_order' key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}\n", "unexpected key 'extra'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", "appears twice"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x\n", "after the header dict"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}\n", "expected ',' or ')'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6)}\n", "trailing comma"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-6,)}\n", "non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}\n", "integer too large"},
      {"{'descr': '<f4 , 'fortran_order': False, 'shape': (6,)}\n", "expected ',' or '}'"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (6,)}\n", "expected ':'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)\n", "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False 'shape': (6,)}\n", "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'descr\n", "unterminated string"},
      {"", "expected '{'"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    im = make_npy(1, bad[i].header, d, 24);
    const char* w[] = {"x.npy: malformed .npy header", bad[i].word, NULL};
    expect_fail(im, REPCONV_ERROR_FORMAT, w);
    free(im.p);
  }

  /* Shapes repconv cannot hold. */
  im = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0), }\n", d, 0);
  const char* w_empty[] = {"(3, 0)", "empty", NULL};
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_empty);
  free(im.p);
  im = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (16777216, 16777216, 16777216), }\n", d, 24);
  const char* w_large[] = {"too large", NULL};
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_large);
  free(im.p);
  im = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807,), }\n", d, 24);
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_large);
  free(im.p);

  /* Preamble. */
  im = f4_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 0);
  im.p[6] = 4;
  const char* w_ver[] = {"version 4.0", "not supported", NULL};
  expect_fail(im, REPCONV_ERROR_UNSUPPORTED, w_ver);
  im.p[6] = 1;
  im.p[0] = 'P';
  const char* w_magic[] = {"not a .npy file", NULL};
  expect_fail(im, REPCONV_ERROR_FORMAT, w_magic);
  free(im.p);
}

static void test_truncation(void** state) {
  (void)state;
  image full = f4_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n", 0);
  image full2 = f4_image(2, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n", 1);
  const image* ims[2] = {&full, &full2};
  for (int k = 0; k < 2; k++) {
    for (size_t len = 0; len < ims[k]->n; len++) {
      uint8_t* cut = malloc(len ? len : 1);
      assert_non_null(cut);
      memcpy(cut, ims[k]->p, len);
      rc_npy t;
      rc_status s = rc_npy_read_memory(cut, len, "cut.npy", &t);
      if (s == REPCONV_OK) fail_msg("truncated to %zu of %zu bytes: read", len, ims[k]->n);
      assert_int_equal(s, REPCONV_ERROR_FORMAT);
      assert_null(t.data);
      assert_non_null(strstr(rc_error_message(), "cut.npy"));
      free(cut);
    }
  }
  free(full.p);
  free(full2.p);
}

static void test_api(void** state) {
  (void)state;
  rc_npy t;
  assert_int_equal(rc_npy_read_file("/nonexistent/dir/a.npy", &t), REPCONV_ERROR_IO);
  assert_non_null(strstr(rc_error_message(), "/nonexistent/dir/a.npy"));
  assert_null(t.data);
  rc_npy_free(&t);
  rc_npy_free(NULL);
  const int64_t dims[5] = {2, 0, 3, 1, 1};
  float x[6] = {0};
  assert_int_equal(rc_npy_write_file("/nonexistent/dir/a.npy", 1, dims, x), REPCONV_ERROR_IO);
  char path[512];
  rc_test_tmp_path("test_npy_bad.npy", path, sizeof(path));
  assert_int_equal(rc_npy_write_file(path, 5, dims, x), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(rc_npy_write_file(path, 2, dims, x), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(rc_npy_write_file(path, 1, dims, NULL), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(rc_npy_write_file(NULL, 1, dims, x), REPCONV_ERROR_INVALID_ARGUMENT);
}

/* Issue 11 item 9: a FIFO or a device was read until it ended (never, for
 * /dev/zero). Only regular files are read. The FIFO gets a writer that
 * sends a valid tensor and closes, so the reader before the fix loaded it
 * (and did not hang); now it is refused without reading. */
static void test_not_regular_files(void** state) {
  (void)state;
  rc_npy t;
  rc_status st = rc_npy_read_file("/dev/zero", &t);
  if (st != REPCONV_ERROR_IO) fail_msg("/dev/zero: status %d (%s)", st, rc_error_message());
  assert_non_null(strstr(rc_error_message(), "/dev/zero: not a regular file"));
  assert_null(t.data);

  char path[512];
  rc_test_tmp_path("test_npy_fifo", path, sizeof(path));
  remove(path);
  assert_int_equal(mkfifo(path, 0600), 0);
  const float v[2] = {1.0f, 2.0f};
  char tmp[512];
  rc_test_tmp_path("test_npy_fifo_src.npy", tmp, sizeof(tmp));
  const int64_t dims[1] = {2};
  assert_int_equal(rc_npy_write_file(tmp, 1, dims, v), REPCONV_OK);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) { /* the writer: blocks until the reader opens the FIFO */
    signal(SIGPIPE, SIG_IGN);
    alarm(20); /* never outlive a broken test */
    int fd = open(path, O_WRONLY);
    FILE* src = fopen(tmp, "rb");
    if (fd >= 0 && src) {
      char buf[256];
      size_t n = fread(buf, 1, sizeof(buf), src);
      if (write(fd, buf, n) < 0) _exit(1);
    }
    _exit(0);
  }
  st = rc_npy_read_file(path, &t);
  const char* msg = rc_error_message();
  if (st != REPCONV_ERROR_IO) fail_msg("FIFO: status %d (%s)", st, msg);
  assert_non_null(strstr(msg, "not a regular file"));
  assert_null(t.data);
  /* the writer may still wait for a reader: open the FIFO once, without blocking */
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (fd >= 0) close(fd);
  remove(path);
  remove(tmp);
}

/* The header's shape and dtype must account for the file's size exactly;
 * this is checked before the data is read. */
static void test_file_size_mismatch(void** state) {
  (void)state;
  char path[512];
  rc_test_tmp_path("test_npy_size.npy", path, sizeof(path));
  const float v[4] = {1, 2, 3, 4};
  const int64_t dims[1] = {4};
  assert_int_equal(rc_npy_write_file(path, 1, dims, v), REPCONV_OK);
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  const off_t whole = sb.st_size; /* the header, then 16 data bytes */
  FILE* f = fopen(path, "ab");
  assert_non_null(f);
  fputc(0, f);
  fclose(f);
  rc_npy t;
  assert_int_equal(rc_npy_read_file(path, &t), REPCONV_ERROR_FORMAT);
  assert_non_null(strstr(rc_error_message(), "trailing bytes"));
  assert_int_equal(truncate(path, whole - 1), 0); /* 15 of the 16 data bytes */
  assert_int_equal(rc_npy_read_file(path, &t), REPCONV_ERROR_FORMAT);
  if (!strstr(rc_error_message(), "truncated")) fail_msg("%s", rc_error_message());
  assert_int_equal(rc_npy_write_file(path, 1, dims, v), REPCONV_OK); /* whole again */
  assert_int_equal(rc_npy_read_file(path, &t), REPCONV_OK);
  assert_int_equal(t.dims[0], 4);
  assert_true(t.data[3] == 4.0f);
  rc_npy_free(&t);
  assert_int_equal(truncate(path, 5), 0); /* inside the preamble */
  assert_int_equal(rc_npy_read_file(path, &t), REPCONV_ERROR_FORMAT);
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_variants),
      cmocka_unit_test(test_float64),
      cmocka_unit_test(test_rank0),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_api),
      cmocka_unit_test(test_not_regular_files),
      cmocka_unit_test(test_file_size_mismatch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

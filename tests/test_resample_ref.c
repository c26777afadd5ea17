/* tools/cli/img/resample.c against a plain scalar reference of the same
 * filter: every output sample computed on its own, four clamped source
 * rows each resized horizontally at that column, then the vertical sum,
 * rounded with roundf. The same float operations in the same order, so the
 * outputs must be bit-identical (no tolerance): odd sizes, ratios whose
 * taps repeat (x2, x3, 3/2) and ratios whose taps do not, shrinking, both
 * integer depths, float outputs, strides, bands of rows, edges. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/test_util.h"
#include "tools/cli/img/resample.h"

static float ref_cubic(float t) {
  const float a = -0.75f;
  t = fabsf(t);
  if (t <= 1.0f) return ((a + 2.0f) * t - (a + 3.0f)) * t * t + 1.0f;
  if (t < 2.0f) return ((a * t - 5.0f * a) * t + 8.0f * a) * t - 4.0f * a;
  return 0.0f;
}

/* Output position o of n_out from n_in: first source index and weights. */
static int ref_taps(int n_in, int n_out, int o, float w[4]) {
  const double x = (o + 0.5) * ((double)n_in / n_out) - 0.5;
  const int x0 = (int)floor(x);
  const float f = (float)(x - x0);
  for (int k = 0; k < 4; k++) w[k] = ref_cubic(f - (float)(k - 1));
  return x0 - 1;
}

static int ref_clamp(int v, int hi) { return v < 0 ? 0 : (v > hi ? hi : v); }

static float ref_load(const cli_plane* p, int x, int y) {
  const ptrdiff_t i = (ptrdiff_t)y * p->stride + x;
  if (p->type == CLI_SAMPLE_U8) return ((const uint8_t*)p->data)[i];
  if (p->type == CLI_SAMPLE_U16) return ((const uint16_t*)p->data)[i];
  return ((const float*)p->data)[i];
}

/* Output (ox, oy) of the resize of src to dw x dh, as a float. */
static float ref_sample(const cli_plane* src, int dw, int dh, int ox, int oy) {
  float wx[4], wy[4];
  const int fx = ref_taps(src->width, dw, ox, wx), fy = ref_taps(src->height, dh, oy, wy);
  float h[4];
  for (int k = 0; k < 4; k++) {
    const int sy = ref_clamp(fy + k, src->height - 1);
    float s = 0.0f;
    for (int j = 0; j < 4; j++) s += wx[j] * ref_load(src, ref_clamp(fx + j, src->width - 1), sy);
    h[k] = s;
  }
  return wy[0] * h[0] + wy[1] * h[1] + wy[2] * h[2] + wy[3] * h[3];
}

static int ref_round(float v, int hi) {
  const float r = roundf(v);
  return (int)(r < 0.0f ? 0.0f : (r > (float)hi ? (float)hi : r));
}

/* Compares rows first_row.. of the resize to dw x full_height, written
 * into dst (stride dst->stride), with the reference. */
static void check_band(const cli_plane* src, const cli_plane* dst, int full_height, int first_row, int maxval) {
  for (int y = 0; y < dst->height; y++) {
    for (int x = 0; x < dst->width; x++) {
      const float v = ref_sample(src, dst->width, full_height, x, first_row + y);
      const ptrdiff_t i = (ptrdiff_t)y * dst->stride + x;
      if (dst->type == CLI_SAMPLE_U8) {
        if (((const uint8_t*)dst->data)[i] != ref_round(v, 255)) {
          fail_msg("u8 %dx%d -> %dx%d at (%d, %d): %d, reference %d", src->width, src->height, dst->width, full_height,
                   x, first_row + y, ((const uint8_t*)dst->data)[i], ref_round(v, 255));
        }
      } else if (dst->type == CLI_SAMPLE_U16) {
        if (((const uint16_t*)dst->data)[i] != ref_round(v, maxval)) {
          fail_msg("u16 %dx%d -> %dx%d at (%d, %d): %d, reference %d", src->width, src->height, dst->width, full_height,
                   x, first_row + y, ((const uint16_t*)dst->data)[i], ref_round(v, maxval));
        }
      } else {
        const float got = ((const float*)dst->data)[i];
        if (memcmp(&got, &v, sizeof v) != 0) {
          fail_msg("f32 %dx%d -> %dx%d at (%d, %d): %.9g, reference %.9g", src->width, src->height, dst->width,
                   full_height, x, first_row + y, (double)got, (double)v);
        }
      }
    }
  }
}

static void* xmalloc(size_t n) {
  void* p = malloc(n);
  assert_non_null(p);
  return p;
}

static size_t type_size(cli_sample t) { return t == CLI_SAMPLE_U8 ? 1 : (t == CLI_SAMPLE_U16 ? 2 : 4); }

/* A source of sw x sh (stride sw + 3) with extremes next to each other, so
 * the filter over- and undershoots and the clamps are exercised. */
static void* make_src(cli_sample type, int sw, int sh, int maxval, unsigned seed, cli_plane* p) {
  const ptrdiff_t stride = sw + 3;
  void* data = xmalloc((size_t)stride * (size_t)sh * type_size(type));
  unsigned r = seed;
  for (ptrdiff_t i = 0; i < stride * sh; i++) {
    r = r * 1103515245u + 12345u;
    const unsigned u = r >> 8;
    const int v = (u & 3) == 0 ? 0 : ((u & 3) == 1 ? maxval : (int)((u >> 2) % (unsigned)(maxval + 1)));
    if (type == CLI_SAMPLE_U8) ((uint8_t*)data)[i] = (uint8_t)v;
    if (type == CLI_SAMPLE_U16) ((uint16_t*)data)[i] = (uint16_t)v;
    if (type == CLI_SAMPLE_F32) ((float*)data)[i] = (float)v + (float)(u % 7) * 0.125f;
  }
  *p = (cli_plane){type, sw, sh, stride, data};
  return data;
}

static void check_resize(cli_sample in, cli_sample out, int sw, int sh, int dw, int dh, int maxval) {
  cli_plane src;
  void* s = make_src(in, sw, sh, in == CLI_SAMPLE_U8 ? 255 : maxval, (unsigned)(sw * 131 + sh * 7 + dw + dh), &src);
  const ptrdiff_t stride = dw + 2;
  void* d = xmalloc((size_t)stride * (size_t)dh * type_size(out));
  const cli_plane dst = {out, dw, dh, stride, d};
  assert_int_equal(cli_resize_bicubic(&src, &dst, maxval), 0);
  check_band(&src, &dst, dh, 0, maxval);
  /* bands of a few rows, each from an empty ring */
  for (int r0 = 0, n = 1; r0 < dh; r0 += n, n = n % 4 + 1) {
    const int rows = r0 + n <= dh ? n : dh - r0;
    const cli_plane band = {out, dw, rows, stride, d};
    assert_int_equal(cli_resize_bicubic_rows(&src, &band, dh, r0, maxval), 0);
    check_band(&src, &band, dh, r0, maxval);
  }
  free(s);
  free(d);
}

/* (sw, sh) -> (dw, dh): x2 (two phases, the video chroma case), x3, 3/2,
 * ratios with long or no periods, shrinking, the same size, one pixel. */
static const int k_sizes[][4] = {
    {1, 1, 2, 2},    {1, 1, 3, 5},   {2, 3, 4, 6},    {5, 7, 10, 14},  {31, 17, 62, 34},
    {33, 9, 99, 27}, {10, 6, 15, 9}, {7, 5, 23, 19},  {13, 11, 5, 4},  {13, 11, 13, 11},
    {3, 2, 7, 5},    {17, 3, 34, 6}, {64, 2, 128, 4}, {9, 40, 18, 80},
};

static void test_u8_matches_reference(void** state) {
  (void)state;
  for (size_t i = 0; i < sizeof k_sizes / sizeof k_sizes[0]; i++) {
    const int* z = k_sizes[i];
    check_resize(CLI_SAMPLE_U8, CLI_SAMPLE_U8, z[0], z[1], z[2], z[3], 255);
  }
}

static void test_u16_matches_reference(void** state) {
  (void)state;
  for (size_t i = 0; i < sizeof k_sizes / sizeof k_sizes[0]; i++) {
    const int* z = k_sizes[i];
    check_resize(CLI_SAMPLE_U16, CLI_SAMPLE_U16, z[0], z[1], z[2], z[3], 1023);  /* 10-bit video */
    check_resize(CLI_SAMPLE_U16, CLI_SAMPLE_U16, z[0], z[1], z[2], z[3], 65535); /* 16-bit */
  }
}

static void test_float_matches_reference(void** state) {
  (void)state;
  for (size_t i = 0; i < sizeof k_sizes / sizeof k_sizes[0]; i++) {
    const int* z = k_sizes[i];
    check_resize(CLI_SAMPLE_U8, CLI_SAMPLE_F32, z[0], z[1], z[2], z[3], 0);
    check_resize(CLI_SAMPLE_F32, CLI_SAMPLE_F32, z[0], z[1], z[2], z[3], 0);
    check_resize(CLI_SAMPLE_F32, CLI_SAMPLE_U8, z[0], z[1], z[2], z[3], 255);
  }
}

/* Rounding at its edges: at the same size the filter is the identity
 * (weights 0, 1, 0, 0), so float inputs reach the rounding as they are:
 * halves round away from zero, the float just below a half rounds down,
 * out-of-range values clamp. */
static void test_rounding_edges(void** state) {
  (void)state;
  const float v[] = {0.0f,    -0.0f,      0.49999997f, 0.5f,     0.50000006f, 1.5f,       2.5f,   2.4999998f,
                     -0.4f,   -0.5f,      -0.6f,       -300.0f,  254.5f,      254.49998f, 255.5f, 300.0f,
                     1022.5f, 1023.4999f, 1023.5f,     65534.5f, 65535.5f,    1e9f,       127.5f, 3.5f};
  enum { N = sizeof v / sizeof v[0] };
  uint8_t o8[N];
  uint16_t o10[N], o16[N];
  const cli_plane src = {CLI_SAMPLE_F32, N, 1, N, (void*)v};
  const cli_plane d8 = {CLI_SAMPLE_U8, N, 1, N, o8}, d10 = {CLI_SAMPLE_U16, N, 1, N, o10},
                  d16 = {CLI_SAMPLE_U16, N, 1, N, o16};
  assert_int_equal(cli_resize_bicubic(&src, &d8, 0), 0);
  assert_int_equal(cli_resize_bicubic(&src, &d10, 1023), 0);
  assert_int_equal(cli_resize_bicubic(&src, &d16, 65535), 0);
  for (int i = 0; i < N; i++) {
    assert_int_equal(o8[i], ref_round(v[i], 255));
    assert_int_equal(o10[i], ref_round(v[i], 1023));
    assert_int_equal(o16[i], ref_round(v[i], 65535));
  }
  assert_int_equal(o8[3], 1); /* 0.5 */
  assert_int_equal(o8[2], 0); /* just below 0.5 */
  assert_int_equal(o8[6], 3); /* 2.5: away from zero, not to even */
  assert_int_equal(o10[17], 1023);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_u8_matches_reference),
      cmocka_unit_test(test_u16_matches_reference),
      cmocka_unit_test(test_float_matches_reference),
      cmocka_unit_test(test_rounding_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

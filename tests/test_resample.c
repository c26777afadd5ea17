/* tools/cli/img/resample.c: the bicubic filter against PyTorch's
 * interpolate(mode='bicubic', align_corners=False), and its integer outputs
 * against the float path rounded and clamped. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/test_util.h"
#include "tools/cli/img/resample.h"

static const float k_src[2 * 3] = {10, 200, 30, 250, 0, 128};

/* torch.nn.functional.interpolate(x.view(1, 1, 2, 3), size=(5, 7),
 * mode='bicubic', align_corners=False), torch 1.13. */
static const float k_torch[5 * 7] = {
    -42.536045f, 15.059046f,  143.208405f, 222.050003f, 161.919724f, 46.868282f,  -2.982436f,  12.852101f,  50.212772f,
    134.258377f, 183.600006f, 138.643448f, 57.667362f,  22.121597f,  133.279877f, 126.645813f, 114.798798f, 100.000000f,
    88.034988f,  81.147285f,  76.704086f,  253.707764f, 203.078934f, 95.339180f,  16.399920f,  37.426468f,  104.627228f,
    131.286636f, 309.095856f, 238.232635f, 86.389244f,  -22.049952f, 14.150293f,  115.426323f, 156.390656f,
};

static void test_matches_torch(void** state) {
  (void)state;
  float out[5 * 7];
  cli_plane src = {CLI_SAMPLE_F32, 3, 2, 3, (void*)k_src};
  cli_plane dst = {CLI_SAMPLE_F32, 7, 5, 7, out};
  assert_int_equal(cli_resize_bicubic(&src, &dst, 0), 0);
  /* fp32 sums of four products of values up to 255, in another order than
   * PyTorch's: a few ulps of 300, so 1e-3 absolute. */
  for (int i = 0; i < 5 * 7; i++) assert_true(fabsf(out[i] - k_torch[i]) < 1e-3f);
}

/* u8 and u16 outputs are the float path rounded and clamped; strides wider
 * than the width are honoured and the padding left untouched. */
static void test_integer_outputs(void** state) {
  (void)state;
  uint8_t src8[2 * 4] = {10, 200, 30, 77, 250, 0, 128, 77}; /* stride 4, width 3 */
  uint8_t out8[5 * 9];
  uint16_t out16[5 * 7];
  memset(out8, 0xab, sizeof(out8));
  cli_plane src = {CLI_SAMPLE_U8, 3, 2, 4, src8};
  cli_plane d8 = {CLI_SAMPLE_U8, 7, 5, 9, out8};
  cli_plane d16 = {CLI_SAMPLE_U16, 7, 5, 7, out16};
  assert_int_equal(cli_resize_bicubic(&src, &d8, 0), 0);
  assert_int_equal(cli_resize_bicubic(&src, &d16, 200), 0);
  for (int y = 0; y < 5; y++) {
    for (int x = 0; x < 7; x++) {
      const float r = roundf(k_torch[y * 7 + x]);
      assert_int_equal(out8[y * 9 + x], (int)(r < 0 ? 0 : (r > 255 ? 255 : r)));
      assert_int_equal(out16[y * 7 + x], (int)(r < 0 ? 0 : (r > 200 ? 200 : r)));
    }
    assert_int_equal(out8[y * 9 + 7], 0xab);
    assert_int_equal(out8[y * 9 + 8], 0xab);
  }
}

/* The same size is the identity; a constant plane stays constant at any
 * ratio (the weights sum to one). */
static void test_identity_and_constant(void** state) {
  (void)state;
  uint8_t img[13 * 11], out[13 * 11], flat[40 * 31];
  for (int i = 0; i < 13 * 11; i++) img[i] = (uint8_t)(i * 37 + 11);
  cli_plane src = {CLI_SAMPLE_U8, 13, 11, 13, img};
  cli_plane same = {CLI_SAMPLE_U8, 13, 11, 13, out};
  assert_int_equal(cli_resize_bicubic(&src, &same, 0), 0);
  assert_memory_equal(img, out, sizeof(img));
  memset(img, 93, sizeof(img));
  cli_plane big = {CLI_SAMPLE_U8, 40, 31, 40, flat};
  assert_int_equal(cli_resize_bicubic(&src, &big, 0), 0);
  for (int i = 0; i < 40 * 31; i++) assert_int_equal(flat[i], 93);
}

/* Bands of output rows (cli_resize_bicubic_rows) are those rows of the
 * whole resize, for every type and band split, edges included. */
static void test_bands_equal_whole(void** state) {
  (void)state;
  enum { SW = 13, SH = 9, DW = 29, DH = 23 };
  float src[SW * SH], whole[DW * DH], band[DW * DH];
  uint16_t src16[SW * SH], whole16[DW * DH], band16[DW * DH];
  for (int i = 0; i < SW * SH; i++) {
    src[i] = (float)((i * 73) % 256);
    src16[i] = (uint16_t)((i * 7919) % 65536);
  }
  const cli_plane s32 = {CLI_SAMPLE_F32, SW, SH, SW, src}, s16 = {CLI_SAMPLE_U16, SW, SH, SW, src16};
  const cli_plane w32 = {CLI_SAMPLE_F32, DW, DH, DW, whole}, w16 = {CLI_SAMPLE_U16, DW, DH, DW, whole16};
  assert_int_equal(cli_resize_bicubic(&s32, &w32, 0), 0);
  assert_int_equal(cli_resize_bicubic(&s16, &w16, 65535), 0);
  for (int rows = 1; rows <= DH; rows += 5) {
    for (int r0 = 0; r0 < DH; r0 += rows) {
      const int n = r0 + rows <= DH ? rows : DH - r0;
      const cli_plane b32 = {CLI_SAMPLE_F32, DW, n, DW, band}, b16 = {CLI_SAMPLE_U16, DW, n, DW, band16};
      assert_int_equal(cli_resize_bicubic_rows(&s32, &b32, DH, r0, 0), 0);
      assert_int_equal(cli_resize_bicubic_rows(&s16, &b16, DH, r0, 65535), 0);
      assert_memory_equal(band, whole + r0 * DW, (size_t)n * DW * sizeof(float));
      assert_memory_equal(band16, whole16 + r0 * DW, (size_t)n * DW * sizeof(uint16_t));
    }
  }
  /* A band past the end is refused. */
  const cli_plane b = {CLI_SAMPLE_F32, DW, 2, DW, band};
  assert_int_equal(cli_resize_bicubic_rows(&s32, &b, DH, DH - 1, 0), -1);
}

static void test_bad_sizes(void** state) {
  (void)state;
  uint8_t a[4] = {0}, b[4];
  cli_plane src = {CLI_SAMPLE_U8, 2, 2, 2, a};
  cli_plane empty = {CLI_SAMPLE_U8, 0, 2, 2, b};
  assert_int_equal(cli_resize_bicubic(&src, &empty, 0), -1);
  assert_int_equal(cli_resize_bicubic(&empty, &src, 0), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_torch),
      cmocka_unit_test(test_integer_outputs),
      cmocka_unit_test(test_identity_and_constant),
      cmocka_unit_test(test_bands_equal_whole),
      cmocka_unit_test(test_bad_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tools/cli/img/upscale: the pixels `repconv upscale` writes, against the
 * model run directly through the public API and the bicubic filter:
 *  - gray: the model's output, rounded (8-bit) or scaled by 257 (16-bit);
 *  - RGB: Y of the output is the model's output on Y, Cb/Cr the bicubic
 *    of the input's (within the rounding of RGB to samples);
 *  - alpha: exactly the bicubic of the input's alpha, 8- and 16-bit;
 *  - a 3-channel model: R, G, B in and out as they are;
 *  - tiles: the same bytes as one tile, with progress reaching the total.
 * Model: the built-in ecbsr-m4c16-x2 (random weights). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Before cmocka.h, whose fail() macro would rename cli.h's fail(). */
#include "tools/cli/img/enhance.h"
#include "tools/cli/img/image.h"
#include "tools/cli/img/resample.h"
#include "tools/cli/img/upscale.h"
#include "tools/cli/img/ycbcr.h"

#include <cmocka.h>

#include "tests/support/test_util.h"

#define MODEL "ecbsr-m4c16-x2"

static cli_args args_for(repconv_backend be) {
  cli_args a;
  memset(&a, 0, sizeof a);
  a.command_name = "upscale";
  a.model = MODEL;
  a.fold = 1;
  a.threads = 1;
  a.backend = be;
  a.halo = -1;
  return a;
}

static cli_image fixture(const char* name) {
  const char* dir = rc_test_fixtures();
  char path[1024], err[512] = "";
  snprintf(path, sizeof path, "%s/images/%s", dir, name);
  cli_image img;
  if (cli_image_read(path, &img, err, sizeof err) != 0) fail_msg("%s: %s", path, err);
  return img;
}

static uint32_t sample(const cli_image* img, size_t i) {
  return img->depth > 8 ? ((const uint16_t*)img->data)[i] : ((const uint8_t*)img->data)[i];
}

/* Upscales img with options o and reads the result back. */
static cli_image upscaled(cli_enhancer* e, const cli_image* img, const cli_upscale_opts* o, cli_upscale_stats* st) {
  char path[1024], err[512] = "";
  rc_test_tmp_path("upscaled.png", path, sizeof path);
  if (cli_upscale(e, img, path, o, st, err, sizeof err) != 0) fail_msg("upscale: %s", err);
  cli_image out;
  if (cli_image_read(path, &out, err, sizeof err) != 0) fail_msg("read back: %s", err);
  remove(path);
  assert_int_equal(out.width, img->width * 2);
  assert_int_equal(out.height, img->height * 2);
  assert_int_equal(out.channels, img->channels);
  assert_int_equal(out.depth, img->depth);
  return out;
}

/* The model on one plane (0..255 floats), through the public API. */
static float* model_on(const float* plane, int w, int h) {
  repconv_options_t* o = NULL;
  repconv_model_t* m = NULL;
  repconv_session_t* s = NULL;
  const int64_t dims[4] = {1, 1, h, w};
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, dims), REPCONV_OK);
  assert_int_equal(repconv_model_load(MODEL, o, &m), REPCONV_OK);
  assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
  float* out = malloc((size_t)w * h * 4 * sizeof(float));
  assert_non_null(out);
  repconv_tensor_t x = {"input", 4, {1, 1, h, w}, (float*)plane};
  repconv_tensor_t y = {"output", 4, {1, 1, 2 * h, 2 * w}, out};
  assert_int_equal(repconv_session_run(s, &x, 1, &y, 1), REPCONV_OK);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  repconv_options_destroy(o);
  return out;
}

static const cli_upscale_opts k_whole = {100000, -1, 256e6, 0, NULL, NULL};

static void test_gray_is_the_model(void** state) {
  (void)state;
  cli_args a = args_for(REPCONV_BACKEND_AUTO);
  cli_enhancer e;
  assert_int_equal(cli_enhancer_open(&e, &a), EXIT_OK);
  assert_int_equal(e.channels, 1);
  assert_int_equal(e.scale, 2);
  for (int depth = 8; depth <= 16; depth += 8) {
    cli_image img = fixture(depth > 8 ? "gray16.png" : "gray8.png");
    const int w = img.width, h = img.height;
    float* plane = malloc((size_t)w * h * sizeof(float));
    for (int i = 0; i < w * h; i++) plane[i] = cli_sample_to_unit(sample(&img, (size_t)i), depth);
    float* want = model_on(plane, w, h);
    cli_upscale_stats st;
    cli_image out = upscaled(&e, &img, &k_whole, &st);
    for (int i = 0; i < 4 * w * h; i++) {
      if (sample(&out, (size_t)i) != cli_unit_to_sample(want[i], depth)) {
        fail_msg("%d-bit gray: pixel %d is %u, the model gives %g", depth, i, sample(&out, (size_t)i), want[i]);
      }
    }
    free(plane);
    free(want);
    cli_image_free(&out);
    cli_image_free(&img);
  }
  cli_enhancer_close(&e);
}

/* Y of the output is the model on Y; chroma the bicubic of the input's;
 * both within the rounding of the output to 8-bit RGB (each of R, G, B is
 * off by at most 0.5: Y by at most 0.5, Cb and Cr by at most 0.5·(1 +
 * 0.114 + ...)/1.772, 1.402: bounded by 0.75). */
static void test_rgb_goes_through_ycbcr(void** state) {
  (void)state;
  cli_args a = args_for(REPCONV_BACKEND_AUTO);
  cli_enhancer e;
  assert_int_equal(cli_enhancer_open(&e, &a), EXIT_OK);
  cli_image img = fixture("rgb8.png");
  const int w = img.width, h = img.height, ow = 2 * w, oh = 2 * h;
  const size_t n = (size_t)w * h, on = (size_t)ow * oh;
  float *y = malloc(n * 4), *cb = malloc(n * 4), *cr = malloc(n * 4);
  float *cb2 = malloc(on * 4), *cr2 = malloc(on * 4);
  for (size_t i = 0; i < n; i++) {
    cli_rgb_to_ycbcr((float)sample(&img, 3 * i), (float)sample(&img, 3 * i + 1), (float)sample(&img, 3 * i + 2), &y[i],
                     &cb[i], &cr[i]);
  }
  float* want_y = model_on(y, w, h);
  const cli_plane s1 = {CLI_SAMPLE_F32, w, h, w, cb}, d1 = {CLI_SAMPLE_F32, ow, oh, ow, cb2};
  const cli_plane s2 = {CLI_SAMPLE_F32, w, h, w, cr}, d2 = {CLI_SAMPLE_F32, ow, oh, ow, cr2};
  assert_int_equal(cli_resize_bicubic(&s1, &d1, 0), 0);
  assert_int_equal(cli_resize_bicubic(&s2, &d2, 0), 0);
  cli_upscale_stats st;
  cli_image out = upscaled(&e, &img, &k_whole, &st);
  for (size_t i = 0; i < on; i++) {
    float oy, ocb, ocr;
    cli_rgb_to_ycbcr((float)sample(&out, 3 * i), (float)sample(&out, 3 * i + 1), (float)sample(&out, 3 * i + 2), &oy,
                     &ocb, &ocr);
    /* Where no channel was clamped to 0 or 255, the rounding bound holds. */
    int clamped = 0;
    for (int c = 0; c < 3; c++)
      clamped |= sample(&out, 3 * i + (size_t)c) == 0 || sample(&out, 3 * i + (size_t)c) == 255;
    if (clamped) continue;
    if (fabsf(oy - want_y[i]) > 0.5f || fabsf(ocb - cb2[i]) > 0.75f || fabsf(ocr - cr2[i]) > 0.75f) {
      fail_msg("pixel %zu: YCbCr (%g %g %g), expected (%g %g %g)", i, oy, ocb, ocr, want_y[i], cb2[i], cr2[i]);
    }
  }
  free(y);
  free(cb);
  free(cr);
  free(cb2);
  free(cr2);
  free(want_y);
  cli_image_free(&out);
  cli_image_free(&img);
  cli_enhancer_close(&e);
}

/* Alpha is resized with the bicubic filter, not dropped: exactly the
 * filter's u8/u16 output, for RGBA 8-bit and gray+alpha 16-bit. */
static void test_alpha_is_resized(void** state) {
  (void)state;
  cli_args a = args_for(REPCONV_BACKEND_AUTO);
  cli_enhancer e;
  assert_int_equal(cli_enhancer_open(&e, &a), EXIT_OK);
  cli_image rgba = fixture("rgba8.png");
  /* gray+alpha 16-bit from the 16-bit gray fixture and a ramp. */
  cli_image g16 = fixture("gray16.png");
  cli_image ga16 = {g16.width, g16.height, 2, 16, NULL};
  char err[256];
  assert_int_equal(cli_image_alloc(&ga16, err, sizeof err), 0);
  for (int i = 0; i < g16.width * g16.height; i++) {
    ((uint16_t*)ga16.data)[2 * i] = ((uint16_t*)g16.data)[i];
    ((uint16_t*)ga16.data)[2 * i + 1] = (uint16_t)((i * 977) % 65536);
  }
  const cli_image* pics[2] = {&rgba, &ga16};
  for (int p = 0; p < 2; p++) {
    const cli_image* img = pics[p];
    const int w = img->width, h = img->height, c = img->channels;
    const cli_sample t = img->depth > 8 ? CLI_SAMPLE_U16 : CLI_SAMPLE_U8;
    const size_t bytes = img->depth > 8 ? 2 : 1;
    void* alpha = malloc((size_t)w * h * bytes);
    void* want = malloc((size_t)w * h * 4 * bytes);
    for (size_t i = 0; i < (size_t)w * h; i++) {
      if (bytes == 2) {
        ((uint16_t*)alpha)[i] = (uint16_t)sample(img, i * (size_t)c + (size_t)c - 1);
      } else {
        ((uint8_t*)alpha)[i] = (uint8_t)sample(img, i * (size_t)c + (size_t)c - 1);
      }
    }
    const cli_plane sp = {t, w, h, w, alpha}, dp = {t, 2 * w, 2 * h, 2 * w, want};
    assert_int_equal(cli_resize_bicubic(&sp, &dp, bytes == 2 ? 65535 : 255), 0);
    cli_upscale_stats st;
    cli_image out = upscaled(&e, img, &k_whole, &st);
    for (size_t i = 0; i < (size_t)w * h * 4; i++) {
      const uint32_t got = sample(&out, i * (size_t)c + (size_t)c - 1);
      const uint32_t exp = bytes == 2 ? ((uint16_t*)want)[i] : ((uint8_t*)want)[i];
      if (got != exp) fail_msg("picture %d: alpha %u at %zu, bicubic gives %u", p, got, i, exp);
    }
    free(alpha);
    free(want);
    cli_image_free(&out);
  }
  cli_image_free(&rgba);
  cli_image_free(&g16);
  cli_image_free(&ga16);
  cli_enhancer_close(&e);
}

/* A 3-channel x2 model (conv 3 -> 12, 3x3, then pixel shuffle), saved as
 * .rcm so that the enhancer loads it by path like a user's model. */
static const char* rgb_model(char* path, size_t size) {
  repconv_builder_t* b = NULL;
  repconv_id x, y;
  const int64_t dims[4] = {1, 3, 8, 8};
  float w[12 * 3 * 9], bias[12];
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 3);
  rc_test_fill_uniform(&rng, w, 12 * 3 * 9, -0.2f, 0.2f);
  rc_test_fill_uniform(&rng, bias, 12, 0.0f, 40.0f);
  repconv_conv2d_desc_t d = {12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  repconv_model_t* m = NULL;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  assert_int_equal(repconv_builder_input(b, "input", 4, dims, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_conv2d(b, "conv", x, &d, w, bias, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_depth_to_space(b, "shuffle", y, 2, REPCONV_D2S_CRD, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_output(b, y, "output"), REPCONV_OK);
  assert_int_equal(repconv_builder_finish(b, NULL, &m), REPCONV_OK);
  repconv_builder_destroy(b);
  rc_test_tmp_path("rgb_x2.rcm", path, size);
  assert_int_equal(repconv_model_save(m, path), REPCONV_OK);
  repconv_model_destroy(m);
  return path;
}

/* A 3-channel model gets R, G, B and its output is written as it is
 * (rounded); a gray picture gets gray in all three and the output's luma. */
static void test_rgb_model(void** state) {
  (void)state;
  char path[1024];
  cli_args a = args_for(REPCONV_BACKEND_AUTO);
  a.model = rgb_model(path, sizeof path);
  cli_enhancer e;
  assert_int_equal(cli_enhancer_open(&e, &a), EXIT_OK);
  assert_int_equal(e.channels, 3);
  assert_int_equal(e.scale, 2);
  assert_int_equal(e.halo_bound, 6); /* one 3x3 conv: F(6,3) at most */
  for (int p = 0; p < 2; p++) {
    cli_image img = fixture(p ? "gray8.png" : "rgb8.png");
    const int w = img.width, h = img.height, c = img.channels;
    const size_t n = (size_t)w * h, on = 4 * n;
    float* in = malloc(3 * n * sizeof(float));
    float* want = malloc(3 * on * sizeof(float));
    for (size_t i = 0; i < n; i++) {
      for (int k = 0; k < 3; k++) in[(size_t)k * n + i] = (float)sample(&img, i * (size_t)c + (size_t)(c == 3 ? k : 0));
    }
    repconv_options_t* o = NULL;
    repconv_model_t* m = NULL;
    repconv_session_t* s = NULL;
    const int64_t dims[4] = {1, 3, h, w};
    assert_int_equal(repconv_options_create(&o), REPCONV_OK);
    assert_int_equal(repconv_options_set_input_shape(o, NULL, 4, dims), REPCONV_OK);
    assert_int_equal(repconv_model_load(path, o, &m), REPCONV_OK);
    assert_int_equal(repconv_session_create(m, o, &s), REPCONV_OK);
    repconv_tensor_t x = {"input", 4, {1, 3, h, w}, in};
    repconv_tensor_t y = {"output", 4, {1, 3, 2 * h, 2 * w}, want};
    assert_int_equal(repconv_session_run(s, &x, 1, &y, 1), REPCONV_OK);
    cli_upscale_stats st;
    cli_image out = upscaled(&e, &img, &k_whole, &st);
    for (size_t i = 0; i < on; i++) {
      if (c == 3) {
        for (int k = 0; k < 3; k++) {
          assert_int_equal(sample(&out, 3 * i + (size_t)k), cli_unit_to_sample(want[(size_t)k * on + i], 8));
        }
      } else {
        const float l = cli_luma(want[i], want[on + i], want[2 * on + i]);
        assert_int_equal(sample(&out, i), cli_unit_to_sample(l, 8));
      }
    }
    repconv_session_destroy(s);
    repconv_model_destroy(m);
    repconv_options_destroy(o);
    free(in);
    free(want);
    cli_image_free(&out);
    cli_image_free(&img);
  }
  cli_enhancer_close(&e);
  remove(path);
}

static int g_done, g_total, g_calls;
static void count(void* ctx, int done, int total) {
  (void)ctx;
  g_done = done;
  g_total = total;
  g_calls++;
}

/* Tiles give the bytes one tile gives (F(4,3): blocks of 4), with the
 * halo derived from the plan; progress counts every tile. */
static void test_tiles_equal_whole(void** state) {
  (void)state;
  cli_args a = args_for(REPCONV_BACKEND_WINOGRAD);
  a.winograd = REPCONV_WINOGRAD_F43;
  cli_enhancer e;
  assert_int_equal(cli_enhancer_open(&e, &a), EXIT_OK);
  /* 16-bit gray, 101x71 (odd: the last window moves back inside), noise
   * on a ramp, tiled 3 ways. */
  cli_image img = {101, 71, 1, 16, NULL};
  char err[256];
  assert_int_equal(cli_image_alloc(&img, err, sizeof err), 0);
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 7);
  for (int i = 0; i < 101 * 71; i++) {
    ((uint16_t*)img.data)[i] = (uint16_t)((i % 101) * 400 + (i / 101) * 200 + rc_test_rng_int(&rng, 0, 9000));
  }
  cli_upscale_stats st;
  cli_image whole = upscaled(&e, &img, &k_whole, &st);
  assert_int_equal(st.tiles_x * st.tiles_y, 1);
  for (int tile = 1; tile <= 13; tile += 6) {
    cli_upscale_opts o = {tile, 4, 256e6, 0, count, NULL}; /* --halo 4: one layer's block is not enough */
    cli_image bad = upscaled(&e, &img, &o, &st);
    assert_true(st.tiles_x * st.tiles_y > 1);
    const int differs = memcmp(bad.data, whole.data, (size_t)whole.width * whole.height * 2) != 0;
    cli_image_free(&bad);
    o.halo = -1;
    g_calls = 0;
    cli_image tiled = upscaled(&e, &img, &o, &st);
    assert_int_equal(st.halo, 24); /* 6 convs as F(4,3) */
    assert_true(st.tiles_x * st.tiles_y > 1);
    assert_int_equal(g_total, st.tiles_x * st.tiles_y);
    assert_int_equal(g_done, g_total);
    assert_int_equal(g_calls, g_total);
    assert_memory_equal(tiled.data, whole.data, (size_t)whole.width * whole.height * 2);
    assert_true(differs); /* the check can fail */
    cli_image_free(&tiled);
  }
  cli_image_free(&whole);
  cli_image_free(&img);
  cli_enhancer_close(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gray_is_the_model), cmocka_unit_test(test_rgb_goes_through_ycbcr),
      cmocka_unit_test(test_alpha_is_resized),  cmocka_unit_test(test_rgb_model),
      cmocka_unit_test(test_tiles_equal_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

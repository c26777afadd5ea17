/* The frame API (repconv_session_run_image) against the float path: every
 * image is converted by hand (rc_u8_to_float per channel, as the API
 * documents px·scale + bias), run with repconv_session_run (float NCHW),
 * and the API's output must be bitwise rc_float_to_u8 of the float output
 * (8-bit formats) or the float output transposed to NHWC (F32): no
 * tolerance, since both paths compute the same floats with the same kernels
 * and the conversion has one definition.
 *
 *   - ecbsr-x2 (its last op a Winograd step with residual and pixel shuffle:
 *     the output stored by the kernel, no float output in the arena): GRAY8
 *     and F32 with padded rows (padding untouched), odd sizes (37x23), a
 *     size change and back on one live session, 1 and 2 threads, the float
 *     API on the same session before and after (one plan).
 *   - a 3-channel builder model ending in a Winograd 3x3 conv: RGB8, BGR8,
 *     RGBA8 (alpha ignored in, left untouched out), BGRA8, F32 in and out,
 *     mixed (RGB8 in, F32 out), uniform and per-channel (mean/std) input
 *     scales, an output scale and bias.
 *   - a 3-channel model ending in a 1x1 conv and a 4-channel one ending in a
 *     sigmoid (not Winograd: converted after the run), RGBA8 on 4 channels.
 *   - at the model's own size the frame API and the float API (check_run's
 *     reference) run one plan, the model's own (made with external I/O).
 *   - errors and their messages (no CLI flag named). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/common/convert.h"
#include "repconv.h"
#include "runtime/api/session_impl.h"
#include "tests/support/test_util.h"

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

static int bpp(repconv_pixel_format f, int c) {
  static const int n[] = {1, 3, 3, 4, 4, 0};
  return f == REPCONV_PIXEL_F32 ? 4 * c : n[f];
}

/* Byte offset of model channel k in a pixel. */
static int chan_off(repconv_pixel_format f, int k) {
  switch (f) {
    case REPCONV_PIXEL_GRAY8: return 0;
    case REPCONV_PIXEL_BGR8:
    case REPCONV_PIXEL_BGRA8: return 2 - k;
    case REPCONV_PIXEL_F32: return 4 * k;
    default: return k;
  }
}

static int channels_of(const repconv_model_t* m, int output) {
  repconv_tensor_info_t t;
  assert_int_equal(output ? repconv_model_output(m, 0, &t) : repconv_model_input(m, 0, &t), REPCONV_OK);
  return (int)t.dims[1];
}

/* One run of the frame API against the float path on session s. pad_in,
 * pad_out: bytes of row padding (multiples of 4 for F32). Returns the
 * number of output values strictly inside (0, 255) for 8-bit outputs (the
 * caller checks the comparison was not all clamped). */
static size_t check_run(repconv_session_t* s, const repconv_model_t* m, repconv_pixel_format fin,
                        repconv_pixel_format fout, int w, int h, int pad_in, int pad_out,
                        const repconv_image_params_t* params, uint64_t seed) {
  repconv_image_params_t id;
  repconv_image_params_init(&id);
  const repconv_image_params_t* pr = params ? params : &id;
  const int ci = channels_of(m, 0), co = channels_of(m, 1);
  int32_t ow = 0, oh = 0;
  assert_int_equal(repconv_model_image_output_size(m, w, h, &ow, &oh), REPCONV_OK);
  const size_t in_stride = (size_t)(w * bpp(fin, ci) + pad_in), out_stride = (size_t)(ow * bpp(fout, co) + pad_out);
  uint8_t* in = xmalloc(in_stride * (size_t)h);
  rc_test_rng r;
  rc_test_rng_seed(&r, seed);
  for (size_t i = 0; i < in_stride * (size_t)h; i++) in[i] = (uint8_t)rc_test_rng_u32(&r);
  if (fin == REPCONV_PIXEL_F32) {
    for (int y = 0; y < h; y++) {
      float* row = (float*)(in + (size_t)y * in_stride);
      for (int i = 0; i < w * ci; i++) row[i] = rc_test_rng_uniform(&r, -20.0f, 275.0f);
    }
  }
  /* By hand: the image's values as float NCHW. */
  const size_t hw = (size_t)w * (size_t)h, ohw = (size_t)ow * (size_t)oh;
  float* x = xmalloc(hw * (size_t)ci * sizeof(float));
  for (int k = 0; k < ci; k++) {
    for (int y = 0; y < h; y++) {
      for (int j = 0; j < w; j++) {
        const uint8_t* p = in + (size_t)y * in_stride + (size_t)j * (size_t)bpp(fin, ci) + chan_off(fin, k);
        float v;
        if (fin == REPCONV_PIXEL_F32) {
          memcpy(&v, p, sizeof v);
        } else {
          v = rc_u8_to_float(*p, pr->in_scale[k], pr->in_bias[k]);
        }
        x[(size_t)k * hw + (size_t)y * (size_t)w + (size_t)j] = v;
      }
    }
  }
  float* yf = xmalloc(ohw * (size_t)co * sizeof(float));
  repconv_tensor_info_t ti, to;
  assert_int_equal(repconv_model_input(m, 0, &ti), REPCONV_OK);
  assert_int_equal(repconv_model_output(m, 0, &to), REPCONV_OK);
  repconv_tensor_t tin = {.name = ti.name, .ndim = 4, .dims = {1, ci, h, w}, .data = x};
  repconv_tensor_t tout = {.name = to.name, .ndim = 4, .dims = {1, co, oh, ow}, .data = yf};
  if (repconv_session_run(s, &tin, 1, &tout, 1) != REPCONV_OK) fail_msg("float run: %s", repconv_session_error(s));
  /* The frame API. */
  uint8_t* out = xmalloc(out_stride * (size_t)oh);
  memset(out, 0xA5, out_stride * (size_t)oh);
  repconv_image_t a = {.format = fin, .width = w, .height = h, .stride = in_stride, .data = in};
  repconv_image_t b = {.format = fout, .width = ow, .height = oh, .stride = out_stride, .data = out};
  if (repconv_session_run_image(s, &a, &b, params) != REPCONV_OK) {
    fail_msg("run_image %dx%d: %s", w, h, repconv_session_error(s));
  }
  size_t inside = 0;
  for (int y = 0; y < oh; y++) {
    const uint8_t* row = out + (size_t)y * out_stride;
    for (int j = 0; j < ow; j++) {
      const uint8_t* p = row + (size_t)j * (size_t)bpp(fout, co);
      for (int k = 0; k < co; k++) {
        const float v = yf[(size_t)k * ohw + (size_t)y * (size_t)ow + (size_t)j];
        if (fout == REPCONV_PIXEL_F32) {
          float got;
          memcpy(&got, p + 4 * k, sizeof got);
          if (memcmp(&got, &v, sizeof v) != 0) {
            fail_msg("F32 output (%d, %d) channel %d: %a, the float path's %a", j, y, k, (double)got, (double)v);
          }
        } else {
          const uint8_t want = rc_float_to_u8(v, pr->out_scale, pr->out_bias);
          if (p[chan_off(fout, k)] != want) {
            fail_msg("%dx%d output (%d, %d) channel %d: %d, rc_float_to_u8(%a) is %d", ow, oh, j, y, k,
                     p[chan_off(fout, k)], (double)v, want);
          }
          inside += want > 0 && want < 255;
        }
      }
      /* Alpha of a 4-byte pixel on a 3-channel model: untouched. */
      if ((fout == REPCONV_PIXEL_RGBA8 || fout == REPCONV_PIXEL_BGRA8) && co == 3) assert_int_equal(p[3], 0xA5);
    }
    for (int q = ow * bpp(fout, co); q < (int)out_stride; q++) assert_int_equal(row[q], 0xA5);
  }
  free(in);
  free(x);
  free(yf);
  free(out);
  return inside;
}

static repconv_model_t* load(const char* name) {
  repconv_model_t* m = NULL;
  if (repconv_model_load(name, NULL, &m) != REPCONV_OK) fail_msg("load %s: %s", name, repconv_last_error());
  return m;
}

/* The last plan entry's backend (after a run at some size). */
static const char* last_backend(const repconv_session_t* s) {
  repconv_plan_entry_t e;
  size_t n = repconv_session_num_plan_entries(s);
  assert_true(n > 0);
  /* Fused entries name their producer: walk back to the computing one. */
  for (size_t i = n; i-- > 0;) {
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    if (strcmp(e.backend, "fused") != 0) return e.backend;
  }
  return "";
}

/* The notes of the plan entries (after a run at some size), joined. */
static const char* last_note(const repconv_session_t* s) {
  static char buf[16384];
  buf[0] = '\0';
  repconv_plan_entry_t e;
  for (size_t i = 0; i < repconv_session_num_plan_entries(s); i++) {
    assert_int_equal(repconv_session_plan(s, i, &e), REPCONV_OK);
    strncat(buf, e.note, sizeof(buf) - strlen(buf) - 1);
  }
  return buf;
}

static void test_gray_ecbsr(void** state) {
  (void)state;
  repconv_model_t* m = rc_test_load_ecbsr_x2(); /* its own size 256x256 under an emulator */
  for (int threads = 1; threads <= 2; threads++) {
    repconv_session_t* s = rc_test_session(m, REPCONV_BACKEND_AUTO, threads);
    /* Odd size, padded rows; then another size and back on the live session. */
    assert_true(check_run(s, m, REPCONV_PIXEL_GRAY8, REPCONV_PIXEL_GRAY8, 37, 23, 5, 3, NULL, 1) > 500);
    if (threads == 1) { /* at the model's own size: the model's plan, for both APIs */
      repconv_tensor_info_t ii;
      assert_int_equal(repconv_model_input(m, 0, &ii), REPCONV_OK);
      check_run(s, m, REPCONV_PIXEL_GRAY8, REPCONV_PIXEL_GRAY8, (int)ii.dims[3], (int)ii.dims[2], 0, 0, NULL, 9);
      assert_ptr_equal(s->cur->plan, &m->plan);
      int at_size = 0; /* one plan at that size (the 37x23 one aside) */
      for (int q = 0; q < s->n_sized; q++) at_size += s->sized[q].in[0].d[2] == ii.dims[2];
      assert_int_equal(at_size, 1);
    }
    /* No float output: the last kernel stores the image (the plan says so). */
    assert_string_equal(last_backend(s), "winograd");
    assert_non_null(strstr(last_note(s), "stores output 'output' straight into the caller's binding"));
    assert_true(check_run(s, m, REPCONV_PIXEL_GRAY8, REPCONV_PIXEL_GRAY8, 64, 40, 0, 0, NULL, 2) > 1000);
    assert_true(check_run(s, m, REPCONV_PIXEL_GRAY8, REPCONV_PIXEL_GRAY8, 37, 23, 0, 7, NULL, 3) > 500);
    /* Float NHWC (one channel: NCHW too) with padded rows, and mixed. */
    check_run(s, m, REPCONV_PIXEL_F32, REPCONV_PIXEL_F32, 31, 17, 12, 20, NULL, 4);
    check_run(s, m, REPCONV_PIXEL_GRAY8, REPCONV_PIXEL_F32, 31, 17, 1, 4, NULL, 5);
    check_run(s, m, REPCONV_PIXEL_F32, REPCONV_PIXEL_GRAY8, 31, 17, 8, 0, NULL, 6);
    /* Scale and bias: 0..1 values to the model and back. */
    repconv_image_params_t p;
    repconv_image_params_init(&p);
    p.in_scale[0] = 1.0f / 255.0f;
    p.out_scale = 255.0f;
    p.out_bias = 0.5f;
    check_run(s, m, REPCONV_PIXEL_GRAY8, REPCONV_PIXEL_GRAY8, 20, 9, 0, 0, &p, 7);
    repconv_session_destroy(s);
  }
  repconv_model_destroy(m);
}

/* A builder model: 3x3 conv cin→8, relu, then the tail: a 3x3 conv 8→cout
 * (tail 0), a 1x1 conv 8→cout (1), or a 3x3 conv and a sigmoid ×255 (2).
 * Weights scaled to keep values in pixel range. */
static repconv_model_t* small_model(int cin, int cout, int tail, repconv_backend be) {
  repconv_builder_t* b = NULL;
  assert_int_equal(repconv_builder_create(&b), REPCONV_OK);
  const int64_t dims[4] = {1, cin, 16, 16};
  repconv_id x, y, z;
  assert_int_equal(repconv_builder_input(b, "image", 4, dims, &x), REPCONV_OK);
  rc_test_rng r;
  rc_test_rng_seed(&r, 99 + (uint64_t)tail);
  float w1[8 * 4 * 9], b1[8], w2[4 * 8 * 9], b2[4];
  rc_test_fill_uniform(&r, w1, sizeof w1 / sizeof *w1, -0.1f, 0.2f);
  rc_test_fill_uniform(&r, b1, 8, -5.0f, 5.0f);
  rc_test_fill_uniform(&r, w2, sizeof w2 / sizeof *w2, -0.1f, 0.15f);
  rc_test_fill_uniform(&r, b2, 4, 0.0f, 30.0f);
  repconv_conv2d_desc_t d1 = {.out_channels = 8, .kernel_h = 3, .kernel_w = 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  assert_int_equal(repconv_builder_conv2d(b, "c1", x, &d1, w1, b1, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_activation(b, "r1", REPCONV_RELU, y, 0, 0, &y), REPCONV_OK);
  const int k = tail == 1 ? 1 : 3;
  repconv_conv2d_desc_t d2 = {
      .out_channels = cout, .kernel_h = k, .kernel_w = k, 1, 1, 1, 1, k / 2, k / 2, k / 2, k / 2, 1};
  if (tail == 1) {
    for (int i = 0; i < cout * 8; i++) w2[i] *= 3.0f;
  }
  assert_int_equal(repconv_builder_conv2d(b, "c2", y, &d2, w2, b2, &z), REPCONV_OK);
  if (tail == 2) {
    const float k255 = 255.0f;
    repconv_id c;
    const int64_t one[1] = {1};
    assert_int_equal(repconv_builder_constant(b, "k255", 1, one, &k255, &c), REPCONV_OK);
    repconv_id sg;
    assert_int_equal(repconv_builder_activation(b, "sg", REPCONV_HARD_SIGMOID, z, 1.0f / 300.0f, 0.1f, &sg),
                     REPCONV_OK);
    assert_int_equal(repconv_builder_binary(b, "scale", REPCONV_MUL, sg, c, &z), REPCONV_OK);
  }
  assert_int_equal(repconv_builder_output(b, z, "out"), REPCONV_OK);
  repconv_options_t* o = NULL;
  assert_int_equal(repconv_options_create(&o), REPCONV_OK);
  assert_int_equal(repconv_options_set_backend(o, be), REPCONV_OK);
  repconv_model_t* m = NULL;
  if (repconv_builder_finish(b, o, &m) != REPCONV_OK) fail_msg("builder: %s", repconv_last_error());
  repconv_options_destroy(o);
  repconv_builder_destroy(b);
  return m;
}

static void test_rgb_formats(void** state) {
  (void)state;
  repconv_model_t* m = small_model(3, 3, 0, REPCONV_BACKEND_WINOGRAD);
  for (int threads = 1; threads <= 2; threads++) {
    repconv_session_t* s = rc_test_session(m, REPCONV_BACKEND_WINOGRAD, threads);
    static const repconv_pixel_format f8[] = {REPCONV_PIXEL_RGB8, REPCONV_PIXEL_BGR8, REPCONV_PIXEL_RGBA8,
                                              REPCONV_PIXEL_BGRA8};
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) {
        assert_true(check_run(s, m, f8[i], f8[j], 37, 23, 3 * i, 5 - j, NULL, (uint64_t)(10 * i + j)) > 200);
      }
    }
    assert_string_equal(last_backend(s), "winograd");
    check_run(s, m, REPCONV_PIXEL_F32, REPCONV_PIXEL_F32, 29, 13, 16, 4, NULL, 40);
    check_run(s, m, REPCONV_PIXEL_RGB8, REPCONV_PIXEL_F32, 29, 13, 0, 0, NULL, 41);
    check_run(s, m, REPCONV_PIXEL_F32, REPCONV_PIXEL_BGRA8, 29, 13, 4, 1, NULL, 42);
    /* Per-channel input normalization (mean/std), and a uniform one. */
    repconv_image_params_t p;
    repconv_image_params_init(&p);
    const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    assert_int_equal(repconv_image_params_set_mean_std(&p, 3, mean, sd), REPCONV_OK);
    p.out_scale = 40.0f;
    p.out_bias = 100.0f;
    assert_true(check_run(s, m, REPCONV_PIXEL_BGRA8, REPCONV_PIXEL_RGB8, 21, 30, 2, 2, &p, 43) > 200);
    repconv_image_params_init(&p);
    for (int k = 0; k < 3; k++) p.in_scale[k] = 0.5f, p.in_bias[k] = 20.0f;
    assert_true(check_run(s, m, REPCONV_PIXEL_RGB8, REPCONV_PIXEL_RGBA8, 21, 30, 0, 0, &p, 44) > 200);
    repconv_session_destroy(s);
  }
  repconv_model_destroy(m);
}

/* Large enough for Winograd chains: the first layer reads the frame
 * through its binding, rows converted band by band (no float input in the
 * arena), and the residual too (ecbsr adds its input); still bitwise the
 * float path, at odd sizes and padded rows. Per-channel maps go through a
 * float copy of their own. */
static void test_streamed_input(void** state) {
  (void)state;
  repconv_model_t* m = load("ecbsr-x2");
  repconv_model_t* rgb = small_model(3, 3, 0, REPCONV_BACKEND_WINOGRAD);
  /* Under an emulator 1 thread only: the column slices of 2 threads are the
   * same code on every ISA and run natively (and under TSan); 11 of the
   * test's 21 s under qemu. */
  const int max_threads = rc_test_emulated() ? 1 : 2;
  for (int threads = 1; threads <= max_threads; threads++) {
    repconv_session_t* s = rc_test_session(m, REPCONV_BACKEND_AUTO, threads);
    assert_true(check_run(s, m, REPCONV_PIXEL_GRAY8, REPCONV_PIXEL_GRAY8, 301, 229, 5, 3, NULL, 60) > 10000);
    assert_int_equal(repconv_session_arena_bytes(s), 0); /* no float input, no output: nothing in the arena */
    check_run(s, m, REPCONV_PIXEL_F32, REPCONV_PIXEL_F32, 263, 257, 12, 20, NULL, 61);
    repconv_image_params_t p;
    repconv_image_params_init(&p);
    p.in_scale[0] = 1.0f / 255.0f;
    p.out_scale = 255.0f;
    assert_true(check_run(s, m, REPCONV_PIXEL_GRAY8, REPCONV_PIXEL_GRAY8, 257, 263, 0, 1, &p, 62) > 10000);
    repconv_session_destroy(s);
    s = rc_test_session(rgb, REPCONV_BACKEND_WINOGRAD, threads);
    assert_true(check_run(s, rgb, REPCONV_PIXEL_BGRA8, REPCONV_PIXEL_RGB8, 389, 347, 2, 2, NULL, 63) > 10000);
    assert_int_equal(repconv_session_arena_bytes(s), 0);
    const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    assert_int_equal(repconv_image_params_set_mean_std(&p, 3, mean, sd), REPCONV_OK);
    p.out_scale = 40.0f;
    p.out_bias = 100.0f;
    assert_true(check_run(s, rgb, REPCONV_PIXEL_RGB8, REPCONV_PIXEL_RGBA8, 389, 347, 1, 0, &p, 64) > 10000);
    repconv_session_destroy(s);
  }
  repconv_model_destroy(rgb);
  repconv_model_destroy(m);
}

static void test_not_winograd_tail(void** state) {
  (void)state;
  repconv_model_t* m = small_model(3, 3, 1, REPCONV_BACKEND_AUTO);
  repconv_session_t* s = rc_test_session(m, REPCONV_BACKEND_AUTO, 2);
  assert_true(check_run(s, m, REPCONV_PIXEL_RGB8, REPCONV_PIXEL_RGBA8, 37, 23, 1, 4, NULL, 50) > 200);
  assert_string_not_equal(last_backend(s), "winograd");
  assert_non_null(strstr(last_note(s), "kept in the arena, converted after the run"));
  check_run(s, m, REPCONV_PIXEL_F32, REPCONV_PIXEL_F32, 37, 23, 0, 8, NULL, 51);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  /* Four channels: RGBA8 carries alpha through the model. */
  m = small_model(4, 4, 2, REPCONV_BACKEND_AUTO);
  s = rc_test_session(m, REPCONV_BACKEND_AUTO, 1);
  assert_true(check_run(s, m, REPCONV_PIXEL_RGBA8, REPCONV_PIXEL_RGBA8, 19, 11, 2, 0, NULL, 52) > 200);
  check_run(s, m, REPCONV_PIXEL_F32, REPCONV_PIXEL_RGBA8, 19, 11, 0, 0, NULL, 53);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
}

/* A call that must fail with code and a message containing want. */
static void expect_error(repconv_session_t* s, const repconv_image_t* a, repconv_image_t* b,
                         const repconv_image_params_t* p, repconv_status code, const char* want) {
  repconv_status st = repconv_session_run_image(s, a, b, p);
  if (st != code)
    fail_msg("expected %s, got %s: %s", repconv_status_string(code), repconv_status_string(st), repconv_last_error());
  const char* msg = repconv_session_error(s);
  if (!strstr(msg, want)) fail_msg("message '%s' lacks '%s'", msg, want);
  if (strstr(msg, "--")) fail_msg("message '%s' names a CLI flag", msg);
}

static void test_errors(void** state) {
  (void)state;
  repconv_model_t* m = load("ecbsr-x2");
  repconv_session_t* s = rc_test_session(m, REPCONV_BACKEND_AUTO, 1);
  uint8_t in[40 * 20], out[80 * 40];
  float fo[80 * 40 + 1];
  repconv_image_t a = {.format = REPCONV_PIXEL_GRAY8, .width = 40, .height = 20, .data = in};
  repconv_image_t b = {.format = REPCONV_PIXEL_GRAY8, .width = 80, .height = 40, .data = out};
  memset(in, 100, sizeof in);
  assert_int_equal(repconv_session_run_image(s, &a, &b, NULL), REPCONV_OK);
  repconv_image_t e = a;
  e.format = REPCONV_PIXEL_RGB8;
  expect_error(s, &e, &b, NULL, REPCONV_ERROR_SHAPE,
               "input image: RGB8 serves models of 3 channels, the model's input 'input' has 1");
  e = b;
  e.format = REPCONV_PIXEL_RGBA8;
  expect_error(s, &a, &e, NULL, REPCONV_ERROR_SHAPE, "output image: RGBA8 serves models of 3 or 4 channels");
  e = a;
  e.data = NULL;
  expect_error(s, &e, &b, NULL, REPCONV_ERROR_INVALID_ARGUMENT, "input image: NULL data");
  e = a;
  e.stride = 39;
  expect_error(s, &e, &b, NULL, REPCONV_ERROR_INVALID_ARGUMENT,
               "input image: stride 39 bytes is less than a row of 40 GRAY8 pixels (40 bytes)");
  e = b;
  e.width = 81;
  expect_error(s, &a, &e, NULL, REPCONV_ERROR_SHAPE,
               "output image: 81x40 given, the model gives 80x40 (width x height) for a 40x20 input");
  e = a;
  e.height = 0;
  expect_error(s, &e, &b, NULL, REPCONV_ERROR_INVALID_ARGUMENT, "input image: size 40x0");
  e = a;
  e.format = (repconv_pixel_format)17;
  expect_error(s, &e, &b, NULL, REPCONV_ERROR_INVALID_ARGUMENT, "input image: unknown pixel format 17");
  e = b;
  e.format = REPCONV_PIXEL_F32;
  e.data = (uint8_t*)fo + 1;
  expect_error(s, &a, &e, NULL, REPCONV_ERROR_INVALID_ARGUMENT, "output image: F32 data must be 4-byte aligned");
  e.data = fo;
  e.stride = 80 * 4 + 2;
  expect_error(s, &a, &e, NULL, REPCONV_ERROR_INVALID_ARGUMENT, "a multiple of 4");
  e.stride = 0;
  repconv_image_params_t p;
  repconv_image_params_init(&p);
  p.out_scale = 2.0f;
  expect_error(s, &a, &e, &p, REPCONV_ERROR_INVALID_ARGUMENT, "output image: F32 pixels are the model's values");
  expect_error(s, NULL, &b, NULL, REPCONV_ERROR_INVALID_ARGUMENT, "NULL input image");
  assert_int_equal(repconv_session_run_image(NULL, &a, &b, NULL), REPCONV_ERROR_INVALID_ARGUMENT);
  /* The session still runs after the errors; the output size helper. */
  assert_int_equal(repconv_session_run_image(s, &a, &b, NULL), REPCONV_OK);
  int32_t ow = 0, oh = 0;
  assert_int_equal(repconv_model_image_output_size(m, 1920, 1080, &ow, &oh), REPCONV_OK);
  assert_int_equal(ow, 3840);
  assert_int_equal(oh, 2160);
  assert_int_equal(repconv_model_image_output_size(m, 0, 1080, &ow, &oh), REPCONV_ERROR_INVALID_ARGUMENT);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  /* Models that are not one image in and out. */
  repconv_builder_t* bd = NULL;
  assert_int_equal(repconv_builder_create(&bd), REPCONV_OK);
  const int64_t dims[2] = {1, 8};
  repconv_id x, y;
  assert_int_equal(repconv_builder_input(bd, "vec", 2, dims, &x), REPCONV_OK);
  assert_int_equal(repconv_builder_activation(bd, "r", REPCONV_RELU, x, 0, 0, &y), REPCONV_OK);
  assert_int_equal(repconv_builder_output(bd, y, "o"), REPCONV_OK);
  assert_int_equal(repconv_builder_finish(bd, NULL, &m), REPCONV_OK);
  repconv_builder_destroy(bd);
  s = rc_test_session(m, REPCONV_BACKEND_AUTO, 1);
  b.width = 40;
  b.height = 20;
  expect_error(s, &a, &b, NULL, REPCONV_ERROR_UNSUPPORTED,
               "the model's input 'vec' has rank 2 and its output 'o' rank 2; images run models of rank-4");
  assert_int_equal(repconv_model_image_output_size(m, 4, 4, &ow, &oh), REPCONV_ERROR_UNSUPPORTED);
  repconv_session_destroy(s);
  repconv_model_destroy(m);
  /* mean/std: bad arguments. */
  const float mean[1] = {0}, sd[1] = {0};
  assert_int_equal(repconv_image_params_set_mean_std(&p, 1, mean, sd), REPCONV_ERROR_INVALID_ARGUMENT);
  assert_int_equal(repconv_image_params_set_mean_std(&p, 5, mean, sd), REPCONV_ERROR_INVALID_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gray_ecbsr),     cmocka_unit_test(test_rgb_formats),
      cmocka_unit_test(test_streamed_input), cmocka_unit_test(test_not_winograd_tail),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

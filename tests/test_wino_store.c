/* Tests of output bindings (kernels/common/convert.h) and the Winograd
 * stores through them (rc_wino_conv_params.store):
 *
 *   convert   every conversion ISA this CPU runs: uint8 stores bitwise equal
 *             to rc_float_to_u8, which equals an independent lrintf-based
 *             definition (NaN, ±inf, −0, ties k + ½ both ways, the clamp
 *             edges); loads equal to rc_u8_to_float; lengths 0..70 and
 *             longer (every vector tail); nothing written past n.
 *   half      rc_f16_to_f32 against ldexp for all 65536 halves;
 *             rc_f32_to_f16 round trips every finite half, rounds every
 *             midpoint to the even neighbour and its float neighbours to
 *             the nearer, overflows to inf from 65520 on, keeps NaN and −0;
 *             every ISA's f16_to_f32 bitwise rc_f16_to_f32 (every tail).
 *   transpose every ISA's float transpose (planes <-> pixels) against the
 *             definition: every block edge, padded and negative strides.
 *   pixels    rc_binding_store_pixels / _load_pixels against one element at
 *             a time, for planes, interleaved, reversed (BGR) and padded
 *             strides, through every ISA's kernels.
 *   step      every Winograd ISA × F(2,3)/F(4,3)/F(6,3), with and without a
 *             residual (1 or all channels) and a pixel shuffle (CRD, DCR;
 *             1 and 3 channels after it), every activation, odd sizes,
 *             batch 1–2, 1–3 threads: a float binding holds bitwise the
 *             default store's tensor copied with the binding's strides, a
 *             uint8 one rc_float_to_u8 of it; every byte the binding does
 *             not address (row, pixel and image padding) keeps its sentinel.
 *   load      a conv in no chain reading its input through a binding
 *             (float planes, uint8 pixels) equals the conv on the loaded
 *             values, bitwise (every ISA and variant, 1 and 3 threads).
 *   chain     the same for the last layer of random chains of 1–4 layers.
 *
 * Layouts: the arena's NHWC, NCHW, NHWC with padded rows and images,
 * reversed channels with a padded pixel (BGRx-like: base + C − 1, channel
 * stride −1), and (one channel) a plane inside an interleaved buffer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "kernels/thread/pool.h"

#include "kernels/common/convert.h"
#include "kernels/winograd/wino.h"
#include "tests/support/test_util.h"

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

static int rnd(rc_test_rng* r, int n) { return rc_test_rng_int(r, 0, n - 1); }

/* The uint8 store written independently of rc_float_to_u8: lrintf in the
 * default rounding mode. */
static uint8_t oracle_u8(float v, float scale, float bias) {
  volatile float t = v * scale; /* two roundings, as documented */
  t = t + bias;
  if (isnan(t) || t <= 0.0f) return 0;
  if (t >= 255.0f) return 255;
  return (uint8_t)lrintf(t);
}

/* ------------------------------------------------------------ convert */

static float special(rc_test_rng* r) {
  static const float s[] = {NAN,    -NAN,   INFINITY, -INFINITY, 0.0f,  -0.0f,  0.5f,  1.5f,   2.5f,       254.5f,
                            253.5f, 255.5f, 255.0f,   254.9999f, -0.5f, -1e30f, 1e30f, 127.5f, 0.4999999f, 3e-39f};
  return s[rnd(r, (int)(sizeof s / sizeof s[0]))];
}

static void test_convert_kernels(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 11);
  enum { MAXN = 1100 };
  float* x = xmalloc((MAXN + 16) * sizeof(float));
  float* fy = xmalloc((MAXN + 16) * sizeof(float));
  uint8_t* y = xmalloc(MAXN + 16);
  uint8_t* px = xmalloc(MAXN + 16);
  size_t tested = 0;
  for (int isa = RC_CONVERT_ISA_SCALAR; isa < RC_CONVERT_ISA_COUNT; isa++) {
    if (!rc_convert_isa_available((rc_convert_isa)isa)) continue;
    const rc_convert_kernels* k = rc_convert_kernels_get((rc_convert_isa)isa);
    tested++;
    for (int rep = 0; rep < 300; rep++) {
      const size_t n = rep < 71 ? (size_t)rep : (size_t)rc_test_rng_int(&r, 71, MAXN);
      /* scale 1, bias 0 hits the ties exactly; others a range around [0, 255] */
      const int plain = rep % 3 == 0;
      const float scale = plain ? 1.0f : rc_test_rng_uniform(&r, 50.0f, 300.0f);
      const float bias = plain ? 0.0f : rc_test_rng_uniform(&r, -20.0f, 140.0f);
      for (size_t i = 0; i < n; i++) {
        x[i] = rnd(&r, 4) == 0 ? special(&r)
               : plain         ? (float)rc_test_rng_int(&r, -4, 520) * 0.5f
                               : rc_test_rng_uniform(&r, -1.0f, 1.2f);
        px[i] = (uint8_t)rnd(&r, 256);
      }
      memset(y, 0xA5, MAXN + 16);
      k->f32_to_u8(x, n, scale, bias, y);
      for (size_t i = 0; i < n; i++) {
        const uint8_t want = oracle_u8(x[i], scale, bias);
        if (rc_float_to_u8(x[i], scale, bias) != want)
          fail_msg("rc_float_to_u8(%.9g, %g, %g) = %d, lrintf gives %d", x[i], scale, bias,
                   rc_float_to_u8(x[i], scale, bias), want);
        if (y[i] != want)
          fail_msg("isa %d n %zu: [%zu] %.9g·%g + %g → %d, want %d", isa, n, i, x[i], scale, bias, y[i], want);
      }
      for (size_t i = n; i < n + 16; i++) assert_int_equal(y[i], 0xA5);
      for (size_t i = 0; i < n + 16; i++) memcpy(&fy[i], &(uint32_t){0x7fc0dead}, 4);
      k->u8_to_f32(px, n, scale, bias, fy);
      for (size_t i = 0; i < n; i++) {
        const float want = rc_u8_to_float(px[i], scale, bias);
        if (memcmp(&fy[i], &want, sizeof want) != 0)
          fail_msg("isa %d: u8 %d → %.9g, want %.9g", isa, px[i], fy[i], want);
      }
      for (size_t i = n; i < n + 16; i++) assert_int_equal(*(uint32_t*)&fy[i], 0x7fc0dead);
    }
  }
  print_message("conversion ISAs tested: %zu\n", tested);
  assert_true(tested >= 1);
  free(x);
  free(fy);
  free(y);
  free(px);
}

/* binary16 (weights stored as halves): the scalar definitions against
 * independent ones, and every ISA's kernel against them. */
static double half_value(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
  return h & 0x8000 ? -v : v;
}

static void test_half_kernels(void** state) {
  (void)state;
  for (uint32_t h = 0; h < 0x10000u; h++) {
    const float f = rc_f16_to_f32((uint16_t)h);
    if (((h >> 10) & 0x1f) == 0x1f) {
      if ((h & 0x3ff) ? !isnan(f) : !isinf(f) || (f < 0) != ((h & 0x8000) != 0))
        fail_msg("half %04x → %g: want %s", h, f, h & 0x3ff ? "NaN" : "inf");
      continue;
    }
    if ((double)f != half_value((uint16_t)h) || (signbit(f) != 0) != ((h & 0x8000) != 0))
      fail_msg("half %04x → %.9g, want %.9g", h, f, half_value((uint16_t)h));
    const uint16_t back = rc_f32_to_f16(f);
    if (back != h) fail_msg("half %04x → %.9g → %04x: not a round trip", h, f, back);
    /* The midpoint to the next half away from zero, and its neighbours. */
    if ((h & 0x7fff) < 0x7bff) {
      const double next = half_value((uint16_t)(h + 1)), mid = (half_value((uint16_t)h) + next) / 2;
      const uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
      const float fm = (float)mid; /* exact: one more bit than a half */
      if (rc_f32_to_f16(fm) != even)
        fail_msg("midpoint %.9g above %04x → %04x, want %04x", mid, h, rc_f32_to_f16(fm), even);
      const float lo = nextafterf(fm, 0.0f), hi = nextafterf(fm, fm > 0 ? INFINITY : -INFINITY);
      if (rc_f32_to_f16(lo) != h || rc_f32_to_f16(hi) != (uint16_t)(h + 1))
        fail_msg("around the midpoint above %04x: %04x %04x", h, rc_f32_to_f16(lo), rc_f32_to_f16(hi));
    }
  }
  assert_int_equal(rc_f32_to_f16(65519.99f), 0x7bff);
  assert_int_equal(rc_f32_to_f16(65520.0f), 0x7c00);
  assert_int_equal(rc_f32_to_f16(-1e9f), 0xfc00);
  assert_int_equal(rc_f32_to_f16(INFINITY), 0x7c00);
  assert_int_equal(rc_f32_to_f16(-0.0f), 0x8000);
  assert_int_equal(rc_f32_to_f16(1e-9f), 0x0000);    /* below half the smallest subnormal */
  assert_int_equal(rc_f32_to_f16(0x1p-25f), 0x0000); /* a tie: to even, 0 */
  assert_int_equal(rc_f32_to_f16(0x1.8p-25f), 0x0001);
  const uint16_t qn = rc_f32_to_f16(NAN);
  assert_true((qn & 0x7c00) == 0x7c00 && (qn & 0x3ff) != 0);

  uint16_t* all = xmalloc(0x10000 * sizeof(uint16_t));
  float* want = xmalloc(0x10000 * sizeof(float));
  float* got = xmalloc((0x10000 + 16) * sizeof(float));
  for (uint32_t h = 0; h < 0x10000u; h++) all[h] = (uint16_t)h;
  rc_f16_to_f32__scalar(all, 0x10000, want);
  size_t tested = 0;
  for (int isa = RC_CONVERT_ISA_SCALAR; isa < RC_CONVERT_ISA_COUNT; isa++) {
    if (!rc_convert_isa_available((rc_convert_isa)isa)) continue;
    const rc_convert_kernels* k = rc_convert_kernels_get((rc_convert_isa)isa);
    tested++;
    for (size_t n = 0; n <= 0x10000; n = n < 40 ? n + 1 : n == 40 ? 0x10000 - 3 : n + 1) {
      const size_t off = n == 0x10000 ? 0 : (n * 977u) % (0x10000 - n); /* any alignment */
      for (size_t i = 0; i < n + 16; i++) got[i] = -7.0f;
      k->f16_to_f32(all + off, n, got);
      for (size_t i = 0; i < n; i++) {
        const float w = want[off + i];
        if (isnan(w) ? !isnan(got[i]) : memcmp(&got[i], &w, sizeof w) != 0)
          fail_msg("isa %d n %zu: half %04x → %.9g, want %.9g", isa, n, all[off + i], got[i], w);
      }
      for (size_t i = n; i < n + 16; i++)
        if (got[i] != -7.0f) fail_msg("isa %d n %zu: wrote past n", isa, n);
    }
  }
  print_message("binary16: 65536 halves, %zu conversion ISAs\n", tested);
  free(all);
  free(want);
  free(got);
}

/* Every ISA's transpose against the definition, element by element: sizes
 * 0..40 by 0..40 (every full block and edge of 4×4, 8×8 and 16×16),
 * larger ones, 3 × 0..79 between planes and packed pixels, padded and
 * negative strides both ways (the planes of a
 * reversed-channel binding); the destination's padding keeps its sentinel.
 * Bitwise: a transpose only moves values (NaN payloads included). */
static void test_transpose_kernels(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 17);
  size_t tested = 0;
  for (int isa = RC_CONVERT_ISA_SCALAR; isa < RC_CONVERT_ISA_COUNT; isa++) {
    if (!rc_convert_isa_available((rc_convert_isa)isa)) continue;
    const rc_convert_kernels* k = rc_convert_kernels_get((rc_convert_isa)isa);
    tested++;
    for (int rep = 0; rep < 560; rep++) {
      /* from 400: three planes to packed 3-float pixels and back, 0..79
       * pixels (NEON's and AVX-512's own path), the other side's stride free */
      const int to_px = rep >= 400 && rep < 480, to_planes = rep >= 480;
      const size_t q = rep >= 400 ? (size_t)(rep - 400) % 80 : 0;
      const size_t rows = to_px          ? 3
                          : to_planes    ? q
                          : rep < 41 * 4 ? (size_t)(rep % 41)
                                         : (size_t)rnd(&r, rep % 2 ? 41 : 300);
      const size_t cols = to_px          ? q
                          : to_planes    ? 3
                          : rep < 41 * 4 ? (size_t)rnd(&r, 41)
                                         : (size_t)rnd(&r, rep % 2 ? 300 : 41);
      const size_t s_pad = (size_t)rnd(&r, 3) * (size_t)rnd(&r, 6), d_pad = (size_t)rnd(&r, 3) * (size_t)rnd(&r, 6);
      const size_t sp = cols + (to_planes ? 0 : s_pad), dp = rows + (to_px ? 0 : d_pad);
      const int s_rev = rnd(&r, 4) == 0, d_rev = rnd(&r, 4) == 0;
      const size_t sn = rows * sp + 1, dn = cols * dp + 1;
      uint32_t* src = xmalloc(sn * sizeof(uint32_t));
      uint32_t* dst = xmalloc(dn * sizeof(uint32_t));
      for (size_t i = 0; i < sn; i++) src[i] = rc_test_rng_u32(&r);
      for (size_t i = 0; i < dn; i++) dst[i] = 0xA5A5A5A5u;
      /* reversed: row i at (rows − 1 − i)·stride, a negative stride */
      const ptrdiff_t ss = s_rev ? -(ptrdiff_t)sp : (ptrdiff_t)sp, ds = d_rev ? -(ptrdiff_t)dp : (ptrdiff_t)dp;
      const uint32_t* s0 = src + (s_rev && rows ? (rows - 1) * sp : 0);
      uint32_t* d0 = dst + (d_rev && cols ? (cols - 1) * dp : 0);
      k->transpose_f32((const float*)s0, ss, rows, cols, (float*)d0, ds);
      for (size_t j = 0; j < cols; j++)
        for (size_t i = 0; i < dp; i++) {
          const uint32_t got = d0[(ptrdiff_t)j * ds + (ptrdiff_t)i];
          const uint32_t want = i < rows ? s0[(ptrdiff_t)i * ss + (ptrdiff_t)j] : 0xA5A5A5A5u;
          if (got != want)
            fail_msg("isa %d: %zux%zu (strides %td, %td): dst[%zu][%zu] %08x, want %08x", isa, rows, cols, ss, ds, j, i,
                     got, want);
        }
      if (dst[dn - 1] != 0xA5A5A5A5u) fail_msg("isa %d: %zux%zu: wrote past the destination", isa, rows, cols);
      free(src);
      free(dst);
    }
  }
  print_message("transpose ISAs tested: %zu\n", tested);
  assert_true(tested >= 1);
}

/* ------------------------------------------------------------ layouts */

enum { L_NHWC, L_NCHW, L_PADDED, L_REVERSED, L_PLANE_IN_RGB, L_COUNT };

/* A binding of `type` for an N×H×W×C tensor in layout `kind` over a buffer
 * of *elems elements (allocated, filled with sentinels). Returns 0 if the
 * layout does not apply (a plane inside RGB needs C = 1). */
static int make_binding(int kind, rc_elem_type type, size_t N, size_t H, size_t W, size_t C, rc_binding* b,
                        size_t* elems) {
  memset(b, 0, sizeof *b);
  b->type = type;
  b->scale = 97.0f;
  b->bias = 120.5f;
  ptrdiff_t off = 0;
  switch (kind) {
    case L_NHWC:
      b->channel_stride = 1;
      b->pixel_stride = (ptrdiff_t)C;
      b->row_stride = (ptrdiff_t)(W * C);
      b->image_stride = (ptrdiff_t)(H * W * C);
      break;
    case L_NCHW:
      b->pixel_stride = 1;
      b->row_stride = (ptrdiff_t)W;
      b->channel_stride = (ptrdiff_t)(H * W);
      b->image_stride = (ptrdiff_t)(C * H * W);
      break;
    case L_PADDED:
      b->channel_stride = 1;
      b->pixel_stride = (ptrdiff_t)C;
      b->row_stride = (ptrdiff_t)(W * C + 7);
      b->image_stride = (ptrdiff_t)H * b->row_stride + 3;
      break;
    case L_REVERSED: /* BGRx: pixels of C + 1, channels backwards */
      off = (ptrdiff_t)C - 1;
      b->channel_stride = -1;
      b->pixel_stride = (ptrdiff_t)C + 1;
      b->row_stride = (ptrdiff_t)(W * (C + 1) + 5);
      b->image_stride = (ptrdiff_t)H * b->row_stride;
      break;
    case L_PLANE_IN_RGB: /* channel 1 of an interleaved RGB image */
      if (C != 1) return 0;
      off = 1;
      b->pixel_stride = 3;
      b->row_stride = (ptrdiff_t)(3 * W + 2);
      b->image_stride = (ptrdiff_t)H * b->row_stride;
      break;
  }
  ptrdiff_t lo, hi;
  rc_binding_extent(b, N, H, W, C, &lo, &hi);
  assert_true(off + lo >= 0);
  *elems = (size_t)(off + hi + 1) + 9; /* and a tail the binding never reaches */
  const size_t bytes = *elems * (type == RC_ELEM_U8 ? 1 : sizeof(float));
  unsigned char* buf = xmalloc(bytes);
  memset(buf, 0xA5, bytes);
  b->base = buf + (size_t)off * (type == RC_ELEM_U8 ? 1 : sizeof(float));
  return 1;
}

static void* binding_buffer(const rc_binding* b, size_t C, int kind) {
  const ptrdiff_t off = kind == L_REVERSED ? (ptrdiff_t)C - 1 : kind == L_PLANE_IN_RGB ? 1 : 0;
  return (unsigned char*)b->base - off * (b->type == RC_ELEM_U8 ? 1 : (ptrdiff_t)sizeof(float));
}

/* What the binding must hold: its sentinel buffer with y (NHWC) stored
 * element by element through the strides (converted when uint8). */
static void* expected_buffer(const rc_binding* b, int kind, const float* y, size_t N, size_t H, size_t W, size_t C,
                             size_t elems) {
  const size_t esz = b->type == RC_ELEM_U8 ? 1 : sizeof(float);
  unsigned char* e = xmalloc(elems * esz);
  memset(e, 0xA5, elems * esz);
  const ptrdiff_t off = kind == L_REVERSED ? (ptrdiff_t)C - 1 : kind == L_PLANE_IN_RGB ? 1 : 0;
  for (size_t n = 0; n < N; n++)
    for (size_t yy = 0; yy < H; yy++)
      for (size_t x = 0; x < W; x++)
        for (size_t c = 0; c < C; c++) {
          const ptrdiff_t at = off + (ptrdiff_t)n * b->image_stride + (ptrdiff_t)yy * b->row_stride +
                               (ptrdiff_t)x * b->pixel_stride + (ptrdiff_t)c * b->channel_stride;
          const float v = y[((n * H + yy) * W + x) * C + c];
          if (b->type == RC_ELEM_U8) {
            e[at] = rc_float_to_u8(v, b->scale, b->bias);
          } else {
            memcpy(e + (size_t)at * sizeof(float), &v, sizeof v);
          }
        }
  return e;
}

static void expect_buffer(const char* what, const rc_binding* b, int kind, size_t C, const void* want, size_t elems) {
  const size_t esz = b->type == RC_ELEM_U8 ? 1 : sizeof(float);
  const unsigned char* got = binding_buffer(b, C, kind);
  if (memcmp(got, want, elems * esz) == 0) return;
  for (size_t i = 0; i < elems * esz; i++) {
    if (got[i] != ((const unsigned char*)want)[i])
      fail_msg("%s: layout %d %s, byte %zu of %zu: %d, want %d", what, kind, b->type == RC_ELEM_U8 ? "u8" : "f32", i,
               elems * esz, got[i], ((const unsigned char*)want)[i]);
  }
}

/* ------------------------------------------------------------ pixels */

static void test_binding_pixels(void** state) {
  (void)state;
  rc_test_rng r;
  rc_test_rng_seed(&r, 5);
  static const size_t chans[] = {1, 3, 4, 5, 16, 17, 64, 1100};
  for (int rep = 0; rep < 200; rep++) {
    /* each ISA in turn (one it cannot run gives the scalar kernels) */
    const rc_convert_kernels* k = rc_convert_kernels_get((rc_convert_isa)(1 + rep % (RC_CONVERT_ISA_COUNT - 1)));
    const size_t C = chans[rnd(&r, 8)], N = 1 + (size_t)rnd(&r, 2), H = 1 + (size_t)rnd(&r, 3);
    const size_t W = C > 100 ? 1 + (size_t)rnd(&r, 2) : 1 + (size_t)rnd(&r, 700);
    const size_t total = N * H * W * C;
    float* y = xmalloc(total * sizeof(float));
    rc_test_fill_uniform(&r, y, total, -1.5f, 1.5f);
    for (int kind = 0; kind < L_COUNT; kind++)
      for (int t = 0; t < 2; t++) {
        rc_binding b;
        size_t elems;
        if (!make_binding(kind, t ? RC_ELEM_U8 : RC_ELEM_F32, N, H, W, C, &b, &elems)) continue;
        for (size_t n = 0; n < N; n++)
          for (size_t yy = 0; yy < H; yy++) {
            /* a row in two pieces: a store starting mid-row */
            const size_t cut = W / 3;
            const float* row = y + (n * H + yy) * W * C;
            rc_binding_store_pixels(&b, k, row, cut, C, n, yy, 0);
            rc_binding_store_pixels(&b, k, row + cut * C, W - cut, C, n, yy, cut);
          }
        void* want = expected_buffer(&b, kind, y, N, H, W, C, elems);
        expect_buffer("store_pixels", &b, kind, C, want, elems);
        /* and back: a float binding loads the values, a uint8 one the
         * loads of the stored bytes */
        float* back = xmalloc(total * sizeof(float));
        for (size_t n = 0; n < N; n++)
          for (size_t yy = 0; yy < H; yy++) rc_binding_load_pixels(&b, k, back + (n * H + yy) * W * C, W, C, n, yy, 0);
        for (size_t n = 0; n < N; n++)
          for (size_t yy = 0; yy < H; yy++)
            for (size_t x = 0; x < W; x++)
              for (size_t c = 0; c < C; c++) {
                const size_t i = ((n * H + yy) * W + x) * C + c;
                const float w = t ? rc_u8_to_float(rc_float_to_u8(y[i], b.scale, b.bias), b.scale, b.bias) : y[i];
                if (memcmp(&back[i], &w, sizeof w) != 0)
                  fail_msg("load_pixels layout %d: [%zu] %.9g, want %.9g", kind, i, back[i], w);
              }
        free(back);
        free(want);
        free(binding_buffer(&b, C, kind));
      }
    free(y);
  }
}

/* ------------------------------------------------------------ one conv */

typedef struct conv_case {
  rc_wino_conv_params p;
  float *x, *w, *b, *slopes, *u, *res;
  const float* bias; /* b or NULL */
} conv_case;

static void free_conv(conv_case* c) {
  free(c->x);
  free(c->w);
  free(c->b);
  free(c->slopes);
  free(c->u);
  free(c->res);
}

/* Fills layer p's weights (p's shapes set) and its transformed filter. */
static void make_weights(rc_test_rng* r, rc_wino_conv_params* p, float** w, float** b, float** slopes, float** u) {
  const size_t nw = (size_t)p->out_c * p->in_c * 9;
  *w = xmalloc(nw * sizeof(float));
  *b = xmalloc((size_t)p->out_c * sizeof(float));
  *slopes = xmalloc((size_t)p->out_c * sizeof(float));
  const float s = 1.0f / sqrtf((float)(9 * p->in_c));
  rc_test_fill_uniform(r, *w, nw, -s, s);
  rc_test_fill_uniform(r, *b, (size_t)p->out_c, -0.2f, 0.2f);
  rc_test_fill_uniform(r, *slopes, (size_t)p->out_c, -0.5f, 0.5f);
  p->activation = (rc_wino_activation)rnd(r, 4);
  p->act_min = -0.5f;
  p->act_max = 0.75f;
  p->prelu_slopes = *slopes;
  *u = xmalloc(rc_wino_filter_size(p->variant, (size_t)p->out_c, (size_t)p->in_c) * sizeof(float));
  rc_wino_filter_transform(p->variant, (size_t)p->out_c, (size_t)p->in_c, *w, *u);
}

/* The tail's residual and shuffle, at random. */
static void make_tail(rc_test_rng* r, rc_wino_conv_params* p, float** res) {
  const int shuffle = rnd(r, 2) ? 2 : 0;
  if (shuffle) p->out_c = 4 * (rnd(r, 3) ? 1 : 3); /* a Y plane, or 3 channels */
  p->shuffle = shuffle;
  p->shuffle_crd = rnd(r, 2);
  *res = NULL;
  if (rnd(r, 2)) {
    p->residual_c = rnd(r, 2) ? 1 : p->out_c;
    const size_t n = (size_t)p->batch * p->out_h * p->out_w * (size_t)p->residual_c;
    *res = xmalloc(n * sizeof(float));
    rc_test_fill_uniform(r, *res, n, -1.0f, 1.0f);
    p->residual = *res;
  }
}

/* The default store (y), then the same run through every binding layout
 * and type: run(p with store) must fill it as expected_buffer says. */
typedef void (*run_fn)(void* ctx, const rc_binding* store, float* y, rc_pool* pool);

static size_t check_bindings(const char* what, run_fn run, void* ctx, size_t N, size_t H, size_t W, size_t C,
                             rc_pool* pool) {
  const size_t total = N * H * W * C;
  float* y = xmalloc(total * sizeof(float));
  for (size_t i = 0; i < total; i++) y[i] = NAN;
  run(ctx, NULL, y, pool);
  size_t checked = 0;
  for (int kind = 0; kind < L_COUNT; kind++)
    for (int t = 0; t < 2; t++) {
      rc_binding b;
      size_t elems;
      if (!make_binding(kind, t ? RC_ELEM_U8 : RC_ELEM_F32, N, H, W, C, &b, &elems)) continue;
      if (t) { /* a range that clamps at both ends */
        b.scale = 160.0f;
        b.bias = 127.0f;
      }
      run(ctx, &b, NULL, pool);
      void* want = expected_buffer(&b, kind, y, N, H, W, C, elems);
      expect_buffer(what, &b, kind, C, want, elems);
      free(want);
      free(binding_buffer(&b, C, kind));
      checked++;
    }
  free(y);
  return checked;
}

static void run_conv(void* ctx, const rc_binding* store, float* y, rc_pool* pool) {
  conv_case* c = ctx;
  rc_wino_conv_params p = c->p;
  p.store = store;
  const size_t threads = rc_pool_threads(pool);
  const size_t ws_size =
      rc_wino_workspace_size(p.variant, (size_t)p.in_c, (size_t)p.out_c, (size_t)p.out_w, p.l2_bytes, 0);
  void* ws = xmalloc(ws_size * threads);
  rc_wino_conv2d_nhwc(&p, c->x, c->u, c->bias, y, ws, pool);
  free(ws);
}

static const rc_wino_isa k_isas[] = {
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa) RC_WINO_ISA_##ISA,
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS
};
#define N_ISAS (sizeof k_isas / sizeof k_isas[0])

/* Case i's layer: variant and ISA from i, a 3x3 conv, stride 1, padding 1
 * (the output the input's size), of these sizes and L2 target. */
static void conv_shape(rc_wino_conv_params* p, int i, int batch, int h, int w, int cin, int cout, int small_l2) {
  p->variant = (rc_wino_variant)((i / N_ISAS) % RC_WINO_STRIDE1_COUNT);
  p->isa = k_isas[i % N_ISAS];
  p->batch = batch;
  p->in_h = p->out_h = h;
  p->in_w = p->out_w = w;
  p->in_c = cin;
  p->out_c = cout;
  p->pad_top = p->pad_left = 1;
  p->l2_bytes = small_l2 ? 8 << 10 : 0;
}

static void test_step_sweep(void** state) {
  (void)state;
  static const int chans[] = {1, 3, 5, 16, 17};
  static const int heights[] = {1, 5, 13, 22};
  static const int widths[] = {1, 3, 7, 19};
  rc_pool* pools[2] = {NULL, rc_pool_create(3)};
  assert_non_null(pools[1]);
  rc_test_rng r;
  rc_test_rng_seed(&r, 2027);
  size_t runs = 0, shuffled = 0, residual = 0;
  for (int i = 0; i < 240; i++) {
    const rc_wino_isa isa = k_isas[i % N_ISAS];
    if (!rc_wino_isa_available(isa)) continue;
    conv_case c;
    memset(&c, 0, sizeof c);
    rc_wino_conv_params* p = &c.p;
    /* Drawn in this order (one declarator after another). */
    const int batch = 1 + rnd(&r, 2), h = heights[rnd(&r, 4)], w = widths[rnd(&r, 4)], cin = chans[rnd(&r, 5)],
              cout = chans[rnd(&r, 5)];
    conv_shape(p, i, batch, h, w, cin, cout, rnd(&r, 2));
    make_tail(&r, p, &c.res);
    make_weights(&r, p, &c.w, &c.b, &c.slopes, &c.u);
    c.bias = rnd(&r, 4) ? c.b : NULL;
    const size_t nx = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
    c.x = xmalloc(nx * sizeof(float));
    rc_test_fill_uniform(&r, c.x, nx, -1.0f, 1.0f);
    const size_t sh = p->shuffle ? 2 : 1, C = (size_t)p->out_c / (sh * sh);
    char what[160];
    snprintf(what, sizeof what, "%s %s C%d->%d %dx%d batch %d act %d res %d shuffle %d%s", rc_wino_isa_name(isa),
             rc_wino_variant_name(p->variant), p->in_c, p->out_c, p->in_h, p->in_w, p->batch, (int)p->activation,
             p->residual ? p->residual_c : 0, p->shuffle, p->shuffle_crd ? " crd" : "");
    runs += check_bindings(what, run_conv, &c, (size_t)p->batch, (size_t)p->out_h * sh, (size_t)p->out_w * sh, C,
                           pools[i % 2]);
    shuffled += p->shuffle != 0;
    residual += p->residual != NULL;
    free_conv(&c);
  }
  rc_pool_destroy(pools[1]);
  print_message("steps: %zu binding runs (%zu cases shuffled, %zu with a residual)\n", runs, shuffled, residual);
  assert_true(shuffled > 10 && residual > 10);
}

/* A conv in no chain reading its input through a load binding (float
 * planes: the float API's NCHW buffer; or uint8 interleaved pixels through
 * scale and bias): bitwise the output of the same conv on x holding what
 * the binding's loads give, for every ISA and variant, the direct path
 * (C ≤ 4) included, small L2 targets (several blocks, rows reloaded per
 * block), batch 1–2, 1 and 3 threads (each thread's slice with its own row
 * cache: rc_wino_load_cache_bytes). */
static void test_step_load(void** state) {
  (void)state;
  static const int chans[] = {1, 3, 16, 17, 40};
  rc_pool* pools[2] = {NULL, rc_pool_create(3)};
  assert_non_null(pools[1]);
  rc_test_rng r;
  rc_test_rng_seed(&r, 4049);
  size_t runs = 0;
  for (int i = 0; i < 120; i++) {
    const rc_wino_isa isa = k_isas[i % N_ISAS];
    if (!rc_wino_isa_available(isa)) continue;
    conv_case c;
    memset(&c, 0, sizeof c);
    rc_wino_conv_params* p = &c.p;
    const int batch = 1 + rnd(&r, 2), h = 1 + rnd(&r, 30), w = 1 + rnd(&r, 30), cin = chans[rnd(&r, 5)],
              cout = chans[rnd(&r, 5)];
    conv_shape(p, i, batch, h, w, cin, cout, rnd(&r, 2));
    make_weights(&r, p, &c.w, &c.b, &c.slopes, &c.u);
    const size_t N = (size_t)p->batch, H = (size_t)p->in_h, W = (size_t)p->in_w, C = (size_t)p->in_c;
    const int u8 = rnd(&r, 3) == 0;
    /* src: the binding's memory; x: the NHWC floats its loads give. */
    float* planes = u8 ? NULL : xmalloc(N * C * H * W * sizeof(float));
    uint8_t* px = u8 ? xmalloc(N * H * W * C) : NULL;
    c.x = xmalloc(N * H * W * C * sizeof(float));
    rc_binding b;
    memset(&b, 0, sizeof b);
    if (u8) {
      for (size_t k = 0; k < N * H * W * C; k++) px[k] = (uint8_t)rc_test_rng_u32(&r);
      b = (rc_binding){RC_ELEM_U8,   px, (ptrdiff_t)(H * W * C), (ptrdiff_t)(W * C),
                       (ptrdiff_t)C, 1,  1.0f / 255.0f,          -0.5f};
      for (size_t k = 0; k < N * H * W * C; k++) c.x[k] = rc_u8_to_float(px[k], b.scale, b.bias);
    } else {
      rc_test_fill_uniform(&r, planes, N * C * H * W, -1.0f, 1.0f);
      b = (rc_binding){RC_ELEM_F32, planes, (ptrdiff_t)(C * H * W), (ptrdiff_t)W, 1, (ptrdiff_t)(H * W), 1.0f, 0.0f};
      for (size_t n = 0; n < N; n++)
        for (size_t y = 0; y < H; y++)
          for (size_t x = 0; x < W; x++)
            for (size_t k = 0; k < C; k++) c.x[((n * H + y) * W + x) * C + k] = planes[((n * C + k) * H + y) * W + x];
    }
    rc_pool* pool = pools[i % 2];
    const size_t threads = rc_pool_threads(pool), ny = N * H * W * (size_t)p->out_c;
    float* want = xmalloc(ny * sizeof(float));
    float* got = xmalloc(ny * sizeof(float));
    const size_t slice = rc_wino_workspace_size(p->variant, C, (size_t)p->out_c, (size_t)p->out_w, p->l2_bytes, 0);
    void* ws = xmalloc(slice * threads);
    rc_wino_conv2d_nhwc(p, c.x, c.u, c.b, want, ws, pool);
    free(ws);
    rc_wino_conv_params q = *p;
    q.load = &b;
    const size_t cache = rc_wino_load_cache_bytes(&q);
    assert_true(cache >= (size_t)rc_wino_tile_alpha(q.variant) * W * C * sizeof(float));
    ws = xmalloc((slice + cache) * threads);
    rc_wino_conv2d_nhwc(&q, NULL, c.u, c.b, got, ws, pool);
    free(ws);
    if (memcmp(got, want, ny * sizeof(float)) != 0) {
      fail_msg("%s %s C%d->%d %dx%d batch %d %s, %zu threads: the loaded run differs", rc_wino_isa_name(isa),
               rc_wino_variant_name(p->variant), p->in_c, p->out_c, p->in_h, p->in_w, p->batch,
               u8 ? "u8 pixels" : "float planes", threads);
    }
    runs++;
    free(want);
    free(got);
    free(planes);
    free(px);
    free_conv(&c);
  }
  rc_pool_destroy(pools[1]);
  print_message("steps with a load binding: %zu runs\n", runs);
  assert_true(runs >= 40);
}

/* ------------------------------------------------------------ chains */

typedef struct chain_store_case {
  int n;
  rc_wino_chain_layer l[4];
  float *w[4], *b[4], *slopes[4], *u[4];
  float *x, *res;
} chain_store_case;

static void run_chain(void* ctx, const rc_binding* store, float* y, rc_pool* pool) {
  chain_store_case* c = ctx;
  rc_wino_chain_layer l[4];
  memcpy(l, c->l, sizeof l);
  l[c->n - 1].p.store = store;
  const size_t slice = rc_wino_chain_workspace_size(l, (size_t)c->n);
  assert_true(slice > 0);
  const size_t threads = rc_pool_threads(pool);
  void* ws = xmalloc(slice * threads);
  assert_int_equal(rc_wino_chain_nhwc(l, (size_t)c->n, c->x, y, ws, pool), 0);
  free(ws);
}

static void test_chain_sweep(void** state) {
  (void)state;
  static const int chans[] = {1, 4, 8, 16, 17};
  rc_pool* pools[2] = {NULL, rc_pool_create(2)};
  assert_non_null(pools[1]);
  rc_test_rng r;
  rc_test_rng_seed(&r, 99);
  size_t runs = 0;
  for (int i = 0; i < 80; i++) {
    const rc_wino_isa isa = k_isas[i % N_ISAS];
    if (!rc_wino_isa_available(isa)) continue;
    chain_store_case c;
    memset(&c, 0, sizeof c);
    c.n = 1 + rnd(&r, 4);
    const int batch = 1 + rnd(&r, 2), H = 5 + rnd(&r, 40), W = 1 + rnd(&r, 23);
    int cin = chans[rnd(&r, 5)];
    for (int k = 0; k < c.n; k++) {
      rc_wino_conv_params* p = &c.l[k].p;
      p->variant = (rc_wino_variant)rnd(&r, RC_WINO_STRIDE1_COUNT);
      p->isa = isa;
      p->batch = batch;
      p->in_h = p->out_h = H;
      p->in_w = p->out_w = W;
      p->in_c = cin;
      p->out_c = chans[rnd(&r, 5)];
      p->pad_top = p->pad_left = 1;
      if (k == c.n - 1) make_tail(&r, p, &c.res);
      make_weights(&r, p, &c.w[k], &c.b[k], &c.slopes[k], &c.u[k]);
      c.l[k].u = c.u[k];
      c.l[k].bias = rnd(&r, 4) ? c.b[k] : NULL;
      cin = p->out_c;
    }
    const size_t nx = (size_t)batch * H * W * c.l[0].p.in_c;
    c.x = xmalloc(nx * sizeof(float));
    rc_test_fill_uniform(&r, c.x, nx, -1.0f, 1.0f);
    const rc_wino_conv_params* lp = &c.l[c.n - 1].p;
    const size_t sh = lp->shuffle ? 2 : 1, C = (size_t)lp->out_c / (sh * sh);
    char what[128];
    snprintf(what, sizeof what, "chain of %d (%s) %dx%d batch %d, last C%d res %d shuffle %d%s", c.n,
             rc_wino_isa_name(isa), H, W, batch, lp->out_c, lp->residual ? lp->residual_c : 0, lp->shuffle,
             lp->shuffle_crd ? " crd" : "");
    runs += check_bindings(what, run_chain, &c, (size_t)batch, (size_t)H * sh, (size_t)W * sh, C, pools[i % 2]);
    for (int k = 0; k < c.n; k++) {
      free(c.w[k]);
      free(c.b[k]);
      free(c.slopes[k]);
      free(c.u[k]);
    }
    free(c.x);
    free(c.res);
  }
  rc_pool_destroy(pools[1]);
  print_message("chains: %zu binding runs\n", runs);
  assert_true(runs > 100);
}

/* A store on a layer before the last one is not a chain. */
static void test_chain_store_not_last(void** state) {
  (void)state;
  rc_wino_chain_layer l[2];
  memset(l, 0, sizeof l);
  for (int k = 0; k < 2; k++) {
    rc_wino_conv_params* p = &l[k].p;
    p->variant = RC_WINO_F23;
    p->batch = 1;
    p->in_h = p->out_h = p->in_w = p->out_w = 8;
    p->in_c = p->out_c = 4;
    p->pad_top = p->pad_left = 1;
  }
  assert_true(rc_wino_chain_workspace_size(l, 2) > 0);
  const rc_binding b = {RC_ELEM_F32, NULL, 0, 0, 0, 0, 1.0f, 0.0f};
  l[0].p.store = &b;
  assert_int_equal(rc_wino_chain_workspace_size(l, 2), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_convert_kernels),   cmocka_unit_test(test_half_kernels),
      cmocka_unit_test(test_transpose_kernels), cmocka_unit_test(test_binding_pixels),
      cmocka_unit_test(test_step_load),         cmocka_unit_test(test_step_sweep),
      cmocka_unit_test(test_chain_sweep),       cmocka_unit_test(test_chain_store_not_last),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

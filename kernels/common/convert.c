/* Conversions at the frame boundary (convert.h): the scalar kernels, the
 * dispatch table, and the strided pixel stores and loads over the
 * contiguous kernels. */
#include "kernels/common/convert.h"

#include <pthread.h>
#include <string.h>

#include "kernels/common/cpu.h"

void rc_f32_to_u8__scalar(const float* x, size_t n, float scale, float bias, uint8_t* y) {
  for (size_t i = 0; i < n; i++) y[i] = rc_float_to_u8(x[i], scale, bias);
}

void rc_u8_to_f32__scalar(const uint8_t* x, size_t n, float scale, float bias, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = rc_u8_to_float(x[i], scale, bias);
}

/* Blocks of 16 columns: the reads run along a row, and the block's 16
 * destination rows stay in L1 while every source row passes through. */
void rc_transpose_f32__scalar(const float* src, ptrdiff_t src_stride, size_t rows, size_t cols, float* dst,
                              ptrdiff_t dst_stride) {
  for (size_t j0 = 0; j0 < cols; j0 += 16) {
    const size_t nj = cols - j0 < 16 ? cols - j0 : 16;
    for (size_t i = 0; i < rows; i++) {
      const float* s = src + (ptrdiff_t)i * src_stride + (ptrdiff_t)j0;
      float* d = dst + (ptrdiff_t)j0 * dst_stride + (ptrdiff_t)i;
      for (size_t j = 0; j < nj; j++) d[(ptrdiff_t)j * dst_stride] = s[j];
    }
  }
}

/* ------------------------------------------------------------ binary16 */

static uint32_t bits_of(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static float float_of(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

uint16_t rc_f32_to_f16(float x) {
  const uint32_t u = bits_of(x), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x1ffu)); /* NaN: quiet, payload's top */
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);                       /* ≥ 65520 rounds past 65504: inf */
  if (a < 0x38800000u) { /* below 2^-14: a subnormal half, m·2^-24 */
    /* x·2^24 rounded to an integer, to nearest even: adding 0.5 (2^-1)
     * in float arithmetic rounds the sum at bit 2^0 exactly as wanted for
     * magnitudes below 2^10, and the rounding mode is nearest-even. */
    const float m = float_of(a) * 0x1p24f + 0x1p23f; /* 2^23 ≤ m < 2^23 + 2^10: the ulp is 1 */
    return (uint16_t)(sign | (uint16_t)(bits_of(m) - 0x4b000000u));
  }
  /* Normal: drop 13 mantissa bits, to nearest even; a carry out of the
   * mantissa raises the exponent, which is the right result (up to inf). */
  const uint32_t r = a + 0xfffu + ((a >> 13) & 1u);
  return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
}

float rc_f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0x1f) return float_of(sign | 0x7f800000u | (m << 13));   /* inf, NaN */
  if (e == 0) return float_of(sign | bits_of((float)m * 0x1p-24f)); /* zero, subnormal: exact */
  return float_of(sign | ((e + 112u) << 23) | (m << 13));
}

void rc_f16_to_f32__scalar(const uint16_t* x, size_t n, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = rc_f16_to_f32(x[i]);
}

/* ------------------------------------------------------------ dispatch */

static rc_convert_kernels g_kernels[RC_CONVERT_ISA_COUNT];
static const rc_convert_kernels* g_table[RC_CONVERT_ISA_COUNT];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_table(void) {
  const rc_cpu* cpu = rc_cpu_get();
  (void)cpu;
#define RC_CONVERT_UKERNELS(ISA, isa)                                        \
  RC_IF_ISA_##ISA(if (RC_ISA_AVAILABLE_##ISA(cpu)) {                         \
    g_kernels[RC_CONVERT_ISA_##ISA].f32_to_u8 = rc_f32_to_u8__##isa;         \
    g_kernels[RC_CONVERT_ISA_##ISA].u8_to_f32 = rc_u8_to_f32__##isa;         \
    g_kernels[RC_CONVERT_ISA_##ISA].transpose_f32 = rc_transpose_f32__##isa; \
    g_kernels[RC_CONVERT_ISA_##ISA].f16_to_f32 = rc_f16_to_f32__##isa;       \
    g_table[RC_CONVERT_ISA_##ISA] = &g_kernels[RC_CONVERT_ISA_##ISA];        \
    g_table[RC_CONVERT_ISA_AUTO] = &g_kernels[RC_CONVERT_ISA_##ISA];         \
  })
#include "kernels/common/convert_ukernels.inc"
#undef RC_CONVERT_UKERNELS
}

const rc_convert_kernels* rc_convert_kernels_get(rc_convert_isa isa) {
  pthread_once(&g_once, init_table);
  if ((unsigned)isa >= RC_CONVERT_ISA_COUNT || !g_table[isa]) return g_table[RC_CONVERT_ISA_SCALAR];
  return g_table[isa];
}

int rc_convert_isa_available(rc_convert_isa isa) {
  pthread_once(&g_once, init_table);
  return (unsigned)isa < RC_CONVERT_ISA_COUNT && g_table[isa] != NULL;
}

/* ------------------------------------------------------------ strided */

/* Bytes of the staging buffer of a strided uint8 store or load. */
#define STAGE 1024

ptrdiff_t rc_binding_offset(const rc_binding* b, size_t n, size_t y, size_t x, size_t c) {
  return (ptrdiff_t)n * b->image_stride + (ptrdiff_t)y * b->row_stride + (ptrdiff_t)x * b->pixel_stride +
         (ptrdiff_t)c * b->channel_stride;
}

/* The run is one contiguous block in the element order of src. */
static int contiguous(const rc_binding* b, size_t pixels, size_t channels) {
  return (channels == 1 || b->channel_stride == 1) && (pixels == 1 || b->pixel_stride == (ptrdiff_t)channels);
}

void rc_binding_store_pixels(const rc_binding* b, const rc_convert_kernels* k, const float* src, size_t pixels,
                             size_t channels, size_t n, size_t y, size_t x) {
  const ptrdiff_t off = rc_binding_offset(b, n, y, x, 0), ps = b->pixel_stride, cs = b->channel_stride;
  if (b->type == RC_ELEM_F32) {
    float* d = (float*)b->base + off;
    if (contiguous(b, pixels, channels)) {
      memcpy(d, src, pixels * channels * sizeof(float));
      return;
    }
    if (ps == 1) { /* planes */
      k->transpose_f32(src, (ptrdiff_t)channels, pixels, channels, d, cs);
      return;
    }
    for (size_t j = 0; j < pixels; j++)
      for (size_t c = 0; c < channels; c++) d[(ptrdiff_t)j * ps + (ptrdiff_t)c * cs] = src[j * channels + c];
    return;
  }
  uint8_t* d = (uint8_t*)b->base + off;
  if (contiguous(b, pixels, channels)) {
    k->f32_to_u8(src, pixels * channels, b->scale, b->bias, d);
    return;
  }
  if (channels > STAGE) { /* no whole pixel fits the stage: value by value */
    for (size_t j = 0; j < pixels; j++)
      for (size_t c = 0; c < channels; c++)
        d[(ptrdiff_t)j * ps + (ptrdiff_t)c * cs] = rc_float_to_u8(src[j * channels + c], b->scale, b->bias);
    return;
  }
  /* Convert whole pixels with the vector kernel into the stage, then move
   * the bytes to their strided places. */
  uint8_t stage[STAGE];
  const size_t per = STAGE / channels;
  for (size_t j0 = 0; j0 < pixels; j0 += per) {
    const size_t m = pixels - j0 < per ? pixels - j0 : per;
    k->f32_to_u8(src + j0 * channels, m * channels, b->scale, b->bias, stage);
    uint8_t* dj = d + (ptrdiff_t)j0 * ps;
    if (channels == 1) {
      for (size_t j = 0; j < m; j++) dj[(ptrdiff_t)j * ps] = stage[j];
    } else if (channels == 3) {
      for (size_t j = 0; j < m; j++, dj += ps) {
        dj[0] = stage[3 * j];
        dj[cs] = stage[3 * j + 1];
        dj[2 * cs] = stage[3 * j + 2];
      }
    } else {
      for (size_t j = 0; j < m; j++, dj += ps)
        for (size_t c = 0; c < channels; c++) dj[(ptrdiff_t)c * cs] = stage[j * channels + c];
    }
  }
}

const float* rc_binding_f32_pixels(const rc_binding* b, size_t pixels, size_t channels, size_t n, size_t y, size_t x) {
  if (b->type != RC_ELEM_F32 || !contiguous(b, pixels, channels)) return NULL;
  return (const float*)b->base + rc_binding_offset(b, n, y, x, 0);
}

void rc_binding_load_pixels(const rc_binding* b, const rc_convert_kernels* k, float* dst, size_t pixels,
                            size_t channels, size_t n, size_t y, size_t x) {
  const ptrdiff_t off = rc_binding_offset(b, n, y, x, 0), ps = b->pixel_stride, cs = b->channel_stride;
  if (b->type == RC_ELEM_F32) {
    const float* s = (const float*)b->base + off;
    if (contiguous(b, pixels, channels)) {
      memcpy(dst, s, pixels * channels * sizeof(float));
      return;
    }
    if (ps == 1) { /* planes */
      k->transpose_f32(s, cs, channels, pixels, dst, (ptrdiff_t)channels);
      return;
    }
    for (size_t j = 0; j < pixels; j++)
      for (size_t c = 0; c < channels; c++) dst[j * channels + c] = s[(ptrdiff_t)j * ps + (ptrdiff_t)c * cs];
    return;
  }
  const uint8_t* s = (const uint8_t*)b->base + off;
  if (contiguous(b, pixels, channels)) {
    k->u8_to_f32(s, pixels * channels, b->scale, b->bias, dst);
    return;
  }
  if (channels > STAGE) {
    for (size_t j = 0; j < pixels; j++)
      for (size_t c = 0; c < channels; c++)
        dst[j * channels + c] = rc_u8_to_float(s[(ptrdiff_t)j * ps + (ptrdiff_t)c * cs], b->scale, b->bias);
    return;
  }
  uint8_t stage[STAGE];
  const size_t per = STAGE / channels;
  for (size_t j0 = 0; j0 < pixels; j0 += per) {
    const size_t m = pixels - j0 < per ? pixels - j0 : per;
    const uint8_t* sj = s + (ptrdiff_t)j0 * ps;
    if (channels == 3) {
      for (size_t j = 0; j < m; j++, sj += ps) {
        stage[3 * j] = sj[0];
        stage[3 * j + 1] = sj[cs];
        stage[3 * j + 2] = sj[2 * cs];
      }
    } else {
      for (size_t j = 0; j < m; j++, sj += ps)
        for (size_t c = 0; c < channels; c++) stage[j * channels + c] = sj[(ptrdiff_t)c * cs];
    }
    k->u8_to_f32(stage, m * channels, b->scale, b->bias, dst + j0 * channels);
  }
}

void rc_binding_extent(const rc_binding* b, size_t batch, size_t h, size_t w, size_t c, ptrdiff_t* lo, ptrdiff_t* hi) {
  const size_t dims[4] = {batch, h, w, c};
  const ptrdiff_t strides[4] = {b->image_stride, b->row_stride, b->pixel_stride, b->channel_stride};
  ptrdiff_t l = 0, u = 0;
  for (int i = 0; i < 4; i++) {
    if (dims[i] == 0) {
      *lo = *hi = 0;
      return;
    }
    const ptrdiff_t span = (ptrdiff_t)(dims[i] - 1) * strides[i];
    if (span < 0) {
      l += span;
    } else {
      u += span;
    }
  }
  *lo = l;
  *hi = u;
}

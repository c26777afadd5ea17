/* Conversions at the frame boundary: a tensor's NHWC floats to and from the
 * caller's memory, described by a binding (an element type, a base pointer
 * and strides), so that the last kernel of a run can store the caller's
 * frame directly (uint8 planes, interleaved RGB/BGR/RGBA, float NCHW or NHWC
 * with row padding) and the first reads it, without separate float passes.
 *
 * The one definition of the uint8 conversion is rc_float_to_u8 below: every
 * path (scalar, the SIMD kernels of convert__<isa>.c, the Winograd output
 * stores, the executor's copies) gives bitwise its result. */
#ifndef RC_KERNELS_COMMON_CONVERT_H
#define RC_KERNELS_COMMON_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/common/isa.h"

typedef enum rc_elem_type {
  RC_ELEM_F32 = 0, /* float32, stored as is */
  RC_ELEM_U8 = 1,  /* uint8: stores rc_float_to_u8(v, scale, bias), loads px·scale + bias */
} rc_elem_type;

/* Where a tensor's element (n, y, x, c) lives in the caller's memory:
 *   base + n·image_stride + y·row_stride + x·pixel_stride + c·channel_stride
 * strides in elements of the type (not bytes), any sign (BGR: base + 2 and
 * channel_stride −1), at least what the shape needs so that distinct
 * elements do not alias (not checked: rc_binding_extent gives the range the
 * caller's buffer must cover). For a tensor of logical shape N×C×H×W (a
 * rank-2 N×C one is N×C×1×1): y < H, x < W, c < C.
 *   float NCHW:        pixel 1, channel H·W, row W, image C·H·W
 *   float NHWC, rows padded to P floats: channel 1, pixel C, row P
 *   uint8 Y plane with row stride S: channel 0 (C = 1), pixel 1, row S
 *   uint8 RGB / RGBA rows of S bytes: channel 1, pixel 3 / 4, row S
 * scale, bias: the affine map of the type conversion (uint8 only; a float
 * binding stores and loads values unchanged). */
typedef struct rc_binding {
  rc_elem_type type;
  void* base;
  ptrdiff_t image_stride, row_stride, pixel_stride, channel_stride;
  float scale, bias;
} rc_binding;

/* The uint8 store: v·scale + bias (a product then a sum, two roundings, no
 * FMA), clamped to [0, 255] (NaN gives 0), rounded to nearest with ties to
 * even. The rounding adds and subtracts 2^23, which is round-to-nearest-even
 * for 0 ≤ t < 2^23 in the default rounding mode: what lrintf/nearbyintf and
 * the SIMD conversions (cvtps2dq under the default MXCSR, NEON FCVTNS) give,
 * without a libm call (and vectorizable). Separate statements: no contraction even where the
 * compiler contracts within an expression. */
static inline uint8_t rc_float_to_u8(float v, float scale, float bias) {
  float t = v * scale;
  t = t + bias;
  t = t > 0.0f ? t : 0.0f; /* NaN → 0 */
  t = t < 255.0f ? t : 255.0f;
  t = t + 0x1p23f; /* (t + c) − c is not t in IEEE arithmetic: kept without -ffast-math */
  t = t - 0x1p23f;
  return (uint8_t)(int)t;
}

/* The uint8 load: px·scale + bias (two roundings, no FMA). */
static inline float rc_u8_to_float(uint8_t px, float scale, float bias) {
  float t = (float)px * scale;
  return t + bias;
}

/* Weights stored as IEEE binary16 (repconv_options_set_weights_fp16): the
 * float to half rounding, to nearest with ties to even, ±inf beyond the
 * range (|x| ≥ 65520), subnormal halves below 2^-14, NaN kept a (quiet)
 * NaN; plan time. And the exact reverse, which the kernels' f16_to_f32
 * match bitwise (F16C's VCVTPH2PS, NEON's FCVTL). */
uint16_t rc_f32_to_f16(float x);
float rc_f16_to_f32(uint16_t h);

/* The conversion ISAs: RC_CONVERT_ISA_<ISA> per line of
 * convert_ukernels.inc, in its order after AUTO (the same order, and so the
 * same values, as kernels/winograd's rc_wino_isa: wino.c checks it). */
typedef enum rc_convert_isa {
  RC_CONVERT_ISA_AUTO = 0, /* the best available */
#define RC_CONVERT_UKERNELS(ISA, isa) RC_CONVERT_ISA_##ISA,
#include "kernels/common/convert_ukernels.inc"
#undef RC_CONVERT_UKERNELS
  RC_CONVERT_ISA_COUNT
} rc_convert_isa;

/* The contiguous kernels of one ISA: n values, any alignment. */
typedef void (*rc_f32_to_u8_fn)(const float* x, size_t n, float scale, float bias, uint8_t* y);
typedef void (*rc_u8_to_f32_fn)(const uint8_t* x, size_t n, float scale, float bias, float* y);
/* The float transpose between planes and pixels (a float NCHW binding and
 * the arena's NHWC): dst[j·dst_stride + i] = src[i·src_stride + j] for
 * i < rows, j < cols; strides in floats, any sign, any alignment; nothing
 * else of dst is written. Bitwise copies. */
typedef void (*rc_transpose_f32_fn)(const float* src, ptrdiff_t src_stride, size_t rows, size_t cols, float* dst,
                                    ptrdiff_t dst_stride);
/* n binary16 values to float, exactly (rc_f16_to_f32); any alignment. */
typedef void (*rc_f16_to_f32_fn)(const uint16_t* x, size_t n, float* y);
typedef struct rc_convert_kernels {
  rc_f32_to_u8_fn f32_to_u8;
  rc_u8_to_f32_fn u8_to_f32;
  rc_transpose_f32_fn transpose_f32;
  rc_f16_to_f32_fn f16_to_f32;
} rc_convert_kernels;

#define RC_CONVERT_DECLARE(ISA, isa)                                                                         \
  void rc_f32_to_u8__##isa(const float* x, size_t n, float scale, float bias, uint8_t* y);                   \
  void rc_u8_to_f32__##isa(const uint8_t* x, size_t n, float scale, float bias, float* y);                   \
  void rc_transpose_f32__##isa(const float* src, ptrdiff_t src_stride, size_t rows, size_t cols, float* dst, \
                               ptrdiff_t dst_stride);                                                        \
  void rc_f16_to_f32__##isa(const uint16_t* x, size_t n, float* y);
#define RC_CONVERT_UKERNELS(ISA, isa) RC_IF_ISA_##ISA(RC_CONVERT_DECLARE(ISA, isa))
#include "kernels/common/convert_ukernels.inc"
#undef RC_CONVERT_UKERNELS
#undef RC_CONVERT_DECLARE

/* The kernels of an ISA (AUTO: the widest this CPU runs; one it cannot
 * run, or not built for this architecture: the scalar ones). Never NULL. */
const rc_convert_kernels* rc_convert_kernels_get(rc_convert_isa isa);
/* 1 if this CPU runs the ISA's kernels (AUTO and SCALAR always). */
int rc_convert_isa_available(rc_convert_isa isa);

/* Stores `pixels` pixels of `channels` floats (contiguous NHWC: src[j·channels
 * + k]) as elements (n, y, x + j, k) of binding b. Contiguous runs (a plane,
 * interleaved channels in order) go through the ISA's vector kernel, float
 * planes (pixel stride 1: NCHW) through its transpose, others through a
 * small buffer and a strided copy. Bitwise rc_float_to_u8 (uint8)
 * or the values (float) whatever the path. */
void rc_binding_store_pixels(const rc_binding* b, const rc_convert_kernels* k, const float* src, size_t pixels,
                             size_t channels, size_t n, size_t y, size_t x);
/* The reverse: elements (n, y, x + j, k) of b into dst[j·channels + k]. */
void rc_binding_load_pixels(const rc_binding* b, const rc_convert_kernels* k, float* dst, size_t pixels,
                            size_t channels, size_t n, size_t y, size_t x);
/* Those elements in place: b's memory when it holds them as
 * rc_binding_load_pixels would write them (float, contiguous), else NULL. */
const float* rc_binding_f32_pixels(const rc_binding* b, size_t pixels, size_t channels, size_t n, size_t y, size_t x);

/* Where element (n, y, x, c) of b lives: its offset from b->base, in
 * elements of the type. */
ptrdiff_t rc_binding_offset(const rc_binding* b, size_t n, size_t y, size_t x, size_t c);

/* The lowest and highest element offsets (from base, in elements) a tensor
 * of batch × h × w × c touches through b: the caller's buffer must hold
 * [base + lo, base + hi]. */
void rc_binding_extent(const rc_binding* b, size_t batch, size_t h, size_t w, size_t c, ptrdiff_t* lo, ptrdiff_t* hi);

#endif

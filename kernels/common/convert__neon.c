/* AArch64 NEON conversion kernels (convert.h): 16 values per step, tails
 * through the scalar definition. Bitwise rc_float_to_u8 / rc_u8_to_float:
 * the product and the sum round separately (no FMA); FMAXNM(v, 0) gives 0
 * for a (quiet) NaN v, which the arithmetic has made quiet; FCVTNS rounds
 * to nearest even like the default mode's rint; the narrows saturate
 * values already in [0, 255]. */
#include <arm_neon.h>

#include "kernels/common/convert.h"

static inline __attribute__((always_inline)) uint16x4_t to_u16(const float* x, float32x4_t s, float32x4_t b) {
  float32x4_t v = vaddq_f32(vmulq_f32(vld1q_f32(x), s), b);
  v = vminq_f32(vmaxnmq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(255.0f));
  return vqmovun_s32(vcvtnq_s32_f32(v));
}

void rc_f32_to_u8__neon(const float* x, size_t n, float scale, float bias, uint8_t* y) {
  const float32x4_t s = vdupq_n_f32(scale), b = vdupq_n_f32(bias);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint16x8_t lo = vcombine_u16(to_u16(x + i, s, b), to_u16(x + i + 4, s, b));
    const uint16x8_t hi = vcombine_u16(to_u16(x + i + 8, s, b), to_u16(x + i + 12, s, b));
    vst1q_u8(y + i, vcombine_u8(vqmovn_u16(lo), vqmovn_u16(hi)));
  }
  for (; i < n; i++) y[i] = rc_float_to_u8(x[i], scale, bias);
}

void rc_u8_to_f32__neon(const uint8_t* x, size_t n, float scale, float bias, float* y) {
  const float32x4_t s = vdupq_n_f32(scale), b = vdupq_n_f32(bias);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint8x16_t v = vld1q_u8(x + i);
    const uint16x8_t lo = vmovl_u8(vget_low_u8(v)), hi = vmovl_u8(vget_high_u8(v));
    const uint32x4_t q[4] = {vmovl_u16(vget_low_u16(lo)), vmovl_u16(vget_high_u16(lo)), vmovl_u16(vget_low_u16(hi)),
                             vmovl_u16(vget_high_u16(hi))};
    for (int k = 0; k < 4; k++) vst1q_f32(y + i + 4 * k, vaddq_f32(vmulq_f32(vcvtq_f32_u32(q[k]), s), b));
  }
  for (; i < n; i++) y[i] = rc_u8_to_float(x[i], scale, bias);
}

/* Three planes to or from packed 3-float pixels (an RGB image's NCHW input
 * or output), 4 pixels a step: ST3 and LD3 interleave and split them. */
static void planes3_to_pixels(const float* src, ptrdiff_t src_stride, size_t cols, float* dst) {
  size_t j = 0;
  for (; j + 4 <= cols; j += 4) {
    const float32x4x3_t v = {
        {vld1q_f32(src + j), vld1q_f32(src + src_stride + j), vld1q_f32(src + 2 * src_stride + j)}};
    vst3q_f32(dst + 3 * j, v);
  }
  if (j < cols) rc_transpose_f32__scalar(src + j, src_stride, 3, cols - j, dst + 3 * j, 3);
}

static void pixels_to_planes3(const float* src, size_t rows, float* dst, ptrdiff_t dst_stride) {
  size_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float32x4x3_t v = vld3q_f32(src + 3 * i);
    for (int c = 0; c < 3; c++) vst1q_f32(dst + c * dst_stride + i, v.val[c]);
  }
  if (i < rows) rc_transpose_f32__scalar(src + 3 * i, 3, rows - i, 3, dst + i, dst_stride);
}

/* 4×4 blocks (two TRN and four combines each); the edge strips through the
 * scalar kernel. */
void rc_transpose_f32__neon(const float* src, ptrdiff_t src_stride, size_t rows, size_t cols, float* dst,
                            ptrdiff_t dst_stride) {
  if (rows == 3 && dst_stride == 3) {
    planes3_to_pixels(src, src_stride, cols, dst);
    return;
  }
  if (cols == 3 && src_stride == 3) {
    pixels_to_planes3(src, rows, dst, dst_stride);
    return;
  }
  const size_t rows4 = rows & ~(size_t)3, cols4 = cols & ~(size_t)3;
  for (size_t i0 = 0; i0 < rows4; i0 += 4)
    for (size_t j0 = 0; j0 < cols4; j0 += 4) {
      const float* s = src + (ptrdiff_t)i0 * src_stride + (ptrdiff_t)j0;
      float* d = dst + (ptrdiff_t)j0 * dst_stride + (ptrdiff_t)i0;
      const float32x4x2_t a = vtrnq_f32(vld1q_f32(s), vld1q_f32(s + src_stride));
      const float32x4x2_t b = vtrnq_f32(vld1q_f32(s + 2 * src_stride), vld1q_f32(s + 3 * src_stride));
      vst1q_f32(d, vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0])));
      vst1q_f32(d + dst_stride, vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1])));
      vst1q_f32(d + 2 * dst_stride, vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0])));
      vst1q_f32(d + 3 * dst_stride, vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1])));
    }
  if (cols4 < cols)
    rc_transpose_f32__scalar(src + cols4, src_stride, rows, cols - cols4, dst + (ptrdiff_t)cols4 * dst_stride,
                             dst_stride);
  if (rows4 < rows)
    rc_transpose_f32__scalar(src + (ptrdiff_t)rows4 * src_stride, src_stride, rows - rows4, cols4, dst + rows4,
                             dst_stride);
}

void rc_f16_to_f32__neon(const uint16_t* x, size_t n, float* y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(x + i));
    vst1q_f32(y + i, vcvt_f32_f16(vget_low_f16(h)));
    vst1q_f32(y + i + 4, vcvt_high_f32_f16(h));
  }
  for (; i < n; i++) y[i] = rc_f16_to_f32(x[i]);
}

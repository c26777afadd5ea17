/* Reference kernels: plain C, every op and every parameter, the oracle for all
 * other kernels. They know nothing of graphs: pointers, sizes, parameters.
 *
 * Layouts: activations NHWC (rank-4 logical NCHW stored as [N][H][W][C]);
 * weights in PyTorch layouts (conv OIHW, gemm [out][in]). Products accumulate
 * in double so the oracle carries less rounding than any fast kernel.
 * Kernels that take an rc_pool split their outer loop over it (pool may be
 * NULL: run on the caller's thread); each output element is computed by one
 * thread in a fixed order, so results do not depend on the thread count.
 * Callers validate parameters (shape inference does); kernels do not fail. */
#ifndef RC_KERNELS_REF_H
#define RC_KERNELS_REF_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/thread/pool.h"

typedef struct rc_conv2d_params {
  int32_t batch;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left; /* bottom/right padding is implied by out_h/out_w */
  int32_t groups;            /* in_c and out_c are multiples of groups */
} rc_conv2d_params;

/* y[n][oh][ow][oc] = bias[oc] + Σ x[n][oh·sh − pt + kh·dh][ow·sw − pl + kw·dw][g·icg + ic]
 *                              · w[oc][ic][kh][kw], taps outside the input read 0.
 * bias may be NULL. */
void rc_ref_conv2d_nhwc(const rc_conv2d_params* p, const float* x, const float* w, const float* bias, float* y,
                        rc_pool* pool);

/* y = (x − mean) / sqrt(var + eps) · gamma + beta per channel; pixels = N·H·W. */
void rc_ref_batchnorm_nhwc(size_t pixels, size_t channels, const float* x, const float* gamma, const float* beta,
                           const float* mean, const float* var, float eps, float* y);

typedef enum rc_binary_kind { RC_BINARY_ADD, RC_BINARY_SUB, RC_BINARY_MUL, RC_BINARY_DIV } rc_binary_kind;

/* Strided 4-D elementwise op: for every index i in dims[0]×..×dims[3],
 * y[i·sy] = a[i·sa] op b[i·sb]. A stride of 0 broadcasts. The caller maps
 * logical NCHW coordinates onto each operand's storage (NHWC or C order). */
void rc_ref_binary(rc_binary_kind op, const int64_t dims[4], const float* a, const int64_t sa[4], const float* b,
                   const int64_t sb[4], float* y, const int64_t sy[4]);

/* Channel concat of NHWC tensors that share N·H·W = pixels: input i has
 * channels[i] channels; y has their sum. */
void rc_ref_concat_nhwc(size_t pixels, size_t count, const float* const* xs, const int32_t* channels, float* y);

/* Constant pad: x [n][h][w][c] → y [n][h+top+bottom][w+left+right][c]; the
 * border holds values[c] (values NULL: zeros). Pads are ≥ 0. */
void rc_ref_pad_nhwc(int32_t batch, int32_t h, int32_t w, int32_t c, int32_t top, int32_t left, int32_t bottom,
                     int32_t right, const float* values, const float* x, float* y);

typedef struct rc_pool_params {
  int32_t batch;
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t count_include_pad; /* average pool */
} rc_pool_params;

/* Average pool, PyTorch/ONNX semantics. The window starting at oh·sh − pt is
 * clipped to the padded extent [−pt, in_h + pb) (ceil_mode windows may end
 * past it); with count_include_pad the divisor is that clipped window's size,
 * without it the number of taps inside the input. A window with no input tap
 * gives 0. */
void rc_ref_avgpool_nhwc(const rc_pool_params* p, const float* x, float* y, rc_pool* pool);
/* Max pool: padding never wins (taps outside the input are skipped); a
 * window with no input tap gives −inf. NaN propagates. */
void rc_ref_maxpool_nhwc(const rc_pool_params* p, const float* x, float* y, rc_pool* pool);
/* y[n][c] = mean over h·w = pixels of x[n][·][c]. */
void rc_ref_global_avgpool_nhwc(int32_t batch, size_t pixels, size_t channels, const float* x, float* y);

/* y[m][o] = alpha · Σ_k x[m][k] · w[o][k] + beta · bias[o] (bias may be NULL). */
void rc_ref_gemm(size_t m, size_t k, size_t n_out, const float* x, const float* w, const float* bias, float alpha,
                 float beta, float* y, rc_pool* pool);

/* Reorders elements between two views of the same logical C-order sequence:
 * in_dims/out_dims are logical 4-D shapes with equal element counts (pad
 * lower ranks with leading 1s); *_nhwc says whether that side is stored NHWC
 * (else C order). Used by flatten, reshape and the API's NCHW↔NHWC copies. */
void rc_ref_reshape(const int64_t in_dims[4], int in_nhwc, const float* x, const int64_t out_dims[4], int out_nhwc,
                    float* y);

void rc_ref_relu(size_t n, const float* x, float* y);
void rc_ref_leaky_relu(size_t n, float alpha, const float* x, float* y);
/* min/max clamp; NaN passes through. */
void rc_ref_clip(size_t n, float min, float max, const float* x, float* y);
void rc_ref_sigmoid(size_t n, const float* x, float* y);
/* max(0, min(1, alpha·x + beta)), computed in double and rounded once; NaN passes through. */
void rc_ref_hard_sigmoid(size_t n, float alpha, float beta, const float* x, float* y);
/* slopes: channels values, or one shared (num_slopes = 1). */
void rc_ref_prelu_nhwc(size_t pixels, size_t channels, const float* slopes, size_t num_slopes, const float* x,
                       float* y);

/* Depth-to-space: x [n][h][w][c·r²] → y [n][h·r][w·r][c].
 * mode 0 (CRD, PyTorch PixelShuffle): in channel = c·r² + by·r + bx;
 * mode 1 (DCR, TensorFlow/ONNX default): in channel = (by·r + bx)·c_out + c. */
void rc_ref_depth_to_space_nhwc(int32_t batch, int32_t h, int32_t w, int32_t c_in, int32_t block, int32_t mode,
                                const float* x, float* y);
/* Nearest upsample by integer factors: y[n][oh][ow][c] = x[n][oh/sh][ow/sw][c]. */
void rc_ref_upsample_nearest_nhwc(int32_t batch, int32_t h, int32_t w, int32_t c, int32_t scale_h, int32_t scale_w,
                                  const float* x, float* y);

/* Resize of H and W by linear or cubic interpolation (ONNX Resize, PyTorch
 * F.interpolate). Per axis, output index o samples the input at
 *   HALF_PIXEL (o + 0.5)·r − 0.5; PYTORCH_HALF_PIXEL the same, 0 if out = 1;
 *   ALIGN_CORNERS o·(in − 1)/(out − 1), 0 if out = 1; ASYMMETRIC o·r,
 * r = inv_scale (1/scale, or in/out when the sizes were given). Linear: the
 * source is clamped to [0, in − 1] (PyTorch; equal to ONNX's edge
 * extension). Cubic: taps floor(src) − 1 .. + 2 with Keys' weights for
 * coefficient a, indices clamped to the border (PyTorch and ONNX), or with
 * exclude_outside the taps outside the input weigh 0 and the rest are
 * renormalised. Separable: rows are combined first, then columns, in
 * double. Each output row is one task; the values do not depend on pool. */
typedef enum rc_ref_resize_mode { RC_REF_RESIZE_LINEAR = 1, RC_REF_RESIZE_CUBIC = 2 } rc_ref_resize_mode;
typedef enum rc_ref_resize_coord {
  RC_REF_RESIZE_HALF_PIXEL = 0,
  RC_REF_RESIZE_PYTORCH_HALF_PIXEL = 1,
  RC_REF_RESIZE_ALIGN_CORNERS = 2,
  RC_REF_RESIZE_ASYMMETRIC = 3
} rc_ref_resize_coord;
typedef struct rc_resize_params {
  int32_t batch, in_h, in_w, channels, out_h, out_w;
  rc_ref_resize_mode mode;
  rc_ref_resize_coord coord;
  double inv_scale_h, inv_scale_w;
  double cubic_a;
  int32_t exclude_outside;
} rc_resize_params;
void rc_ref_resize_nhwc(const rc_resize_params* p, const float* x, float* y, rc_pool* pool);
/* The (at most 4) taps of output index o along one axis: input indices and
 * weights; returns the tap count (2 linear, 4 cubic). For the tests. */
int rc_ref_resize_taps(const rc_resize_params* p, int axis, int64_t o, int64_t idx[4], double w[4]);

/* RepMLP patch partition: x [batch][grid_h·ph][grid_w·pw][c] →
 * y [batch·grid_h·grid_w][ph][pw][c], item (n·grid_h + i)·grid_w + j holding
 * patch (i, j) of image n; merge is the exact inverse (batch counts images). */
void rc_ref_patch_partition_nhwc(int32_t batch, int32_t ph, int32_t pw, int32_t c, int32_t grid_h, int32_t grid_w,
                                 const float* x, float* y);
void rc_ref_patch_merge_nhwc(int32_t batch, int32_t ph, int32_t pw, int32_t c, int32_t grid_h, int32_t grid_w,
                             const float* x, float* y);

#endif

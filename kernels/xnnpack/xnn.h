/* XNNPACK delegate kernels (Debian's libxnnpack-dev, 2022-02 API).
 *
 * Compute only: functions take shapes and pointers, like kernels/ref, and
 * know nothing of graphs. Each *_create call creates one XNNPACK operator
 * (packing its weights; the caller's weight buffers may be freed afterwards)
 * and sets it up once against fixed input/output pointers; afterwards only
 * rc_xnn_run is called. An operator is bound to those pointers and is not
 * safe to run from two threads at once, so every session creates its own.
 * All activations are NHWC. out_min/out_max clamp the output (−inf/+inf for
 * none); they fuse a following ReLU/clip.
 *
 * XNNPACK reads up to XNN_EXTRA_BYTES past the end of its inputs: callers
 * pass inputs that have that much readable memory after them. */
#ifndef RC_KERNELS_XNNPACK_XNN_H
#define RC_KERNELS_XNNPACK_XNN_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/thread/pool.h"
#include <xnnpack.h>

#include "kernels/ref/ref.h"
#include "runtime/graph/status.h"

#define RC_XNN_EXTRA_BYTES XNN_EXTRA_BYTES

/* xnn_initialize once per process (thread-safe, idempotent). */
rc_status rc_xnn_init(void);
rc_status rc_xnn_run(xnn_operator_t op, rc_pool* pool);
void rc_xnn_delete(xnn_operator_t op);

/* Convolution; w is OIHW ([out_c][in_c/groups][kh][kw], PyTorch layout),
 * bias may be NULL. pad_bottom/pad_right complete p's padding.
 * crd_block > 1: permute the output channels from PyTorch's CRD pixel-shuffle
 * order to DCR for that block (output channel (by·r + bx)·C + c computes the
 * original channel c·r² + by·r + bx), so that XNNPACK's DCR depth-to-space
 * applied to the output equals a CRD depth-to-space of the unpermuted one. */
rc_status rc_xnn_conv2d_create(const rc_conv2d_params* p, int32_t pad_bottom, int32_t pad_right, const float* w,
                               const float* bias, int32_t crd_block, float out_min, float out_max, const float* x,
                               float* y, rc_pool* pool, xnn_operator_t* out);

/* y[m][o] = Σ_k x[m][k]·w[o][k] + bias[o] (bias may be NULL). */
rc_status rc_xnn_fully_connected_create(size_t m, size_t k, size_t n_out, const float* w, const float* bias,
                                        float out_min, float out_max, const float* x, float* y, rc_pool* pool,
                                        xnn_operator_t* out);

/* Pools with p's padding (out_h/out_w must equal XNNPACK's floor formula
 * for that padding). Average: XNNPACK divides by the kernel size when all
 * padding is 0 and by the number of input taps otherwise. Max: padding never
 * wins (XNNPACK clamps taps to the border). */
rc_status rc_xnn_avgpool_create(const rc_pool_params* p, float out_min, float out_max, const float* x, float* y,
                                rc_pool* pool, xnn_operator_t* out);
rc_status rc_xnn_maxpool_create(const rc_pool_params* p, float out_min, float out_max, const float* x, float* y,
                                rc_pool* pool, xnn_operator_t* out);
/* y[n][c] = mean over pixels of x[n][·][c]. */
rc_status rc_xnn_global_avgpool_create(size_t batch, size_t pixels, size_t channels, const float* x, float* y,
                                       rc_pool* pool, xnn_operator_t* out);

/* slopes: channels values or one shared (num_slopes = 1). */
rc_status rc_xnn_prelu_create(size_t pixels, size_t channels, const float* slopes, size_t num_slopes, const float* x,
                              float* y, rc_pool* pool, xnn_operator_t* out);

/* y = a op b with numpy broadcasting over the storage (physical) shapes of
 * a and b, up to XNN_MAX_TENSOR_DIMS dims each. */
rc_status rc_xnn_binary_create(rc_binary_kind op, size_t a_ndim, const size_t* a_shape, size_t b_ndim,
                               const size_t* b_shape, const float* a, const float* b, float* y, float out_min,
                               float out_max, rc_pool* pool, xnn_operator_t* out);

/* y = clamp(x, min, max) over pixels × channels (ReLU: 0, +inf). */
rc_status rc_xnn_clamp_create(size_t pixels, size_t channels, float out_min, float out_max, const float* x, float* y,
                              rc_pool* pool, xnn_operator_t* out);

/* DCR depth-to-space: x [n][h][w][c_in] → y [n][h·r][w·r][c_in/r²], input
 * channel (by·r + bx)·c_out + c. */
rc_status rc_xnn_depth_to_space_dcr_create(size_t batch, size_t h, size_t w, size_t c_in, uint32_t block,
                                           const float* x, float* y, rc_pool* pool, xnn_operator_t* out);

/* Bilinear resize x [n][in_h][in_w][c] → y [n][out_h][out_w][c]; coord is
 * kernels/ref's coordinate map: HALF_PIXEL, ALIGN_CORNERS or ASYMMETRIC
 * (XNNPACK's TensorFlow legacy mode), the factor always in/out. */
rc_status rc_xnn_resize_bilinear_create(size_t batch, size_t in_h, size_t in_w, size_t channels, size_t out_h,
                                        size_t out_w, rc_ref_resize_coord coord, const float* x, float* y,
                                        rc_pool* pool, xnn_operator_t* out);

/* The English name of an xnn_status. */
const char* rc_xnn_status_string(enum xnn_status s);

#endif

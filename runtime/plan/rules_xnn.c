/* Rule: which nodes XNNPACK computes with exactly repconv's semantics. */
#include <math.h>
#include <stdio.h>

#include "runtime/plan/lower.h"
#include "runtime/plan/planner.h"

#define RC_XNN_RESIZE_MIN_CHANNELS 4

/* XNNPACK's pools have no ceil_mode: the extra output row/column of a
 * ceil_mode window is obtained with extra bottom/right padding. Returns 0 if
 * no padding gives exactly our output extent. */
static int pool_extra_pad(int64_t in, int32_t p0, int32_t p1, int32_t k, int32_t s, int64_t out, int32_t* p1_out) {
  int64_t need = (out - 1) * s + k - (in + p0 + p1);
  int64_t pad1 = p1 + (need > 0 ? need : 0);
  if (pad1 > INT32_MAX) return 0;
  if ((in + p0 + pad1 - k) / s + 1 != out) return 0;
  *p1_out = (int32_t)pad1;
  return 1;
}

/* 1 if XNNPACK computes node n with exactly our semantics (then kernel names
 * the XNNPACK operator and st's pool padding is set); 0 with the reason in why. */
int rc_rule_xnn_supports(const rc_graph* g, const rc_node* n, rc_step* st, char* why, size_t why_size) {
  const rc_shape* xs = n->n_inputs > 0 && n->inputs[0] >= 0 ? &g->tensors[n->inputs[0]].shape : NULL;
  const rc_shape* ys = &g->tensors[n->output].shape;
  const rc_attrs* a = &n->a;
  const char* k = NULL;
  switch (n->op) {
    case RC_OP_CONV2D:
      if (xs->ndim != 4) return RC_WHY("input of rank %d", xs->ndim);
      if (!rc_input_is_const(g, n, 1)) return RC_WHY("weights are not constant");
      if (!rc_input_absent(n, 2) && !rc_input_is_const(g, n, 2)) return RC_WHY("bias is not constant");
      k = "convolution2d_nhwc_f32";
      break;
    case RC_OP_GEMM:
      if (xs->ndim != 2) return RC_WHY("input of rank %d", xs->ndim);
      if (!rc_input_is_const(g, n, 1)) return RC_WHY("weights are not constant");
      if (!rc_input_absent(n, 2) && !rc_input_is_const(g, n, 2)) return RC_WHY("bias is not constant");
      if (a->alpha != 1.0f) return RC_WHY("alpha %g (XNNPACK's fully connected has no scale)", (double)a->alpha);
      if (!rc_input_absent(n, 2) && a->beta != 1.0f)
        return RC_WHY("beta %g (XNNPACK's fully connected has no bias scale)", (double)a->beta);
      k = "fully_connected_nc_f32";
      break;
    case RC_OP_AVGPOOL:
    case RC_OP_MAXPOOL: {
      const int avg = n->op == RC_OP_AVGPOOL;
      if (xs->ndim != 4) return RC_WHY("input of rank %d", xs->ndim);
      if (a->kernel[0] * a->kernel[1] == 1) return RC_WHY("1x1 pooling (XNNPACK refuses it)");
      if (a->pad[0] >= a->kernel[0] || a->pad[2] >= a->kernel[0] || a->pad[1] >= a->kernel[1] ||
          a->pad[3] >= a->kernel[1]) {
        return RC_WHY("padding not smaller than the window (windows without input taps)");
      }
      int32_t pb, pr;
      if (!pool_extra_pad(xs->d[2], a->pad[0], a->pad[2], a->kernel[0], a->stride[0], ys->d[2], &pb) ||
          !pool_extra_pad(xs->d[3], a->pad[1], a->pad[3], a->kernel[1], a->stride[1], ys->d[3], &pr)) {
        return RC_WHY("no XNNPACK padding gives the ceil_mode output extent");
      }
      const int any_pad = a->pad[0] | a->pad[1] | pb | pr;
      if (avg && a->count_include_pad && any_pad) {
        return RC_WHY("count_include_pad with padding%s (XNNPACK divides by the input taps only)",
                      (pb != a->pad[2] || pr != a->pad[3]) ? " or ceil_mode" : "");
      }
      st->pool_pad_bottom = pb;
      st->pool_pad_right = pr;
      k = avg ? "average_pooling2d_nhwc_f32" : "max_pooling2d_nhwc_f32";
      break;
    }
    case RC_OP_GLOBAL_AVGPOOL:
      if (xs->ndim != 4) return RC_WHY("input of rank %d", xs->ndim);
      k = "global_average_pooling_nwc_f32";
      break;
    case RC_OP_PRELU: {
      if (xs->ndim < 2) return RC_WHY("input of rank %d", xs->ndim);
      if (!rc_input_is_const(g, n, 1)) return RC_WHY("slopes are not constant");
      int64_t ns = rc_shape_numel(&g->tensors[n->inputs[1]].shape);
      if (ns != 1 && ns != xs->d[1]) return RC_WHY("%lld slopes for %lld channels", (long long)ns, (long long)xs->d[1]);
      k = "prelu_nc_f32";
      break;
    }
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV: {
      size_t sa[4], sb[4];
      if (!rc_binary_physical_shape(g, n, 0, sa) || !rc_binary_physical_shape(g, n, 1, sb)) {
        return RC_WHY("broadcast across NHWC/NCHW storage (an operand is not channels-last in the output's layout)");
      }
      static const char* names[] = {"add_nd_f32", "subtract_nd_f32", "multiply_nd_f32", "divide_nd_f32"};
      k = names[n->op - RC_OP_ADD];
      break;
    }
    case RC_OP_RELU: k = "clamp_nc_f32"; break;
    case RC_OP_CLIP:
      if (isnan(a->min) || isnan(a->max) || !(a->min < a->max))
        return RC_WHY("clip range [%g, %g] is empty", (double)a->min, (double)a->max);
      k = "clamp_nc_f32";
      break;
    case RC_OP_DEPTH_TO_SPACE:
      if (a->block < 2) return RC_WHY("block %d", a->block);
      if (a->mode != 1) return RC_WHY("CRD order (PyTorch PixelShuffle); XNNPACK has DCR only");
      k = "depth_to_space_nhwc_x32";
      break;
    case RC_OP_RESIZE: {
      if (a->mode != REPCONV_RESIZE_LINEAR) return RC_WHY("cubic (XNNPACK resizes bilinearly only)");
      /* XNNPACK's bilinear kernel vectorizes over channels through a per-pixel
       * indirection buffer; below 4 channels the reference kernel's separable
       * pass is faster (measured ×2 at 540x960 → 1080x1920 ×2, C = 1: the
       * luma skip of an SR net; even at C = 2, behind from C = 4). */
      if (xs->d[1] < RC_XNN_RESIZE_MIN_CHANNELS)
        return RC_WHY("%lld channels (the reference kernel's separable pass is faster below %d)", (long long)xs->d[1],
                      RC_XNN_RESIZE_MIN_CHANNELS);
      for (int d = 2; d < 4; d++) {
        if (xs->d[d] >= ((int64_t)1 << 24) || ys->d[d] >= ((int64_t)1 << 24))
          return RC_WHY("extent of 2^24 or more (XNNPACK's limit)");
      }
      if (a->axis == REPCONV_RESIZE_PYTORCH_HALF_PIXEL && (ys->d[2] == 1 || ys->d[3] == 1))
        return RC_WHY("pytorch_half_pixel to an extent of 1 samples pixel 0; XNNPACK the centre");
      /* XNNPACK maps coordinates by in/out: the node's map is the same when
       * the sizes were given or scale · in is the output extent exactly. */
      if (a->axis != REPCONV_RESIZE_ALIGN_CORNERS && a->kernel[0] == 0 &&
          ((double)xs->d[2] * (double)a->alpha != (double)ys->d[2] ||
           (double)xs->d[3] * (double)a->beta != (double)ys->d[3])) {
        return RC_WHY("scale %gx%g is not out/in (XNNPACK maps coordinates by in/out)", (double)a->alpha,
                      (double)a->beta);
      }
      k = "resize_bilinear2d_nhwc_f32";
      break;
    }
    case RC_OP_PATCH_PARTITION:
    case RC_OP_PATCH_MERGE: return RC_WHY("row copies only; the reference kernel is the kernel");
    case RC_OP_BATCHNORM: return RC_WHY("no XNNPACK batchnorm (folding turns conv+BN into one conv)");
    case RC_OP_SIGMOID: return RC_WHY("XNNPACK's sigmoid is a polynomial approximation, not exact");
    case RC_OP_HARD_SIGMOID: return RC_WHY("no XNNPACK hard sigmoid (one pass of the reference kernel)");
    default: return RC_WHY("no XNNPACK kernel for %s", rc_op_name(n->op));
  }
  snprintf(st->kernel, sizeof(st->kernel), "xnnpack:%s", k);
  return 1;
}

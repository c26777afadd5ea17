#include "runtime/plan/plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/plan/autotune.h"
#include "kernels/common/cpu.h"
#include "kernels/gemm/gemm.h"
#include "kernels/winograd/wino.h"
#include "repconv.h"

void rc_shape_dims4(const rc_shape* s, int64_t dims[4]) {
  for (int i = 0; i < 4; i++) dims[i] = i < s->ndim ? s->d[i] : 1;
}

void rc_storage_strides(const rc_shape* s, int channels_last, int64_t st[RC_MAX_DIMS]) {
  int64_t d[4];
  rc_shape_dims4(s, d);
  if (channels_last) {
    st[1] = 1;
    st[3] = d[1];
    st[2] = d[3] * d[1];
    st[0] = d[2] * d[3] * d[1];
  } else {
    int64_t acc = 1;
    for (int i = s->ndim - 1; i >= 0; i--) {
      st[i] = acc;
      acc *= s->d[i];
    }
    for (int i = s->ndim; i < 4; i++) st[i] = 0;
  }
}

int rc_binary_physical_shape(const rc_graph* g, const rc_node* n, int k, size_t shape[4]) {
  const rc_shape* out = &g->tensors[n->output].shape;
  const rc_tensor* t = &g->tensors[n->inputs[k]];
  int64_t ld[4] = {1, 1, 1, 1};
  int shift = out->ndim - t->shape.ndim;
  if (shift < 0) return 0;
  /* An activation is stored channels-last in its own rank. */
  if (t->kind != RC_TENSOR_CONST && shift != 0) return 0;
  for (int i = 0; i < t->shape.ndim; i++) ld[i + shift] = t->shape.d[i];
  /* A constant is stored in C order: the same bytes as channels-last iff it
   * does not have both channels and spatial extent. */
  if (t->kind == RC_TENSOR_CONST && !(ld[1] == 1 || (ld[2] == 1 && ld[3] == 1))) return 0;
  shape[0] = (size_t)ld[0];
  shape[1] = (size_t)ld[2];
  shape[2] = (size_t)ld[3];
  shape[3] = (size_t)ld[1];
  return 1;
}

/* ------------------------------------------------------------ kernel choice */

static int is_const(const rc_graph* g, const rc_node* n, int k) {
  return k < n->n_inputs && n->inputs[k] >= 0 && g->tensors[n->inputs[k]].kind == RC_TENSOR_CONST;
}
static int absent(const rc_node* n, int k) { return k >= n->n_inputs || n->inputs[k] < 0; }

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

#define WHY(...) (snprintf(why, why_size, __VA_ARGS__), 0)

/* 1 if XNNPACK computes node n with exactly our semantics (then kernel names
 * the XNNPACK operator and st's pool padding is set); 0 with the reason in why. */
static int xnn_supports(const rc_graph* g, const rc_node* n, rc_step* st, char* why, size_t why_size) {
  const rc_shape* xs = n->n_inputs > 0 && n->inputs[0] >= 0 ? &g->tensors[n->inputs[0]].shape : NULL;
  const rc_shape* ys = &g->tensors[n->output].shape;
  const rc_attrs* a = &n->a;
  const char* k = NULL;
  switch (n->op) {
    case RC_OP_CONV2D:
      if (xs->ndim != 4) return WHY("input of rank %d", xs->ndim);
      if (!is_const(g, n, 1)) return WHY("weights are not constant");
      if (!absent(n, 2) && !is_const(g, n, 2)) return WHY("bias is not constant");
      k = "convolution2d_nhwc_f32";
      break;
    case RC_OP_GEMM:
      if (xs->ndim != 2) return WHY("input of rank %d", xs->ndim);
      if (!is_const(g, n, 1)) return WHY("weights are not constant");
      if (!absent(n, 2) && !is_const(g, n, 2)) return WHY("bias is not constant");
      if (a->alpha != 1.0f) return WHY("alpha %g (XNNPACK's fully connected has no scale)", (double)a->alpha);
      if (!absent(n, 2) && a->beta != 1.0f)
        return WHY("beta %g (XNNPACK's fully connected has no bias scale)", (double)a->beta);
      k = "fully_connected_nc_f32";
      break;
    case RC_OP_AVGPOOL:
    case RC_OP_MAXPOOL: {
      const int avg = n->op == RC_OP_AVGPOOL;
      if (xs->ndim != 4) return WHY("input of rank %d", xs->ndim);
      if (a->kernel[0] * a->kernel[1] == 1) return WHY("1x1 pooling (XNNPACK refuses it)");
      if (a->pad[0] >= a->kernel[0] || a->pad[2] >= a->kernel[0] || a->pad[1] >= a->kernel[1] ||
          a->pad[3] >= a->kernel[1]) {
        return WHY("padding not smaller than the window (windows without input taps)");
      }
      int32_t pb, pr;
      if (!pool_extra_pad(xs->d[2], a->pad[0], a->pad[2], a->kernel[0], a->stride[0], ys->d[2], &pb) ||
          !pool_extra_pad(xs->d[3], a->pad[1], a->pad[3], a->kernel[1], a->stride[1], ys->d[3], &pr)) {
        return WHY("no XNNPACK padding gives the ceil_mode output extent");
      }
      const int any_pad = a->pad[0] | a->pad[1] | pb | pr;
      if (avg && a->count_include_pad && any_pad) {
        return WHY("count_include_pad with padding%s (XNNPACK divides by the input taps only)",
                   (pb != a->pad[2] || pr != a->pad[3]) ? " or ceil_mode" : "");
      }
      st->pool_pad_bottom = pb;
      st->pool_pad_right = pr;
      k = avg ? "average_pooling2d_nhwc_f32" : "max_pooling2d_nhwc_f32";
      break;
    }
    case RC_OP_GLOBAL_AVGPOOL:
      if (xs->ndim != 4) return WHY("input of rank %d", xs->ndim);
      k = "global_average_pooling_nwc_f32";
      break;
    case RC_OP_PRELU: {
      if (xs->ndim < 2) return WHY("input of rank %d", xs->ndim);
      if (!is_const(g, n, 1)) return WHY("slopes are not constant");
      int64_t ns = rc_shape_numel(&g->tensors[n->inputs[1]].shape);
      if (ns != 1 && ns != xs->d[1]) return WHY("%lld slopes for %lld channels", (long long)ns, (long long)xs->d[1]);
      k = "prelu_nc_f32";
      break;
    }
    case RC_OP_ADD:
    case RC_OP_SUB:
    case RC_OP_MUL:
    case RC_OP_DIV: {
      size_t sa[4], sb[4];
      if (!rc_binary_physical_shape(g, n, 0, sa) || !rc_binary_physical_shape(g, n, 1, sb)) {
        return WHY("broadcast across NHWC/NCHW storage (an operand is not channels-last in the output's layout)");
      }
      static const char* names[] = {"add_nd_f32", "subtract_nd_f32", "multiply_nd_f32", "divide_nd_f32"};
      k = names[n->op - RC_OP_ADD];
      break;
    }
    case RC_OP_RELU: k = "clamp_nc_f32"; break;
    case RC_OP_CLIP:
      if (isnan(a->min) || isnan(a->max) || !(a->min < a->max))
        return WHY("clip range [%g, %g] is empty", (double)a->min, (double)a->max);
      k = "clamp_nc_f32";
      break;
    case RC_OP_DEPTH_TO_SPACE:
      if (a->block < 2) return WHY("block %d", a->block);
      if (a->mode != 1) return WHY("CRD order (PyTorch PixelShuffle); XNNPACK has DCR only");
      k = "depth_to_space_nhwc_x32";
      break;
    case RC_OP_PATCH_PARTITION:
    case RC_OP_PATCH_MERGE: return WHY("row copies only; the reference kernel is the kernel");
    case RC_OP_BATCHNORM: return WHY("no XNNPACK batchnorm (folding turns conv+BN into one conv)");
    case RC_OP_SIGMOID: return WHY("XNNPACK's sigmoid is a polynomial approximation, not exact");
    default: return WHY("no XNNPACK kernel for %s", rc_op_name(n->op));
  }
  snprintf(st->kernel, sizeof(st->kernel), "xnnpack:%s", k);
  return 1;
}

/* ------------------------------------------------------------ winograd */

/* Layers whose tile GEMMs need fewer multiply-adds than this run on the
 * caller's thread: each block of tiles has three parallel phases (input
 * transform, GEMMs, output transform), and on small layers the hand-offs
 * cost more than the second thread gains (measured on repvgg-a0 at 32x32 and
 * small builder layers; see the plan note). */
#define RC_WINO_MIN_PARALLEL_MACS ((int64_t)4 << 20)
/* (measured: C 16→16 at 16x16, 0.15 M MACs, 9 µs on 1 thread, 11 µs on 2;
 * C 64→64 at 8x8, 0.6 M MACs, 23 vs 27 µs; larger layers gain) */

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* 1 if kernels/winograd computes conv node n; 0 with the reason in why. */
static int wino_applies(const rc_graph* g, const rc_node* n, char* why, size_t why_size) {
  if (n->op != RC_OP_CONV2D) return WHY("not a conv");
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_attrs* a = &n->a;
  if (xs->ndim != 4) return WHY("input of rank %d", xs->ndim);
  if (a->kernel[0] != 3 || a->kernel[1] != 3) return WHY("kernel %dx%d", a->kernel[0], a->kernel[1]);
  if (a->stride[0] != 1 || a->stride[1] != 1) return WHY("stride %dx%d", a->stride[0], a->stride[1]);
  if (a->dilation[0] != 1 || a->dilation[1] != 1) return WHY("dilation %dx%d", a->dilation[0], a->dilation[1]);
  if (a->groups != 1) return WHY("%d groups", a->groups);
  if (!is_const(g, n, 1)) return WHY("weights are not constant");
  if (!absent(n, 2) && !is_const(g, n, 2)) return WHY("bias is not constant");
  for (int i = 0; i < 4; i++) {
    if (a->pad[i] < 0) return WHY("negative padding");
  }
  const rc_shape* ys = &g->tensors[n->output].shape;
  if (ys->d[2] < 1 || ys->d[3] < 1 || xs->d[1] < 1 || ys->d[1] < 1) return WHY("empty tensor");
  return 1;
}

static const rc_wino_variant k_variants[] = {RC_WINO_F23, RC_WINO_F43, RC_WINO_F63};

/* The rule's price of a layer's transformed weights, in tiles: each run
 * streams U (α²·Cin·Cout floats, 1.8/4/7.1× the 3x3 weights) once, from
 * memory in a network whose weights exceed the cache, and on this machine a
 * U byte from DRAM costs about what a dozen tile-GEMM multiply-adds do, so U
 * costs as much as ≈ 48 more tiles of GEMM work (4 bytes × 12). Measured on
 * RepVGG-A0 (repconv bench, medians): with 0 its 14x14 stage picks F(4,3)
 * (16 tiles, 5.06 MiB of U per layer) and runs 12.3–12.6 ms on 1 thread,
 * 9.7–9.8 on 2; with 48 it picks F(2,3) (49 tiles, 2.25 MiB) and runs
 * 11.7–11.8 and 8.2–8.5 ms; 96 and 192 change nothing more measurable. On
 * large images (ECBSR: 32400 tiles) it changes nothing. */
#define RC_WINO_WEIGHT_TILES 48

/* Activations of fewer bytes stay layer by layer (chains pay off when the
 * tensors between layers leave the cache; measured, see plan.h). */
#define RC_WINO_CHAIN_MIN_BYTES ((size_t)4 << 20)

/* Who reads each tensor, counted once per graph (choose_kernels). */
typedef struct readers_info {
  const int32_t* count; /* node inputs reading t, + 2^20 for a graph output */
  const int32_t* sole;  /* the node of t's one reading input, or -1 (several or none) */
} readers_info;

/* The single node reading tensor t, or NULL (several, none, or an output). */
static const rc_node* only_reader(const rc_graph* g, const readers_info* ri, int32_t t) {
  return ri->count[t] == 1 ? &g->nodes[ri->sole[t]] : NULL;
}

/* Conv n, which Winograd applies to, would head a chain: chains are on, its
 * output is large, and its only reader (after at most one ReLU, clip or
 * PReLU, fused into it) is a conv Winograd applies to. Then even a conv with
 * Cin < 4 (a super-resolution net's first layer) goes to Winograd: in a chain
 * its 16-channel output never goes to memory, which outweighs the short
 * GEMMs. */
static int can_head_chain(const rc_graph* g, const rc_plan* p, const rc_node* n, const readers_info* readers) {
  if (p->no_chains || p->winograd != RC_WINO_OPT_AUTO) return 0;
  int32_t t = n->output;
  if ((size_t)rc_shape_numel(&g->tensors[t].shape) * sizeof(float) < RC_WINO_CHAIN_MIN_BYTES) return 0;
  const rc_node* r = only_reader(g, readers, t);
  if (r && (r->op == RC_OP_RELU || r->op == RC_OP_CLIP || r->op == RC_OP_PRELU) && r->inputs[0] == t) {
    t = r->output;
    r = only_reader(g, readers, t);
  }
  char why[8];
  return r && r->op == RC_OP_CONV2D && r->inputs[0] == t && wino_applies(g, r, why, sizeof why);
}

/* The variant for a conv the Winograd kernels apply to, by the rule in plan.h
 * (forced: the option's tile), or -1 for XNNPACK; fills kernel and note. */
static int wino_choose(const rc_graph* g, const rc_node* n, int backend, int forced, int chain_head, rc_step* st) {
  const rc_shape* ys = &g->tensors[n->output].shape;
  const size_t cin = (size_t)g->tensors[n->inputs[0]].shape.d[1], cout = (size_t)ys->d[1];
  const size_t oh = (size_t)ys->d[2], ow = (size_t)ys->d[3];
  size_t work[3], ubytes[3], tiles[3];
  for (int i = 0; i < 3; i++) {
    const size_t m = (size_t)rc_wino_tile_m(k_variants[i]), al = m + 2;
    tiles[i] = ceil_div(oh, m) * ceil_div(ow, m);
    work[i] = (tiles[i] * (size_t)ys->d[0] + RC_WINO_WEIGHT_TILES) * al * al;
    ubytes[i] = rc_wino_filter_size(k_variants[i], cout, cin) * sizeof(float);
  }
  int v = -1;
  char why[160];
  if (forced == 2 || forced == 4 || forced == 6) {
    v = forced / 2 - 1;
    snprintf(why, sizeof(why), "forced by the option");
  } else {
    const int wide = cin >= 32 && cout >= 32;
    int capped = 0;
    for (int i = 0; i < 3; i++) {
      if (i == 2 && !wide) continue;
      if (ubytes[i] > RC_WINO_WEIGHT_CAP) {
        capped = 1;
        continue;
      }
      if (v < 0 || work[i] < work[v]) v = i;
    }
    if (backend == REPCONV_BACKEND_AUTO && cin < 4 && !chain_head) {
      snprintf(st->note, sizeof(st->note),
               "Winograd not chosen: C %zu→%zu, under 4 input channels the tile GEMMs "
               "are too short to pay for the transforms",
               cin, cout);
      return -1;
    }
    if (v < 0) {
      if (backend == REPCONV_BACKEND_AUTO) {
        snprintf(st->note, sizeof(st->note),
                 "Winograd not chosen: even F(2,3)'s transformed weights "
                 "(%.1f MiB) exceed the %zu MiB cap",
                 (double)ubytes[0] / (1 << 20), RC_WINO_WEIGHT_CAP >> 20);
        return -1;
      }
      v = 0;
      snprintf(why, sizeof(why), "backend winograd (weights over the %zu MiB cap)", RC_WINO_WEIGHT_CAP >> 20);
    } else {
      if (wide) {
        snprintf(why, sizeof(why), "least α²·(tiles + %d) (F2 %zu, F4 %zu, F6 %zu)", RC_WINO_WEIGHT_TILES, work[0],
                 work[1], work[2]);
      } else {
        snprintf(why, sizeof(why), "least α²·(tiles + %d) (F2 %zu, F4 %zu; F6 only for C ≥ 32)", RC_WINO_WEIGHT_TILES,
                 work[0], work[1]);
      }
      if (capped) {
        const size_t l = strlen(why);
        snprintf(why + l, sizeof(why) - l, " with larger tiles over the %zu MiB weight cap", RC_WINO_WEIGHT_CAP >> 20);
      }
    }
  }
  const size_t m = (size_t)rc_wino_tile_m(k_variants[v]);
  const int64_t macs = (int64_t)(work[v] * (size_t)ys->d[0]) * (int64_t)cin * (int64_t)cout;
  st->wino_variant = (int32_t)k_variants[v];
  st->wino_threads = macs >= RC_WINO_MIN_PARALLEL_MACS;
  snprintf(st->kernel, sizeof(st->kernel), "winograd:wino%zu3__%s", m,
           rc_wino_isa_name(rc_wino_isa_resolve(RC_WINO_ISA_AUTO)));
  /* (the return value is used: a long note is cut, by design) */
  if (snprintf(st->note, sizeof(st->note), "wino%zu3: C %zu→%zu, %zux%zu (%zu tiles of %zux%zu); %s; U %.2f MiB%s", m,
               cin, cout, oh, ow, tiles[v], m, m, why, (double)ubytes[v] / (1 << 20),
               st->wino_threads ? "" : "; 1 thread (small layer)") < 0) {
    st->note[0] = '\0';
  }
  return v;
}

/* ------------------------------------------------------------ gemm */

/* Below this many multiply-adds a layer stays on XNNPACK under auto (the
 * call, packing and tail overheads are not worth a kernel switch), and below
 * RC_GEMM_MIN_PARALLEL_MACS it runs on the caller's thread. */
#define RC_GEMM_MIN_MACS ((int64_t)1 << 16)
#define RC_GEMM_MIN_PARALLEL_MACS ((int64_t)1 << 20)
/* On an AVX-512 CPU, fully connected layers of at most this many rows. */
#define RC_GEMM_FC_MAX_ROWS 4

rc_conv2d_params rc_plan_conv_params(const rc_graph* g, const rc_node* n) {
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  const rc_attrs* a = &n->a;
  rc_conv2d_params cp = {
      .batch = (int32_t)xs->d[0],
      .in_h = (int32_t)xs->d[2],
      .in_w = (int32_t)xs->d[3],
      .in_c = (int32_t)xs->d[1],
      .out_h = (int32_t)ys->d[2],
      .out_w = (int32_t)ys->d[3],
      .out_c = (int32_t)g->tensors[n->inputs[1]].shape.d[0],
      .kernel_h = a->kernel[0],
      .kernel_w = a->kernel[1],
      .stride_h = a->stride[0],
      .stride_w = a->stride[1],
      .dilation_h = a->dilation[0],
      .dilation_w = a->dilation[1],
      .pad_top = a->pad[0],
      .pad_left = a->pad[1],
      .groups = a->groups,
  };
  return cp;
}

rc_wino_conv_params rc_plan_wino_params(const rc_graph* g, const rc_node* n, int variant) {
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  rc_wino_conv_params wp;
  memset(&wp, 0, sizeof wp);
  wp.variant = (rc_wino_variant)variant;
  wp.isa = RC_WINO_ISA_AUTO;
  wp.batch = (int32_t)xs->d[0];
  wp.in_h = (int32_t)xs->d[2];
  wp.in_w = (int32_t)xs->d[3];
  wp.in_c = (int32_t)xs->d[1];
  wp.out_h = (int32_t)ys->d[2];
  wp.out_w = (int32_t)ys->d[3];
  wp.out_c = (int32_t)ys->d[1];
  wp.pad_top = n->a.pad[0];
  wp.pad_left = n->a.pad[1];
  return wp;
}

rc_wino_conv_params rc_plan_wino_step_params(const rc_graph* g, const rc_step* sp) {
  const rc_node* n = &g->nodes[sp->node];
  rc_wino_conv_params wp = rc_plan_wino_params(g, n, sp->wino_variant);
  wp.activation = (rc_wino_activation)sp->wino_act;
  wp.act_min = sp->out_min;
  wp.act_max = sp->out_max;
  wp.prelu_slopes = sp->wino_slopes;
  wp.shuffle = sp->wino_shuffle;
  wp.shuffle_crd = sp->wino_shuffle_crd;
  if (sp->wino_residual >= 0) wp.residual_c = (int32_t)g->tensors[sp->wino_residual].shape.d[1];
  return wp;
}

size_t rc_plan_wino_chain(const rc_graph* g, const rc_plan* p, int32_t head, rc_wino_chain_layer* layers) {
  size_t n = 0;
  for (int32_t i = head; i >= 0 && n < RC_WINO_CHAIN_MAX; i = p->steps[i].chain_next, n++) {
    const rc_step* sp = &p->steps[i];
    layers[n].p = rc_plan_wino_step_params(g, sp);
    layers[n].u = sp->wino_u;
    layers[n].bias = sp->wino_bias;
  }
  return n;
}

rc_gemm_conv_params rc_plan_gemm_params(const rc_graph* g, const rc_node* n) {
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  rc_gemm_conv_params cp;
  memset(&cp, 0, sizeof cp);
  cp.ukernel = RC_GEMM_UK_AUTO;
  cp.batch = (int32_t)xs->d[0];
  cp.in_c = (int32_t)xs->d[1];
  cp.out_c = (int32_t)ys->d[1];
  cp.dilation_h = cp.dilation_w = cp.stride_h = cp.stride_w = cp.kernel_h = cp.kernel_w = 1;
  cp.groups = 1;
  cp.in_h = cp.in_w = cp.out_h = cp.out_w = 1;
  if (n->op == RC_OP_CONV2D) {
    const rc_attrs* a = &n->a;
    cp.in_h = (int32_t)xs->d[2];
    cp.in_w = (int32_t)xs->d[3];
    cp.out_h = (int32_t)ys->d[2];
    cp.out_w = (int32_t)ys->d[3];
    cp.kernel_h = a->kernel[0];
    cp.kernel_w = a->kernel[1];
    cp.stride_h = a->stride[0];
    cp.stride_w = a->stride[1];
    cp.dilation_h = a->dilation[0];
    cp.dilation_w = a->dilation[1];
    cp.pad_top = a->pad[0];
    cp.pad_left = a->pad[1];
    cp.groups = a->groups;
  }
  return cp;
}

/* 1 if kernels/gemm computes node n (a conv or an FC); 0 with the reason in why. */
static int gemm_applies(const rc_graph* g, const rc_node* n, char* why, size_t why_size) {
  if (n->op != RC_OP_CONV2D && n->op != RC_OP_GEMM) return WHY("not a conv or gemm");
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  if (!is_const(g, n, 1)) return WHY("weights are not constant");
  if (!absent(n, 2) && !is_const(g, n, 2)) return WHY("bias is not constant");
  if (n->op == RC_OP_GEMM) {
    if (xs->ndim != 2) return WHY("input of rank %d", xs->ndim);
    if (n->a.alpha != 1.0f) return WHY("alpha %g", (double)n->a.alpha);
    if (!absent(n, 2) && n->a.beta != 1.0f) return WHY("beta %g", (double)n->a.beta);
    if (rc_shape_numel(&g->tensors[n->inputs[1]].shape) != xs->d[1] * ys->d[1]) return WHY("weight shape");
  } else {
    if (xs->ndim != 4) return WHY("input of rank %d", xs->ndim);
    for (int i = 0; i < 4; i++) {
      if (n->a.pad[i] < 0) return WHY("negative padding");
    }
    if (ys->d[2] < 1 || ys->d[3] < 1) return WHY("empty tensor");
  }
  if (xs->d[0] < 1 || xs->d[1] < 1 || ys->d[1] < 1) return WHY("empty tensor");
  return 1;
}

/* 1 if GEMM runs node n (it applies) under backend (the auto rule in plan.h,
 * or backend GEMM); fills kind-specific step fields, kernel and note. On 0,
 * the note says why under auto when the reason is worth showing. */
static int gemm_choose(const rc_graph* g, const rc_node* n, int backend, rc_step* st) {
  char why[160];
  if (!gemm_applies(g, n, why, sizeof why)) return 0;
  const rc_gemm_conv_params cp = rc_plan_gemm_params(g, n);
  const int64_t k = (int64_t)rc_gemm_k(&cp), ocg = cp.out_c / cp.groups;
  const int64_t pixels = (int64_t)cp.batch * cp.out_h * cp.out_w;
  const int64_t macs = pixels * k * cp.out_c;
  const rc_gemm_ukernel uk = rc_gemm_ukernel_resolve(RC_GEMM_UK_AUTO);
  const rc_cpu* cpu = rc_cpu_get();
  /* Debian's XNNPACK picks 512-bit kernels on AVX-512 CPUs. */
  const int xnn_wider = cpu->avx512f && uk != RC_GEMM_UK_AVX512F;
  char shape[96];
  if (n->op == RC_OP_GEMM) {
    snprintf(shape, sizeof shape, "FC %lld row%s, K %lld → %lld", (long long)cp.batch, cp.batch == 1 ? "" : "s",
             (long long)k, (long long)cp.out_c);
  } else {
    snprintf(shape, sizeof shape, "%dx%d s%d%s, C %d→%d%s, %dx%d, K %lld", cp.kernel_h, cp.kernel_w, cp.stride_h,
             cp.dilation_h > 1 ? " dilated" : "", cp.in_c, cp.out_c, cp.groups > 1 ? " grouped" : "", cp.out_h,
             cp.out_w, (long long)k);
  }
  if (backend == REPCONV_BACKEND_GEMM) {
    snprintf(why, sizeof why, "backend gemm");
  } else {
    const char* no = NULL;
    const int64_t width = uk == RC_GEMM_UK_AVX512F ? 32 : 16, lanes = (ocg + width - 1) / width * width;
    if (k < 16 || ocg < 8) {
      no = "depthwise-like (K < 16 or < 8 output channels per group): XNNPACK";
    } else if (n->op == RC_OP_CONV2D && cp.in_c / cp.groups < 4) {
      no = "under 4 input channels per group, the im2col copies cost more than the GEMM: XNNPACK";
    } else if (ocg * 8 < lanes * 7) {
      snprintf(why, sizeof why, "%lld output channels per group fill %lld%% of the %lld-lane tiles: XNNPACK",
               (long long)ocg, (long long)(ocg * 100 / lanes), (long long)width);
      no = why;
    } else if (macs < RC_GEMM_MIN_MACS) {
      no = "tiny layer: XNNPACK";
    } else if (uk == RC_GEMM_UK_SCALAR) {
      no = "no SIMD GEMM kernel for this CPU: XNNPACK";
    } else if (xnn_wider && !(n->op == RC_OP_GEMM && cp.batch <= RC_GEMM_FC_MAX_ROWS)) {
      no = "AVX-512 CPU without repconv's 512-bit GEMM, where XNNPACK's is faster: XNNPACK";
    }
    if (no) {
      const size_t l = strlen(st->note);
      snprintf(st->note + l, sizeof(st->note) - l, "%sGEMM not chosen: %s, %s", l ? "; " : "", shape, no);
      return 0;
    }
    snprintf(why, sizeof why, "%s",
             xnn_wider ? "few rows (a GEMV bound by the weights): faster than XNNPACK"
                       : "as wide as XNNPACK's GEMM on this CPU, and faster");
  }
  st->gemm_threads = macs >= RC_GEMM_MIN_PARALLEL_MACS;
  snprintf(st->kernel, sizeof(st->kernel), "gemm:%s", rc_gemm_ukernel_name(uk));
  char before[sizeof(st->note)]; /* why not Winograd, kept in front */
  snprintf(before, sizeof before, "%s", st->note);
  if (snprintf(st->note, sizeof(st->note), "%s%sgemm: %s; %s; packed W %.2f MiB%s", before, before[0] ? "; " : "",
               shape, why, (double)rc_gemm_packed_size(&cp) * sizeof(float) / (1 << 20),
               st->gemm_threads ? "" : "; 1 thread (small layer)") < 0) {
    st->note[0] = '\0';
  }
  return 1;
}

static int fusable_producer(rc_op op) {
  return op == RC_OP_CONV2D || op == RC_OP_GEMM || (op >= RC_OP_ADD && op <= RC_OP_DIV);
}

/* Autotune (backend AUTO): times every kernel that can compute conv/FC node n
 * on its real shape (the Winograd variants the rule would consider, the GEMM
 * when a SIMD micro-kernel exists, XNNPACK) and plans the fastest, with the
 * times in the note. 0 when nothing could be timed (the rule decides then). */
static int autotune_choose(const rc_graph* g, const rc_node* n, int wino_ok, const readers_info* ri, rc_step* st) {
  enum { K_WINO, K_GEMM, K_XNN };
  char times[200] = "", why[160];
  size_t tl = 0;
  double best = -1.0;
  int kind = -1, variant = -1;
#define RC_TUNED(label, ms_expr, k, var)                                                                  \
  do {                                                                                                    \
    const double ms_ = (ms_expr);                                                                         \
    if (ms_ < 0) break;                                                                                   \
    if (tl < sizeof(times))                                                                               \
      tl += (size_t)snprintf(times + tl, sizeof(times) - tl, "%s%s %.3f ms", tl ? ", " : "", label, ms_); \
    if (best < 0 || ms_ < best) best = ms_, kind = (k), variant = (var);                                  \
  } while (0)
  if (wino_ok) {
    const size_t cin = (size_t)g->tensors[n->inputs[0]].shape.d[1], cout = (size_t)g->tensors[n->output].shape.d[1];
    static const char* labels[] = {"F2", "F4", "F6"};
    for (int i = 0; i < 3; i++) {
      if (i == 2 && (cin < 32 || cout < 32)) continue; /* as the rule: F(6,3)'s error for little gain */
      if (rc_wino_filter_size(k_variants[i], cout, cin) * sizeof(float) > RC_WINO_WEIGHT_CAP) continue;
      RC_TUNED(labels[i], rc_autotune_wino_ms(g, n, (int)k_variants[i], 2), K_WINO, i);
    }
  }
  if (gemm_applies(g, n, why, sizeof why) && rc_gemm_ukernel_resolve(RC_GEMM_UK_AUTO) != RC_GEMM_UK_SCALAR) {
    RC_TUNED("gemm", rc_autotune_gemm_ms(g, n, 2), K_GEMM, 0);
  }
  /* A PReLU reading only n's output: Winograd and the GEMM fuse it, XNNPACK
   * runs it as a pass of its own, so its time counts for XNNPACK. */
  const rc_node* prelu = NULL;
  if (ri->sole[n->output] >= 0) { /* one reading input (a graph output may be read too) */
    const rc_node* r = &g->nodes[ri->sole[n->output]];
    if (r->op == RC_OP_PRELU && r->inputs[0] == n->output && is_const(g, r, 1)) prelu = r;
  }
  rc_step probe = *st;
  if (xnn_supports(g, n, &probe, why, sizeof why)) {
    RC_TUNED(prelu ? "xnnpack+prelu" : "xnnpack", rc_autotune_xnn_ms(g, n, prelu, 2), K_XNN, 0);
  }
#undef RC_TUNED
  if (kind < 0) return 0;
  if (kind == K_WINO) {
    wino_choose(g, n, REPCONV_BACKEND_WINOGRAD, rc_wino_tile_m(k_variants[variant]), 0, st);
    st->kind = RC_KERNEL_WINOGRAD;
  } else if (kind == K_GEMM) {
    gemm_choose(g, n, REPCONV_BACKEND_GEMM, st);
    st->kind = RC_KERNEL_GEMM;
  } else {
    xnn_supports(g, n, st, why, sizeof why);
    st->kind = RC_KERNEL_XNNPACK;
  }
  snprintf(st->note, sizeof(st->note), "autotuned, 1 thread: %s", times);
  return 1;
}

/* "kernel" → "kernel+what (fused)"; "kernel+relu (fused)" → "kernel+relu+what (fused)". */
static void append_fused(rc_step* st, const char* what) {
  static const char tag[] = " (fused)";
  size_t kl = strlen(st->kernel);
  if (kl >= sizeof(tag) - 1 && strcmp(st->kernel + kl - (sizeof(tag) - 1), tag) == 0) kl -= sizeof(tag) - 1;
  snprintf(st->kernel + kl, sizeof(st->kernel) - kl, "+%s%s", what, tag);
}

/* The step that computes tensor t (its producer's, or the step that producer
 * was fused into), or NULL for inputs and constants. */
/* The step computing fused step i: fused_into may name a step that was
 * fused in turn (mark_fused does not rewrite what was fused into it, which
 * would cost a pass over all steps per fusion); the chain is followed and
 * shortened. */
static int32_t owner_step(rc_step* steps, int32_t i) {
  int32_t o = i;
  while (steps[o].kind == RC_KERNEL_FUSED) o = steps[o].fused_into;
  while (steps[i].kind == RC_KERNEL_FUSED && steps[i].fused_into != o) {
    int32_t next = steps[i].fused_into;
    steps[i].fused_into = o;
    i = next;
  }
  return o;
}

static rc_step* computing_step(const rc_graph* g, rc_step* steps, const int32_t* step_of, int32_t t) {
  const int32_t prod = g->tensors[t].producer;
  if (prod < 0) return NULL;
  return &steps[owner_step(steps, step_of[prod])];
}

/* Step i is now computed by step into, and so is what was fused into i
 * (through owner_step). */
static void mark_fused(rc_step* steps, int32_t i, int32_t into, const char* note) {
  steps[i].kind = RC_KERNEL_FUSED;
  steps[i].fused_into = into;
  snprintf(steps[i].kernel, sizeof(steps[i].kernel), "fused");
  snprintf(steps[i].note, sizeof(steps[i].note), "%s", note);
}

/* Fuse into a Winograd conv (whose output has no other reader) the residual
 * add that follows it (with the ReLU/clip fused into that add), then a
 * depth-to-space after that: a super-resolution tail (conv, + input, pixel
 * shuffle) becomes one step writing the final image, instead of three passes
 * over it. The residual must be computed before the conv and be the conv's
 * shape with out_c channels or 1; an activation already fused into the conv
 * would come before the add, so such a conv keeps its add separate. */
static void fuse_into_winograd(const rc_graph* g, rc_step* steps, int32_t nn, const int32_t* readers,
                               const int32_t* step_of, uint8_t* elided) {
  char note[240];
  for (int32_t i = 0; i < nn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (steps[i].kind == RC_KERNEL_FUSED || n->op != RC_OP_ADD || n->n_inputs != 2) continue;
    for (int k = 0; k < 2; k++) {
      const int32_t t = n->inputs[k], o = n->inputs[1 - k];
      if (t < 0 || o < 0 || t == o || readers[t] != 1) continue;
      const int32_t prod = g->tensors[t].producer;
      if (prod < 0) continue;
      const int32_t pi = step_of[prod];
      rc_step* ps = &steps[pi];
      if (ps->kind != RC_KERNEL_WINOGRAD || ps->out != t || ps->fused >= 0 || ps->wino_residual >= 0) continue;
      const rc_shape* ts = &g->tensors[t].shape;
      const rc_shape* os = &g->tensors[o].shape;
      if (g->tensors[o].kind == RC_TENSOR_CONST || os->ndim != 4 || !rc_shape_equal(&g->tensors[n->output].shape, ts) ||
          os->d[0] != ts->d[0] || os->d[2] != ts->d[2] || os->d[3] != ts->d[3] ||
          (os->d[1] != ts->d[1] && os->d[1] != 1))
        continue;
      const int32_t op = g->tensors[o].producer;
      if (op >= 0 && step_of[op] >= pi) continue; /* the residual is computed after the conv */
      rc_step* as = &steps[i];
      ps->wino_residual = o;
      ps->out = as->out;
      if (as->fused >= 0) { /* the add's ReLU/clip, now after the residual in the conv's epilogue */
        ps->fused = as->fused;
        ps->out_min = as->out_min;
        ps->out_max = as->out_max;
        ps->wino_act = g->nodes[as->fused].op == RC_OP_RELU ? RC_WINO_ACT_RELU : RC_WINO_ACT_CLIP;
      }
      append_fused(ps, as->fused < 0 ? "add" : g->nodes[as->fused].op == RC_OP_RELU ? "add+relu" : "add+clip");
      snprintf(note, sizeof note,
               "computed by '%s': the residual '%s' (%lld channel%s) added in its Winograd output "
               "transform",
               g->nodes[prod].name, g->tensors[o].name, (long long)os->d[1], os->d[1] == 1 ? "" : "s");
      mark_fused(steps, i, pi, note);
      elided[t] = 1;
      break;
    }
  }
  for (int32_t i = 0; i < nn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (steps[i].kind == RC_KERNEL_FUSED || n->op != RC_OP_DEPTH_TO_SPACE || n->a.block < 2) continue;
    const int32_t t = n->inputs[0];
    rc_step* ps = computing_step(g, steps, step_of, t);
    if (!ps || ps->kind != RC_KERNEL_WINOGRAD || ps->out != t || readers[t] != 1 || ps->wino_shuffle) continue;
    ps->wino_shuffle = n->a.block;
    ps->wino_shuffle_crd = n->a.mode == 0;
    ps->out = n->output;
    append_fused(ps, "depth_to_space");
    snprintf(note, sizeof note, "computed by '%s': its Winograd output transform stores the %s pixel shuffle r=%d",
             g->nodes[ps->node].name, n->a.mode == 0 ? "CRD" : "DCR", n->a.block);
    mark_fused(steps, i, (int32_t)(ps - steps), note);
    elided[t] = 1;
  }
}

/* Step prev (a Winograd step) can hand its output to step i in a chain: i is
 * the next step to run and the only reader of prev's output, which is large,
 * and prev stores plainly (no residual, shuffle or permuted channels: those
 * only on the chain's last layer). */
static int chain_link(const rc_graph* g, const rc_plan* p, const int32_t* readers, int32_t prev, int32_t i) {
  const rc_step* ps = &p->steps[prev];
  const rc_step* st = &p->steps[i];
  const int32_t t = ps->out;
  return st->kind == RC_KERNEL_WINOGRAD && g->nodes[st->node].inputs[0] == t && readers[t] == 1 &&
         ps->wino_residual < 0 && ps->wino_shuffle == 0 && ps->crd_block == 0 && st->crd_block == 0 &&
         (size_t)rc_shape_numel(&g->tensors[t].shape) * sizeof(float) >= RC_WINO_CHAIN_MIN_BYTES;
}

/* Links runs of consecutive Winograd steps (in the sorted order, fused steps
 * aside) into chains run by their first step; the tensors between members
 * are not materialised. A member's residual (the last one's only) was
 * computed before the head: every step between head and member is a member
 * or fused into one, and their outputs have a single reader. */
static void form_chains(const rc_graph* g, rc_plan* p, const int32_t* readers, uint8_t* elided) {
  int32_t head = -1, prev = -1, len = 0;
  for (int32_t i = 0; i <= p->n_order; i++) {
    const int end = i == p->n_order;
    if (!end && p->steps[i].kind == RC_KERNEL_FUSED) continue;
    if (!end && prev >= 0 && len < RC_WINO_CHAIN_MAX && chain_link(g, p, readers, prev, i)) {
      p->steps[prev].chain_next = i;
      p->steps[i].chain_head = head;
      elided[p->steps[prev].out] = 1;
      prev = i;
      len++;
      continue;
    }
    if (len >= 2) { /* close the chain head..prev */
      rc_step* hs = &p->steps[head];
      hs->chain_len = len;
      hs->chain_head = head;
      const rc_step* ls = &p->steps[prev];
      size_t kl = strlen(hs->kernel);
      snprintf(hs->kernel + kl, sizeof(hs->kernel) - kl, " [chain of %d]", len);
      kl = strlen(hs->note);
      snprintf(hs->note + kl, sizeof(hs->note) - kl,
               "; runs a chain of %d layers to '%s', band by band, the "
               "activations between them in per-thread rings",
               len, g->nodes[ls->node].name);
      for (int32_t j = hs->chain_next; j >= 0; j = p->steps[j].chain_next) {
        rc_step* ms = &p->steps[j];
        kl = strlen(ms->kernel);
        snprintf(ms->kernel + kl, sizeof(ms->kernel) - kl, " [in chain]");
        kl = strlen(ms->note);
        snprintf(ms->note + kl, sizeof(ms->note) - kl, "; run by '%s' in its chain", g->nodes[hs->node].name);
      }
    }
    head = prev = -1;
    len = 0;
    if (!end && p->steps[i].kind == RC_KERNEL_WINOGRAD) {
      head = prev = i;
      len = 1;
    }
  }
}

/* Kernel choice per step (fills p->steps, reorders p->order) and marks the
 * tensors no kernel materialises in elided[]. */
static rc_status choose_kernels(const rc_graph* g, rc_plan* p, uint8_t* elided) {
  const int use_wino =
      (p->backend == REPCONV_BACKEND_AUTO || p->backend == REPCONV_BACKEND_WINOGRAD) && p->winograd != RC_WINO_OPT_OFF;
  const int any_gemm = p->backend == REPCONV_BACKEND_AUTO || p->backend == REPCONV_BACKEND_GEMM;
  const int32_t nn = p->n_order;
  int32_t* readers = calloc((size_t)g->n_tensors + 1, sizeof(int32_t));
  int32_t* sole = malloc(((size_t)g->n_tensors + 1) * sizeof(int32_t));
  int32_t* step_of = malloc(((size_t)g->n_nodes + 1) * sizeof(int32_t));
  rc_step* steps = calloc((size_t)nn + 1, sizeof(rc_step));
  /* fused steps of each step, in index order: first_fused[i], next_fused[j] (-1 ends) */
  int32_t* first_fused = malloc(((size_t)nn + 1) * sizeof(int32_t));
  int32_t* next_fused = malloc(((size_t)nn + 1) * sizeof(int32_t));
  int32_t* perm = malloc(((size_t)nn + 1) * sizeof(int32_t)); /* sorted position → step */
  rc_status s = REPCONV_OK;
  if (!readers || !sole || !step_of || !steps || !first_fused || !next_fused || !perm) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    goto done;
  }
  for (int32_t t = 0; t < g->n_tensors; t++) sole[t] = -1;
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const rc_node* n = &g->nodes[i];
    for (int32_t k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] >= 0) sole[n->inputs[k]] = readers[n->inputs[k]]++ == 0 ? i : -1;
    }
  }
  for (int32_t i = 0; i < g->n_outputs; i++) readers[g->outputs[i]] += 1 << 20; /* never single-reader */
  const readers_info ri = {readers, sole};
  const int use_xnn = p->backend != REPCONV_BACKEND_REF;

  for (int32_t i = 0; i < nn; i++) {
    rc_step* st = &steps[i];
    const rc_node* n = &g->nodes[p->order[i]];
    step_of[p->order[i]] = i;
    st->node = p->order[i];
    st->kind = RC_KERNEL_REF;
    st->out = n->output;
    st->fused = -1;
    st->out_min = -INFINITY;
    st->out_max = INFINITY;
    st->wino_residual = -1;
    st->fused_into = -1;
    st->chain_head = -1;
    st->chain_next = -1;
    char why[160] = "";
    int wino_ok = use_wino && n->op == RC_OP_CONV2D && wino_applies(g, n, why, sizeof(why));
    if (use_wino && n->op == RC_OP_CONV2D && !wino_ok) snprintf(st->note, sizeof(st->note), "Winograd n/a: %s", why);
    if (p->autotune && p->backend == REPCONV_BACKEND_AUTO && (n->op == RC_OP_CONV2D || n->op == RC_OP_GEMM) &&
        autotune_choose(g, n, wino_ok, &ri, st)) {
      continue;
    }
    if (wino_ok && wino_choose(g, n, p->backend, p->winograd, can_head_chain(g, p, n, &ri), st) >= 0) {
      st->kind = RC_KERNEL_WINOGRAD;
    } else if (any_gemm && (n->op == RC_OP_CONV2D || n->op == RC_OP_GEMM) && gemm_choose(g, n, p->backend, st)) {
      st->kind = RC_KERNEL_GEMM;
    } else if (use_xnn && xnn_supports(g, n, st, why, sizeof(why))) {
      st->kind = RC_KERNEL_XNNPACK;
    } else {
      snprintf(st->kernel, sizeof(st->kernel), "ref:%s", rc_op_name(n->op));
      if (use_xnn) snprintf(st->note, sizeof(st->note), "XNNPACK cannot: %s", why);
    }
  }

  /* Fuse a ReLU/clip into the XNNPACK step producing its input. */
  for (int32_t i = 0; i < nn && use_xnn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (n->op != RC_OP_RELU && n->op != RC_OP_CLIP) continue;
    if (n->op == RC_OP_CLIP && (isnan(n->a.min) || isnan(n->a.max) || !(n->a.min < n->a.max))) continue;
    const int32_t t = n->inputs[0];
    const int32_t prod = g->tensors[t].producer;
    if (prod < 0 || readers[t] != 1) continue;
    rc_step* ps = &steps[step_of[prod]];
    const int wino = ps->kind == RC_KERNEL_WINOGRAD, gemm = ps->kind == RC_KERNEL_GEMM;
    if ((ps->kind != RC_KERNEL_XNNPACK && !wino && !gemm) || ps->fused >= 0 || !fusable_producer(g->nodes[prod].op)) {
      continue;
    }
    ps->fused = steps[i].node;
    ps->out = n->output;
    ps->out_min = n->op == RC_OP_RELU ? 0.0f : n->a.min;
    ps->out_max = n->op == RC_OP_RELU ? INFINITY : n->a.max;
    if (wino) ps->wino_act = n->op == RC_OP_RELU ? RC_WINO_ACT_RELU : RC_WINO_ACT_CLIP;
    if (gemm) ps->gemm_act = RC_GEMM_ACT_CLAMP;
    append_fused(ps, rc_op_name(n->op));
    steps[i].kind = RC_KERNEL_FUSED;
    steps[i].fused_into = step_of[prod];
    snprintf(steps[i].kernel, sizeof(steps[i].kernel), "fused");
    snprintf(steps[i].note, sizeof(steps[i].note), "computed by '%s' as its output clamp [%g, %g]", g->nodes[prod].name,
             (double)ps->out_min, (double)ps->out_max);
    elided[t] = 1;
  }

  /* Fuse a PReLU (constant slopes, one per channel or one shared) into the
   * Winograd conv or GEMM producing its input. */
  for (int32_t i = 0; i < nn && (use_wino || any_gemm); i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (n->op != RC_OP_PRELU || !is_const(g, n, 1)) continue;
    const int32_t t = n->inputs[0];
    const int32_t prod = g->tensors[t].producer;
    if (prod < 0 || readers[t] != 1) continue;
    rc_step* ps = &steps[step_of[prod]];
    if ((ps->kind != RC_KERNEL_WINOGRAD && ps->kind != RC_KERNEL_GEMM) || ps->fused >= 0) continue;
    const int64_t ns = rc_shape_numel(&g->tensors[n->inputs[1]].shape);
    if (ns != 1 && ns != g->tensors[t].shape.d[1]) continue;
    ps->fused = steps[i].node;
    ps->out = n->output;
    if (ps->kind == RC_KERNEL_GEMM) {
      ps->gemm_act = RC_GEMM_ACT_PRELU;
    } else {
      ps->wino_act = RC_WINO_ACT_PRELU;
    }
    append_fused(ps, "prelu");
    steps[i].kind = RC_KERNEL_FUSED;
    steps[i].fused_into = step_of[prod];
    snprintf(steps[i].kernel, sizeof(steps[i].kernel), "fused");
    snprintf(steps[i].note, sizeof(steps[i].note), "computed by '%s' in its %s (%lld slope%s)", g->nodes[prod].name,
             ps->kind == RC_KERNEL_GEMM ? "GEMM store" : "Winograd output transform", (long long)ns,
             ns == 1 ? "" : "s");
    elided[t] = 1;
  }

  if (use_wino) fuse_into_winograd(g, steps, nn, readers, step_of, elided);

  /* CRD depth-to-space: permute the producing conv's output channels to DCR. */
  for (int32_t i = 0; i < nn && use_xnn; i++) {
    const rc_node* n = &g->nodes[steps[i].node];
    if (steps[i].kind == RC_KERNEL_FUSED) continue;
    if (n->op != RC_OP_DEPTH_TO_SPACE || n->a.mode != 0 || n->a.block < 2) continue;
    const int32_t t = n->inputs[0];
    int32_t prod = g->tensors[t].producer;
    char* note = steps[i].note;
    const size_t ns = sizeof(steps[i].note);
    if (prod < 0) {
      snprintf(note, ns,
               "XNNPACK cannot: CRD order (PyTorch PixelShuffle) of a graph input; only a conv "
               "producer can be permuted to XNNPACK's DCR");
      continue;
    }
    if (readers[t] != 1) {
      snprintf(note, ns,
               "XNNPACK cannot: CRD order and its input '%s' has other readers or is a graph output, "
               "so its producer's channels cannot be permuted to DCR",
               g->tensors[t].name);
      continue;
    }
    rc_step* ws = &steps[step_of[prod]];
    if (ws->kind == RC_KERNEL_FUSED) { /* conv → relu → d2s: the conv writes t */
      const rc_node* act = &g->nodes[prod];
      prod = g->tensors[act->inputs[0]].producer;
      ws = &steps[step_of[prod]];
    }
    const rc_node* pn = &g->nodes[prod];
    if ((ws->kind != RC_KERNEL_XNNPACK && ws->kind != RC_KERNEL_WINOGRAD && ws->kind != RC_KERNEL_GEMM) ||
        pn->op != RC_OP_CONV2D || ws->out != t || ws->crd_block) {
      snprintf(note, ns,
               "XNNPACK cannot: CRD order and its producer '%s' (%s) is not an XNNPACK, Winograd or GEMM conv "
               "whose output channels could be permuted to DCR",
               pn->name, ws->kernel);
      continue;
    }
    if (pn->a.groups != 1) {
      snprintf(note, ns,
               "XNNPACK cannot: CRD order and the producing conv '%s' is grouped (a channel "
               "permutation would cross groups)",
               pn->name);
      continue;
    }
    ws->crd_block = n->a.block;
    size_t kl = strlen(ws->kernel);
    snprintf(ws->kernel + kl, sizeof(ws->kernel) - kl, " [out channels CRD->DCR r=%d]", n->a.block);
    rc_step* ds = &steps[i];
    ds->kind = RC_KERNEL_XNNPACK;
    ds->d2s_as_dcr = 1;
    snprintf(ds->kernel, sizeof(ds->kernel), "xnnpack:depth_to_space_nhwc_x32");
    snprintf(ds->note, sizeof(ds->note), "CRD run as DCR: '%s' writes its output channels in DCR order", pn->name);
  }

  /* Order: the steps fused into a step right after it (each reads only what
   * that step computes, or a residual computed before it: still topological). */
  int32_t w = 0;
  for (int32_t i = 0; i < nn; i++) first_fused[i] = -1;
  for (int32_t j = nn - 1; j >= 0; j--) { /* lists in ascending j */
    if (steps[j].kind != RC_KERNEL_FUSED) continue;
    const int32_t o = owner_step(steps, j);
    next_fused[j] = first_fused[o];
    first_fused[o] = j;
  }
  for (int32_t i = 0; i < nn; i++) {
    if (steps[i].kind == RC_KERNEL_FUSED) continue;
    perm[w++] = i;
    for (int32_t j = first_fused[i]; j >= 0; j = next_fused[j]) {
      if (j > i) perm[w++] = j;
    }
  }
  if (w != nn) { /* a step fused into one that runs after it */
    s = rc_error(REPCONV_ERROR_INTERNAL, "plan: %d of %d steps ordered after fusion", w, nn);
    goto done;
  }
  /* steps[k] = old steps[perm[k]], in place along the cycles of perm (a
   * step is large: no second array); first_fused marks the positions done */
  for (int32_t k = 0; k < nn; k++) first_fused[k] = 0;
  for (int32_t k = 0; k < nn; k++) {
    if (first_fused[k] || perm[k] == k) continue;
    rc_step held = steps[k];
    int32_t j = k;
    while (perm[j] != k) {
      steps[j] = steps[perm[j]];
      first_fused[j] = 1;
      j = perm[j];
    }
    steps[j] = held;
    first_fused[j] = 1;
  }
  for (int32_t i = 0; i < nn; i++) p->order[i] = steps[i].node;
  p->steps = steps;
  steps = NULL;
  if (use_wino && !p->no_chains) form_chains(g, p, readers, elided);
done:
  free(readers);
  free(sole);
  free(step_of);
  free(steps);
  free(first_fused);
  free(next_fused);
  free(perm);
  return s;
}

/* ------------------------------------------------------------------- arena */

typedef struct lifetime {
  int32_t tensor;
  int32_t first, last; /* positions in the order; inputs first = -1 */
  size_t size;         /* floats, aligned */
} lifetime;

static int by_size_desc(const void* a, const void* b) {
  const lifetime* x = a;
  const lifetime* y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->tensor - y->tensor; /* stable, deterministic */
}

static int by_offset(const void* a, const void* b) {
  size_t x = *(const size_t*)a, y = *(const size_t*)b;
  return x < y ? -1 : x > y;
}

/* Overlap queries over lifetimes: the lifetimes sorted by first position
 * are the leaves of a tree holding, per subtree, the largest last position
 * of its placed lifetimes (INT32_MIN when none is placed). The placed
 * lifetimes overlapping [a, b] are those among the leaves with first <= b
 * (a prefix) whose last >= a: a descent that skips every subtree whose max
 * is below a finds them in O((k + 1) log n). */
typedef struct live_tree {
  int32_t* max;   /* [2 * leaves], node 1 the root, leaf r at leaves + r */
  int32_t* first; /* [n]: first positions, ascending (leaf order) */
  int32_t* leaf;  /* [n]: lifetime index → leaf */
  int32_t* owner; /* [n]: leaf → lifetime index */
  int32_t leaves;
} live_tree;

static void live_tree_free(live_tree* t) {
  free(t->max);
  free(t->first);
  free(t->leaf);
  free(t->owner);
}

/* lt[0..n): the lifetimes in placement order, first in [-1, positions]. */
static int live_tree_init(live_tree* t, const lifetime* lt, int32_t n, int32_t positions) {
  memset(t, 0, sizeof(*t));
  t->leaves = 1;
  while (t->leaves < n) t->leaves *= 2;
  t->max = malloc(2 * (size_t)t->leaves * sizeof(int32_t));
  t->first = malloc(((size_t)n + 1) * sizeof(int32_t));
  t->leaf = malloc(((size_t)n + 1) * sizeof(int32_t));
  t->owner = malloc(((size_t)n + 1) * sizeof(int32_t));
  int32_t* count = calloc((size_t)positions + 2, sizeof(int32_t));
  if (!t->max || !t->first || !t->leaf || !t->owner || !count) {
    free(count);
    live_tree_free(t);
    return 0;
  }
  for (size_t i = 0; i < 2 * (size_t)t->leaves; i++) t->max[i] = INT32_MIN;
  /* counting sort by first position */
  for (int32_t i = 0; i < n; i++) count[lt[i].first + 1]++;
  for (int32_t v = 0, sum = 0; v < positions + 2; v++) {
    int32_t c = count[v];
    count[v] = sum;
    sum += c;
  }
  for (int32_t i = 0; i < n; i++) {
    int32_t r = count[lt[i].first + 1]++;
    t->leaf[i] = r;
    t->owner[r] = i;
    t->first[r] = lt[i].first;
  }
  free(count);
  return 1;
}

static void live_tree_place(live_tree* t, int32_t i, int32_t last) {
  for (int32_t v = t->leaves + t->leaf[i]; v >= 1; v /= 2) {
    if (t->max[v] < last) t->max[v] = last;
  }
}

/* Writes to busy (pairs offset, size) the placed lifetimes overlapping
 * lifetime i; returns their number. */
static int32_t live_tree_overlaps(const live_tree* t, const lifetime* lt, const size_t* offset, int32_t n, int32_t i,
                                  size_t* busy) {
  int32_t lo = 0, hi = n; /* leaves [0, lo) have first <= lt[i].last */
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (t->first[mid] <= lt[i].last) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  const int32_t end = lo, a = lt[i].first;
  /* depth-first, left child first; the stack holds right children to visit
   * (node, its first leaf, its width): at most one per level */
  int32_t st_node[32], st_lo[32], st_w[32], sp = 0, nb = 0;
  int32_t node = 1, node_lo = 0, width = t->leaves;
  for (;;) {
    if (node_lo < end && t->max[node] >= a) {
      if (width == 1) {
        const lifetime* l = &lt[t->owner[node_lo]];
        busy[2 * nb] = offset[l->tensor];
        busy[2 * nb + 1] = l->size;
        nb++;
      } else {
        width /= 2;
        st_node[sp] = 2 * node + 1;
        st_lo[sp] = node_lo + width;
        st_w[sp++] = width;
        node = 2 * node;
        continue;
      }
    }
    if (sp == 0) break;
    sp--;
    node = st_node[sp];
    node_lo = st_lo[sp];
    width = st_w[sp];
  }
  return nb;
}

/* Room for extra more plan-owned buffers. */
static int reserve_owned(rc_plan* p, int32_t extra) {
  if (p->n_owned + extra <= p->cap_owned) return 1;
  float** o = realloc(p->owned, (size_t)(p->n_owned + extra) * sizeof(float*));
  if (!o) return 0;
  p->owned = o;
  p->cap_owned = p->n_owned + extra;
  return 1;
}

static float* plan_alloc(rc_plan* p, size_t floats) {
  if (p->n_owned >= p->cap_owned) return NULL;
  float* b = malloc((floats ? floats : 1) * sizeof(float));
  if (b) p->owned[p->n_owned++] = b;
  return b;
}

/* Transforms the filters of the Winograd steps (permuting output channels
 * CRD→DCR first where a pixel shuffle follows), copies permuted biases and
 * expanded PReLU slopes, and sizes the workspace. */
static rc_status prepare_winograd(const rc_graph* g, rc_plan* p) {
  int32_t nw = 0;
  for (int32_t i = 0; i < p->n_order; i++) nw += p->steps[i].kind == RC_KERNEL_WINOGRAD;
  if (nw == 0) return REPCONV_OK;
  if (!reserve_owned(p, nw * 4)) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
  for (int32_t i = 0; i < p->n_order; i++) {
    rc_step* st = &p->steps[i];
    if (st->kind != RC_KERNEL_WINOGRAD) continue;
    const rc_node* n = &g->nodes[st->node];
    const rc_wino_variant v = (rc_wino_variant)st->wino_variant;
    const size_t cin = (size_t)g->tensors[n->inputs[0]].shape.d[1];
    const size_t cout = (size_t)g->tensors[n->inputs[1]].shape.d[0];
    const size_t ow = (size_t)g->tensors[n->output].shape.d[3];
    const float* w = g->tensors[n->inputs[1]].data;
    const float* bias = absent(n, 2) ? NULL : g->tensors[n->inputs[2]].data;
    const float* slopes = NULL;
    int64_t n_slopes = 0;
    if (st->wino_act == RC_WINO_ACT_PRELU) {
      const rc_node* a = &g->nodes[st->fused];
      slopes = g->tensors[a->inputs[1]].data;
      n_slopes = rc_shape_numel(&g->tensors[a->inputs[1]].shape);
    }
    /* perm[j]: the original channel output channel j computes. */
    size_t* perm = malloc(cout * sizeof(size_t));
    float* wp = st->crd_block ? malloc(cout * cin * 9 * sizeof(float)) : NULL;
    if (!perm || (st->crd_block && !wp)) {
      free(perm);
      free(wp);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    }
    const size_t r2 = st->crd_block ? (size_t)st->crd_block * (size_t)st->crd_block : 1, c = cout / r2;
    for (size_t j = 0; j < cout; j++) perm[j] = st->crd_block ? (j % c) * r2 + j / c : j;
    if (wp) {
      for (size_t j = 0; j < cout; j++) memcpy(wp + j * cin * 9, w + perm[j] * cin * 9, cin * 9 * sizeof(float));
      w = wp;
    }
    const size_t uf = rc_wino_filter_size(v, cout, cin);
    float* u = plan_alloc(p, uf);
    float* b = bias && st->crd_block ? plan_alloc(p, cout) : NULL;
    float* sl = slopes ? plan_alloc(p, cout) : NULL;
    if (!u || (bias && st->crd_block && !b) || (slopes && !sl)) {
      free(perm);
      free(wp);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory for the transformed filter of '%s'", n->name);
    }
    rc_wino_filter_transform(v, cout, cin, w, u);
    if (b) {
      for (size_t j = 0; j < cout; j++) b[j] = bias[perm[j]];
    }
    if (sl) {
      for (size_t j = 0; j < cout; j++) sl[j] = n_slopes == 1 ? slopes[0] : slopes[perm[j]];
    }
    free(perm);
    free(wp);
    st->wino_u = u;
    st->wino_bias = b ? b : bias;
    st->wino_slopes = sl;
    p->wino_weight_bytes += uf * sizeof(float);
    const size_t ws = rc_wino_workspace_size(v, cin, cout, ow, 0);
    if (ws > p->wino_workspace_bytes) p->wino_workspace_bytes = ws;
  }
  for (int32_t i = 0; i < p->n_order; i++) {
    if (p->steps[i].chain_len < 2) continue;
    rc_wino_chain_layer layers[RC_WINO_CHAIN_MAX];
    const size_t n = rc_plan_wino_chain(g, p, i, layers);
    const size_t ws = rc_wino_chain_workspace_size(layers, n);
    if (ws == 0) {
      return rc_error(REPCONV_ERROR_INTERNAL, "plan: the Winograd chain at '%s' does not connect",
                      g->nodes[p->steps[i].node].name);
    }
    if (ws > p->wino_workspace_bytes) p->wino_workspace_bytes = ws;
  }
  return REPCONV_OK;
}

/* Packs the weights (output channels permuted CRD→DCR where a pixel
 * shuffle follows), bias and PReLU slopes of the GEMM steps, and sizes the
 * workspace. */
static rc_status prepare_gemm(const rc_graph* g, rc_plan* p) {
  int32_t ng = 0;
  for (int32_t i = 0; i < p->n_order; i++) ng += p->steps[i].kind == RC_KERNEL_GEMM;
  if (ng == 0) return REPCONV_OK;
  if (!reserve_owned(p, ng * 3)) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
  for (int32_t i = 0; i < p->n_order; i++) {
    rc_step* st = &p->steps[i];
    if (st->kind != RC_KERNEL_GEMM) continue;
    const rc_node* n = &g->nodes[st->node];
    const rc_gemm_conv_params cp = rc_plan_gemm_params(g, n);
    const float* bias = absent(n, 2) ? NULL : g->tensors[n->inputs[2]].data;
    const float* slopes = NULL;
    int64_t n_slopes = 0;
    if (st->gemm_act == RC_GEMM_ACT_PRELU) {
      const rc_node* a = &g->nodes[st->fused];
      slopes = g->tensors[a->inputs[1]].data;
      n_slopes = rc_shape_numel(&g->tensors[a->inputs[1]].shape);
    }
    const size_t cout = (size_t)cp.out_c;
    size_t* perm = NULL;
    if (st->crd_block) { /* groups == 1 (the planner checked) */
      perm = malloc(cout * sizeof(size_t));
      if (!perm) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory for node '%s'", n->name);
      const size_t r2 = (size_t)st->crd_block * (size_t)st->crd_block, c = cout / r2;
      for (size_t j = 0; j < cout; j++) perm[j] = (j % c) * r2 + j / c;
    }
    const size_t wf = rc_gemm_packed_size(&cp), cf = rc_gemm_channels_size(&cp);
    float* w = plan_alloc(p, wf);
    float* b = bias && w ? plan_alloc(p, cf) : NULL;
    float* sl = slopes && w && (b || !bias) ? plan_alloc(p, cf) : NULL;
    if (!w || (bias && !b) || (slopes && !sl)) {
      free(perm);
      return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory for the packed weights of '%s'", n->name);
    }
    rc_gemm_pack_weights(&cp, g->tensors[n->inputs[1]].data, perm, w);
    if (b) rc_gemm_pack_channels(&cp, bias, 0, perm, b);
    if (sl) rc_gemm_pack_channels(&cp, slopes, n_slopes == 1, perm, sl);
    free(perm);
    st->gemm_w = w;
    st->gemm_bias = b;
    st->gemm_slopes = sl;
    p->gemm_weight_bytes += wf * sizeof(float);
    const size_t ws = rc_gemm_workspace_size(&cp);
    if (ws > p->gemm_workspace_bytes) p->gemm_workspace_bytes = ws;
  }
  return REPCONV_OK;
}

rc_status rc_plan_create(const rc_graph* g, int backend, rc_plan* p) {
  rc_plan_options o = {.backend = backend, .winograd = RC_WINO_OPT_AUTO};
  return rc_plan_create_ex(g, &o, p);
}

rc_status rc_plan_create_ex(const rc_graph* g, const rc_plan_options* opts, rc_plan* p) {
  memset(p, 0, sizeof(*p));
  p->backend = opts->backend;
  p->winograd = opts->winograd;
  p->autotune = opts->autotune && opts->winograd == RC_WINO_OPT_AUTO;
  p->no_chains = opts->no_chains != 0;
  p->order = malloc(((size_t)g->n_nodes + 1) * sizeof(int32_t));
  p->offset = malloc(((size_t)g->n_tensors + 1) * sizeof(size_t));
  lifetime* lt = calloc((size_t)g->n_tensors + 1, sizeof(lifetime));
  uint8_t* elided = calloc((size_t)g->n_tensors + 1, 1);
  int32_t* pos = malloc(((size_t)g->n_tensors + 1) * sizeof(int32_t));
  size_t* busy = malloc(((size_t)g->n_tensors + 1) * 2 * sizeof(size_t));
  rc_status s = REPCONV_OK;
  if (!p->order || !p->offset || !lt || !pos || !busy || !elided) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    goto done;
  }
  p->n_order = g->n_nodes;
  s = rc_graph_topo_order(g, p->order);
  if (s != REPCONV_OK) goto done;
  s = choose_kernels(g, p, elided);
  if (s != REPCONV_OK) goto done;
  s = prepare_winograd(g, p);
  if (s != REPCONV_OK) goto done;
  s = prepare_gemm(g, p);
  if (s != REPCONV_OK) goto done;

  /* Lifetimes. pos[t] = index into lt, or -1 for constants. */
  int32_t n_lt = 0;
  for (int32_t t = 0; t < g->n_tensors; t++) {
    p->offset[t] = RC_NO_OFFSET;
    pos[t] = -1;
    const rc_tensor* tt = &g->tensors[t];
    if (tt->kind == RC_TENSOR_CONST || elided[t]) continue;
    size_t floats;
    if (rc_align_size((size_t)rc_shape_numel(&tt->shape), RC_ARENA_ALIGN_FLOATS, &floats)) {
      s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: tensor '%s' too large", tt->name);
      goto done;
    }
    lt[n_lt] = (lifetime){t, tt->kind == RC_TENSOR_INPUT ? -1 : g->n_nodes, -1, floats};
    pos[t] = n_lt++;
  }
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const rc_step* st = &p->steps[i];
    if (st->kind == RC_KERNEL_FUSED) continue; /* its input is elided, its output written by the step before */
    if (st->chain_head >= 0 && st->chain_head != i) continue; /* run by its chain's head */
    const rc_node* n = &g->nodes[st->node];
    /* A chain's head writes the last member's output and reads its residual. */
    const rc_step* ls = st;
    while (ls->chain_next >= 0) ls = &p->steps[ls->chain_next];
    lifetime* o = &lt[pos[ls->out]];
    if (i < o->first) o->first = i;
    if (i > o->last) o->last = i;
    for (int32_t k = 0; k < n->n_inputs; k++) {
      int32_t t = n->inputs[k];
      if (t >= 0 && pos[t] >= 0 && lt[pos[t]].last < i) lt[pos[t]].last = i;
    }
    if (ls->kind == RC_KERNEL_WINOGRAD && ls->wino_residual >= 0) { /* the fused add's other input */
      const int32_t t = ls->wino_residual;
      if (pos[t] >= 0 && lt[pos[t]].last < i) lt[pos[t]].last = i;
    }
  }
  for (int32_t i = 0; i < g->n_outputs; i++) lt[pos[g->outputs[i]]].last = g->n_nodes;
  /* A tensor nobody reads (an unused input, a dead value) still gets room so
   * its producer can write it. */
  for (int32_t i = 0; i < n_lt; i++) {
    if (lt[i].last < lt[i].first) lt[i].last = lt[i].first;
  }

  qsort(lt, (size_t)n_lt, sizeof(lifetime), by_size_desc);
  live_tree tree;
  if (!live_tree_init(&tree, lt, n_lt, g->n_nodes)) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    goto done;
  }
  /* Overlaps examined in all: a graph where most tensors live at once (many
   * graph outputs) would make this quadratic; past the budget the remaining
   * tensors go on top of the arena, beside nothing. */
  const int64_t budget = 64 * (int64_t)n_lt + ((int64_t)1 << 22);
  int64_t examined = 0;
  size_t total = 0;
  for (int32_t i = 0; i < n_lt; i++) {
    /* Collect [offset, end) of placed tensors alive at the same time, then
     * take the lowest gap that fits. */
    size_t at = total;
    if (examined <= budget) {
      const int32_t nb = live_tree_overlaps(&tree, lt, p->offset, n_lt, i, busy);
      examined += nb;
      qsort(busy, (size_t)nb, 2 * sizeof(size_t), by_offset);
      at = 0;
      for (int32_t j = 0; j < nb; j++) {
        if (busy[2 * j] >= at + lt[i].size) break;
        size_t end = busy[2 * j] + busy[2 * j + 1];
        if (end > at) at = end;
      }
    }
    p->offset[lt[i].tensor] = at;
    live_tree_place(&tree, i, lt[i].last);
    if (at + lt[i].size > total) total = at + lt[i].size;
  }
  live_tree_free(&tree);
  p->arena_floats = total;

done:
  free(lt);
  free(elided);
  free(pos);
  free(busy);
  if (s != REPCONV_OK) rc_plan_free(p);
  return s;
}

void rc_plan_free(rc_plan* p) {
  for (int32_t i = 0; i < p->n_owned; i++) free(p->owned[i]);
  free(p->owned);
  free(p->order);
  free(p->steps);
  free(p->offset);
  memset(p, 0, sizeof(*p));
}

/* Rule: which convs and fully connected layers run on kernels/gemm
 * (docs/DESIGN.md, "Rules and their measured reasons", "GEMM"). */
#include <stdio.h>
#include <string.h>

#include "kernels/common/cpu.h"
#include "repconv.h"
#include "runtime/plan/lower.h"
#include "runtime/plan/planner.h"

/* Below this many multiply-adds a layer stays on XNNPACK under auto (the
 * call, packing and tail overheads are not worth a kernel switch), and below
 * RC_GEMM_MIN_PARALLEL_MACS it runs on the caller's thread. */
#define RC_GEMM_MIN_MACS ((int64_t)1 << 16)
#define RC_GEMM_MIN_PARALLEL_MACS ((int64_t)1 << 20)
/* On an AVX-512 CPU, fully connected layers of at most this many rows. */
#define RC_GEMM_FC_MAX_ROWS 4

/* 1 if kernels/gemm computes node n (a conv or an FC); 0 with the reason in why. */
int rc_rule_gemm_applies(const rc_graph* g, const rc_node* n, char* why, size_t why_size) {
  if (n->op != RC_OP_CONV2D && n->op != RC_OP_GEMM) return RC_WHY("not a conv or gemm");
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_shape* ys = &g->tensors[n->output].shape;
  if (!rc_input_is_const(g, n, 1)) return RC_WHY("weights are not constant");
  if (!rc_input_absent(n, 2) && !rc_input_is_const(g, n, 2)) return RC_WHY("bias is not constant");
  if (n->op == RC_OP_GEMM) {
    if (xs->ndim != 2) return RC_WHY("input of rank %d", xs->ndim);
    if (n->a.alpha != 1.0f) return RC_WHY("alpha %g", (double)n->a.alpha);
    if (!rc_input_absent(n, 2) && n->a.beta != 1.0f) return RC_WHY("beta %g", (double)n->a.beta);
    if (rc_shape_numel(&g->tensors[n->inputs[1]].shape) != xs->d[1] * ys->d[1]) return RC_WHY("weight shape");
  } else {
    if (xs->ndim != 4) return RC_WHY("input of rank %d", xs->ndim);
    for (int i = 0; i < 4; i++) {
      if (n->a.pad[i] < 0) return RC_WHY("negative padding");
    }
    if (ys->d[2] < 1 || ys->d[3] < 1) return RC_WHY("empty tensor");
  }
  if (xs->d[0] < 1 || xs->d[1] < 1 || ys->d[1] < 1) return RC_WHY("empty tensor");
  return 1;
}

/* 1 if GEMM runs node n (it applies) under backend (the auto rule in plan.h,
 * or backend GEMM); fills kind-specific step fields, kernel and note. On 0,
 * the note says why under auto when the reason is worth showing. */
int rc_rule_gemm_choose(const rc_graph* g, const rc_node* n, int backend, rc_step* st) {
  char why[160];
  if (!rc_rule_gemm_applies(g, n, why, sizeof why)) return 0;
  const rc_gemm_conv_params cp = rc_lower_gemm_params(g, n);
  const int64_t k = (int64_t)rc_gemm_k(&cp), ocg = cp.out_c / cp.groups;
  const int64_t pixels = (int64_t)cp.batch * cp.out_h * cp.out_w;
  const int64_t macs = pixels * k * cp.out_c;
  const rc_gemm_ukernel uk = rc_gemm_ukernel_resolve(RC_GEMM_UK_AUTO);
  const rc_cpu* cpu = rc_cpu_get();
  /* Debian's XNNPACK picks 512-bit kernels on AVX-512 CPUs. */
  const int xnn_wider = cpu->avx512f && rc_gemm_ukernel_nr(uk) < 32;
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
    /* (the 6×48 kernel ends an odd count of 16-lane panels with a 3-panel
     * call: no lane of a tile is wasted but past the channel count) */
    const int64_t width = rc_gemm_ukernel_nr(uk) == 32 ? 32 : 16, lanes = (ocg + width - 1) / width * width;
    if (k < 16 || ocg < 8) {
      no = "depthwise-like (K < 16 or < 8 output channels per group): XNNPACK";
    } else if (n->op == RC_OP_CONV2D && cp.in_c / cp.groups < 4 && !rc_gemm_direct_used(&cp)) {
      no = "under 4 input channels per group without the direct path, the im2col copies cost more than the GEMM: "
           "XNNPACK";
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
  if (rc_gemm_direct_used(&cp)) { /* (either backend) */
    const size_t l = strlen(why);
    snprintf(why + l, sizeof why - l, "; direct, no im2col (%d input channels)", cp.in_c);
  }
  st->gemm_threads = macs >= RC_GEMM_MIN_PARALLEL_MACS;
  snprintf(st->kernel, sizeof(st->kernel), "gemm:%s%s", rc_gemm_ukernel_name(uk),
           rc_gemm_direct_used(&cp) ? "+direct" : "");
  char before[sizeof(st->note)]; /* why not Winograd, kept in front */
  snprintf(before, sizeof before, "%s", st->note);
  if (snprintf(st->note, sizeof(st->note), "%s%sgemm: %s; %s; packed W %.2f MiB%s", before, before[0] ? "; " : "",
               shape, why, (double)rc_gemm_packed_size(&cp) * sizeof(float) / (1 << 20),
               st->gemm_threads ? "" : "; 1 thread (small layer)") < 0) {
    st->note[0] = '\0';
  }
  return 1;
}

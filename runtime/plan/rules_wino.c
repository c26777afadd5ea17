/* Rule: which 3x3 convs run on kernels/winograd, and which variant
 * (docs/DESIGN.md, "Rules and their measured reasons", "Winograd"). */
#include <stdio.h>
#include <string.h>

#include "kernels/common/cpu.h"
#include "kernels/common/size.h"
#include "repconv.h"
#include "runtime/plan/planner.h"

/* Layers whose tile GEMMs need fewer multiply-adds than this run on the
 * caller's thread: on small layers the hand-offs between the three parallel
 * phases of a tile block cost more than a second thread gains (measured:
 * docs/DESIGN.md). */
#define RC_WINO_MIN_PARALLEL_MACS ((int64_t)4 << 20)

int rc_rule_wino_applies(const rc_graph* g, const rc_node* n, char* why, size_t why_size) {
  if (n->op != RC_OP_CONV2D) return RC_WHY("not a conv");
  const rc_shape* xs = &g->tensors[n->inputs[0]].shape;
  const rc_attrs* a = &n->a;
  if (xs->ndim != 4) return RC_WHY("input of rank %d", xs->ndim);
  if (a->kernel[0] != 3 || a->kernel[1] != 3) return RC_WHY("kernel %dx%d", a->kernel[0], a->kernel[1]);
  if (!((a->stride[0] == 1 && a->stride[1] == 1) || (a->stride[0] == 2 && a->stride[1] == 2)))
    return RC_WHY("stride %dx%d", a->stride[0], a->stride[1]);
  if (a->dilation[0] != 1 || a->dilation[1] != 1) return RC_WHY("dilation %dx%d", a->dilation[0], a->dilation[1]);
  if (a->groups != 1) return RC_WHY("%d groups", a->groups);
  if (!rc_input_is_const(g, n, 1)) return RC_WHY("weights are not constant");
  if (!rc_input_absent(n, 2) && !rc_input_is_const(g, n, 2)) return RC_WHY("bias is not constant");
  for (int i = 0; i < 4; i++) {
    if (a->pad[i] < 0) return RC_WHY("negative padding");
  }
  const rc_shape* ys = &g->tensors[n->output].shape;
  if (ys->d[2] < 1 || ys->d[3] < 1 || xs->d[1] < 1 || ys->d[1] < 1) return RC_WHY("empty tensor");
  return 1;
}

const rc_wino_variant rc_rule_wino_variants[5] = {RC_WINO_F23, RC_WINO_F43, RC_WINO_F63, RC_WINO_F23S2, RC_WINO_F43S2};

/* The rule's price of a layer's transformed weights, in tiles of GEMM work:
 * each run streams U once, and on a core with two 512-bit FMA units a U
 * byte from DRAM costs about what a dozen tile-GEMM multiply-adds do (4
 * bytes x 12: 48); where AVX-512 runs on 256-bit units (Zen 4) the
 * multiply-adds cost twice as many cycles against the same memory, and 8
 * measured best (docs/DESIGN.md, "Winograd"). A plan for one thread on
 * two 512-bit units pays 14 for a layer whose tiles fit one block (U read
 * once, from DRAM): that core has the memory to itself (45 GB/s on Zen 5,
 * where two threads draw 27 each and each streams all of a few-tile
 * layer's U). On 1 thread (Zen 5, alternated steady runs, 48 → this):
 * RepVGG-A0 5.84 → 5.18 ms (F(4,3) at 14x14, F(6,3) at 28x28), -B0 11.80
 * → 11.62, DBB-ResNet18 8.29 → 8.29. On 2 threads 14 cost RepVGG-B0 6.56
 * → 6.85 ms, DBB-ResNet18 4.98 → 5.10 and RepVGG-A0 nothing. Layers of
 * several blocks read U again per block from L2 or L3, which one thread's
 * bandwidth does not change: 14 there put F(6,3) at 56x56 with 64
 * channels, 3-6% slower than F(4,3) in DBB-ResNet18 and RepVGG-B0. */
int rc_rule_wino_weight_tiles(int threads, int one_block) {
  if (rc_cpu_get()->avx512_256bit) return 8;
  return threads <= 1 && one_block && rc_wino_isa_resolve(RC_WINO_ISA_AUTO) == RC_WINO_ISA_AVX512F ? 14 : 48;
}

/* F(6,3) under 32 channels: its transforms cost the most per output, and
 * they dominate when the GEMMs are short. With the factored transforms
 * (wino_transform.h) they pay on the ISAs measured: the ECBSR-M4C16 chain at
 * 540x960 (all 16 or fewer channels), F(4,3) -> F(6,3), Xeon with 2 vCPUs:
 * AVX-512F 54.1-55.9 -> 50.9-51.1 ms on 1 thread; AVX2 73.9-77.2 -> 65.1-65.9
 * on 1 and 39.4-39.7 -> 34.7-35.1 on 2 (with the matrix-form transforms
 * AVX2 lost 2-3% on 1 thread). Not measured on NEON hardware; the scalar
 * kernels keep the matrix form. */
int rc_rule_wino_f63_considered(size_t cin, size_t cout) {
  const rc_wino_isa isa = rc_wino_isa_resolve(RC_WINO_ISA_AUTO);
  return (cin >= 32 && cout >= 32) || isa == RC_WINO_ISA_AVX512F || isa == RC_WINO_ISA_AVX2;
}

/* The single node reading tensor t, or NULL (several, none, or an output). */
static const rc_node* only_reader(const rc_graph* g, const rc_readers* ri, int32_t t) {
  return ri->count[t] == 1 ? &g->nodes[ri->sole[t]] : NULL;
}

/* Conv n, which Winograd applies to, would head a chain: chains are on, its
 * output is large, and its only reader (after at most one ReLU, clip or
 * PReLU, fused into it) is a conv Winograd applies to. Then even a conv with
 * Cin < 4 (a super-resolution net's first layer) goes to Winograd: in a chain
 * its 16-channel output never goes to memory, which outweighs the short
 * GEMMs. */
int rc_rule_wino_can_head_chain(const rc_graph* g, const rc_plan* p, const rc_node* n, const rc_readers* readers) {
  if (!p->chains || p->winograd != REPCONV_WINOGRAD_AUTO) return 0;
  int32_t t = n->output;
  if ((size_t)rc_shape_numel(&g->tensors[t].shape) * sizeof(float) < RC_WINO_CHAIN_MIN_BYTES) return 0;
  const rc_node* r = only_reader(g, readers, t);
  if (r && (r->op == RC_OP_RELU || r->op == RC_OP_CLIP || r->op == RC_OP_PRELU) && r->inputs[0] == t) {
    t = r->output;
    r = only_reader(g, readers, t);
  }
  char why[8];
  return r && r->op == RC_OP_CONV2D && r->inputs[0] == t && r->a.stride[0] == 1 && n->a.stride[0] == 1 &&
         rc_rule_wino_applies(g, r, why, sizeof why);
}

/* A stride-2 conv (RC_WINO_F23S2: 25 tile-GEMM multiply-adds for 4 outputs
 * where the GEMM conv spends 36, plus its im2col copies) goes to Winograd
 * from RC_WINO_S2_MIN_CIN input channels and RC_WINO_S2_MIN_TILES 2x2
 * tiles, with U (16/9 of the weights: wino.h) under the cap. Measured (Zen
 * 4, 1 thread, repconv_bench gemm/ cases, against the better of the GEMM and XNNPACK):
 * 16 → 32 channels at 540x960 15.3 against 19.5 ms, 8 → 16 at 256² 0.78
 * against 0.52; 49 tiles of 96 → 192 0.45 against 0.59. 16 tiles (a 7x7
 * output, RepVGG-A0's stage4.0, 192 → 1280): 2.37 against 1.97 while its
 * last tile row and column were whole 2x2 tiles (20² GEMM rows a channel
 * pair); with the one-output border tiles (18², against the GEMM conv's
 * 49·9 = 21²) 1.68–1.79 against 2.09–2.12 in the network, 2 threads
 * 0.89–0.97 against 1.08–1.12, AVX2 1.72–1.87 against 2.09–2.22 (`bench
 * --steady --profile`, backend winograd against auto, alternated). Fewer
 * tiles stream U (64 bytes a channel pair) over fewer rows: 192 → 1280
 * alone (wino_time with U cycled from DRAM against gemm_time), 6x6 (9
 * tiles, 15² rows against 18²) 1.31–1.38 ms against 1.77–1.87, 5x5 (9
 * tiles, 13² against 15²) 1.10–1.31 against 1.18–1.22, 4x4 (4 tiles)
 * 0.96–1.00 against 0.98–1.04, 3x3 0.97–1.02 against 0.82–0.94.
 * docs/DESIGN.md, "Stride-2 Winograd". */
#define RC_WINO_S2_MIN_CIN 16
#define RC_WINO_S2_MIN_TILES 9

/* The first stride-2 variant's index in rc_rule_wino_variants (F(2,3);
 * F(4,3) follows). */
#define S2_F23 3

/* Between the two stride-2 variants, as between the stride-1 ones (below):
 * the least tile-GEMM rows plus the weight price per position each GEMM
 * reads U at (α², shared positions counted at each: their panels are read
 * again). F(4,3) stride 2 needs 81 rows for 16 outputs against 100, but
 * wastes more on an axis of 4k + 1 or 2 pixels (14: 36 rows against 35). */
static int choose_stride2(const rc_graph* g, const rc_node* n, int backend, int forced, int threads, rc_step* st) {
  const rc_shape* ys = &g->tensors[n->output].shape;
  const size_t cin = (size_t)g->tensors[n->inputs[0]].shape.d[1], cout = (size_t)ys->d[1];
  const size_t oh = (size_t)ys->d[2], ow = (size_t)ys->d[3], batch = (size_t)ys->d[0];
  const size_t tiles2 = rc_ceil_div(oh, 2) * rc_ceil_div(ow, 2) * batch;
  size_t work[2], ubytes[2], tiles[2], rows[2];
  for (int i = 0; i < 2; i++) {
    const rc_wino_variant v = rc_rule_wino_variants[S2_F23 + i];
    const size_t m = (size_t)rc_wino_tile_m(v), a = (size_t)rc_wino_tile_alpha(v);
    tiles[i] = rc_ceil_div(oh, m) * rc_ceil_div(ow, m) * batch;
    const size_t blocks = rc_wino_blocks(v, cin, cout, ow, tiles[i], 0);
    /* GEMM rows: α² a tile, fewer on border tiles (rc_wino_axis_points) */
    rows[i] = rc_wino_axis_points(v, oh) * rc_wino_axis_points(v, ow) * batch;
    work[i] = rows[i] + (size_t)rc_rule_wino_weight_tiles(threads, blocks <= 1) * a * a;
    ubytes[i] = rc_wino_filter_size(v, cout, cin) * sizeof(float);
  }
  if (backend == REPCONV_BACKEND_AUTO) {
    const char* no = cin < RC_WINO_S2_MIN_CIN         ? "too few input channels"
                     : tiles2 < RC_WINO_S2_MIN_TILES  ? "too few tiles"
                     : ubytes[0] > RC_WINO_WEIGHT_CAP ? "transformed weights over the cap"
                                                      : NULL;
    if (no) {
      snprintf(st->note, sizeof(st->note),
               "stride-2 Winograd not chosen: C %zu→%zu, %zux%zu (%zu tiles of 2x2), U %.2f MiB: %s", cin, cout, oh, ow,
               tiles2, (double)ubytes[0] / (1 << 20), no);
      return -1;
    }
  }
  /* The option: F23 forces F(2,3) on the phases, F43 and F63 F(4,3) (the
   * largest stride-2 tile); AUTO takes the least work under the cap. */
  const int i = forced == REPCONV_WINOGRAD_F23                                     ? 0
                : forced == REPCONV_WINOGRAD_F43 || forced == REPCONV_WINOGRAD_F63 ? 1
                : work[1] < work[0] && ubytes[1] <= RC_WINO_WEIGHT_CAP             ? 1
                                                                                   : 0;
  const rc_wino_variant v = rc_rule_wino_variants[S2_F23 + i];
  const size_t m = (size_t)rc_wino_tile_m(v), a = (size_t)rc_wino_tile_alpha(v);
  const int64_t macs = (int64_t)rows[i] * (int64_t)cin * (int64_t)cout;
  st->wino_variant = (int32_t)v;
  st->wino_threads = macs >= RC_WINO_MIN_PARALLEL_MACS;
  snprintf(st->kernel, sizeof(st->kernel), "winograd:wino%zu3s2__%s", m,
           rc_wino_isa_name(rc_wino_isa_resolve(RC_WINO_ISA_AUTO)));
  /* (the return value is used: a long note is cut, by design) */
  if (snprintf(st->note, sizeof(st->note),
               "wino%zu3s2: stride 2, C %zu→%zu, %zux%zu (%zu tiles of %zux%zu, α %zu: %zu products for %zu outputs "
               "against %zu; %zu GEMM rows a channel pair against %zu direct); %s (F2s2 %zu, F4s2 %zu); U %.2f MiB%s",
               m, cin, cout, oh, ow, tiles[i], m, m, a, a * a, m * m, 9 * m * m, rows[i], 9 * oh * ow * batch,
               forced > 0 ? "forced by the option" : "least GEMM rows + w·α²", work[0], work[1],
               (double)ubytes[i] / (1 << 20), st->wino_threads ? "" : "; 1 thread (small layer)") < 0) {
    st->note[0] = '\0';
  }
  return S2_F23 + i;
}

int rc_rule_wino_choose(const rc_graph* g, const rc_node* n, int backend, int forced, int chain_head, int threads,
                        rc_step* st) {
  if (n->a.stride[0] == 2) return choose_stride2(g, n, backend, forced, threads, st);
  const rc_shape* ys = &g->tensors[n->output].shape;
  const size_t cin = (size_t)g->tensors[n->inputs[0]].shape.d[1], cout = (size_t)ys->d[1];
  const size_t oh = (size_t)ys->d[2], ow = (size_t)ys->d[3];
  size_t work[3], ubytes[3], tiles[3];
  int wt[3];
  for (int i = 0; i < 3; i++) {
    const size_t m = (size_t)rc_wino_tile_m(rc_rule_wino_variants[i]), al = m + 2;
    tiles[i] = rc_ceil_div(oh, m) * rc_ceil_div(ow, m);
    /* α² per tile, less on border tiles (rc_wino_axis_points); direct
     * tiles (few input channels) have none */
    const rc_wino_variant wv = rc_rule_wino_variants[i];
    const size_t py = rc_wino_is_direct(wv, cin) ? rc_ceil_div(oh, m) * al : rc_wino_axis_points(wv, oh);
    const size_t px = rc_wino_is_direct(wv, cin) ? rc_ceil_div(ow, m) * al : rc_wino_axis_points(wv, ow);
    const size_t blocks = rc_wino_blocks(wv, cin, cout, ow, tiles[i] * (size_t)ys->d[0], 0);
    wt[i] = rc_rule_wino_weight_tiles(threads, blocks <= 1);
    work[i] = py * px * (size_t)ys->d[0] + (size_t)wt[i] * al * al;
    ubytes[i] = rc_wino_filter_size(rc_rule_wino_variants[i], cout, cin) * sizeof(float);
  }
  int v = -1;
  char why[160];
  if (forced == REPCONV_WINOGRAD_F23 || forced == REPCONV_WINOGRAD_F43 || forced == REPCONV_WINOGRAD_F63) {
    v = forced / 2 - 1; /* the option's values are the tile sides 2, 4, 6 */
    snprintf(why, sizeof(why), "forced by the option");
  } else {
    const int f63 = rc_rule_wino_f63_considered(cin, cout);
    int capped = 0;
    for (int i = 0; i < 3; i++) {
      if (i == 2 && !f63) continue;
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
      if (f63) {
        snprintf(why, sizeof(why), "least GEMM rows + w·α², w %d/%d/%d (F2 %zu, F4 %zu, F6 %zu)", wt[0], wt[1], wt[2],
                 work[0], work[1], work[2]);
      } else {
        snprintf(why, sizeof(why), "least GEMM rows + w·α², w %d/%d (F2 %zu, F4 %zu; F6 for C ≥ 32 here)", wt[0], wt[1],
                 work[0], work[1]);
      }
      if (capped) {
        const size_t l = strlen(why);
        snprintf(why + l, sizeof(why) - l, " with larger tiles over the %zu MiB weight cap", RC_WINO_WEIGHT_CAP >> 20);
      }
    }
  }
  const size_t m = (size_t)rc_wino_tile_m(rc_rule_wino_variants[v]);
  const int64_t macs = (int64_t)(work[v] * (size_t)ys->d[0]) * (int64_t)cin * (int64_t)cout;
  st->wino_variant = (int32_t)rc_rule_wino_variants[v];
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

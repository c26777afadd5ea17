/* Winograd blocking: how many tiles a block takes (its V and M in L2, or
 * as much memory as U), the blocks of a run, and the workspace a thread's
 * slice needs (wino.h, wino_run.h). */
#include "kernels/winograd/wino.h"

#include "kernels/common/cpu.h"
#include "kernels/common/size.h"
#include "kernels/gemm/gemm_ukernels.h"
#include "kernels/winograd/wino_gemm.h"
#include "kernels/winograd/wino_run.h"

#define DEFAULT_L2_BYTES ((size_t)512 * 1024)

size_t rc_wino_default_l2_bytes(void) {
  const size_t l2 = rc_cpu_get()->l2_bytes;
  return l2 ? l2 : DEFAULT_L2_BYTES;
}

static size_t bytes_per_tile(rc_wino_variant v, size_t in_c, size_t out_c) {
  const size_t a = (size_t)rc_wino_tile_alpha(v);
  return a * a * (rc_round_up(in_c, RC_WINO_V_CPAD) + rc_round_up(out_c, RC_WINO_M_CPAD)) * sizeof(float);
}

size_t rc_wino_block_tiles(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t l2_bytes) {
  const size_t l2 = l2_bytes ? l2_bytes : rc_wino_default_l2_bytes();
  const size_t m = (size_t)rc_wino_tile_m(v);
  const size_t tiles_w = out_w ? (out_w + m - 1) / m : 1;
  /* A block's V and M take at most half of L2; the rest is for the U panel,
   * the input rows being read and the output rows being written. */
  const size_t max_tiles = l2 / 2 / bytes_per_tile(v, in_c, out_c);
  const size_t mr = RC_WINO_GEMM_MR_MAX; /* a multiple of every ISA's mr */
  /* Whole tile rows (a band) when that loses at most a quarter of the
   * budget; otherwise a multiple of the GEMM tile (blocks then start
   * mid-row, which the driver handles). Never below one GEMM tile. At
   * stride 2 a band only of whole GEMM tiles: the 6-row tile GEMMs (AVX2,
   * NEON) compute a block's last partial tile whole, and F(4,3) stride 2's
   * α² = 81 positions leave room for a band of one tile row (RepVGG-A0's
   * stage1.0: 14 tiles, 6 + 6 + 2 rows; AVX2, Zen 4, wino_time: 1.05 ms in
   * bands of 14, 0.89–0.98 in blocks of 12, F(2,3) stride 2 1.02). */
  const size_t rows = max_tiles / tiles_w;
  if (rows > 0 && rows * tiles_w * 4 >= max_tiles * 3 && (rc_wino_stride(v) == 1 || rows * tiles_w % mr == 0))
    return rows * tiles_w;
  return max_tiles < mr ? mr : max_tiles / mr * mr;
}

/* V and M of this many tiles take as much memory as the U panels a block's
 * GEMMs read (rounded to the GEMM tile). A conv whose tiles all fit in that
 * runs as one block: with few tiles and large weights (RepVGG's 14x14
 * stages: 16 tiles, 5.3 MiB of U) streaming U once per L2-sized block would
 * cost more than V and M leaving L2. α² panels, a stride-2 conv's shared
 * ones counted at each position (its GEMMs read them again, non-temporal
 * lines from memory): counted once, RepVGG-A0's stage3.0 (49 tiles, 1.1 MiB
 * stored) went to blocks of 14 tiles and from 0.20 to 0.22 ms. Depends on
 * the channels only, so the workspace stays independent of the image
 * height. */
static size_t u_tiles(rc_wino_variant v, size_t in_c, size_t out_c) {
  const size_t a = (size_t)rc_wino_tile_alpha(v);
  const size_t u = (rc_wino_is_direct(v, in_c) ? 9 : a * a) * rc_round_up(out_c, RC_GEMM_NR) * in_c * sizeof(float);
  return rc_round_up(u / bytes_per_tile(v, in_c, out_c), RC_WINO_GEMM_MR_MAX);
}

/* The block of a run over `total` tiles on `threads` threads (see u_tiles).
 * A conv that is one block gets its own tile count: V and M are strided by
 * it, so that they take the slice's first lines, the ones the convs before
 * used (and are still in L2 or L3), not lines spread over the whole block's
 * span (RepVGG-A0's 14x14 layers, 16 tiles in blocks of 24: 1.3 MB of span
 * for 0.86 MB of V and M).
 * On several threads, a conv of a few blocks runs one block per thread when
 * a thread's share of the tiles fits in its workspace slice and its V and M
 * in 3/4 of L2: each block streams U once, and ranges of at most one
 * L2-half block (one per thread at least) streamed it more often than the
 * larger V and M cost (Zen 4, 1 MiB L2, C96 28x28 F(4,3), 49 tiles,
 * wino_time, U cycled over 16 copies: 2 threads 0.203-0.213 ms with 4
 * blocks of 14 tiles, 0.166-0.168 with 2 of 25; docs/DESIGN.md). */
size_t rc_wino_run_block_tiles(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t l2_bytes,
                               size_t total, size_t threads) {
  const size_t t = rc_wino_block_tiles(v, in_c, out_c, out_w, l2_bytes), tu = u_tiles(v, in_c, out_c);
  if (total > t && total <= tu) return total;
  if (threads > 1 && total > t) {
    const size_t share = (total + threads - 1) / threads, l2 = l2_bytes ? l2_bytes : rc_wino_default_l2_bytes();
    if (share > t && share <= (t > tu ? t : tu) && share * bytes_per_tile(v, in_c, out_c) <= l2 / 4 * 3) return share;
  }
  return total && total < t ? total : t;
}

/* At a stride of a multiple of 8 lines, the α² positions of a tile's
 * 64-byte chunk fall into at most 8 of a 32 KiB L1's 64 sets (16 tiles of
 * 192 channels: all 36 into one), and the transforms, which touch them all
 * per chunk, miss L1: RepVGG-A0's stage3 (F(4,3), 16 tiles) on Zen 4, AVX2,
 * 1 thread, 0.437 ms a layer with 16 rows, 0.411 with the block's 24 (2
 * sets), 0.398 with 17 (16 sets); AVX-512 0.371 → 0.363; a lone C64 56x56
 * F(6,3) conv in blocks of 12, 0.634 → 0.619 ms with 13 rows. */
static int aliased(size_t rows, size_t cpad) { return cpad % 128 != 0 && (rows * cpad) % 128 == 0; }

size_t rc_wino_unaliased_tiles(size_t tiles, size_t limit, size_t cin_pad, size_t cout_pad) {
  for (size_t n = tiles; n <= limit; n++)
    if (!aliased(n, cin_pad) && !aliased(n, cout_pad)) return n;
  return tiles;
}

size_t rc_wino_blocks(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t tiles, size_t l2_bytes) {
  const size_t t = rc_wino_run_block_tiles(v, in_c, out_c, out_w, l2_bytes, tiles, 1);
  return (tiles + t - 1) / t;
}

/* Floats of the post-store scratch: two output tiles (output_tiles), channels
 * padded like M, then one tile row segment of a residual read through its
 * binding. */
size_t rc_wino_scratch_floats(rc_wino_variant v, size_t out_c) {
  const size_t m = (size_t)rc_wino_tile_m(v);
  return (2 * m * m + m) * rc_round_up(out_c, RC_WINO_M_CPAD);
}

size_t rc_wino_load_cache_bytes(const rc_wino_conv_params* p) {
  if (!p->load) return 0;
  return rc_round_up((size_t)rc_wino_tile_alpha(p->variant) * (size_t)p->in_w * (size_t)p->in_c * sizeof(float),
                     RC_WINO_WS_ALIGN);
}

size_t rc_wino_slice_bytes(const rc_wino_conv_params* p) {
  return rc_wino_workspace_size(p->variant, (size_t)p->in_c, (size_t)p->out_c, (size_t)p->out_w, p->l2_bytes,
                                p->u_half != NULL) +
         rc_wino_load_cache_bytes(p);
}

/* Floats of the converted U panel of a run with u_half (at the slice's
 * start): one GEMM call sequence's panel, in_c × at most
 * RC_WINO_GEMM_WIDE_NVMAX blocks of 16 lanes, rounded to the alignment. */
size_t rc_wino_panel_floats(size_t in_c, int u_half) {
  return u_half ? rc_round_up(in_c * RC_WINO_GEMM_WIDE_NVMAX * RC_GEMM_NR, RC_WINO_WS_ALIGN / sizeof(float)) : 0;
}

size_t rc_wino_slice_rows(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t l2_bytes) {
  const size_t tl = rc_wino_block_tiles(v, in_c, out_c, out_w, l2_bytes), tu = u_tiles(v, in_c, out_c);
  return (tl > tu ? tl : tu) + 1; /* + 1: room for an unaliased stride (rc_wino_unaliased_tiles) */
}

size_t rc_wino_workspace_size(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t l2_bytes, int u_half) {
  const size_t t = rc_wino_slice_rows(v, in_c, out_c, out_w, l2_bytes);
  /* A multiple of the alignment, so per-thread slices stay aligned. */
  return rc_round_up(RC_WINO_WS_ALIGN + rc_wino_panel_floats(in_c, u_half) * sizeof(float) +
                         t * bytes_per_tile(v, in_c, out_c) + rc_wino_scratch_floats(v, out_c) * sizeof(float),
                     RC_WINO_WS_ALIGN);
}

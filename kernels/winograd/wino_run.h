/* The Winograd driver's per-run state, shared by the one-conv driver
 * (wino.c) and the chain (wino_chain.c). Internal to kernels/winograd/. */
#ifndef RC_KERNELS_WINO_RUN_H
#define RC_KERNELS_WINO_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/winograd/wino.h"
#include "kernels/winograd/wino_gemm.h"
#include "kernels/winograd/wino_ukernels.h"

/* Workspace alignment (bytes): a cache line, the widest vector. */
#define RC_WINO_WS_ALIGN 64

typedef struct rc_wino_ukernels {
  rc_wino_input_fn input[RC_WINO_VARIANT_COUNT];
  rc_wino_output_fn output[RC_WINO_VARIANT_COUNT];
  rc_wino_direct_fn direct[RC_WINO_VARIANT_COUNT];
  /* Each variant's tiles by the kind of their axes y, x (RC_WINO_AXIS_*;
   * [v][0][0] the square tile; NULL where no variant nests: F(4,3)
   * stride 2). */
  rc_wino_input_fn border_input[RC_WINO_VARIANT_COUNT][RC_WINO_AXIS_KINDS][RC_WINO_AXIS_KINDS];
  rc_wino_output_fn border_output[RC_WINO_VARIANT_COUNT][RC_WINO_AXIS_KINDS][RC_WINO_AXIS_KINDS];
  rc_gemm_tile_fn gemm; /* gemm_mr × RC_GEMM_NR */
  size_t gemm_mr;
  rc_gemm_tile_fn gemm8; /* for ≤ 8 output channels: gemm8_mr × 8, or NULL (gemm serves) */
  size_t gemm8_mr;
  rc_gemm_tile_fn gemm4; /* for ≤ 4 output channels: gemm4_mr × 4, or NULL (gemm8 or gemm serves) */
  size_t gemm4_mr;
  rc_wino_gemm_wide_fn wide; /* the wide tile GEMM (wino_gemm.h), or NULL: gemm serves */
} rc_wino_ukernels;

/* rc_wino_run.grouped: the order of border tiles in V's and M's rows. */
#define RC_WINO_GROUP_IMAGE 1
#define RC_WINO_GROUP_BLOCK 2

typedef struct rc_wino_run {
  const rc_wino_ukernels* k;
  rc_wino_variant variant;
  /* x and y are tensors of whole NHWC images, or (x_ring, y_ring > 0, in a
   * chain) rings of that many row slots holding one image's rows, row r in
   * slot r mod ring. */
  const float* x;
  const float* u;
  float* y;
  size_t x_ring, y_ring;
  /* Ring rows may hold a column slice (a chain at large widths): a slot of
   * x holds x_row floats, columns from x_col0 on; likewise y. Tensors:
   * whole rows (in_w·cin, out_w·cout floats), column 0. */
  size_t x_row, x_col0, y_row, y_col0;
  const uint16_t* u_half; /* U as halves (params' u_half), or NULL: u */
  float* u_panel;         /* with u_half: one converted U panel */
  float* v;               /* V[ξ][vm_rows][cin_pad] */
  float* m;               /* M[ξ][vm_rows][cout_pad] */
  float* scratch;         /* post-storing: two tile slots [tile_m][tile_m][cout_pad], a residual row segment */
  rc_wino_epilogue ep;
  rc_wino_epilogue ep_bias; /* post-store: the transform adds only the bias */
  int post;                 /* residual, shuffle or store: transform to scratch, then post_store */
  const float* residual;
  const rc_binding* store;         /* the output binding, or NULL: y */
  const rc_binding* load;          /* the input binding (a chain's first layer), or NULL: x */
  const rc_binding* residual_load; /* the residual's binding, or NULL: residual */
  const rc_convert_kernels* conv;  /* the ISA's conversion kernels (bindings, U as halves) */
  size_t residual_c, shuffle;
  int shuffle_crd;
  int32_t in_h, in_w, out_h, out_w, pad_top, pad_left;
  size_t cin, cout, cin_pad, cout_pad, cout_blocks;
  int direct;                /* rc_wino_is_direct: tiles computed directly from u's 3×3 weights */
  size_t gemm_nv;            /* wide GEMM: 16-channel blocks per call (0: the tile GEMM below) */
  unsigned u_pf;             /* the wide GEMM's prefetch of U: RC_WINO_PF_* (wino_gemm.h) */
  rc_gemm_tile_fn tile_gemm; /* without the wide GEMM: the ISA's GEMM, or its ≤ 8- or ≤ 4-channel one */
  size_t tile_mr;            /* its rows per call */
  size_t gemm_groups;        /* GEMM column groups per position ξ: ⌈cout_blocks / gemm_nv⌉, or cout_blocks */
  size_t tile_m, tiles_w, tiles_h, tiles_per_image, a2;
  /* Border tiles (wino_ukernels.h): the nested variant of the last tile
   * row (by) and column (bx), RC_WINO_AXIS_* (FULL: none); border: either.
   * With border, the rows of V and M hold the tiles by class, bottom row,
   * interior, right column, corner (corner tiles are neither of the
   * others), so that each position ξ's GEMM runs over one range of them
   * (rc_wino_xi_next): per image (grouped RC_WINO_GROUP_IMAGE), or among
   * each block's tiles (RC_WINO_GROUP_BLOCK: chains, and convs with an
   * input binding, whose row cache must see the tiles in raster order: the
   * transforms walk them so, rc_wino_slot). Without: raster order (0). */
  size_t by, bx;
  int border;
  int grouped;
  /* RC_WINO_GROUP_BLOCK: per class (bottom, interior, right, corner), its
   * tiles before the current block and in it (rc_wino_block_classes). */
  size_t class_before[4], class_count[4];
  size_t alpha, tile_step; /* the input window's side; input pixels from one tile to the next (m · stride) */
  size_t block_tiles;      /* tiles per block */
  size_t vm_rows;          /* rows of V and M per position ξ (their ξ stride): block_tiles or a few more */
  size_t first, count;     /* the current block: tiles [first, first + count) */
  size_t rows_key;         /* 1 + image·tiles_h + tile row whose input rows are in rows[], 0: none */
  const float* rows[RC_WINO_MAX_ALPHA]; /* the α input rows of that tile row (NULL outside the image) */
  /* With load: the cache after the post-store scratch holds α converted
   * input rows, row iy of image n in slot iy mod α; the tags say which
   * (1 + n·in_h + iy, 0: none). Cleared by each rc_wino_run_range (a chain's
   * other layers use the same workspace in between). */
  size_t cache_tag[RC_WINO_MAX_ALPHA];
} rc_wino_run;

/* Blocking (wino_block.c). The tiles of a block in a run over `total`
 * tiles on `threads` threads; the floats of a slice's post-store scratch
 * (two output tiles and a residual row segment) and of its converted U
 * panel (with u_half; 0 without). */
size_t rc_wino_run_block_tiles(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t l2_bytes,
                               size_t total, size_t threads);
size_t rc_wino_scratch_floats(rc_wino_variant v, size_t out_c);
size_t rc_wino_panel_floats(size_t in_c, int u_half);

/* The rows of V and M a slice holds (rc_wino_workspace_size's). */
size_t rc_wino_slice_rows(rc_wino_variant v, size_t in_c, size_t out_c, size_t out_w, size_t l2_bytes);

/* The row count of V and M for a block of `tiles` tiles, at most `limit`:
 * the least count from `tiles` whose position strides (count × cin_pad and
 * × cout_pad floats) are not multiples of 128 floats (eight 64-byte
 * lines), else `tiles`; a padding that is itself a multiple of 128 (every
 * count aliases) is not counted. */
size_t rc_wino_unaliased_tiles(size_t tiles, size_t limit, size_t cin_pad, size_t cout_pad);

/* Border tiles (wino_border.c). The kind of the last tile of an axis of
 * `out` pixels (RC_WINO_AXIS_*: a nested F(1,3) for 1 pixel past a multiple
 * of m in F(2,3) and F(2,3) stride 2, F(2,3) for 1–2 in F(4,3) and F(6,3),
 * F(4,3) for 3–4 in F(6,3); FULL otherwise and for F(4,3) stride 2). */
size_t rc_wino_border_axis(rc_wino_variant v, size_t out);

/* The wide GEMM's group width (blocks of 16 output channels a call) for
 * `count` tiles and a sequence of calls over `blocks` blocks: the least
 * cost (wino.c, wide_cost); among equal costs the widest that splits the
 * blocks evenly, as the next group's panel is prefetched during this
 * group's calls: groups of 4 and 2 ask for 48 KB in the 2-wide group's
 * time and 24 KB in the 4-wide one's. RepVGG-A0's C192 14x14 F(4,3) on 2
 * threads (6 blocks a thread, U from DRAM, wino_time, Zen 4): 3 + 3
 * 0.231–0.245 ms against 4 + 2's 0.258–0.266 (2 + 2 + 2: 0.28–0.32); on 1
 * thread (12 blocks) 4 + 4 + 4 0.408–0.439 against 3s' 0.435–0.448. */
size_t rc_wino_wide_nv(size_t count, size_t blocks);

/* Whether the wide GEMM prefetches the next U panel with the non-temporal
 * hint: when a column group's panel (in_c rows of gemm_nv·16 floats) fits
 * in the L1d (l1d_bytes; 0 unknown: no), where the group's later calls find
 * it (a non-temporal line may live in L1 only). U streamed that way stays
 * out of L2, where the block's V and M are, and out of L3, where the
 * network's other weights and activations then survive from frame to
 * frame (RepVGG-A0's 14x14 stage alone streams 33 MB of U, more than the
 * L3). Zen 5, alternated steady runs, T1 → NTA: RepVGG-A0 2 threads 3.68 →
 * 3.25 ms, 1 thread 6.36 → 6.22; its stage3 layers 3–6% faster;
 * RepVGG-B0 2 threads 6.65 → 6.31; DBB-ResNet18 5.39 → 5.08; ECBSR
 * unchanged (14.69 vs 14.59, 26.61 vs 26.73). */
static inline int rc_wino_u_nta(size_t in_c, size_t gemm_nv, size_t l1d_bytes) {
  return gemm_nv > 0 && l1d_bytes > 0 && in_c * gemm_nv * 16 * sizeof(float) <= l1d_bytes;
}
/* Tile t of the block: image n, tile row ty and column tx, and the kind of
 * its axes (FULL but on border tiles). */
typedef struct rc_wino_tile {
  size_t n, ty, tx, ky, kx;
} rc_wino_tile;
rc_wino_tile rc_wino_tile_at_border(const rc_wino_run* c, size_t t);
static inline rc_wino_tile rc_wino_tile_at(const rc_wino_run* c, size_t t) {
  if (c->border) return rc_wino_tile_at_border(c, t);
  const size_t g = c->first + t, r = g % c->tiles_per_image;
  const rc_wino_tile p = {g / c->tiles_per_image, r / c->tiles_w, r % c->tiles_w, RC_WINO_AXIS_FULL, RC_WINO_AXIS_FULL};
  return p;
}
/* RC_WINO_GROUP_BLOCK: the classes of the block [first, first + count). */
void rc_wino_block_classes(rc_wino_run* c);
/* The V and M row (slot) of the block's tile j in raster order. */
size_t rc_wino_slot_border(const rc_wino_run* c, size_t j);
static inline size_t rc_wino_slot(const rc_wino_run* c, size_t j) {
  return c->grouped == RC_WINO_GROUP_BLOCK ? rc_wino_slot_border(c, j) : j;
}
/* The tiles that use position xi: from tile pos of the block on, the next
 * range [returned, *end) of them (c->count: none left); all of the block's
 * without border tiles. */
size_t rc_wino_xi_next_border(const rc_wino_run* c, size_t xi, size_t pos, size_t* end);
static inline size_t rc_wino_xi_next(const rc_wino_run* c, size_t xi, size_t pos, size_t* end) {
  *end = c->count;
  return c->border && pos < c->count ? rc_wino_xi_next_border(c, xi, pos, end) : pos;
}

/* The run state of one conv over x and y (tensors; a chain then sets the
 * rings), its block buffers at the start of the aligned workspace slice ws. */
void rc_wino_run_init(rc_wino_run* c, const rc_wino_conv_params* p, const float* x, const float* u, const float* bias,
                      float* y, float* ws);
/* Tiles [begin, end) (raster order over batch × tile rows × tile columns),
 * block by block, on the caller's thread. */
void rc_wino_run_range(rc_wino_run* c, size_t begin, size_t end);
/* Tile (rows × cols pixels, top-left output pixel (oy, ox) of image n),
 * transformed into `tile` (a slot of c->scratch: [rows][cols] pixels of cout
 * channels, rows tile_m pixels apart, bias added), finished there and
 * stored: + residual, activation, then to y (NHWC or depth-to-space) or to
 * the output binding (wino_post.c). */
void rc_wino_post_store(const rc_wino_run* c, float* tile, size_t n, size_t oy, size_t ox, size_t rows, size_t cols);
/* The workspace pointer rounded up to the kernels' alignment. */
float* rc_wino_align_ws(void* workspace);

#endif

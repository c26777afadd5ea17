/* Tile geometry for `repconv upscale`, along one axis (the same for rows
 * and columns).
 *
 * Every tile (window) has one size, so one session shape serves them all:
 * windows start at multiples of `align` and the last one ends at the
 * picture's edge (its origin is moved back inside, not padded). A window
 * keeps only the pixels at least `halo` away from its sides that are not
 * the picture's edges, where the model sees exactly what it sees when it runs
 * on the whole picture: the kept parts tile the axis without gaps or
 * overlaps.
 *
 * Why `align`: a Winograd F(m,3) conv computes m x m output blocks from a
 * grid that starts at the image origin, and rounds each output from all
 * (m+2)² inputs of its block. A window whose origin is a multiple of m puts
 * every pixel in the same block position, with the same inputs, as the
 * whole-picture run; so the stitched output is bitwise the untiled one
 * (given the same kernels: see cli_enhancer_halo for the halo that takes). */
#ifndef CLI_IMG_TILES_H
#define CLI_IMG_TILES_H

/* Windows origins are multiples of this: lcm(2, 4, 6), every Winograd
 * output tile side. */
#define CLI_TILE_ALIGN 12

typedef struct cli_span {
  int origin;       /* the window is [origin, origin + window) */
  int keep0, keep1; /* the part it keeps, [keep0, keep1) */
} cli_span;

/* The window length to use on an axis of n pixels when about `want` is
 * wanted: n itself when want >= n; otherwise the shortest length that needs
 * no more windows than `want` would, at least 2 * halo + align, with
 * n - window a multiple of align. */
int cli_tile_window(int n, int want, int halo, int align);
/* The windows over [0, n) of length `window` (from cli_tile_window): their
 * number, at most max_spans written; -1 if the geometry is impossible. */
int cli_tile_spans(int n, int window, int halo, int align, cli_span* spans, int max_spans);

#endif

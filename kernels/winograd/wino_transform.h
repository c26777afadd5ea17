/* The Winograd input and output transforms, written once over the SIMD
 * primitives of kernels/common/simd.h (vectors of SIMD_W channels; NHWC
 * keeps channels contiguous): wino_transform__<isa>.c includes its ISA's
 * kernels/common/simd__<isa>.h, defines WINO_FN(name) (the function name,
 * rc_##name##__<isa>) and includes this file, compiled with its ISA's flags.
 * Channel tails use masked loads and stores. Internal to kernels/winograd/.
 *
 * The transforms are written generically in α over the generated matrices
 * (wino_matrices.h) held in static const arrays. The helpers are
 * always_inline and their loops fully unrolled, so every matrix entry is a
 * compile-time constant: zero entries generate no code, ±1 entries an add or
 * a subtract, others one FMA with a broadcast constant (in the scalar
 * instance a multiply and an add: the reference's rounding). Each 2-D
 * transform is two passes of 1-D transforms: columns into a stack buffer,
 * then rows, each result stored as the next phase reads it (V by ascending
 * ξ, output rows left to right).
 *
 * That matrix form costs one operation per nonzero entry; only the scalar
 * instance, the reference, uses it (WINO_FACTORED 0). The SIMD instances
 * factor each 1-D transform: the rows of Bᵀ and Aᵀ for the points ±p come
 * in pairs that share their even and odd parts (row = even ± odd), which
 * the compiler cannot find itself as fp addition does not reassociate.
 * Operations per 1-D transform: F(6,3) Bᵀ 41 → 26, Aᵀ 32 → 20; F(4,3)
 * Bᵀ 20 → 14, Aᵀ 17 → 12; F(2,3) Bᵀ 5 → 4; F(4,3) stride 2 Bᵀ 15 → 11,
 * Aᵀ 14 → 12 (timings: docs/DESIGN.md). The rounding differs from the
 * matrix form by a few ulps of the intermediates (test_wino_ukernels holds
 * it to the scalar kernels, test_winograd to float64). */
#include <stddef.h>

#include "kernels/winograd/wino_matrices.h"
#include "kernels/winograd/wino_ukernels.h"

#define INLINE static inline __attribute__((always_inline))
#define MAX_ALPHA RC_WINO_MAX_ALPHA /* the loops' unroll pragmas say 9 */

static const float bt23[4][4] = RC_WINO23_BT_INIT;
static const float at23[2][4] = RC_WINO23_AT_INIT;
static const float bt43[6][6] = RC_WINO43_BT_INIT;
static const float at43[4][6] = RC_WINO43_AT_INIT;
static const float bt63[8][8] = RC_WINO63_BT_INIT;
static const float at63[6][8] = RC_WINO63_AT_INIT;
static const float bt23s2[5][5] = RC_WINO23S2_BT_INIT;
static const float at23s2[2][5] = RC_WINO23S2_AT_INIT;
static const float bt43s2[9][9] = RC_WINO43S2_BT_INIT;
static const float at43s2[4][9] = RC_WINO43S2_AT_INIT;
static const float bt23n1[3][3] = RC_WINO23N1_BT_INIT;
static const float at23n1[1][3] = RC_WINO23N1_AT_INIT;
static const float bt43n2[4][4] = RC_WINO43N2_BT_INIT;
static const float at43n2[2][4] = RC_WINO43N2_AT_INIT;
static const float bt63n2[4][4] = RC_WINO63N2_BT_INIT;
static const float at63n2[2][4] = RC_WINO63N2_AT_INIT;
static const float bt63n4[6][6] = RC_WINO63N4_BT_INIT;
static const float at63n4[4][6] = RC_WINO63N4_AT_INIT;
static const float bt23s2n1[3][3] = RC_WINO23S2N1_BT_INIT;
static const float at23s2n1[1][3] = RC_WINO23S2N1_AT_INIT;
/* Where a 1-D transform's points sit among the α of its tile grid: all of
 * them, in order (square tiles), or the parent's positions of a nested
 * variant (a border tile of fewer outputs, whose V and M use the parent's
 * grid of α × α positions and its U). */
static const int pos_all[MAX_ALPHA] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
static const int pos23n1[3] = RC_WINO23N1_POS_INIT;
static const int pos43n2[4] = RC_WINO43N2_POS_INIT;
static const int pos63n2[4] = RC_WINO63N2_POS_INIT;
static const int pos63n4[6] = RC_WINO63N4_POS_INIT;
static const int pos23s2n1[3] = RC_WINO23S2N1_POS_INIT;

/* Σ_j coef[j]·x[j·stride] over the nonzero coefficients, ascending j. */
INLINE vec lincomb(const float* coef, const vec* x, const int n, const int stride) {
  vec acc = v_zero();
  int have = 0;
#pragma GCC unroll 9
  for (int j = 0; j < n; j++) {
    const float c = coef[j];
    const vec xj = x[j * stride];
    if (c == 0.0f) continue;
    if (!have) {
      acc = c == 1.0f ? xj : c == -1.0f ? v_neg(xj) : v_mul(v_set1(c), xj);
      have = 1;
    } else {
      acc = c == 1.0f ? v_add(acc, xj) : c == -1.0f ? v_sub(acc, xj) : v_fma(v_set1(c), xj, acc);
    }
  }
  return acc;
}

#ifndef WINO_FACTORED
#define WINO_FACTORED 1
#endif

/* y[k·ys] = Σ_j Bᵀ[k][j]·x[j·xs], k, j < α. */
INLINE void bt_1d(const int A, const float* bt, const vec* x, const int xs, vec* y, const int ys) {
#define X(j) x[(j)*xs]
#define Y(k) y[(k)*ys]
  if (WINO_FACTORED && bt == &bt23[0][0]) { /* F(2,3) */
    Y(0) = v_sub(X(0), X(2));
    Y(1) = v_add(X(1), X(2));
    Y(2) = v_sub(X(1), X(2));
    Y(3) = v_sub(X(3), X(1));
  } else if (WINO_FACTORED &&
             bt == &bt23s2[0][0]) { /* F(2,3) stride 2: the matrix form but X(4) − X(2) in one operation */
    Y(0) = v_sub(X(0), X(2));
    Y(1) = X(2);
    Y(2) = v_sub(X(4), X(2));
    Y(3) = X(1);
    Y(4) = X(3);
  } else if (WINO_FACTORED && bt == &bt43s2[0][0]) { /* F(4,3) stride 2: F(4,2) on the even samples, 15 → 11 */
    const vec y3 = v_sub(X(2), X(6)), h = v_mul(v_set1(0.5f), v_sub(X(2), X(4)));
    Y(0) = v_sub(v_fma(v_set1(0.5f), v_sub(X(0), X(4)), X(6)), X(2));
    Y(1) = v_sub(h, X(6));
    Y(2) = v_add(h, v_sub(X(6), X(4)));
    Y(3) = y3;
    Y(4) = v_fma(v_set1(0.5f), y3, v_sub(X(8), X(4)));
    Y(5) = X(1); /* the odd samples: tap g1 alone */
    Y(6) = X(3);
    Y(7) = X(5);
    Y(8) = X(7);
  } else if (WINO_FACTORED && bt == &bt43[0][0]) { /* F(4,3): s = √2, h = √2/2 */
    const float s = bt43[3][1], h = bt43[1][1];
    Y(0) = v_fma(v_set1(-2.5f), X(2), v_add(X(0), X(4)));
    Y(5) = v_fma(v_set1(-2.5f), X(3), v_add(X(1), X(5)));
    const vec o1 = v_fma(v_set1(-s), X(3), v_mul(v_set1(h), X(1))), e1 = v_fma(v_set1(-0.5f), X(2), X(4));
    Y(1) = v_sub(o1, e1);
    Y(2) = v_add(o1, e1);
    const vec o2 = v_fma(v_set1(-h), X(3), v_mul(v_set1(s), X(1))), e2 = v_fma(v_set1(-2.0f), X(2), X(4));
    Y(3) = v_sub(o2, e2);
    Y(4) = v_add(o2, e2);
  } else if (WINO_FACTORED && bt == &bt63[0][0]) { /* F(6,3) */
    Y(0) = v_fma(v_set1(5.25f), v_sub(X(4), X(2)), v_sub(X(0), X(6)));
    Y(7) = v_fma(v_set1(5.25f), v_sub(X(3), X(5)), v_sub(X(7), X(1)));
    const vec e1 = v_fma(v_set1(-4.25f), X(4), v_add(X(2), X(6)));
    const vec o1 = v_fma(v_set1(-4.25f), X(3), v_add(X(1), X(5)));
    Y(1) = v_add(o1, e1);
    Y(2) = v_sub(o1, e1);
    const vec e2 = v_fma(v_set1(-1.25f), X(4), v_fma(v_set1(0.25f), X(2), X(6)));
    const vec o2 = v_fma(v_set1(2.0f), X(5), v_fma(v_set1(-2.5f), X(3), v_mul(v_set1(0.5f), X(1))));
    Y(3) = v_add(o2, e2);
    Y(4) = v_sub(o2, e2);
    const vec e3 = v_fma(v_set1(4.0f), v_fma(v_set1(-1.25f), X(4), X(2)), X(6));
    const vec o3 = v_fma(v_set1(0.5f), X(5), v_fma(v_set1(-2.5f), X(3), v_add(X(1), X(1))));
    Y(5) = v_add(o3, e3);
    Y(6) = v_sub(o3, e3);
  } else {
#pragma GCC unroll 9
    for (int k = 0; k < A; k++) Y(k) = lincomb(bt + k * A, x, A, xs);
  }
#undef X
#undef Y
}

/* y[k·ys] = Σ_j Aᵀ[k][j]·x[j·xs], k < m, j < α. */
INLINE void at_1d(const int A, const int M, const float* at, const vec* x, const int xs, vec* y, const int ys) {
#define X(j) x[(j)*xs]
#define Y(k) y[(k)*ys]
  if (WINO_FACTORED && at == &at23[0][0]) { /* F(2,3) */
    Y(0) = v_add(v_add(X(0), X(1)), X(2));
    Y(1) = v_add(v_sub(X(1), X(2)), X(3));
  } else if (WINO_FACTORED && at == &at43s2[0][0]) { /* F(4,3) stride 2: 14 → 12 */
    const vec p = v_add(X(1), X(2)), q = v_sub(X(1), X(2));
    Y(0) = v_add(v_add(X(0), p), v_add(X(3), X(5)));
    Y(1) = v_add(v_fma(v_set1(0.5f), X(3), q), X(6));
    Y(2) = v_add(v_fma(v_set1(0.25f), X(3), p), X(7));
    Y(3) = v_add(v_fma(v_set1(0.125f), X(3), v_add(q, X(4))), X(8));
  } else if (WINO_FACTORED && at == &at43[0][0]) { /* F(4,3): Aᵀ[·][1] = 1, √2, 2, 2√2; Aᵀ[·][3] = 1, √2/2, 1/2, √2/4 */
    const vec a1 = v_add(X(1), X(2)), b1 = v_sub(X(1), X(2)), a2 = v_add(X(3), X(4)), b2 = v_sub(X(3), X(4));
    Y(0) = v_add(v_add(X(0), a1), a2);
    Y(1) = v_fma(v_set1(at43[1][1]), b1, v_mul(v_set1(at43[1][3]), b2));
    Y(2) = v_fma(v_set1(2.0f), a1, v_mul(v_set1(0.5f), a2));
    Y(3) = v_fma(v_set1(at43[3][1]), b1, v_fma(v_set1(at43[3][3]), b2, X(5)));
  } else if (WINO_FACTORED && at == &at63[0][0]) { /* F(6,3): points 1, 2, 1/2 in pairs ± */
    const vec a1 = v_add(X(1), X(2)), b1 = v_sub(X(1), X(2)), a2 = v_add(X(3), X(4)), b2 = v_sub(X(3), X(4));
    const vec a3 = v_add(X(5), X(6)), b3 = v_sub(X(5), X(6));
    Y(0) = v_add(v_add(X(0), a1), v_add(a2, a3));
    Y(1) = v_fma(v_set1(0.5f), b3, v_fma(v_set1(2.0f), b2, b1));
    Y(2) = v_fma(v_set1(0.25f), a3, v_fma(v_set1(4.0f), a2, a1));
    Y(3) = v_fma(v_set1(0.125f), b3, v_fma(v_set1(8.0f), b2, b1));
    Y(4) = v_fma(v_set1(0.0625f), a3, v_fma(v_set1(16.0f), a2, a1));
    Y(5) = v_fma(v_set1(0.03125f), b3, v_fma(v_set1(32.0f), b2, v_add(b1, X(7))));
  } else {
#pragma GCC unroll 9
    for (int k = 0; k < M; k++) Y(k) = lincomb(at + k * A, x, A, xs);
  }
#undef X
#undef Y
}

/* One 1-D transform of a tile's axis: α, m, the matrices and where its
 * points sit in the tile grid's α_grid positions. */
typedef struct axis {
  int a, m;
  const float *bt, *at;
  const int* pos;
} axis;

/* One SIMD_W-channel chunk of one input tile, Ay × Ax pixels (axes y and x;
 * V at ξ = y.pos[l]·grid + x.pos[k]). col: element offset of the window's
 * first column, channel c, within a row (may be negative: only columns in
 * [jlo, jhi) are read, and only rows that are not NULL). */
INLINE void input_chunk(const axis y, const axis x, const int grid, const float* const* rows, ptrdiff_t col,
                        ptrdiff_t cin, const int interior, int jlo, int jhi, const int masked, vmask mask, vmask smask,
                        float* v, size_t v_stride) {
  const int Ay = y.a, Ax = x.a;
  /* Columns first (t = Bᵀ d), then rows (V = t B), so that V is stored in
   * ascending ξ as the next phase reads it. */
  vec t[MAX_ALPHA * MAX_ALPHA];
#pragma GCC unroll 9
  for (int j = 0; j < Ax; j++) {
    if (!interior && (j < jlo || j >= jhi)) {
#pragma GCC unroll 9
      for (int l = 0; l < Ay; l++) t[l * Ax + j] = v_zero();
      continue;
    }
    vec d[MAX_ALPHA];
#pragma GCC unroll 9
    for (int i = 0; i < Ay; i++) {
      const ptrdiff_t at = col + j * cin;
      if (!interior && !rows[i])
        d[i] = v_zero();
      else
        d[i] = masked ? v_load_mask(rows[i] + at, mask) : v_load(rows[i] + at);
    }
    /* t[l][j] = Σ_i Bᵀ[l][i]·d[i][j] */
    bt_1d(Ay, y.bt, d, 1, t + j, Ax);
  }
#pragma GCC unroll 9
  for (int l = 0; l < Ay; l++) {
    /* V[l][k] = Σ_j t[l][j]·Bᵀ[k][j] */
    vec vl[MAX_ALPHA];
    bt_1d(Ax, x.bt, t + l * Ax, 1, vl, 1);
#pragma GCC unroll 9
    for (int k = 0; k < Ax; k++) {
      /* A tail chunk wider than the row's padding (SIMD_W > RC_WINO_V_CPAD) stores
       * only up to it; the padding lanes get the transform of 0. */
      float* p = v + (size_t)(y.pos[l] * grid + x.pos[k]) * v_stride;
      if (masked && SIMD_W > RC_WINO_V_CPAD)
        v_store_mask(p, smask, vl[k]);
      else
        v_store(p, vl[k]);
    }
  }
}

/* A whole chunk of an interior window: input_chunk's common case, one
 * function per variant (input_tile's `interior_chunk`; DEFINE_VARIANT says
 * why). */
typedef void (*interior_chunk_fn)(const float* const* rows, ptrdiff_t col, ptrdiff_t cin, float* v, size_t v_stride);

INLINE void input_tile(const axis y, const axis x, const int grid, interior_chunk_fn interior_chunk,
                       const float* const* rows, int32_t in_w, size_t cin, int32_t ix0, float* v, size_t v_stride) {
  const int jlo = ix0 < 0 ? -ix0 : 0;
  int jhi = in_w - ix0;
  jhi = jhi > x.a ? x.a : jhi;
  int interior = jlo == 0 && jhi == x.a;
  for (int i = 0; i < y.a; i++) interior &= rows[i] != NULL;
  const ptrdiff_t cs = (ptrdiff_t)cin, col = (ptrdiff_t)ix0 * cs;
  const vmask none = v_tail(SIMD_W);
  const size_t cpad = (cin + RC_WINO_V_CPAD - 1) / RC_WINO_V_CPAD * RC_WINO_V_CPAD;
  size_t c = 0;
  if (interior) {
    for (; c + SIMD_W <= cin; c += SIMD_W) interior_chunk(rows, col + (ptrdiff_t)c, cs, v + c, v_stride);
    if (c < cin)
      input_chunk(y, x, grid, rows, col + (ptrdiff_t)c, cs, 1, 0, x.a, 1, v_tail(cin - c), v_tail(cpad - c), v + c,
                  v_stride);
  } else {
    for (; c + SIMD_W <= cin; c += SIMD_W)
      input_chunk(y, x, grid, rows, col + (ptrdiff_t)c, cs, 0, jlo, jhi, 0, none, none, v + c, v_stride);
    if (c < cin)
      input_chunk(y, x, grid, rows, col + (ptrdiff_t)c, cs, 0, jlo, jhi, 1, v_tail(cin - c), v_tail(cpad - c), v + c,
                  v_stride);
  }
  /* Vectors narrower than the padding (NEON, scalar): the channels
   * [round_up(cin, SIMD_W), round_up(cin, 8)) get 0, as the contract says. */
  if (SIMD_W < RC_WINO_V_CPAD) {
    for (c = (cin + SIMD_W - 1) / SIMD_W * SIMD_W; c < cpad; c += SIMD_W)
      for (int l = 0; l < y.a; l++)
        for (int k = 0; k < x.a; k++) v_store(v + (size_t)(y.pos[l] * grid + x.pos[k]) * v_stride + c, v_zero());
  }
}

/* One SIMD_W-channel chunk of one output tile; mm, y and the epilogue vectors
 * already point at channel c. */
INLINE void output_chunk(const axis ay, const axis ax, const int grid, const float* mm, size_t m_stride, vec bias,
                         const int prelu, vec lo, vec hi, vec slope, float* y, size_t y_row_stride, size_t cstride,
                         size_t rows, size_t cols, const int masked, vmask mask) {
  const int Ax = ax.a;
  /* F(2,3), F(6,3) and the stride-2 tiles (both axes the variant's own,
   * not a nested border one): Aᵀ's column for point +1 (position 1) is all
   * ones, so b added to M there adds b to every output (Aᵀ e₁ e₁ᵀ A = 1 1ᵀ):
   * one add a tile instead of m². */
  const int bias_at_1 =
      WINO_FACTORED && ay.at == ax.at &&
      (ax.at == &at23[0][0] || ax.at == &at63[0][0] || ax.at == &at23s2[0][0] || ax.at == &at43s2[0][0]);
  /* Columns first (s = Aᵀ M), then rows (Y = s A), so that each output row
   * is stored left to right. */
  vec s[(MAX_ALPHA - 2) * MAX_ALPHA];
#pragma GCC unroll 9
  for (int j = 0; j < Ax; j++) {
    vec in[MAX_ALPHA];
#pragma GCC unroll 9
    for (int i = 0; i < ay.a; i++) in[i] = v_load(mm + (size_t)(ay.pos[i] * grid + ax.pos[j]) * m_stride);
    if (bias_at_1 && j == 1) in[1] = v_add(in[1], bias);
    /* s[yy][j] = Σ_i Aᵀ[yy][i]·M[i][j] */
    at_1d(ay.a, ay.m, ay.at, in, 1, s + j, Ax);
  }
#pragma GCC unroll 9
  for (int yy = 0; yy < ay.m; yy++) {
    if ((size_t)yy >= rows) break;
    /* Y[yy][xx] = Σ_j s[yy][j]·Aᵀ[xx][j] */
    vec row[MAX_ALPHA];
    at_1d(Ax, ax.m, ax.at, s + yy * Ax, 1, row, 1);
#pragma GCC unroll 9
    for (int xx = 0; xx < ax.m; xx++) {
      if ((size_t)xx >= cols) break;
      const vec o = v_activate(bias_at_1 ? row[xx] : v_add(row[xx], bias), prelu, lo, hi, slope);
      float* p = y + (size_t)yy * y_row_stride + (size_t)xx * cstride;
      if (masked)
        v_store_mask(p, mask, o);
      else
        v_store(p, o);
    }
  }
}

/* The epilogue's activation as the bounds v_activate clamps to (ReLU,
 * clip; ±inf otherwise); 1 for PReLU. */
INLINE int act_bounds(const rc_wino_epilogue* ep, vec* lo, vec* hi) {
  *lo = v_set1(ep->activation == RC_WINO_ACT_RELU   ? 0.0f
               : ep->activation == RC_WINO_ACT_CLIP ? ep->min
                                                    : -__builtin_inff());
  *hi = v_set1(ep->activation == RC_WINO_ACT_CLIP ? ep->max : __builtin_inff());
  return ep->activation == RC_WINO_ACT_PRELU;
}

/* One chunk: output_chunk with the activation, the channel tail and, for
 * an inner tile, its m × m size as compile-time cases, eight functions per
 * variant (output_tile's `chunks`, indexed 4·masked + 2·prelu + whole; mask
 * is used only by the masked ones). */
typedef void (*output_chunk_fn)(const float* mm, size_t m_stride, vec bias, vec lo, vec hi, vec slope, float* y,
                                size_t y_row_stride, size_t cstride, size_t rows, size_t cols, vmask mask);

INLINE void output_tile(const int My, const int Mx, const output_chunk_fn* chunks, const float* mm, size_t m_stride,
                        size_t cout, const rc_wino_epilogue* ep, float* y, size_t y_row_stride, size_t y_pixel_stride,
                        size_t rows, size_t cols) {
  vec lo, hi;
  const int prelu = act_bounds(ep, &lo, &hi);
  const int k = 2 * prelu + (rows == (size_t)My && cols == (size_t)Mx);
  size_t c = 0;
  for (; c + SIMD_W <= cout; c += SIMD_W) {
    const vec b = ep->bias ? v_load(ep->bias + c) : v_zero();
    const vec sl = prelu ? v_load(ep->slopes + c) : v_zero();
    chunks[k](mm + c, m_stride, b, lo, hi, sl, y + c, y_row_stride, y_pixel_stride, rows, cols, v_tail(SIMD_W));
  }
  if (c < cout) {
    const vmask mask = v_tail(cout - c);
    const vec b = ep->bias ? v_load_mask(ep->bias + c, mask) : v_zero();
    const vec sl = prelu ? v_load_mask(ep->slopes + c, mask) : v_zero();
    chunks[4 + k](mm + c, m_stride, b, lo, hi, sl, y + c, y_row_stride, y_pixel_stride, rows, cols, mask);
  }
}

/* One SIMD_W-channel chunk of a direct tile (direct_tile): input pixel
 * (i, j), channel ci of the window at r[i][col + j·cin + ci]; w and y already
 * point at channel c. R output rows at a time, R·M accumulators, each input
 * pixel broadcast once per ky with the row's three weights held: R is 2
 * with 32 registers, 1 with AVX2's 16, where two rows and GCC's reuse of
 * broadcasts across kx spilled 93 vectors (wino_time, Zen 4, 1 thread,
 * AVX2: C1→16 540x960 4.5 → 2.6 ms, C3→32 270x480 5.6 → 3.4; AVX-512 the
 * same; outputs bitwise the same). */
#define DIRECT_ROWS (SIMD_REGS >= 32 ? 2 : 1)
INLINE void direct_chunk(const int M, const float* const* r, ptrdiff_t col, size_t cin, const float* w, size_t w_stride,
                         vec bias, const int prelu, vec lo, vec hi, vec slope, float* y, size_t y_row_stride,
                         size_t cstride, size_t rows, size_t cols, const int masked, vmask mask) {
  const int R = DIRECT_ROWS;
  for (int y0 = 0; y0 < M && (size_t)y0 < rows; y0 += R) {
    vec acc[DIRECT_ROWS * MAX_ALPHA];
#pragma GCC unroll 16
    for (int i = 0; i < R * M; i++) acc[i] = v_zero();
    for (size_t ci = 0; ci < cin; ci++) {
#pragma GCC unroll 3
      for (int ky = 0; ky < 3; ky++) {
        const float* wk = w + ci * 9 * w_stride + (size_t)(ky * 3) * w_stride;
        const vec w0 = v_load(wk), w1 = v_load(wk + w_stride), w2 = v_load(wk + 2 * w_stride);
#pragma GCC unroll 2
        for (int h = 0; h < R; h++) {
          const float* x = r[y0 + h + ky] + col + (ptrdiff_t)ci;
          vec* a = acc + h * M;
          /* Each input pixel broadcast once, into the (up to) three outputs
           * it reaches: an output's terms still come in kx order. */
#pragma GCC unroll 10
          for (int j = 0; j < M + 2; j++) {
            const vec xj = v_set1(x[(size_t)j * cin]);
            if (j < M) a[j] = v_fma(xj, w0, a[j]);
            if (j >= 1 && j - 1 < M) a[j - 1] = v_fma(xj, w1, a[j - 1]);
            if (j >= 2) a[j - 2] = v_fma(xj, w2, a[j - 2]);
          }
        }
      }
    }
#pragma GCC unroll 2
    for (int h = 0; h < R; h++) {
      const size_t yy = (size_t)(y0 + h);
      if (yy >= rows) break;
#pragma GCC unroll 9
      for (int xx = 0; xx < M; xx++) {
        if ((size_t)xx >= cols) break;
        const vec o = v_activate(v_add(acc[h * M + xx], bias), prelu, lo, hi, slope);
        float* p = y + yy * y_row_stride + (size_t)xx * cstride;
        if (masked)
          v_store_mask(p, mask, o);
        else
          v_store(p, o);
      }
    }
  }
}

/* A direct chunk as a function of its own per compile-time case (one
 * input channel or any, all lanes or masked), as the transforms' chunks
 * (below): inlined into direct_tile's loop over chunks, the cases in one
 * body, GCC kept the row pointers and strides on the stack. ECBSR-M4C16's
 * 1→16 head (Zen 4, perf samples against the body GEMM's, which did not
 * change): 0.170 → 0.145 of them, the head 15% faster, ~0.3 ms of the
 * 42 ms 1-thread frame; outputs bitwise the same. A variant for whole
 * tiles (no bounds checks) gained nothing more. */
typedef void (*direct_chunk_fn)(const float* const* r, ptrdiff_t col, size_t cin, const float* w, size_t w_stride,
                                vec bias, int prelu, vec lo, vec hi, vec slope, float* y, size_t y_row_stride,
                                size_t cstride, size_t rows, size_t cols, vmask mask);
#define DIRECT_CHUNK_FN(fname, M, CIN, masked)                                                                        \
  static __attribute__((noinline)) void fname(                                                                        \
      const float* const* r, ptrdiff_t col, size_t cin, const float* w, size_t w_stride, vec bias, int prelu, vec lo, \
      vec hi, vec slope, float* y, size_t y_row_stride, size_t cstride, size_t rows, size_t cols, vmask mask) {       \
    direct_chunk(M, r, col, (CIN) ? (size_t)(CIN) : cin, w, w_stride, bias, prelu, lo, hi, slope, y, y_row_stride,    \
                 cstride, rows, cols, masked, mask);                                                                  \
  }

/* An m×m output tile computed directly, for few input channels
 * (RC_WINO_DIRECT_MAX_CIN): per output pixel Σ over ci, ky, kx in that
 * order of x·w, one FMA each, with w the weights [ci][ky·3 + kx][round_up(cout,
 * 16)]; then bias and activation, stored as the output transform stores.
 * The window (rows and columns as for the input transform) is read in
 * place inside the image; a window across its border is first copied to
 * a small NHWC array, 0 outside. */
INLINE void direct_tile(const int M, const direct_chunk_fn* chunks, const float* const* rows, int32_t in_w, size_t cin,
                        int32_t ix0, const float* w, size_t cout, const rc_wino_epilogue* ep, float* y,
                        size_t y_row_stride, size_t out_rows, size_t out_cols) {
  const int A = M + 2;
  float win[MAX_ALPHA * MAX_ALPHA * RC_WINO_DIRECT_MAX_CIN];
  const float* wrows[MAX_ALPHA];
  const float* const* r = rows;
  ptrdiff_t col = (ptrdiff_t)ix0 * (ptrdiff_t)cin;
  int interior = ix0 >= 0 && ix0 + A <= in_w;
  for (int i = 0; i < A; i++) interior &= rows[i] != NULL;
  if (!interior) {
    for (int i = 0; i < A; i++) {
      float* wi = win + (size_t)(i * A) * cin;
      wrows[i] = wi;
      for (int j = 0; j < A; j++) {
        const int32_t x = ix0 + j;
        const int inside = rows[i] != NULL && x >= 0 && x < in_w;
        for (size_t ci = 0; ci < cin; ci++) wi[(size_t)j * cin + ci] = inside ? rows[i][(size_t)x * cin + ci] : 0.0f;
      }
    }
    r = wrows;
    col = 0;
  }
  const size_t w_stride = (cout + RC_GEMM_NR - 1) / RC_GEMM_NR * RC_GEMM_NR;
  vec lo, hi;
  const int prelu = act_bounds(ep, &lo, &hi);
  const vmask none = v_tail(SIMD_W);
  const direct_chunk_fn* fn = chunks + (cin == 1 ? 0 : 2); /* chunks[cin > 1][masked] */
  size_t c = 0;
  for (; c + SIMD_W <= cout; c += SIMD_W) {
    const vec b = ep->bias ? v_load(ep->bias + c) : v_zero();
    const vec sl = prelu ? v_load(ep->slopes + c) : v_zero();
    fn[0](r, col, cin, w + c, w_stride, b, prelu, lo, hi, sl, y + c, y_row_stride, cout, out_rows, out_cols, none);
  }
  if (c < cout) {
    const vmask mask = v_tail(cout - c);
    const vec b = ep->bias ? v_load_mask(ep->bias + c, mask) : v_zero();
    const vec sl = prelu ? v_load_mask(ep->slopes + c, mask) : v_zero();
    fn[1](r, col, cin, w + c, w_stride, b, prelu, lo, hi, sl, y + c, y_row_stride, cout, out_rows, out_cols, mask);
  }
}

/* The whole chunks are functions of their own, one per compile-time case,
 * not inlined into the loop over a tile's chunks nor sharing one body: GCC
 * then hoists the α² loop-invariant offsets (ξ·stride) above the loop or
 * the branches and keeps them on the stack, a GPR load per vector load or
 * store (F(6,3), 16 channels, AVX-512, Zen 4: output transform 530 → 300
 * cycles a tile, input 420 → 330; four cases in one function: 420). */
#define OUTPUT_CHUNK_FN(name, Y, X, G, masked, prelu, whole)                                                          \
  static __attribute__((noinline)) void name(const float* mm, size_t m_stride, vec bias, vec lo, vec hi, vec slope,   \
                                             float* y, size_t y_row_stride, size_t cstride, size_t rows, size_t cols, \
                                             vmask mask) {                                                            \
    output_chunk(Y, X, G, mm, m_stride, bias, prelu, lo, hi, slope, y, y_row_stride, cstride,                         \
                 whole ? (size_t)(Y).m : rows, whole ? (size_t)(X).m : cols, masked, mask);                           \
  }
/* The transforms of tiles of axes Y × X (axis initialisers) in a grid of
 * G × G positions: rc_wino<name>_input_transform and _output_transform. */
#define DEFINE_TRANSFORMS_2D(name, Y, X, G)                                                                           \
  static __attribute__((noinline)) void name##_interior_chunk(const float* const* rows, ptrdiff_t col, ptrdiff_t cin, \
                                                              float* v, size_t v_stride) {                            \
    const vmask none = v_tail(SIMD_W);                                                                                \
    input_chunk(Y, X, G, rows, col, cin, 1, 0, (X).a, 0, none, none, v, v_stride);                                    \
  }                                                                                                                   \
  OUTPUT_CHUNK_FN(name##_clamp_part, Y, X, G, 0, 0, 0)                                                                \
  OUTPUT_CHUNK_FN(name##_clamp_whole, Y, X, G, 0, 0, 1)                                                               \
  OUTPUT_CHUNK_FN(name##_prelu_part, Y, X, G, 0, 1, 0)                                                                \
  OUTPUT_CHUNK_FN(name##_prelu_whole, Y, X, G, 0, 1, 1)                                                               \
  OUTPUT_CHUNK_FN(name##_clamp_part_tail, Y, X, G, 1, 0, 0)                                                           \
  OUTPUT_CHUNK_FN(name##_clamp_whole_tail, Y, X, G, 1, 0, 1)                                                          \
  OUTPUT_CHUNK_FN(name##_prelu_part_tail, Y, X, G, 1, 1, 0)                                                           \
  OUTPUT_CHUNK_FN(name##_prelu_whole_tail, Y, X, G, 1, 1, 1)                                                          \
  static const output_chunk_fn name##_chunks[8] = {                                                                   \
      name##_clamp_part,      name##_clamp_whole,      name##_prelu_part,      name##_prelu_whole,                    \
      name##_clamp_part_tail, name##_clamp_whole_tail, name##_prelu_part_tail, name##_prelu_whole_tail};              \
  void WINO_FN(name##_input_transform)(const float* const* rows, int32_t in_w, size_t cin, int32_t ix0, float* v,     \
                                       size_t v_stride) {                                                             \
    input_tile(Y, X, G, name##_interior_chunk, rows, in_w, cin, ix0, v, v_stride);                                    \
  }                                                                                                                   \
  void WINO_FN(name##_output_transform)(const float* m, size_t m_stride, size_t cout, const rc_wino_epilogue* ep,     \
                                        float* y, size_t y_row_stride, size_t y_pixel_stride, size_t rows,            \
                                        size_t cols) {                                                                \
    output_tile((Y).m, (X).m, name##_chunks, m, m_stride, cout, ep, y, y_row_stride, y_pixel_stride, rows, cols);     \
  }
#define AXIS(A, M, bt, at, pos) ((axis){A, M, &bt[0][0], &at[0][0], pos})
#define DEFINE_TRANSFORMS(name, A, M, bt, at) \
  DEFINE_TRANSFORMS_2D(name, AXIS(A, M, bt, at, pos_all), AXIS(A, M, bt, at, pos_all), A)
#define DEFINE_VARIANT(name, A, M, bt, at)                                                                             \
  DEFINE_TRANSFORMS(name, A, M, bt, at)                                                                                \
  DIRECT_CHUNK_FN(name##_direct_c1, M, 1, 0)                                                                           \
  DIRECT_CHUNK_FN(name##_direct_c1_tail, M, 1, 1)                                                                      \
  DIRECT_CHUNK_FN(name##_direct_cn, M, 0, 0)                                                                           \
  DIRECT_CHUNK_FN(name##_direct_cn_tail, M, 0, 1)                                                                      \
  static const direct_chunk_fn name##_direct_chunks[4] = {name##_direct_c1, name##_direct_c1_tail, name##_direct_cn,   \
                                                          name##_direct_cn_tail};                                      \
  void WINO_FN(name##_direct)(const float* const* rows, int32_t in_w, size_t cin, int32_t ix0, const float* w,         \
                              size_t cout, const rc_wino_epilogue* ep, float* y, size_t y_row_stride, size_t out_rows, \
                              size_t out_cols) {                                                                       \
    direct_tile(M, name##_direct_chunks, rows, in_w, cin, ix0, w, cout, ep, y, y_row_stride, out_rows, out_cols);      \
  }

DEFINE_VARIANT(wino23, 4, 2, bt23, at23)
DEFINE_VARIANT(wino43, 6, 4, bt43, at43)
DEFINE_VARIANT(wino63, 8, 6, bt63, at63)
DEFINE_TRANSFORMS(wino23s2, 5, 2, bt23s2, at23s2)
DEFINE_TRANSFORMS(wino43s2, 9, 4, bt43s2, at43s2)
/* Border tiles (wino_ukernels.h): rc_wino<v>b_<y><x>, each axis the
 * parent's (f) or a nested variant of 1, 2 or 4 outputs, in the parent's grid. */
#define AXIS23 AXIS(4, 2, bt23, at23, pos_all)
#define AXIS23N1 AXIS(3, 1, bt23n1, at23n1, pos23n1)
#define AXIS43 AXIS(6, 4, bt43, at43, pos_all)
#define AXIS43N2 AXIS(4, 2, bt43n2, at43n2, pos43n2)
#define AXIS63 AXIS(8, 6, bt63, at63, pos_all)
#define AXIS63N2 AXIS(4, 2, bt63n2, at63n2, pos63n2)
#define AXIS63N4 AXIS(6, 4, bt63n4, at63n4, pos63n4)
#define AXIS23S2 AXIS(5, 2, bt23s2, at23s2, pos_all)
#define AXIS23S2N1 AXIS(3, 1, bt23s2n1, at23s2n1, pos23s2n1)
DEFINE_TRANSFORMS_2D(wino23b_1f, AXIS23N1, AXIS23, 4)
DEFINE_TRANSFORMS_2D(wino23b_f1, AXIS23, AXIS23N1, 4)
DEFINE_TRANSFORMS_2D(wino23b_11, AXIS23N1, AXIS23N1, 4)
DEFINE_TRANSFORMS_2D(wino43b_2f, AXIS43N2, AXIS43, 6)
DEFINE_TRANSFORMS_2D(wino43b_f2, AXIS43, AXIS43N2, 6)
DEFINE_TRANSFORMS_2D(wino43b_22, AXIS43N2, AXIS43N2, 6)
DEFINE_TRANSFORMS_2D(wino63b_2f, AXIS63N2, AXIS63, 8)
DEFINE_TRANSFORMS_2D(wino63b_4f, AXIS63N4, AXIS63, 8)
DEFINE_TRANSFORMS_2D(wino63b_f2, AXIS63, AXIS63N2, 8)
DEFINE_TRANSFORMS_2D(wino63b_f4, AXIS63, AXIS63N4, 8)
DEFINE_TRANSFORMS_2D(wino63b_22, AXIS63N2, AXIS63N2, 8)
DEFINE_TRANSFORMS_2D(wino63b_24, AXIS63N2, AXIS63N4, 8)
DEFINE_TRANSFORMS_2D(wino63b_42, AXIS63N4, AXIS63N2, 8)
DEFINE_TRANSFORMS_2D(wino63b_44, AXIS63N4, AXIS63N4, 8)
DEFINE_TRANSFORMS_2D(wino23s2b_1f, AXIS23S2N1, AXIS23S2, 5)
DEFINE_TRANSFORMS_2D(wino23s2b_f1, AXIS23S2, AXIS23S2N1, 5)
DEFINE_TRANSFORMS_2D(wino23s2b_11, AXIS23S2N1, AXIS23S2N1, 5)

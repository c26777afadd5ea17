/* Unit tests of the Winograd micro-kernels: every line of
 * kernels/winograd/wino_transform_ukernels.inc and of
 * kernels/gemm/gemm_tile_ukernels.inc this build and CPU run, one call at a
 * time against the scalar kernels and a float64 reference: what
 * test_winograd's end-to-end sweep can hide (a row the driver never passes,
 * a lane written past the contract, a padding channel left stale) shows up
 * here. A kernel added to a list is tested here without another line.
 *
 *   GEMM       every mr up to the row tile, kc tails 1..17 and longer, the
 *              narrow (≤ 8- and ≤ 4-channel) kernels too, vs float64
 *              within the fp32 summation bound γ_kc·Σ|a·w|; rows ≥ mr and
 *              columns ≥ the kernel's nr are neither read (NaN there) nor
 *              written (sentinels).
 *   wide GEMM  (wino_gemm.h, where the ISA has one) every rows × nv form,
 *              both U layouts (16-lane panels apart, or nv·16 lanes per
 *              k), vs float64 within the same bound and bitwise vs the
 *              ISA's 16-column tile GEMM panel by panel; nothing written
 *              outside the rows × nv·16 box.
 *   input      channel counts around the 4- and 8-wide vectors, tiles inside
 *              the image, across each border and wholly outside; vs scalar;
 *              padding channels exactly 0, nothing written past them; rows
 *              given in any memory order (a chain's ring) give bitwise the
 *              same result as rows of a tensor.
 *   output     channel tails, partial tiles (rows × cols < m × m), each
 *              activation with and without bias, vs scalar; nothing written
 *              outside the rows × cols × cout box; a NaN in M comes out NaN
 *              in the same places as the scalar's for every activation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/common/isa.h"
#include "kernels/gemm/gemm_ukernels.h"
#include "kernels/winograd/wino.h"
#include "kernels/winograd/wino_gemm.h"
#include "kernels/winograd/wino_ukernels.h"
#include "tests/support/test_util.h"

#define SENTINEL 12345.0f

/* The transforms tested: the variants' (in rc_wino_variant order), then
 * the border tiles' (wino_ukernels.h, rc_wino<v>b_<y><x>): name, the grid
 * side (V and M hold its α² positions), output rows and columns. */
typedef struct kind {
  const char* name;
  int alpha;
  size_t my, mx;
} kind;
static const kind k_kinds[] = {
    {"F(2,3)", 4, 2, 2},
    {"F(4,3)", 6, 4, 4},
    {"F(6,3)", 8, 6, 6},
    {"F(2,3) stride 2", 5, 2, 2},
    {"F(4,3) stride 2", 9, 4, 4},
    {"F(4,3) border 2f", 6, 2, 4},
    {"F(4,3) border f2", 6, 4, 2},
    {"F(4,3) border 22", 6, 2, 2},
    {"F(6,3) border 2f", 8, 2, 6},
    {"F(6,3) border 4f", 8, 4, 6},
    {"F(6,3) border f2", 8, 6, 2},
    {"F(6,3) border f4", 8, 6, 4},
    {"F(6,3) border 22", 8, 2, 2},
    {"F(6,3) border 24", 8, 2, 4},
    {"F(6,3) border 42", 8, 4, 2},
    {"F(6,3) border 44", 8, 4, 4},
    {"F(2,3) border 1f", 4, 1, 2},
    {"F(2,3) border f1", 4, 2, 1},
    {"F(2,3) border 11", 4, 1, 1},
    {"F(2,3) stride 2 border 1f", 5, 1, 2},
    {"F(2,3) stride 2 border f1", 5, 2, 1},
    {"F(2,3) stride 2 border 11", 5, 1, 1},
};
#define KINDS 22
_Static_assert(sizeof k_kinds / sizeof k_kinds[0] == KINDS, "one kind per transform of isa_kernels");

/* One line of wino_transform_ukernels.inc: an ISA's transforms. */
typedef struct isa_kernels {
  const char* name;
  rc_wino_isa isa;
  rc_wino_input_fn input[KINDS];
  rc_wino_output_fn output[KINDS];
} isa_kernels;

/* The transforms of k_kinds, in its order: rc_wino<v>_<dir>_transform__<isa>. */
#define KIND_FN(v, dir, isa) rc_wino##v##_##dir##_transform__##isa,
/* clang-format off: one kernel a line */
#define KIND_FNS(dir, isa)    \
  KIND_FN(23, dir, isa)       \
  KIND_FN(43, dir, isa)       \
  KIND_FN(63, dir, isa)       \
  KIND_FN(23s2, dir, isa)     \
  KIND_FN(43s2, dir, isa)     \
  KIND_FN(43b_2f, dir, isa)   \
  KIND_FN(43b_f2, dir, isa)   \
  KIND_FN(43b_22, dir, isa)   \
  KIND_FN(63b_2f, dir, isa)   \
  KIND_FN(63b_4f, dir, isa)   \
  KIND_FN(63b_f2, dir, isa)   \
  KIND_FN(63b_f4, dir, isa)   \
  KIND_FN(63b_22, dir, isa)   \
  KIND_FN(63b_24, dir, isa)   \
  KIND_FN(63b_42, dir, isa)   \
  KIND_FN(63b_44, dir, isa)   \
  KIND_FN(23b_1f, dir, isa)   \
  KIND_FN(23b_f1, dir, isa)   \
  KIND_FN(23b_11, dir, isa)   \
  KIND_FN(23s2b_1f, dir, isa) \
  KIND_FN(23s2b_f1, dir, isa) \
  KIND_FN(23s2b_11, dir, isa)
/* clang-format on */

/* The lines compiled into this build (available or not on this CPU), in list
 * order: scalar first. */
static const isa_kernels k_sets[] = {
#define RC_WINO_TRANSFORM_UKERNELS(ISA, isa) \
  RC_IF_ISA_##ISA({#isa, RC_WINO_ISA_##ISA, {KIND_FNS(input, isa)}, {KIND_FNS(output, isa)}}, )
#include "kernels/winograd/wino_transform_ukernels.inc"
#undef RC_WINO_TRANSFORM_UKERNELS
};

/* One line of kernels/gemm/gemm_tile_ukernels.inc. */
typedef struct tile_kernel {
  const char* name;
  rc_wino_isa isa;
  rc_gemm_tile_fn fn;
  size_t mr, nr;
} tile_kernel;

static const tile_kernel k_tiles[] = {
#define RC_GEMM_TILE_UKERNEL(name, ISA, mr, nr) RC_IF_ISA_##ISA({#name, RC_WINO_ISA_##ISA, rc_gemm_##name, mr, nr}, )
#include "kernels/gemm/gemm_tile_ukernels.inc"
#undef RC_GEMM_TILE_UKERNEL
};

/* The kernel sets to test: scalar first, then each SIMD set this CPU runs. */
static size_t kernel_sets(const isa_kernels** out) {
  size_t n = 0;
  for (size_t i = 0; i < sizeof k_sets / sizeof k_sets[0]; i++)
    if (rc_wino_isa_available(k_sets[i].isa)) out[n++] = &k_sets[i];
  assert_true(n > 0 && out[0]->isa == RC_WINO_ISA_SCALAR);
  return n;
}
#define MAX_SETS RC_WINO_ISA_COUNT

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  assert_non_null(p);
  return p;
}

static size_t round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }

/* ------------------------------------------------------------ GEMM */

/* One GEMM kernel computing `cols` (16, or 8 for the narrow kernels) of the
 * 16 lanes: every mr up to its row tile, every kc, against float64. */
static void check_gemm(const char* name, rc_gemm_tile_fn gemm, size_t mr_max, size_t cols, rc_test_rng* rng) {
  static const size_t kcs[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 64, 100};
  const size_t MR = RC_WINO_GEMM_MR_MAX, NR = RC_GEMM_NR;
  const size_t kmax = 100, a_stride = kmax + 3, c_stride = NR + 5;
  float* a = xmalloc(MR * a_stride * sizeof(float));
  float* w = xmalloc(kmax * NR * sizeof(float));
  float* c = xmalloc(MR * c_stride * sizeof(float));
  double worst = 0.0;
  for (size_t mr = 1; mr <= mr_max; mr++)
    for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++) {
      const size_t kc = kcs[ki];
      /* Rows ≥ mr and columns ≥ kc of A, and W lanes ≥ cols, are NaN:
       * reading them would show. */
      for (size_t i = 0; i < MR * a_stride; i++) a[i] = NAN;
      for (size_t i = 0; i < mr; i++) rc_test_fill_uniform(rng, a + i * a_stride, kc, -1.0f, 1.0f);
      rc_test_fill_uniform(rng, w, kc * NR, -1.0f, 1.0f);
      for (size_t k = 0; k < kc; k++)
        for (size_t j = cols; j < NR; j++) w[k * NR + j] = NAN;
      for (size_t i = 0; i < MR * c_stride; i++) c[i] = SENTINEL;
      gemm(mr, kc, a, a_stride, w, c, c_stride, w, kc); /* prefetching its own panel: no effect on c */
      for (size_t i = 0; i < MR; i++)
        for (size_t j = 0; j < c_stride; j++) {
          const float got = c[i * c_stride + j];
          if (i >= mr || j >= cols) {
            if (got != SENTINEL)
              fail_msg("gemm %s mr=%zu kc=%zu: wrote c[%zu][%zu] outside the tile", name, mr, kc, i, j);
            continue;
          }
          double want = 0.0, mag = 0.0;
          for (size_t k = 0; k < kc; k++) {
            const double t = (double)a[i * a_stride + k] * w[k * NR + j];
            want += t;
            mag += fabs(t);
          }
          /* Any order of fp32 sums of kc products: |err| ≤ γ_kc·Σ|a·w|,
           * γ_n = n·u/(1 − n·u), u = 2⁻²⁴; FMA only tightens it. */
          const double u = ldexp(1.0, -24), gamma = (double)(kc + 1) * u / (1.0 - (double)(kc + 1) * u);
          const double err = fabs((double)got - want);
          if (!(err <= gamma * mag))
            fail_msg("gemm %s mr=%zu kc=%zu c[%zu][%zu]: got %.9g want %.9g (err %.3g > bound %.3g)", name, mr, kc, i,
                     j, got, want, err, gamma * mag);
          if (mag > 0 && err / mag > worst) worst = err / mag;
        }
    }
  print_message("gemm %s: mr 1..%zu x %zu kc, %zu columns, max err/sum|a*w| %.3g\n", name, mr_max,
                sizeof kcs / sizeof kcs[0], cols, worst);
  free(a);
  free(w);
  free(c);
}

static void test_gemm(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 7);
  size_t tested = 0;
  for (size_t i = 0; i < sizeof k_tiles / sizeof k_tiles[0]; i++) {
    assert_true(k_tiles[i].mr <= RC_WINO_GEMM_MR_MAX && RC_WINO_GEMM_MR_MAX % k_tiles[i].mr == 0);
    if (!rc_wino_isa_available(k_tiles[i].isa)) continue;
    check_gemm(k_tiles[i].name, k_tiles[i].fn, k_tiles[i].mr, k_tiles[i].nr, &rng);
    tested++;
  }
  assert_true(tested > 0);
}

#if RC_ARCH_X86_64 /* the wide GEMM is an AVX-512 kernel */
/* The wide GEMM of one ISA against float64 and, panel by panel, bitwise
 * against that ISA's 16-column tile GEMM `tile` (the same FMA chain per k). */
static void check_gemm_wide(const char* name, rc_wino_gemm_wide_fn wide, rc_gemm_tile_fn tile, size_t tile_mr,
                            rc_test_rng* rng) {
  static const size_t kcs[] = {1, 2, 3, 7, 16, 17, 64, 100};
  enum { KMAX = 100 };
  const size_t R = RC_WINO_GEMM_WIDE_RMAX, NV = RC_WINO_GEMM_WIDE_NVMAX;
  const size_t a_stride = KMAX + 3, c_stride = NV * 16 + 5, wpad = KMAX * NV * 16 + 48;
  float* a = xmalloc(R * a_stride * sizeof(float));
  float* w = xmalloc(wpad * NV * sizeof(float));
  float* c = xmalloc(R * c_stride * sizeof(float));
  float* ref = xmalloc(R * 16 * sizeof(float));
  float* panel = xmalloc(KMAX * 16 * sizeof(float));
  size_t forms = 0;
  for (size_t nv = 1; nv <= NV; nv++)
    for (size_t rows = 1; rows <= rc_wino_gemm_wide_rmax(nv); rows++, forms++)
      for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++)
        for (int layout = 0; layout < 2; layout++) {
          const size_t kc = kcs[ki];
          const size_t wk = layout ? nv * 16 : 16, wp = layout ? 16 : wpad; /* panels apart, or interleaved per k */
          for (size_t i = 0; i < R * a_stride; i++) a[i] = NAN;
          for (size_t i = 0; i < wpad * NV; i++) w[i] = NAN;
          for (size_t i = 0; i < rows; i++) rc_test_fill_uniform(rng, a + i * a_stride, kc, -1.0f, 1.0f);
          for (size_t k = 0; k < kc; k++)
            for (size_t v = 0; v < nv; v++) rc_test_fill_uniform(rng, w + k * wk + v * wp, 16, -1.0f, 1.0f);
          for (size_t i = 0; i < R * c_stride; i++) c[i] = SENTINEL;
          /* prefetching its own panels (both hints, nv a k or spread, 1 to nv
           * lines a k): no effect on c */
          const unsigned pf_flags = (layout ? RC_WINO_PF_NTA : 0) | (ki % 2 ? RC_WINO_PF_SPREAD : 0);
          wide(rows, nv, kc, a, a_stride, w, wk, wp, c, c_stride, w, nv * kc - rows % nv, pf_flags);
          for (size_t i = 0; i < R; i++)
            for (size_t j = 0; j < c_stride; j++)
              if ((i >= rows || j >= nv * 16) && c[i * c_stride + j] != SENTINEL)
                fail_msg("%s rows=%zu nv=%zu kc=%zu: wrote c[%zu][%zu] outside the tile", name, rows, nv, kc, i, j);
          const double u = ldexp(1.0, -24), gamma = (double)(kc + 1) * u / (1.0 - (double)(kc + 1) * u);
          for (size_t v = 0; v < nv; v++) {
            /* The panel as the 16-column kernel reads it: kc rows of 16. */
            for (size_t k = 0; k < kc; k++) memcpy(panel + k * 16, w + k * wk + v * wp, 16 * sizeof(float));
            for (size_t t = 0; t < rows; t += tile_mr)
              tile(rows - t < tile_mr ? rows - t : tile_mr, kc, a + t * a_stride, a_stride, panel, ref + t * 16, 16,
                   NULL, 0);
            for (size_t i = 0; i < rows; i++)
              for (size_t j = 0; j < 16; j++) {
                double want = 0.0, mag = 0.0;
                for (size_t k = 0; k < kc; k++) {
                  const double p = (double)a[i * a_stride + k] * panel[k * 16 + j];
                  want += p;
                  mag += fabs(p);
                }
                const float got = c[i * c_stride + v * 16 + j];
                if (!(fabs((double)got - want) <= gamma * mag))
                  fail_msg("%s rows=%zu nv=%zu kc=%zu c[%zu][%zu]: got %.9g want %.9g", name, rows, nv, kc, i,
                           v * 16 + j, got, want);
                if (memcmp(&got, &ref[i * 16 + j], sizeof got))
                  fail_msg("%s rows=%zu nv=%zu kc=%zu c[%zu][%zu]: %.9g, the tile GEMM %.9g (not bitwise)", name, rows,
                           nv, kc, i, v * 16 + j, got, ref[i * 16 + j]);
              }
          }
        }
  print_message("gemm %s: %zu forms x %zu kc x 2 U layouts, bitwise the tile GEMM\n", name, forms,
                sizeof kcs / sizeof kcs[0]);
  free(a);
  free(w);
  free(c);
  free(ref);
  free(panel);
}

#endif

static void test_gemm_wide(void** state) {
  (void)state;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 11);
  size_t tested = 0;
  RC_IF_ISA_AVX512F(if (rc_wino_isa_available(RC_WINO_ISA_AVX512F)) {
    check_gemm_wide("wino_gemm__avx512f", rc_wino_gemm__avx512f, rc_gemm_tile_12x16__avx512f, 12, &rng);
    tested++;
  })
  if (!tested) print_message("no wide GEMM on this CPU or build\n");
}

/* ------------------------------------------------------------ transforms */

/* |a − b| ≤ tol·scale, with NaN only where the other is NaN. */
static int close_enough(float a, float b, double scale, double tol) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return fabs((double)a - b) <= tol * scale;
}

/* Transform entries are at most 21/4 (F(6,3) Bᵀ) and 32 (Aᵀ); two passes
 * of ≤ 8-term sums. The SIMD kernels differ from the scalar ones by FMA
 * contraction and by factoring each 1-D transform (wino_transform.h): a
 * few ulps of the largest intermediate, relative to the largest output
 * before the activation. */
#define TRANSFORM_TOL 1e-5

/* The row pointers of the window starting at input row iy0 of x, an image
 * whose row r is stored at slot r (reversed 0) or in_h − 1 − r (reversed 1). */
static void window_rows(const float* x, int32_t in_h, size_t row_floats, int32_t iy0, int A, int reversed,
                        const float** rows) {
  for (int i = 0; i < A; i++) {
    const int32_t iy = iy0 + i;
    rows[i] = iy < 0 || iy >= in_h ? NULL : x + (size_t)(reversed ? in_h - 1 - iy : iy) * row_floats;
  }
}

static void test_input_transform(void** state) {
  (void)state;
  const isa_kernels* sets[MAX_SETS] = {NULL};
  const size_t nsets = kernel_sets(sets);
  static const size_t chans[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 20, 33};
  const int32_t in_h = 11, in_w = 13;
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 11);
  size_t calls = 0;
  for (size_t ci = 0; ci < sizeof chans / sizeof chans[0]; ci++) {
    const size_t cin = chans[ci], cpad = round_up(cin, RC_WINO_V_CPAD), v_stride = cpad + 5;
    const size_t rf = (size_t)in_w * cin;
    float* x = xmalloc((size_t)in_h * rf * sizeof(float));
    float* xr = xmalloc((size_t)in_h * rf * sizeof(float)); /* rows in reverse order */
    rc_test_fill_uniform(&rng, x, (size_t)in_h * rf, -1.0f, 1.0f);
    for (int32_t r = 0; r < in_h; r++) memcpy(xr + (size_t)(in_h - 1 - r) * rf, x + (size_t)r * rf, rf * sizeof(float));
    for (int v = 0; v < KINDS; v++) {
      const int A = k_kinds[v].alpha;
      const size_t nv = (size_t)A * A * v_stride;
      float* ref = xmalloc(nv * sizeof(float));
      float* got = xmalloc(nv * sizeof(float));
      float* got_r = xmalloc(nv * sizeof(float));
      /* Window origins: inside; across the top/left, bottom/right and both;
       * wholly outside. */
      const int32_t origins[][2] = {
          {1, 2},  {0, 0},       {-1, -1},      {-2, 3}, {in_h - A + 1, 1}, {2, in_w - A + 2}, {in_h - 2, in_w - 1},
          {-A, 0}, {in_h, in_w}, {-1, in_w - A}};
      for (size_t o = 0; o < sizeof origins / sizeof origins[0]; o++) {
        const int32_t iy0 = origins[o][0], ix0 = origins[o][1];
        const float *rows[RC_WINO_MAX_ALPHA], *rows_r[RC_WINO_MAX_ALPHA];
        window_rows(x, in_h, rf, iy0, A, 0, rows);
        window_rows(xr, in_h, rf, iy0, A, 1, rows_r);
        for (size_t i = 0; i < nv; i++) ref[i] = SENTINEL;
        sets[0]->input[v](rows, in_w, cin, ix0, ref, v_stride);
        double scale = 1.0;
        for (int xi = 0; xi < A * A; xi++)
          for (size_t c = 0; c < cin; c++)
            if (ref[(size_t)xi * v_stride] != SENTINEL) scale = fmax(scale, fabs(ref[(size_t)xi * v_stride + c]));
        for (size_t s = 0; s < nsets; s++) {
          for (size_t i = 0; i < nv; i++) got[i] = got_r[i] = SENTINEL;
          sets[s]->input[v](rows, in_w, cin, ix0, got, v_stride);
          sets[s]->input[v](rows_r, in_w, cin, ix0, got_r, v_stride);
          calls += 2;
          if (memcmp(got, got_r, nv * sizeof(float)) != 0)
            fail_msg("%s input %s cin=%zu origin (%d,%d): rows in reverse memory order give another result",
                     sets[s]->name, k_kinds[v].name, cin, iy0, ix0);
          for (int xi = 0; xi < A * A; xi++)
            for (size_t c = 0; c < v_stride; c++) {
              const size_t i = (size_t)xi * v_stride + c;
              const char* what = NULL;
              if (ref[(size_t)xi * v_stride] == SENTINEL) { /* a position a border tile does not use */
                if (got[i] != SENTINEL) what = "wrote a position the scalar kernel does not";
              } else if (c >= cpad) {
                if (got[i] != SENTINEL) what = "wrote past the padded row";
              } else if (c >= cin) {
                if (got[i] != 0.0f) what = "padding channel not 0";
              } else if (!close_enough(got[i], ref[i], scale, TRANSFORM_TOL)) {
                what = "differs from scalar";
              }
              if (what)
                fail_msg("%s input %s cin=%zu origin (%d,%d) xi=%d c=%zu: %s (got %.9g, scalar %.9g)", sets[s]->name,
                         k_kinds[v].name, cin, iy0, ix0, xi, c, what, got[i], ref[i]);
            }
        }
      }
      free(ref);
      free(got);
      free(got_r);
    }
    free(x);
    free(xr);
  }
  print_message("input transforms: %zu calls over %zu ISAs\n", calls, nsets);
}

static void test_output_transform(void** state) {
  (void)state;
  const isa_kernels* sets[MAX_SETS] = {NULL};
  const size_t nsets = kernel_sets(sets);
  static const size_t chans[] = {1, 3, 4, 5, 8, 9, 15, 16, 17, 33};
  rc_test_rng rng;
  rc_test_rng_seed(&rng, 13);
  size_t calls = 0, nan_checks = 0;
  for (size_t ci = 0; ci < sizeof chans / sizeof chans[0]; ci++) {
    const size_t cout = chans[ci], m_stride = round_up(cout, RC_WINO_M_CPAD) + 16;
    float* bias = xmalloc(cout * sizeof(float));
    float* slopes = xmalloc(cout * sizeof(float));
    rc_test_fill_uniform(&rng, bias, cout, -1.0f, 1.0f);
    rc_test_fill_uniform(&rng, slopes, cout, -1.0f, 1.0f);
    for (int v = 0; v < KINDS; v++) {
      const int A = k_kinds[v].alpha;
      const size_t my = k_kinds[v].my, mx = k_kinds[v].mx, m = my > mx ? my : mx;
      float* mm = xmalloc((size_t)A * A * m_stride * sizeof(float));
      rc_test_fill_uniform(&rng, mm, (size_t)A * A * m_stride, -1.0f, 1.0f);
      /* The output image: the tile's box at row 1, column 1 of a frame one
       * pixel and a few channels wider (the cout channels are a slice of
       * the pixel's cstride, as a thread's share of them is), so writes
       * outside it show. */
      const size_t cstride = cout + 3, img_w = m + 2, y_row_stride = img_w * cstride, ny = (m + 2) * y_row_stride;
      float* ref = xmalloc(ny * sizeof(float));
      float* got = xmalloc(ny * sizeof(float));
      const size_t sizes[][2] = {{my, mx}, {1, 1}, {my, 1}, {1, mx}, {my - 1 ? my - 1 : 1, mx}};
      for (size_t sz = 0; sz < sizeof sizes / sizeof sizes[0]; sz++)
        for (int act = 0; act < 4; act++)
          for (int with_bias = 0; with_bias < 2; with_bias++)
            for (int with_nan = 0; with_nan < 2; with_nan++) {
              const size_t rows = sizes[sz][0], cols = sizes[sz][1];
              rc_wino_epilogue ep = {with_bias ? bias : NULL, (rc_wino_activation)act, -0.7f, 0.9f, slopes};
              /* A NaN in one transformed value of one channel. */
              const size_t nan_at = (size_t)(A + 1) * m_stride + cout / 2;
              const float saved = mm[nan_at];
              if (with_nan) mm[nan_at] = NAN;
              float* y_ref = ref + y_row_stride + cstride;
              for (size_t i = 0; i < ny; i++) ref[i] = SENTINEL;
              /* The scale: the largest output before the activation, which
               * rounds no further (a clip's outputs are small, the
               * transform's intermediates are not). */
              rc_wino_epilogue linear = ep;
              linear.activation = RC_WINO_ACT_NONE;
              sets[0]->output[v](mm, m_stride, cout, &linear, y_ref, y_row_stride, cstride, rows, cols);
              double scale = 1.0;
              for (size_t i = 0; i < ny; i++)
                if (ref[i] != SENTINEL && !isnan(ref[i])) scale = fmax(scale, fabs(ref[i]));
              for (size_t i = 0; i < ny; i++) ref[i] = SENTINEL;
              sets[0]->output[v](mm, m_stride, cout, &ep, y_ref, y_row_stride, cstride, rows, cols);
              for (size_t s = 0; s < nsets; s++) {
                for (size_t i = 0; i < ny; i++) got[i] = SENTINEL;
                sets[s]->output[v](mm, m_stride, cout, &ep, got + y_row_stride + cstride, y_row_stride, cstride, rows,
                                   cols);
                calls++;
                for (size_t yy = 0; yy < m + 2; yy++)
                  for (size_t xx = 0; xx < img_w; xx++)
                    for (size_t c = 0; c < cstride; c++) {
                      const size_t i = yy * y_row_stride + xx * cstride + c;
                      const int inside = yy >= 1 && yy < 1 + rows && xx >= 1 && xx < 1 + cols && c < cout;
                      const char* what = NULL;
                      if (!inside) {
                        if (got[i] != SENTINEL) what = "wrote outside rows x cols";
                      } else if (got[i] == SENTINEL) {
                        what = "not written";
                      } else if (!close_enough(got[i], ref[i], scale, TRANSFORM_TOL)) {
                        what = isnan(ref[i]) || isnan(got[i]) ? "NaN differs from scalar" : "differs from scalar";
                      }
                      if (inside && isnan(ref[i])) nan_checks++;
                      if (what)
                        fail_msg(
                            "%s output %s cout=%zu rows=%zu cols=%zu act=%d bias=%d nan=%d y[%zu][%zu][%zu]: %s "
                            "(got %.9g, scalar %.9g)",
                            sets[s]->name, k_kinds[v].name, cout, rows, cols, act, with_bias, with_nan, yy, xx, c, what,
                            got[i], ref[i]);
                    }
              }
              mm[nan_at] = saved;
            }
      free(mm);
      free(ref);
      free(got);
    }
    free(bias);
    free(slopes);
  }
  assert_true(nan_checks > 0);
  print_message("output transforms: %zu calls over %zu ISAs, %zu NaN outputs checked\n", calls, nsets, nan_checks);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gemm),
      cmocka_unit_test(test_gemm_wide),
      cmocka_unit_test(test_input_transform),
      cmocka_unit_test(test_output_transform),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

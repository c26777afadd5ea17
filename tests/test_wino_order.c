/* Tests of the order of a Winograd block's tiles in V's and M's rows with
 * border tiles (kernels/winograd/wino_border.c, wino_run.h):
 *
 *   block   RC_WINO_GROUP_BLOCK (an input binding's convs, chains): for
 *           F(2,3), F(4,3), F(6,3) and F(2,3) stride 2 at sizes with every
 *           border kind, batch 1–3,
 *           every block of several block sizes: rc_wino_slot is a bijection
 *           of the block's rows, and row rc_wino_slot(j) holds the block's
 *           tile j in raster order, its nested axes set on the last tile
 *           row and column; each position's GEMM runs over one range
 *           (rc_wino_xi_next), holding exactly the block's tiles that use
 *           the position.
 *   image   RC_WINO_GROUP_IMAGE: the rows of a whole batch hold every tile
 *           once, and each position's ranges (one per image at most) hold
 *           exactly the tiles that use it.
 *   points  rc_wino_axis_points (the planner's GEMM rows an axis) equals
 *           the positions the axis's tiles use, at every size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/winograd/wino.h"
#include "kernels/winograd/wino_matrices.h"
#include "kernels/winograd/wino_run.h"
#include "tests/support/test_util.h"

/* Whether tile p uses position xi: on a nested axis only its points
 * (wino_matrices.h), the definition the ranges are checked against. */
static int uses(const rc_wino_run* c, const rc_wino_tile* p, size_t xi) {
  static const int p23n1[] = RC_WINO23N1_POS_INIT, p43n2[] = RC_WINO43N2_POS_INIT, p63n2[] = RC_WINO63N2_POS_INIT,
                   p63n4[] = RC_WINO63N4_POS_INIT, p23s2n1[] = RC_WINO23S2N1_POS_INIT;
  const size_t kind[2] = {p->ky, p->kx}, at[2] = {xi / c->alpha, xi % c->alpha};
  for (int a = 0; a < 2; a++) {
    if (kind[a] == RC_WINO_AXIS_FULL) continue;
    const int* pos = c->variant == RC_WINO_F23     ? p23n1
                     : c->variant == RC_WINO_F23S2 ? p23s2n1
                     : c->variant == RC_WINO_F43   ? p43n2
                     : kind[a] == RC_WINO_AXIS_N4  ? p63n4
                                                   : p63n2;
    const size_t n = kind[a] == RC_WINO_AXIS_N1 ? 3 : kind[a] == RC_WINO_AXIS_N4 ? 6 : 4;
    int found = 0;
    for (size_t k = 0; k < n; k++) found |= (size_t)pos[k] == at[a];
    if (!found) return 0;
  }
  return 1;
}

/* The run state of a 16-channel conv of these output sizes, pad 1 (its
 * workspace in ws). */
static void run_of(rc_wino_run* c, rc_wino_variant v, int batch, int h, int w, void** ws) {
  rc_wino_conv_params p;
  memset(&p, 0, sizeof p);
  p.variant = v;
  p.isa = RC_WINO_ISA_SCALAR;
  p.batch = batch;
  p.out_h = h;
  p.out_w = w;
  p.in_h = rc_wino_stride(v) * (h - 1) + 1; /* out = (in + 2 − 3) / stride + 1 */
  p.in_w = rc_wino_stride(v) * (w - 1) + 1;
  p.in_c = p.out_c = 16;
  p.pad_top = p.pad_left = 1;
  *ws = malloc(rc_wino_workspace_size(v, 16, 16, (size_t)w, 0, 0));
  assert_non_null(*ws);
  rc_wino_run_init(c, &p, NULL, NULL, NULL, NULL, rc_wino_align_ws(*ws));
}

/* Every position's ranges over the block [c->first, + c->count): *ranges of
 * them in all; each row in them uses the position, each row not in them
 * does not. */
static void check_ranges(const rc_wino_run* c, size_t* ranges, size_t* rows) {
  for (size_t xi = 0; xi < c->a2; xi++) {
    uint8_t in[4096] = {0};
    assert_true(c->count <= sizeof in);
    for (size_t t1, t0 = rc_wino_xi_next(c, xi, 0, &t1); t0 < c->count; t0 = rc_wino_xi_next(c, xi, t1, &t1)) {
      assert_true(t0 < t1 && t1 <= c->count);
      for (size_t t = t0; t < t1; t++) in[t] = 1;
      ++*ranges;
      *rows += t1 - t0;
    }
    for (size_t t = 0; t < c->count; t++) {
      const rc_wino_tile p = rc_wino_tile_at(c, t);
      if (in[t] != uses(c, &p, xi))
        fail_msg("position %zu, row %zu (tile %zu,%zu): in a range %d", xi, t, p.ty, p.tx, in[t]);
    }
  }
}

static const int k_sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 20, 28};
#define N_SIZES (sizeof k_sizes / sizeof k_sizes[0])

static void test_block(void** state) {
  (void)state;
  size_t blocks = 0, bordered = 0;
  for (int v = RC_WINO_F23; v <= RC_WINO_F23S2; v++)
    for (size_t i = 0; i < N_SIZES; i++)
      for (size_t j = 0; j < N_SIZES; j += 2)
        for (int batch = 1; batch <= 3; batch += 2) {
          rc_wino_run c;
          void* ws;
          run_of(&c, (rc_wino_variant)v, batch, k_sizes[i], k_sizes[j], &ws);
          const size_t total = (size_t)batch * c.tiles_per_image;
          if (c.border) {
            bordered++;
            assert_int_equal(c.grouped, RC_WINO_GROUP_BLOCK);
          }
          for (size_t bt = 1; bt <= total; bt += bt < 4 ? 1 : 5) {
            for (c.first = 0; c.first < total; c.first += bt) {
              c.count = total - c.first < bt ? total - c.first : bt;
              if (c.grouped == RC_WINO_GROUP_BLOCK) rc_wino_block_classes(&c);
              uint8_t seen[4096] = {0};
              assert_true(c.count <= sizeof seen);
              for (size_t k = 0; k < c.count; k++) {
                const size_t t = rc_wino_slot(&c, k), g = c.first + k, r = g % c.tiles_per_image;
                assert_true(t < c.count);
                assert_int_equal(seen[t], 0);
                seen[t] = 1;
                const rc_wino_tile p = rc_wino_tile_at(&c, t);
                assert_int_equal(p.n, g / c.tiles_per_image);
                assert_int_equal(p.ty, r / c.tiles_w);
                assert_int_equal(p.tx, r % c.tiles_w);
                assert_int_equal(p.ky, p.ty + 1 == c.tiles_h ? c.by : RC_WINO_AXIS_FULL);
                assert_int_equal(p.kx, p.tx + 1 == c.tiles_w ? c.bx : RC_WINO_AXIS_FULL);
              }
              size_t ranges = 0, rows = 0;
              check_ranges(&c, &ranges, &rows);
              assert_true(ranges <= c.a2); /* one range a position at most */
              blocks++;
            }
          }
          free(ws);
        }
  print_message("block order: %zu blocks of %zu convs with border tiles\n", blocks, bordered);
  assert_true(bordered >= 100);
}

static void test_image(void** state) {
  (void)state;
  size_t convs = 0;
  for (int v = RC_WINO_F23; v <= RC_WINO_F23S2; v++)
    for (size_t i = 0; i < N_SIZES; i++)
      for (size_t j = 0; j < N_SIZES; j++) {
        const int batch = 1 + (int)((i + j) % 3);
        rc_wino_run c;
        void* ws;
        run_of(&c, (rc_wino_variant)v, batch, k_sizes[i], k_sizes[j], &ws);
        if (!c.border) {
          free(ws);
          continue;
        }
        c.grouped = RC_WINO_GROUP_IMAGE;
        c.first = 0;
        c.count = (size_t)batch * c.tiles_per_image;
        uint8_t seen[4096] = {0};
        assert_true(c.count <= sizeof seen);
        for (size_t t = 0; t < c.count; t++) {
          const rc_wino_tile p = rc_wino_tile_at(&c, t);
          const size_t g = (p.n * c.tiles_h + p.ty) * c.tiles_w + p.tx;
          assert_true(p.n < (size_t)batch && p.ty < c.tiles_h && p.tx < c.tiles_w);
          assert_int_equal(seen[g], 0);
          seen[g] = 1;
          assert_int_equal(p.ky, p.ty + 1 == c.tiles_h ? c.by : RC_WINO_AXIS_FULL);
          assert_int_equal(p.kx, p.tx + 1 == c.tiles_w ? c.bx : RC_WINO_AXIS_FULL);
        }
        size_t ranges = 0, rows = 0;
        check_ranges(&c, &ranges, &rows);
        assert_true(ranges <= c.a2 * (size_t)batch); /* one range a position and image at most */
        convs++;
        free(ws);
      }
  print_message("image order: %zu convs with border tiles\n", convs);
  assert_true(convs >= 100);
}

/* rc_wino_axis_points, the rule's count of an axis's GEMM rows (runtime/
 * plan/rules_wino.c), against the positions the axis's tiles use; and the
 * counts docs/DESIGN.md quotes. */
static void test_axis_points(void** state) {
  (void)state;
  for (int v = RC_WINO_F23; v <= RC_WINO_F23S2; v++)
    for (size_t i = 0; i < N_SIZES; i++) {
      rc_wino_run c;
      void* ws;
      run_of(&c, (rc_wino_variant)v, 1, k_sizes[i], k_sizes[i], &ws);
      size_t n = 0;
      for (size_t ty = 0; ty < c.tiles_h; ty++) {
        const rc_wino_tile p = {0, ty, 0, ty + 1 == c.tiles_h ? c.by : RC_WINO_AXIS_FULL, RC_WINO_AXIS_FULL};
        for (size_t a = 0; a < c.alpha; a++) n += (size_t)uses(&c, &p, a * c.alpha);
      }
      const size_t rule = rc_wino_axis_points((rc_wino_variant)v, (size_t)k_sizes[i]);
      if (n != rule)
        fail_msg("%s at %d: the tiles use %zu positions, rc_wino_axis_points says %zu",
                 rc_wino_variant_name((rc_wino_variant)v), k_sizes[i], n, rule);
      free(ws);
    }
  assert_int_equal(rc_wino_axis_points(RC_WINO_F23, 7), 15);
  assert_int_equal(rc_wino_axis_points(RC_WINO_F23, 8), 16);
  assert_int_equal(rc_wino_axis_points(RC_WINO_F43, 14), 22);
  assert_int_equal(rc_wino_axis_points(RC_WINO_F63, 56), 76);
  assert_int_equal(rc_wino_axis_points(RC_WINO_F63, 28), 38);
  assert_int_equal(rc_wino_axis_points(RC_WINO_F23S2, 7), 18); /* 5 + 5 + 5 + 3 */
  assert_int_equal(rc_wino_axis_points(RC_WINO_F23S2, 8), 20);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_block), cmocka_unit_test(test_image),
                                     cmocka_unit_test(test_axis_points)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

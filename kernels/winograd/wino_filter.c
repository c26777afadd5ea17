/* The Winograd filter transform, U = G g Gᵀ, at plan time (wino.h:
 * rc_wino_filter_size, rc_wino_filter_transform). One U serves every ISA,
 * and F(4,3)'s serves its border tiles too: their nested F(2,3) uses the
 * rows of F(4,3)'s G (wino_matrices.h, RC_WINO43N_*). */
#include <string.h>

#include "kernels/common/size.h"
#include "kernels/gemm/gemm_ukernels.h"
#include "kernels/winograd/wino.h"
#include "kernels/winograd/wino_matrices.h"

size_t rc_wino_filter_size(rc_wino_variant v, size_t out_c, size_t in_c) {
  const size_t a = (size_t)rc_wino_tile_alpha(v);
  const size_t positions = rc_wino_is_direct(v, in_c) ? 9 : rc_wino_u_panel(v, a * a - 1) + 1;
  return positions * rc_round_up(out_c, RC_GEMM_NR) * in_c;
}

static const double g23[4][3] = RC_WINO23_G_INIT;
static const double g43[6][3] = RC_WINO43_G_INIT;
static const double g63[8][3] = RC_WINO63_G_INIT;
static const double g23s2[5][3] = RC_WINO23S2_G_INIT;
static const double g43s2[9][3] = RC_WINO43S2_G_INIT;

void rc_wino_filter_transform(rc_wino_variant v, size_t out_c, size_t in_c, const float* w_oihw, float* u) {
  const int alpha = rc_wino_tile_alpha(v);
  const double* g = v == RC_WINO_F23     ? &g23[0][0]
                    : v == RC_WINO_F43   ? &g43[0][0]
                    : v == RC_WINO_F63   ? &g63[0][0]
                    : v == RC_WINO_F43S2 ? &g43s2[0][0]
                                         : &g23s2[0][0];
  const size_t nr = RC_GEMM_NR, blocks = rc_round_up(out_c, nr) / nr;
  memset(u, 0, rc_wino_filter_size(v, out_c, in_c) * sizeof(float));
  if (rc_wino_is_direct(v, in_c)) { /* the direct tiles' weights */
    for (size_t co = 0; co < out_c; co++)
      for (size_t ci = 0; ci < in_c; ci++)
        for (size_t t = 0; t < 9; t++) u[(ci * 9 + t) * blocks * nr + co] = w_oihw[(co * in_c + ci) * 9 + t];
    return;
  }
  for (size_t co = 0; co < out_c; co++) {
    for (size_t ci = 0; ci < in_c; ci++) {
      const float* k = w_oihw + (co * in_c + ci) * 9;
      double gk[RC_WINO_MAX_ALPHA][3]; /* G g */
      for (int i = 0; i < alpha; i++)
        for (int c = 0; c < 3; c++)
          gk[i][c] = g[i * 3 + 0] * k[0 * 3 + c] + g[i * 3 + 1] * k[1 * 3 + c] + g[i * 3 + 2] * k[2 * 3 + c];
      for (int i = 0; i < alpha; i++)
        for (int j = 0; j < alpha; j++) {
          const double uij = gk[i][0] * g[j * 3 + 0] + gk[i][1] * g[j * 3 + 1] + gk[i][2] * g[j * 3 + 2];
          const size_t p = rc_wino_u_panel(v, (size_t)(i * alpha + j)); /* (shared: equal values) */
          u[((p * blocks + co / nr) * in_c + ci) * nr + co % nr] = (float)uij;
        }
    }
  }
}

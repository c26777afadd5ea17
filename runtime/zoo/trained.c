#include "runtime/zoo/trained.h"

#include <stdio.h>

#include "runtime/zoo/blocks.h"
#include "runtime/zoo/wblob.h"

/* ECBSR-M4C16 ×2 on Y (0..255), the architecture of ecbsr-m4c16-x2 (zoo.c)
 * and of tools/train/ecbsr.py's ECBSR: ECB head 1 → 16 + PReLU, four ECB
 * 16 → 16 + PReLU, ECB tail 16 → 4, + the input broadcast to the 4 channels,
 * pixel shuffle ×2 (CRD). Input 1×1×540×960 by default (any size runs). */
rc_status rc_zoo_build_ecbsr_x2_from(rc_graph* g, const unsigned char* blob, size_t size) {
  enum { M = 4, C = 16, SCALE = 2, COLORS = 1 };
  rc_wblob w;
  RC_CHECK(rc_wblob_open(&w, "ecbsr-x2 weights", blob, size));
  rc_shape in = {4, {1, COLORS, 540, 960}};
  int32_t x, y;
  char name[RC_MAX_NAME];
  RC_CHECK(rc_graph_add_input(g, "input", &in, &x));
  RC_CHECK(rc_block_ecb_trained(g, &w, "backbone.0", x, COLORS, C, 1, &y));
  for (int i = 0; i < M; i++) {
    snprintf(name, sizeof(name), "backbone.%d", i + 1);
    RC_CHECK(rc_block_ecb_trained(g, &w, name, y, C, C, 1, &y));
  }
  snprintf(name, sizeof(name), "backbone.%d", M + 1);
  RC_CHECK(rc_block_ecb_trained(g, &w, name, y, C, COLORS * SCALE * SCALE, 0, &y));
  RC_CHECK(rc_wblob_close(&w));
  int32_t pair[2] = {y, x};
  RC_CHECK(rc_graph_add_node(g, RC_OP_ADD, "residual", pair, 2, NULL, "residual", &y));
  rc_attrs d2s = rc_attrs_default();
  d2s.block = SCALE;
  d2s.mode = 0; /* CRD: PyTorch's PixelShuffle */
  RC_CHECK(rc_graph_add_node(g, RC_OP_DEPTH_TO_SPACE, "upsampler", &y, 1, &d2s, "output", &y));
  return rc_graph_add_output(g, y);
}

rc_status rc_zoo_build_ecbsr_x2(rc_graph* g) {
  return rc_zoo_build_ecbsr_x2_from(g, rc_zoo_ecbsr_x2_blob, rc_zoo_ecbsr_x2_blob_size);
}

/* Reference strided 4-D elementwise add/sub/mul/div with broadcast strides. */
#include "kernels/ref/ref.h"

static float apply(rc_binary_kind op, float a, float b) {
  switch (op) {
    case RC_BINARY_ADD: return a + b;
    case RC_BINARY_SUB: return a - b;
    case RC_BINARY_MUL: return a * b;
    case RC_BINARY_DIV: return a / b;
  }
  return a + b; /* unreachable for valid kinds */
}

void rc_ref_binary(rc_binary_kind op, const int64_t dims[4], const float* a, const int64_t sa[4], const float* b,
                   const int64_t sb[4], float* y, const int64_t sy[4]) {
  for (int64_t i0 = 0; i0 < dims[0]; i0++) {
    for (int64_t i1 = 0; i1 < dims[1]; i1++) {
      for (int64_t i2 = 0; i2 < dims[2]; i2++) {
        const int64_t oa = i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const int64_t ob = i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        const int64_t oy = i0 * sy[0] + i1 * sy[1] + i2 * sy[2];
        for (int64_t i3 = 0; i3 < dims[3]; i3++) {
          y[oy + i3 * sy[3]] = apply(op, a[oa + i3 * sa[3]], b[ob + i3 * sb[3]]);
        }
      }
    }
  }
}

/* AArch64 NEON Winograd input and output transforms, one tile per call, 4
 * channels per q vector: wino_transform.h over kernels/common/simd__neon.h
 * (a channel tail of 1–3 is read and written lane by lane). V rows are
 * padded to 8 channels (RC_WINO_V_CPAD, the AVX2 width), so a tile whose
 * channels end on a multiple of 4 but not of 8 also writes one chunk of
 * zeros. Built only for AArch64. */
#include "kernels/common/simd__neon.h"

#define WINO_FN(name) rc_##name##__neon

#include "kernels/winograd/wino_transform.h"

/* AVX-512F Winograd input and output transforms, one tile per call, 16
 * channels per vector; channel tails use mask registers. The code is
 * wino_transform.h over kernels/common/simd__avx512f.h, as for AVX2 one vector width
 * down: on CPUs with a full-width 512-bit datapath a 16-channel layer (a
 * super-resolution body) takes one vector per tile position instead of two.
 * Compiled with -mavx512f (CMakeLists.txt); called only when cpuinfo
 * reports AVX-512F. */
#include "kernels/common/simd__avx512f.h"

#define WINO_FN(name) rc_##name##__avx512f

#include "kernels/winograd/wino_transform.h"

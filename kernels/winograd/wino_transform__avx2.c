/* AVX2+FMA Winograd input and output transforms, one tile per call, 8
 * channels per vector (NHWC keeps them contiguous); channel tails use masked
 * loads and stores. The code is wino_transform.h over kernels/common/simd__avx2.h.
 * Compiled with -mavx2 -mfma (CMakeLists.txt); called only when cpuinfo
 * reports AVX2 and FMA3. */
#include "kernels/common/simd__avx2.h"

#define WINO_FN(name) rc_##name##__avx2

#include "kernels/winograd/wino_transform.h"

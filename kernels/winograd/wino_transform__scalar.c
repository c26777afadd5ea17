/* Scalar (portable C) Winograd input and output transforms, one tile per
 * call, one channel at a time: wino_transform.h over
 * kernels/common/simd__scalar.h. The reference for the SIMD variants: the
 * same matrices (wino_matrices.h), the same order of operations (zero matrix
 * entries skipped, sums in ascending index order), without FMA contraction;
 * the SIMD variants factor each 1-D transform (wino_transform.h). */
#include "kernels/common/simd__scalar.h"

#define WINO_FN(name) rc_##name##__scalar
#define WINO_FACTORED 0 /* the matrices as written: the reference */

#include "kernels/winograd/wino_transform.h"

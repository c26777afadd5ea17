/* Size arithmetic shared by the kernels and the planner (q, b > 0; no
 * overflow check: callers size real buffers, already bounded). */
#ifndef RC_KERNELS_COMMON_SIZE_H
#define RC_KERNELS_COMMON_SIZE_H

#include <stddef.h>

/* n rounded up to a multiple of q. */
static inline size_t rc_round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }
/* a / b rounded up. */
static inline size_t rc_ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

#endif

/* Overflow-checked size arithmetic for every size that comes from a file or
 * from a caller. Each returns 0 on success and 1 on overflow. */
#ifndef RC_CHECKED_H
#define RC_CHECKED_H

#include <stddef.h>
#include <stdint.h>

static inline int rc_mul_size(size_t a, size_t b, size_t* out) { return __builtin_mul_overflow(a, b, out); }
static inline int rc_add_size(size_t a, size_t b, size_t* out) { return __builtin_add_overflow(a, b, out); }
static inline int rc_mul_i64(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }
static inline int rc_add_i64(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }

/* a + b for non-negative counts (FLOPs, parameters), saturating at INT64_MAX. */
static inline int64_t rc_sat_add_i64(int64_t a, int64_t b) {
  int64_t s;
  return __builtin_add_overflow(a, b, &s) ? INT64_MAX : s;
}

/* Rounds up to a multiple of align (a power of two). */
static inline int rc_align_size(size_t a, size_t align, size_t* out) {
  if (rc_add_size(a, align - 1, out)) return 1;
  *out &= ~(align - 1);
  return 0;
}

#endif

/* The one deterministic generator of the project (splitmix64): built-in
 * model weights, gen-input's tensors, benchmark and test data. The same
 * state gives the same sequence on every platform; changing any function
 * here changes built-in models and gen-input outputs bit for bit. */
#ifndef RC_RNG_H
#define RC_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rc_rng {
  uint64_t state; /* the seed, before the first call */
} rc_rng;

static inline uint64_t rc_rng_next(rc_rng* r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* The upper 32 bits of the next value. */
static inline uint32_t rc_rng_u32(rc_rng* r) { return (uint32_t)(rc_rng_next(r) >> 32); }

/* Uniform in [lo, hi), 24-bit resolution. */
static inline float rc_rng_uniform(rc_rng* r, float lo, float hi) {
  return lo + (hi - lo) * (float)((double)(rc_rng_next(r) >> 40) * (1.0 / 16777216.0));
}

/* n values of rc_rng_uniform(r, lo, hi). */
static inline void rc_rng_fill_uniform(rc_rng* r, float* x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) x[i] = rc_rng_uniform(r, lo, hi);
}

/* n floats uniform over [-scale, scale): 24 random bits k give
 * (k / 2^23 - 1) * scale, exact floats on a grid for scale 1 (gen-input's
 * tensors, the CLI's and the benchmarks' random inputs). */
static inline void rc_rng_fill_signed(rc_rng* r, float* x, size_t n, float scale) {
  for (size_t i = 0; i < n; i++) {
    uint32_t bits = (uint32_t)(rc_rng_next(r) >> 40);
    x[i] = ((float)bits * (1.0f / 8388608.0f) - 1.0f) * scale;
  }
}

#endif

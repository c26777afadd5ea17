/* A small deterministic generator (splitmix64) for built-in model weights:
 * the same seed gives the same model on every platform. */
#ifndef RC_RNG_H
#define RC_RNG_H

#include <stdint.h>

typedef struct rc_rng {
  uint64_t state;
} rc_rng;

static inline uint64_t rc_rng_next(rc_rng* r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi), 24-bit resolution. */
static inline float rc_rng_uniform(rc_rng* r, float lo, float hi) {
  return lo + (hi - lo) * (float)((double)(rc_rng_next(r) >> 40) * (1.0 / 16777216.0));
}

#endif

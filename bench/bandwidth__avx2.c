/* The read and write streams with AVX2 vectors (built with -mavx2;
 * called only when the CPU has it): one core issues fewer, wider loads
 * and stores, as the kernels do (plain C reached ~25% less read bandwidth
 * per core here). p is 64-byte aligned; n words, a multiple of 16. */
#include <immintrin.h>
#include <stdint.h>

#include "bench/bandwidth.h"

uint64_t rc_bandwidth_read__avx2(const uint64_t* p, size_t n) {
  __m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256(), c = _mm256_setzero_si256(),
          d = _mm256_setzero_si256();
  for (size_t i = 0; i < n; i += 16) {
    a = _mm256_add_epi64(a, _mm256_load_si256((const __m256i*)(p + i)));
    b = _mm256_add_epi64(b, _mm256_load_si256((const __m256i*)(p + i + 4)));
    c = _mm256_add_epi64(c, _mm256_load_si256((const __m256i*)(p + i + 8)));
    d = _mm256_add_epi64(d, _mm256_load_si256((const __m256i*)(p + i + 12)));
  }
  a = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
  uint64_t lanes[4];
  _mm256_storeu_si256((__m256i*)lanes, a);
  uint64_t s = 0;
  for (int k = 0; k < 4; k++) s ^= lanes[k];
  return s;
}

void rc_bandwidth_write__avx2(uint64_t* p, size_t n, uint64_t seed) {
  __m256i v = _mm256_set1_epi64x((long long)seed);
  const __m256i step = _mm256_set1_epi64x(1);
  for (size_t i = 0; i < n; i += 16) {
    _mm256_store_si256((__m256i*)(p + i), v);
    _mm256_store_si256((__m256i*)(p + i + 4), v);
    _mm256_store_si256((__m256i*)(p + i + 8), v);
    _mm256_store_si256((__m256i*)(p + i + 12), v);
    v = _mm256_add_epi64(v, step);
  }
}

/* The read and write streams with AVX512F vectors (built with -mavx512f;
 * called only when the CPU has it): one core issues fewer, wider loads
 * and stores, as the kernels do (plain C reached ~25% less read bandwidth
 * per core here). p is 64-byte aligned; n words, a multiple of 32. */
#include <immintrin.h>
#include <stdint.h>

#include "bench/bandwidth.h"

uint64_t rc_bandwidth_read__avx512f(const uint64_t* p, size_t n) {
  __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512(), c = _mm512_setzero_si512(),
          d = _mm512_setzero_si512();
  for (size_t i = 0; i < n; i += 32) {
    a = _mm512_add_epi64(a, _mm512_load_si512((const void*)(p + i)));
    b = _mm512_add_epi64(b, _mm512_load_si512((const void*)(p + i + 8)));
    c = _mm512_add_epi64(c, _mm512_load_si512((const void*)(p + i + 16)));
    d = _mm512_add_epi64(d, _mm512_load_si512((const void*)(p + i + 24)));
  }
  a = _mm512_add_epi64(_mm512_add_epi64(a, b), _mm512_add_epi64(c, d));
  uint64_t lanes[8];
  _mm512_storeu_si512((void*)lanes, a);
  uint64_t s = 0;
  for (int k = 0; k < 8; k++) s ^= lanes[k];
  return s;
}

void rc_bandwidth_write__avx512f(uint64_t* p, size_t n, uint64_t seed) {
  __m512i v = _mm512_set1_epi64((long long)seed);
  const __m512i step = _mm512_set1_epi64(1);
  for (size_t i = 0; i < n; i += 32) {
    _mm512_store_si512((void*)(p + i), v);
    _mm512_store_si512((void*)(p + i + 8), v);
    _mm512_store_si512((void*)(p + i + 16), v);
    _mm512_store_si512((void*)(p + i + 24), v);
    v = _mm512_add_epi64(v, step);
  }
}

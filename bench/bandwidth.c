/* The memory-bandwidth probe. See bandwidth.h. */
#define _POSIX_C_SOURCE 200809L

#include "bench/bandwidth.h"

#include "bench/peak.h"

#include <cpuinfo.h>
#include <pthreadpool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIB ((size_t)1 << 20)

typedef uint64_t (*read_fn)(const uint64_t* p, size_t n);
typedef void (*write_fn)(uint64_t* p, size_t n, uint64_t seed);

size_t rc_bandwidth_default_bytes(void) {
  size_t llc = 0;
  if (cpuinfo_initialize()) {
    if (cpuinfo_get_l3_caches_count() > 0) {
      llc = cpuinfo_get_l3_cache(0)->size;
    } else if (cpuinfo_get_l2_caches_count() > 0) {
      llc = cpuinfo_get_l2_cache(0)->size;
    }
  }
  size_t b = 4 * llc;
  if (b < 256 * MIB) b = 256 * MIB;
  if (b > 1024 * MIB) b = 1024 * MIB;
  return b;
}

static size_t llc_bytes(void) {
  if (!cpuinfo_initialize()) return 0;
  if (cpuinfo_get_l3_caches_count() > 0) return cpuinfo_get_l3_cache(0)->size;
  if (cpuinfo_get_l2_caches_count() > 0) return cpuinfo_get_l2_cache(0)->size;
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum { STREAM_READ, STREAM_WRITE, STREAM_COPY };

typedef struct bw_task {
  read_fn read;
  write_fn write;
  uint64_t* buf;
  size_t words; /* of the whole buffer */
  size_t parts;
  int stream;
  uint64_t seed;
  volatile uint64_t sink[256];
} bw_task;

/* Four independent sums: the loads, not an add chain, set the pace. */
static uint64_t read_words(const uint64_t* p, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  for (; i < n; i++) s0 += p[i];
  return s0 ^ s1 ^ s2 ^ s3;
}

/* Values that depend on the index, so the compiler cannot turn the loop
 * into memset (which may use non-temporal stores). */
static void write_words(uint64_t* p, size_t n, uint64_t seed) {
  for (size_t i = 0; i < n; i++) p[i] = (uint64_t)i ^ seed;
}

static void bw_run(void* context, size_t part) {
  bw_task* t = (bw_task*)context;
  const size_t half = t->words / 2;
  if (t->stream == STREAM_COPY) { /* part k copies its share of the first half into the second */
    const size_t lo = half * part / t->parts, hi = half * (part + 1) / t->parts;
    memcpy(t->buf + half + lo, t->buf + lo, (hi - lo) * sizeof(uint64_t));
    return;
  }
  /* Shares of whole blocks (the vector loops' unit, 256 bytes). */
  const size_t blocks = t->words / RC_BANDWIDTH_BLOCK_WORDS;
  const size_t lo = blocks * part / t->parts * RC_BANDWIDTH_BLOCK_WORDS,
               hi = blocks * (part + 1) / t->parts * RC_BANDWIDTH_BLOCK_WORDS;
  if (t->stream == STREAM_READ) {
    t->sink[part & 255] = t->read(t->buf + lo, hi - lo);
  } else {
    t->write(t->buf + lo, hi - lo, t->seed);
  }
}

/* The best GB/s of `trials` passes of one stream. */
static double best_pass(bw_task* t, pthreadpool_t pool, int stream, int trials) {
  double best = 0;
  t->stream = stream;
  const double bytes = (double)(t->words * sizeof(uint64_t)); /* copy: half read, half written */
  for (int k = 0; k < trials; k++) {
    t->seed = (uint64_t)k * 0x9e3779b97f4a7c15ull;
    const double t0 = now_s();
    if (pool) {
      pthreadpool_parallelize_1d(pool, bw_run, t, t->parts, 0);
    } else {
      bw_run(t, 0);
    }
    const double dt = now_s() - t0;
    const double g = dt > 0 ? bytes / dt * 1e-9 : 0;
    if (g > best) best = g;
  }
  return best;
}

int rc_bandwidth_measure(int threads, size_t bytes, int trials, rc_bandwidth* out) {
  memset(out, 0, sizeof(*out));
  if (threads < 1 || threads > 256) return -1;
  if (bytes == 0) bytes = rc_bandwidth_default_bytes();
  if (trials < 1) trials = 1;
  bytes = bytes / (2 * 4096) * (2 * 4096); /* two halves of whole pages */
  if (bytes == 0) return -1;
  uint64_t* buf = aligned_alloc(4096, bytes);
  if (!buf) return -1;
  pthreadpool_t pool = NULL;
  if (threads > 1) {
    pool = pthreadpool_create((size_t)threads);
    if (!pool) {
      free(buf);
      return -1;
    }
  }
  bw_task* t = calloc(1, sizeof(*t));
  if (!t) {
    pthreadpool_destroy(pool);
    free(buf);
    return -1;
  }
  t->read = read_words;
  t->write = write_words;
#if defined(__x86_64__) || defined(_M_X64)
  if (rc_peak_isa_available(RC_PEAK_AVX512F)) {
    t->read = rc_bandwidth_read__avx512f;
    t->write = rc_bandwidth_write__avx512f;
  } else if (rc_peak_isa_available(RC_PEAK_FMA3)) {
    t->read = rc_bandwidth_read__avx2;
    t->write = rc_bandwidth_write__avx2;
  }
#endif
  t->buf = buf;
  t->words = bytes / sizeof(uint64_t);
  t->parts = (size_t)threads;
  /* The first pass faults the pages in (each thread its share): untimed. */
  t->stream = STREAM_WRITE;
  if (pool) {
    pthreadpool_parallelize_1d(pool, bw_run, t, t->parts, 0);
  } else {
    bw_run(t, 0);
  }
  out->write_gbs = best_pass(t, pool, STREAM_WRITE, trials);
  out->read_gbs = best_pass(t, pool, STREAM_READ, trials);
  out->copy_gbs = best_pass(t, pool, STREAM_COPY, trials);
  out->buffer_bytes = bytes;
  out->llc_bytes = llc_bytes();
  out->threads = threads;
  free(t);
  pthreadpool_destroy(pool);
  free(buf);
  return 0;
}

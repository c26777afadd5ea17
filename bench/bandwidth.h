/* The machine's memory bandwidth, measured: `threads` threads stream over
 * their shares of one buffer larger than the last-level cache (4x its size
 * from cpuinfo, capped: rc_bandwidth_default_bytes), timed with CLOCK_MONOTONIC, the best of a few passes.
 * The second yardstick of `repconv bench --profile` (the roofline), beside
 * the FMA peak (peak.h); not a library feature.
 *
 *   read   a sum of every 8-byte word (the loads a kernel does on its input
 *          and weights; nothing written)
 *   write  every word stored with ordinary stores (a kernel's output: the
 *          CPU reads each line before it writes it, so the memory moves
 *          about twice the bytes counted)
 *   copy   memcpy from one half of the buffer to the other, counted as the
 *          bytes read plus the bytes written (STREAM's convention); large
 *          copies in glibc use non-temporal stores, which skip the read of
 *          the destination: a copy can beat read and write taken apart.
 * GB/s are 10^9 bytes a second. Read and write use the widest vectors the
 * CPU has (bandwidth__avx512f.c, bandwidth__avx2.c, chosen at run time like
 * the peak's loop; plain C elsewhere): one core reading 16-byte vectors got
 * ~25% less than with 64-byte ones on this machine. */
#ifndef REPCONV_BENCH_BANDWIDTH_H
#define REPCONV_BENCH_BANDWIDTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rc_bandwidth {
  double read_gbs, write_gbs, copy_gbs;
  size_t buffer_bytes; /* the buffer streamed over */
  size_t llc_bytes;    /* the last-level cache cpuinfo reports (0: none) */
  int threads;
} rc_bandwidth;

/* 4 x the last-level cache, at least 256 MiB, at most 1 GiB (the pages of
 * a larger one take seconds to fault in on a virtual machine). */
size_t rc_bandwidth_default_bytes(void);

/* Measures with `threads` threads (1..256) over `bytes` (0: the default),
 * the best of `trials` passes per stream. Returns 0 on success, -1 if the
 * buffer or the thread pool could not be had (*out is zeroed then). */
int rc_bandwidth_measure(int threads, size_t bytes, int trials, rc_bandwidth* out);

/* The vector loops, one per ISA file: n words from a 64-byte aligned p, n a
 * multiple of 32 (RC_BANDWIDTH_BLOCK_WORDS). */
#define RC_BANDWIDTH_BLOCK_WORDS 32
uint64_t rc_bandwidth_read__avx2(const uint64_t* p, size_t n);
void rc_bandwidth_write__avx2(uint64_t* p, size_t n, uint64_t seed);
uint64_t rc_bandwidth_read__avx512f(const uint64_t* p, size_t n);
void rc_bandwidth_write__avx512f(uint64_t* p, size_t n, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif

/* CPU facts from cpuinfo, read once: ISA extensions for kernel dispatch and
 * cache sizes for blocking. The only process-wide state repconv keeps. */
#ifndef RC_CPU_H
#define RC_CPU_H

#include <stddef.h>

typedef struct rc_cpu {
  int initialized; /* 0 if cpuinfo could not read this machine: scalar kernels only */
  int avx2, fma3, f16c, avx512f, neon;
  int isa_capped; /* REPCONV_MAX_ISA turned some of them off */
  /* AVX-512 executed on 256-bit units (AMD family 19h, Zen 4): one zmm FMA
   * a cycle, the ymm rate, so half the multiply-adds per cycle of a core with
   * two 512-bit FMA units against the same memory. Set from the CPU, not
   * changed by REPCONV_MAX_ISA. */
  int avx512_256bit;
  size_t l1d_bytes, l2_bytes, l3_bytes; /* per core / per cluster as cpuinfo reports; 0 unknown */
  unsigned cores;                       /* logical processors */
  char summary[192];                    /* "AVX2 FMA3; caches: L1d 32 KiB L2 512 KiB; 2 logical processors" */
} rc_cpu;

/* Thread-safe; the first call initializes. */
const rc_cpu* rc_cpu_get(void);

#endif

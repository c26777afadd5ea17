#include "kernels/common/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpuinfo.h>

#include "repconv.h"

static rc_cpu g_cpu;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void append_kib(char* buf, size_t size, const char* label, size_t bytes) {
  size_t used = strlen(buf);
  if (!bytes || used >= size) return;
  if (bytes >= (1u << 20)) {
    snprintf(buf + used, size - used, "%s %zu MiB", label, bytes >> 20);
  } else {
    snprintf(buf + used, size - used, "%s %zu KiB", label, bytes >> 10);
  }
}

static void init(void) {
  rc_cpu* c = &g_cpu;
  if (!cpuinfo_initialize()) {
    snprintf(c->summary, sizeof(c->summary), "unknown CPU (cpuinfo failed): scalar kernels only");
    return;
  }
  c->initialized = 1;
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
  c->avx2 = cpuinfo_has_x86_avx2();
  c->fma3 = cpuinfo_has_x86_fma3();
  c->f16c = cpuinfo_has_x86_f16c();
  c->avx512f = cpuinfo_has_x86_avx512f();
  const struct cpuinfo_core* core = cpuinfo_get_cores_count() ? cpuinfo_get_core(0) : NULL;
  if (core && core->vendor == cpuinfo_vendor_amd && c->avx512f) {
    const uint32_t base = (core->cpuid >> 8) & 0xF, family = base == 0xF ? base + ((core->cpuid >> 20) & 0xFF) : base;
    c->avx512_256bit = family == 0x19; /* Zen 4 (Zen 3, the other family 19h parts, has no AVX-512) */
  }
#endif
#if CPUINFO_ARCH_ARM || CPUINFO_ARCH_ARM64
  c->neon = cpuinfo_has_arm_neon();
#endif
  /* REPCONV_MAX_ISA caps the ISA repconv's kernels use (like oneDNN's
   * ONEDNN_MAX_CPU_ISA): "avx2" (no AVX-512: what an AVX2-only CPU runs),
   * "scalar" (no SIMD kernels; NEON stays, being baseline on AArch64).
   * XNNPACK keeps its own dispatch. */
  const char* cap = getenv("REPCONV_MAX_ISA");
  if (cap && (strcmp(cap, "avx2") == 0 || strcmp(cap, "scalar") == 0)) {
    c->avx512f = 0;
    if (strcmp(cap, "scalar") == 0) c->avx2 = c->fma3 = c->f16c = 0;
    c->isa_capped = 1;
  }
  const struct cpuinfo_cache* l1 = cpuinfo_get_l1d_cache(0);
  const struct cpuinfo_cache* l2 = cpuinfo_get_l2_cache(0);
  const struct cpuinfo_cache* l3 = cpuinfo_get_l3_caches_count() ? cpuinfo_get_l3_cache(0) : NULL;
  c->l1d_bytes = l1 ? l1->size : 0;
  c->l2_bytes = l2 ? l2->size : 0;
  c->l3_bytes = l3 ? l3->size : 0;
  c->cores = cpuinfo_get_processors_count();
  char isa[64] = "";
  if (c->avx512f) strcat(isa, "AVX512F ");
  if (c->avx2) strcat(isa, "AVX2 ");
  if (c->fma3) strcat(isa, "FMA3 ");
  if (c->neon) strcat(isa, "NEON ");
  if (!isa[0]) strcat(isa, "baseline ");
  isa[strlen(isa) - 1] = '\0';
  snprintf(c->summary, sizeof(c->summary), "%s%s; caches:", isa, c->isa_capped ? " (capped by REPCONV_MAX_ISA)" : "");
  if (!c->l1d_bytes && !c->l2_bytes && !c->l3_bytes) strcat(c->summary, " unknown");
  append_kib(c->summary, sizeof(c->summary), " L1d", c->l1d_bytes);
  append_kib(c->summary, sizeof(c->summary), " L2", c->l2_bytes);
  append_kib(c->summary, sizeof(c->summary), " L3", c->l3_bytes);
  size_t used = strlen(c->summary);
  snprintf(c->summary + used, sizeof(c->summary) - used, "; %u logical processors", c->cores);
}

const rc_cpu* rc_cpu_get(void) {
  pthread_once(&g_once, init);
  return &g_cpu;
}

const char* repconv_cpu_summary(void) { return rc_cpu_get()->summary; }

/* The plan-owned weight buffers (transformed filters, packed weights,
 * permuted biases and slopes): where they live and how they are freed. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#include <stdint.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "runtime/plan/planner.h"

int rc_plan_owned_reserve(rc_plan* p, int32_t extra) {
  if (p->n_owned + extra <= p->cap_owned) return 1;
  rc_owned* o = realloc(p->owned, (size_t)(p->n_owned + extra) * sizeof(*o));
  if (!o) return 0;
  p->owned = o;
  p->cap_owned = p->n_owned + extra;
  return 1;
}

/* Huge pages: buffers of at least one (2 MiB, x86-64's and AArch64's with
 * 4 KiB pages) get a mapping of their own that starts on a huge-page
 * boundary, with the huge-page advice on their whole huge pages. A
 * classification net streams tens of MB of weights from DRAM every run, and
 * with 4 KiB pages every run walks the page tables for thousands of them
 * (RepVGG-A0, 1 thread: 12.78 → 12.26 ms; DESIGN.md, "Weights on huge
 * pages"). A mapping of its own, not aligned_alloc: the heap's alignment
 * slack, reused by small blocks, made 7.5 MB more of RepVGG-A0's memory
 * resident. The tail past the last whole huge page keeps small pages, so
 * memory resident is the buffer's. Under AddressSanitizer the weights stay
 * on the heap, where it sees a kernel read past them. */
#define RC_HUGE_PAGE ((size_t)2 << 20)
#if defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(__SANITIZE_ADDRESS__)
#define RC_OWNED_MAPPED 1
static void* map_huge(size_t bytes, size_t* len) {
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || RC_HUGE_PAGE % (size_t)page) return NULL;
  *len = (bytes + (size_t)page - 1) / (size_t)page * (size_t)page;
  if (*len > SIZE_MAX - RC_HUGE_PAGE) return NULL;
  char* raw = mmap(NULL, *len + RC_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  char* b = raw + (RC_HUGE_PAGE - (uintptr_t)raw % RC_HUGE_PAGE) % RC_HUGE_PAGE;
  if (b > raw) munmap(raw, (size_t)(b - raw));
  munmap(b + *len, (size_t)(raw + RC_HUGE_PAGE - b));                  /* at least a page: b < raw + RC_HUGE_PAGE */
  (void)madvise(b, *len / RC_HUGE_PAGE * RC_HUGE_PAGE, MADV_HUGEPAGE); /* advice: without THP, small pages */
  return b;
}

#if defined(__GLIBC__)
/* 1 if plan p holds a mapped buffer already. */
static int any_mapped(const rc_plan* p) {
  for (int32_t i = 0; i < p->n_owned; i++)
    if (p->owned[i].mapped) return 1;
  return 0;
}
#endif
#endif

/* 64-byte aligned (a cache line): the kernels read these buffers in 64-byte
 * zmm rows, and malloc's 16-byte alignment split every such load across two
 * lines (measured: the GEMM of RepVGG-A0 stage4.0 at 123 GFLOP/s from
 * malloc'd weights, 147 from aligned ones; DESIGN.md, "GEMM conv"). */
float* rc_plan_owned_alloc(rc_plan* p, size_t floats) {
  if (p->n_owned >= p->cap_owned) return NULL;
  const size_t line = 64, bytes = ((floats ? floats : 1) * sizeof(float) + line - 1) / line * line;
  rc_owned o = {NULL, 0};
#ifdef RC_OWNED_MAPPED
  if (bytes >= RC_HUGE_PAGE) {
#if defined(__GLIBC__)
    /* Heap weights reused the pages that loading and folding freed; mapped
     * ones do not, and those pages stayed resident unless given back first:
     * RepVGG-A0's peak RSS in `repconv run` 132.1 MB with heap weights,
     * 153.2 mapped, 130.4 mapped after this trim. */
    if (!any_mapped(p)) malloc_trim(0);
#endif
    o.p = map_huge(bytes, &o.mapped);
  }
#endif
  if (!o.p) {
    o.mapped = 0;
    o.p = aligned_alloc(line, bytes);
  }
  if (o.p) p->owned[p->n_owned++] = o;
  return o.p;
}

void rc_plan_owned_free(rc_plan* p) {
  for (int32_t i = 0; i < p->n_owned; i++) {
#ifdef RC_OWNED_MAPPED
    if (p->owned[i].mapped) {
      munmap(p->owned[i].p, p->owned[i].mapped);
      continue;
    }
#endif
    free(p->owned[i].p);
  }
  free(p->owned);
  p->owned = NULL;
  p->n_owned = p->cap_owned = 0;
}

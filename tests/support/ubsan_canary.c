/* Self-check of the UBSan job (tools/test-ubsan.sh), built with
 * REPCONV_UBSAN.
 *
 *   ubsan_canary clean: the accesses below done right (an over-aligned
 *     object from aligned_alloc, an offset from a real pointer); UBSan must
 *     stay silent.
 *   ubsan_canary misaligned | null: the two kinds of undefined behaviour
 *     this job exists for, each found in repconv by clang's UBSan and
 *     missed by the GCC ASan+UBSan suite: a member of a 64-byte-aligned
 *     type accessed in a 16-byte-aligned block (the thread pool from calloc,
 *     63f3fc8), and an offset applied to a null pointer (the GEMM's float
 *     weights of a layer kept as binary16, db987a4). UBSan must report each
 *     (halt_on_error: a non-zero exit); if it did not, a green job would
 *     prove nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct padded {
  int a;
  _Alignas(64) int b;
} padded;

/* Opaque to the optimizer, so neither the access nor the offset folds away. */
static padded* volatile g_obj;
static const float* volatile g_base;
static volatile size_t g_offset = 16;

static int touch(void) {
  g_obj->a = 1;
  g_obj->b = 2;
  const float* p = g_base + g_offset;
  return g_obj->a + g_obj->b + (p != NULL);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "clean";
  static float floats[32];
  char* raw = malloc(sizeof(padded) + 128);
  if (!raw) return 2;
  /* aligned as padded, or 16 past that: aligned for malloc, not for padded */
  char* at = raw + (64 - (uintptr_t)raw % 64) % 64;
  g_obj = (padded*)(void*)(strcmp(mode, "misaligned") == 0 ? at + 16 : at);
  g_base = strcmp(mode, "null") == 0 ? NULL : floats;
  printf("ubsan_canary %s: %d\n", mode, touch());
  free(raw);
  return 0;
}

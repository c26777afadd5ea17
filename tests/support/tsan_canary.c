/* Self-check of the TSan job (tools/test-tsan.sh), built with REPCONV_TSAN.
 *
 *   tsan_canary clean: pool tasks write disjoint slots, the caller reads them
 *     after each parallelize call and the next call's tasks write them again.
 *     Correct code: TSan must stay silent, which it does only if it sees the
 *     pool's hand-offs (with Debian's uninstrumented libpthreadpool it
 *     reports these accesses as races).
 *   tsan_canary race: two tasks, on two threads by a rendezvous on relaxed
 *     atomics (which give TSan no ordering), both write one int. TSan
 *     must report it (exit status 66), every time: if it did not, a green
 *     TSan job would prove nothing. */
#include <pthreadpool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum { SLOTS = 64 };
static int g_slots[SLOTS];
static int g_shared;
static atomic_int g_arrived, g_written;

static void clean_task(void* ctx, size_t i) { g_slots[i] += (int)i + *(const int*)ctx; }

/* The first task to arrive writes, then lets the other write: two threads
 * (the first spins until the second has arrived, so they cannot be one),
 * and the second write comes strictly later in time, so TSan's shadow of the
 * first is complete (two truly simultaneous writes can be missed). */
static void racy_task(void* ctx, size_t i) {
  (void)ctx;
  const int order = atomic_fetch_add_explicit(&g_arrived, 1, memory_order_relaxed);
  if (order == 0) {
    while (atomic_load_explicit(&g_arrived, memory_order_relaxed) < 2) {}
    g_shared = (int)i; /* the race */
    atomic_store_explicit(&g_written, 1, memory_order_relaxed);
  } else {
    while (!atomic_load_explicit(&g_written, memory_order_relaxed)) {}
    g_shared = (int)i;
  }
}

int main(int argc, char** argv) {
  if (argc != 2 || (strcmp(argv[1], "clean") != 0 && strcmp(argv[1], "race") != 0)) {
    fprintf(stderr, "usage: tsan_canary clean|race\n");
    return 2;
  }
  pthreadpool_t pool = pthreadpool_create(4);
  if (!pool) return 2;
  if (strcmp(argv[1], "clean") == 0) {
    long sum = 0;
    for (int round = 1; round <= 20; round++) {
      pthreadpool_parallelize_1d(pool, clean_task, &round, SLOTS, 0);
      for (int i = 0; i < SLOTS; i++) sum += g_slots[i];
    }
    printf("clean: sum %ld\n", sum);
  } else {
    atomic_init(&g_arrived, 0);
    atomic_init(&g_written, 0);
    pthreadpool_parallelize_1d(pool, racy_task, NULL, 2, 0);
    printf("race: %d\n", g_shared);
  }
  pthreadpool_destroy(pool);
  return 0;
}

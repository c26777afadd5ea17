/* A pthreadpool that ThreadSanitizer can see through, for the TSan build
 * only (cmake -DREPCONV_TSAN=ON, tools/test-tsan.sh).
 *
 * Why: Debian's libpthreadpool is not instrumented, and it hands work to its
 * threads through its own atomics and futexes, so TSan sees no
 * happens-before edge between the caller writing a task's inputs and a pool
 * thread reading them: every parallel kernel would be reported. This file
 * implements the pthreadpool API (the calls Debian's libXNNPACK makes,
 * checked with `nm -D libXNNPACK.so`; repconv's own loops run on rc_pool,
 * kernels/thread/pool.c, which TSan sees by itself) with a mutex and condition
 * variables, which TSan understands. The test executables define these
 * symbols, so they also take the place of libpthreadpool's inside
 * libXNNPACK.so (the executable comes first in symbol lookup): XNNPACK's
 * operators run on this pool too. XNNPACK's own code is not instrumented,
 * so races inside its kernels are out of scope; what is checked is the
 * hand-off of XNNPACK steps' inputs and outputs to and from repconv's code.
 *
 * Semantics as pthreadpool's: the caller is one of the pool's threads; a
 * NULL pool or a pool of one thread runs everything on the caller; flags
 * (denormals, yielding) are ignored. Items are handed out one at a time
 * under the mutex: slow, and simple enough to be obviously right. */
#include <pthread.h>
#include <pthreadpool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

typedef enum shape {
  S_1D,
  S_1D_TILE_1D,
  S_2D,
  S_2D_TILE_1D,
  S_2D_TILE_2D,
  S_3D,
  S_3D_TILE_2D,
  S_4D,
  S_4D_TILE_2D,
  S_5D,
  S_5D_TILE_2D,
  S_6D_TILE_2D
} shape;

/* One parallelize call: up to 6 ranges, the last one or two tiled. */
typedef struct job {
  shape kind;
  void (*fn)(void); /* the task, cast back to its type by call_item */
  void* ctx;
  int nd;
  size_t range[6], tile[6], tiles[6]; /* tile 1 for untiled dims */
  size_t count;                       /* product of tiles[] */
} job;

struct pthreadpool {
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  size_t threads; /* including the caller */
  pthread_t* th;
  const job* cur;
  size_t next, busy; /* next item to hand out; workers inside the current job */
  uint64_t gen;      /* bumped per job, so a worker takes part in each job once at most */
  int stop;
};

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Item `flat` of j: index and extent per dim, then the typed call. */
static void call_item(const job* j, size_t flat) {
  size_t s[6] = {0}, e[6] = {0};
  for (int d = j->nd - 1; d >= 0; d--) {
    const size_t t = flat % j->tiles[d];
    flat /= j->tiles[d];
    s[d] = t * j->tile[d];
    e[d] = min_sz(j->tile[d], j->range[d] - s[d]);
  }
  void* c = j->ctx;
  switch (j->kind) {
    case S_1D: ((pthreadpool_task_1d_t)j->fn)(c, s[0]); break;
    case S_1D_TILE_1D: ((pthreadpool_task_1d_tile_1d_t)j->fn)(c, s[0], e[0]); break;
    case S_2D: ((pthreadpool_task_2d_t)j->fn)(c, s[0], s[1]); break;
    case S_2D_TILE_1D: ((pthreadpool_task_2d_tile_1d_t)j->fn)(c, s[0], s[1], e[1]); break;
    case S_2D_TILE_2D: ((pthreadpool_task_2d_tile_2d_t)j->fn)(c, s[0], s[1], e[0], e[1]); break;
    case S_3D: ((pthreadpool_task_3d_t)j->fn)(c, s[0], s[1], s[2]); break;
    case S_3D_TILE_2D: ((pthreadpool_task_3d_tile_2d_t)j->fn)(c, s[0], s[1], s[2], e[1], e[2]); break;
    case S_4D: ((pthreadpool_task_4d_t)j->fn)(c, s[0], s[1], s[2], s[3]); break;
    case S_4D_TILE_2D: ((pthreadpool_task_4d_tile_2d_t)j->fn)(c, s[0], s[1], s[2], s[3], e[2], e[3]); break;
    case S_5D: ((pthreadpool_task_5d_t)j->fn)(c, s[0], s[1], s[2], s[3], s[4]); break;
    case S_5D_TILE_2D: ((pthreadpool_task_5d_tile_2d_t)j->fn)(c, s[0], s[1], s[2], s[3], s[4], e[3], e[4]); break;
    case S_6D_TILE_2D: ((pthreadpool_task_6d_tile_2d_t)j->fn)(c, s[0], s[1], s[2], s[3], s[4], s[5], e[4], e[5]); break;
  }
}

/* Runs items of the current job until none is left; called with mu held,
 * returns with it held. */
static void drain(pthreadpool_t p, const job* j) {
  while (p->next < j->count) {
    const size_t i = p->next++;
    pthread_mutex_unlock(&p->mu);
    call_item(j, i);
    pthread_mutex_lock(&p->mu);
  }
}

static void* worker(void* arg) {
  pthreadpool_t p = arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && (p->cur == NULL || p->gen == seen)) pthread_cond_wait(&p->work, &p->mu);
    if (p->stop) break;
    seen = p->gen;
    const job* j = p->cur;
    p->busy++;
    drain(p, j);
    if (--p->busy == 0) pthread_cond_broadcast(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

pthreadpool_t pthreadpool_create(size_t threads) {
  if (threads == 0) {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (size_t)n : 1;
  }
  pthreadpool_t p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  p->threads = threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work, NULL);
  pthread_cond_init(&p->done, NULL);
  p->th = calloc(threads, sizeof(pthread_t));
  if (!p->th) {
    pthreadpool_destroy(p);
    return NULL;
  }
  for (size_t i = 1; i < threads; i++) {
    if (pthread_create(&p->th[i], NULL, worker, p) != 0) {
      p->threads = i; /* destroy joins the ones that started */
      pthreadpool_destroy(p);
      return NULL;
    }
  }
  return p;
}

size_t pthreadpool_get_threads_count(pthreadpool_t p) { return p ? p->threads : 1; }

void pthreadpool_destroy(pthreadpool_t p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (size_t i = 1; p->th && i < p->threads; i++) pthread_join(p->th[i], NULL);
  free(p->th);
  pthread_cond_destroy(&p->work);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

static void run(pthreadpool_t p, job* j) {
  j->count = 1;
  for (int d = 0; d < j->nd; d++) {
    if (j->tile[d] == 0) j->tile[d] = 1;
    j->tiles[d] = (j->range[d] + j->tile[d] - 1) / j->tile[d];
    j->count *= j->tiles[d];
  }
  if (j->count == 0) return;
  if (!p || p->threads <= 1) {
    for (size_t i = 0; i < j->count; i++) call_item(j, i);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->cur = j;
  p->next = 0;
  p->gen++;
  pthread_cond_broadcast(&p->work);
  drain(p, j);
  while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu); /* items handed out but still running */
  p->cur = NULL;
  pthread_mutex_unlock(&p->mu);
}

#define RANGES(...) \
  { __VA_ARGS__ }

void pthreadpool_parallelize_1d(pthreadpool_t p, pthreadpool_task_1d_t f, void* c, size_t r0, uint32_t flags) {
  (void)flags;
  job j = {.kind = S_1D, .fn = (void (*)(void))f, .ctx = c, .nd = 1, .range = RANGES(r0)};
  run(p, &j);
}

void pthreadpool_parallelize_1d_tile_1d(pthreadpool_t p, pthreadpool_task_1d_tile_1d_t f, void* c, size_t r0, size_t t0,
                                        uint32_t flags) {
  (void)flags;
  job j = {.kind = S_1D_TILE_1D, .fn = (void (*)(void))f, .ctx = c, .nd = 1, .range = RANGES(r0), .tile = {t0}};
  run(p, &j);
}

void pthreadpool_parallelize_2d(pthreadpool_t p, pthreadpool_task_2d_t f, void* c, size_t r0, size_t r1,
                                uint32_t flags) {
  (void)flags;
  job j = {.kind = S_2D, .fn = (void (*)(void))f, .ctx = c, .nd = 2, .range = RANGES(r0, r1)};
  run(p, &j);
}

void pthreadpool_parallelize_2d_tile_1d(pthreadpool_t p, pthreadpool_task_2d_tile_1d_t f, void* c, size_t r0, size_t r1,
                                        size_t t1, uint32_t flags) {
  (void)flags;
  job j = {.kind = S_2D_TILE_1D, .fn = (void (*)(void))f, .ctx = c, .nd = 2, .range = RANGES(r0, r1), .tile = {1, t1}};
  run(p, &j);
}

void pthreadpool_parallelize_2d_tile_2d(pthreadpool_t p, pthreadpool_task_2d_tile_2d_t f, void* c, size_t r0, size_t r1,
                                        size_t t0, size_t t1, uint32_t flags) {
  (void)flags;
  job j = {.kind = S_2D_TILE_2D, .fn = (void (*)(void))f, .ctx = c, .nd = 2, .range = RANGES(r0, r1), .tile = {t0, t1}};
  run(p, &j);
}

void pthreadpool_parallelize_3d(pthreadpool_t p, pthreadpool_task_3d_t f, void* c, size_t r0, size_t r1, size_t r2,
                                uint32_t flags) {
  (void)flags;
  job j = {.kind = S_3D, .fn = (void (*)(void))f, .ctx = c, .nd = 3, .range = RANGES(r0, r1, r2)};
  run(p, &j);
}

void pthreadpool_parallelize_3d_tile_2d(pthreadpool_t p, pthreadpool_task_3d_tile_2d_t f, void* c, size_t r0, size_t r1,
                                        size_t r2, size_t t1, size_t t2, uint32_t flags) {
  (void)flags;
  job j = {.kind = S_3D_TILE_2D,
           .fn = (void (*)(void))f,
           .ctx = c,
           .nd = 3,
           .range = RANGES(r0, r1, r2),
           .tile = {1, t1, t2}};
  run(p, &j);
}

void pthreadpool_parallelize_4d(pthreadpool_t p, pthreadpool_task_4d_t f, void* c, size_t r0, size_t r1, size_t r2,
                                size_t r3, uint32_t flags) {
  (void)flags;
  job j = {.kind = S_4D, .fn = (void (*)(void))f, .ctx = c, .nd = 4, .range = RANGES(r0, r1, r2, r3)};
  run(p, &j);
}

void pthreadpool_parallelize_4d_tile_2d(pthreadpool_t p, pthreadpool_task_4d_tile_2d_t f, void* c, size_t r0, size_t r1,
                                        size_t r2, size_t r3, size_t t2, size_t t3, uint32_t flags) {
  (void)flags;
  job j = {.kind = S_4D_TILE_2D,
           .fn = (void (*)(void))f,
           .ctx = c,
           .nd = 4,
           .range = RANGES(r0, r1, r2, r3),
           .tile = {1, 1, t2, t3}};
  run(p, &j);
}

void pthreadpool_parallelize_5d(pthreadpool_t p, pthreadpool_task_5d_t f, void* c, size_t r0, size_t r1, size_t r2,
                                size_t r3, size_t r4, uint32_t flags) {
  (void)flags;
  job j = {.kind = S_5D, .fn = (void (*)(void))f, .ctx = c, .nd = 5, .range = RANGES(r0, r1, r2, r3, r4)};
  run(p, &j);
}

void pthreadpool_parallelize_5d_tile_2d(pthreadpool_t p, pthreadpool_task_5d_tile_2d_t f, void* c, size_t r0, size_t r1,
                                        size_t r2, size_t r3, size_t r4, size_t t3, size_t t4, uint32_t flags) {
  (void)flags;
  job j = {.kind = S_5D_TILE_2D,
           .fn = (void (*)(void))f,
           .ctx = c,
           .nd = 5,
           .range = RANGES(r0, r1, r2, r3, r4),
           .tile = {1, 1, 1, t3, t4}};
  run(p, &j);
}

void pthreadpool_parallelize_6d_tile_2d(pthreadpool_t p, pthreadpool_task_6d_tile_2d_t f, void* c, size_t r0, size_t r1,
                                        size_t r2, size_t r3, size_t r4, size_t r5, size_t t4, size_t t5,
                                        uint32_t flags) {
  (void)flags;
  job j = {.kind = S_6D_TILE_2D,
           .fn = (void (*)(void))f,
           .ctx = c,
           .nd = 6,
           .range = RANGES(r0, r1, r2, r3, r4, r5),
           .tile = {1, 1, 1, 1, t4, t5}};
  run(p, &j);
}

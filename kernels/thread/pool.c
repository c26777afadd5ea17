/* rc_pool: dynamic items, the caller takes part, spin briefly then block.
 *
 * A job's items are cut into one contiguous segment per thread, each
 * published through its own 64-bit claim word, generation << 32 | next item
 * (its end follows from n and the thread count). A thread claims item i by
 * a compare-and-swap from (gen, i) to (gen, i + 1) after reading the job
 * (task, ctx, base, n) from the pool: the swap succeeds only while the word
 * still holds that generation, so a late worker (asleep or descheduled
 * through the whole job) can never claim an item of a finished job or call
 * its task on a context that is gone. While the caller writes the next job
 * every word holds (gen + 1, CLOSED): a worker that read a half-written job
 * fails its swap. A thread runs its own segment first, then takes what is
 * left of the others': consecutive layers split alike, so each thread mostly
 * reads rows it wrote itself (one claim word for all had the items land on
 * either thread: RepVGG-A0's stem and stage1.0, 2 threads, Zen 5, 0.16 and
 * 0.33 ms against 0.128 and 0.275; docs/threads.md), and a descheduled
 * thread's items are still taken by the others. Every item
 * done bumps `done`; the call returns when done == n, whoever ran them.
 *
 * Idle workers spin on `epoch` (bumped per job) for RC_POOL_SPIN_NS, then sleep on
 * it (futex on Linux, one mutex and condition variable elsewhere); the
 * caller waits for the last items the same way on `done`. The sleeper
 * counts are checked after every bump (all sequentially consistent, so
 * either the sleeper sees the bump or the bumper sees the sleeper): no
 * system call while every thread is awake. */
#if defined(__linux__)
#define _GNU_SOURCE /* syscall, clock_gettime */
#else
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include "kernels/thread/pool.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#define RC_POOL_FUTEX 1
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_pause() _mm_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define cpu_pause() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_pause() ((void)0)
#endif

/* How long an idle thread spins before it sleeps: longer than the gap
 * between two layers' jobs (a few microseconds), short enough that a
 * spinning thread costs a busy core little (docs/threads.md). */
#ifndef RC_POOL_SPIN_NS /* (a -D for experiments) */
#define RC_POOL_SPIN_NS 50000u
#endif
/* How long a wait pauses before it also yields (see spin). */
#ifndef RC_POOL_YIELD_NS
#define RC_POOL_YIELD_NS 20000u
#endif
#define CLOSED UINT32_MAX     /* claim index while a job is being written */
#define MAX_ITEMS 0x7fffffffu /* items per job; longer loops run as several */

/* A segment's claim word, alone on its cache line. */
typedef struct claim_word {
  _Alignas(64) _Atomic uint64_t w;
} claim_word;

typedef struct worker {
  struct rc_pool* pool;
  size_t index; /* 1 .. threads - 1 */
  int cpu;      /* the CPU it is pinned to, -1: none */
  pthread_t th;
} worker;

struct rc_pool {
  size_t threads;
  worker* workers;
  /* The job: atomics because a late worker may read them while the caller
   * rewrites them (its claim then fails). */
  claim_word* claims; /* one per thread: thread k's segment of the items */
  _Alignas(64) _Atomic(rc_pool_task) task;
  _Atomic(void*) ctx;
  _Atomic size_t base;
  _Atomic uint32_t n;
  _Alignas(64) _Atomic uint32_t done; /* items finished; the caller sleeps on it */
  _Atomic uint32_t caller_sleeps;
  _Alignas(64) _Atomic uint32_t epoch; /* bumped per job and at destroy; workers sleep on it */
  _Atomic uint32_t sleepers;
  _Atomic int stop;
  _Atomic int held;      /* rc_pool_hold: idle threads do not sleep */
  pthread_mutex_t calls; /* one job at a time */
  pthread_mutex_t xnn_mu;
  pthreadpool_t xnn;
#ifndef RC_POOL_FUTEX
  pthread_mutex_t mu;
  pthread_cond_t cv;
#endif
};

/* The pool whose task this thread is running (nested calls run inline). */
static _Thread_local const rc_pool* t_pool;
static _Thread_local size_t t_thread;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Blocks while *word == old (may return spuriously). */
static void sleep_on(rc_pool* p, _Atomic uint32_t* word, uint32_t old) {
#ifdef RC_POOL_FUTEX
  (void)p;
  syscall(SYS_futex, (void*)word, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
#else
  pthread_mutex_lock(&p->mu);
  while (atomic_load(word) == old) pthread_cond_wait(&p->cv, &p->mu);
  pthread_mutex_unlock(&p->mu);
#endif
}

static void wake_all(rc_pool* p, _Atomic uint32_t* word) {
#ifdef RC_POOL_FUTEX
  (void)p;
  syscall(SYS_futex, (void*)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
  (void)word;
  pthread_mutex_lock(&p->mu);
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
#endif
}

/* Spins for *word to differ from old (want_change) or to equal it
 * (!want_change), up to RC_POOL_SPIN_NS unless the pool is held; returns the
 * last value read. A wait longer than RC_POOL_YIELD_NS yields every 32
 * pauses: the thread it waits for may be queued on its CPU (a woken worker
 * often lands on the caller's CPU here, or more threads than cores). Shorter
 * waits, the gaps between one run's jobs, only pause: yielding there put
 * two spinning threads on one CPU, and 2-thread runs took 1.5x longer
 * (docs/threads.md). */
static uint32_t spin(const rc_pool* p, _Atomic uint32_t* word, uint32_t old, int want_change) {
  uint32_t v = atomic_load(word);
  if ((v != old) == want_change) return v;
  const uint64_t t0 = now_ns();
  for (unsigned i = 1;; i++) {
    cpu_pause();
    v = atomic_load(word);
    if ((v != old) == want_change) return v;
    if (i % 32 == 0) {
      const uint64_t t = now_ns() - t0;
      if (t > RC_POOL_SPIN_NS && !atomic_load_explicit(&p->held, memory_order_relaxed)) return v;
      if (t > RC_POOL_YIELD_NS) sched_yield();
    }
  }
}

/* The end of segment k of a job of n items. */
static uint32_t segment_end(const rc_pool* p, uint32_t n, size_t k) {
  return (uint32_t)((uint64_t)n * (k + 1) / p->threads);
}

/* Claims and runs the items of segment k of the current job until none is left. */
static void run_segment(rc_pool* p, size_t k, size_t thread) {
  _Atomic uint64_t* word = &p->claims[k].w;
  uint64_t w = atomic_load(word);
  for (;;) {
    const uint32_t i = (uint32_t)w;
    if (i == CLOSED) return;
    const uint32_t n = atomic_load(&p->n);
    if (i >= segment_end(p, n, k)) return;
    const rc_pool_task task = atomic_load(&p->task);
    void* ctx = atomic_load(&p->ctx);
    const size_t base = atomic_load(&p->base);
    /* Success: the word still held (gen, i), so the job read is gen's. */
    if (!atomic_compare_exchange_weak(word, &w, w + 1)) continue;
    task(ctx, base + i, thread);
    if (atomic_fetch_add(&p->done, 1) + 1 == n && atomic_load(&p->caller_sleeps)) wake_all(p, &p->done);
    w = atomic_load(word);
  }
}

/* The thread's own segment, then the others' leftovers. */
static void run_items(rc_pool* p, size_t thread) {
  for (size_t j = 0; j < p->threads; j++) run_segment(p, (thread + j) % p->threads, thread);
}

/* Workers pinned one per CPU (Linux, threads <= the CPUs the process may
 * run on): a worker woken after a rest otherwise often lands on the
 * caller's CPU and shares it until the load balancer moves it, milliseconds
 * later: 2-thread runs after a 30 ms rest (frames of a video) took up to
 * 1.9x longer (docs/threads.md). Workers avoid the CPU of the thread that
 * creates the pool (the caller is not pinned: the balancer moves it if it
 * lands on a worker's CPU); successive pools start at successive CPUs, so
 * several sessions spread. rc_pool_create_placed(n, 0) (the session option
 * repconv_options_set_thread_affinity) or REPCONV_NO_AFFINITY=1 turn it off. */
#if defined(__linux__)
static _Atomic unsigned g_next_cpu; /* rotation only: any value is correct */

static void plan_cpus(worker* w, size_t n, int pin) {
  for (size_t k = 0; k < n; k++) w[k].cpu = -1;
  if (!pin) return;
  const char* off = getenv("REPCONV_NO_AFFINITY");
  if (off && off[0] && off[0] != '0') return;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  /* The creating thread, usually the one that runs the session, keeps its CPU. */
  const int own = sched_getcpu();
  int cpus[CPU_SETSIZE], m = 0, total = 0;
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (!CPU_ISSET(c, &allowed)) continue;
    total++;
    if (c != own) cpus[m++] = c;
  }
  if (m < 1 || (size_t)total < n + 1 || (size_t)m < n) return; /* more threads than CPUs: the scheduler places them */
  const unsigned start = atomic_fetch_add(&g_next_cpu, (unsigned)n);
  for (size_t k = 0; k < n; k++) w[k].cpu = cpus[(start + k) % (unsigned)m];
}

static void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort */
}
#else
static void plan_cpus(worker* w, size_t n, int pin) {
  (void)pin;
  for (size_t k = 0; k < n; k++) w[k].cpu = -1;
}
static void pin_to(int cpu) { (void)cpu; }
#endif

static void* worker_main(void* arg) {
  const worker* me = arg;
  rc_pool* p = me->pool;
  t_pool = p;
  t_thread = me->index;
  if (me->cpu >= 0) pin_to(me->cpu);
  uint32_t seen = 0;
  for (;;) {
    uint32_t e = spin(p, &p->epoch, seen, 1);
    while (e == seen) {
      atomic_fetch_add(&p->sleepers, 1);
      if (atomic_load(&p->epoch) == seen) sleep_on(p, &p->epoch, seen);
      atomic_fetch_sub(&p->sleepers, 1);
      e = atomic_load(&p->epoch);
    }
    seen = e;
    if (atomic_load(&p->stop)) return NULL;
    run_items(p, me->index);
  }
}

static void bump_epoch(rc_pool* p) {
  atomic_fetch_add(&p->epoch, 1);
  if (atomic_load(&p->sleepers)) wake_all(p, &p->epoch);
}

static void stop_workers(rc_pool* p, size_t started) {
  atomic_store(&p->stop, 1);
  bump_epoch(p);
  for (size_t k = 0; k < started; k++) pthread_join(p->workers[k].th, NULL);
}

rc_pool* rc_pool_create(size_t threads) { return rc_pool_create_placed(threads, 1); }

rc_pool* rc_pool_create_placed(size_t threads, int pin_workers) {
  /* Aligned as the type says (its cache-line-separated atomics): calloc's
   * 16 bytes made every member access misaligned (clang's UBSan). */
  const size_t align = _Alignof(rc_pool), bytes = (sizeof(rc_pool) + align - 1) / align * align;
  rc_pool* p = aligned_alloc(align, bytes);
  if (!p) return NULL;
  memset(p, 0, bytes);
  p->threads = threads ? threads : 1;
  atomic_init(&p->task, NULL);
  atomic_init(&p->ctx, NULL);
  atomic_init(&p->base, 0);
  atomic_init(&p->n, 0);
  atomic_init(&p->done, 0);
  atomic_init(&p->caller_sleeps, 0);
  atomic_init(&p->epoch, 0);
  atomic_init(&p->sleepers, 0);
  atomic_init(&p->stop, 0);
  atomic_init(&p->held, 0);
  pthread_mutex_init(&p->calls, NULL);
  pthread_mutex_init(&p->xnn_mu, NULL);
#ifndef RC_POOL_FUTEX
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
#endif
  p->claims = aligned_alloc(_Alignof(claim_word), p->threads * sizeof(claim_word));
  if (!p->claims) {
    p->threads = 1;
    rc_pool_destroy(p);
    return NULL;
  }
  for (size_t k = 0; k < p->threads; k++) atomic_init(&p->claims[k].w, (uint64_t)CLOSED);
  if (p->threads > 1) {
    p->workers = calloc(p->threads - 1, sizeof(worker));
    if (!p->workers) {
      p->threads = 1;
      rc_pool_destroy(p);
      return NULL;
    }
    plan_cpus(p->workers, p->threads - 1, pin_workers);
    for (size_t k = 0; k + 1 < p->threads; k++) {
      p->workers[k].pool = p;
      p->workers[k].index = k + 1;
      if (pthread_create(&p->workers[k].th, NULL, worker_main, &p->workers[k]) != 0) {
        stop_workers(p, k);
        p->threads = 1;
        rc_pool_destroy(p);
        return NULL;
      }
    }
  }
  return p;
}

void rc_pool_destroy(rc_pool* p) {
  if (!p) return;
  if (p->threads > 1) stop_workers(p, p->threads - 1);
  if (p->xnn) pthreadpool_destroy(p->xnn);
  pthread_mutex_destroy(&p->calls);
  pthread_mutex_destroy(&p->xnn_mu);
#ifndef RC_POOL_FUTEX
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
#endif
  free(p->workers);
  free(p->claims);
  free(p);
}

size_t rc_pool_threads(const rc_pool* p) { return p ? p->threads : 1; }

size_t rc_pool_parts(const rc_pool* p, size_t units) {
  const size_t threads = rc_pool_threads(p), most = RC_POOL_ITEMS_PER_THREAD * threads;
  return threads <= 1 ? 1 : most < units ? most : units;
}

/* One job of n (<= MAX_ITEMS) items; the caller holds p->calls. */
static void run_job(rc_pool* p, rc_pool_task task, void* ctx, size_t base, uint32_t n) {
  /* Only the caller changes the generation (under p->calls). */
  const uint64_t gen = (atomic_load(&p->claims[0].w) >> 32) + 1;
  for (size_t k = 0; k < p->threads; k++) atomic_store(&p->claims[k].w, gen << 32 | CLOSED);
  atomic_store(&p->task, task);
  atomic_store(&p->ctx, ctx);
  atomic_store(&p->base, base);
  atomic_store(&p->n, n);
  atomic_store(&p->done, 0);
  for (size_t k = 0; k < p->threads; k++) atomic_store(&p->claims[k].w, gen << 32 | (k ? segment_end(p, n, k - 1) : 0));
  bump_epoch(p);
  run_items(p, 0);
  /* Items other threads claimed: wait for them, not for idle workers. */
  uint32_t d = spin(p, &p->done, n, 0);
  while (d != n) {
    atomic_store(&p->caller_sleeps, 1);
    d = atomic_load(&p->done);
    if (d != n) sleep_on(p, &p->done, d);
    d = atomic_load(&p->done);
  }
  atomic_store(&p->caller_sleeps, 0);
}

void rc_pool_parallelize(rc_pool* p, rc_pool_task task, void* ctx, size_t n_items) {
  if (n_items == 0) return;
  if (!p || p->threads <= 1 || n_items == 1 || t_pool == p) {
    const size_t thread = p && t_pool == p ? t_thread : 0;
    for (size_t i = 0; i < n_items; i++) task(ctx, i, thread);
    return;
  }
  pthread_mutex_lock(&p->calls);
  const rc_pool* outer = t_pool;
  const size_t outer_thread = t_thread;
  t_pool = p;
  t_thread = 0;
  for (size_t base = 0; base < n_items; base += MAX_ITEMS) {
    const size_t left = n_items - base;
    run_job(p, task, ctx, base, (uint32_t)(left < MAX_ITEMS ? left : MAX_ITEMS));
  }
  t_pool = outer;
  t_thread = outer_thread;
  pthread_mutex_unlock(&p->calls);
}

void rc_pool_hold(rc_pool* p, int on) {
  if (!p || p->threads <= 1) return;
  atomic_store(&p->held, on != 0);
  /* Wake the sleepers now: a bump without a job (the claim words still hold
   * the last job's generation, all its items taken) sends them back to
   * spinning. Releasing needs nothing: spinners see it within 32 pauses. */
  if (on && atomic_load(&p->sleepers)) bump_epoch(p);
}

static void xnn_noop(void* ctx, size_t i) { (void)ctx, (void)i; }

/* pthreadpool's caller waits for every worker, so workers beyond the
 * processors only add waits: the XNNPACK pool has at most one per processor.
 * Its fresh workers spin (a million pauses) for their first command unless
 * told to yield: the first job, a no-op with PTHREADPOOL_FLAG_YIELD_WORKERS,
 * puts them to sleep (the operators' XNN_FLAG_YIELD_WORKERS, xnn.c, does
 * the same after every operator). */
static pthreadpool_t make_xnn_pool(size_t threads) {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus >= 1 && threads > (size_t)cpus) threads = (size_t)cpus;
  if (threads <= 1) return NULL;
  pthreadpool_t xnn = pthreadpool_create(threads);
  if (xnn) pthreadpool_parallelize_1d(xnn, xnn_noop, NULL, threads, PTHREADPOOL_FLAG_YIELD_WORKERS);
  return xnn;
}

pthreadpool_t rc_pool_pthreadpool(rc_pool* p) {
  if (!p || p->threads <= 1) return NULL;
  pthread_mutex_lock(&p->xnn_mu);
  if (!p->xnn) p->xnn = make_xnn_pool(p->threads);
  pthreadpool_t xnn = p->xnn;
  pthread_mutex_unlock(&p->xnn_mu);
  return xnn;
}

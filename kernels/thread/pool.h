/* rc_pool: the thread pool every repconv parallel loop runs on.
 *
 * Why not pthreadpool for our loops: its workers and its caller spin-wait
 * (up to a million pause instructions) and a call returns only when every
 * worker has checked in, so with more threads than free cores (another
 * process on a core, threads > cores) each call waits for a descheduled
 * thread's time slice: 100x slower layers. Here items are claimed
 * dynamically (each thread from its own contiguous segment first, then the
 * others' leftovers), the call returns when all ITEMS are done
 * (a worker that never woke up delays nothing), and idle threads spin a few
 * tens of microseconds, then sleep (futex on Linux, condition variable
 * elsewhere). docs/threads.md has the details and measurements.
 *
 * XNNPACK still needs a pthreadpool_t: rc_pool_pthreadpool() creates one on
 * first use, owned and destroyed by the rc_pool. */
#ifndef RC_THREAD_POOL_H
#define RC_THREAD_POOL_H

#include <pthreadpool.h>
#include <stddef.h>

typedef struct rc_pool rc_pool;

/* Items per thread a kernel splits a loop into where parts cost little, so
 * a descheduled thread's share is taken by the others. */
#ifndef RC_POOL_ITEMS_PER_THREAD
#define RC_POOL_ITEMS_PER_THREAD 4
#endif

/* Parts to split `units` of work into: RC_POOL_ITEMS_PER_THREAD per thread
 * at most, never more than units, 1 for a NULL or one-thread pool. */
size_t rc_pool_parts(const rc_pool* pool, size_t units);

/* Item `item` of a job, run on pool thread `thread` (0 = the caller,
 * < rc_pool_threads): the index picks the per-thread workspace slice. */
typedef void (*rc_pool_task)(void* ctx, size_t item, size_t thread);

/* A pool of `threads` threads counting the caller (threads - 1 workers);
 * NULL when out of memory or a thread cannot start. threads <= 1: no workers. */
rc_pool* rc_pool_create(size_t threads);
/* The same, with pin_workers 0: the workers are never pinned to CPUs (see
 * pool.c; rc_pool_create pins them when they fit). */
rc_pool* rc_pool_create_placed(size_t threads, int pin_workers);
void rc_pool_destroy(rc_pool* pool); /* NULL ok */

/* Threads counting the caller: 1 for a NULL pool. */
size_t rc_pool_threads(const rc_pool* pool);

/* Runs task(ctx, i, thread) once for every i in [0, n_items) and returns
 * when all have finished. The caller runs items too. A NULL pool, a pool of
 * one thread, one item, or a call from inside a task of the same pool (a
 * nested job) run every item on the calling thread, in order. Calls from
 * different threads on one pool are serialized. */
void rc_pool_parallelize(rc_pool* pool, rc_pool_task task, void* ctx, size_t n_items);

/* Between rc_pool_hold(pool, 1) and rc_pool_hold(pool, 0) (one model run:
 * its jobs come back to back) idle threads spin, yielding, instead of
 * sleeping after the brief spin, and the first call wakes the sleepers:
 * their wake-up overlaps the run's first serial work, and no job in the run
 * waits for a thread to wake. NULL ok; not nested. */
void rc_pool_hold(rc_pool* pool, int on);

/* A pthreadpool for XNNPACK's operators, of the same size but at most one
 * thread per online processor (created on the first call; NULL for a NULL
 * or one-thread pool, on one processor, or when it cannot start). */
pthreadpool_t rc_pool_pthreadpool(rc_pool* pool);

#endif

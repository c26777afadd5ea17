/* Tests of the thread pool (kernels/thread/pool.h):
 *
 *   items       every item runs exactly once, with a thread index below the
 *               pool's size, for 0..70 and larger item counts on pools of
 *               1-5 threads (more threads than this machine's cores too)
 *               and on a NULL pool; many jobs back to back on one pool.
 *   nested      a task that starts a job on its own pool: the inner items
 *               run on the calling thread with its index, each once.
 *   late        one item sleeps 20 ms (a descheduled worker): the other
 *               items still run once each, on 2-4 threads.
 *   segments    each thread starts on its own contiguous segment of the
 *               items (thread k: items k·n/T onward): of 8 slow items on 2
 *               threads, the caller runs items 0 and 1, the worker 4 and 5
 *               (with one claim counter for all they alternate).
 *   lifecycle   many creates and destroys, with and without a job, and the
 *               XNNPACK pthreadpool (at most one thread per processor) made
 *               once and freed with the pool.
 *   threads     two threads sharing one pool: their jobs are serialized. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "kernels/thread/pool.h"

typedef struct count_ctx {
  _Atomic uint32_t* hits; /* per item */
  size_t threads;
  _Atomic int bad_thread;
  size_t sleep_item; /* SIZE_MAX: none */
} count_ctx;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void count_task(void* arg, size_t item, size_t thread) {
  count_ctx* c = arg;
  if (thread >= c->threads) atomic_store(&c->bad_thread, 1);
  if (item == c->sleep_item) sleep_ms(20);
  atomic_fetch_add(&c->hits[item], 1);
}

/* Runs n items on pool (threads of it) and checks each ran once. */
static void check_once(rc_pool* pool, size_t threads, size_t n, size_t sleep_item) {
  _Atomic uint32_t* hits = calloc(n ? n : 1, sizeof(*hits));
  assert_non_null(hits);
  for (size_t i = 0; i < n; i++) atomic_init(&hits[i], 0);
  count_ctx c = {hits, threads, 0, sleep_item};
  atomic_init(&c.bad_thread, 0);
  rc_pool_parallelize(pool, count_task, &c, n);
  for (size_t i = 0; i < n; i++) assert_int_equal(atomic_load(&hits[i]), 1);
  assert_int_equal(atomic_load(&c.bad_thread), 0);
  free(hits);
}

static void test_items(void** state) {
  (void)state;
  for (size_t n = 0; n <= 70; n++) check_once(NULL, 1, n, SIZE_MAX);
  assert_int_equal(rc_pool_threads(NULL), 1);
  for (size_t threads = 1; threads <= 5; threads++) {
    rc_pool* pool = rc_pool_create(threads);
    assert_non_null(pool);
    assert_int_equal(rc_pool_threads(pool), threads);
    for (size_t n = 0; n <= 70; n++) check_once(pool, threads, n, SIZE_MAX);
    const size_t big[] = {127, 1000, 4099, 100000};
    for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) check_once(pool, threads, big[k], SIZE_MAX);
    for (int rep = 0; rep < 2000; rep++) check_once(pool, threads, (size_t)rep % 9, SIZE_MAX); /* back to back */
    rc_pool_destroy(pool);
  }
}

typedef struct nest_ctx {
  rc_pool* pool;
  size_t threads;
  _Atomic uint32_t hits[8][8];
  _Atomic int bad;
} nest_ctx;

typedef struct inner_ctx {
  nest_ctx* outer;
  size_t item, thread;
} inner_ctx;

static void inner_task(void* arg, size_t item, size_t thread) {
  inner_ctx* in = arg;
  if (thread != in->thread) atomic_store(&in->outer->bad, 1);
  atomic_fetch_add(&in->outer->hits[in->item][item], 1);
}

static void outer_task(void* arg, size_t item, size_t thread) {
  nest_ctx* c = arg;
  if (thread >= c->threads) atomic_store(&c->bad, 1);
  inner_ctx in = {c, item, thread};
  rc_pool_parallelize(c->pool, inner_task, &in, 8);
}

static void test_nested(void** state) {
  (void)state;
  for (size_t threads = 1; threads <= 4; threads++) {
    nest_ctx c;
    c.pool = rc_pool_create(threads);
    assert_non_null(c.pool);
    c.threads = threads;
    for (int rep = 0; rep < 50; rep++) {
      for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) atomic_init(&c.hits[i][j], 0);
      atomic_init(&c.bad, 0);
      rc_pool_parallelize(c.pool, outer_task, &c, 8);
      for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) assert_int_equal(atomic_load(&c.hits[i][j]), 1);
      assert_int_equal(atomic_load(&c.bad), 0);
    }
    rc_pool_destroy(c.pool);
  }
}

static void test_late(void** state) {
  (void)state;
  for (size_t threads = 2; threads <= 4; threads++) {
    rc_pool* pool = rc_pool_create(threads);
    assert_non_null(pool);
    for (size_t s = 0; s < 4; s++) check_once(pool, threads, 16, s * 5); /* item 0, 5, 10, 15 sleeps */
    check_once(pool, threads, 2, 1);
    rc_pool_destroy(pool);
  }
}

typedef struct who_ctx {
  _Atomic int who[8]; /* the thread that ran each item */
} who_ctx;

static void who_task(void* arg, size_t item, size_t thread) {
  who_ctx* c = arg;
  sleep_ms(2);
  atomic_store(&c->who[item], (int)thread);
}

static void test_segments(void** state) {
  (void)state;
  rc_pool* pool = rc_pool_create(2);
  assert_non_null(pool);
  rc_pool_hold(pool, 1); /* the worker spins: it starts on the job at once */
  int ok = 0;
  /* a loaded machine may keep the worker off its CPU for a whole job: a few tries */
  for (int attempt = 0; attempt < 20 && !ok; attempt++) {
    who_ctx c;
    for (int i = 0; i < 8; i++) atomic_init(&c.who[i], -1);
    rc_pool_parallelize(pool, who_task, &c, 8);
    for (int i = 0; i < 8; i++) assert_true(atomic_load(&c.who[i]) == 0 || atomic_load(&c.who[i]) == 1);
    /* one counter for all: the spinning worker takes item 1, and the two alternate */
    ok = atomic_load(&c.who[0]) == 0 && atomic_load(&c.who[1]) == 0 && atomic_load(&c.who[4]) == 1 &&
         atomic_load(&c.who[5]) == 1;
  }
  rc_pool_hold(pool, 0);
  rc_pool_destroy(pool);
  assert_true(ok);
}

/* A held pool (one model run) and a released one give the same answers;
 * holding wakes sleeping workers; pools with pinning off work the same. */
static void test_hold(void** state) {
  (void)state;
  rc_pool_hold(NULL, 1);
  rc_pool_hold(NULL, 0);
  for (int pin = 0; pin < 2; pin++) {
    if (pin) setenv("REPCONV_NO_AFFINITY", "1", 1);
    for (size_t threads = 1; threads <= 4; threads++) {
      rc_pool* pool = rc_pool_create(threads);
      assert_non_null(pool);
      sleep_ms(2); /* the workers are asleep */
      rc_pool_hold(pool, 1);
      for (size_t n = 0; n <= 40; n += 7) check_once(pool, threads, n, SIZE_MAX);
      sleep_ms(3); /* a pause inside a run: the workers keep spinning */
      check_once(pool, threads, 9, 4);
      rc_pool_hold(pool, 0);
      sleep_ms(2);
      check_once(pool, threads, 33, SIZE_MAX);
      rc_pool_destroy(pool);
    }
  }
  unsetenv("REPCONV_NO_AFFINITY");
}

static void test_lifecycle(void** state) {
  (void)state;
  for (int rep = 0; rep < 200; rep++) {
    const size_t threads = 1 + (size_t)rep % 4;
    rc_pool* pool = rc_pool_create(threads);
    assert_non_null(pool);
    if (rep % 3 == 0) check_once(pool, threads, 1 + (size_t)rep % 17, SIZE_MAX);
    if (rep % 10 == 0) {
      pthreadpool_t xnn = rc_pool_pthreadpool(pool);
      const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
      const size_t want = cpus >= 1 && threads > (size_t)cpus ? (size_t)cpus : threads;
      if (want > 1) {
        assert_non_null(xnn);
        assert_int_equal(pthreadpool_get_threads_count(xnn), want);
        assert_ptr_equal(rc_pool_pthreadpool(pool), xnn); /* made once */
      } else {
        assert_null(xnn);
      }
    }
    rc_pool_destroy(pool);
  }
  rc_pool_destroy(NULL);
  assert_null(rc_pool_pthreadpool(NULL));
}

typedef struct share_ctx {
  rc_pool* pool;
  size_t threads;
  int failed;
} share_ctx;

static void* share_main(void* arg) {
  share_ctx* s = arg;
  for (int rep = 0; rep < 300; rep++) check_once(s->pool, s->threads, 1 + (size_t)rep % 23, SIZE_MAX);
  return NULL;
}

static void test_threads(void** state) {
  (void)state;
  share_ctx s = {rc_pool_create(3), 3, 0};
  assert_non_null(s.pool);
  pthread_t th[2];
  for (int k = 0; k < 2; k++) assert_int_equal(pthread_create(&th[k], NULL, share_main, &s), 0);
  for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
  rc_pool_destroy(s.pool);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_items),    cmocka_unit_test(test_nested), cmocka_unit_test(test_late),
      cmocka_unit_test(test_segments), cmocka_unit_test(test_hold),   cmocka_unit_test(test_lifecycle),
      cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The video threads' bounded queue (queue.h). */
#include "tools/cli/video/queue.h"

int cli_queue_init(cli_queue* q, int cap) {
  if (cap < 1 || cap > CLI_QUEUE_MAX) return -1;
  q->head = q->count = q->closed = 0;
  q->cap = cap;
  if (pthread_mutex_init(&q->mu, NULL) != 0) return -1;
  if (pthread_cond_init(&q->changed, NULL) != 0) {
    pthread_mutex_destroy(&q->mu);
    return -1;
  }
  return 0;
}

void cli_queue_destroy(cli_queue* q) {
  pthread_cond_destroy(&q->changed);
  pthread_mutex_destroy(&q->mu);
}

int cli_queue_push(cli_queue* q, void* item) {
  pthread_mutex_lock(&q->mu);
  while (q->count == q->cap && !q->closed) pthread_cond_wait(&q->changed, &q->mu);
  int rc = -1;
  if (!q->closed) {
    q->items[(q->head + q->count) % q->cap] = item;
    q->count++;
    rc = 0;
    pthread_cond_broadcast(&q->changed);
  }
  pthread_mutex_unlock(&q->mu);
  return rc;
}

void* cli_queue_pop(cli_queue* q) {
  pthread_mutex_lock(&q->mu);
  while (q->count == 0 && !q->closed) pthread_cond_wait(&q->changed, &q->mu);
  void* item = NULL;
  if (q->count > 0) {
    item = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    pthread_cond_broadcast(&q->changed);
  }
  pthread_mutex_unlock(&q->mu);
  return item;
}

void cli_queue_close(cli_queue* q) {
  pthread_mutex_lock(&q->mu);
  q->closed = 1;
  pthread_cond_broadcast(&q->changed);
  pthread_mutex_unlock(&q->mu);
}

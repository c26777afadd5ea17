/* A small bounded blocking queue of pointers between the video threads:
 * push waits while it is full, pop while it is empty; close wakes every
 * waiter, after which push fails and pop drains what is left. */
#ifndef CLI_VIDEO_QUEUE_H
#define CLI_VIDEO_QUEUE_H

#include <pthread.h>

#define CLI_QUEUE_MAX 8

typedef struct cli_queue {
  pthread_mutex_t mu;
  pthread_cond_t changed;
  void* items[CLI_QUEUE_MAX];
  int head, count, cap;
  int closed;
} cli_queue;

/* 0, or -1 (cap outside 1..CLI_QUEUE_MAX, or the mutex could not be made). */
int cli_queue_init(cli_queue* q, int cap);
void cli_queue_destroy(cli_queue* q);
/* 0, or -1 when the queue is closed (the item is not taken). */
int cli_queue_push(cli_queue* q, void* item);
/* The oldest item, or NULL once the queue is closed and empty. */
void* cli_queue_pop(cli_queue* q);
void cli_queue_close(cli_queue* q);

#endif

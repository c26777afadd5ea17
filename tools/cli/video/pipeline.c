/* The video stream's threads and queues (pipeline.h).
 *
 * Frames circulate between two queues per direction: a free list and a
 * full list, so their count (CLI_VIDEO_FRAMES each way) bounds memory and
 * the queues' capacity never has to be checked. The reader polls its input
 * and a wake-up pipe: when the output fails, the calling thread wakes it
 * there (it may be blocked on a pipe whose writer is idle) instead of
 * waiting for input that may never come. */
#define _POSIX_C_SOURCE 200809L

#include "tools/cli/video/pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/cli/img/resample.h"
#include "tools/cli/video/queue.h"

typedef struct frame {
  uint8_t* data;
  char params[CLI_Y4M_MAX_LINE];
} frame;

typedef struct state {
  cli_video_pipeline* p;
  cli_queue free_in, full_in, free_out, full_out;
  frame in[CLI_VIDEO_FRAMES], out[CLI_VIDEO_FRAMES];
  pthread_mutex_t err_mu;
  atomic_int stop; /* an error somewhere: every thread ends */
  /* the chroma worker's one job */
  pthread_mutex_t job_mu;
  pthread_cond_t job_cv;
  const frame* job_in;
  frame* job_out;
  int job_pending, job_rc, job_quit;
} state;

static double ms_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Keeps the first error and stops every thread. */
static void set_error(state* s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(state* s, const char* fmt, ...) {
  pthread_mutex_lock(&s->err_mu);
  if (!s->p->err[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->p->err, sizeof s->p->err, fmt, ap);
    va_end(ap);
  }
  pthread_mutex_unlock(&s->err_mu);
  atomic_store(&s->stop, 1);
  cli_queue_close(&s->free_in);
  cli_queue_close(&s->full_in);
  cli_queue_close(&s->free_out);
  cli_queue_close(&s->full_out);
}

/* ------------------------------------------------------------ chroma */

int cli_video_resize_chroma(const cli_y4m_format* in, const uint8_t* src, const cli_y4m_format* out, uint8_t* dst) {
  const cli_sample type = in->bytes == 2 ? CLI_SAMPLE_U16 : CLI_SAMPLE_U8;
  const int maxval = (1 << in->depth) - 1;
  src += cli_y4m_plane_bytes(in, 0);
  dst += cli_y4m_plane_bytes(out, 0);
  for (int k = 1; k < in->planes; ++k) {
    const int sw = (int)cli_y4m_plane_width(in, k), sh = (int)cli_y4m_plane_height(in, k);
    const int dw = (int)cli_y4m_plane_width(out, k), dh = (int)cli_y4m_plane_height(out, k);
    cli_plane a = {type, sw, sh, sw, (void*)src};
    cli_plane b = {type, dw, dh, dw, dst};
    if (cli_resize_bicubic(&a, &b, maxval) != 0) return -1;
    src += cli_y4m_plane_bytes(in, k);
    dst += cli_y4m_plane_bytes(out, k);
  }
  return 0;
}

static void* chroma_main(void* arg) {
  state* s = arg;
  pthread_mutex_lock(&s->job_mu);
  for (;;) {
    while (!s->job_pending && !s->job_quit) pthread_cond_wait(&s->job_cv, &s->job_mu);
    if (!s->job_pending) break;
    pthread_mutex_unlock(&s->job_mu);
    double t0 = ms_now();
    int rc = cli_video_resize_chroma(s->p->in_fmt, s->job_in->data, s->p->out_fmt, s->job_out->data);
    s->p->ms_chroma += ms_now() - t0;
    pthread_mutex_lock(&s->job_mu);
    s->job_rc = rc;
    s->job_pending = 0;
    pthread_cond_broadcast(&s->job_cv);
  }
  pthread_mutex_unlock(&s->job_mu);
  return NULL;
}

/* ------------------------------------------------------------ reader and writer */

static void* reader_main(void* arg) {
  state* s = arg;
  char err[768];
  for (int64_t index = 0;; ++index) {
    frame* f = cli_queue_pop(&s->free_in);
    if (!f || atomic_load(&s->stop)) break;
    int rc = cli_y4m_read_frame(s->p->reader, s->p->in_fmt, index, f->data, f->params, err, sizeof err);
    if (rc < 0 && !atomic_load(&s->stop)) {
      /* the frames before it still go through: stop the input only */
      pthread_mutex_lock(&s->err_mu);
      if (!s->p->err[0]) snprintf(s->p->err, sizeof s->p->err, "'%s': %s", s->p->in_name, err);
      pthread_mutex_unlock(&s->err_mu);
    }
    if (rc != 1 || cli_queue_push(&s->full_in, f) != 0) break;
  }
  cli_queue_close(&s->full_in);
  return NULL;
}

static void* writer_main(void* arg) {
  state* s = arg;
  const size_t bytes = cli_y4m_frame_bytes(s->p->out_fmt);
  for (;;) {
    frame* f = cli_queue_pop(&s->full_out);
    if (!f) break;
    double t0 = ms_now();
    int rc = cli_y4m_write_frame(s->p->out_fd, f->params, f->data, bytes);
    s->p->ms_write += ms_now() - t0;
    if (rc != 0) {
      if (errno == EPIPE) {
        s->p->output_closed = 1;
        set_error(s, "output closed after %lld frames", (long long)s->p->frames_written);
      } else {
        set_error(s, "writing frame %lld: %s", (long long)s->p->frames_written + 1, strerror(errno));
      }
      break;
    }
    s->p->frames_written++;
    /* After an error elsewhere free_out is closed and the push fails: go
     * on popping, the frames computed before the error are still written. */
    (void)cli_queue_push(&s->free_out, f);
  }
  return NULL;
}

/* ------------------------------------------------------------ the calling thread */

/* One frame: chroma on the worker while the model runs on Y. */
static int process_frame(state* s, const frame* in, frame* out, int chroma, int64_t index) {
  cli_video_pipeline* p = s->p;
  if (chroma) {
    pthread_mutex_lock(&s->job_mu);
    s->job_in = in;
    s->job_out = out;
    s->job_pending = 1;
    pthread_cond_broadcast(&s->job_cv);
    pthread_mutex_unlock(&s->job_mu);
  }
  char err[768] = "";
  double t0 = ms_now();
  int rc = p->process_y(p->ctx, in->data, out->data, err, sizeof err);
  double t1 = ms_now();
  p->ms_model += t1 - t0;
  int chroma_rc = 0;
  if (chroma) { /* wait even when the model failed: the worker uses both frames */
    pthread_mutex_lock(&s->job_mu);
    while (s->job_pending) pthread_cond_wait(&s->job_cv, &s->job_mu);
    chroma_rc = s->job_rc;
    pthread_mutex_unlock(&s->job_mu);
    p->ms_wait_chroma += ms_now() - t1;
  }
  if (rc != 0) {
    set_error(s, "frame %lld: %s", (long long)index + 1, err);
    return -1;
  }
  if (chroma_rc != 0) {
    set_error(s, "frame %lld: resizing the chroma planes: out of memory", (long long)index + 1);
    return -1;
  }
  memcpy(out->params, in->params, sizeof out->params);
  return 0;
}

static void compute_loop(state* s, int chroma) {
  cli_video_pipeline* p = s->p;
  for (int64_t done = 0;;) {
    double t0 = ms_now();
    frame* in = cli_queue_pop(&s->full_in);
    double t1 = ms_now();
    p->ms_wait_in += t1 - t0;
    if (!in || atomic_load(&s->stop)) break;
    frame* out = cli_queue_pop(&s->free_out);
    p->ms_wait_out += ms_now() - t1;
    if (!out || atomic_load(&s->stop)) break;
    if (process_frame(s, in, out, chroma, done) != 0) break;
    if (cli_queue_push(&s->free_in, in) != 0 || cli_queue_push(&s->full_out, out) != 0) break;
    ++done;
    if (p->progress) p->progress(p->progress_ctx, done);
  }
}

static int alloc_frames(state* s) {
  const size_t in_bytes = cli_y4m_frame_bytes(s->p->in_fmt), out_bytes = cli_y4m_frame_bytes(s->p->out_fmt);
  for (int k = 0; k < CLI_VIDEO_FRAMES; ++k) {
    s->in[k].data = malloc(in_bytes);
    s->out[k].data = malloc(out_bytes);
    if (!s->in[k].data || !s->out[k].data) return -1;
    cli_queue_push(&s->free_in, &s->in[k]);
    cli_queue_push(&s->free_out, &s->out[k]);
  }
  return 0;
}

int cli_video_pipeline_run(cli_video_pipeline* p) {
  state* s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(p->err, sizeof p->err, "out of memory");
    return -1;
  }
  s->p = p;
  p->err[0] = '\0';
  p->frames_written = 0;
  p->output_closed = 0;
  p->ms_wait_in = p->ms_model = p->ms_wait_chroma = p->ms_wait_out = p->ms_chroma = p->ms_write = 0;
  atomic_init(&s->stop, 0);
  const int chroma = p->in_fmt->planes > 1;
  int queues = 0, rc = -1;
  int have_reader = 0, have_writer = 0, have_worker = 0;
  int wake[2] = {-1, -1};
  pthread_t reader, writer, worker;
  if (pthread_mutex_init(&s->err_mu, NULL) != 0) goto done;
  if (pthread_mutex_init(&s->job_mu, NULL) != 0) goto done_err_mu;
  if (pthread_cond_init(&s->job_cv, NULL) != 0) goto done_job_mu;
  for (; queues < 4; ++queues) {
    cli_queue* q[4] = {&s->free_in, &s->full_in, &s->free_out, &s->full_out};
    if (cli_queue_init(q[queues], CLI_VIDEO_FRAMES) != 0) goto done_queues;
  }
  if (alloc_frames(s) != 0) {
    snprintf(p->err, sizeof p->err, "out of memory for %d frames of %zu and %zu bytes", CLI_VIDEO_FRAMES,
             cli_y4m_frame_bytes(p->in_fmt), cli_y4m_frame_bytes(p->out_fmt));
    goto done_queues;
  }
  if (pipe(wake) != 0) {
    snprintf(p->err, sizeof p->err, "cannot make a pipe: %s", strerror(errno));
    goto done_queues;
  }
  p->reader->cancel_fd = wake[0];
  cli_y4m_widen_pipe(p->reader->fd, cli_y4m_frame_bytes(p->in_fmt));
  cli_y4m_widen_pipe(p->out_fd, cli_y4m_frame_bytes(p->out_fmt));
  have_reader = pthread_create(&reader, NULL, reader_main, s) == 0;
  have_writer = have_reader && pthread_create(&writer, NULL, writer_main, s) == 0;
  have_worker = have_writer && chroma && pthread_create(&worker, NULL, chroma_main, s) == 0;
  if (have_writer && (have_worker || !chroma)) {
    compute_loop(s, chroma);
  } else {
    set_error(s, "cannot start the video threads");
  }
  /* the writer finishes the frames computed so far; then the reader stops,
   * woken from its poll when an error stopped the stream (the input may
   * never come) */
  cli_queue_close(&s->full_out);
  if (have_writer) pthread_join(writer, NULL);
  if (have_reader) {
    cli_queue_close(&s->free_in);
    if (atomic_load(&s->stop)) (void)!write(wake[1], "x", 1);
    pthread_join(reader, NULL);
  }
  if (have_worker) {
    pthread_mutex_lock(&s->job_mu);
    s->job_quit = 1;
    pthread_cond_broadcast(&s->job_cv);
    pthread_mutex_unlock(&s->job_mu);
    pthread_join(worker, NULL);
  }
  rc = p->err[0] ? -1 : 0;
done_queues:
  p->reader->cancel_fd = -1;
  if (wake[0] >= 0) close(wake[0]);
  if (wake[1] >= 0) close(wake[1]);
  for (int k = 0; k < CLI_VIDEO_FRAMES; ++k) {
    free(s->in[k].data);
    free(s->out[k].data);
  }
  {
    cli_queue* q[4] = {&s->free_in, &s->full_in, &s->free_out, &s->full_out};
    for (int k = 0; k < queues; ++k) cli_queue_destroy(q[k]);
  }
  pthread_cond_destroy(&s->job_cv);
done_job_mu:
  pthread_mutex_destroy(&s->job_mu);
done_err_mu:
  pthread_mutex_destroy(&s->err_mu);
done:
  if (rc != 0 && !p->err[0]) snprintf(p->err, sizeof p->err, "cannot start the video threads");
  free(s);
  return rc;
}

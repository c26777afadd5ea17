/* YUV4MPEG2 (.y4m) streams, read and written on file descriptors: the
 * stream header, and frames as "FRAME[ params]\n" plus the planes.
 *
 *   YUV4MPEG2 W<w> H<h> [F<n>:<d>] [I<p|t|b|m|?>] [A<n>:<d>] [C<space>] [X<...>]...
 *
 * Colorspaces (C; absent = 420jpeg): 420jpeg, 420paldv, 420mpeg2, 420 (4:2:0,
 * chroma sizes rounded up for odd sizes), 411, 422, 444, 444alpha (a fourth,
 * full-size plane), mono; and their high-depth forms 420p9..420p16,
 * 422p9..16, 444p9..16, mono9..mono16 (16-bit little-endian samples, values
 * up to 2^depth - 1). Every field is kept so a writer can carry it over: X
 * fields and any unknown tag verbatim, in order. Errors are messages that
 * name the field, the frame and the byte count. */
#ifndef CLI_VIDEO_Y4M_H
#define CLI_VIDEO_Y4M_H

#include <stddef.h>
#include <stdint.h>

/* Longest stream header and FRAME line accepted (with the '\n'). */
#define CLI_Y4M_MAX_LINE 4096
/* Largest width or height accepted: a frame of 32768 x 32768 4:4:4 16-bit is
 * 6 GiB, far above anything a video tool sees. */
#define CLI_Y4M_MAX_SIZE 32768

/* How samples are laid out: planes of width x height for Y (and alpha), and
 * ceil(width / 2^shift_x) x ceil(height / 2^shift_y) for Cb and Cr. */
typedef struct cli_y4m_format {
  int width, height;
  int planes;           /* 1 (mono), 3 (Y, Cb, Cr) or 4 (Y, Cb, Cr, alpha) */
  int shift_x, shift_y; /* chroma subsampling, log2 */
  int depth;            /* bits per sample, 8 to 16 */
  int bytes;            /* per sample: 1, or 2 (little-endian) when depth > 8 */
} cli_y4m_format;

typedef struct cli_y4m_header {
  int width, height;
  int has_rate, has_aspect;
  uint32_t rate_num, rate_den;     /* F */
  uint32_t aspect_num, aspect_den; /* A, the pixel (sample) aspect; 0:0 = unknown */
  char interlace;                  /* I: 'p', 't', 'b', 'm', '?', or 0 when absent */
  char colorspace[32];             /* C as written, "" when absent */
  char extra[CLI_Y4M_MAX_LINE];    /* X and unknown tags, each with its leading space */
  cli_y4m_format fmt;              /* derived from W, H and C */
} cli_y4m_header;

/* Parses one header line (without its '\n'). Returns 0, or -1 with a
 * message in err. Interlacing is parsed, not judged (the caller decides). */
int cli_y4m_parse_header(const char* line, size_t len, cli_y4m_header* h, char* err, size_t err_size);

/* The header line for h (with its '\n') into buf: W, H, F, I, A, C in that
 * order (each only when it was given; W and H always), then the extra tags.
 * Returns its length, or -1 when it does not fit. */
int cli_y4m_format_header(const cli_y4m_header* h, char* buf, size_t size);

/* Bytes of one plane (k = 0 Y, 1 Cb, 2 Cr, 3 alpha) and of one frame's
 * planes; 0 on overflow. */
size_t cli_y4m_plane_width(const cli_y4m_format* f, int k);
size_t cli_y4m_plane_height(const cli_y4m_format* f, int k);
size_t cli_y4m_plane_bytes(const cli_y4m_format* f, int k);
size_t cli_y4m_frame_bytes(const cli_y4m_format* f);

/* A buffered reader over a file descriptor (a pipe or a file). When
 * cancel_fd >= 0, every read first polls fd and cancel_fd, and fails with
 * ECANCELED once cancel_fd is readable: another thread can stop a reader
 * blocked on an idle pipe. */
typedef struct cli_y4m_reader {
  int fd;
  int cancel_fd; /* -1 (cli_y4m_reader_init) */
  size_t pos, len;
  uint64_t offset; /* bytes consumed so far */
  uint8_t buf[65536];
} cli_y4m_reader;

void cli_y4m_reader_init(cli_y4m_reader* r, int fd);
/* Reads and parses the stream header. 0, or -1 with a message. */
int cli_y4m_read_header(cli_y4m_reader* r, cli_y4m_header* h, char* err, size_t err_size);
/* Reads frame `index` (0-based, for messages) into data (frame_bytes) and its
 * FRAME parameters (with their leading space, "" when none) into params
 * (CLI_Y4M_MAX_LINE bytes). Returns 1 for a frame, 0 at the end of the
 * stream (nothing left), -1 with a message for a bad FRAME line, a
 * truncated frame or a read error. */
int cli_y4m_read_frame(cli_y4m_reader* r, const cli_y4m_format* f, int64_t index, uint8_t* data, char* params,
                       char* err, size_t err_size);

/* When fd is a pipe, asks for a buffer of about `bytes` (best effort, up to
 * the system's limit; Linux only, elsewhere nothing): a frame then passes
 * in a few wake-ups of the process at the other end, not one per 64 KiB,
 * which on a machine whose cores all run the model takes time from it. */
void cli_y4m_widen_pipe(int fd, size_t bytes);

/* Writes all of buf to fd (retrying short writes and EINTR). 0, or -1 with
 * errno set (EPIPE when the reader has gone). */
int cli_y4m_write_all(int fd, const void* buf, size_t n);
/* Writes one frame: "FRAME" + params + "\n" and the frame's bytes, in one
 * writev when it can. 0, or -1 with errno set. */
int cli_y4m_write_frame(int fd, const char* params, const uint8_t* data, size_t bytes);

#endif

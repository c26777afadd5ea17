/* YUV4MPEG2 streams: the header parser and writer, frames in and out. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */

#include "tools/cli/video/y4m.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int set_err(char* err, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_err(char* err, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, size, fmt, ap);
  va_end(ap);
  return -1;
}

/* ------------------------------------------------------------ colorspaces */

typedef struct colorspace {
  const char* name;
  int planes, shift_x, shift_y;
} colorspace;

/* The 8-bit names; "<name>p<depth>" (and "mono<depth>") add a depth. */
static const colorspace k_spaces[] = {
    {"420jpeg", 3, 1, 1}, {"420paldv", 3, 1, 1}, {"420mpeg2", 3, 1, 1}, {"420", 3, 1, 1},  {"411", 3, 2, 0},
    {"422", 3, 1, 0},     {"444alpha", 4, 0, 0}, {"444", 3, 0, 0},      {"mono", 1, 0, 0},
};
#define NUM_SPACES (sizeof k_spaces / sizeof k_spaces[0])

/* A depth suffix: "" (8), or digits 9 to 16 (after a 'p' for the YUV
 * names). Returns the depth, 0 when s is not one. */
static int depth_suffix(const char* s, int mono) {
  if (*s == '\0') return 8;
  if (!mono) {
    if (*s != 'p') return 0;
    ++s;
  }
  if (s[0] < '1' || s[0] > '9' || (s[1] && (s[1] < '0' || s[1] > '9')) || (s[1] && s[2])) return 0;
  int d = s[1] ? (s[0] - '0') * 10 + (s[1] - '0') : s[0] - '0';
  return d >= 9 && d <= 16 ? d : 0;
}

static int find_space(const char* name, cli_y4m_format* f) {
  for (size_t k = 0; k < NUM_SPACES; ++k) {
    const colorspace* c = &k_spaces[k];
    size_t n = strlen(c->name);
    if (strncmp(name, c->name, n) != 0) continue;
    /* the jpeg/paldv/mpeg2 sitings and 444alpha exist in 8 bits only */
    int plain = strcmp(c->name, "420") == 0 || strcmp(c->name, "422") == 0 || strcmp(c->name, "444") == 0 ||
                strcmp(c->name, "411") == 0 || strcmp(c->name, "mono") == 0;
    int depth = plain ? depth_suffix(name + n, c->planes == 1) : (name[n] == '\0' ? 8 : 0);
    if (!depth) continue;
    if (strcmp(c->name, "411") == 0 && depth != 8) continue;
    f->planes = c->planes;
    f->shift_x = c->shift_x;
    f->shift_y = c->shift_y;
    f->depth = depth;
    f->bytes = depth > 8 ? 2 : 1;
    return 0;
  }
  return -1;
}

/* ------------------------------------------------------------ the header */

/* Digits only, into a uint32 at most max. */
static int parse_u32(const char* s, size_t n, uint32_t max, uint32_t* out) {
  if (n == 0 || n > 10) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > max) return -1;
  *out = (uint32_t)v;
  return 0;
}

/* "<num>:<den>" */
static int parse_ratio(const char* s, size_t n, uint32_t* num, uint32_t* den) {
  const char* colon = memchr(s, ':', n);
  if (!colon) return -1;
  size_t a = (size_t)(colon - s);
  if (parse_u32(s, a, UINT32_MAX, num) != 0 || parse_u32(colon + 1, n - a - 1, UINT32_MAX, den) != 0) return -1;
  return 0;
}

/* A token of the header for messages: at most 40 bytes of it. */
#define TOK(s, n) (int)((n) < 40 ? (n) : 40), (s)

int cli_y4m_parse_header(const char* line, size_t len, cli_y4m_header* h, char* err, size_t err_size) {
  memset(h, 0, sizeof *h);
  static const char magic[] = "YUV4MPEG2";
  const size_t m = sizeof magic - 1;
  if (len < m || memcmp(line, magic, m) != 0 || (len > m && line[m] != ' ')) {
    return set_err(err, err_size, "not a YUV4MPEG2 stream (it starts with '%.*s')", TOK(line, len < 9 ? len : 9));
  }
  int seen[128] = {0};
  size_t extra_len = 0;
  for (size_t i = m; i < len;) {
    while (i < len && line[i] == ' ') ++i;
    if (i == len) break;
    size_t n = 0;
    while (i + n < len && line[i + n] != ' ') ++n;
    const char* t = line + i;
    const unsigned char tag = (unsigned char)t[0];
    const char* v = t + 1;
    const size_t vn = n - 1;
    i += n;
    if (tag != 'X' && tag < 128 && strchr("WHFIAC", tag)) {
      if (seen[tag]) return set_err(err, err_size, "header field %c given twice ('%.*s')", tag, TOK(t, n));
      seen[tag] = 1;
    }
    uint32_t u = 0;
    switch (tag) {
      case 'W':
      case 'H':
        if (parse_u32(v, vn, CLI_Y4M_MAX_SIZE, &u) != 0 || u == 0) {
          return set_err(err, err_size, "bad %s '%.*s' in the header (expected 1 to %d)",
                         tag == 'W' ? "width" : "height", TOK(t, n), CLI_Y4M_MAX_SIZE);
        }
        if (tag == 'W') h->width = (int)u;
        if (tag == 'H') h->height = (int)u;
        break;
      case 'F':
        if (parse_ratio(v, vn, &h->rate_num, &h->rate_den) != 0 || (h->rate_den == 0 && h->rate_num != 0)) {
          return set_err(err, err_size, "bad frame rate '%.*s' in the header (expected F<num>:<den>)", TOK(t, n));
        }
        h->has_rate = 1;
        break;
      case 'A':
        if (parse_ratio(v, vn, &h->aspect_num, &h->aspect_den) != 0 || (!h->aspect_num != !h->aspect_den)) {
          return set_err(err, err_size, "bad pixel aspect '%.*s' in the header (expected A<num>:<den>, or A0:0)",
                         TOK(t, n));
        }
        h->has_aspect = 1;
        break;
      case 'I':
        if (vn != 1 || !strchr("ptbm?", v[0])) {
          return set_err(err, err_size, "bad interlacing '%.*s' in the header (expected Ip, It, Ib, Im or I?)",
                         TOK(t, n));
        }
        h->interlace = v[0];
        break;
      case 'C':
        if (vn == 0 || vn >= sizeof h->colorspace) {
          return set_err(err, err_size, "bad colorspace '%.*s' in the header", TOK(t, n));
        }
        memcpy(h->colorspace, v, vn);
        h->colorspace[vn] = '\0';
        break;
      default: /* X fields and tags this reader does not know: carried over as they are */
        if (extra_len + 1 + n >= sizeof h->extra) return set_err(err, err_size, "header too long");
        h->extra[extra_len++] = ' ';
        memcpy(h->extra + extra_len, t, n);
        extra_len += n;
        h->extra[extra_len] = '\0';
    }
  }
  if (!h->width || !h->height) return set_err(err, err_size, "the header has no %s (W<n>)", h->width ? "H" : "W");
  const char* cs = h->colorspace[0] ? h->colorspace : "420jpeg";
  if (find_space(cs, &h->fmt) != 0) {
    return set_err(err, err_size,
                   "colorspace 'C%s' is not supported (supported: 420jpeg, 420paldv, 420mpeg2, 420, 411, 422, 444, "
                   "444alpha, mono, and 420, 422, 444 and mono at 9 to 16 bits, e.g. 420p10, mono16)",
                   cs);
  }
  h->fmt.width = h->width;
  h->fmt.height = h->height;
  return 0;
}

/* Appends to buf at *n; -1 when it does not fit. */
static int append(char* buf, size_t size, size_t* n, const char* fmt, ...) __attribute__((format(printf, 4, 5)));
static int append(char* buf, size_t size, size_t* n, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *n, size - *n, fmt, ap);
  va_end(ap);
  if (k < 0 || (size_t)k >= size - *n) return -1;
  *n += (size_t)k;
  return 0;
}

int cli_y4m_format_header(const cli_y4m_header* h, char* buf, size_t size) {
  size_t n = 0;
  if (size == 0) return -1;
  buf[0] = '\0';
  int bad = append(buf, size, &n, "YUV4MPEG2 W%d H%d", h->width, h->height);
  if (!bad && h->has_rate) bad = append(buf, size, &n, " F%u:%u", (unsigned)h->rate_num, (unsigned)h->rate_den);
  if (!bad && h->interlace) bad = append(buf, size, &n, " I%c", h->interlace);
  if (!bad && h->has_aspect) {
    bad = append(buf, size, &n, " A%u:%u", (unsigned)h->aspect_num, (unsigned)h->aspect_den);
  }
  if (!bad && h->colorspace[0]) bad = append(buf, size, &n, " C%s", h->colorspace);
  if (!bad) bad = append(buf, size, &n, "%s\n", h->extra);
  return bad ? -1 : (int)n;
}

/* ------------------------------------------------------------ sizes */

size_t cli_y4m_plane_width(const cli_y4m_format* f, int k) {
  const int s = (k == 1 || k == 2) ? f->shift_x : 0;
  return ((size_t)f->width + ((size_t)1 << s) - 1) >> s;
}

size_t cli_y4m_plane_height(const cli_y4m_format* f, int k) {
  const int s = (k == 1 || k == 2) ? f->shift_y : 0;
  return ((size_t)f->height + ((size_t)1 << s) - 1) >> s;
}

size_t cli_y4m_plane_bytes(const cli_y4m_format* f, int k) {
  /* at most 32768^2 * 2 bytes: no overflow on 64-bit size_t; checked anyway */
  size_t w = cli_y4m_plane_width(f, k), hgt = cli_y4m_plane_height(f, k);
  if (w && hgt > SIZE_MAX / w / (size_t)f->bytes) return 0;
  return w * hgt * (size_t)f->bytes;
}

size_t cli_y4m_frame_bytes(const cli_y4m_format* f) {
  size_t total = 0;
  for (int k = 0; k < f->planes; ++k) {
    size_t b = cli_y4m_plane_bytes(f, k);
    if (!b || total > SIZE_MAX - b) return 0;
    total += b;
  }
  return total;
}

/* ------------------------------------------------------------ reading */

void cli_y4m_reader_init(cli_y4m_reader* r, int fd) {
  r->fd = fd;
  r->cancel_fd = -1;
  r->pos = r->len = 0;
  r->offset = 0;
}

/* read() retried on EINTR: bytes read, 0 at the end, -1 on an error
 * (ECANCELED: r->cancel_fd became readable). */
static ssize_t read_some(const cli_y4m_reader* r, void* buf, size_t n) {
  for (;;) {
    if (r->cancel_fd >= 0) {
      struct pollfd fds[2] = {{r->fd, POLLIN, 0}, {r->cancel_fd, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      if (fds[1].revents) {
        errno = ECANCELED;
        return -1;
      }
    }
    ssize_t k = read(r->fd, buf, n);
    if (k >= 0 || errno != EINTR) return k;
  }
}

/* Refills an empty buffer: 1, 0 at the end, -1 on a read error. */
static int fill(cli_y4m_reader* r) {
  ssize_t k = read_some(r, r->buf, sizeof r->buf);
  if (k < 0) return -1;
  r->pos = 0;
  r->len = (size_t)k;
  return k > 0;
}

/* One line up to '\n' (not stored) into line (CLI_Y4M_MAX_LINE bytes).
 * Returns its length; -2 at the end before any byte, -3 at the end within
 * the line, -4 when too long, -1 on a read error. */
static long read_line(cli_y4m_reader* r, char* line) {
  size_t n = 0;
  for (;;) {
    if (r->pos == r->len) {
      int f = fill(r);
      if (f < 0) return -1;
      if (f == 0) return n == 0 ? -2 : -3;
    }
    char c = (char)r->buf[r->pos++];
    r->offset++;
    if (c == '\n') {
      line[n] = '\0';
      return (long)n;
    }
    if (n + 1 >= CLI_Y4M_MAX_LINE) return -4;
    line[n++] = c;
  }
}

int cli_y4m_read_header(cli_y4m_reader* r, cli_y4m_header* h, char* err, size_t err_size) {
  char line[CLI_Y4M_MAX_LINE];
  long n = read_line(r, line);
  if (n == -3 || n == -4) { /* no line: judge what came */
    const size_t got = r->offset < 9 ? (size_t)r->offset : 9;
    if (memcmp(line, "YUV4MPEG2", got) != 0) {
      return set_err(err, err_size, "not a YUV4MPEG2 stream (it starts with '%.*s')", (int)got, line);
    }
  }
  switch (n) {
    case -1: return set_err(err, err_size, "reading the header: %s", strerror(errno));
    case -2: return set_err(err, err_size, "empty input (no YUV4MPEG2 header)");
    case -3:
      return set_err(err, err_size, "the input ends within its header (%zu bytes, no newline)", (size_t)r->offset);
    case -4: return set_err(err, err_size, "header line longer than %d bytes", CLI_Y4M_MAX_LINE - 1);
    default: return cli_y4m_parse_header(line, (size_t)n, h, err, err_size);
  }
}

int cli_y4m_read_frame(cli_y4m_reader* r, const cli_y4m_format* f, int64_t index, uint8_t* data, char* params,
                       char* err, size_t err_size) {
  char line[CLI_Y4M_MAX_LINE];
  const long long at = (long long)index + 1; /* frames counted from 1 in messages */
  long n = read_line(r, line);
  switch (n) {
    case -1: return set_err(err, err_size, "frame %lld: reading: %s", at, strerror(errno));
    case -2: return 0;
    case -3: return set_err(err, err_size, "frame %lld: the input ends within its FRAME header", at);
    case -4: return set_err(err, err_size, "frame %lld: FRAME header longer than %d bytes", at, CLI_Y4M_MAX_LINE - 1);
    default: break;
  }
  if (n < 5 || memcmp(line, "FRAME", 5) != 0 || (n > 5 && line[5] != ' ')) {
    return set_err(err, err_size, "frame %lld: expected a FRAME header at byte %llu, found '%.*s'", at,
                   (unsigned long long)(r->offset - (uint64_t)n - 1), TOK(line, (size_t)n));
  }
  memcpy(params, line + 5, (size_t)n - 4); /* with its '\0' */
  const size_t need = cli_y4m_frame_bytes(f);
  size_t got = r->len - r->pos < need ? r->len - r->pos : need;
  memcpy(data, r->buf + r->pos, got);
  r->pos += got;
  while (got < need) {
    ssize_t k = read_some(r, data + got, need - got);
    if (k < 0) return set_err(err, err_size, "frame %lld: reading: %s", at, strerror(errno));
    if (k == 0) {
      r->offset += got;
      return set_err(err, err_size, "frame %lld is truncated: the input ends after %zu of its %zu bytes", at, got,
                     need);
    }
    got += (size_t)k;
  }
  r->offset += need;
  return 1;
}

/* ------------------------------------------------------------ writing */

void cli_y4m_widen_pipe(int fd, size_t bytes) {
#ifdef F_SETPIPE_SZ
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return;
  /* halving from the request down to what an unprivileged process may have
   * (/proc/sys/fs/pipe-max-size, 1 MiB by default) */
  for (size_t b = bytes < ((size_t)1 << 24) ? bytes : (size_t)1 << 24; b > 65536; b /= 2) {
    const int have = fcntl(fd, F_GETPIPE_SZ);
    if (have >= 0 && (size_t)have >= b) return;
    if (fcntl(fd, F_SETPIPE_SZ, (int)b) >= 0) return;
  }
#else
  (void)fd;
  (void)bytes;
#endif
}

int cli_y4m_write_all(int fd, const void* buf, size_t n) {
  const uint8_t* p = buf;
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

int cli_y4m_write_frame(int fd, const char* params, const uint8_t* data, size_t bytes) {
  char line[CLI_Y4M_MAX_LINE + 8];
  int n = snprintf(line, sizeof line, "FRAME%s\n", params);
  if (n < 0 || (size_t)n >= sizeof line) {
    errno = EINVAL;
    return -1;
  }
  if (cli_y4m_write_all(fd, line, (size_t)n) != 0) return -1;
  return cli_y4m_write_all(fd, data, bytes);
}

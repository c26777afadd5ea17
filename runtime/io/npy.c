/* numpy .npy reader and writer. The header is a Python dict literal
 * ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"); it is
 * parsed by a small tokenizer that accepts any key order, whitespace, a
 * trailing comma, either quote and Python 2's "3L" integers. */
#define _POSIX_C_SOURCE 200809L

#include "runtime/io/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/graph/checked.h"
#include "runtime/io/file.h"
#include "runtime/graph/graph.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_PARSE_MAX_DIMS 64

/* ---------------------------------------------------------- header dict */

typedef struct npy_header {
  char descr[32];
  int has_descr, has_fortran, has_shape;
  int descr_not_string; /* a structured dtype (a list) */
  int fortran_order;
  int ndim;
  int64_t dims[NPY_PARSE_MAX_DIMS];
} npy_header;

typedef struct npy_cursor {
  const char* s;
  size_t n, i;
  const char* what;
} npy_cursor;

static rc_status header_error(const npy_cursor* c, const char* fmt, ...) RC_PRINTF(2, 3);
static rc_status header_error(const npy_cursor* c, const char* fmt, ...) {
  char msg[256], excerpt[72];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  /* Show the header around the error, non-printable bytes as '?'. */
  size_t from = c->i > 24 ? c->i - 24 : 0, k = 0;
  for (size_t j = from; j < c->n && k + 1 < sizeof(excerpt); j++) {
    unsigned char ch = (unsigned char)c->s[j];
    excerpt[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
  }
  excerpt[k] = '\0';
  return rc_error(REPCONV_ERROR_FORMAT, "%s: malformed .npy header at character %zu: %s (near \"%s\")", c->what, c->i,
                  msg, excerpt);
}

static void skip_ws(npy_cursor* c) {
  while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r')) {
    c->i++;
  }
}

static int peek(const npy_cursor* c) { return c->i < c->n ? (unsigned char)c->s[c->i] : -1; }

static rc_status expect(npy_cursor* c, char ch) {
  skip_ws(c);
  if (peek(c) != (unsigned char)ch) return header_error(c, "expected '%c'", ch);
  c->i++;
  return REPCONV_OK;
}

/* A quoted string into buf (truncated to cap - 1; *truncated says so). */
static rc_status parse_string(npy_cursor* c, char* buf, size_t cap, int* truncated) {
  skip_ws(c);
  int q = peek(c);
  if (q != '\'' && q != '"') return header_error(c, "expected a quoted string");
  c->i++;
  size_t k = 0;
  *truncated = 0;
  while (c->i < c->n && c->s[c->i] != (char)q) {
    if (c->s[c->i] == '\\') return header_error(c, "escape sequences are not supported");
    if (k + 1 < cap) {
      buf[k++] = c->s[c->i];
    } else {
      *truncated = 1;
    }
    c->i++;
  }
  if (c->i >= c->n) return header_error(c, "unterminated string");
  c->i++;
  buf[k] = '\0';
  return REPCONV_OK;
}

static int match_word(npy_cursor* c, const char* w) {
  size_t len = strlen(w);
  if (c->n - c->i < len || memcmp(c->s + c->i, w, len) != 0) return 0;
  /* whole identifier only */
  if (c->i + len < c->n) {
    char next = c->s[c->i + len];
    if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9') || next == '_') {
      return 0;
    }
  }
  c->i += len;
  return 1;
}

static rc_status parse_int(npy_cursor* c, int64_t* out) {
  skip_ws(c);
  int ch = peek(c);
  if (ch < '0' || ch > '9') return header_error(c, "expected a non-negative integer");
  int64_t v = 0;
  while ((ch = peek(c)) >= '0' && ch <= '9') {
    if (rc_mul_i64(v, 10, &v) || rc_add_i64(v, ch - '0', &v)) return header_error(c, "integer too large");
    c->i++;
  }
  if (peek(c) == 'L') c->i++; /* Python 2 long */
  *out = v;
  return REPCONV_OK;
}

static rc_status parse_shape(npy_cursor* c, npy_header* h) {
  RC_CHECK(expect(c, '('));
  h->ndim = 0;
  for (;;) {
    skip_ws(c);
    if (peek(c) == ')') {
      c->i++;
      break;
    }
    if (h->ndim >= NPY_PARSE_MAX_DIMS) return header_error(c, "more than %d dimensions", NPY_PARSE_MAX_DIMS);
    RC_CHECK(parse_int(c, &h->dims[h->ndim]));
    h->ndim++;
    skip_ws(c);
    if (peek(c) == ',') {
      c->i++;
    } else if (peek(c) == ')') {
      /* "(3)" is not a tuple in Python, but only a one-element tuple needs the comma */
      if (h->ndim == 1) return header_error(c, "a one-element shape needs a trailing comma: (n,)");
    } else {
      return header_error(c, "expected ',' or ')' in the shape");
    }
  }
  return REPCONV_OK;
}

static rc_status parse_header(npy_cursor* c, npy_header* h) {
  memset(h, 0, sizeof(*h));
  RC_CHECK(expect(c, '{'));
  for (;;) {
    skip_ws(c);
    if (peek(c) == '}') {
      c->i++;
      break;
    }
    char key[32];
    int trunc;
    size_t key_at = c->i;
    RC_CHECK(parse_string(c, key, sizeof(key), &trunc));
    RC_CHECK(expect(c, ':'));
    skip_ws(c);
    int* seen = NULL;
    if (!trunc && strcmp(key, "descr") == 0) {
      seen = &h->has_descr;
      if (!*seen) {
        if (peek(c) == '[' || peek(c) == '(' || peek(c) == '{') {
          /* structured dtype: remember and skip to the matching bracket */
          h->descr_not_string = 1;
          int depth = 0;
          do {
            int ch = peek(c);
            if (ch < 0) return header_error(c, "unterminated dtype description");
            if (ch == '[' || ch == '(' || ch == '{') depth++;
            if (ch == ']' || ch == ')' || ch == '}') depth--;
            c->i++;
          } while (depth > 0);
        } else {
          RC_CHECK(parse_string(c, h->descr, sizeof(h->descr), &trunc));
          if (trunc) h->descr_not_string = 1;
        }
      }
    } else if (!trunc && strcmp(key, "fortran_order") == 0) {
      seen = &h->has_fortran;
      if (!*seen) {
        if (match_word(c, "True")) {
          h->fortran_order = 1;
        } else if (match_word(c, "False")) {
          h->fortran_order = 0;
        } else {
          return header_error(c, "fortran_order must be True or False");
        }
      }
    } else if (!trunc && strcmp(key, "shape") == 0) {
      seen = &h->has_shape;
      if (!*seen) RC_CHECK(parse_shape(c, h));
    } else {
      c->i = key_at;
      return header_error(c, "unexpected key '%s%s' (descr, fortran_order and shape only)", key, trunc ? "..." : "");
    }
    if (*seen) {
      c->i = key_at;
      return header_error(c, "key '%s' appears twice", key);
    }
    *seen = 1;
    skip_ws(c);
    if (peek(c) == ',') {
      c->i++;
    } else if (peek(c) != '}') {
      return header_error(c, "expected ',' or '}'");
    }
  }
  skip_ws(c);
  if (c->i != c->n) return header_error(c, "unexpected characters after the header dict");
  if (!h->has_descr) return header_error(c, "no 'descr' key");
  if (!h->has_fortran) return header_error(c, "no 'fortran_order' key");
  if (!h->has_shape) return header_error(c, "no 'shape' key");
  return REPCONV_OK;
}

/* ---------------------------------------------------------------- read */

static void clear(rc_npy* t) { memset(t, 0, sizeof(*t)); }

/* What the preamble and header say about the data. */
typedef struct npy_info {
  size_t data_at, item; /* data offset, bytes per element (4 or 8) */
  int swap_big;         /* '>' byte order */
  int64_t numel;
  npy_header h;
} npy_info;

/* Checks preamble and header, and that the data is exactly what the shape
 * and dtype need in a file of size bytes. Only the first avail bytes are
 * present (the file reader has read the header only); the header must lie
 * within them when it lies within size. */
static rc_status npy_parse(const uint8_t* p, size_t avail, size_t size, const char* what, npy_info* info) {
  if (avail < NPY_MAGIC_LEN + 2 || memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
    if (size >= NPY_MAGIC_LEN && memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
      return rc_error(REPCONV_ERROR_FORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", what);
    }
    if (size < NPY_MAGIC_LEN && size > 0 && memcmp(p, NPY_MAGIC, size) != 0) {
      return rc_error(REPCONV_ERROR_FORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", what);
    }
    return rc_error(REPCONV_ERROR_FORMAT, "%s: file is %zu bytes, truncated inside the .npy preamble", what, size);
  }
  unsigned major = p[6], minor = p[7];
  if (major < 1 || major > 3 || minor != 0) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: .npy format version %u.%u is not supported (1.0, 2.0 or 3.0)", what,
                    major, minor);
  }
  size_t pre = major == 1 ? 10 : 12;
  if (size < pre) {
    return rc_error(REPCONV_ERROR_FORMAT, "%s: file is %zu bytes, truncated inside the .npy preamble", what, size);
  }
  size_t hlen =
      major == 1 ? (size_t)(p[8] | (p[9] << 8))
                 : (size_t)((uint32_t)p[8] | ((uint32_t)p[9] << 8) | ((uint32_t)p[10] << 16) | ((uint32_t)p[11] << 24));
  size_t data_at;
  if (rc_add_size(pre, hlen, &data_at) || data_at > size) {
    return rc_error(REPCONV_ERROR_FORMAT,
                    "%s: header length %zu runs past the end of the file (%zu bytes, header starts at byte %zu)", what,
                    hlen, size, pre);
  }
  if (data_at > avail) return rc_error(REPCONV_ERROR_INTERNAL, "%s: header not read", what);

  npy_cursor c = {(const char*)p + pre, hlen, 0, what};
  npy_header h;
  RC_CHECK(parse_header(&c, &h));

  char shp[128];
  if (h.descr_not_string) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: structured dtypes are not supported (float32 or float64 only)",
                    what);
  }
  int swap_big = 0;
  size_t item;
  if (strcmp(h.descr, "<f4") == 0 || strcmp(h.descr, ">f4") == 0) {
    item = 4;
  } else if (strcmp(h.descr, "<f8") == 0 || strcmp(h.descr, ">f8") == 0) {
    item = 8;
  } else {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: dtype '%s' is not supported (float32 or float64 only)", what,
                    h.descr);
  }
  swap_big = h.descr[0] == '>';
  if (h.fortran_order) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED,
                    "%s: fortran_order True is not supported (save a C-order array: np.ascontiguousarray)", what);
  }
  if (h.ndim > REPCONV_MAX_DIMS) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: rank %d (shape %s) is not supported (at most %d)", what, h.ndim,
                    rc_dims_str(h.ndim, h.dims, RC_SHAPE_TUPLE, shp, sizeof(shp)), REPCONV_MAX_DIMS);
  }
  int64_t numel = 1;
  for (int i = 0; i < h.ndim; i++) {
    if (h.dims[i] < 1) {
      return rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: shape %s is empty (at least one element is needed)", what,
                      rc_dims_str(h.ndim, h.dims, RC_SHAPE_TUPLE, shp, sizeof(shp)));
    }
    if (h.dims[i] > RC_MAX_DIM_VALUE || rc_mul_i64(numel, h.dims[i], &numel) || numel > RC_MAX_ELEMENTS) {
      return rc_error(REPCONV_ERROR_UNSUPPORTED,
                      "%s: shape %s is too large (dimensions up to %lld, at most %lld elements)", what,
                      rc_dims_str(h.ndim, h.dims, RC_SHAPE_TUPLE, shp, sizeof(shp)), (long long)RC_MAX_DIM_VALUE,
                      (long long)RC_MAX_ELEMENTS);
    }
  }
  size_t want, have = size - data_at;
  if (rc_mul_size((size_t)numel, item, &want)) {
    return rc_error(REPCONV_ERROR_UNSUPPORTED, "%s: shape %s is too large", what,
                    rc_dims_str(h.ndim, h.dims, RC_SHAPE_TUPLE, shp, sizeof(shp)));
  }
  if (have != want) {
    return rc_error(REPCONV_ERROR_FORMAT, "%s: data is %zu bytes, expected %zu for shape %s of '%s' (%s)", what, have,
                    want, rc_dims_str(h.ndim, h.dims, RC_SHAPE_TUPLE, shp, sizeof(shp)), h.descr,
                    have < want ? "truncated" : "trailing bytes");
  }
  info->h = h;
  info->data_at = data_at;
  info->item = item;
  info->swap_big = swap_big;
  info->numel = numel;
  return REPCONV_OK;
}

rc_status rc_npy_read_memory(const void* bytes, size_t size, const char* what, rc_npy* out) {
  if (!out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "npy read: out is NULL");
  clear(out);
  if (!what) what = "<npy>";
  if (!bytes && size > 0) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: bytes is NULL", what);
  const uint8_t* p = bytes;
  npy_info info;
  RC_CHECK(npy_parse(p, size, size, what, &info));
  const size_t item = info.item, data_at = info.data_at;
  const int swap_big = info.swap_big;
  const npy_header h = info.h;
  size_t n = (size_t)info.numel, nbytes;
  if (rc_mul_size(n, sizeof(float), &nbytes)) {
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: too large", what);
  }
  float* data = malloc(nbytes);
  if (!data) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory for %zu floats", what, n);
  const uint8_t* d = p + data_at;
  for (size_t i = 0; i < n; i++) {
    const uint8_t* e = d + i * item;
    if (item == 4) {
      uint32_t u = 0;
      for (int b = 0; b < 4; b++) u |= (uint32_t)e[swap_big ? 3 - b : b] << (8 * b);
      memcpy(&data[i], &u, 4);
    } else {
      uint64_t u = 0;
      double v;
      for (int b = 0; b < 8; b++) u |= (uint64_t)e[swap_big ? 7 - b : b] << (8 * b);
      memcpy(&v, &u, 8);
      data[i] = (float)v;
    }
  }
  out->ndim = h.ndim;
  for (int i = 0; i < h.ndim; i++) out->dims[i] = h.dims[i];
  out->data = data;
  return REPCONV_OK;
}

/* Reads exactly size bytes at the current position; 0 on a short read. */
static int read_exact(FILE* f, uint8_t* buf, size_t size) { return fread(buf, 1, size, f) == size; }

/* A regular file only, read in two steps: the preamble and header first,
 * then, once the header's shape and dtype give the data size and that
 * matches the file's size, the data. A FIFO or a device (/dev/zero) has no
 * size to check and could be read forever: refused. */
rc_status rc_npy_read_file(const char* path, rc_npy* out) {
  if (!out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "npy read: out is NULL");
  clear(out);
  int fd;
  uint64_t file_bytes;
  RC_CHECK(rc_file_open_regular(path, "a .npy tensor", &fd, &file_bytes));
  FILE* f = fdopen(fd, "rb");
  if (!f) {
    int e = errno;
    close(fd);
    return rc_error(REPCONV_ERROR_IO, "%s: cannot open: %s", path, strerror(e));
  }
  const size_t file_size = file_bytes > (uint64_t)SIZE_MAX ? SIZE_MAX : (size_t)file_bytes;
  /* Preamble (10 or 12 bytes), then the header it announces. */
  uint8_t pre[12];
  size_t head = file_size < sizeof(pre) ? file_size : sizeof(pre);
  rc_status s = REPCONV_OK;
  if (!read_exact(f, pre, head)) s = rc_error(REPCONV_ERROR_IO, "%s: read error in the first %zu bytes", path, head);
  size_t data_at = head;
  if (s == REPCONV_OK && head >= 10 && memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) == 0 && pre[6] >= 1 && pre[6] <= 3) {
    size_t pl = pre[6] == 1 ? 10 : 12;
    size_t hlen = pre[6] == 1 ? (size_t)(pre[8] | (pre[9] << 8))
                              : (size_t)((uint32_t)pre[8] | ((uint32_t)pre[9] << 8) | ((uint32_t)pre[10] << 16) |
                                         ((uint32_t)pre[11] << 24));
    /* the header within the file; else rc_npy_read_memory says what is wrong */
    if (!rc_add_size(pl, hlen, &data_at) && data_at <= file_size) {
      if (data_at < head) data_at = head;
    } else {
      data_at = head;
    }
  }
  uint8_t* buf = NULL;
  if (s == REPCONV_OK) {
    buf = malloc(data_at ? data_at : 1);
    if (!buf) s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory for a %zu-byte header", path, data_at);
  }
  if (s == REPCONV_OK) {
    memcpy(buf, pre, head);
    if (!read_exact(f, buf + head, data_at - head)) {
      s = rc_error(REPCONV_ERROR_IO, "%s: read error in the %zu-byte header", path, data_at);
    }
  }
  /* The header against the file's size, before reading (and allocating
   * for) the data. */
  npy_info info;
  if (s == REPCONV_OK) s = npy_parse(buf, data_at, file_size, path, &info);
  if (s == REPCONV_OK) {
    uint8_t* all = realloc(buf, file_size ? file_size : 1);
    if (!all) {
      s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory reading %zu bytes", path, file_size);
    } else {
      buf = all;
      if (!read_exact(f, buf + data_at, file_size - data_at)) {
        s = rc_error(REPCONV_ERROR_IO, "%s: the file shrank or could not be read (%zu bytes expected)", path,
                     file_size);
      } else if (fgetc(f) != EOF) {
        s = rc_error(REPCONV_ERROR_IO, "%s: the file grew while being read (%zu bytes expected)", path, file_size);
      }
    }
  }
  fclose(f);
  if (s == REPCONV_OK) s = rc_npy_read_memory(buf, file_size, path, out);
  free(buf);
  return s;
}

/* --------------------------------------------------------------- write */

rc_status rc_npy_write_file(const char* path, int32_t ndim, const int64_t* dims, const float* data) {
  if (!path) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "npy write: path is NULL");
  if (ndim < 0 || ndim > REPCONV_MAX_DIMS) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: rank %d (0..%d)", path, ndim, REPCONV_MAX_DIMS);
  }
  if ((ndim > 0 && !dims) || !data) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: NULL dims or data", path);
  int64_t numel = 1;
  char shape[160];
  size_t k = 0;
  for (int32_t i = 0; i < ndim; i++) {
    if (dims[i] < 1 || dims[i] > RC_MAX_DIM_VALUE || rc_mul_i64(numel, dims[i], &numel) || numel > RC_MAX_ELEMENTS) {
      return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: dimension %d is %lld or the shape is too large", path, i,
                      (long long)dims[i]);
    }
    k += (size_t)snprintf(shape + k, sizeof(shape) - k, i ? ", %lld" : "%lld", (long long)dims[i]);
  }
  if (ndim == 1) snprintf(shape + k, sizeof(shape) - k, ",");

  char header[256];
  int hl = snprintf(header, sizeof(header), "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape);
  /* numpy's padding: 1..64 spaces, then '\n', so the data starts at a
   * multiple of 64. */
  size_t pad = 64 - (10 + (size_t)hl + 1) % 64;
  size_t hlen = (size_t)hl + pad + 1; /* dict, spaces, '\n' */
  memset(header + hl, ' ', pad);
  header[hlen - 1] = '\n';

  uint8_t pre[10];
  memcpy(pre, NPY_MAGIC, NPY_MAGIC_LEN);
  pre[6] = 1;
  pre[7] = 0;
  pre[8] = (uint8_t)(hlen & 0xff);
  pre[9] = (uint8_t)(hlen >> 8);

  FILE* f = fopen(path, "wb");
  if (!f) return rc_error(REPCONV_ERROR_IO, "%s: cannot create: %s", path, strerror(errno));
  int ok = fwrite(pre, 1, sizeof(pre), f) == sizeof(pre) && fwrite(header, 1, hlen, f) == hlen;
  uint8_t chunk[4096];
  size_t n = (size_t)numel;
  for (size_t i = 0; ok && i < n;) {
    size_t m = 0;
    for (; i < n && m + 4 <= sizeof(chunk); i++, m += 4) {
      uint32_t u;
      memcpy(&u, &data[i], 4);
      for (int b = 0; b < 4; b++) chunk[m + (size_t)b] = (uint8_t)(u >> (8 * b));
    }
    ok = fwrite(chunk, 1, m, f) == m;
  }
  int e = errno;
  if (fclose(f) != 0 && ok) {
    e = errno;
    ok = 0;
  }
  if (!ok) return rc_error(REPCONV_ERROR_IO, "%s: write failed: %s", path, strerror(e));
  return REPCONV_OK;
}

void rc_npy_free(rc_npy* t) {
  if (!t) return;
  free(t->data);
  clear(t);
}

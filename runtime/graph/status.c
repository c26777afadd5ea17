#include "runtime/graph/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A message is formatted into at most RC_ERROR_RAW bytes, then escaped into
 * the thread's buffer: escaping makes a byte at most 4 characters (\xHH), so
 * an escaped message is never cut shorter than the raw one was. */
#define RC_ERROR_RAW 1024
#define RC_ERROR_CAP (4 * RC_ERROR_RAW)

static _Thread_local char g_message[RC_ERROR_CAP];

/* Length of the well-formed UTF-8 sequence at p (its code point in *cp), or
 * 0: a stray continuation byte, a truncated sequence, an overlong form, a
 * surrogate or a code point past U+10FFFF. */
static size_t utf8_sequence(const unsigned char* p, uint32_t* cp) {
  unsigned char c = p[0];
  size_t len = 0;
  uint32_t v = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    v = c & 0x07;
  }
  for (size_t k = 1; k < len; k++) {
    if ((p[k] & 0xC0) != 0x80) return 0; /* also stops at the terminating NUL */
    v = (v << 6) | (p[k] & 0x3F);
  }
  if (len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) return 0;
  if (len == 4 && (v < 0x10000 || v > 0x10FFFF)) return 0;
  *cp = v;
  return len;
}

/* Code points a terminal or log viewer acts on rather than shows: C1
 * controls, line and paragraph separators, bidirectional overrides. */
static int unsafe_code_point(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

const char* rc_escape_text(const char* src, char* dst, size_t size) {
  if (!size) return dst;
  size_t used = 0;
  const unsigned char* p = (const unsigned char*)(src ? src : "");
  while (*p) {
    char esc[8];
    const char* piece = esc;
    size_t step;
    uint32_t cp = 0;
    if (*p < 0x20 || *p == 0x7F) {
      const char* named = *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : *p == '\t' ? "\\t" : NULL;
      if (named)
        piece = named;
      else
        snprintf(esc, sizeof(esc), "\\x%02x", *p);
      step = 1;
    } else if (*p < 0x80) {
      piece = (const char*)p;
      step = 1;
    } else if ((step = utf8_sequence(p, &cp)) == 0) {
      snprintf(esc, sizeof(esc), "\\x%02x", *p);
      step = 1;
    } else if (unsafe_code_point(cp)) {
      snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
    } else {
      piece = (const char*)p;
    }
    size_t n = piece == (const char*)p ? step : strlen(piece);
    if (n > size - 1 - used) break; /* cut between characters, never inside one */
    memcpy(dst + used, piece, n);
    used += n;
    p += step;
  }
  dst[used] = '\0';
  return dst;
}

rc_status rc_error(rc_status code, const char* fmt, ...) {
  char raw[RC_ERROR_RAW];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof(raw), fmt, ap);
  va_end(ap);
  rc_escape_text(raw, g_message, sizeof(g_message));
  return code;
}

/* Appends s to g_message at *used, truncating at the buffer's end (between
 * UTF-8 characters). */
static void append(size_t* used, const char* s) {
  size_t n = strlen(s);
  if (n > RC_ERROR_CAP - 1 - *used) {
    n = RC_ERROR_CAP - 1 - *used;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  }
  memcpy(g_message + *used, s, n);
  *used += n;
  g_message[*used] = '\0';
}

rc_status rc_error_context(rc_status code, const char* fmt, ...) {
  char raw[RC_ERROR_RAW];
  char prefix[RC_ERROR_CAP];
  char old[RC_ERROR_CAP];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof(raw), fmt, ap);
  va_end(ap);
  rc_escape_text(raw, prefix, sizeof(prefix));
  memcpy(old, g_message, sizeof(old)); /* escaped when it was set */
  size_t used = 0;
  g_message[0] = '\0';
  append(&used, prefix);
  if (old[0] != '\0') {
    append(&used, ": ");
    append(&used, old);
  }
  return code;
}

const char* rc_error_message(void) { return g_message; }

const char* repconv_last_error(void) { return g_message; }

const char* repconv_status_string(repconv_status status) {
  switch (status) {
    case REPCONV_OK: return "ok";
    case REPCONV_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case REPCONV_ERROR_IO: return "i/o error";
    case REPCONV_ERROR_FORMAT: return "malformed file";
    case REPCONV_ERROR_VERSION: return "unsupported file version";
    case REPCONV_ERROR_UNSUPPORTED: return "unsupported";
    case REPCONV_ERROR_SHAPE: return "shape error";
    case REPCONV_ERROR_NOT_FOUND: return "not found";
    case REPCONV_ERROR_OUT_OF_MEMORY: return "out of memory";
    case REPCONV_ERROR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char* repconv_version(void) { return REPCONV_VERSION_STRING; }

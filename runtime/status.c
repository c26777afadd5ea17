#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RC_ERROR_CAP 1024

static _Thread_local char g_message[RC_ERROR_CAP];

rc_status rc_error(rc_status code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_message, sizeof(g_message), fmt, ap);
  va_end(ap);
  return code;
}

/* Appends s to g_message at *used, truncating at the buffer's end. */
static void append(size_t* used, const char* s) {
  size_t n = strlen(s);
  if (n > RC_ERROR_CAP - 1 - *used) n = RC_ERROR_CAP - 1 - *used;
  memcpy(g_message + *used, s, n);
  *used += n;
  g_message[*used] = '\0';
}

rc_status rc_error_context(rc_status code, const char* fmt, ...) {
  char prefix[RC_ERROR_CAP];
  char old[RC_ERROR_CAP];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof(prefix), fmt, ap);
  va_end(ap);
  memcpy(old, g_message, sizeof(old));
  size_t used = 0;
  append(&used, prefix);
  if (old[0] != '\0') {
    append(&used, ": ");
    append(&used, old);
  }
  return code;
}

void rc_error_clear(void) { g_message[0] = '\0'; }

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

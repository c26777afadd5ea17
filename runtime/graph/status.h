/* Status codes and error messages. A failing internal function writes its
 * message into a thread-local buffer with rc_error() and returns the code;
 * repconv_last_error() reads it back. */
#ifndef RC_STATUS_H
#define RC_STATUS_H

#include "repconv.h"

typedef repconv_status rc_status;

#if defined(__GNUC__)
#define RC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define RC_PRINTF(a, b)
#endif

/* Every message is stored escaped (rc_escape_text), so names taken from a
 * file cannot put control bytes into a caller's terminal or log. */
/* Sets the thread's last-error message and returns code. */
rc_status rc_error(rc_status code, const char* fmt, ...) RC_PRINTF(2, 3);
/* Prepends "prefix: " to the current message (adds context on the way up). */
rc_status rc_error_context(rc_status code, const char* fmt, ...) RC_PRINTF(2, 3);
/* Copies src into dst (size bytes, NUL-terminated) with what a terminal or
 * log would act on escaped: C0 controls and DEL as \n, \r, \t or \xHH,
 * bytes that are not well-formed UTF-8 as \xHH, C1 controls, line/paragraph
 * separators and bidirectional overrides as \uHHHH. Printable ASCII
 * (backslash included) and other UTF-8 pass unchanged, so escaping twice
 * changes nothing (messages are wrapped again on the way up). Cuts only
 * between characters. Returns dst. */
const char* rc_escape_text(const char* src, char* dst, size_t size);
const char* rc_error_message(void);

#define RC_CHECK(expr)               \
  do {                               \
    rc_status rc_check_s_ = (expr);  \
    if (rc_check_s_ != REPCONV_OK) { \
      return rc_check_s_;            \
    }                                \
  } while (0)

#endif

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

/* Sets the thread's last-error message and returns code. */
rc_status rc_error(rc_status code, const char* fmt, ...) RC_PRINTF(2, 3);
/* Prepends "prefix: " to the current message (adds context on the way up). */
rc_status rc_error_context(rc_status code, const char* fmt, ...) RC_PRINTF(2, 3);
void rc_error_clear(void);
const char* rc_error_message(void);

#define RC_CHECK(expr)                  \
  do {                                  \
    rc_status rc_check_s_ = (expr);     \
    if (rc_check_s_ != REPCONV_OK) {    \
      return rc_check_s_;               \
    }                                   \
  } while (0)

#endif

/* Messages: every error is one line on stderr, "repconv: <what>: <why>";
 * bench's progress line (a terminal only) is cleared before it. */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"

/* 1 while the progress line is on screen. */
static int g_progress_shown = 0;

int fail(int code, const char* fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* One line, and no terminal control characters (messages may quote file bytes). */
  for (char* p = buf; *p; ++p) {
    unsigned char c = (unsigned char)*p;
    if (c == '\n' || c == '\r' || c == '\t') {
      *p = ' ';
    } else if (c < 0x20 || c == 0x7f) {
      *p = '?';
    }
  }
  size_t n = strlen(buf);
  while (n > 0 && buf[n - 1] == ' ') buf[--n] = '\0';
  fflush(stdout);
  if (g_progress_shown) fprintf(stderr, "\r%78s\r", "");
  g_progress_shown = 0;
  const char* lim = strstr(buf, "over the limit '");
  if (lim) { /* the library names the API call; say the flag too */
    lim += strlen("over the limit '");
    fprintf(stderr, "repconv: %s; on the command line: --limit %.*s=N\n", buf, (int)strcspn(lim, "'"), lim);
  } else {
    fprintf(stderr, "repconv: %s\n", buf);
  }
  return code;
}

int usage_error(const char* command, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (command) return fail(EXIT_USAGE, "%s: %s (see 'repconv --help')", command, buf);
  return fail(EXIT_USAGE, "%s (see 'repconv --help')", buf);
}

const char* lib_error(repconv_status st) {
  const char* msg = repconv_last_error();
  if (msg && msg[0]) return msg;
  return repconv_status_string(st);
}

int fail_lib(int code, const char* what, const char* path, const char* msg) {
  if (path && path[0] && strstr(msg, path)) return fail(code, "%s: %s", what, msg);
  if (path && path[0]) return fail(code, "%s '%s': %s", what, path, msg);
  return fail(code, "%s: %s", what, msg);
}

const char* session_error(const repconv_session_t* session, repconv_status st) {
  const char* msg = session ? repconv_session_error(session) : NULL;
  if (msg && msg[0]) return msg;
  return lib_error(st);
}

void cli_progress(int on, const char* fmt, ...) {
  static double last_ms = -1e9;
  if (!on) return;
  double t = now_ms();
  if (t - last_ms < 100.0) return;
  last_ms = t;
  g_progress_shown = 1;
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\r%-78.78s", buf);
  fflush(stderr);
}

void cli_progress_clear(int on) {
  if (!on || !g_progress_shown) return;
  fprintf(stderr, "\r%78s\r", "");
  fflush(stderr);
  g_progress_shown = 0;
}

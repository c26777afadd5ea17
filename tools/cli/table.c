/* See table.h. */
#include "tools/cli/table.h"

#include <inttypes.h>
#include <stdio.h>

#include "runtime/graph/status.h"

const char* group_digits(int64_t v, char* buf, size_t size) {
  char tmp[32];
  int neg = v < 0;
  uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  size_t n = 0;
  int digits = 0;
  do {
    if (digits && digits % 3 == 0) tmp[n++] = ',';
    tmp[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
    ++digits;
  } while (u && n < sizeof tmp - 2);
  if (neg) tmp[n++] = '-';
  size_t j = 0;
  while (n > 0 && j + 1 < size) buf[j++] = tmp[--n];
  buf[j] = '\0';
  return buf;
}

const char* compact(int64_t v, char* buf, size_t size) {
  double d = (double)v;
  double a = d < 0 ? -d : d;
  if (a < 1e3) {
    snprintf(buf, size, "%" PRId64, v);
  } else if (a < 1e6) {
    snprintf(buf, size, a < 1e4 ? "%.2fK" : a < 1e5 ? "%.1fK" : "%.0fK", d / 1e3);
  } else if (a < 1e9) {
    snprintf(buf, size, a < 1e7 ? "%.2fM" : a < 1e8 ? "%.1fM" : "%.0fM", d / 1e6);
  } else {
    snprintf(buf, size, a < 1e10 ? "%.2fG" : a < 1e11 ? "%.1fG" : "%.0fG", d / 1e9);
  }
  return buf;
}

size_t display_width(const char* s) {
  size_t w = 0;
  for (; *s; ++s) {
    if (((unsigned char)*s & 0xC0) != 0x80) ++w;
  }
  return w;
}

void print_cell(const char* s, size_t width, int right) {
  size_t w = display_width(s);
  size_t pad = w < width ? width - w : 0;
  if (right) printf("%*s", (int)pad, "");
  fputs(s, stdout);
  if (!right) printf("%*s", (int)pad, "");
}

const char* copy_printable(char* dst, size_t size, const char* src) { return rc_escape_text(src, dst, size); }

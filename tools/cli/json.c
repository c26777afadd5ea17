/* See json.h. */
#include "tools/cli/json.h"

#include <float.h>
#include <inttypes.h>

void json_string(FILE* f, const char* s) {
  fputc('"', f);
  const unsigned char* p = (const unsigned char*)(s ? s : "");
  while (*p) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc((int)c, f);
      ++p;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default: fprintf(f, "\\u%04x", (unsigned)c); break;
      }
      ++p;
    } else if (c < 0x80) {
      fputc((int)c, f);
      ++p;
    } else {
      /* The length of a well-formed UTF-8 sequence starting here, or 0. */
      size_t len = 0;
      uint32_t cp = 0;
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
      }
      for (size_t k = 1; k < len; ++k) {
        if ((p[k] & 0xC0) != 0x80) {
          len = 0;
          break;
        }
        cp = (cp << 6) | (p[k] & 0x3F);
      }
      /* Overlong forms, surrogates and code points past U+10FFFF are invalid. */
      if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) len = 0;
      if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) len = 0;
      if (len == 0) {
        fputs("\\ufffd", f);
        ++p;
      } else {
        fwrite(p, 1, len, f);
        p += len;
      }
    }
  }
  fputc('"', f);
}

void json_double(FILE* f, double v) {
  if (v != v || v > DBL_MAX || v < -DBL_MAX) {
    fputs("null", f);
  } else {
    fprintf(f, "%.9g", v);
  }
}

void json_dims(FILE* f, int32_t ndim, const int64_t* dims) {
  fputc('[', f);
  for (int32_t d = 0; d < ndim; ++d) fprintf(f, "%s%" PRId64, d ? ", " : "", dims[d]);
  fputc(']', f);
}

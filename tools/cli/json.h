/* The JSON writer of the repconv program (fold --json, bench --json): values
 * written straight to a FILE, no document tree. */
#ifndef REPCONV_CLI_JSON_H
#define REPCONV_CLI_JSON_H

#include <stdint.h>
#include <stdio.h>

/* A JSON string: quotes, backslashes and control characters escaped; bytes
 * that are not valid UTF-8 become U+FFFD. NULL is written as "". */
void json_string(FILE* f, const char* s);
/* A JSON number ("%.9g"); NaN and infinities (not JSON) are written as null. */
void json_double(FILE* f, double v);
/* A shape as an array of integers: [1, 3, 224, 224]. */
void json_dims(FILE* f, int32_t ndim, const int64_t* dims);

#endif

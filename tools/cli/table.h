/* Text output of the repconv program: numbers and the cells of its tables
 * (columns padded by terminal width, not bytes). Shapes: rc_dims_str
 * (runtime/graph/graph.h), the project's one shape-to-text helper. */
#ifndef REPCONV_CLI_TABLE_H
#define REPCONV_CLI_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* 1234567 -> "1,234,567". */
const char* group_digits(int64_t v, char* buf, size_t size);
/* 1234 -> "1.23K", 231211008 -> "231.2M": 3 to 4 significant digits. */
const char* compact(int64_t v, char* buf, size_t size);

/* Terminal columns of a UTF-8 string (bytes that do not continue a sequence). */
size_t display_width(const char* s);
/* Prints s on stdout padded to `width` columns (right-aligned if right). */
void print_cell(const char* s, size_t width, int right);
/* A name from a model file for a table, escaped as the library's messages
 * are (rc_escape_text: C0/C1 controls, DEL, bidirectional overrides and bad
 * UTF-8 as \n, \xHH, \u202e); returns dst. */
const char* copy_printable(char* dst, size_t size, const char* src);

#endif

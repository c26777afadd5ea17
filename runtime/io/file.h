/* Reading the files a user names (models, tensors): regular files only. A
 * FIFO would block the open or never end, a device (/dev/zero) has no size to
 * check against; both are refused before a byte is read. */
#ifndef RC_FILE_H
#define RC_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/status.h"

/* Opens path for blocking reads if it is a regular file: *fd and its size.
 * kind says what the file holds, for the message ("a .npy tensor"). */
rc_status rc_file_open_regular(const char* path, const char* kind, int* fd, uint64_t* size);

/* The whole regular file in a new buffer aligned to align (a power of two,
 * at least sizeof(void*)), which the caller frees. An empty file is
 * REPCONV_ERROR_FORMAT. */
rc_status rc_file_read_all(const char* path, const char* kind, size_t align, void** data, size_t* size);

#endif

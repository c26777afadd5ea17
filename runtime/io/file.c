#define _POSIX_C_SOURCE 200809L

#include "runtime/io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/graph/checked.h"

rc_status rc_file_open_regular(const char* path, const char* kind, int* fd, uint64_t* size) {
  if (!path) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "%s: path is NULL", kind);
  /* O_NONBLOCK: opening a FIFO without a writer must not block. */
  int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (f < 0) return rc_error(REPCONV_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(f, &st) != 0) {
    int e = errno;
    close(f);
    return rc_error(REPCONV_ERROR_IO, "%s: cannot stat: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(f);
    return rc_error(REPCONV_ERROR_IO, "%s: not a regular file (%s is read from a file of known size)", path, kind);
  }
  if (fcntl(f, F_SETFL, 0) != 0) { /* back to blocking reads */
    int e = errno;
    close(f);
    return rc_error(REPCONV_ERROR_IO, "%s: fcntl: %s", path, strerror(e));
  }
  *fd = f;
  *size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
  return REPCONV_OK;
}

rc_status rc_file_read_all(const char* path, const char* kind, size_t align, void** data, size_t* size) {
  *data = NULL;
  *size = 0;
  int fd;
  uint64_t bytes;
  RC_CHECK(rc_file_open_regular(path, kind, &fd, &bytes));
  size_t n = (size_t)bytes, cap;
  void* buf = NULL;
  if (bytes == 0) {
    close(fd);
    return rc_error(REPCONV_ERROR_FORMAT, "%s: offset 0x0: the file is empty", path);
  }
  if (bytes <= (uint64_t)SIZE_MAX && !rc_align_size(n, align, &cap)) buf = aligned_alloc(align, cap);
  if (!buf) {
    close(fd);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory reading %llu bytes", path,
                    (unsigned long long)bytes);
  }
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (uint8_t*)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int e = r < 0 ? errno : 0;
      close(fd);
      free(buf);
      if (r == 0)
        return rc_error(REPCONV_ERROR_IO, "%s: the file shrank while being read (%zu of %zu bytes)", path, got, n);
      return rc_error(REPCONV_ERROR_IO, "%s: read error after %zu of %zu bytes: %s", path, got, n, strerror(e));
    }
    got += (size_t)r;
  }
  close(fd);
  *data = buf;
  *size = n;
  return REPCONV_OK;
}

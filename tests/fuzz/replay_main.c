/* The corpus regression (ctest label fuzz_corpus): a fuzz target built with
 * the ordinary compiler and this main, which feeds it every file named on the
 * command line (a directory: every regular file in it, by name), once with
 * folding off and once on, so every crash the fuzzers ever found stays fixed.
 * Prints each file before running it: the last line names a crashing one. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static int run_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  size_t cap = 1 << 16, len = 0;
  uint8_t* buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      uint8_t* nb = realloc(buf, cap * 2);
      if (!nb) free(buf);
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) {
    fprintf(stderr, "replay: out of memory reading %s\n", path);
    return 1;
  }
  static const int levels[2] = {REPCONV_FOLD_OFF, REPCONV_FOLD_FULL};
  for (int k = 0; k < 2; k++) {
    printf("replay: %s (fold %s)\n", path, k ? "on" : "off");
    fflush(stdout);
    rc_fuzz_fold_override = levels[k];
    /* libFuzzer hands the target a buffer of exactly the input's size. */
    uint8_t* exact = malloc(len ? len : 1);
    if (!exact) return 1;
    memcpy(exact, buf, len);
    (void)LLVMFuzzerTestOneInput(exact, len);
    free(exact);
  }
  free(buf);
  return 0;
}

static int by_name(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static int run_dir(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) {
    fprintf(stderr, "replay: cannot open directory %s\n", dir);
    return 1;
  }
  char** names = NULL;
  size_t n = 0, cap = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char** nn = realloc(names, cap * sizeof(char*));
      if (!nn) break;
      names = nn;
    }
    size_t l = strlen(dir) + strlen(e->d_name) + 2;
    names[n] = malloc(l);
    if (!names[n]) break;
    snprintf(names[n], l, "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  qsort(names, n, sizeof(char*), by_name);
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    /* README and generator scripts live beside the corpus files. */
    if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode) && !strstr(names[i], "README")) bad |= run_file(names[i]);
    free(names[i]);
  }
  free(names);
  return bad;
}

int main(int argc, char** argv) {
  int bad = 0, files = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      bad = 1;
    } else if (S_ISDIR(st.st_mode)) {
      bad |= run_dir(argv[i]);
    } else {
      bad |= run_file(argv[i]);
    }
    files++;
  }
  printf("replay: %d arguments, %s\n", files, bad ? "errors" : "no crash");
  return bad;
}

/* Listing a folder of pictures (folder.h). */
#define _POSIX_C_SOURCE 200809L

#include "tools/cli/img/folder.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

char* cli_path_join(const char* dir, const char* name) {
  const size_t a = strlen(dir), b = strlen(name);
  const int slash = a > 0 && dir[a - 1] != '/';
  char* p = malloc(a + (size_t)slash + b + 1);
  if (!p) return NULL;
  memcpy(p, dir, a);
  if (slash) p[a] = '/';
  memcpy(p + a + slash, name, b + 1);
  return p;
}

static int picture_extension(const char* name, size_t* stem) {
  const char* dot = strrchr(name, '.');
  if (!dot || dot == name) return 0;
  *stem = (size_t)(dot - name);
  return strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0;
}

static int by_name(const void* a, const void* b) {
  return strcmp(((const cli_folder_entry*)a)->name, ((const cli_folder_entry*)b)->name);
}

void cli_folder_free(cli_folder_entry* entries, size_t count) {
  for (size_t i = 0; i < count && entries; i++) {
    free(entries[i].name);
    free(entries[i].output);
  }
  free(entries);
}

int cli_folder_list(const char* dir, cli_folder_entry** out, size_t* count, char* err, size_t err_size) {
  *out = NULL;
  *count = 0;
  DIR* d = opendir(dir);
  if (!d) {
    snprintf(err, err_size, "cannot read the folder (%s)", strerror(errno));
    return -1;
  }
  cli_folder_entry* list = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (struct dirent* de; (de = readdir(d)) != NULL;) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      cli_folder_entry* grown = realloc(list, cap * sizeof *list);
      if (!grown) {
        rc = -1;
        break;
      }
      list = grown;
    }
    cli_folder_entry* e = &list[n];
    memset(e, 0, sizeof *e);
    e->name = strdup(de->d_name);
    if (!e->name) {
      rc = -1;
      break;
    }
    n++;
    size_t stem = 0;
    if (!picture_extension(e->name, &stem)) continue;
    char* path = cli_path_join(dir, e->name);
    struct stat st;
    const int regular = path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(path);
    if (!regular) continue;
    e->output = malloc(stem + sizeof ".png");
    if (!e->output) {
      rc = -1;
      break;
    }
    memcpy(e->output, e->name, stem);
    memcpy(e->output + stem, ".png", sizeof ".png");
    e->picture = 1;
  }
  closedir(d);
  if (rc != 0) {
    snprintf(err, err_size, "out of memory listing the folder");
    cli_folder_free(list, n);
    return -1;
  }
  if (n) qsort(list, n, sizeof *list, by_name);
  for (size_t i = 0; i < n; i++) {
    for (size_t k = i + 1; k < n && list[i].picture; k++) {
      if (list[k].picture && strcmp(list[i].output, list[k].output) == 0) {
        snprintf(err, err_size, "'%s' and '%s' would both be written to '%s'", list[i].name, list[k].name,
                 list[i].output);
        cli_folder_free(list, n);
        return -1;
      }
    }
  }
  *out = list;
  *count = n;
  return 0;
}

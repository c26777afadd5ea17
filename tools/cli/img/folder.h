/* Folder mode of `repconv upscale`: the pictures of a folder (not its
 * subfolders), in name order, and what their outputs are called. */
#ifndef CLI_IMG_FOLDER_H
#define CLI_IMG_FOLDER_H

#include <stddef.h>

typedef struct cli_folder_entry {
  char* name;   /* the file's name in the folder */
  char* output; /* NAME.png: the name without its extension, + ".png" */
  int picture;  /* 1: .png, .jpg or .jpeg (any case), a regular file; 0: skipped */
} cli_folder_entry;

/* Every entry of dir but "." and "..", sorted by name. -1 with err set if
 * the folder cannot be read or two pictures would write the same output
 * ("a.jpg" and "a.png"). */
int cli_folder_list(const char* dir, cli_folder_entry** out, size_t* count, char* err, size_t err_size);
void cli_folder_free(cli_folder_entry* entries, size_t count);
/* "dir/name" in a malloc'd string (NULL when out of memory). */
char* cli_path_join(const char* dir, const char* name);

#endif

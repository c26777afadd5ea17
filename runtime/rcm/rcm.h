/* .rcm: repconv's own model file (layout: docs/rcm-format.md).
 *
 * A little-endian image with a fixed header, a string table, a tensor table,
 * a node table, the node-input and graph input/output id lists, and a data
 * section in which every constant starts at a 64-byte-aligned file offset, so
 * that a read-only mapping of the file hands out aligned float pointers.
 *
 * Loading checks every count, offset, size, id, name and shape before using
 * it; a malformed file gives REPCONV_ERROR_FORMAT with a message naming the
 * file, the byte offset and what is wrong, a file of a newer major version
 * REPCONV_ERROR_VERSION. The loader only builds IR: it runs no shape
 * inference (value tensors carry no shape in the file) and accepts any node
 * order (the planner sorts).
 *
 * Ownership: on success and on failure alike the graph owns whatever was
 * loaded into it (the image included, as g->blob) and the caller releases it
 * with rc_graph_free. */
#ifndef RC_RCM_H
#define RC_RCM_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/graph.h"
#include "runtime/graph/status.h"

#define RC_RCM_VERSION_MAJOR 1
/* The newest minor version written: 1.1 adds the symbolic-dims mask of graph
 * inputs; files without one are written as 1.0, which older readers take. */
#define RC_RCM_VERSION_MINOR 1

/* Fixed sizes of format 1.0 (later 1.x versions may use larger records and a
 * larger header; 1.0 readers skip the extra bytes). */
#define RC_RCM_HEADER_SIZE 128
#define RC_RCM_TENSOR_RECORD_SIZE 56
#define RC_RCM_NODE_RECORD_SIZE 152
/* File offset alignment of the data section and of every constant. */
#define RC_RCM_ALIGN 64

/* Bounds the loader enforces on top of the file size (graph.h limits). */
#define RC_RCM_MAX_TENSORS ((int64_t)1 << 24)
#define RC_RCM_MAX_NODES ((int64_t)1 << 24)
#define RC_RCM_MAX_NODE_INPUTS 4096 /* inputs of one node */

/* 1 if the bytes start with the .rcm magic ("RCM\0"). */
int rc_rcm_has_magic(const void* data, size_t size);

/* g must be freshly rc_graph_init'ed. The file (a regular file) is read
 * into a 64-byte-aligned malloc'd g->blob (blob_mapped = 0) and constants
 * point into it: nothing refers to the file after the call, so truncating
 * or rewriting it under a loaded model is safe (a mapping would raise
 * SIGBUS). The copy's cost is in docs/rcm-format.md. */
rc_status rc_rcm_load_file(const char* path, rc_graph* g);
/* The bytes are copied into a 64-byte-aligned malloc'd g->blob (blob_mapped =
 * 0); data need have no particular alignment. */
rc_status rc_rcm_load_memory(const void* data, size_t size, rc_graph* g);

/* Writes g (value tensor shapes are not stored). REPCONV_ERROR_INVALID_ARGUMENT
 * if the graph could not be loaded back (a name too long, a constant without
 * data, ...). */
rc_status rc_rcm_save_file(const rc_graph* g, const char* path);
/* *data is malloc'd, the caller frees it; *size is its length in bytes. */
rc_status rc_rcm_save_memory(const rc_graph* g, void** data, size_t* size);

#endif

/* Trained weights of a built-in model: a blob of named float32 tensors
 * (runtime/zoo/weights/, one .bin file per model, written by tools/train/ecbsr.py, compiled into
 * the library as a byte array at build time by cmake/EmbedBlob.cmake).
 *
 * Layout, little-endian:
 *   0   4 bytes  magic "RCZW"
 *   4   u32      version (1)
 *   8   u32      tensor count
 *   12  u32      payload bytes (all that follows the 20-byte header)
 *   16  u32      CRC-32 of the payload (IEEE 802.3, zlib's crc32)
 *   20  payload, per tensor: u8 name length L (1..127), L bytes of name
 *       (the PyTorch state_dict key), u8 ndim (1..4), ndim u32 dims (each
 *       >= 1), numel f32 values in C order.
 *
 * A builder reads the tensors in blob order, naming each and its shape: a
 * blob that does not match the architecture in code fails with the tensor's
 * name and both shapes, never builds a different model. */
#ifndef RC_ZOO_WBLOB_H
#define RC_ZOO_WBLOB_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/graph.h"

#define RC_WBLOB_VERSION 1u

typedef struct rc_wblob {
  const char* what;         /* for messages, e.g. "ecbsr-x2 weights" */
  const unsigned char* pay; /* the payload */
  size_t size;              /* payload bytes */
  size_t off;               /* the next tensor's record */
  uint32_t count, taken;
} rc_wblob;

/* CRC-32 (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF). */
uint32_t rc_wblob_crc32(const unsigned char* p, size_t n);
/* Checks the header, the checksum and that every record fits the payload;
 * REPCONV_ERROR_FORMAT (or _VERSION) naming what and the offset otherwise. */
rc_status rc_wblob_open(rc_wblob* b, const char* what, const unsigned char* data, size_t size);
/* The next tensor, which must be called name and have shape s, decoded into
 * dst (numel(s) floats). */
rc_status rc_wblob_take(rc_wblob* b, const char* name, const rc_shape* s, float* dst);
/* The next tensor (as rc_wblob_take) added to g as constant name. */
rc_status rc_wblob_const(rc_wblob* b, rc_graph* g, const char* name, const rc_shape* s, int32_t* out);
/* Fails unless every tensor has been taken. */
rc_status rc_wblob_close(const rc_wblob* b);

#endif

/* The .rcm layout as the reader and writer of runtime/rcm share it: field
 * offsets of the header and of the tensor and node records (the format is
 * docs/rcm-format.md), and little-endian access byte by byte, so the code is
 * the same on any host. */
#ifndef RC_RCM_LAYOUT_H
#define RC_RCM_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runtime/graph/status.h"

/* The first 4 bytes of every image: "RCM" and its NUL. */
#define RC_RCM_MAGIC "RCM"

/* Header fields (byte offsets). */
enum {
  H_MAGIC = 0,
  H_MAJOR = 4,
  H_MINOR = 6,
  H_HEADER_SIZE = 8,
  H_FLAGS = 12,
  H_FILE_SIZE = 16,
  H_N_TENSORS = 24,
  H_N_NODES = 28,
  H_N_NODE_INPUTS = 32,
  H_N_INPUTS = 36,
  H_N_OUTPUTS = 40,
  H_TENSOR_REC = 44,
  H_NODE_REC = 48,
  H_RESERVED0 = 52,
  H_STRINGS_OFF = 56,
  H_STRINGS_SIZE = 64,
  H_TENSORS_OFF = 72,
  H_NODES_OFF = 80,
  H_NODE_INPUTS_OFF = 88,
  H_IO_OFF = 96,
  H_DATA_OFF = 104,
  H_DATA_SIZE = 112,
  H_RESERVED1 = 120
};

/* Tensor record fields. */
enum { T_NAME = 0, T_KIND = 4, T_NDIM = 5, T_DYN = 6, T_DIMS = 8, T_DATA_OFF = 40, T_DATA_SIZE = 48 };

/* Node record fields. */
enum {
  N_OP = 0,
  N_NAME = 4,
  N_N_INPUTS = 8,
  N_FIRST_INPUT = 12,
  N_OUTPUT = 16,
  N_KERNEL = 20,
  N_STRIDE = 28,
  N_DILATION = 36,
  N_PAD = 44,
  N_GROUPS = 60,
  N_CEIL_MODE = 64,
  N_COUNT_INCLUDE_PAD = 68,
  N_AXIS = 72,
  N_BLOCK = 76,
  N_MODE = 80,
  N_SCALE = 84,
  N_ALPHA = 92,
  N_BETA = 96,
  N_EPS = 100,
  N_MIN = 104,
  N_MAX = 108,
  N_RESHAPE_NDIM = 112,
  N_RESERVED = 116,
  N_RESHAPE = 120
};

static inline uint16_t get_u16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t get_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t get_u64(const uint8_t* p) { return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32); }
static inline int32_t get_i32(const uint8_t* p) {
  uint32_t u = get_u32(p);
  int32_t v;
  memcpy(&v, &u, sizeof(v));
  return v;
}
static inline int64_t get_i64(const uint8_t* p) {
  uint64_t u = get_u64(p);
  int64_t v;
  memcpy(&v, &u, sizeof(v));
  return v;
}
static inline float get_f32(const uint8_t* p) {
  uint32_t u = get_u32(p);
  float v;
  memcpy(&v, &u, sizeof(v));
  return v;
}

static inline void put_u16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put_i32(uint8_t* p, int32_t v) {
  uint32_t u;
  memcpy(&u, &v, sizeof(u));
  put_u32(p, u);
}
static inline void put_i64(uint8_t* p, int64_t v) {
  uint64_t u;
  memcpy(&u, &v, sizeof(u));
  put_u64(p, u);
}
static inline void put_f32(uint8_t* p, float v) {
  uint32_t u;
  memcpy(&u, &v, sizeof(u));
  put_u32(p, u);
}

static inline int host_is_little_endian(void) {
  const uint16_t one = 1;
  unsigned char c;
  memcpy(&c, &one, 1);
  return c == 1;
}

/* The reader's checks of a whole image, without building a graph (the
 * writer refuses to save what would not load back): REPCONV_ERROR_FORMAT
 * naming what and the offset, REPCONV_ERROR_VERSION, or out of memory. */
rc_status rc_rcm_check_image(const uint8_t* p, size_t size, const char* what);

#endif

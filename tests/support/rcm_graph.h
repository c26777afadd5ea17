/* Helpers of the .rcm tests (tests/test_rcm*.c): the test graph (every op
 * and attribute the format stores), its saved image, field access to an
 * image, and graph comparison. Failures fail the running cmocka test. */
#ifndef RC_TESTS_RCM_GRAPH_H
#define RC_TESTS_RCM_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/graph.h"
#include "tests/support/test_util.h"

/* Header and record field offsets, as docs/rcm-format.md states them. */
enum {
  OFF_MAJOR = 4,
  OFF_MINOR = 6,
  OFF_FILE_SIZE = 16,
  OFF_N_TENSORS = 24,
  OFF_N_NODES = 28,
  OFF_TENSORS = 72,
  OFF_NODES = 80,
  OFF_NODE_INPUTS = 88,
  OFF_IO = 96,
  OFF_DATA = 104,
  REC_T_NAME = 0,
  REC_T_KIND = 4,
  REC_T_DYN = 6,
  REC_T_DIMS = 8,
  REC_T_DATA_OFF = 40,
  REC_N_OP = 0,
  REC_N_N_INPUTS = 8,
  REC_N_FIRST_INPUT = 12,
  REC_N_OUTPUT = 16,
  REC_N_RESHAPE_NDIM = 112
};

/* Little-endian fields of an image. */
uint32_t rd32(const uint8_t* p);
uint64_t rd64(const uint8_t* p);
void wr32(uint8_t* p, uint32_t v);
void wr64(uint8_t* p, uint64_t v);
/* Byte offset of tensor record i / node record i in an image. */
size_t tensor_rec(const uint8_t* img, int32_t i);
size_t node_rec(const uint8_t* img, int32_t i);

rc_shape shape4(int64_t a, int64_t b, int64_t c, int64_t d);
rc_shape shape1(int64_t a);
/* A constant of shape s, uniform from r; its id. */
int32_t add_const(rc_graph* g, rc_test_rng* r, const char* name, rc_shape s);
/* A node writing a new tensor out; its output's id. */
int32_t add_node(rc_graph* g, rc_op op, const char* name, const int32_t* in, int32_t n, const rc_attrs* a,
                 const char* out);
/* The test graph (see rcm_graph.c). */
void build_graph(rc_graph* g);
/* Fail unless the graphs (or attributes) are the same, floats bit for bit. */
void expect_same_attrs(const char* node, const rc_attrs* a, const rc_attrs* b);
void expect_same_graph(const rc_graph* a, const rc_graph* b);
/* Every constant of g borrows 64-byte-aligned data from its blob. */
void expect_borrowed_aligned(const rc_graph* g);
/* The saved image of the test graph (malloc'd); _finite: without its NaN
 * weight, so that a model can load it. */
uint8_t* saved_image(size_t* size);
uint8_t* saved_image_finite(size_t* size);
/* Loads the image (copied to an exact-size buffer) and frees the graph. */
rc_status load_copy(const uint8_t* img, size_t size);
/* Fails unless loading img gives want with a message holding every word. */
void expect_error(const uint8_t* img, size_t size, rc_status want, const char* const* words);

#endif

/* Built-in models with trained weights, compiled into the library. */
#ifndef RC_ZOO_TRAINED_H
#define RC_ZOO_TRAINED_H

#include <stddef.h>

#include "runtime/graph/graph.h"

/* runtime/zoo/weights/ecbsr_x2.bin as bytes (generated at build time by
 * cmake/EmbedBlob.cmake). */
extern const unsigned char rc_zoo_ecbsr_x2_blob[];
extern const size_t rc_zoo_ecbsr_x2_blob_size;

/* ECBSR-M4C16 ×2 with the weights of tools/train/train_ecbsr.py. */
rc_status rc_zoo_build_ecbsr_x2(rc_graph* g);
/* The same architecture with the weights of the given blob (the tests give
 * corrupted copies). */
rc_status rc_zoo_build_ecbsr_x2_from(rc_graph* g, const unsigned char* blob, size_t size);

#endif

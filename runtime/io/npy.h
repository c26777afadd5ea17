/* numpy .npy tensors (the CLI's tensor format; np.save / np.load).
 *
 * Reading: format versions 1.0, 2.0 and 3.0; dtype '<f4' or '>f4' (byte
 * swapped as needed), '<f8' or '>f8' converted to float32 by C's double to
 * float conversion (round to nearest even; magnitudes beyond FLT_MAX become
 * ±inf, NaN stays NaN); C order only (fortran_order True is
 * REPCONV_ERROR_UNSUPPORTED); rank 0 to 4, every dimension 1..2^24 and at
 * most 2^34 elements (graph.h bounds). Other dtypes and ranks give
 * REPCONV_ERROR_UNSUPPORTED naming them; a malformed header or a data size
 * that does not match the shape exactly gives REPCONV_ERROR_FORMAT.
 *
 * Writing: version 1.0, '<f4', C order, the header padded with spaces and
 * ended by '\n' so the data starts at a multiple of 64 bytes, as numpy does.
 *
 * Ownership: rc_npy.data is malloc'd by the reader and released with
 * rc_npy_free. On failure *out is left empty (data NULL), so rc_npy_free is
 * always safe to call. */
#ifndef RC_NPY_H
#define RC_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/status.h"

typedef struct rc_npy {
  int32_t ndim;                   /* 0 for a numpy scalar array (one element) */
  int64_t dims[REPCONV_MAX_DIMS]; /* dims[ndim..] are 0 */
  float* data;                    /* C order, malloc'd */
} rc_npy;

rc_status rc_npy_read_file(const char* path, rc_npy* out);
/* what names the tensor in messages (a file name, "input 0", ...). */
rc_status rc_npy_read_memory(const void* bytes, size_t size, const char* what, rc_npy* out);
/* ndim 0..4, dims 1..2^24; data holds the product of dims floats. */
rc_status rc_npy_write_file(const char* path, int32_t ndim, const int64_t* dims, const float* data);
/* Frees data and empties t (NULL is fine). */
void rc_npy_free(rc_npy* t);

#endif

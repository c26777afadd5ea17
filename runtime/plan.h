/* The planner: execution order, kernel choice per node and the activation
 * arena. A plan belongs to a model (immutable, shared by its sessions);
 * sessions own the arena memory the plan lays out. */
#ifndef RC_PLAN_H
#define RC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

#define RC_ARENA_ALIGN_FLOATS 16 /* 64 bytes: cache line and widest vector */
#define RC_NO_OFFSET SIZE_MAX

typedef struct rc_plan {
  int32_t* order;       /* node indices in execution order */
  int32_t n_order;
  size_t* offset;       /* per tensor: float offset in the arena, RC_NO_OFFSET for constants */
  size_t arena_floats;  /* arena size in floats */
  int backend;          /* repconv_backend */
} rc_plan;

/* Shapes must be inferred. Lifetimes are positions in the execution order
 * (inputs are born before the first node, outputs live to the end); tensors
 * whose lifetimes overlap never share memory. Placement is greedy by size,
 * lowest fitting offset first. */
rc_status rc_plan_create(const rc_graph* g, int backend, rc_plan* p);
void rc_plan_free(rc_plan* p);

/* Storage strides of a tensor in its own logical dims: channels-last for
 * activations, C order for constants (see graph.h). */
void rc_storage_strides(const rc_shape* s, int channels_last, int64_t strides[RC_MAX_DIMS]);
/* The logical shape padded on the right with 1s to rank 4. */
void rc_shape_dims4(const rc_shape* s, int64_t dims[4]);

#endif

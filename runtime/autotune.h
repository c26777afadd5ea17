/* Load-time autotuning: time kernel candidates on a layer's real shape. */
#ifndef RC_AUTOTUNE_H
#define RC_AUTOTUNE_H

#include "graph.h"

/* Best of reps runs (after one warm-up) of Winograd variant `variant`
 * (rc_wino_variant) on conv node n's shapes, on the caller's thread, in
 * milliseconds; < 0 when the buffers cannot be allocated. */
double rc_autotune_wino_ms(const rc_graph* g, const rc_node* n, int variant, int reps);

#endif

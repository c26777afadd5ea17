/* Load-time autotuning: the time of one kernel candidate on a layer's real
 * shape. Each returns the best of reps runs after one warm-up, on the
 * caller's thread, in milliseconds, or < 0 when the buffers or the operator
 * cannot be made. The planner calls them for convs and FCs when autotune is
 * on (see plan.h). */
#ifndef RC_AUTOTUNE_H
#define RC_AUTOTUNE_H

#include "runtime/graph/graph.h"

/* Winograd variant `variant` (rc_wino_variant) on 3x3 conv node n. */
double rc_autotune_wino_ms(const rc_graph* g, const rc_node* n, int variant, int reps);
/* kernels/gemm on conv or FC node n. */
double rc_autotune_gemm_ms(const rc_graph* g, const rc_node* n, int reps);
/* XNNPACK on conv or FC node n (the caller checked XNNPACK computes it);
 * with prelu (a PReLU node reading n's output) also XNNPACK's PReLU pass
 * after it, which Winograd and the GEMM fuse into their store but XNNPACK's
 * conv cannot. */
double rc_autotune_xnn_ms(const rc_graph* g, const rc_node* n, const rc_node* prelu, int reps);

#endif

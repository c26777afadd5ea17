/* FLOP counting over the public API, for the programs that time models:
 * repconv_bench (bench/) and `repconv bench` (tools/cli). The FLOPs of one
 * node are the library's (repconv_node_info_t.flops: 2 x multiply-adds for
 * convs and FCs, one per output element for element-wise ops); this file
 * only adds them up, per model or per plan entry. */
#ifndef REPCONV_BENCH_FLOPS_H
#define REPCONV_BENCH_FLOPS_H

#include <stddef.h>
#include <stdint.h>

#include "repconv.h"

/* The work one run of the model does: the sum of its nodes' FLOPs. */
int64_t rcb_model_flops(const repconv_model_t* model);

/* flops[i] for each of the session's n plan entries (n =
 * repconv_session_num_plan_entries): the FLOPs of the entry's node, plus
 * those of the fused entries after it (an activation, a chain member), which
 * the entry computes; 0 for a fused entry. session must run model. */
void rcb_plan_entry_flops(const repconv_model_t* model, const repconv_session_t* session, int64_t* flops, size_t n);

#endif

/* The executor: runs a planned graph node by node on the session's arena. */
#ifndef RC_EXEC_H
#define RC_EXEC_H

#include <pthreadpool.h>

#include "graph.h"
#include "plan.h"

/* Inputs must already be in the arena (channels-last). */
rc_status rc_exec_run(const rc_graph* g, const rc_plan* p, float* arena, pthreadpool_t pool);

#endif

/* Resource limits (repconv_options_set_limit): what loading a model and
 * creating a session may spend. Loaders, fold and the session check them
 * before they allocate or compute, and report a breach with rc_limit_error,
 * whose message names the limit and how to raise it. */
#ifndef RC_LIMIT_H
#define RC_LIMIT_H

#include <stdint.h>

#include "runtime/graph/status.h"

typedef struct rc_limits {
  uint64_t v[REPCONV_LIMIT_COUNT]; /* indexed by repconv_limit; 0 = no limit */
} rc_limits;

rc_limits rc_limits_default(void);

/* 1 when need is over the limit (never for a limit of 0). */
static inline int rc_limit_exceeded(const rc_limits* l, repconv_limit which, uint64_t need) {
  return l && l->v[which] && need > l->v[which];
}

/* The error for a breach: "<what> needs N, over the limit 'name' of M (raise
 * it with repconv_options_set_limit)", with status OUT_OF_MEMORY for byte
 * limits and FORMAT for the others. what is a printf format. */
rc_status rc_limit_error(const rc_limits* l, repconv_limit which, uint64_t need, const char* what, ...) RC_PRINTF(4, 5);

/* A running count against one limit (load-time multiply-adds, constant
 * bytes): rc_budget_take adds n and fails with rc_limit_error once the total
 * is over the limit. A NULL budget takes anything. */
typedef struct rc_budget {
  const rc_limits* limits;
  repconv_limit which;
  uint64_t used;
} rc_budget;

rc_status rc_budget_take(rc_budget* b, uint64_t n, const char* what, ...) RC_PRINTF(3, 4);

#endif

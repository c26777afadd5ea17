#include "runtime/graph/limit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char* const k_names[REPCONV_LIMIT_COUNT] = {"arena-bytes", "constant-bytes", "nodes", "load-macs"};
static const char* const k_enums[REPCONV_LIMIT_COUNT] = {"REPCONV_LIMIT_ARENA_BYTES", "REPCONV_LIMIT_CONSTANT_BYTES",
                                                         "REPCONV_LIMIT_NODES", "REPCONV_LIMIT_LOAD_MACS"};

rc_limits rc_limits_default(void) {
  rc_limits l;
  l.v[REPCONV_LIMIT_ARENA_BYTES] = (uint64_t)4 << 30;
  l.v[REPCONV_LIMIT_CONSTANT_BYTES] = (uint64_t)2 << 30;
  l.v[REPCONV_LIMIT_NODES] = (uint64_t)1 << 20;
  l.v[REPCONV_LIMIT_LOAD_MACS] = (uint64_t)1 << 36;
  return l;
}

const char* repconv_limit_name(repconv_limit limit) {
  return (unsigned)limit < REPCONV_LIMIT_COUNT ? k_names[limit] : NULL;
}

repconv_status repconv_limit_from_name(const char* name, repconv_limit* out) {
  if (!name || !out) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "limit_from_name: NULL argument");
  for (int k = 0; k < REPCONV_LIMIT_COUNT; k++) {
    if (strcmp(name, k_names[k]) == 0) {
      *out = (repconv_limit)k;
      return REPCONV_OK;
    }
  }
  return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "unknown limit '%s' (arena-bytes, constant-bytes, nodes, load-macs)",
                  name);
}

static int is_bytes(repconv_limit which) {
  return which == REPCONV_LIMIT_ARENA_BYTES || which == REPCONV_LIMIT_CONSTANT_BYTES;
}

/* "4.0 GiB (4294967296 bytes)" or "65536" */
static void amount(repconv_limit which, uint64_t v, char* buf, size_t size) {
  if (!is_bytes(which)) {
    snprintf(buf, size, "%llu %s", (unsigned long long)v, which == REPCONV_LIMIT_NODES ? "nodes" : "multiply-adds");
  } else if (v >= ((uint64_t)1 << 20)) {
    snprintf(buf, size, "%.1f MiB (%llu bytes)", (double)v / (1 << 20), (unsigned long long)v);
  } else {
    snprintf(buf, size, "%llu bytes", (unsigned long long)v);
  }
}

static rc_status vlimit_error(const rc_limits* l, repconv_limit which, uint64_t need, const char* what, va_list ap) {
  char head[512], a[64], b[64];
  vsnprintf(head, sizeof(head), what, ap);
  amount(which, need, a, sizeof(a));
  amount(which, l->v[which], b, sizeof(b));
  return rc_error(is_bytes(which) ? REPCONV_ERROR_OUT_OF_MEMORY : REPCONV_ERROR_FORMAT,
                  "%s needs %s, over the limit '%s' of %s (raise it with repconv_options_set_limit(%s, ...); 0 = none)",
                  head, a, k_names[which], b, k_enums[which]);
}

rc_status rc_limit_error(const rc_limits* l, repconv_limit which, uint64_t need, const char* what, ...) {
  va_list ap;
  va_start(ap, what);
  rc_status s = vlimit_error(l, which, need, what, ap);
  va_end(ap);
  return s;
}

rc_status rc_budget_take(rc_budget* b, uint64_t n, const char* what, ...) {
  if (!b) return REPCONV_OK;
  uint64_t total = b->used + n < b->used ? UINT64_MAX : b->used + n;
  if (rc_limit_exceeded(b->limits, b->which, total)) {
    va_list ap;
    va_start(ap, what);
    rc_status s = vlimit_error(b->limits, b->which, total, what, ap);
    va_end(ap);
    return s;
  }
  b->used = total;
  return REPCONV_OK;
}

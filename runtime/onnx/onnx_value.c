/* The ONNX importer's shared state: messages naming the node, dtypes,
 * constants (within the constant-bytes limit), the value table (ONNX value
 * name -> constant, initializer or IR tensor) and node attributes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/onnx/onnx_value.h"

/* ------------------------------------------------------------- messages */

rc_status ox_node_error(ox* x, rc_status code, const char* fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (x->node) {
    const char* op = x->node->op_type ? x->node->op_type : "?";
    return rc_error(code, "%s: node '%s' (%s): %s", x->what, x->node_name, op, msg);
  }
  return rc_error(code, "%s: %s", x->what, msg);
}

/* ---------------------------------------------------------------- dtypes */

int ox_dtype_is_float(int32_t t) { return t == OX_FLOAT || t == OX_DOUBLE || t == OX_FLOAT16; }

int ox_dtype_is_int(int32_t t) {
  switch (t) {
    case OX_UINT8:
    case OX_INT8:
    case OX_UINT16:
    case OX_INT16:
    case OX_INT32:
    case OX_INT64:
    case OX_BOOL:
    case OX_UINT32:
    case OX_UINT64: return 1;
    default: return 0;
  }
}

const char* ox_dtype_name(int32_t t) {
  static const char* const names[] = {"undefined", "float32", "uint8",     "int8",       "uint16",  "int16",
                                      "int32",     "int64",   "string",    "bool",       "float16", "double",
                                      "uint32",    "uint64",  "complex64", "complex128", "bfloat16"};
  if (t >= 0 && t < (int32_t)(sizeof(names) / sizeof(names[0]))) return names[t];
  return "unknown";
}

rc_status ox_const_alloc(ox* x, ox_const* c, int32_t dtype, int32_t ndim, const int64_t* dims) {
  memset(c, 0, sizeof(*c));
  if (ndim < 0 || ndim > OX_MAX_RANK) return rc_error(REPCONV_ERROR_UNSUPPORTED, "constant of rank %d", ndim);
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (dims[i] < 0 || rc_mul_i64(n, dims[i], &n) || n > OX_MAX_CONST_ELEMENTS) {
      return rc_error(REPCONV_ERROR_UNSUPPORTED, "constant too large or negative dim (dim %d = %lld)", i,
                      (long long)dims[i]);
    }
  }
  size_t bytes = (size_t)(n ? n : 1) * 8;
  const uint64_t held = x->const_live + x->g->const_bytes + bytes;
  if (rc_limit_exceeded(x->limits, REPCONV_LIMIT_CONSTANT_BYTES, held)) {
    char dl[160] = "";
    for (int i = 0, at = 0; i < ndim && at < (int)sizeof(dl) - 24; i++) {
      at += snprintf(dl + at, sizeof(dl) - (size_t)at, "%s%lld", i ? "x" : "", (long long)dims[i]);
    }
    return rc_limit_error(x->limits, REPCONV_LIMIT_CONSTANT_BYTES, held,
                          "a %s constant [%s] with the constants before it", ox_dtype_name(dtype), dl);
  }
  c->dtype = dtype;
  c->ndim = ndim;
  for (int i = 0; i < ndim; i++) c->dims[i] = dims[i];
  c->numel = n;
  if (ox_dtype_is_float(dtype)) {
    c->d = calloc(1, bytes);
    if (!c->d) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "constant of %lld elements", (long long)n);
  } else {
    c->i = calloc(1, bytes);
    if (!c->i) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "constant of %lld elements", (long long)n);
  }
  c->live = &x->const_live;
  x->const_live += bytes;
  return REPCONV_OK;
}

void ox_const_free(ox_const* c) {
  if (c->live && (c->d || c->i)) *c->live -= (uint64_t)(c->numel ? c->numel : 1) * 8;
  free(c->d);
  free(c->i);
  memset(c, 0, sizeof(*c));
}

double ox_const_get_d(const ox_const* c, int64_t k) { return c->d ? c->d[k] : (double)c->i[k]; }
int64_t ox_const_get_i(const ox_const* c, int64_t k) {
  if (c->i) return c->i[k];
  double v = c->d[k];
  if (!(v >= -9.2e18 && v <= 9.2e18)) return 0; /* NaN/huge: callers range-check results */
  return (int64_t)v;
}

/* ----------------------------------------------------------- value table */

static uint64_t hash_name(const char* s) {
  uint64_t h = 1469598103934665603ull;
  while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
  return h;
}

ox_value* ox_find(ox* x, const char* name) {
  if (!name || !x->nslots) return NULL;
  size_t mask = x->nslots - 1;
  for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
    int32_t s = x->slots[i];
    if (s == 0) return NULL;
    if (strcmp(x->v[s - 1].name, name) == 0) return &x->v[s - 1];
  }
}

static rc_status rehash(ox* x, size_t nslots) {
  int32_t* slots = calloc(nslots, sizeof(int32_t));
  if (!slots) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
  free(x->slots);
  x->slots = slots;
  x->nslots = nslots;
  for (size_t k = 0; k < x->nv; k++) {
    for (size_t i = hash_name(x->v[k].name) & (nslots - 1);; i = (i + 1) & (nslots - 1)) {
      if (!slots[i]) {
        slots[i] = (int32_t)k + 1;
        break;
      }
    }
  }
  return REPCONV_OK;
}

rc_status ox_define(ox* x, const char* name, ox_value** out) {
  if (!name || !name[0]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "a value has an empty name");
  if (strlen(name) >= RC_MAX_NAME)
    return ox_node_error(x, REPCONV_ERROR_FORMAT, "value name longer than %d bytes", RC_MAX_NAME - 1);
  if (ox_find(x, name)) return ox_node_error(x, REPCONV_ERROR_FORMAT, "value '%s' is defined twice", name);
  if (x->nv >= (1u << 24)) return ox_node_error(x, REPCONV_ERROR_FORMAT, "too many values");
  if (x->nv == x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 256;
    ox_value* v = realloc(x->v, cap * sizeof(*v));
    if (!v) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory", x->what);
    x->v = v;
    x->cap = cap;
  }
  if ((x->nv + 1) * 2 > x->nslots) RC_CHECK(rehash(x, x->nslots ? x->nslots * 2 : 512));
  ox_value* v = &x->v[x->nv];
  memset(v, 0, sizeof(*v));
  v->name = name;
  v->tensor = -1;
  for (size_t i = hash_name(name) & (x->nslots - 1);; i = (i + 1) & (x->nslots - 1)) {
    if (!x->slots[i]) {
      x->slots[i] = (int32_t)x->nv + 1;
      break;
    }
  }
  x->nv++;
  *out = v;
  return REPCONV_OK;
}

/* ------------------------------------------------------------ attributes */

const Onnx__AttributeProto* ox_attr(const Onnx__NodeProto* n, const char* name) {
  for (size_t i = 0; i < n->n_attribute; i++) {
    const Onnx__AttributeProto* a = n->attribute[i];
    if (a && a->name && strcmp(a->name, name) == 0) return a;
  }
  return NULL;
}

int64_t ox_attr_int(const Onnx__NodeProto* n, const char* name, int64_t def) {
  const Onnx__AttributeProto* a = ox_attr(n, name);
  return a && a->has_i ? a->i : def;
}

float ox_attr_float(const Onnx__NodeProto* n, const char* name, float def) {
  const Onnx__AttributeProto* a = ox_attr(n, name);
  return a && a->has_f ? a->f : def;
}

const char* ox_attr_string(const Onnx__NodeProto* n, const char* name, const char* def, char* buf, size_t size) {
  const Onnx__AttributeProto* a = ox_attr(n, name);
  if (!a || !a->has_s) {
    snprintf(buf, size, "%s", def);
    return buf;
  }
  size_t len = a->s.len < size - 1 ? a->s.len : size - 1;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = a->s.data[i];
    buf[i] = (ch >= 32 && ch < 127) ? (char)ch : '?';
  }
  buf[len] = '\0';
  return buf;
}

const int64_t* ox_attr_ints(const Onnx__NodeProto* n, const char* name, size_t* count) {
  const Onnx__AttributeProto* a = ox_attr(n, name);
  *count = a ? a->n_ints : 0;
  return a ? a->ints : NULL;
}

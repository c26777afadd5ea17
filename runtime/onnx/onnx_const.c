/* The ONNX importer's constant side: the value table, attribute access,
 * TensorProto decoding, and evaluation of ops whose inputs are all
 * constants (the Shape/Gather/Concat/Slice/Cast chains PyTorch emits to
 * compute pads and shapes, and small weight arithmetic). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/onnx/onnx_internal.h"

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

/* Rounds a floating result to its dtype (float results are float32 values). */
static double round_to(int32_t dtype, double v) { return dtype == OX_FLOAT ? (double)(float)v : v; }

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

rc_status ox_materialize(ox* x, ox_value* v) {
  if (v->kind != OX_INIT) return REPCONV_OK;
  char what[RC_MAX_NAME + 32];
  snprintf(what, sizeof(what), "initializer '%s'", v->name);
  RC_CHECK(ox_tensor_decode(x, v->init, what, &v->c));
  v->kind = OX_CONST;
  v->init = NULL;
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

/* ---------------------------------------------------------- tensor proto */

static uint64_t load_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
  return (h & 0x8000) ? -v : v;
}

rc_status ox_tensor_decode(ox* x, const Onnx__TensorProto* t, const char* what, ox_const* out) {
  memset(out, 0, sizeof(*out));
  if (!t) return ox_node_error(x, REPCONV_ERROR_FORMAT, "%s: missing tensor", what);
  if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) || t->n_external_data) {
    const char* file = "?";
    for (size_t i = 0; i < t->n_external_data; i++) {
      if (t->external_data[i] && t->external_data[i]->key && strcmp(t->external_data[i]->key, "location") == 0 &&
          t->external_data[i]->value) {
        file = t->external_data[i]->value;
      }
    }
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED,
                         "%s keeps its data in the external file '%s' (external data is not supported; re-export "
                         "the model into one file)",
                         what, file);
  }
  if (t->segment) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s is segmented", what);
  int32_t dt = t->has_data_type ? t->data_type : 0;
  if (!ox_dtype_is_float(dt) && !ox_dtype_is_int(dt)) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s has dtype %s", what, ox_dtype_name(dt));
  }
  if (t->n_dims > OX_MAX_RANK) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s has rank %zu (at most %d)", what, t->n_dims, OX_MAX_RANK);
  }
  rc_status s = ox_const_alloc(x, out, dt, (int32_t)t->n_dims, t->dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s: %s", what, rc_error_message());
  const int64_t n = out->numel;
  static const int k_size[] = {0, 4, 1, 1, 2, 2, 4, 8, 0, 1, 2, 8, 4, 8};
  int es = k_size[dt];
  size_t have = 0;
  if (t->has_raw_data) {
    have = t->raw_data.len / (size_t)es;
    if (t->raw_data.len % (size_t)es != 0 || have != (size_t)n) goto size_error;
    const uint8_t* p = t->raw_data.data;
    for (int64_t k = 0; k < n; k++, p += es) {
      uint64_t u = load_le(p, es);
      switch (dt) {
        case OX_FLOAT: {
          uint32_t b = (uint32_t)u;
          float f;
          memcpy(&f, &b, 4);
          out->d[k] = f;
          break;
        }
        case OX_DOUBLE: memcpy(&out->d[k], &u, 8); break;
        case OX_FLOAT16: out->d[k] = half_to_double((uint16_t)u); break;
        case OX_INT8: out->i[k] = (int8_t)u; break;
        case OX_INT16: out->i[k] = (int16_t)u; break;
        case OX_INT32: out->i[k] = (int32_t)u; break;
        case OX_INT64: out->i[k] = (int64_t)u; break;
        case OX_BOOL: out->i[k] = u != 0; break;
        case OX_UINT64: out->i[k] = (int64_t)u; break;
        default: out->i[k] = (int64_t)u; break; /* uint8/16/32 */
      }
    }
    return REPCONV_OK;
  }
  switch (dt) {
    case OX_FLOAT:
      have = t->n_float_data;
      if (have != (size_t)n) goto size_error;
      for (int64_t k = 0; k < n; k++) out->d[k] = t->float_data[k];
      break;
    case OX_DOUBLE:
      have = t->n_double_data;
      if (have != (size_t)n) goto size_error;
      for (int64_t k = 0; k < n; k++) out->d[k] = t->double_data[k];
      break;
    case OX_INT64:
      have = t->n_int64_data;
      if (have != (size_t)n) goto size_error;
      for (int64_t k = 0; k < n; k++) out->i[k] = t->int64_data[k];
      break;
    case OX_UINT32:
    case OX_UINT64:
      have = t->n_uint64_data;
      if (have != (size_t)n) goto size_error;
      for (int64_t k = 0; k < n; k++) out->i[k] = (int64_t)t->uint64_data[k];
      break;
    case OX_FLOAT16:
      have = t->n_int32_data;
      if (have != (size_t)n) goto size_error;
      for (int64_t k = 0; k < n; k++) out->d[k] = half_to_double((uint16_t)t->int32_data[k]);
      break;
    default: /* int8..int32, uint8/16, bool are carried in int32_data */
      have = t->n_int32_data;
      if (have != (size_t)n) goto size_error;
      for (int64_t k = 0; k < n; k++) out->i[k] = dt == OX_BOOL ? t->int32_data[k] != 0 : t->int32_data[k];
      break;
  }
  return REPCONV_OK;
size_error:
  ox_const_free(out);
  return ox_node_error(x, REPCONV_ERROR_FORMAT, "%s: shape needs %lld elements, the data holds %zu", what, (long long)n,
                       have);
}

/* ------------------------------------------------------- const evaluation */

static rc_status out_const(ox* x, const Onnx__NodeProto* n, size_t k, ox_const* c) {
  if (k >= n->n_output || !n->output[k] || !n->output[k][0]) {
    ox_const_free(c);
    return REPCONV_OK; /* output not used */
  }
  ox_value* v;
  rc_status s = ox_define(x, n->output[k], &v);
  if (s != REPCONV_OK) {
    ox_const_free(c);
    return s;
  }
  v->kind = OX_CONST;
  v->c = *c;
  memset(c, 0, sizeof(*c));
  return REPCONV_OK;
}

static rc_status copy_const(ox* x, const ox_const* src, ox_const* dst) {
  RC_CHECK(ox_const_alloc(x, dst, src->dtype, src->ndim, src->dims));
  size_t bytes = (size_t)src->numel * 8;
  if (src->d) memcpy(dst->d, src->d, bytes);
  if (src->i) memcpy(dst->i, src->i, bytes);
  return REPCONV_OK;
}

/* Reads a 1-D int constant as a list (shape, axes, pads, ...). */
static rc_status int_list(ox* x, const ox_value* v, const char* what, int64_t* out, size_t cap, size_t* count) {
  if (!v) return ox_node_error(x, REPCONV_ERROR_FORMAT, "%s is missing", what);
  const ox_const* c = &v->c;
  if (c->ndim > 1 || (size_t)c->numel > cap) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s has %lld elements (at most %zu)", what, (long long)c->numel,
                         cap);
  }
  for (int64_t k = 0; k < c->numel; k++) out[k] = ox_const_get_i(c, k);
  *count = (size_t)c->numel;
  return REPCONV_OK;
}

static int norm_axis(int64_t axis, int rank, int* out) {
  if (axis < -rank || axis >= rank) return 0;
  *out = (int)(axis < 0 ? axis + rank : axis);
  return 1;
}

/* Numpy broadcasting of up to three shapes. */
static int broadcast(const ox_const* const* cs, int count, int32_t* ndim, int64_t* dims) {
  int r = 0;
  for (int k = 0; k < count; k++) r = cs[k]->ndim > r ? cs[k]->ndim : r;
  for (int i = 0; i < r; i++) {
    int64_t d = 1;
    for (int k = 0; k < count; k++) {
      int j = i - (r - cs[k]->ndim);
      int64_t dk = j >= 0 ? cs[k]->dims[j] : 1;
      if (dk == d || dk == 1) continue;
      if (d != 1) return 0;
      d = dk;
    }
    dims[i] = d;
  }
  *ndim = r;
  return 1;
}

/* Offset into c of output element k (output shape ndim/dims). */
static int64_t bcast_index(const ox_const* c, int32_t ndim, const int64_t* dims, int64_t k) {
  int64_t off = 0, stride = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    int64_t coord = k % dims[i];
    k /= dims[i];
    int j = i - (ndim - c->ndim);
    if (j >= 0) {
      if (c->dims[j] != 1) off += coord * stride;
      stride *= c->dims[j];
    }
  }
  return off;
}

typedef enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_EQ, B_LT, B_GT, B_AND, B_OR, B_MIN, B_MAX, B_MOD } bin_op;

static rc_status eval_binary(ox* x, bin_op op, const ox_const* a, const ox_const* b, ox_const* out) {
  const ox_const* cs[2] = {a, b};
  int32_t ndim;
  int64_t dims[OX_MAX_RANK];
  if (!broadcast(cs, 2, &ndim, dims)) return ox_node_error(x, REPCONV_ERROR_SHAPE, "operands do not broadcast");
  int is_float = ox_dtype_is_float(a->dtype) || ox_dtype_is_float(b->dtype);
  int32_t dt = (op == B_EQ || op == B_LT || op == B_GT || op == B_AND || op == B_OR) ? OX_BOOL
               : is_float ? (ox_dtype_is_float(a->dtype) ? a->dtype : b->dtype)
                          : a->dtype;
  rc_status s = ox_const_alloc(x, out, dt, ndim, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < out->numel; k++) {
    int64_t ia = bcast_index(a, ndim, dims, k), ib = bcast_index(b, ndim, dims, k);
    if (is_float) {
      double p = ox_const_get_d(a, ia), q = ox_const_get_d(b, ib), r = 0;
      switch (op) {
        case B_ADD: r = p + q; break;
        case B_SUB: r = p - q; break;
        case B_MUL: r = p * q; break;
        case B_DIV: r = p / q; break;
        case B_POW: r = pow(p, q); break;
        case B_EQ: r = p == q; break;
        case B_LT: r = p < q; break;
        case B_GT: r = p > q; break;
        case B_AND: r = p != 0 && q != 0; break;
        case B_OR: r = p != 0 || q != 0; break;
        case B_MIN: r = p < q ? p : q; break;
        case B_MAX: r = p > q ? p : q; break;
        case B_MOD: r = fmod(p, q); break;
      }
      if (out->d)
        out->d[k] = round_to(dt, r);
      else
        out->i[k] = (int64_t)r;
    } else {
      int64_t p = ox_const_get_i(a, ia), q = ox_const_get_i(b, ib), r = 0;
      switch (op) {
        case B_ADD: r = (int64_t)((uint64_t)p + (uint64_t)q); break;
        case B_SUB: r = (int64_t)((uint64_t)p - (uint64_t)q); break;
        case B_MUL: r = (int64_t)((uint64_t)p * (uint64_t)q); break;
        case B_DIV:
        case B_MOD:
          if (q == 0 || (p == INT64_MIN && q == -1)) {
            ox_const_free(out);
            return ox_node_error(x, REPCONV_ERROR_FORMAT, "integer division by zero in a constant");
          }
          /* ONNX integer Div truncates; Mod (fmod=0) follows the divisor's sign. */
          r = op == B_DIV ? p / q : ((p % q) + q) % q;
          break;
        case B_POW: {
          r = 1;
          for (int64_t e = 0; e < q && e < 64; e++) r = (int64_t)((uint64_t)r * (uint64_t)p);
          break;
        }
        case B_EQ: r = p == q; break;
        case B_LT: r = p < q; break;
        case B_GT: r = p > q; break;
        case B_AND: r = p && q; break;
        case B_OR: r = p || q; break;
        case B_MIN: r = p < q ? p : q; break;
        case B_MAX: r = p > q ? p : q; break;
      }
      out->i[k] = r;
    }
  }
  return REPCONV_OK;
}

typedef enum { U_NEG, U_SQRT, U_RECIP, U_ABS, U_FLOOR, U_CEIL, U_NOT, U_EXP, U_LOG, U_RELU, U_SIGMOID } un_op;

static rc_status eval_unary(ox* x, un_op op, const ox_const* a, ox_const* out) {
  int32_t dt = op == U_NOT ? OX_BOOL : a->dtype;
  if (!ox_dtype_is_float(a->dtype) &&
      (op == U_SQRT || op == U_RECIP || op == U_EXP || op == U_LOG || op == U_SIGMOID)) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "needs a floating-point input, got %s", ox_dtype_name(a->dtype));
  }
  rc_status s = ox_const_alloc(x, out, dt, a->ndim, a->dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < a->numel; k++) {
    if (out->d) {
      double p = a->d[k], r = 0;
      switch (op) {
        case U_NEG: r = -p; break;
        case U_SQRT: r = sqrt(p); break;
        case U_RECIP: r = 1.0 / p; break;
        case U_ABS: r = fabs(p); break;
        case U_FLOOR: r = floor(p); break;
        case U_CEIL: r = ceil(p); break;
        case U_EXP: r = exp(p); break;
        case U_LOG: r = log(p); break;
        case U_RELU: r = p > 0 ? p : 0 * p; break;
        case U_SIGMOID: r = 1.0 / (1.0 + exp(-p)); break;
        case U_NOT: break;
      }
      out->d[k] = round_to(dt, r);
    } else {
      int64_t p = ox_const_get_i(a, k), r = p;
      switch (op) {
        case U_NEG: r = (int64_t)(0 - (uint64_t)p); break;
        case U_ABS: r = p < 0 ? (int64_t)(0 - (uint64_t)p) : p; break;
        case U_NOT: r = !p; break;
        case U_RELU: r = p > 0 ? p : 0; break;
        default: break;
      }
      out->i[k] = r;
    }
  }
  return REPCONV_OK;
}

static rc_status eval_cast(ox* x, const ox_const* a, int64_t to, ox_const* out) {
  if (!ox_dtype_is_float((int32_t)to) && !ox_dtype_is_int((int32_t)to)) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "cast to %s", ox_dtype_name((int32_t)to));
  }
  rc_status s = ox_const_alloc(x, out, (int32_t)to, a->ndim, a->dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < a->numel; k++) {
    if (out->d) {
      out->d[k] = round_to(out->dtype, ox_const_get_d(a, k));
    } else if (to == OX_BOOL) {
      out->i[k] = ox_const_get_d(a, k) != 0;
    } else {
      out->i[k] = ox_const_get_i(a, k);
    }
  }
  return REPCONV_OK;
}

/* Gathers along axis with (possibly negative) indices. */
static rc_status eval_gather(ox* x, const ox_const* data, const ox_const* idx, int64_t axis_attr, ox_const* out) {
  int axis;
  if (!norm_axis(axis_attr, data->ndim, &axis))
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "axis %lld", (long long)axis_attr);
  int32_t ndim = data->ndim - 1 + idx->ndim;
  if (ndim > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "result rank %d", ndim);
  int64_t dims[OX_MAX_RANK];
  int r = 0;
  for (int i = 0; i < axis; i++) dims[r++] = data->dims[i];
  for (int i = 0; i < idx->ndim; i++) dims[r++] = idx->dims[i];
  for (int i = axis + 1; i < data->ndim; i++) dims[r++] = data->dims[i];
  rc_status s = ox_const_alloc(x, out, data->dtype, ndim, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  int64_t outer = 1, inner = 1, n = data->dims[axis];
  for (int i = 0; i < axis; i++) outer *= data->dims[i];
  for (int i = axis + 1; i < data->ndim; i++) inner *= data->dims[i];
  int64_t k = 0;
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t j = 0; j < idx->numel; j++) {
      int64_t at = ox_const_get_i(idx, j);
      if (at < 0) at += n;
      if (at < 0 || at >= n) {
        ox_const_free(out);
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "index %lld out of range for a dim of %lld",
                             (long long)ox_const_get_i(idx, j), (long long)n);
      }
      for (int64_t i = 0; i < inner; i++, k++) {
        int64_t src = (o * n + at) * inner + i;
        if (out->d)
          out->d[k] = data->d[src];
        else
          out->i[k] = data->i[src];
      }
    }
  }
  return REPCONV_OK;
}

static rc_status eval_concat(ox* x, ox_value** in, size_t n_in, int64_t axis_attr, ox_const* out) {
  const ox_const* a = &in[0]->c;
  int axis;
  if (!norm_axis(axis_attr, a->ndim, &axis))
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "axis %lld", (long long)axis_attr);
  int64_t dims[OX_MAX_RANK];
  memcpy(dims, a->dims, sizeof(dims));
  dims[axis] = 0;
  int any_float = 0;
  for (size_t k = 0; k < n_in; k++) {
    const ox_const* c = &in[k]->c;
    if (c->ndim != a->ndim) return ox_node_error(x, REPCONV_ERROR_SHAPE, "inputs of different ranks");
    for (int i = 0; i < a->ndim; i++) {
      if (i != axis && c->dims[i] != a->dims[i])
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "input %zu does not match", k);
    }
    dims[axis] += c->dims[axis];
    any_float |= ox_dtype_is_float(c->dtype);
  }
  rc_status s = ox_const_alloc(x, out, any_float && !ox_dtype_is_float(a->dtype) ? OX_FLOAT : a->dtype, a->ndim, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  int64_t outer = 1;
  for (int i = 0; i < axis; i++) outer *= a->dims[i];
  int64_t k = 0;
  for (int64_t o = 0; o < outer; o++) {
    for (size_t j = 0; j < n_in; j++) {
      const ox_const* c = &in[j]->c;
      int64_t chunk = c->numel / (outer ? outer : 1);
      for (int64_t e = 0; e < chunk; e++, k++) {
        if (out->d)
          out->d[k] = ox_const_get_d(c, o * chunk + e);
        else
          out->i[k] = ox_const_get_i(c, o * chunk + e);
      }
    }
  }
  return REPCONV_OK;
}

static rc_status eval_reshape(ox* x, const ox_const* a, const int64_t* shape, size_t r, int allowzero, ox_const* out) {
  if (r > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "rank %zu", r);
  int64_t dims[OX_MAX_RANK], known = 1;
  int infer = -1;
  for (size_t i = 0; i < r; i++) {
    dims[i] = shape[i];
    if (shape[i] == 0 && !allowzero) {
      if ((int)i >= a->ndim) return ox_node_error(x, REPCONV_ERROR_SHAPE, "dim %zu copies a missing dim", i);
      dims[i] = a->dims[i];
    } else if (shape[i] == -1) {
      if (infer >= 0) return ox_node_error(x, REPCONV_ERROR_SHAPE, "two -1 dims");
      infer = (int)i;
      continue;
    } else if (shape[i] < 0) {
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "dim %lld", (long long)shape[i]);
    }
    if (rc_mul_i64(known, dims[i], &known)) return ox_node_error(x, REPCONV_ERROR_SHAPE, "shape overflows");
  }
  if (infer >= 0) {
    if (known == 0 || a->numel % known) return ox_node_error(x, REPCONV_ERROR_SHAPE, "cannot infer the -1 dim");
    dims[infer] = a->numel / known;
  } else if (known != a->numel) {
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "reshape of %lld elements to %lld", (long long)a->numel,
                         (long long)known);
  }
  rc_status s = ox_const_alloc(x, out, a->dtype, (int32_t)r, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  if (a->d) memcpy(out->d, a->d, (size_t)a->numel * 8);
  if (a->i) memcpy(out->i, a->i, (size_t)a->numel * 8);
  return REPCONV_OK;
}

static rc_status eval_transpose(ox* x, const ox_const* a, const int64_t* perm_attr, size_t np, ox_const* out) {
  int r = a->ndim;
  int perm[OX_MAX_RANK];
  if (np == 0) {
    for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
  } else {
    if ((int)np != r) return ox_node_error(x, REPCONV_ERROR_SHAPE, "perm of %zu for rank %d", np, r);
    int seen[OX_MAX_RANK] = {0};
    for (int i = 0; i < r; i++) {
      if (perm_attr[i] < 0 || perm_attr[i] >= r || seen[perm_attr[i]]++) {
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "perm is not a permutation");
      }
      perm[i] = (int)perm_attr[i];
    }
  }
  int64_t dims[OX_MAX_RANK], in_stride[OX_MAX_RANK];
  for (int i = 0; i < r; i++) dims[i] = a->dims[perm[i]];
  int64_t st = 1;
  for (int i = r - 1; i >= 0; i--) {
    in_stride[i] = st;
    st *= a->dims[i];
  }
  rc_status s = ox_const_alloc(x, out, a->dtype, r, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < out->numel; k++) {
    int64_t rem = k, src = 0;
    for (int i = r - 1; i >= 0; i--) {
      src += (rem % dims[i]) * in_stride[perm[i]];
      rem /= dims[i];
    }
    if (out->d)
      out->d[k] = a->d[src];
    else
      out->i[k] = a->i[src];
  }
  return REPCONV_OK;
}

/* Start, step and size per dim of a Slice of a tensor of rank r and dims
 * in_dims (ONNX clamping rules, negative steps included). */
static rc_status slice_geom(ox* x, int r, const int64_t* in_dims, const int64_t* starts, const int64_t* ends,
                            const int64_t* axes_in, const int64_t* steps_in, size_t count, int64_t* st, int64_t* step,
                            int64_t* dims) {
  if (count > (size_t)r) return ox_node_error(x, REPCONV_ERROR_SHAPE, "%zu sliced axes for rank %d", count, r);
  int seen[OX_MAX_RANK] = {0};
  for (int i = 0; i < r; i++) {
    st[i] = 0;
    step[i] = 1;
    dims[i] = in_dims[i];
  }
  for (size_t k = 0; k < count; k++) {
    int ax;
    if (!norm_axis(axes_in ? axes_in[k] : (int64_t)k, r, &ax) || seen[ax]++) {
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "bad axis");
    }
    int64_t n = in_dims[ax], sp = steps_in ? steps_in[k] : 1;
    if (sp == 0 || sp == INT64_MIN) return ox_node_error(x, REPCONV_ERROR_SHAPE, "step %lld", (long long)sp);
    int64_t s0 = starts[k], e0 = ends[k];
    if (s0 < 0) s0 += n;
    if (e0 < 0) e0 += n;
    if (sp > 0) {
      s0 = s0 < 0 ? 0 : (s0 > n ? n : s0);
      e0 = e0 < 0 ? 0 : (e0 > n ? n : e0);
      dims[ax] = e0 > s0 ? (e0 - s0 + sp - 1) / sp : 0;
    } else {
      s0 = s0 < 0 ? -1 : (s0 > n - 1 ? n - 1 : s0);
      e0 = e0 < -1 ? -1 : (e0 > n - 1 ? n - 1 : e0);
      dims[ax] = s0 > e0 ? (s0 - e0 + (-sp) - 1) / (-sp) : 0;
    }
    st[ax] = s0;
    step[ax] = sp;
  }
  return REPCONV_OK;
}

/* Reads a Slice node's starts/ends/axes/steps (inputs from opset 10,
 * attributes before); the list inputs must be constants. */
typedef struct slice_args {
  int64_t starts[OX_MAX_RANK], ends[OX_MAX_RANK], axes[OX_MAX_RANK], steps[OX_MAX_RANK];
  size_t count;
  int has_axes, has_steps;
} slice_args;

static rc_status slice_read(ox* x, const Onnx__NodeProto* n, ox_value** in, size_t n_in, slice_args* sa) {
  memset(sa, 0, sizeof(*sa));
  size_t cnt = 0, cnt2 = 0, cnt3 = 0, cnt4 = 0;
  if (x->opset >= 10) {
    if (n_in < 3 || !in[1] || !in[2]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs starts and ends");
    static const char* const what[] = {"starts", "ends", "axes", "steps"};
    for (size_t k = 1; k < n_in && k < 5; k++) {
      if (in[k] && in[k]->kind != OX_CONST) {
        return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%s '%s' are computed at run time", what[k - 1],
                             in[k]->name);
      }
    }
    RC_CHECK(int_list(x, in[1], "starts", sa->starts, OX_MAX_RANK, &cnt));
    RC_CHECK(int_list(x, in[2], "ends", sa->ends, OX_MAX_RANK, &cnt2));
    if (n_in > 3 && in[3]) {
      RC_CHECK(int_list(x, in[3], "axes", sa->axes, OX_MAX_RANK, &cnt3));
      sa->has_axes = 1;
    }
    if (n_in > 4 && in[4]) {
      RC_CHECK(int_list(x, in[4], "steps", sa->steps, OX_MAX_RANK, &cnt4));
      sa->has_steps = 1;
    }
  } else {
    static const char* const names[] = {"starts", "ends", "axes"};
    size_t* cnts[] = {&cnt, &cnt2, &cnt3};
    int64_t* dst[] = {sa->starts, sa->ends, sa->axes};
    for (int k = 0; k < 3; k++) {
      const int64_t* v = ox_attr_ints(n, names[k], cnts[k]);
      if (*cnts[k] > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "%zu %s", *cnts[k], names[k]);
      for (size_t i = 0; i < *cnts[k]; i++) dst[k][i] = v[i];
    }
    sa->has_axes = cnt3 > 0;
  }
  if (cnt != cnt2 || (sa->has_axes && cnt3 != cnt) || (sa->has_steps && cnt4 != cnt)) {
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "starts/ends/axes/steps lengths differ");
  }
  sa->count = cnt;
  return REPCONV_OK;
}

rc_status ox_slice_shape(ox* x, const Onnx__NodeProto* n, ox_value** in, size_t n_in, int32_t r, const int64_t* in_dims,
                         int64_t* out_dims) {
  slice_args sa;
  int64_t st[OX_MAX_RANK], step[OX_MAX_RANK];
  RC_CHECK(slice_read(x, n, in, n_in, &sa));
  return slice_geom(x, r, in_dims, sa.starts, sa.ends, sa.has_axes ? sa.axes : NULL, sa.has_steps ? sa.steps : NULL,
                    sa.count, st, step, out_dims);
}

static rc_status eval_slice(ox* x, const ox_const* a, const slice_args* sa, ox_const* out) {
  int r = a->ndim;
  int64_t st[OX_MAX_RANK], step[OX_MAX_RANK], dims[OX_MAX_RANK];
  RC_CHECK(slice_geom(x, r, a->dims, sa->starts, sa->ends, sa->has_axes ? sa->axes : NULL,
                      sa->has_steps ? sa->steps : NULL, sa->count, st, step, dims));
  rc_status s = ox_const_alloc(x, out, a->dtype, r, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < out->numel; k++) {
    int64_t rem = k, src = 0, stride = 1;
    for (int i = r - 1; i >= 0; i--) {
      int64_t c = rem % dims[i];
      rem /= dims[i];
      src += (st[i] + c * step[i]) * stride;
      stride *= a->dims[i];
    }
    if (out->d)
      out->d[k] = a->d[src];
    else
      out->i[k] = a->i[src];
  }
  return REPCONV_OK;
}

int ox_scatternd_check(ox* x, int32_t data_ndim, const int64_t* data_dims, const ox_const* idx, const ox_const* upd,
                       rc_status* st) {
  *st = REPCONV_OK;
  if (idx->ndim < 1 || !ox_dtype_is_int(idx->dtype) || idx->dtype == OX_BOOL) {
    *st = ox_node_error(x, REPCONV_ERROR_FORMAT, "indices must be an integer tensor of rank >= 1");
    return 0;
  }
  int64_t k = idx->dims[idx->ndim - 1];
  if (k < 1 || k > data_ndim) {
    *st = ox_node_error(x, REPCONV_ERROR_FORMAT, "index tuples of %lld for data of rank %d", (long long)k, data_ndim);
    return 0;
  }
  int32_t want = idx->ndim - 1 + data_ndim - (int32_t)k;
  int ok = upd->ndim == want;
  for (int i = 0; ok && i < idx->ndim - 1; i++) ok = upd->dims[i] == idx->dims[i];
  for (int i = 0; ok && i < data_ndim - k; i++) ok = upd->dims[idx->ndim - 1 + i] == data_dims[k + i];
  if (!ok) {
    *st = ox_node_error(x, REPCONV_ERROR_SHAPE, "updates shape does not match indices.shape[:-1] + data.shape[%lld:]",
                        (long long)k);
    return 0;
  }
  return 1;
}

int64_t ox_scatternd_offset(ox* x, int32_t data_ndim, const int64_t* data_dims, const ox_const* idx, int64_t t,
                            int64_t* coords, rc_status* st) {
  int64_t k = idx->dims[idx->ndim - 1], off = 0;
  for (int i = 0; i < data_ndim; i++) {
    int64_t c = 0;
    if (i < k) {
      int64_t raw = ox_const_get_i(idx, t * k + i);
      c = raw < 0 ? raw + data_dims[i] : raw;
      if (c < 0 || c >= data_dims[i]) {
        *st = ox_node_error(x, REPCONV_ERROR_FORMAT, "index %lld out of range for dim %d of %lld", (long long)raw, i,
                            (long long)data_dims[i]);
        return -1;
      }
    }
    coords[i] = c;
    off = off * data_dims[i] + c;
  }
  *st = REPCONV_OK;
  return off;
}

/* ScatterND of constants: out = data with out[idx[t]] = upd[t] in order. */
static rc_status eval_scatternd(ox* x, const ox_const* data, const ox_const* idx, const ox_const* upd, ox_const* out) {
  rc_status st;
  if (!ox_scatternd_check(x, data->ndim, data->dims, idx, upd, &st)) return st;
  if (ox_dtype_is_float(data->dtype) != ox_dtype_is_float(upd->dtype)) {
    return ox_node_error(x, REPCONV_ERROR_FORMAT, "data is %s, updates are %s", ox_dtype_name(data->dtype),
                         ox_dtype_name(upd->dtype));
  }
  RC_CHECK(copy_const(x, data, out));
  int64_t k = idx->dims[idx->ndim - 1], slab = 1, tuples = k ? idx->numel / k : 0;
  for (int i = (int)k; i < data->ndim; i++) slab *= data->dims[i];
  int64_t coords[OX_MAX_RANK];
  for (int64_t t = 0; t < tuples; t++) {
    int64_t off = ox_scatternd_offset(x, data->ndim, data->dims, idx, t, coords, &st);
    if (off < 0) {
      ox_const_free(out);
      return st;
    }
    for (int64_t e = 0; e < slab; e++) {
      if (out->d)
        out->d[off + e] = round_to(out->dtype, upd->d[t * slab + e]);
      else
        out->i[off + e] = upd->i[t * slab + e];
    }
  }
  return REPCONV_OK;
}

/* Expand/Tile share this: out[k] = a[index(k)]. */
static rc_status eval_expand(ox* x, const ox_const* a, const int64_t* shape, size_t r, ox_const* out) {
  ox_const target;
  memset(&target, 0, sizeof(target));
  if (r > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "rank %zu", r);
  target.ndim = (int32_t)r;
  for (size_t i = 0; i < r; i++) target.dims[i] = shape[i];
  const ox_const* cs[2] = {a, &target};
  int32_t ndim;
  int64_t dims[OX_MAX_RANK];
  if (!broadcast(cs, 2, &ndim, dims)) {
    char from[160] = "", to[160] = "";
    for (int i = 0; i < a->ndim; i++) {
      snprintf(from + strlen(from), sizeof(from) - strlen(from), "%s%lld", i ? "x" : "", (long long)a->dims[i]);
    }
    for (size_t i = 0; i < r; i++) {
      snprintf(to + strlen(to), sizeof(to) - strlen(to), "%s%lld", i ? "x" : "", (long long)shape[i]);
    }
    return ox_node_error(x, REPCONV_ERROR_SHAPE,
                         "cannot expand a constant of shape [%s] to [%s] (the shapes do not broadcast; an export "
                         "that baked a traced shape into a constant runs only at that shape)",
                         from, to);
  }
  rc_status s = ox_const_alloc(x, out, a->dtype, ndim, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < out->numel; k++) {
    int64_t src = bcast_index(a, ndim, dims, k);
    if (out->d)
      out->d[k] = a->d[src];
    else
      out->i[k] = a->i[src];
  }
  return REPCONV_OK;
}

static rc_status eval_tile(ox* x, const ox_const* a, const int64_t* reps, size_t r, ox_const* out) {
  if ((int)r != a->ndim) return ox_node_error(x, REPCONV_ERROR_SHAPE, "%zu repeats for rank %d", r, a->ndim);
  int64_t dims[OX_MAX_RANK];
  for (int i = 0; i < a->ndim; i++) {
    if (reps[i] < 0 || rc_mul_i64(a->dims[i], reps[i], &dims[i]))
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "bad repeats");
  }
  rc_status s = ox_const_alloc(x, out, a->dtype, a->ndim, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < out->numel; k++) {
    int64_t rem = k, src = 0, stride = 1;
    for (int i = a->ndim - 1; i >= 0; i--) {
      src += ((rem % dims[i]) % a->dims[i]) * stride;
      rem /= dims[i];
      stride *= a->dims[i];
    }
    if (out->d)
      out->d[k] = a->d[src];
    else
      out->i[k] = a->i[src];
  }
  return REPCONV_OK;
}

/* numpy matmul: [..., M, K] × [..., K, N] with broadcast batch dims (rank-1
 * operands promoted and the added dim dropped, as numpy does). */
static rc_status eval_matmul(ox* x, const ox_const* a0, const ox_const* b0, ox_const* out) {
  ox_const a = *a0, b = *b0; /* headers only: data is shared */
  if (a.ndim < 1 || b.ndim < 1) return ox_node_error(x, REPCONV_ERROR_SHAPE, "MatMul of a scalar");
  int a_vec = a.ndim == 1, b_vec = b.ndim == 1;
  if (a_vec) {
    a.ndim = 2;
    a.dims[1] = a.dims[0];
    a.dims[0] = 1;
  }
  if (b_vec) {
    b.ndim = 2;
    b.dims[1] = 1;
  }
  int64_t M = a.dims[a.ndim - 2], K = a.dims[a.ndim - 1], N = b.dims[b.ndim - 1];
  if (b.dims[b.ndim - 2] != K) {
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "MatMul: %lld columns against %lld rows", (long long)K,
                         (long long)b.dims[b.ndim - 2]);
  }
  /* Batch dims: broadcast a[:-2] with b[:-2]. */
  ox_const ab = a, bb = b;
  ab.ndim = a.ndim - 2;
  bb.ndim = b.ndim - 2;
  const ox_const* cs[2] = {&ab, &bb};
  int32_t nb;
  int64_t bdims[OX_MAX_RANK];
  if (!broadcast(cs, 2, &nb, bdims)) return ox_node_error(x, REPCONV_ERROR_SHAPE, "MatMul batch dims do not broadcast");
  int64_t dims[OX_MAX_RANK];
  int32_t nd = 0;
  for (int i = 0; i < nb; i++) dims[nd++] = bdims[i];
  if (!a_vec) dims[nd++] = M;
  if (!b_vec) dims[nd++] = N;
  if (nd > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "MatMul result rank %d", nd);
  double macs = (double)M * (double)K * (double)N;
  for (int i = 0; i < nb; i++) macs *= (double)bdims[i];
  rc_status s = rc_budget_take(&x->macs, macs >= 1.8e19 ? UINT64_MAX : (uint64_t)macs, "constant MatMul");
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  s = ox_const_alloc(x, out, ox_dtype_is_float(a.dtype) ? a.dtype : OX_FLOAT, nd, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  int64_t batches = 1;
  for (int i = 0; i < nb; i++) batches *= bdims[i];
  for (int64_t t = 0; t < batches; t++) {
    int64_t ia = bcast_index(&ab, nb, bdims, t) * M * K, ib = bcast_index(&bb, nb, bdims, t) * K * N;
    for (int64_t i = 0; i < M; i++) {
      for (int64_t j = 0; j < N; j++) {
        double acc = 0;
        for (int64_t k = 0; k < K; k++) acc += ox_const_get_d(a0, ia + i * K + k) * ox_const_get_d(b0, ib + k * N + j);
        out->d[(t * M + i) * N + j] = round_to(out->dtype, acc);
      }
    }
  }
  return REPCONV_OK;
}

/* Einsum with explicit output ("ims,ois->oim"), no ellipsis: enumerates
 * every assignment of the letters; constants here are small. */
static rc_status eval_einsum(ox* x, const char* eq, ox_value** in, size_t n_in, ox_const* out) {
  char terms[4][OX_MAX_RANK + 1];
  char result[OX_MAX_RANK + 1];
  size_t nt = 0, len = 0;
  const char* p = eq;
  char* cur = terms[0];
  int in_result = 0;
  for (; *p; p++) {
    if (*p == ' ') continue;
    if (*p == ',' || (*p == '-' && p[1] == '>')) {
      if (in_result || nt >= 3) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "equation '%s'", eq);
      cur[len] = '\0';
      nt++;
      len = 0;
      if (*p == '-') {
        p++;
        in_result = 1;
        cur = result;
      } else {
        cur = terms[nt];
      }
      continue;
    }
    if (*p < 'a' || *p > 'z' || len >= OX_MAX_RANK)
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "equation '%s'", eq);
    cur[len++] = *p;
  }
  cur[len] = '\0';
  if (!in_result || nt != n_in)
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "equation '%s' (explicit output needed)", eq);
  int64_t size[26];
  for (int i = 0; i < 26; i++) size[i] = -1;
  for (size_t t = 0; t < nt; t++) {
    const ox_const* c = &in[t]->c;
    if ((int)strlen(terms[t]) != c->ndim)
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "term '%s' for rank %d", terms[t], c->ndim);
    for (int i = 0; i < c->ndim; i++) {
      int l = terms[t][i] - 'a';
      if (size[l] >= 0 && size[l] != c->dims[i])
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "letter '%c' sizes differ", terms[t][i]);
      size[l] = c->dims[i];
    }
  }
  char letters[27];
  int nl = 0;
  for (int l = 0; l < 26; l++)
    if (size[l] >= 0) letters[nl++] = (char)('a' + l);
  int64_t dims[OX_MAX_RANK];
  int rr = (int)strlen(result);
  for (int i = 0; i < rr; i++) {
    if (size[result[i] - 'a'] < 0) return ox_node_error(x, REPCONV_ERROR_SHAPE, "output letter '%c' unused", result[i]);
    dims[i] = size[result[i] - 'a'];
  }
  int64_t total = 1;
  for (int i = 0; i < nl; i++) {
    if (rc_mul_i64(total, size[letters[i] - 'a'], &total) || total > OX_MAX_CONST_ELEMENTS) {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "einsum too large");
    }
  }
  rc_status s = rc_budget_take(&x->macs, (uint64_t)total * nt, "constant Einsum '%s'", eq);
  if (s == REPCONV_OK) s = ox_const_alloc(x, out, OX_FLOAT, rr, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  double* acc = calloc((size_t)(out->numel ? out->numel : 1), sizeof(double));
  if (!acc) {
    ox_const_free(out);
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "einsum");
  }
  int64_t val[26];
  for (int64_t k = 0; k < total; k++) {
    int64_t rem = k;
    for (int i = nl - 1; i >= 0; i--) {
      int l = letters[i] - 'a';
      val[l] = rem % size[l];
      rem /= size[l];
    }
    double prod = 1;
    for (size_t t = 0; t < nt; t++) {
      const ox_const* c = &in[t]->c;
      int64_t off = 0;
      for (int i = 0; i < c->ndim; i++) off = off * c->dims[i] + val[terms[t][i] - 'a'];
      prod *= ox_const_get_d(c, off);
    }
    int64_t o = 0;
    for (int i = 0; i < rr; i++) o = o * dims[i] + val[result[i] - 'a'];
    acc[o] += prod;
  }
  for (int64_t k = 0; k < out->numel; k++) out->d[k] = (double)(float)acc[k];
  free(acc);
  return REPCONV_OK;
}

static const ox_const* in_c(ox_value** in, size_t n_in, size_t k) { return k < n_in && in[k] ? &in[k]->c : NULL; }

rc_status ox_const_eval(ox* x, const Onnx__NodeProto* n, ox_value** in, size_t n_in, int* handled) {
  const char* op = n->op_type;
  ox_const r;
  memset(&r, 0, sizeof(r));
  rc_status s = REPCONV_OK;
  *handled = 1;
  const ox_const* a = in_c(in, n_in, 0);
  const ox_const* b = in_c(in, n_in, 1);
  int64_t list[OX_MAX_RANK * 2];
  size_t cnt = 0;
  static const struct {
    const char* name;
    bin_op op;
  } binaries[] = {{"Add", B_ADD},  {"Sub", B_SUB}, {"Mul", B_MUL},    {"Div", B_DIV}, {"Pow", B_POW},
                  {"Equal", B_EQ}, {"Less", B_LT}, {"Greater", B_GT}, {"And", B_AND}, {"Or", B_OR},
                  {"Min", B_MIN},  {"Max", B_MAX}, {"Mod", B_MOD}};
  static const struct {
    const char* name;
    un_op op;
  } unaries[] = {{"Neg", U_NEG},     {"Sqrt", U_SQRT}, {"Reciprocal", U_RECIP}, {"Abs", U_ABS},
                 {"Floor", U_FLOOR}, {"Ceil", U_CEIL}, {"Not", U_NOT},          {"Exp", U_EXP},
                 {"Log", U_LOG},     {"Relu", U_RELU}, {"Sigmoid", U_SIGMOID}};
  for (size_t k = 0; k < sizeof(binaries) / sizeof(binaries[0]); k++) {
    if (strcmp(op, binaries[k].name) != 0) continue;
    if (!a || !b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs two inputs");
    RC_CHECK(eval_binary(x, binaries[k].op, a, b, &r));
    /* Min/Max are variadic. */
    for (size_t j = 2; j < n_in && in[j]; j++) {
      ox_const t;
      s = eval_binary(x, binaries[k].op, &r, &in[j]->c, &t);
      ox_const_free(&r);
      RC_CHECK(s);
      r = t;
    }
    return out_const(x, n, 0, &r);
  }
  for (size_t k = 0; k < sizeof(unaries) / sizeof(unaries[0]); k++) {
    if (strcmp(op, unaries[k].name) != 0) continue;
    if (!a) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs an input");
    RC_CHECK(eval_unary(x, unaries[k].op, a, &r));
    return out_const(x, n, 0, &r);
  }
  if (strcmp(op, "Constant") == 0) {
    const Onnx__AttributeProto* at;
    if ((at = ox_attr(n, "value")) && at->t) {
      RC_CHECK(ox_tensor_decode(x, at->t, "Constant value", &r));
    } else if ((at = ox_attr(n, "value_float")) && at->has_f) {
      RC_CHECK(ox_const_alloc(x, &r, OX_FLOAT, 0, NULL));
      r.d[0] = at->f;
    } else if ((at = ox_attr(n, "value_int")) && at->has_i) {
      RC_CHECK(ox_const_alloc(x, &r, OX_INT64, 0, NULL));
      r.i[0] = at->i;
    } else if ((at = ox_attr(n, "value_floats"))) {
      int64_t d = (int64_t)at->n_floats;
      RC_CHECK(ox_const_alloc(x, &r, OX_FLOAT, 1, &d));
      for (int64_t k = 0; k < d; k++) r.d[k] = at->floats[k];
    } else if ((at = ox_attr(n, "value_ints"))) {
      int64_t d = (int64_t)at->n_ints;
      RC_CHECK(ox_const_alloc(x, &r, OX_INT64, 1, &d));
      for (int64_t k = 0; k < d; k++) r.i[k] = at->ints[k];
    } else {
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "Constant without a tensor, float(s) or int(s) value");
    }
    return out_const(x, n, 0, &r);
  }
  if (!a) {
    *handled = 0;
    return REPCONV_OK;
  }
  if (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0) {
    RC_CHECK(copy_const(x, a, &r));
  } else if (strcmp(op, "Cast") == 0) {
    RC_CHECK(eval_cast(x, a, ox_attr_int(n, "to", 0), &r));
  } else if (strcmp(op, "Shape") == 0) {
    int64_t d = a->ndim;
    RC_CHECK(ox_const_alloc(x, &r, OX_INT64, 1, &d));
    for (int i = 0; i < a->ndim; i++) r.i[i] = a->dims[i];
  } else if (strcmp(op, "Size") == 0) {
    RC_CHECK(ox_const_alloc(x, &r, OX_INT64, 0, NULL));
    r.i[0] = a->numel;
  } else if (strcmp(op, "Gather") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs indices");
    RC_CHECK(eval_gather(x, a, b, ox_attr_int(n, "axis", 0), &r));
  } else if (strcmp(op, "Unsqueeze") == 0 || strcmp(op, "Squeeze") == 0) {
    int sq = op[0] == 'S';
    const int64_t* axes = NULL;
    if (x->opset >= 13) {
      if (b) {
        RC_CHECK(int_list(x, in[1], "axes", list, OX_MAX_RANK, &cnt));
        axes = list;
      }
    } else {
      axes = ox_attr_ints(n, "axes", &cnt);
    }
    int64_t dims[OX_MAX_RANK];
    int32_t nd = 0;
    int out_rank = sq ? a->ndim - (int)cnt : a->ndim + (int)cnt;
    if (out_rank < 0 || out_rank > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_SHAPE, "bad axes");
    int mark[OX_MAX_RANK] = {0};
    for (size_t k = 0; k < cnt; k++) {
      int ax;
      if (!norm_axis(axes[k], sq ? a->ndim : out_rank, &ax) || mark[ax]++)
        return ox_node_error(x, REPCONV_ERROR_SHAPE, "bad axes");
    }
    if (sq) {
      for (int i = 0; i < a->ndim; i++) {
        int drop = cnt ? mark[i] : a->dims[i] == 1;
        if (drop && a->dims[i] != 1)
          return ox_node_error(x, REPCONV_ERROR_SHAPE, "squeezing a dim of %lld", (long long)a->dims[i]);
        if (!drop) dims[nd++] = a->dims[i];
      }
    } else {
      int j = 0;
      for (int i = 0; i < out_rank; i++) dims[nd++] = mark[i] ? 1 : a->dims[j++];
    }
    RC_CHECK(eval_reshape(x, a, dims, (size_t)nd, 1, &r));
  } else if (strcmp(op, "Concat") == 0) {
    for (size_t k = 0; k < n_in; k++) {
      if (!in[k]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "empty input name");
    }
    RC_CHECK(eval_concat(x, in, n_in, ox_attr_int(n, "axis", 0), &r));
  } else if (strcmp(op, "Reshape") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs a shape");
    RC_CHECK(int_list(x, in[1], "shape", list, OX_MAX_RANK, &cnt));
    RC_CHECK(eval_reshape(x, a, list, cnt, (int)ox_attr_int(n, "allowzero", 0), &r));
  } else if (strcmp(op, "Flatten") == 0) {
    int ax;
    int64_t axis = ox_attr_int(n, "axis", 1);
    if (axis == a->ndim)
      ax = a->ndim;
    else if (!norm_axis(axis, a->ndim, &ax))
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "axis %lld", (long long)axis);
    int64_t d2[2] = {1, 1};
    for (int i = 0; i < a->ndim; i++) d2[i >= ax] *= a->dims[i];
    RC_CHECK(eval_reshape(x, a, d2, 2, 1, &r));
  } else if (strcmp(op, "Transpose") == 0) {
    const int64_t* perm = ox_attr_ints(n, "perm", &cnt);
    RC_CHECK(eval_transpose(x, a, perm, cnt, &r));
  } else if (strcmp(op, "Slice") == 0) {
    slice_args sa;
    RC_CHECK(slice_read(x, n, in, n_in, &sa));
    RC_CHECK(eval_slice(x, a, &sa, &r));
  } else if (strcmp(op, "ScatterND") == 0) {
    char red[16];
    ox_attr_string(n, "reduction", "none", red, sizeof(red));
    if (strcmp(red, "none") != 0)
      return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "reduction '%s' (only 'none')", red);
    const ox_const* c = in_c(in, n_in, 2);
    if (!b || !c) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs data, indices and updates");
    RC_CHECK(eval_scatternd(x, a, b, c, &r));
  } else if (strcmp(op, "ConstantOfShape") == 0) {
    RC_CHECK(int_list(x, in[0], "shape", list, OX_MAX_RANK, &cnt));
    const Onnx__AttributeProto* at = ox_attr(n, "value");
    ox_const fill;
    if (at && at->t) {
      RC_CHECK(ox_tensor_decode(x, at->t, "ConstantOfShape value", &fill));
    } else {
      RC_CHECK(ox_const_alloc(x, &fill, OX_FLOAT, 0, NULL));
    }
    if (fill.numel != 1) {
      ox_const_free(&fill);
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "value must hold one element");
    }
    s = ox_const_alloc(x, &r, fill.dtype, (int32_t)cnt, list);
    if (s == REPCONV_OK) {
      for (int64_t k = 0; k < r.numel; k++) {
        if (r.d)
          r.d[k] = fill.d[0];
        else
          r.i[k] = fill.i[0];
      }
    }
    ox_const_free(&fill);
    if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  } else if (strcmp(op, "Expand") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs a shape");
    RC_CHECK(int_list(x, in[1], "shape", list, OX_MAX_RANK, &cnt));
    RC_CHECK(eval_expand(x, a, list, cnt, &r));
  } else if (strcmp(op, "Tile") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs repeats");
    RC_CHECK(int_list(x, in[1], "repeats", list, OX_MAX_RANK, &cnt));
    RC_CHECK(eval_tile(x, a, list, cnt, &r));
  } else if (strcmp(op, "Range") == 0) {
    const ox_const* c = in_c(in, n_in, 2);
    if (!b || !c || a->numel != 1 || b->numel != 1 || c->numel != 1) {
      return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs scalar start, limit, delta");
    }
    double st = ox_const_get_d(a, 0), lim = ox_const_get_d(b, 0), dl = ox_const_get_d(c, 0);
    if (dl == 0 || !isfinite(st) || !isfinite(lim) || !isfinite(dl))
      return ox_node_error(x, REPCONV_ERROR_SHAPE, "bad range");
    double cntd = ceil((lim - st) / dl);
    int64_t len = cntd > 0 ? (cntd > (double)OX_MAX_CONST_ELEMENTS ? OX_MAX_CONST_ELEMENTS + 1 : (int64_t)cntd) : 0;
    RC_CHECK(ox_const_alloc(x, &r, a->dtype, 1, &len));
    for (int64_t k = 0; k < len; k++) {
      if (r.d)
        r.d[k] = round_to(r.dtype, st + (double)k * dl);
      else
        r.i[k] = ox_const_get_i(a, 0) + k * ox_const_get_i(c, 0);
    }
  } else if (strcmp(op, "Where") == 0) {
    const ox_const* c = in_c(in, n_in, 2);
    if (!b || !c) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs three inputs");
    const ox_const* cs[3] = {a, b, c};
    int32_t nd;
    int64_t dims[OX_MAX_RANK];
    if (!broadcast(cs, 3, &nd, dims)) return ox_node_error(x, REPCONV_ERROR_SHAPE, "inputs do not broadcast");
    RC_CHECK(ox_const_alloc(x, &r, b->dtype, nd, dims));
    for (int64_t k = 0; k < r.numel; k++) {
      const ox_const* pick = ox_const_get_d(a, bcast_index(a, nd, dims, k)) != 0 ? b : c;
      int64_t src = bcast_index(pick, nd, dims, k);
      if (r.d)
        r.d[k] = ox_const_get_d(pick, src);
      else
        r.i[k] = ox_const_get_i(pick, src);
    }
  } else if (strcmp(op, "MatMul") == 0) {
    if (!b) return ox_node_error(x, REPCONV_ERROR_FORMAT, "needs two inputs");
    RC_CHECK(eval_matmul(x, a, b, &r));
  } else if (strcmp(op, "Einsum") == 0) {
    char eq[64];
    ox_attr_string(n, "equation", "", eq, sizeof(eq));
    for (size_t k = 0; k < n_in; k++) {
      if (!in[k]) return ox_node_error(x, REPCONV_ERROR_FORMAT, "empty input name");
    }
    RC_CHECK(eval_einsum(x, eq, in, n_in, &r));
  } else {
    *handled = 0;
    return REPCONV_OK;
  }
  return out_const(x, n, 0, &r);
}

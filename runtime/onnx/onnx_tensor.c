/* TensorProto decoding (raw or typed fields, every numeric dtype; external
 * data refused) and initializers decoded on first use. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "runtime/onnx/onnx_tensor.h"

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

rc_status ox_materialize(ox* x, ox_value* v) {
  if (v->kind != OX_INIT) return REPCONV_OK;
  char what[RC_MAX_NAME + 32];
  snprintf(what, sizeof(what), "initializer '%s'", v->name);
  RC_CHECK(ox_tensor_decode(x, v->init, what, &v->c));
  v->kind = OX_CONST;
  v->init = NULL;
  return REPCONV_OK;
}

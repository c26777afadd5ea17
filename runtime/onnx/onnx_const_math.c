/* Constant evaluation, arithmetic: numpy broadcasting, elementwise binary
 * and unary ops, Cast, MatMul and Einsum on constants (the small weight
 * arithmetic of exports: DO-Conv's D·W, normalised weights, ...). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/onnx/onnx_const_ops.h"

rc_status ox_const_copy(ox* x, const ox_const* src, ox_const* dst) {
  RC_CHECK(ox_const_alloc(x, dst, src->dtype, src->ndim, src->dims));
  size_t bytes = (size_t)src->numel * 8;
  if (src->d) memcpy(dst->d, src->d, bytes);
  if (src->i) memcpy(dst->i, src->i, bytes);
  return REPCONV_OK;
}

/* Reads a 1-D int constant as a list (shape, axes, pads, ...). */
rc_status ox_int_list(ox* x, const ox_value* v, const char* what, int64_t* out, size_t cap, size_t* count) {
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

int ox_norm_axis(int64_t axis, int rank, int* out) {
  if (axis < -rank || axis >= rank) return 0;
  *out = (int)(axis < 0 ? axis + rank : axis);
  return 1;
}

/* Numpy broadcasting of up to three shapes. */
int ox_broadcast(const ox_const* const* cs, int count, int32_t* ndim, int64_t* dims) {
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
int64_t ox_bcast_index(const ox_const* c, int32_t ndim, const int64_t* dims, int64_t k) {
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

rc_status ox_eval_binary(ox* x, ox_bin_op op, const ox_const* a, const ox_const* b, ox_const* out) {
  const ox_const* cs[2] = {a, b};
  int32_t ndim;
  int64_t dims[OX_MAX_RANK];
  if (!ox_broadcast(cs, 2, &ndim, dims)) return ox_node_error(x, REPCONV_ERROR_SHAPE, "operands do not broadcast");
  int is_float = ox_dtype_is_float(a->dtype) || ox_dtype_is_float(b->dtype);
  int32_t dt = (op == B_EQ || op == B_LT || op == B_GT || op == B_AND || op == B_OR) ? OX_BOOL
               : is_float ? (ox_dtype_is_float(a->dtype) ? a->dtype : b->dtype)
                          : a->dtype;
  rc_status s = ox_const_alloc(x, out, dt, ndim, dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < out->numel; k++) {
    int64_t ia = ox_bcast_index(a, ndim, dims, k), ib = ox_bcast_index(b, ndim, dims, k);
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
        out->d[k] = ox_round_to(dt, r);
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

rc_status ox_eval_unary(ox* x, ox_un_op op, const ox_const* a, ox_const* out) {
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
      out->d[k] = ox_round_to(dt, r);
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

rc_status ox_eval_cast(ox* x, const ox_const* a, int64_t to, ox_const* out) {
  if (!ox_dtype_is_float((int32_t)to) && !ox_dtype_is_int((int32_t)to)) {
    return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "cast to %s", ox_dtype_name((int32_t)to));
  }
  rc_status s = ox_const_alloc(x, out, (int32_t)to, a->ndim, a->dims);
  if (s != REPCONV_OK) return ox_node_error(x, s, "%s", rc_error_message());
  for (int64_t k = 0; k < a->numel; k++) {
    if (out->d) {
      out->d[k] = ox_round_to(out->dtype, ox_const_get_d(a, k));
    } else if (to == OX_BOOL) {
      out->i[k] = ox_const_get_d(a, k) != 0;
    } else {
      out->i[k] = ox_const_get_i(a, k);
    }
  }
  return REPCONV_OK;
}

/* Gathers along axis with (possibly negative) indices. */
rc_status ox_eval_matmul(ox* x, const ox_const* a0, const ox_const* b0, ox_const* out) {
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
  if (!ox_broadcast(cs, 2, &nb, bdims))
    return ox_node_error(x, REPCONV_ERROR_SHAPE, "MatMul batch dims do not broadcast");
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
    int64_t ia = ox_bcast_index(&ab, nb, bdims, t) * M * K, ib = ox_bcast_index(&bb, nb, bdims, t) * K * N;
    for (int64_t i = 0; i < M; i++) {
      for (int64_t j = 0; j < N; j++) {
        double acc = 0;
        for (int64_t k = 0; k < K; k++) acc += ox_const_get_d(a0, ia + i * K + k) * ox_const_get_d(b0, ib + k * N + j);
        out->d[(t * M + i) * N + j] = ox_round_to(out->dtype, acc);
      }
    }
  }
  return REPCONV_OK;
}

/* Einsum with explicit output ("ims,ois->oim"), no ellipsis: enumerates
 * every assignment of the letters; constants here are small. */
rc_status ox_eval_einsum(ox* x, const char* eq, ox_value** in, size_t n_in, ox_const* out) {
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

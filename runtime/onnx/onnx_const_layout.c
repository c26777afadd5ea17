/* Constant evaluation, data movement: Gather, Concat, Reshape, Transpose,
 * Slice, ScatterND, Expand and Tile on constants (the Shape/Gather/Concat
 * chains PyTorch emits to compute pads and shapes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/onnx/onnx_const.h"
#include "runtime/onnx/onnx_const_ops.h"

rc_status ox_eval_gather(ox* x, const ox_const* data, const ox_const* idx, int64_t axis_attr, ox_const* out) {
  int axis;
  if (!ox_norm_axis(axis_attr, data->ndim, &axis))
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

rc_status ox_eval_concat(ox* x, ox_value** in, size_t n_in, int64_t axis_attr, ox_const* out) {
  const ox_const* a = &in[0]->c;
  int axis;
  if (!ox_norm_axis(axis_attr, a->ndim, &axis))
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

rc_status ox_eval_reshape(ox* x, const ox_const* a, const int64_t* shape, size_t r, int allowzero, ox_const* out) {
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

rc_status ox_eval_transpose(ox* x, const ox_const* a, const int64_t* perm_attr, size_t np, ox_const* out) {
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
    if (!ox_norm_axis(axes_in ? axes_in[k] : (int64_t)k, r, &ax) || seen[ax]++) {
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
      /* ceil((e0 - s0) / sp) without the sum that overflows for huge steps */
      dims[ax] = e0 > s0 ? (e0 - s0 - 1) / sp + 1 : 0;
    } else {
      s0 = s0 < 0 ? -1 : (s0 > n - 1 ? n - 1 : s0);
      e0 = e0 < -1 ? -1 : (e0 > n - 1 ? n - 1 : e0);
      dims[ax] = s0 > e0 ? (s0 - e0 - 1) / (-sp) + 1 : 0;
    }
    st[ax] = s0;
    step[ax] = sp;
  }
  return REPCONV_OK;
}

/* Reads a Slice node's starts/ends/axes/steps (inputs from opset 10,
 * attributes before); the list inputs must be constants. */
rc_status ox_slice_read(ox* x, const Onnx__NodeProto* n, ox_value** in, size_t n_in, ox_slice_args* sa) {
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
    RC_CHECK(ox_int_list(x, in[1], "starts", sa->starts, OX_MAX_RANK, &cnt));
    RC_CHECK(ox_int_list(x, in[2], "ends", sa->ends, OX_MAX_RANK, &cnt2));
    if (n_in > 3 && in[3]) {
      RC_CHECK(ox_int_list(x, in[3], "axes", sa->axes, OX_MAX_RANK, &cnt3));
      sa->has_axes = 1;
    }
    if (n_in > 4 && in[4]) {
      RC_CHECK(ox_int_list(x, in[4], "steps", sa->steps, OX_MAX_RANK, &cnt4));
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
  ox_slice_args sa;
  int64_t st[OX_MAX_RANK], step[OX_MAX_RANK];
  RC_CHECK(ox_slice_read(x, n, in, n_in, &sa));
  return slice_geom(x, r, in_dims, sa.starts, sa.ends, sa.has_axes ? sa.axes : NULL, sa.has_steps ? sa.steps : NULL,
                    sa.count, st, step, out_dims);
}

rc_status ox_eval_slice(ox* x, const ox_const* a, const ox_slice_args* sa, ox_const* out) {
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
rc_status ox_eval_scatternd(ox* x, const ox_const* data, const ox_const* idx, const ox_const* upd, ox_const* out) {
  rc_status st;
  if (!ox_scatternd_check(x, data->ndim, data->dims, idx, upd, &st)) return st;
  if (ox_dtype_is_float(data->dtype) != ox_dtype_is_float(upd->dtype)) {
    return ox_node_error(x, REPCONV_ERROR_FORMAT, "data is %s, updates are %s", ox_dtype_name(data->dtype),
                         ox_dtype_name(upd->dtype));
  }
  RC_CHECK(ox_const_copy(x, data, out));
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
        out->d[off + e] = ox_round_to(out->dtype, upd->d[t * slab + e]);
      else
        out->i[off + e] = upd->i[t * slab + e];
    }
  }
  return REPCONV_OK;
}

/* Expand/Tile share this: out[k] = a[index(k)]. */
rc_status ox_eval_expand(ox* x, const ox_const* a, const int64_t* shape, size_t r, ox_const* out) {
  ox_const target;
  memset(&target, 0, sizeof(target));
  if (r > OX_MAX_RANK) return ox_node_error(x, REPCONV_ERROR_UNSUPPORTED, "rank %zu", r);
  target.ndim = (int32_t)r;
  for (size_t i = 0; i < r; i++) target.dims[i] = shape[i];
  const ox_const* cs[2] = {a, &target};
  int32_t ndim;
  int64_t dims[OX_MAX_RANK];
  if (!ox_broadcast(cs, 2, &ndim, dims)) {
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
    int64_t src = ox_bcast_index(a, ndim, dims, k);
    if (out->d)
      out->d[k] = a->d[src];
    else
      out->i[k] = a->i[src];
  }
  return REPCONV_OK;
}

rc_status ox_eval_tile(ox* x, const ox_const* a, const int64_t* reps, size_t r, ox_const* out) {
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

#include "runtime/graph/layout.h"

void rc_shape_dims4(const rc_shape* s, int64_t dims[4]) {
  for (int i = 0; i < 4; i++) dims[i] = i < s->ndim ? s->d[i] : 1;
}

void rc_storage_strides(const rc_shape* s, int channels_last, int64_t st[RC_MAX_DIMS]) {
  int64_t d[4];
  rc_shape_dims4(s, d);
  if (channels_last) {
    st[1] = 1;
    st[3] = d[1];
    st[2] = d[3] * d[1];
    st[0] = d[2] * d[3] * d[1];
  } else {
    int64_t acc = 1;
    for (int i = s->ndim - 1; i >= 0; i--) {
      st[i] = acc;
      acc *= s->d[i];
    }
    for (int i = s->ndim; i < 4; i++) st[i] = 0;
  }
}

void rc_broadcast_strides(const rc_graph* g, const rc_node* n, int k, int64_t st[RC_MAX_DIMS]) {
  const rc_shape* out = &g->tensors[n->output].shape;
  const rc_tensor* t = &g->tensors[n->inputs[k]];
  int64_t own[4];
  rc_storage_strides(&t->shape, t->kind != RC_TENSOR_CONST, own);
  int shift = out->ndim - t->shape.ndim;
  for (int j = 0; j < 4; j++) {
    int i = j - shift;
    st[j] = (j < out->ndim && i >= 0 && t->shape.d[i] != 1) ? own[i] : 0;
  }
}

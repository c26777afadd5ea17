/* .rcm save: refuses a graph that could not be loaded back (rcm.h); every
 * field is written little-endian byte by byte, constants at 64-byte-aligned
 * offsets. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/rcm/rcm.h"
#include "runtime/rcm/rcm_layout.h"

static rc_status save_fail(const char* fmt, ...) RC_PRINTF(1, 2);
static rc_status save_fail(const char* fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "rcm save: %s", msg);
}

static rc_status name_len(const char* owner, int32_t i, const char* name, size_t* len) {
  if (!name || !name[0]) return save_fail("%s %d has no name", owner, i);
  size_t n = strnlen(name, RC_MAX_NAME);
  if (n >= RC_MAX_NAME)
    return save_fail("%s %d: name '%.40s...' is longer than %d bytes", owner, i, name, RC_MAX_NAME - 1);
  *len = n + 1;
  return REPCONV_OK;
}

rc_status rc_rcm_save_memory(const rc_graph* g, void** data, size_t* size) {
  if (!g || !data || !size) return save_fail("NULL argument");
  *data = NULL;
  *size = 0;
  if (g->n_tensors < 0 || g->n_nodes < 0 || g->n_inputs < 0 || g->n_outputs < 0 ||
      (int64_t)g->n_tensors > RC_RCM_MAX_TENSORS || (int64_t)g->n_nodes > RC_RCM_MAX_NODES) {
    return save_fail("bad counts (%d tensors, %d nodes)", g->n_tensors, g->n_nodes);
  }

  /* Sizes: string table, node input total, data section. */
  size_t strings = 0, data_bytes = 0, node_inputs = 0, len = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const rc_tensor* t = &g->tensors[i];
    RC_CHECK(name_len("tensor", i, t->name, &len));
    if (rc_add_size(strings, len, &strings)) return save_fail("string table too large");
    if (t->kind != RC_TENSOR_VALUE && t->kind != RC_TENSOR_INPUT && t->kind != RC_TENSOR_CONST) {
      return save_fail("tensor %d ('%s') has kind %d", i, t->name, (int)t->kind);
    }
    if (t->kind == RC_TENSOR_VALUE) continue;
    if (t->shape.ndim < 0 || t->shape.ndim > RC_MAX_DIMS) {
      return save_fail("tensor %d ('%s') has rank %d", i, t->name, t->shape.ndim);
    }
    int64_t numel = 1;
    for (int k = 0; k < t->shape.ndim; k++) {
      if (t->shape.d[k] < 1 || t->shape.d[k] > RC_MAX_DIM_VALUE || rc_mul_i64(numel, t->shape.d[k], &numel) ||
          numel > RC_MAX_ELEMENTS) {
        return save_fail("tensor %d ('%s') has an empty or too large shape", i, t->name);
      }
    }
    if (t->kind == RC_TENSOR_CONST) {
      if (!t->data) return save_fail("constant %d ('%s') has no data", i, t->name);
      size_t padded;
      if (rc_align_size((size_t)numel * 4, RC_RCM_ALIGN, &padded) || rc_add_size(data_bytes, padded, &data_bytes)) {
        return save_fail("constant data too large");
      }
    }
  }
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const rc_node* n = &g->nodes[i];
    RC_CHECK(name_len("node", i, n->name, &len));
    if (rc_add_size(strings, len, &strings)) return save_fail("string table too large");
    if (n->n_inputs < 0 || n->n_inputs > RC_RCM_MAX_NODE_INPUTS || (n->n_inputs > 0 && !n->inputs)) {
      return save_fail("node %d ('%s') has %d inputs", i, n->name, n->n_inputs);
    }
    node_inputs += (size_t)n->n_inputs;
  }
  if (node_inputs > UINT32_MAX) return save_fail("too many node inputs");

  /* Layout. */
  size_t off = RC_RCM_HEADER_SIZE;
  const size_t strings_off = off;
  size_t tensors_off, nodes_off, node_inputs_off, io_off, data_off, total;
  size_t t_bytes = (size_t)g->n_tensors * RC_RCM_TENSOR_RECORD_SIZE;
  size_t n_bytes = (size_t)g->n_nodes * RC_RCM_NODE_RECORD_SIZE;
  size_t io_bytes = ((size_t)g->n_inputs + (size_t)g->n_outputs) * 4;
  if (rc_add_size(off, strings, &off) || rc_align_size(off, 8, &tensors_off) ||
      rc_add_size(tensors_off, t_bytes, &nodes_off) || rc_add_size(nodes_off, n_bytes, &node_inputs_off) ||
      rc_add_size(node_inputs_off, node_inputs * 4, &io_off) || rc_add_size(io_off, io_bytes, &off) ||
      rc_align_size(off, RC_RCM_ALIGN, &data_off) || rc_add_size(data_off, data_bytes, &total)) {
    return save_fail("graph too large");
  }

  uint8_t* p = calloc(1, total);
  if (!p) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "rcm save: out of memory for a %zu-byte image", total);

  memcpy(p + H_MAGIC, RC_RCM_MAGIC, 4);
  put_u16(p + H_MAJOR, RC_RCM_VERSION_MAJOR);
  int dyn = 0; /* 1.1 only where its field is used, so 1.0 readers take the rest */
  for (int32_t i = 0; i < g->n_inputs; i++) dyn |= g->tensors[g->inputs[i]].dyn != 0;
  put_u16(p + H_MINOR, dyn ? RC_RCM_VERSION_MINOR : 0);
  put_u32(p + H_HEADER_SIZE, RC_RCM_HEADER_SIZE);
  put_u64(p + H_FILE_SIZE, total);
  put_u32(p + H_N_TENSORS, (uint32_t)g->n_tensors);
  put_u32(p + H_N_NODES, (uint32_t)g->n_nodes);
  put_u32(p + H_N_NODE_INPUTS, (uint32_t)node_inputs);
  put_u32(p + H_N_INPUTS, (uint32_t)g->n_inputs);
  put_u32(p + H_N_OUTPUTS, (uint32_t)g->n_outputs);
  put_u32(p + H_TENSOR_REC, RC_RCM_TENSOR_RECORD_SIZE);
  put_u32(p + H_NODE_REC, RC_RCM_NODE_RECORD_SIZE);
  put_u64(p + H_STRINGS_OFF, strings_off);
  put_u64(p + H_STRINGS_SIZE, strings);
  put_u64(p + H_TENSORS_OFF, tensors_off);
  put_u64(p + H_NODES_OFF, nodes_off);
  put_u64(p + H_NODE_INPUTS_OFF, node_inputs_off);
  put_u64(p + H_IO_OFF, io_off);
  put_u64(p + H_DATA_OFF, data_off);
  put_u64(p + H_DATA_SIZE, data_bytes);

  const int le = host_is_little_endian();
  size_t str_at = 0, data_at = data_off;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const rc_tensor* t = &g->tensors[i];
    uint8_t* rec = p + tensors_off + (size_t)i * RC_RCM_TENSOR_RECORD_SIZE;
    size_t n = strlen(t->name) + 1;
    memcpy(p + strings_off + str_at, t->name, n);
    put_u32(rec + T_NAME, (uint32_t)str_at);
    str_at += n;
    rec[T_KIND] = (uint8_t)t->kind;
    if (t->kind == RC_TENSOR_VALUE) continue;
    rec[T_NDIM] = (uint8_t)t->shape.ndim;
    for (int k = 0; k < t->shape.ndim; k++) put_i64(rec + T_DIMS + 8 * k, t->shape.d[k]);
    if (t->kind == RC_TENSOR_INPUT) put_u16(rec + T_DYN, t->dyn);
    if (t->kind != RC_TENSOR_CONST) continue;
    size_t numel = (size_t)rc_shape_numel(&t->shape), bytes = numel * 4, padded;
    rc_align_size(bytes, RC_RCM_ALIGN, &padded); /* checked above */
    put_u64(rec + T_DATA_OFF, data_at);
    put_u64(rec + T_DATA_SIZE, bytes);
    if (le) {
      memcpy(p + data_at, t->data, bytes);
    } else {
      for (size_t k = 0; k < numel; k++) put_f32(p + data_at + 4 * k, t->data[k]);
    }
    data_at += padded;
  }
  size_t in_at = 0;
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const rc_node* nd = &g->nodes[i];
    uint8_t* rec = p + nodes_off + (size_t)i * RC_RCM_NODE_RECORD_SIZE;
    size_t n = strlen(nd->name) + 1;
    memcpy(p + strings_off + str_at, nd->name, n);
    put_u32(rec + N_OP, (uint32_t)nd->op);
    put_u32(rec + N_NAME, (uint32_t)str_at);
    str_at += n;
    put_u32(rec + N_N_INPUTS, (uint32_t)nd->n_inputs);
    put_u32(rec + N_FIRST_INPUT, (uint32_t)in_at);
    for (int32_t k = 0; k < nd->n_inputs; k++) put_i32(p + node_inputs_off + (in_at + (size_t)k) * 4, nd->inputs[k]);
    in_at += (size_t)nd->n_inputs;
    put_i32(rec + N_OUTPUT, nd->output);
    const rc_attrs* a = &nd->a;
    for (int k = 0; k < 2; k++) {
      put_i32(rec + N_KERNEL + 4 * k, a->kernel[k]);
      put_i32(rec + N_STRIDE + 4 * k, a->stride[k]);
      put_i32(rec + N_DILATION + 4 * k, a->dilation[k]);
      put_i32(rec + N_SCALE + 4 * k, a->scale[k]);
    }
    for (int k = 0; k < 4; k++) {
      put_i32(rec + N_PAD + 4 * k, a->pad[k]);
      put_i64(rec + N_RESHAPE + 8 * k, a->reshape[k]);
    }
    put_i32(rec + N_GROUPS, a->groups);
    put_i32(rec + N_CEIL_MODE, a->ceil_mode);
    put_i32(rec + N_COUNT_INCLUDE_PAD, a->count_include_pad);
    put_i32(rec + N_AXIS, a->axis);
    put_i32(rec + N_BLOCK, a->block);
    put_i32(rec + N_MODE, a->mode);
    put_f32(rec + N_ALPHA, a->alpha);
    put_f32(rec + N_BETA, a->beta);
    put_f32(rec + N_EPS, a->eps);
    put_f32(rec + N_MIN, a->min);
    put_f32(rec + N_MAX, a->max);
    put_i32(rec + N_RESHAPE_NDIM, a->reshape_ndim);
  }
  for (int32_t i = 0; i < g->n_inputs; i++) put_i32(p + io_off + (size_t)i * 4, g->inputs[i]);
  for (int32_t i = 0; i < g->n_outputs; i++) {
    put_i32(p + io_off + ((size_t)g->n_inputs + (size_t)i) * 4, g->outputs[i]);
  }

  /* Refuse to write what would not load back. */
  rc_status s = rc_rcm_check_image(p, total, "image");
  if (s != REPCONV_OK) {
    free(p);
    if (s == REPCONV_ERROR_OUT_OF_MEMORY) return s;
    return rc_error_context(REPCONV_ERROR_INVALID_ARGUMENT, "rcm save: the graph cannot be stored");
  }
  *data = p;
  *size = total;
  return REPCONV_OK;
}

rc_status rc_rcm_save_file(const rc_graph* g, const char* path) {
  if (!path) return save_fail("path is NULL");
  void* data;
  size_t size;
  RC_CHECK(rc_rcm_save_memory(g, &data, &size));
  FILE* f = fopen(path, "wb");
  if (!f) {
    int e = errno;
    free(data);
    return rc_error(REPCONV_ERROR_IO, "%s: cannot create: %s", path, strerror(e));
  }
  size_t w = fwrite(data, 1, size, f);
  int e = errno;
  free(data);
  if (w != size) {
    fclose(f);
    return rc_error(REPCONV_ERROR_IO, "%s: write failed after %zu of %zu bytes: %s", path, w, size, strerror(e));
  }
  if (fclose(f) != 0) return rc_error(REPCONV_ERROR_IO, "%s: cannot close: %s", path, strerror(errno));
  return REPCONV_OK;
}

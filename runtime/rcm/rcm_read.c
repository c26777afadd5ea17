/* .rcm load: every count, offset, size, id, name and shape is checked
 * before use (rcm.h); only the constant data is borrowed in place, and only
 * on a little-endian host (elsewhere it is converted into owned copies). */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"
#include "runtime/io/file.h"
#include "runtime/rcm/rcm.h"
#include "runtime/rcm/rcm_layout.h"

int rc_rcm_has_magic(const void* data, size_t size) { return data && size >= 4 && memcmp(data, RC_RCM_MAGIC, 4) == 0; }

/* ------------------------------------------------------------ reading */

typedef struct rcm_reader {
  const uint8_t* p;
  size_t size;
  const char* what; /* file name for messages */
  uint16_t major, minor;
  size_t header_size;
  uint32_t n_tensors, n_nodes, n_node_inputs, n_inputs, n_outputs;
  size_t tensor_rec, node_rec;
  size_t strings_off, strings_size;
  size_t tensors_off, nodes_off, node_inputs_off, io_off;
  size_t data_off, data_size;
  const char** tensor_names; /* [n_tensors], into the image */
  const char** node_names;   /* [n_nodes] */
} rcm_reader;

static rc_status fail_at(const rcm_reader* r, size_t off, const char* fmt, ...) RC_PRINTF(3, 4);
static rc_status fail_at(const rcm_reader* r, size_t off, const char* fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return rc_error(REPCONV_ERROR_FORMAT, "%s: offset 0x%zx: %s", r->what, off, msg);
}

/* A u64 offset or size field that must lie within the file. */
static rc_status read_extent(const rcm_reader* r, size_t field, const char* name, size_t* out) {
  uint64_t v = get_u64(r->p + field);
  if (v > (uint64_t)r->size) {
    return fail_at(r, field, "%s %llu is beyond the end of the file (%zu bytes)", name, (unsigned long long)v, r->size);
  }
  *out = (size_t)v;
  return REPCONV_OK;
}

/* [off, off + count * rec) must lie within [header_size, size). */
static rc_status check_section(const rcm_reader* r, size_t field, const char* name, size_t off, size_t count,
                               size_t rec) {
  size_t bytes, end;
  if (rc_mul_size(count, rec, &bytes) || rc_add_size(off, bytes, &end) || end > r->size) {
    return fail_at(r, field,
                   "%s section (offset %zu, %zu entries of %zu bytes) runs past the end of the file (%zu bytes)", name,
                   off, count, rec, r->size);
  }
  if (bytes > 0 && off < r->header_size) {
    return fail_at(r, field, "%s section at offset %zu overlaps the %zu-byte header", name, off, r->header_size);
  }
  return REPCONV_OK;
}

/* A name: offset into the string table, NUL-terminated within it, non-empty,
 * shorter than RC_MAX_NAME. */
static rc_status read_name(const rcm_reader* r, size_t field, const char* owner, uint32_t index, const char** out) {
  uint32_t ref = get_u32(r->p + field);
  if (ref >= r->strings_size) {
    return fail_at(r, field, "%s %u: name at string offset %u is outside the string table (%zu bytes)", owner, index,
                   ref, r->strings_size);
  }
  const char* s = (const char*)r->p + r->strings_off + ref;
  size_t avail = r->strings_size - ref;
  size_t lim = avail < (size_t)RC_MAX_NAME ? avail : (size_t)RC_MAX_NAME;
  const char* nul = memchr(s, '\0', lim);
  if (!nul) {
    if (avail < (size_t)RC_MAX_NAME) {
      return fail_at(r, field, "%s %u: name at string offset %u is not NUL-terminated within the string table", owner,
                     index, ref);
    }
    return fail_at(r, field, "%s %u: name at string offset %u is longer than %d bytes", owner, index, ref,
                   RC_MAX_NAME - 1);
  }
  if (nul == s) return fail_at(r, field, "%s %u: empty name", owner, index);
  *out = s;
  return REPCONV_OK;
}

static rc_status check_header(rcm_reader* r) {
  const uint8_t* p = r->p;
  if (r->size < 4 || memcmp(p, RC_RCM_MAGIC, 4) != 0) {
    if (r->size < 4) {
      return fail_at(r, 0, "file is %zu bytes, too short for an .rcm header (%d bytes)", r->size, RC_RCM_HEADER_SIZE);
    }
    return fail_at(r, 0, "not an .rcm file (magic bytes %02x %02x %02x %02x, expected 52 43 4d 00 \"RCM\\0\")", p[0],
                   p[1], p[2], p[3]);
  }
  if (r->size < 8) {
    return fail_at(r, 0, "file is %zu bytes, too short for an .rcm header (%d bytes)", r->size, RC_RCM_HEADER_SIZE);
  }
  r->major = get_u16(p + H_MAJOR);
  r->minor = get_u16(p + H_MINOR);
  if (r->major > RC_RCM_VERSION_MAJOR) {
    return rc_error(REPCONV_ERROR_VERSION, "%s: format version %u.%u is newer than this repconv (reads %d.x)", r->what,
                    (unsigned)r->major, (unsigned)r->minor, RC_RCM_VERSION_MAJOR);
  }
  if (r->major < 1) {
    return fail_at(r, H_MAJOR, "format version %u.%u does not exist (the first is 1.0)", (unsigned)r->major,
                   (unsigned)r->minor);
  }
  if (r->size < RC_RCM_HEADER_SIZE) {
    return fail_at(r, 0, "file is %zu bytes, too short for an .rcm header (%d bytes)", r->size, RC_RCM_HEADER_SIZE);
  }
  const int strict = r->minor == 0; /* 1.0 files must use the 1.0 sizes and zero reserved fields */
  uint32_t hs = get_u32(p + H_HEADER_SIZE);
  if (hs < RC_RCM_HEADER_SIZE || (strict && hs != RC_RCM_HEADER_SIZE) || hs > r->size) {
    return fail_at(r, H_HEADER_SIZE, "header size %u is invalid (%d in version 1.0, file is %zu bytes)", hs,
                   RC_RCM_HEADER_SIZE, r->size);
  }
  r->header_size = hs;
  uint64_t fs = get_u64(p + H_FILE_SIZE);
  if (fs != (uint64_t)r->size) {
    return fail_at(r, H_FILE_SIZE, "the header gives a file size of %llu bytes but the file is %zu bytes (%s)",
                   (unsigned long long)fs, r->size, fs > (uint64_t)r->size ? "truncated" : "trailing bytes");
  }
  if (strict) {
    if (get_u32(p + H_FLAGS) != 0) return fail_at(r, H_FLAGS, "flags 0x%x are not zero", get_u32(p + H_FLAGS));
    if (get_u32(p + H_RESERVED0) != 0) return fail_at(r, H_RESERVED0, "reserved field is not zero");
    if (get_u64(p + H_RESERVED1) != 0) return fail_at(r, H_RESERVED1, "reserved field is not zero");
  }
  uint32_t trec = get_u32(p + H_TENSOR_REC), nrec = get_u32(p + H_NODE_REC);
  if (trec < RC_RCM_TENSOR_RECORD_SIZE || trec > 4096 || (strict && trec != RC_RCM_TENSOR_RECORD_SIZE)) {
    return fail_at(r, H_TENSOR_REC, "tensor record size %u is invalid (%d in version 1.0)", trec,
                   RC_RCM_TENSOR_RECORD_SIZE);
  }
  if (nrec < RC_RCM_NODE_RECORD_SIZE || nrec > 4096 || (strict && nrec != RC_RCM_NODE_RECORD_SIZE)) {
    return fail_at(r, H_NODE_REC, "node record size %u is invalid (%d in version 1.0)", nrec, RC_RCM_NODE_RECORD_SIZE);
  }
  r->tensor_rec = trec;
  r->node_rec = nrec;

  r->n_tensors = get_u32(p + H_N_TENSORS);
  r->n_nodes = get_u32(p + H_N_NODES);
  r->n_node_inputs = get_u32(p + H_N_NODE_INPUTS);
  r->n_inputs = get_u32(p + H_N_INPUTS);
  r->n_outputs = get_u32(p + H_N_OUTPUTS);
  if ((int64_t)r->n_tensors > RC_RCM_MAX_TENSORS) {
    return fail_at(r, H_N_TENSORS, "tensor count %u exceeds the limit %lld", r->n_tensors,
                   (long long)RC_RCM_MAX_TENSORS);
  }
  if ((int64_t)r->n_nodes > RC_RCM_MAX_NODES) {
    return fail_at(r, H_N_NODES, "node count %u exceeds the limit %lld", r->n_nodes, (long long)RC_RCM_MAX_NODES);
  }
  if ((uint64_t)r->n_node_inputs > (uint64_t)r->n_nodes * RC_RCM_MAX_NODE_INPUTS) {
    return fail_at(r, H_N_NODE_INPUTS, "node input count %u is more than %u nodes can have", r->n_node_inputs,
                   r->n_nodes);
  }
  if (r->n_inputs > r->n_tensors) {
    return fail_at(r, H_N_INPUTS, "graph input count %u exceeds the tensor count %u", r->n_inputs, r->n_tensors);
  }
  if (r->n_outputs > r->n_tensors) {
    return fail_at(r, H_N_OUTPUTS, "graph output count %u exceeds the tensor count %u", r->n_outputs, r->n_tensors);
  }

  RC_CHECK(read_extent(r, H_STRINGS_OFF, "string table offset", &r->strings_off));
  RC_CHECK(read_extent(r, H_STRINGS_SIZE, "string table size", &r->strings_size));
  RC_CHECK(read_extent(r, H_TENSORS_OFF, "tensor table offset", &r->tensors_off));
  RC_CHECK(read_extent(r, H_NODES_OFF, "node table offset", &r->nodes_off));
  RC_CHECK(read_extent(r, H_NODE_INPUTS_OFF, "node input list offset", &r->node_inputs_off));
  RC_CHECK(read_extent(r, H_IO_OFF, "graph input/output list offset", &r->io_off));
  RC_CHECK(read_extent(r, H_DATA_OFF, "data section offset", &r->data_off));
  RC_CHECK(read_extent(r, H_DATA_SIZE, "data section size", &r->data_size));

  RC_CHECK(check_section(r, H_STRINGS_OFF, "string table", r->strings_off, r->strings_size, 1));
  RC_CHECK(check_section(r, H_TENSORS_OFF, "tensor table", r->tensors_off, r->n_tensors, r->tensor_rec));
  RC_CHECK(check_section(r, H_NODES_OFF, "node table", r->nodes_off, r->n_nodes, r->node_rec));
  RC_CHECK(check_section(r, H_NODE_INPUTS_OFF, "node input list", r->node_inputs_off, r->n_node_inputs, 4));
  RC_CHECK(
      check_section(r, H_IO_OFF, "graph input/output list", r->io_off, (size_t)r->n_inputs + (size_t)r->n_outputs, 4));
  RC_CHECK(check_section(r, H_DATA_OFF, "data", r->data_off, r->data_size, 1));
  if (r->data_off % RC_RCM_ALIGN != 0) {
    return fail_at(r, H_DATA_OFF, "data section offset 0x%zx is not %d-byte aligned", r->data_off, RC_RCM_ALIGN);
  }
  return REPCONV_OK;
}

static const char* kind_name(uint32_t kind) {
  switch (kind) {
    case RC_TENSOR_VALUE: return "value";
    case RC_TENSOR_INPUT: return "input";
    case RC_TENSOR_CONST: return "constant";
  }
  return "invalid";
}

static uint64_t hash_name(const char* s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static rc_status check_tensors(rcm_reader* r) {
  for (uint32_t i = 0; i < r->n_tensors; i++) {
    const size_t rec = r->tensors_off + (size_t)i * r->tensor_rec;
    const uint8_t* t = r->p + rec;
    const char* name;
    RC_CHECK(read_name(r, rec + T_NAME, "tensor", i, &name));
    r->tensor_names[i] = name;
    uint32_t kind = t[T_KIND];
    if (kind != RC_TENSOR_VALUE && kind != RC_TENSOR_INPUT && kind != RC_TENSOR_CONST) {
      return fail_at(r, rec + T_KIND, "tensor %u ('%s') has kind %u (0 value, 1 input, 2 constant)", i, name, kind);
    }
    uint32_t ndim = t[T_NDIM];
    if (ndim > RC_MAX_DIMS) {
      return fail_at(r, rec + T_NDIM, "tensor %u ('%s') has rank %u (at most %d)", i, name, ndim, RC_MAX_DIMS);
    }
    if (kind == RC_TENSOR_VALUE && ndim != 0) {
      return fail_at(r, rec + T_NDIM, "value tensor %u ('%s') has rank %u (value shapes are not stored: 0)", i, name,
                     ndim);
    }
    const uint32_t dyn = get_u16(t + T_DYN);
    if (dyn != 0 && (r->minor == 0 || kind != RC_TENSOR_INPUT || (dyn >> ndim) != 0)) {
      return fail_at(r, rec + T_DYN,
                     "%s tensor %u ('%s') of rank %u: symbolic-dims mask 0x%x (1.1 and later, graph inputs, bits below "
                     "the rank)",
                     kind_name(kind), i, name, ndim, dyn);
    }
    int64_t numel = 1;
    for (uint32_t k = 0; k < RC_MAX_DIMS; k++) {
      int64_t d = get_i64(t + T_DIMS + 8 * k);
      if (k >= ndim) {
        if (d != 0) {
          return fail_at(r, rec + T_DIMS + 8 * k, "tensor %u ('%s') of rank %u: unused dimension %u is %lld, not 0", i,
                         name, ndim, k, (long long)d);
        }
        continue;
      }
      if (d < 1 || d > RC_MAX_DIM_VALUE) {
        return fail_at(r, rec + T_DIMS + 8 * k, "tensor %u ('%s'): dimension %u is %lld (must be 1..%lld)", i, name, k,
                       (long long)d, (long long)RC_MAX_DIM_VALUE);
      }
      if (rc_mul_i64(numel, d, &numel) || numel > RC_MAX_ELEMENTS) {
        return fail_at(r, rec + T_DIMS + 8 * k, "tensor %u ('%s') has more than %lld elements", i, name,
                       (long long)RC_MAX_ELEMENTS);
      }
    }
    uint64_t doff = get_u64(t + T_DATA_OFF), dsize = get_u64(t + T_DATA_SIZE);
    if (kind != RC_TENSOR_CONST) {
      if (doff != 0 || dsize != 0) {
        return fail_at(r, rec + T_DATA_OFF, "%s tensor %u ('%s') has data (offset %llu, %llu bytes); only constants do",
                       kind_name(kind), i, name, (unsigned long long)doff, (unsigned long long)dsize);
      }
      continue;
    }
    uint64_t want = (uint64_t)numel * 4u; /* numel <= 2^34: no overflow */
    if (dsize != want) {
      return fail_at(r, rec + T_DATA_SIZE, "constant %u ('%s'): data size %llu bytes, expected %llu (%lld floats)", i,
                     name, (unsigned long long)dsize, (unsigned long long)want, (long long)numel);
    }
    if (doff % RC_RCM_ALIGN != 0) {
      return fail_at(r, rec + T_DATA_OFF, "constant %u ('%s'): data offset 0x%llx is not %d-byte aligned", i, name,
                     (unsigned long long)doff, RC_RCM_ALIGN);
    }
    size_t data_end = r->data_off + r->data_size; /* checked by check_section */
    if (doff < (uint64_t)r->data_off || doff > (uint64_t)data_end || dsize > (uint64_t)data_end - doff) {
      return fail_at(r, rec + T_DATA_OFF,
                     "constant %u ('%s'): data at offset 0x%llx, %llu bytes, is outside the data section "
                     "[0x%zx, 0x%zx)",
                     i, name, (unsigned long long)doff, (unsigned long long)dsize, r->data_off, data_end);
    }
  }

  /* Duplicate names: open addressing over the names. */
  size_t cap = 16;
  while (cap < (size_t)r->n_tensors * 2) cap *= 2;
  int32_t* slots = malloc(cap * sizeof(int32_t));
  if (!slots) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory checking tensor names", r->what);
  memset(slots, 0xff, cap * sizeof(int32_t));
  rc_status s = REPCONV_OK;
  for (uint32_t i = 0; i < r->n_tensors && s == REPCONV_OK; i++) {
    size_t h = (size_t)hash_name(r->tensor_names[i]) & (cap - 1);
    while (slots[h] >= 0) {
      if (strcmp(r->tensor_names[slots[h]], r->tensor_names[i]) == 0) {
        s = fail_at(r, r->tensors_off + (size_t)i * r->tensor_rec + T_NAME, "tensor %u has the name '%s' of tensor %d",
                    i, r->tensor_names[i], slots[h]);
        break;
      }
      h = (h + 1) & (cap - 1);
    }
    slots[h] = (int32_t)i;
  }
  free(slots);
  return s;
}

/* flags per tensor while checking nodes and graph inputs/outputs */
enum { F_PRODUCED = 1, F_GRAPH_INPUT = 2, F_GRAPH_OUTPUT = 4 };

static rc_status check_nodes_and_io(rcm_reader* r, uint8_t* flags) {
  for (uint32_t i = 0; i < r->n_nodes; i++) {
    const size_t rec = r->nodes_off + (size_t)i * r->node_rec;
    const uint8_t* n = r->p + rec;
    const char* name;
    RC_CHECK(read_name(r, rec + N_NAME, "node", i, &name));
    r->node_names[i] = name;
    uint32_t op = get_u32(n + N_OP);
    if (op >= RC_OP_COUNT) {
      return fail_at(r, rec + N_OP, "node %u ('%s') has op code %u (this repconv knows 0..%d)", i, name, op,
                     RC_OP_COUNT - 1);
    }
    uint32_t nin = get_u32(n + N_N_INPUTS), first = get_u32(n + N_FIRST_INPUT);
    if (nin < 1 || nin > RC_RCM_MAX_NODE_INPUTS) {
      return fail_at(r, rec + N_N_INPUTS, "node %u ('%s') has %u inputs (must be 1..%d)", i, name, nin,
                     RC_RCM_MAX_NODE_INPUTS);
    }
    if ((uint64_t)first + nin > r->n_node_inputs) {
      return fail_at(r, rec + N_FIRST_INPUT, "node %u ('%s'): inputs %u..%llu are beyond the node input list (%u ids)",
                     i, name, first, (unsigned long long)first + nin - 1, r->n_node_inputs);
    }
    for (uint32_t k = 0; k < nin; k++) {
      size_t at = r->node_inputs_off + ((size_t)first + k) * 4;
      int32_t id = get_i32(r->p + at);
      if (id < -1 || (id >= 0 && (uint32_t)id >= r->n_tensors)) {
        return fail_at(r, at, "node %u ('%s') input %u refers to tensor %d of %u", i, name, k, id, r->n_tensors);
      }
      if (id == -1 && !rc_op_input_optional((rc_op)op, (int32_t)k)) {
        return fail_at(r, at,
                       "node %u ('%s', %s) input %u is absent (-1); only optional inputs (a bias, pad values) may be",
                       i, name, rc_op_name((rc_op)op), k);
      }
    }
    int32_t out = get_i32(n + N_OUTPUT);
    if (out < 0 || (uint32_t)out >= r->n_tensors) {
      return fail_at(r, rec + N_OUTPUT, "node %u ('%s') output refers to tensor %d of %u", i, name, out, r->n_tensors);
    }
    uint32_t okind = r->p[r->tensors_off + (size_t)out * r->tensor_rec + T_KIND];
    if (okind != RC_TENSOR_VALUE) {
      return fail_at(r, rec + N_OUTPUT, "node %u ('%s') writes %s tensor %d ('%s'); outputs must be value tensors", i,
                     name, kind_name(okind), out, r->tensor_names[out]);
    }
    if (flags[out] & F_PRODUCED) {
      return fail_at(r, rec + N_OUTPUT, "node %u ('%s') writes tensor %d ('%s'), which another node already writes", i,
                     name, out, r->tensor_names[out]);
    }
    flags[out] |= F_PRODUCED;
    int32_t rnd = get_i32(n + N_RESHAPE_NDIM);
    if (rnd < 0 || rnd > RC_MAX_DIMS) {
      return fail_at(r, rec + N_RESHAPE_NDIM, "node %u ('%s') has reshape rank %d (0..%d)", i, name, rnd, RC_MAX_DIMS);
    }
    if (r->minor == 0 && get_u32(n + N_RESERVED) != 0) {
      return fail_at(r, rec + N_RESERVED, "node %u ('%s'): reserved field is not zero", i, name);
    }
  }

  for (uint32_t i = 0; i < r->n_inputs + r->n_outputs; i++) {
    const int is_in = i < r->n_inputs;
    const uint32_t idx = is_in ? i : i - r->n_inputs;
    const char* what = is_in ? "graph input" : "graph output";
    size_t at = r->io_off + (size_t)i * 4;
    int32_t id = get_i32(r->p + at);
    if (id < 0 || (uint32_t)id >= r->n_tensors) {
      return fail_at(r, at, "%s %u refers to tensor %d of %u", what, idx, id, r->n_tensors);
    }
    uint32_t kind = r->p[r->tensors_off + (size_t)id * r->tensor_rec + T_KIND];
    const uint8_t bit = is_in ? F_GRAPH_INPUT : F_GRAPH_OUTPUT;
    if (is_in && kind != RC_TENSOR_INPUT) {
      return fail_at(r, at, "graph input %u is %s tensor %d ('%s'), not an input tensor", idx, kind_name(kind), id,
                     r->tensor_names[id]);
    }
    if (!is_in && kind == RC_TENSOR_CONST) {
      return fail_at(r, at, "graph output %u is constant tensor %d ('%s')", idx, id, r->tensor_names[id]);
    }
    if (!is_in && kind == RC_TENSOR_VALUE && !(flags[id] & F_PRODUCED)) {
      /* nothing would write it: a run would return whatever the arena held */
      return fail_at(r, at, "graph output %u is value tensor %d ('%s'), which no node computes", idx, id,
                     r->tensor_names[id]);
    }
    if (flags[id] & bit) {
      return fail_at(r, at, "%s %u repeats tensor %d ('%s')", what, idx, id, r->tensor_names[id]);
    }
    flags[id] |= bit;
  }
  for (uint32_t i = 0; i < r->n_tensors; i++) {
    size_t rec = r->tensors_off + (size_t)i * r->tensor_rec;
    if (r->p[rec + T_KIND] == RC_TENSOR_INPUT && !(flags[i] & F_GRAPH_INPUT)) {
      return fail_at(r, rec + T_KIND, "input tensor %u ('%s') is not in the graph input list", i, r->tensor_names[i]);
    }
  }
  return REPCONV_OK;
}

static void reader_release(rcm_reader* r) {
  free(r->tensor_names);
  free(r->node_names);
  r->tensor_names = NULL;
  r->node_names = NULL;
}

/* Checks the whole image; on success r->tensor_names/node_names are filled
 * (release with reader_release, which is also safe after a failure). */
static rc_status check_image(rcm_reader* r) {
  RC_CHECK(check_header(r));
  r->tensor_names = calloc((size_t)r->n_tensors + 1, sizeof(char*));
  r->node_names = calloc((size_t)r->n_nodes + 1, sizeof(char*));
  uint8_t* flags = calloc((size_t)r->n_tensors + 1, 1);
  rc_status s;
  if (!r->tensor_names || !r->node_names || !flags) {
    s = rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory checking %u tensors and %u nodes", r->what,
                 r->n_tensors, r->n_nodes);
  } else {
    s = check_tensors(r);
    if (s == REPCONV_OK) s = check_nodes_and_io(r, flags);
  }
  free(flags);
  return s;
}

static rc_attrs read_attrs(const uint8_t* n) {
  rc_attrs a;
  memset(&a, 0, sizeof(a));
  for (int k = 0; k < 2; k++) {
    a.kernel[k] = get_i32(n + N_KERNEL + 4 * k);
    a.stride[k] = get_i32(n + N_STRIDE + 4 * k);
    a.dilation[k] = get_i32(n + N_DILATION + 4 * k);
    a.scale[k] = get_i32(n + N_SCALE + 4 * k);
  }
  for (int k = 0; k < 4; k++) {
    a.pad[k] = get_i32(n + N_PAD + 4 * k);
    a.reshape[k] = get_i64(n + N_RESHAPE + 8 * k);
  }
  a.groups = get_i32(n + N_GROUPS);
  a.ceil_mode = get_i32(n + N_CEIL_MODE);
  a.count_include_pad = get_i32(n + N_COUNT_INCLUDE_PAD);
  a.axis = get_i32(n + N_AXIS);
  a.block = get_i32(n + N_BLOCK);
  a.mode = get_i32(n + N_MODE);
  a.alpha = get_f32(n + N_ALPHA);
  a.beta = get_f32(n + N_BETA);
  a.eps = get_f32(n + N_EPS);
  a.min = get_f32(n + N_MIN);
  a.max = get_f32(n + N_MAX);
  a.reshape_ndim = get_i32(n + N_RESHAPE_NDIM);
  return a;
}

static rc_status build_graph(const rcm_reader* r, rc_graph* g) {
  const int le = host_is_little_endian();
  for (uint32_t i = 0; i < r->n_tensors; i++) {
    const size_t rec = r->tensors_off + (size_t)i * r->tensor_rec;
    const uint8_t* t = r->p + rec;
    const char* name = r->tensor_names[i];
    rc_shape shape;
    memset(&shape, 0, sizeof(shape));
    shape.ndim = t[T_NDIM];
    for (int k = 0; k < shape.ndim; k++) shape.d[k] = get_i64(t + T_DIMS + 8 * k);
    int32_t id = -1;
    rc_status s = REPCONV_OK;
    switch (t[T_KIND]) {
      case RC_TENSOR_INPUT:
        s = rc_graph_add_input(g, name, &shape, &id);
        if (s == REPCONV_OK) g->tensors[id].dyn = (uint8_t)get_u16(t + T_DYN); /* checked: below the rank */
        break;
      case RC_TENSOR_VALUE: s = rc_graph_add_value(g, name, &id); break;
      default: {
        size_t off = (size_t)get_u64(t + T_DATA_OFF);
        size_t n = (size_t)rc_shape_numel(&shape);
        if (le) {
          /* The image stays alive and unmodified as g->blob. */
          s = rc_graph_add_const_borrowed(g, name, &shape, (float*)(uintptr_t)(r->p + off), &id);
        } else {
          float* tmp = malloc(n * sizeof(float));
          if (!tmp) {
            return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory for constant '%s'", r->what, name);
          }
          for (size_t k = 0; k < n; k++) tmp[k] = get_f32(r->p + off + 4 * k);
          s = rc_graph_add_const(g, name, &shape, tmp, &id);
          free(tmp);
        }
        break;
      }
    }
    if (s != REPCONV_OK) return rc_error_context(s, "%s: offset 0x%zx: tensor %u", r->what, rec, i);
    if (id != (int32_t)i) {
      return rc_error(REPCONV_ERROR_INTERNAL, "%s: tensor %u ('%s') got id %d", r->what, i, name, id);
    }
  }

  int32_t ids[RC_RCM_MAX_NODE_INPUTS];
  for (uint32_t i = 0; i < r->n_nodes; i++) {
    const size_t rec = r->nodes_off + (size_t)i * r->node_rec;
    const uint8_t* n = r->p + rec;
    uint32_t nin = get_u32(n + N_N_INPUTS), first = get_u32(n + N_FIRST_INPUT);
    for (uint32_t k = 0; k < nin; k++) ids[k] = get_i32(r->p + r->node_inputs_off + ((size_t)first + k) * 4);
    rc_attrs a = read_attrs(n);
    rc_status s = rc_graph_add_node_to(g, (rc_op)get_u32(n + N_OP), r->node_names[i], ids, (int32_t)nin, &a,
                                       get_i32(n + N_OUTPUT));
    if (s != REPCONV_OK) return rc_error_context(s, "%s: offset 0x%zx: node %u", r->what, rec, i);
  }

  /* rc_graph_add_input listed the inputs in tensor order; the file's order
   * (a permutation of the same set, as checked) wins. */
  if (g->n_inputs != (int32_t)r->n_inputs) {
    return rc_error(REPCONV_ERROR_INTERNAL, "%s: %d graph inputs built, %u in the file", r->what, g->n_inputs,
                    r->n_inputs);
  }
  for (uint32_t i = 0; i < r->n_inputs; i++) g->inputs[i] = get_i32(r->p + r->io_off + (size_t)i * 4);
  for (uint32_t i = 0; i < r->n_outputs; i++) {
    size_t at = r->io_off + ((size_t)r->n_inputs + i) * 4;
    rc_status s = rc_graph_add_output(g, get_i32(r->p + at));
    if (s != REPCONV_OK) return rc_error_context(s, "%s: offset 0x%zx: graph output %u", r->what, at, i);
  }
  return REPCONV_OK;
}

static rc_status check_fresh(const rc_graph* g) {
  if (!g) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "rcm load: graph is NULL");
  if (g->n_tensors || g->n_nodes || g->n_inputs || g->n_outputs || g->blob) {
    return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "rcm load: the graph is not empty (rc_graph_init it first)");
  }
  return REPCONV_OK;
}

rc_status rc_rcm_check_image(const uint8_t* p, size_t size, const char* what) {
  rcm_reader r;
  memset(&r, 0, sizeof(r));
  r.p = p;
  r.size = size;
  r.what = what;
  rc_status s = check_image(&r);
  reader_release(&r);
  return s;
}

/* g->blob holds the image. */
static rc_status load_blob(rc_graph* g, const char* what) {
  rcm_reader r;
  memset(&r, 0, sizeof(r));
  r.p = g->blob;
  r.size = g->blob_size;
  r.what = what;
  rc_status s = check_image(&r);
  if (s == REPCONV_OK) s = build_graph(&r, g);
  reader_release(&r);
  return s;
}

rc_status rc_rcm_load_memory(const void* data, size_t size, rc_graph* g) {
  RC_CHECK(check_fresh(g));
  const char* what = "<memory>";
  if (size == 0) return rc_error(REPCONV_ERROR_FORMAT, "%s: offset 0x0: the image is empty", what);
  if (!data) return rc_error(REPCONV_ERROR_INVALID_ARGUMENT, "rcm load: data is NULL");
  size_t cap;
  if (rc_align_size(size, RC_RCM_ALIGN, &cap)) {
    return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: image of %zu bytes is too large", what, size);
  }
  void* blob = aligned_alloc(RC_RCM_ALIGN, cap);
  if (!blob) return rc_error(REPCONV_ERROR_OUT_OF_MEMORY, "%s: out of memory copying %zu bytes", what, size);
  memcpy(blob, data, size);
  g->blob = blob;
  g->blob_size = size;
  g->blob_mapped = 0;
  return load_blob(g, what);
}

/* The file is read into memory, not mapped: constants borrow from the
 * image, and a mapped image would fault (SIGBUS) on every access after the
 * file is truncated or rewritten in place while the model is alive. Reading
 * costs one copy at load (measured: docs/rcm-format.md). */
rc_status rc_rcm_load_file(const char* path, rc_graph* g) {
  RC_CHECK(check_fresh(g));
  void* blob = NULL;
  size_t size = 0;
  RC_CHECK(rc_file_read_all(path, "an .rcm model", RC_RCM_ALIGN, &blob, &size));
  g->blob = blob;
  g->blob_size = size;
  g->blob_mapped = 0;
  return load_blob(g, path);
}

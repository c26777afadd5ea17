#include "runtime/zoo/wblob.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/graph/checked.h"

enum { HEADER = 20, MAX_NAME_LEN = 127, MAX_NDIM = 4 };

static uint32_t rd32(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t rc_wblob_crc32(const unsigned char* p, size_t n) {
  /* Bitwise: the blobs are a few hundred KB, read once per load. */
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

static rc_status bad(const rc_wblob* b, size_t off, const char* msg) {
  return rc_error(REPCONV_ERROR_FORMAT, "%s: offset 0x%zx: %s", b->what, off, msg);
}

/* One record at b->off: its name (not terminated), shape and data, or an
 * error if it does not fit the payload. */
typedef struct record {
  const char* name;
  size_t name_len;
  rc_shape shape;
  const unsigned char* data;
  size_t next;
} record;

static rc_status parse_record(const rc_wblob* b, size_t off, record* r) {
  const size_t at = HEADER + off;
  if (b->size - off < 1) return bad(b, at, "tensor record truncated (name length)");
  r->name_len = b->pay[off];
  if (r->name_len < 1 || r->name_len > MAX_NAME_LEN) return bad(b, at, "tensor name length not in 1..127");
  if (b->size - off - 1 < r->name_len + 1) return bad(b, at, "tensor record truncated (name)");
  r->name = (const char*)b->pay + off + 1;
  off += 1 + r->name_len;
  r->shape.ndim = b->pay[off];
  if (r->shape.ndim < 1 || r->shape.ndim > MAX_NDIM) return bad(b, HEADER + off, "tensor rank not in 1..4");
  off += 1;
  if (b->size - off < 4u * (size_t)r->shape.ndim) return bad(b, HEADER + off, "tensor record truncated (dims)");
  size_t bytes = sizeof(float);
  for (int32_t i = 0; i < r->shape.ndim; i++) {
    const uint32_t d = rd32(b->pay + off + 4u * (size_t)i);
    if (d == 0 || rc_mul_size(bytes, d, &bytes)) return bad(b, HEADER + off, "tensor dimension 0 or too large");
    r->shape.d[i] = d;
  }
  off += 4u * (size_t)r->shape.ndim;
  if (b->size - off < bytes) return bad(b, HEADER + off, "tensor data truncated");
  r->data = b->pay + off;
  r->next = off + bytes;
  return REPCONV_OK;
}

rc_status rc_wblob_open(rc_wblob* b, const char* what, const unsigned char* data, size_t size) {
  memset(b, 0, sizeof(*b));
  b->what = what;
  if (size < HEADER) return rc_error(REPCONV_ERROR_FORMAT, "%s: %zu bytes, shorter than the header", what, size);
  if (memcmp(data, "RCZW", 4) != 0) return bad(b, 0, "not a weight blob (magic is not \"RCZW\")");
  const uint32_t version = rd32(data + 4);
  if (version != RC_WBLOB_VERSION) {
    return rc_error(REPCONV_ERROR_VERSION, "%s: offset 0x4: version %u, this repconv reads version %u", what, version,
                    RC_WBLOB_VERSION);
  }
  b->count = rd32(data + 8);
  b->size = rd32(data + 12);
  if (b->size != size - HEADER) {
    return rc_error(REPCONV_ERROR_FORMAT, "%s: offset 0xc: payload of %zu bytes declared, %zu present", what, b->size,
                    size - HEADER);
  }
  b->pay = data + HEADER;
  const uint32_t crc = rc_wblob_crc32(b->pay, b->size);
  if (crc != rd32(data + 16)) {
    return rc_error(REPCONV_ERROR_FORMAT, "%s: offset 0x10: checksum 0x%08x, the payload's is 0x%08x (corrupt)", what,
                    rd32(data + 16), crc);
  }
  /* Walk every record now, so a take never meets a bad one. */
  size_t off = 0;
  for (uint32_t i = 0; i < b->count; i++) {
    record r;
    RC_CHECK(parse_record(b, off, &r));
    off = r.next;
  }
  if (off != b->size) return bad(b, HEADER + off, "bytes after the last tensor");
  return REPCONV_OK;
}

rc_status rc_wblob_take(rc_wblob* b, const char* name, const rc_shape* s, float* dst) {
  if (b->taken >= b->count) {
    return rc_error(REPCONV_ERROR_FORMAT, "%s: tensor '%s' missing (the blob holds %u tensors)", b->what, name,
                    b->count);
  }
  record r;
  RC_CHECK(parse_record(b, b->off, &r));
  if (strlen(name) != r.name_len || memcmp(name, r.name, r.name_len) != 0) {
    return rc_error(REPCONV_ERROR_FORMAT, "%s: tensor %u is '%.*s', the model expects '%s' there", b->what, b->taken,
                    (int)r.name_len, r.name, name);
  }
  if (!rc_shape_equal(&r.shape, s)) {
    char got[64], want[64];
    rc_shape_str(&r.shape, got, sizeof(got));
    rc_shape_str(s, want, sizeof(want));
    return rc_error(REPCONV_ERROR_SHAPE, "%s: tensor '%s' has shape %s, the model expects %s", b->what, name, got,
                    want);
  }
  const size_t n = (size_t)rc_shape_numel(s);
  for (size_t i = 0; i < n; i++) {
    /* Little-endian bytes to float on any host. */
    const uint32_t u = rd32(r.data + 4 * i);
    memcpy(&dst[i], &u, sizeof(float));
  }
  b->off = r.next;
  b->taken++;
  return REPCONV_OK;
}

rc_status rc_wblob_const(rc_wblob* b, rc_graph* g, const char* name, const rc_shape* s, int32_t* out) {
  int32_t id;
  RC_CHECK(rc_graph_add_const(g, name, s, NULL, &id));
  RC_CHECK(rc_wblob_take(b, name, s, g->tensors[id].data));
  if (out) *out = id;
  return REPCONV_OK;
}

rc_status rc_wblob_close(const rc_wblob* b) {
  if (b->taken != b->count) {
    return rc_error(REPCONV_ERROR_FORMAT, "%s: %u of %u tensors used (the blob is for another architecture)", b->what,
                    b->taken, b->count);
  }
  return REPCONV_OK;
}

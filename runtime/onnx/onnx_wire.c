/* Nesting pre-scan of the protobuf wire format.
 *
 * protobuf-c unpacks a nested message by recursing, with no depth limit: a
 * TypeProto nested 5,000 deep (a 34 KB file) overflows the C stack. Before
 * unpacking, ox_nesting_scan walks the wire format with an explicit stack,
 * descending only into the fields the generated descriptors declare as
 * messages (the ones protobuf-c recurses into; unknown fields it keeps as
 * bytes), and refuses files nested deeper than OX_MAX_NESTING. Each byte is
 * read once (scalars and strings are stepped over by their length), so the
 * scan is linear in the file size. Files repconv can import nest 7 deep
 * (Model, Graph, ValueInfo, Type, Tensor, TensorShape, Dimension), each
 * subgraph attribute adds 3; 64 leaves ample room and bounds protobuf-c's
 * recursion to a small stack. Wire data the scan cannot step over
 * (truncated, or a group, which protobuf-c does not decode either) is
 * refused here, naming its offset. */
#include <stdint.h>

#include <onnx/onnx.pb-c.h>

#include "runtime/onnx/onnx_wire.h"

#define OX_MAX_NESTING 64

/* A base-128 varint at *pos, before end; 0 if truncated or over 10 bytes. */
static int wire_varint(const uint8_t* p, size_t end, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int i = 0; i < 10 && *pos < end; i++) {
    uint8_t b = p[(*pos)++];
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

static rc_status wire_error(const char* what, size_t size, const char* problem, size_t at) {
  return rc_error(REPCONV_ERROR_FORMAT,
                  "%s: not a valid ONNX model (the protobuf does not decode: %s at byte offset %zu of %zu)", what,
                  problem, at, size);
}

rc_status ox_nesting_scan(const uint8_t* p, size_t size, const char* what) {
  struct {
    const ProtobufCMessageDescriptor* d;
    size_t end;
  } st[OX_MAX_NESTING];
  int depth = 1;
  st[0].d = &onnx__model_proto__descriptor;
  st[0].end = size;
  size_t pos = 0;
  while (depth > 0) {
    size_t end = st[depth - 1].end;
    if (pos == end) {
      depth--;
      continue;
    }
    size_t at = pos;
    uint64_t key, len;
    if (!wire_varint(p, end, &pos, &key)) return wire_error(what, size, "a truncated field key", at);
    switch (key & 7) {
      case 0: /* varint */
        if (!wire_varint(p, end, &pos, &len)) return wire_error(what, size, "a truncated varint", at);
        break;
      case 1: /* 64-bit */
      case 5: /* 32-bit */ {
        size_t n = (key & 7) == 1 ? 8 : 4;
        if (end - pos < n) return wire_error(what, size, "a truncated fixed-size field", at);
        pos += n;
        break;
      }
      case 2: { /* length-delimited: a message, string, bytes or packed array */
        if (!wire_varint(p, end, &pos, &len)) return wire_error(what, size, "a truncated length", at);
        if (len > end - pos) return wire_error(what, size, "a length past the end of its message", at);
        uint64_t id = key >> 3;
        const ProtobufCFieldDescriptor* f =
            id <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(st[depth - 1].d, (unsigned)id) : NULL;
        if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE) {
          pos += (size_t)len;
          break;
        }
        if (depth == OX_MAX_NESTING) {
          const ProtobufCMessageDescriptor* sub = f->descriptor;
          return rc_error(REPCONV_ERROR_FORMAT,
                          "%s: messages nested more than %d deep: %s (field '%s' of %s) at depth %d, byte offset "
                          "%zu; repconv refuses such files (its protobuf decoder recurses once per level)",
                          what, OX_MAX_NESTING, sub->name, f->name, st[depth - 1].d->name, depth + 1, at);
        }
        st[depth].d = f->descriptor;
        st[depth].end = pos + (size_t)len;
        depth++;
        break;
      }
      default: return wire_error(what, size, "a group or an invalid wire type", at);
    }
  }
  return REPCONV_OK;
}

/* The protobuf wire format, read before protobuf-c unpacks it (onnx_wire.c). */
#ifndef RC_ONNX_WIRE_H
#define RC_ONNX_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/graph/status.h"

/* Refuses a ModelProto whose messages nest deeper than protobuf-c's
 * recursion can take safely, or whose wire data cannot be stepped over
 * (naming the byte offset); linear in size. what names the file. */
rc_status ox_nesting_scan(const uint8_t* p, size_t size, const char* what);

#endif

#!/usr/bin/python3
"""Writes the ONNX reproducers of issue 11 into tests/fuzz/corpus/fuzz_onnx/
(run by gen_corpus.sh with Debian's /usr/bin/python3, which has onnx).

item03_reshape_overflow.onnx   Reshape to {2^24, 2^24, 2^24, -1}: SIGFPE in shape inference
item05_deep_typeproto.onnx     a value_info TypeProto nested 5,000 deep: protobuf-c recursion
item06_constantofshape.onnx    ConstantOfShape of 1x1x8192x16384: 512 MiB from a tiny file
item06_const_matmul.onnx       MatMul of two 4096x4096 constants: 2^36 multiply-adds at load
item10_control_bytes.onnx      node and op names with control bytes, for the error message
issue13_resize_*.onnx          Resize linear/cubic (scales, sizes, exclude_outside, opset 18 axes) and
                               hostile ones: NaN, 1e30 and zero scales, 2^24 x 2^24 sizes, antialias
issue13_reduce_mean_*.onnx     ReduceMean over (2, 3) with keepdims 0, and over channels (refused)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_onnx")


def save(model, name):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(model.SerializeToString())


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="")
    m.ir_version = 7
    return m


def f32(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def reshape_overflow():
    shape = numpy_helper.from_array(np.array([1 << 24, 1 << 24, 1 << 24, -1], dtype=np.int64), "s")
    n = helper.make_node("Reshape", ["x", "s"], ["y"])
    save(model([n], [f32("x", [1, 1, 2, 2])], [f32("y", None)], [shape]), "item03_reshape_overflow.onnx")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):
    return varint((num << 3) | 2) + varint(len(payload)) + payload


def deep_typeproto():
    # TypeProto.sequence_type (4) → Sequence.elem_type (1) → TypeProto ..., 5,000 deep.
    t = field(1, varint(1 << 3) + varint(1))  # TypeProto{tensor_type{elem_type: FLOAT}}
    for _ in range(5000):
        t = field(4, field(1, t))
    vi = field(1, b"deep") + field(2, t)  # ValueInfoProto{name, type}
    n = helper.make_node("Relu", ["x"], ["y"])
    m = model([n], [f32("x", [1, 1, 2, 2])], [f32("y", [1, 1, 2, 2])])
    graph = m.graph.SerializeToString() + field(13, vi)  # GraphProto.value_info
    m.ClearField("graph")
    data = m.SerializeToString() + field(7, graph)  # ModelProto.graph
    with open(os.path.join(OUT, "item05_deep_typeproto.onnx"), "wb") as f:
        f.write(data)


def constant_of_shape():
    s = numpy_helper.from_array(np.array([1, 1, 8192, 16384], dtype=np.int64), "s")
    c = helper.make_node("ConstantOfShape", ["s"], ["c"],
                         value=numpy_helper.from_array(np.array([1.0], dtype=np.float32)))
    a = helper.make_node("Add", ["x", "c"], ["y"])
    save(model([c, a], [f32("x", [1, 1, 1, 1])], [f32("y", None)], [s]), "item06_constantofshape.onnx")


def const_matmul():
    s = numpy_helper.from_array(np.array([4096, 4096], dtype=np.int64), "s")
    one = numpy_helper.from_array(np.array([1.0], dtype=np.float32))
    nodes = [
        helper.make_node("ConstantOfShape", ["s"], ["a"], value=one),
        helper.make_node("ConstantOfShape", ["s"], ["b"], value=one),
        helper.make_node("MatMul", ["a", "b"], ["c"]),
        helper.make_node("ReduceSum", ["c"], ["r"], keepdims=1),
        helper.make_node("Add", ["x", "r"], ["y"]),
    ]
    save(model(nodes, [f32("x", [1, 1])], [f32("y", None)], [s], opset=11), "item06_const_matmul.onnx")


def control_bytes():
    n = helper.make_node("Re\x1b[2Jlu\x07", ["x"], ["y"], name="node\r\nwith\x00ctl")
    save(model([n], [f32("x", [1, 1, 2, 2])], [f32("y", [1, 1, 2, 2])]), "item10_control_bytes.onnx")


def resize(name, scales=None, sizes=None, opset=13, **attrs):
    inputs = ["x", "", "scales" if scales is not None else "", "sizes" if sizes is not None else ""]
    inits = []
    if scales is not None:
        inits.append(numpy_helper.from_array(np.array(scales, dtype=np.float32), "scales"))
    if sizes is not None:
        inits.append(numpy_helper.from_array(np.array(sizes, dtype=np.int64), "sizes"))
    while inputs[-1] == "":
        inputs.pop()
    n = helper.make_node("Resize", inputs, ["y"], name="up", **attrs)
    save(model([n], [f32("x", [1, 2, 3, 4])], [f32("y", None)], inits, opset), f"issue13_resize_{name}.onnx")


def issue13():
    resize("linear_x2", [1, 1, 2, 2], mode="linear")
    resize("linear_ac", [1, 1, 2.5, 3], mode="linear", coordinate_transformation_mode="align_corners")
    resize("cubic_sizes", sizes=[1, 2, 7, 5], mode="cubic", coordinate_transformation_mode="pytorch_half_pixel")
    resize("cubic_exclude", [1, 1, 3, 3], mode="cubic", exclude_outside=1, cubic_coeff_a=-0.5)
    resize("axes18", sizes=[9, 11], opset=18, axes=[2, 3], mode="linear")
    resize("scale_nan", [1, 1, float("nan"), 2], mode="linear")
    resize("scale_huge", [1, 1, 1e30, 1e30], mode="cubic")
    resize("scale_zero", [1, 1, 0, 2], mode="linear")
    resize("sizes_huge", sizes=[1, 2, 1 << 24, 1 << 24], mode="cubic")
    resize("antialias", [1, 1, 0.5, 0.5], opset=18, mode="linear", antialias=1)
    n = helper.make_node("ReduceMean", ["x"], ["y"], axes=[-2, -1], keepdims=0)
    save(model([n], [f32("x", [2, 3, 4, 5])], [f32("y", None)]), "issue13_reduce_mean_hw.onnx")
    n = helper.make_node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=1)
    save(model([n], [f32("x", [2, 3, 4, 5])], [f32("y", None)]), "issue13_reduce_mean_c.onnx")


def main():
    os.makedirs(OUT, exist_ok=True)
    reshape_overflow()
    deep_typeproto()
    constant_of_shape()
    const_matmul()
    control_bytes()
    issue13()
    return 0


if __name__ == "__main__":
    sys.exit(main())

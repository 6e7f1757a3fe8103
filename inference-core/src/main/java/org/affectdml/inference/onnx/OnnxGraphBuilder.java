package org.affectdml.inference.onnx;

import ai.onnx.proto.OnnxMl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A small fluent writer of ONNX float graphs on top of the ONNX protobuf classes that tribuo-util-onnx
 * ships. Used for the default head and, by the trainer, for trained heads; tests use it for tiny models.
 * Dimensions given as -1 are dynamic (named "N").
 */
public final class OnnxGraphBuilder {

    /** ONNX opset the project writes; the same as the backbone stand-ins. */
    public static final int OPSET = 17;
    private static final int IR_VERSION = 8;
    private static final int FLOAT = OnnxMl.TensorProto.DataType.FLOAT.getNumber();

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final String producer;
    private int nodeCounter;

    public OnnxGraphBuilder(String name, String producer) {
        this.graph.setName(name);
        this.producer = producer;
    }

    public OnnxGraphBuilder input(String name, long... dims) {
        graph.addInput(valueInfo(name, dims));
        return this;
    }

    public OnnxGraphBuilder output(String name, long... dims) {
        graph.addOutput(valueInfo(name, dims));
        return this;
    }

    /** A float constant (weights), row-major with the given dimensions. */
    public OnnxGraphBuilder initializer(String name, float[] values, long... dims) {
        long count = 1;
        for (long d : dims) {
            count *= d;
        }
        if (count != values.length) {
            throw new IllegalArgumentException("initializer " + name + " has " + values.length + " values for dims of " + count);
        }
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(FLOAT)
                .setRawData(com.google.protobuf.ByteString.copyFrom(raw.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return this;
    }

    /** Adds a node; attributes come as name/value pairs (Long, Float, long[] or String values). */
    public OnnxGraphBuilder node(String opType, String[] inputs, String[] outputs, Object... attributes) {
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(opType)
                .setName(opType.toLowerCase() + "_" + nodeCounter++);
        for (String in : inputs) {
            n.addInput(in);
        }
        for (String out : outputs) {
            n.addOutput(out);
        }
        for (int i = 0; i + 1 < attributes.length; i += 2) {
            n.addAttribute(attribute((String) attributes[i], attributes[i + 1]));
        }
        graph.addNode(n);
        return this;
    }

    /** y = x / max(||x||_2 over axis 1, eps): unit rows, and zero rows stay zero instead of NaN. */
    public OnnxGraphBuilder l2Normalize(String x, String y, float eps) {
        String norm = y + "_norm";
        String epsName = y + "_eps";
        String safe = y + "_safe_norm";
        initializer(epsName, new float[]{eps});
        node("ReduceL2", new String[]{x}, new String[]{norm}, "axes", new long[]{1}, "keepdims", 1L);
        node("Max", new String[]{norm, epsName}, new String[]{safe});
        return node("Div", new String[]{x, safe}, new String[]{y});
    }

    public byte[] build() {
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName(producer)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build()
                .toByteArray();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, long[] dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder dim = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (d < 0) {
                dim.setDimParam("N");
            } else {
                dim.setDimValue(d);
            }
            shape.addDim(dim);
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(
                        OnnxMl.TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape)))
                .build();
    }

    private static OnnxMl.AttributeProto attribute(String name, Object value) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name);
        if (value instanceof Long l) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(l);
        } else if (value instanceof Float f) {
            a.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(f);
        } else if (value instanceof long[] ints) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (long v : ints) {
                a.addInts(v);
            }
        } else if (value instanceof String s) {
            a.setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(com.google.protobuf.ByteString.copyFromUtf8(s));
        } else {
            throw new IllegalArgumentException("unsupported attribute type for " + name + ": " + value);
        }
        return a.build();
    }
}

package org.affectdml.trainer.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An image encoder's ONNX graph as trainable DJL NDArrays, for training the encoders with the head (issue 15).
 * Weights are taken by graph structure: a parameter is whatever initializer feeds a Conv's weight or bias or a
 * Gemm's B or C, whatever it is named (the stand-in ResNet's are "onnx::Conv_*", BatchNorm already folded into the
 * convolutions by the exporter). The folded network is what is trained: a conv's weight and bias absorb BatchNorm's
 * scale and shift, so training them is training the same function family without running batch statistics
 * (docs/method.md §8).
 * <p>Supported operators, what torchvision ResNets export to: Conv (2-D, symmetric pads), Relu, MaxPool, Add,
 * GlobalAveragePool, AveragePool, Flatten, Gemm, MatMul. Anything else is refused when the graph is read.
 * {@link #export()} writes the original graph with the trained values in place of the initializers' data.
 */
public final class OnnxConvNet implements AutoCloseable {

    private static final Set<String> SUPPORTED = Set.of("Conv", "Relu", "MaxPool", "Add", "GlobalAveragePool", "AveragePool",
            "Flatten", "Gemm", "MatMul");

    private final OnnxMl.ModelProto model;
    private final NDManager manager;
    private final String input;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> constants = new HashMap<>();

    private OnnxConvNet(OnnxMl.ModelProto model, NDManager manager) {
        this.model = model;
        this.manager = manager;
        OnnxMl.GraphProto g = model.getGraph();
        Set<String> initialized = new HashSet<>();
        g.getInitializerList().forEach(t -> initialized.add(t.getName()));
        this.input = g.getInputList().stream().map(OnnxMl.ValueInfoProto::getName).filter(n -> !initialized.contains(n))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("the encoder graph has no input"));
        Set<String> trainable = new HashSet<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (!SUPPORTED.contains(n.getOpType())) {
                throw new IllegalArgumentException("encoder node " + n.getName() + " is a " + n.getOpType()
                        + ", which joint training does not support (supported: " + SUPPORTED + ")");
            }
            if (n.getOpType().equals("Conv") || n.getOpType().equals("Gemm") || n.getOpType().equals("MatMul")) {
                for (int i = 1; i < n.getInputCount(); i++) {
                    trainable.add(n.getInput(i));
                }
            }
        }
        for (OnnxMl.TensorProto t : g.getInitializerList()) {
            NDArray a = manager.create(values(t), new Shape(t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
            if (trainable.contains(t.getName())) {
                a.setRequiresGradient(true);
                parameters.put(t.getName(), a);
            } else {
                constants.put(t.getName(), a);
            }
        }
    }

    /** Reads an encoder's ONNX bytes; its arrays live in {@code manager} (closed with this). */
    public static OnnxConvNet read(byte[] onnx, NDManager manager) {
        try {
            return new OnnxConvNet(OnnxMl.ModelProto.parseFrom(onnx), manager);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
    }

    /** The trainable arrays by initializer name (what an optimiser updates). */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    public String inputName() {
        return input;
    }

    /** The graph's value {@code output} for an input batch, computing only the nodes it depends on. */
    public NDArray forward(NDArray x, String output) {
        List<OnnxMl.NodeProto> needed = nodesFor(output);
        Map<String, NDArray> values = new HashMap<>();
        values.put(input, x);
        for (OnnxMl.NodeProto n : needed) {
            values.put(n.getOutput(0), apply(n, values));
        }
        NDArray result = values.get(output);
        if (result == null) {
            throw new IllegalArgumentException("the encoder graph has no value '" + output + "'");
        }
        return result;
    }

    /** The nodes {@code output} depends on, in graph (topological) order. */
    private List<OnnxMl.NodeProto> nodesFor(String output) {
        List<OnnxMl.NodeProto> nodes = model.getGraph().getNodeList();
        Set<String> wanted = new HashSet<>(List.of(output));
        boolean[] keep = new boolean[nodes.size()];
        for (int i = nodes.size() - 1; i >= 0; i--) {
            OnnxMl.NodeProto n = nodes.get(i);
            if (n.getOutputList().stream().anyMatch(wanted::contains)) {
                keep[i] = true;
                wanted.addAll(n.getInputList());
            }
        }
        List<OnnxMl.NodeProto> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (keep[i]) {
                out.add(nodes.get(i));
            }
        }
        return out;
    }

    private NDArray value(Map<String, NDArray> values, String name) {
        NDArray v = values.containsKey(name) ? values.get(name) : parameters.containsKey(name) ? parameters.get(name) : constants.get(name);
        if (v == null) {
            throw new IllegalArgumentException("the encoder graph uses '" + name + "' before it is computed");
        }
        return v;
    }

    private NDArray apply(OnnxMl.NodeProto n, Map<String, NDArray> values) {
        NDArray x = value(values, n.getInput(0));
        switch (n.getOpType()) {
            case "Conv" -> {
                NDArray w = value(values, n.getInput(1));
                NDArray b = n.getInputCount() > 2 ? value(values, n.getInput(2)) : null;
                long[] pads = ints(n, "pads", new long[]{0, 0, 0, 0});
                if (pads[0] != pads[2] || pads[1] != pads[3]) {
                    throw new IllegalArgumentException("Conv " + n.getName() + " has asymmetric pads " + java.util.Arrays.toString(pads));
                }
                return Conv2d.conv2d(x, w, b, new Shape(ints(n, "strides", new long[]{1, 1})), new Shape(pads[0], pads[1]),
                        new Shape(ints(n, "dilations", new long[]{1, 1})), (int) integer(n, "group", 1)).singletonOrThrow();
            }
            case "Relu" -> {
                return Activation.relu(x);
            }
            case "MaxPool" -> {
                long[] pads = ints(n, "pads", new long[]{0, 0, 0, 0});
                return Pool.maxPool2d(x, new Shape(ints(n, "kernel_shape", null)), new Shape(ints(n, "strides", new long[]{1, 1})),
                        new Shape(pads[0], pads[1]), integer(n, "ceil_mode", 0) == 1);
            }
            case "AveragePool" -> {
                long[] pads = ints(n, "pads", new long[]{0, 0, 0, 0});
                return Pool.avgPool2d(x, new Shape(ints(n, "kernel_shape", null)), new Shape(ints(n, "strides", new long[]{1, 1})),
                        new Shape(pads[0], pads[1]), integer(n, "ceil_mode", 0) == 1, integer(n, "count_include_pad", 0) == 1);
            }
            case "GlobalAveragePool" -> {
                return x.mean(new int[]{3}, true).mean(new int[]{2}, true);  // one axis at a time (DJL PyTorch)
            }
            case "Add" -> {
                return x.add(value(values, n.getInput(1)));
            }
            case "Flatten" -> {
                long axis = integer(n, "axis", 1);
                long leading = 1;
                for (int i = 0; i < axis; i++) {
                    leading *= x.getShape().get(i);
                }
                return x.reshape(leading, -1);
            }
            case "MatMul" -> {
                return x.matMul(value(values, n.getInput(1)));
            }
            case "Gemm" -> {
                NDArray a = integer(n, "transA", 0) == 1 ? x.transpose() : x;
                NDArray b = value(values, n.getInput(1));
                b = integer(n, "transB", 0) == 1 ? b.transpose() : b;
                NDArray y = a.matMul(b).mul(floating(n, "alpha", 1f));
                return n.getInputCount() > 2 ? y.add(value(values, n.getInput(2)).mul(floating(n, "beta", 1f))) : y;
            }
            default -> throw new IllegalStateException(n.getOpType());
        }
    }

    /** The original model with each parameter's current values written over its initializer's data. */
    public byte[] export() {
        OnnxMl.ModelProto.Builder m = model.toBuilder();
        OnnxMl.GraphProto.Builder g = m.getGraphBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            OnnxMl.TensorProto t = g.getInitializer(i);
            NDArray trained = parameters.get(t.getName());
            if (trained == null) {
                continue;
            }
            float[] v = trained.toFloatArray();
            ByteBuffer raw = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(v);
            g.setInitializer(i, t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(raw.array())).build());
        }
        return m.build().toByteArray();
    }

    /** Largest difference allowed between the exported graph in ONNX Runtime and this network in DJL. */
    public static final double EXPORT_TOLERANCE = 1e-4;

    /**
     * {@link #export()}, checked: ONNX Runtime on the exported bytes and DJL on this network give {@code output} within
     * {@link #EXPORT_TOLERANCE} on a seeded random batch of one; else IllegalStateException (nothing is published).
     */
    public byte[] exportChecked(String output, long seed) {
        byte[] onnx = export();
        long[] shape = model.getGraph().getInputList().stream().filter(i -> i.getName().equals(input)).findFirst().orElseThrow()
                .getType().getTensorType().getShape().getDimList().stream().mapToLong(d -> d.hasDimValue() ? d.getDimValue() : 1).toArray();
        shape[0] = 1;
        int count = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] x = new float[count];
        java.util.Random random = new java.util.Random(seed);
        for (int i = 0; i < count; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] djl;
        try (NDManager scratch = NDManager.newBaseManager("PyTorch")) {
            djl = forward(scratch.create(x, new Shape(shape)), output).toFloatArray();
        }
        try (ai.onnxruntime.OrtSession session = org.affectdml.inference.onnx.OrtSessionFactory.cpu(1).open(onnx);
             ai.onnxruntime.OnnxTensor tensor = ai.onnxruntime.OnnxTensor.createTensor(org.affectdml.inference.onnx.OrtSessionFactory.environment(),
                     java.nio.FloatBuffer.wrap(x), shape);
             ai.onnxruntime.OrtSession.Result result = session.run(Map.of(input, tensor), Set.of(output))) {
            float[] ort = ((float[][]) result.get(output).orElseThrow().getValue())[0];
            double worst = 0;
            for (int i = 0; i < ort.length; i++) {
                worst = Math.max(worst, Math.abs(ort[i] - djl[i]));
            }
            if (ort.length != djl.length || worst > EXPORT_TOLERANCE) {
                throw new IllegalStateException("the exported encoder differs from the trained one by " + worst + " (> " + EXPORT_TOLERANCE + ")");
            }
        } catch (ai.onnxruntime.OrtException e) {
            throw new IllegalStateException("the exported encoder does not run in ONNX Runtime: " + e.getMessage(), e);
        }
        return onnx;
    }

    @Override
    public void close() {
        manager.close();
    }

    private static float[] values(OnnxMl.TensorProto t) {
        if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber()) {
            throw new IllegalArgumentException("initializer " + t.getName() + " is not float32");
        }
        if (!t.getRawData().isEmpty()) {
            float[] v = new float[t.getRawData().size() / 4];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            return v;
        }
        float[] v = new float[t.getFloatDataCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.getFloatData(i);
        }
        return v;
    }

    private static OnnxMl.AttributeProto attribute(OnnxMl.NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst().orElse(null);
    }

    private static long[] ints(OnnxMl.NodeProto n, String name, long[] fallback) {
        OnnxMl.AttributeProto a = attribute(n, name);
        if (a == null) {
            if (fallback == null) {
                throw new IllegalArgumentException(n.getOpType() + " " + n.getName() + " has no " + name);
            }
            return fallback;
        }
        return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    private static long integer(OnnxMl.NodeProto n, String name, long fallback) {
        OnnxMl.AttributeProto a = attribute(n, name);
        return a == null ? fallback : a.getI();
    }

    private static float floating(OnnxMl.NodeProto n, String name, float fallback) {
        OnnxMl.AttributeProto a = attribute(n, name);
        return a == null ? fallback : a.getF();
    }
}

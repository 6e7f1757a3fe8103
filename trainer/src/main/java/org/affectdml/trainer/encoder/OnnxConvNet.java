package org.affectdml.trainer.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import org.affectdml.trainer.head.Scalars;
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
 * <p>Supported operators: what torchvision ResNets export to (Conv with symmetric pads, Relu, MaxPool, Add,
 * GlobalAveragePool, AveragePool, Flatten, Gemm, MatMul), what `affect bundle import` and other exporters add (Identity,
 * Constant, Reshape to a constant shape, Dropout as in inference), and BatchNormalization as the ONNX Model Zoo and
 * training-mode exports keep it: a BatchNormalization that follows a Conv (whose output nothing else reads) is
 * <b>folded into it when the graph is read</b> (weight and bias absorb its scale and shift; the node disappears), so
 * training trains the folded convolution and the exported encoder is the folded graph; any other BatchNormalization
 * is applied with its stored statistics as a constant per-channel affine map. Running statistics are never updated
 * (docs/method.md §8). Anything else is refused by {@link #requireSupported} and when the graph is read, naming the
 * operator and the node. {@link #export()} writes the (folded) graph with the trained values in its initializers.
 */
public final class OnnxConvNet implements AutoCloseable {

    private static final Set<String> SUPPORTED = Set.of("Conv", "Relu", "MaxPool", "Add", "GlobalAveragePool", "AveragePool",
            "Flatten", "Gemm", "MatMul", "Identity", "Constant", "Reshape", "Dropout", "BatchNormalization");

    private final OnnxMl.ModelProto model;
    private final NDManager manager;
    private final String input;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> constants = new HashMap<>();
    /** Integer tensors (Reshape's shapes), by value name. */
    private final Map<String, long[]> integers = new HashMap<>();

    private OnnxConvNet(OnnxMl.ModelProto model, NDManager manager) {
        requireSupported(model);
        this.model = BatchNormFolding.fold(model);
        this.manager = manager;
        OnnxMl.GraphProto g = this.model.getGraph();
        Set<String> initialized = new HashSet<>();
        g.getInitializerList().forEach(t -> initialized.add(t.getName()));
        this.input = g.getInputList().stream().map(OnnxMl.ValueInfoProto::getName).filter(n -> !initialized.contains(n))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("the encoder graph has no input"));
        Set<String> trainable = new HashSet<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Conv") || n.getOpType().equals("Gemm") || n.getOpType().equals("MatMul")) {
                for (int i = 1; i < n.getInputCount(); i++) {
                    trainable.add(n.getInput(i));
                }
            }
        }
        List<OnnxMl.TensorProto> tensors = new ArrayList<>(g.getInitializerList());
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Constant")) {
                OnnxMl.AttributeProto value = attribute(n, "value");
                if (value == null || !value.hasT()) {
                    throw new IllegalArgumentException("Constant node " + n.getName() + " has no tensor 'value' (the only form supported)");
                }
                tensors.add(value.getT().toBuilder().setName(n.getOutput(0)).build());
            }
        }
        for (OnnxMl.TensorProto t : tensors) {
            if (t.getDataType() == OnnxMl.TensorProto.DataType.INT64.getNumber()) {
                integers.put(t.getName(), longs(t));
                continue;
            }
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
        return new OnnxConvNet(parse(onnx), manager);
    }

    /**
     * Checks, without loading any weight, that joint training can run this encoder: every operator is supported.
     * Refuses with the first unsupported node's operator and name, and what to do about it.
     */
    public static void requireSupported(byte[] onnx) {
        requireSupported(parse(onnx));
    }

    private static void requireSupported(OnnxMl.ModelProto model) {
        for (OnnxMl.NodeProto n : model.getGraph().getNodeList()) {
            if (!SUPPORTED.contains(n.getOpType())) {
                throw new IllegalArgumentException("encoder node '" + n.getName() + "' is a " + n.getOpType()
                        + ", which joint training does not support (supported: " + new java.util.TreeSet<>(SUPPORTED)
                        + "); train the head alone (without --train-encoders), or export the encoder without it");
            }
            if (n.getOpType().equals("Reshape") && n.getInputCount() > 1 && isComputed(model.getGraph(), n.getInput(1))) {
                throw new IllegalArgumentException("encoder node '" + n.getName() + "' is a Reshape to a shape computed in the graph ('"
                        + n.getInput(1) + "'); joint training supports constant shapes: export with torch.flatten(x, 1) (a Flatten) "
                        + "or with constant folding on");
            }
            requireSupportedAttributes(n);
        }
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber()
                    && t.getDataType() != OnnxMl.TensorProto.DataType.INT64.getNumber()) {
                throw new IllegalArgumentException("encoder weight '" + t.getName() + "' is of ONNX data type "
                        + OnnxMl.TensorProto.DataType.forNumber(t.getDataType()) + "; joint training reads float32 weights (and int64 "
                        + "shapes): export the encoder in float32");
            }
        }
    }

    /** The attributes the forward pass does not implement, refused by name before any work. */
    private static void requireSupportedAttributes(OnnxMl.NodeProto n) {
        String where = "encoder node '" + n.getName() + "' (" + n.getOpType() + ")";
        switch (n.getOpType()) {
            case "Conv", "MaxPool", "AveragePool" -> {
                OnnxMl.AttributeProto autoPad = attribute(n, "auto_pad");
                if (autoPad != null && !autoPad.getS().toStringUtf8().equals("NOTSET")) {
                    throw new IllegalArgumentException(where + " has auto_pad " + autoPad.getS().toStringUtf8()
                            + "; joint training supports explicit, symmetric pads (as torch.onnx.export writes them)");
                }
                long[] pads = ints(n, "pads", new long[]{0, 0, 0, 0});
                if (pads.length != 4 || pads[0] != pads[2] || pads[1] != pads[3]) {
                    throw new IllegalArgumentException(where + " has pads " + java.util.Arrays.toString(pads)
                            + "; joint training supports 2-D convolutions and pools with symmetric pads");
                }
                if (!n.getOpType().equals("Conv") && java.util.Arrays.stream(ints(n, "dilations", new long[]{1, 1})).anyMatch(d -> d != 1)) {
                    throw new IllegalArgumentException(where + " has dilations; joint training supports undilated pools");
                }
            }
            case "Constant" -> {
                OnnxMl.AttributeProto value = attribute(n, "value");
                if (value == null || !value.hasT()) {
                    throw new IllegalArgumentException(where + " has no tensor 'value' (the only form joint training reads)");
                }
            }
            default -> {
            }
        }
    }

    /** Whether {@code value} is computed by a node other than Constant (a Shape/Gather/Concat chain, say). */
    private static boolean isComputed(OnnxMl.GraphProto g, String value) {
        return g.getNodeList().stream().anyMatch(n -> n.getOutputList().contains(value) && !n.getOpType().equals("Constant"));
    }

    private static OnnxMl.ModelProto parse(byte[] onnx) {
        try {
            return OnnxMl.ModelProto.parseFrom(onnx);
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
        if (n.getOpType().equals("Constant")) {
            return constants.get(n.getOutput(0));
        }
        NDArray x = value(values, n.getInput(0));
        switch (n.getOpType()) {
            case "Identity", "Dropout" -> {
                return x;  // Dropout as in inference: the exported graph is served, never trained with dropout
            }
            case "Reshape" -> {
                long[] target = integers.get(n.getInput(1));
                if (target == null) {
                    throw new IllegalArgumentException("Reshape " + n.getName() + " needs a constant int64 shape");
                }
                long[] shape = target.clone();
                for (int i = 0; i < shape.length; i++) {
                    if (shape[i] == 0 && integer(n, "allowzero", 0) == 0) {
                        shape[i] = x.getShape().get(i);  // 0 copies the input's dimension
                    }
                }
                return x.reshape(shape);
            }
            case "BatchNormalization" -> {  // one not folded into a Conv: its stored statistics, per channel
                NDArray scale = value(values, n.getInput(1));
                NDArray bias = value(values, n.getInput(2));
                NDArray mean = value(values, n.getInput(3));
                NDArray var = value(values, n.getInput(4));
                // arrays computed from the network's constants belong to it, not to the step: attached to the step's
                // manager (x's) so that they are freed with it instead of piling up over a training job
                NDManager step = x.getManager();
                NDArray factor = attached(scale.div(Scalars.of(step, floating(n, "epsilon", 1e-5f)).add(var).sqrt()), step);
                long[] perChannel = new long[x.getShape().dimension()];
                java.util.Arrays.fill(perChannel, 1);
                perChannel[1] = x.getShape().get(1);
                return x.sub(attached(mean.reshape(perChannel), step)).mul(attached(factor.reshape(perChannel), step))
                        .add(attached(bias.reshape(perChannel), step));
            }
            case "Conv" -> {
                NDArray w = value(values, n.getInput(1));
                NDArray b = n.getInputCount() > 2 ? value(values, n.getInput(2)) : null;
                long[] pads = ints(n, "pads", new long[]{0, 0, 0, 0});
                if (pads[0] != pads[2] || pads[1] != pads[3]) {
                    throw new IllegalArgumentException("Conv " + n.getName() + " has asymmetric pads " + java.util.Arrays.toString(pads));
                }
                long[] strides = ints(n, "strides", new long[]{1, 1});
                long[] dilations = ints(n, "dilations", new long[]{1, 1});
                int group = (int) integer(n, "group", 1);
                if (isPointwise(w, pads, dilations, group)) {
                    return pointwise(x, w, b, strides);
                }
                return Conv2d.conv2d(x, w, b, new Shape(strides), new Shape(pads[0], pads[1]), new Shape(dilations), group)
                        .singletonOrThrow();
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
                NDManager step = x.getManager();
                NDArray a = integer(n, "transA", 0) == 1 ? x.transpose() : x;
                NDArray b = value(values, n.getInput(1));
                b = integer(n, "transB", 0) == 1 ? attached(b.transpose(), step) : b;
                NDArray y = a.matMul(b).mul(Scalars.of(step, floating(n, "alpha", 1f)));
                return n.getInputCount() > 2
                        ? y.add(attached(value(values, n.getInput(2)).mul(Scalars.of(step, floating(n, "beta", 1f))), step)) : y;
            }
            default -> throw new IllegalStateException(n.getOpType());
        }
    }

    /** A 1x1 convolution without padding, dilation or groups: a matrix product over the channels at each pixel. */
    private static boolean isPointwise(NDArray w, long[] pads, long[] dilations, int group) {
        Shape k = w.getShape();
        return k.dimension() == 4 && k.get(2) == 1 && k.get(3) == 1 && group == 1
                && java.util.Arrays.stream(pads).allMatch(p -> p == 0) && java.util.Arrays.stream(dilations).allMatch(d -> d == 1);
    }

    /**
     * A 1x1 convolution as a matrix product (BLAS), the same sums as the convolution. Not through oneDNN: its backward
     * 1x1 convolution divides by the CPU's cache sizes and dies of SIGFPE (the whole JVM) on virtual machines whose CPUID
     * reports none (seen on an AMD EPYC VM: brgemm_convolution_bwd_utils::brg_blocking_t::est_eff_1x1), with its
     * AVX-512 kernels and with DNNL_MAX_CPU_ISA=AVX2 alike; every ResNet bottleneck and downsampling path has them.
     */
    private static NDArray pointwise(NDArray x, NDArray w, NDArray b, long[] strides) {
        NDArray sampled = strides[0] == 1 && strides[1] == 1 ? x : x.get(":, :, ::" + strides[0] + ", ::" + strides[1]);
        Shape in = sampled.getShape();
        long batch = in.get(0);
        long height = in.get(2);
        long width = in.get(3);
        long outChannels = w.getShape().get(0);
        NDManager step = x.getManager();
        NDArray kernel = attached(w.reshape(outChannels, in.get(1)), step);
        NDArray y = kernel.matMul(sampled.reshape(batch, in.get(1), height * width)).reshape(batch, outChannels, height, width);
        return b == null ? y : y.add(attached(b.reshape(1, outChannels, 1, 1), step));
    }

    private static NDArray attached(NDArray array, NDManager manager) {
        array.attach(manager);
        return array;
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
            g.setInitializer(i, t.toBuilder().clearFloatData().setRawData(rawData(trained.toFloatArray())).build());
        }
        return m.build().toByteArray();
    }

    /**
     * Largest difference allowed between the exported graph in ONNX Runtime and this network in DJL, relative to the
     * output's largest magnitude (absolute where that is below 1): float32 sums over a ResNet differ in their last bits.
     */
    public static final double EXPORT_TOLERANCE = 1e-4;

    /**
     * {@link #export()}, checked: ONNX Runtime on the exported bytes and DJL on this network give {@code output} within
     * {@link #EXPORT_TOLERANCE} on a seeded random batch; else IllegalStateException (nothing is published).
     */
    public byte[] exportChecked(String output, long seed) {
        return exportChecked(output, seed, 0, 0);
    }

    /**
     * As {@link #exportChecked(String, long)}, at the shape the encoder is served with: {@code servedHeight} and
     * {@code servedWidth} for spatial dimensions the graph leaves dynamic (0: its fixed ones, or 224), and a batch of 2
     * where the batch is dynamic (so that a batch-dependent mistake shows), else the graph's fixed batch.
     */
    public byte[] exportChecked(String output, long seed, int servedHeight, int servedWidth) {
        byte[] onnx = export();
        List<OnnxMl.TensorShapeProto.Dimension> dims = model.getGraph().getInputList().stream().filter(i -> i.getName().equals(input))
                .findFirst().orElseThrow().getType().getTensorType().getShape().getDimList();
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            OnnxMl.TensorShapeProto.Dimension d = dims.get(i);
            int served = i == 2 ? servedHeight : servedWidth;
            shape[i] = d.hasDimValue() ? d.getDimValue() : i == 0 ? 2 : i == 1 ? 3 : served > 0 ? served : 224;
        }
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
            float[] ort = flat(result.get(output).orElseThrow().getValue());
            double worst = 0;
            double scale = 1;  // the tolerance is relative to the output's largest magnitude, absolute below 1
            for (int i = 0; i < ort.length && i < djl.length; i++) {
                worst = Math.max(worst, Math.abs(ort[i] - djl[i]));
                scale = Math.max(scale, Math.abs(ort[i]));
            }
            if (ort.length != djl.length || worst > EXPORT_TOLERANCE * scale) {
                throw new IllegalStateException("the exported encoder differs from the trained one by " + worst + " (> "
                        + EXPORT_TOLERANCE + " x " + scale + ")");
            }
        } catch (ai.onnxruntime.OrtException e) {
            throw new IllegalStateException("the exported encoder does not run in ONNX Runtime: " + e.getMessage(), e);
        }
        return onnx;
    }

    /** An ONNX Runtime output ([N, D] or [N, D, 1, 1] floats) as one row-major array. */
    private static float[] flat(Object value) {
        if (value instanceof float[] v) {
            return v;
        }
        if (value instanceof Object[] rows) {
            List<float[]> parts = new ArrayList<>();
            int total = 0;
            for (Object row : rows) {
                float[] part = flat(row);
                parts.add(part);
                total += part.length;
            }
            float[] out = new float[total];
            int at = 0;
            for (float[] part : parts) {
                System.arraycopy(part, 0, out, at, part.length);
                at += part.length;
            }
            return out;
        }
        throw new IllegalStateException("unexpected ONNX Runtime output " + value.getClass());
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Float32 values as an initializer's little-endian raw_data. */
    static ByteString rawData(float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return ByteString.copyFrom(raw.array());
    }

    static float[] values(OnnxMl.TensorProto t) {
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

    private static long[] longs(OnnxMl.TensorProto t) {
        if (!t.getRawData().isEmpty()) {
            long[] v = new long[t.getRawData().size() / 8];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
            return v;
        }
        return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
    }

    static OnnxMl.AttributeProto attribute(OnnxMl.NodeProto n, String name) {
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

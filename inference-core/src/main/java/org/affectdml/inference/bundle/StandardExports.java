package org.affectdml.inference.bundle;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recognises the standard published exports a user can download and makes them usable in a bundle (`affect bundle
 * import`): torchvision ResNets exported to ONNX (input "input", 1000-logit output "output"), ONNX Model Zoo ResNets
 * (input "data"), Hugging Face exports ("pixel_values" to "logits"; SegFormer ADE20K for the segmenter), and the
 * stand-ins with their extra "features" output.
 * <p>An encoder gives the bundle its pooled features: an existing 2-D output that is not the classifier's, or else
 * the input of the final classifier layer (the global-average-pooled, flattened activations), always exposed as the
 * output {@value #FEATURES} (through an Identity node when it has another name), so any two encoders of a bundle
 * share one output name. In logits mode (the paper's code) the classifier output is exposed as {@value #LOGITS}.
 */
public final class StandardExports {

    public static final String FEATURES = "features";
    public static final String LOGITS = "logits";
    private static final int DEFAULT_ENCODER_SIZE = 224;
    private static final int DEFAULT_SEGMENTER_SIZE = 512;

    private StandardExports() {
    }

    /** An encoder ready for a bundle: its (possibly amended) ONNX bytes, the output to use and its width. */
    public record Encoder(byte[] onnx, String kind, String input, String output, int size, long width, String note) {
    }

    /** A segmenter as recognised: input, square input size, and the number of classes (logit channels). */
    public record Segmenter(String kind, String input, String output, int size, long classes) {
    }

    public static Encoder encoder(byte[] onnx, boolean logits) {
        OnnxMl.ModelProto model = parse(onnx);
        OnnxMl.GraphProto g = model.getGraph();
        OnnxMl.ValueInfoProto input = imageInput(g, "encoder");
        int size = squareSize(input, DEFAULT_ENCODER_SIZE, "encoder");
        String kind = switch (input.getName()) {
            case "input" -> "torchvision export";
            case "data" -> "ONNX Model Zoo export";
            case "pixel_values" -> "Hugging Face / stand-in export";
            default -> "ONNX export with input '" + input.getName() + "'";
        };
        OnnxMl.NodeProto classifier = classifier(g);
        if (logits) {
            if (classifier == null) {
                throw new IllegalArgumentException("no classifier layer (Gemm or MatMul) produces an output of this encoder: logits mode needs one");
            }
            long width = width(g, classifier);
            return new Encoder(exposed(model, classifier.getOutput(0), LOGITS, width), kind, input.getName(), LOGITS, size, width,
                    "the classifier's " + width + " logits '" + classifier.getOutput(0) + "' (the paper's code)");
        }
        for (OnnxMl.ValueInfoProto out : g.getOutputList()) {
            List<OnnxMl.TensorShapeProto.Dimension> dims = out.getType().getTensorType().getShape().getDimList();
            boolean isClassifier = classifier != null && classifier.getOutput(0).equals(out.getName());
            if (!isClassifier && dims.size() == 2 && dims.get(1).hasDimValue()) {
                long width = dims.get(1).getDimValue();
                return new Encoder(exposed(model, out.getName(), FEATURES, width), kind, input.getName(), FEATURES, size, width,
                        "its output '" + out.getName() + "' (" + width + "-d)");
            }
        }
        if (classifier == null) {
            throw new IllegalArgumentException("cannot find the pooled features: no 2-D output besides the classifier's and no final Gemm or "
                    + "MatMul layer; name the output to use (--encoder-output)");
        }
        String pooled = classifier.getInput(0);
        long width = inputWidth(g, classifier);
        return new Encoder(exposed(model, pooled, FEATURES, width), kind, input.getName(), FEATURES, size, width,
                "the pooled features '" + pooled + "' (" + width + "-d, the classifier's input), added as output '" + FEATURES + "'");
    }

    /** The model with {@code value} available as graph output {@code name} (unchanged bytes when it already is). */
    private static byte[] exposed(OnnxMl.ModelProto model, String value, String name, long width) {
        boolean isOutput = model.getGraph().getOutputList().stream().anyMatch(o -> o.getName().equals(name));
        if (value.equals(name) && isOutput) {
            return model.toByteArray();
        }
        OnnxMl.ModelProto.Builder amended = model.toBuilder();
        if (!value.equals(name)) {
            if (isOutput || model.getGraph().getNodeList().stream().anyMatch(n -> n.getOutputList().contains(name))) {
                throw new IllegalArgumentException("the graph already has a value named '" + name + "' that is not the one to expose");
            }
            amended.getGraphBuilder()
                    .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").setName("affect_" + name).addInput(value).addOutput(name));
        }
        amended.getGraphBuilder()
                .addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder().setTensorType(
                        OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                                .setShape(OnnxMl.TensorShapeProto.newBuilder()
                                        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                                        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(width))))));
        return amended.build().toByteArray();
    }

    public static Segmenter segmenter(byte[] onnx) {
        OnnxMl.GraphProto g = parse(onnx).getGraph();
        OnnxMl.ValueInfoProto input = imageInput(g, "segmenter");
        for (OnnxMl.ValueInfoProto out : g.getOutputList()) {
            List<OnnxMl.TensorShapeProto.Dimension> dims = out.getType().getTensorType().getShape().getDimList();
            if (dims.size() == 4 && dims.get(1).hasDimValue()) {
                return new Segmenter(input.getName().equals("pixel_values") ? "Hugging Face SegFormer-style export" : "ONNX segmenter",
                        input.getName(), out.getName(), squareSize(input, DEFAULT_SEGMENTER_SIZE, "segmenter"), dims.get(1).getDimValue());
            }
        }
        throw new IllegalArgumentException("the segmenter has no [N, classes, h, w] output");
    }

    private static OnnxMl.ModelProto parse(byte[] onnx) {
        try {
            return OnnxMl.ModelProto.parseFrom(onnx);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage());
        }
    }

    /** The graph's one image input: [N, 3, H, W] (initializers listed as inputs by old exporters are skipped). */
    private static OnnxMl.ValueInfoProto imageInput(OnnxMl.GraphProto g, String what) {
        Set<String> initializers = new HashSet<>();
        g.getInitializerList().forEach(t -> initializers.add(t.getName()));
        List<OnnxMl.ValueInfoProto> inputs = g.getInputList().stream().filter(i -> !initializers.contains(i.getName())).toList();
        if (inputs.size() != 1) {
            throw new IllegalArgumentException("the " + what + " must have one input, it has " + inputs.size());
        }
        List<OnnxMl.TensorShapeProto.Dimension> dims = inputs.get(0).getType().getTensorType().getShape().getDimList();
        // channels fixed to 3, or dynamic as Hugging Face Optimum exports them
        if (dims.size() != 4 || dims.get(1).hasDimValue() && dims.get(1).getDimValue() != 3) {
            throw new IllegalArgumentException("the " + what + "'s input '" + inputs.get(0).getName() + "' is not an [N, 3, H, W] image");
        }
        return inputs.get(0);
    }

    /** The fixed square size of an image input, or {@code fallback} when H and W are dynamic. */
    private static int squareSize(OnnxMl.ValueInfoProto input, int fallback, String what) {
        List<OnnxMl.TensorShapeProto.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
        if (dims.get(2).hasDimValue() && dims.get(3).hasDimValue()) {
            if (dims.get(2).getDimValue() != dims.get(3).getDimValue()) {
                throw new IllegalArgumentException("the " + what + "'s input is " + dims.get(3).getDimValue() + "x" + dims.get(2).getDimValue()
                        + ": only square inputs are supported");
            }
            return (int) dims.get(2).getDimValue();
        }
        return fallback;
    }

    /** The last Gemm or MatMul whose output is a graph output (the classifier), or null. */
    private static OnnxMl.NodeProto classifier(OnnxMl.GraphProto g) {
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        OnnxMl.NodeProto found = null;
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if ((n.getOpType().equals("Gemm") || n.getOpType().equals("MatMul")) && outputs.contains(n.getOutput(0))) {
                found = n;
            }
        }
        return found;
    }

    private static Map<String, OnnxMl.TensorProto> initializers(OnnxMl.GraphProto g) {
        Map<String, OnnxMl.TensorProto> out = new HashMap<>();
        g.getInitializerList().forEach(t -> out.put(t.getName(), t));
        return out;
    }

    private static boolean transB(OnnxMl.NodeProto n) {
        return n.getAttributeList().stream().anyMatch(a -> a.getName().equals("transB") && a.getI() == 1);
    }

    /** Width of the classifier's input, from its weight initializer. */
    private static long inputWidth(OnnxMl.GraphProto g, OnnxMl.NodeProto classifier) {
        OnnxMl.TensorProto w = weights(g, classifier);
        return transB(classifier) ? w.getDims(1) : w.getDims(0);
    }

    /** Width of the classifier's output. */
    private static long width(OnnxMl.GraphProto g, OnnxMl.NodeProto classifier) {
        OnnxMl.TensorProto w = weights(g, classifier);
        return transB(classifier) ? w.getDims(0) : w.getDims(1);
    }

    private static OnnxMl.TensorProto weights(OnnxMl.GraphProto g, OnnxMl.NodeProto classifier) {
        OnnxMl.TensorProto w = initializers(g).get(classifier.getInput(1));
        if (w == null || w.getDimsCount() != 2) {
            throw new IllegalArgumentException("the classifier layer's weights are not a 2-D initializer");
        }
        return w;
    }
}

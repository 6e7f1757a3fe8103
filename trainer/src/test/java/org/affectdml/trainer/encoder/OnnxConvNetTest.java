package org.affectdml.trainer.encoder;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.onnx.SmallModels;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.testing.TestImages;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The encoder graph in DJL computes what ONNX Runtime computes (within 1e-4), gradient steps change its weights and
 * lower a loss, and the exported graph with the trained weights computes what DJL computes after training.
 */
class OnnxConvNetTest {

    /** The small residual encoder of {@link SmallModels} at 16 x 16: opaque initializer names, BN folded. */
    static byte[] tinyResNet(long seed) {
        return SmallModels.residualEncoder(seed, 16);
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    private static float[][] ort(byte[] model, float[] input, long[] shape, String output) throws Exception {
        try (OrtSession s = OrtSessionFactory.cpu(1).open(model);
             OnnxTensor x = OnnxTensor.createTensor(OrtSessionFactory.environment(), java.nio.FloatBuffer.wrap(input), shape);
             OrtSession.Result result = s.run(Map.of(s.getInputNames().iterator().next(), x), java.util.Set.of(output))) {
            return (float[][]) result.get(output).orElseThrow().getValue();
        }
    }

    private static void assertClose(float[][] expected, float[] actual, double tolerance, String what) {
        int k = 0;
        for (float[] row : expected) {
            for (float v : row) {
                assertEquals(v, actual[k++], tolerance, what + " element " + (k - 1));
            }
        }
        assertEquals(k, actual.length, what + " size");
    }

    @Test
    void theDjlGraphMatchesOnnxRuntimeTrainsAndExportsWhatItComputes() throws Exception {
        byte[] original = tinyResNet(7);
        float[] input = gaussian(new Random(1), 2 * 3 * 16 * 16, 1.0);
        long[] shape = {2, 3, 16, 16};
        try (OnnxConvNet net = OnnxConvNet.read(original, NDManager.newBaseManager("PyTorch"))) {
            assertEquals(6, net.parameters().size(), "every conv and fc weight and bias, found by structure");
            try (NDManager step = NDManager.newBaseManager("PyTorch")) {
                NDArray x = step.create(input, new Shape(shape));
                assertClose(ort(original, input, shape, "features"), net.forward(x, "features").toFloatArray(), 1e-4, "features");
                assertClose(ort(original, input, shape, "logits"), net.forward(x, "logits").toFloatArray(), 1e-4, "logits");

                float[] before = net.parameters().get("onnx::Conv_101").toFloatArray();
                double firstLoss = Double.NaN;
                double lastLoss = Double.NaN;
                for (int i = 0; i < 20; i++) {
                    try (GradientCollector g = Engine.getEngine("PyTorch").newGradientCollector()) {
                        NDArray loss = net.forward(x, "features").sub(1f).square().mean();
                        g.backward(loss);
                        double value = loss.getFloat();
                        firstLoss = i == 0 ? value : firstLoss;
                        lastLoss = value;
                    }
                    for (NDArray p : net.parameters().values()) {
                        p.subi(p.getGradient().mul(0.1f));
                        p.getGradient().subi(p.getGradient());
                    }
                }
                assertTrue(lastLoss < 0.8 * firstLoss, "gradient steps lower the loss: " + firstLoss + " -> " + lastLoss);
                float[] after = net.parameters().get("onnx::Conv_101").toFloatArray();
                assertTrue(!java.util.Arrays.equals(before, after), "the first convolution's weights changed");

                byte[] trained = net.export();
                assertClose(ort(trained, input, shape, "features"), net.forward(x, "features").toFloatArray(), 1e-4,
                        "exported features after training");
            }
        }
    }

    @Test
    void theStandInResNet18InDjlMatchesOnnxRuntime() throws Exception {
        Path shared = TestImages.sharedDir();
        Assumptions.assumeTrue(shared != null && Files.isRegularFile(shared.resolve("models/resnet18-arch-untrained.onnx")),
                "AFFECT_SHARED_DIR with models/resnet18-arch-untrained.onnx is not set: the stand-in ResNet-18 check is skipped");
        byte[] resnet = Files.readAllBytes(shared.resolve("models/resnet18-arch-untrained.onnx"));
        float[] input = gaussian(new Random(3), 3 * 224 * 224, 1.0);
        long[] shape = {1, 3, 224, 224};
        try (OnnxConvNet net = OnnxConvNet.read(resnet, NDManager.newBaseManager("PyTorch"));
             NDManager step = NDManager.newBaseManager("PyTorch")) {
            assertEquals(42, net.parameters().size(), "20 folded convolutions with bias, and fc: " + net.parameters().keySet());
            float[] djl = net.forward(step.create(input, new Shape(shape)), "features").toFloatArray();
            assertClose(ort(resnet, input, shape, "features"), djl, 1e-4, "ResNet-18 features");
        }
    }

    /** A ResNet-v2-style block: BatchNormalization after an Add, which no convolution can absorb. */
    private static byte[] preActivationBlock(String autoPad) {
        Random r = new Random(3);
        var g = new org.affectdml.inference.onnx.OnnxGraphBuilder("pre-activation", "test")
                .input("x", -1, 3, 8, 8).output("features", -1, 4)
                .initializer("wa", gaussian(r, 4 * 3 * 9, 0.3), 4, 3, 3, 3).initializer("wb", gaussian(r, 4 * 3 * 9, 0.3), 4, 3, 3, 3)
                .initializer("scale", new float[]{0.5f, 1.5f, 1f, 2f}, 4).initializer("shift", new float[]{0.1f, -0.2f, 0f, 0.3f}, 4)
                .initializer("mean", new float[]{0.2f, -0.1f, 0.4f, 0f}, 4).initializer("var", new float[]{0.8f, 1.2f, 0.5f, 2f}, 4);
        if (autoPad == null) {
            g.node("Conv", new String[]{"x", "wa"}, new String[]{"a"}, "pads", new long[]{1, 1, 1, 1});
        } else {
            g.node("Conv", new String[]{"x", "wa"}, new String[]{"a"}, "auto_pad", autoPad);
        }
        return g.node("Conv", new String[]{"x", "wb"}, new String[]{"b"}, "pads", new long[]{1, 1, 1, 1})
                .node("Add", new String[]{"a", "b"}, new String[]{"sum"})
                .node("BatchNormalization", new String[]{"sum", "scale", "shift", "mean", "var"}, new String[]{"normalised"}, "epsilon", 1e-5f)
                .node("Relu", new String[]{"normalised"}, new String[]{"relu"})
                .node("GlobalAveragePool", new String[]{"relu"}, new String[]{"pooled"})
                .node("Flatten", new String[]{"pooled"}, new String[]{"features"}, "axis", 1L)
                .build();
    }

    @Test
    void aBatchNormalizationNoConvolutionCanAbsorbIsAppliedAsOnnxRuntimeDoes() throws Exception {
        byte[] model = preActivationBlock(null);
        OnnxConvNet.requireSupported(model);
        var folded = BatchNormFolding.fold(ai.onnx.proto.OnnxMl.ModelProto.parseFrom(model));
        assertEquals(1, folded.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("BatchNormalization")).count(),
                "after an Add, the BatchNormalization stays a node");
        float[] input = gaussian(new Random(5), 2 * 3 * 8 * 8, 1.0);
        long[] shape = {2, 3, 8, 8};
        try (OnnxConvNet net = OnnxConvNet.read(model, NDManager.newBaseManager("PyTorch"));
             NDManager step = NDManager.newBaseManager("PyTorch")) {
            assertClose(ort(model, input, shape, "features"), net.forward(step.create(input, new Shape(shape)), "features").toFloatArray(),
                    1e-4, "features through the stored statistics");
        }
    }

    /**
     * What a forward pass computes from the network's own arrays (an unfolded BatchNormalization's factors, a Gemm's
     * transposed weight and scaled bias) belongs to the step, not to the network: over a training job nothing piles up.
     */
    @Test
    void forwardPassesLeaveNothingInTheNetwork() {
        for (String output : List.of("logits", "features")) {
            byte[] model = output.equals("logits") ? SmallModels.residualEncoder(3, 8) : preActivationBlock(null);
            NDManager networkArrays = NDManager.newBaseManager("PyTorch");
            try (OnnxConvNet net = OnnxConvNet.read(model, networkArrays)) {
                int before = networkArrays.getManagedArrays().size();
                for (int pass = 0; pass < 3; pass++) {
                    try (NDManager step = NDManager.newBaseManager("PyTorch")) {
                        net.forward(step.create(gaussian(new Random(pass), 2 * 3 * 8 * 8, 1.0), new Shape(2, 3, 8, 8)), output);
                    }
                }
                assertEquals(before, networkArrays.getManagedArrays().size(), output + ": arrays left in the network after 3 passes");
            }
        }
    }

    /**
     * An export with dynamic height and width (as Optimum writes them) is checked at the size it is served at: this
     * graph runs at 16 x 16 only (its Gemm takes the flattened 16 x 16 map), so a check at 224 or at 1 fails. On the
     * way: a Constant shape, a Reshape whose 0 copies the batch, a Dropout (inference: identity) and a Gemm with alpha
     * and beta, each computed by DJL as ONNX Runtime computes it (the check compares the two).
     */
    @Test
    void anExportWithDynamicHeightAndWidthIsCheckedAtTheServedSize() throws Exception {
        byte[] onnx = dynamicSizeGraph();
        OnnxConvNet.requireSupported(onnx);
        try (OnnxConvNet net = OnnxConvNet.read(onnx, NDManager.newBaseManager("PyTorch"))) {
            assertTrue(net.exportChecked("features", 1, 16, 16).length > 0, "checked at the served 16 x 16");
            assertThrows(RuntimeException.class, () -> net.exportChecked("features", 1, 20, 20), "at 20 x 20 the graph cannot run");
            assertThrows(RuntimeException.class, () -> net.exportChecked("features", 1, 0, 0), "nor at the default 224 x 224");
        }
        // joint training checks what it publishes at the size its pixels have (16 x 16 here), or it could publish nothing
        int[] labels = {0, 1, 0, 1};
        float[][] pixels = new float[4][];
        for (int i = 0; i < 4; i++) {
            pixels[i] = gaussian(new Random(i), 3 * 16 * 16, 1.0);
        }
        JointTrainer.Data data = new JointTrainer.Data(labels, row -> new JointTrainer.Pixels(pixels[row], pixels[row]), null,
                new long[]{3, 16, 16}, new long[]{3, 16, 16});
        var shape = new org.affectdml.trainer.head.HeadShape(org.affectdml.trainer.head.HeadVariant.I, 4, 4, 1, 8, 8, 4, 2);
        var config = new org.affectdml.trainer.head.TrainingConfig(1, 4, 2, 1e-3, 1, 0.1, 0.1, 0.2, 0.5, 0.5, 3, 1, 0);
        JointTrainer.Result trained = new JointTrainer(config, 1e-3).train(shape, onnx, onnx, "features", data, report -> { }, () -> false);
        assertTrue(trained.imageEncoder().length > 0, "the trained encoder is published");
    }

    /**
     * A strided 1x1 convolution is computed as a matrix product (not by oneDNN, see OnnxConvNet.pointwise): the same
     * values as ONNX Runtime's Conv on an odd-sized map, and the same weight gradients as DJL's own convolution.
     */
    @Test
    void aStridedPointwiseConvolutionMatchesOnnxRuntimeAndTheConvolutionsGradients() throws Exception {
        Random r = new Random(5);
        float[] weight = gaussian(r, 4 * 3, 0.5);
        float[] bias = gaussian(r, 4, 0.1);
        byte[] onnx = new org.affectdml.inference.onnx.OnnxGraphBuilder("pointwise", "affect-dml")
                .input("pixel_values", -1, 3, 7, 5)
                .output("features", -1, 4 * 4 * 3)
                .initializer("conv.weight", weight, 4, 3, 1, 1)
                .initializer("conv.bias", bias, 4)
                .node("Conv", new String[]{"pixel_values", "conv.weight", "conv.bias"}, new String[]{"c"},
                        "kernel_shape", new long[]{1, 1}, "strides", new long[]{2, 2})
                .node("Flatten", new String[]{"c"}, new String[]{"features"}, "axis", 1L)
                .build();
        long[] shape = {2, 3, 7, 5};
        float[] input = gaussian(r, 2 * 3 * 7 * 5, 1.0);
        try (OnnxConvNet net = OnnxConvNet.read(onnx, NDManager.newBaseManager("PyTorch"));
             NDManager step = NDManager.newBaseManager("PyTorch")) {
            NDArray x = step.create(input, new Shape(shape));
            assertClose(ort(onnx, input, shape, "features"), net.forward(x, "features").toFloatArray(), 1e-5, "features");

            NDArray w = net.parameters().get("conv.weight");
            try (GradientCollector g = Engine.getEngine("PyTorch").newGradientCollector()) {
                g.backward(net.forward(x, "features").square().sum());
            }
            NDArray w2 = step.create(weight, new Shape(4, 3, 1, 1));
            w2.setRequiresGradient(true);
            try (GradientCollector g = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray y = ai.djl.nn.convolutional.Conv2d.conv2d(x, w2, step.create(bias), new Shape(2, 2), new Shape(0, 0),
                        new Shape(1, 1), 1).singletonOrThrow();
                g.backward(y.square().sum());
            }
            assertClose(new float[][]{w2.getGradient().toFloatArray()}, w.getGradient().toFloatArray(), 1e-3, "weight gradient");
        }
    }

    /** A conv net whose Gemm takes a flattened 16 x 16 map, with dynamic height and width; see its test. */
    private static byte[] dynamicSizeGraph() throws Exception {
        Random r = new Random(8);
        int flat = 2 * 16 * 16;
        byte[] built = new org.affectdml.inference.onnx.OnnxGraphBuilder("dynamic_size", "affect-dml")
                .input("pixel_values", -1, 3, -1, -1)
                .output("features", -1, 4)
                .initializer("conv.weight", gaussian(r, 2 * 3, 0.5), 2, 3, 1, 1)
                .initializer("conv.bias", gaussian(r, 2, 0.1), 2)
                .initializer("fc.weight", gaussian(r, 4 * flat, 0.05), 4, flat)
                .initializer("fc.bias", gaussian(r, 4, 0.1), 4)
                .node("Conv", new String[]{"pixel_values", "conv.weight", "conv.bias"}, new String[]{"c"}, "kernel_shape", new long[]{1, 1})
                .node("Dropout", new String[]{"c"}, new String[]{"d"})
                .node("Reshape", new String[]{"d", "shape"}, new String[]{"flat"})
                .node("Gemm", new String[]{"flat", "fc.weight", "fc.bias"}, new String[]{"features"}, "transB", 1L, "alpha", 0.5f, "beta", 2f)
                .build();
        ai.onnx.proto.OnnxMl.ModelProto.Builder model = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(built).toBuilder();
        var dims = model.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        dims.getDimBuilder(2).setDimParam("height");
        dims.getDimBuilder(3).setDimParam("width");
        ai.onnx.proto.OnnxMl.TensorProto shape = ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName("shape").addDims(2)
                .setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.INT64.getNumber()).addInt64Data(0).addInt64Data(-1).build();
        model.getGraphBuilder().addNode(0, ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Constant").setName("shape_constant")
                .addOutput("shape").addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("value")
                        .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.TENSOR).setT(shape)));
        return model.build().toByteArray();
    }

    @Test
    void attributesTheForwardPassLacksAreRefusedBeforeAnyWork() {
        IllegalArgumentException autoPad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> OnnxConvNet.requireSupported(preActivationBlock("SAME_UPPER")));
        assertTrue(autoPad.getMessage().contains("auto_pad SAME_UPPER") && autoPad.getMessage().contains("conv_"), autoPad.getMessage());

        var model = ai.onnx.proto.OnnxMl.ModelProto.newBuilder();
        try {
            model.mergeFrom(preActivationBlock(null));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        model.getGraphBuilder().getInitializerBuilder(0).setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT16.getNumber());
        IllegalArgumentException half = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> OnnxConvNet.requireSupported(model.build().toByteArray()));
        assertTrue(half.getMessage().contains("'wa'") && half.getMessage().contains("FLOAT16") && half.getMessage().contains("float32"),
                half.getMessage());
    }
}

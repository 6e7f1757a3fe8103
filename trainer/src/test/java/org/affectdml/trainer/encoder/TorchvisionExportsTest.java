package org.affectdml.trainer.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.bundle.StandardExports;
import org.affectdml.inference.onnx.ImageModelRunner;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.service.testing.DebianPyTorch;
import org.affectdml.trainer.head.HeadShape;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.TrainingConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * True torchvision exports, made at test time by Debian's PyTorch (src/test/python/export_encoder.py, the README's
 * recipe with random weights), through what a researcher does with them: `affect bundle import` (StandardExports),
 * then joint training's encoder graph. For ResNet-18 at opset 13 and 17, static and dynamic batch, with BatchNorm
 * folded by the exporter or kept as nodes (folded on load here), features or logits: DJL computes what ONNX Runtime
 * computes on the imported graph, a gradient step changes the weights, and the exported trained graph passes the
 * export check at the served shape. ResNet-50: one step. Skipped, saying why, where Debian's python3-torch is absent.
 */
class TorchvisionExportsTest {

    @TempDir
    static Path exports;

    @BeforeAll
    static void pytorch() throws Exception {
        DebianPyTorch.assumePresent();
    }

    @ParameterizedTest(name = "{0} opset {1} {2} batch, batchnorm {3}, logits {4}")
    @CsvSource({
            "resnet18, 17, dynamic, folded, false",
            "resnet18, 13, static, folded, false",
            "resnet18, 13, dynamic, kept, false",
            "resnet18, 17, static, kept, true",
    })
    void anImportedTorchvisionExportTrainsJointly(String arch, int opset, String batch, String batchNorm, boolean logits) throws Exception {
        Path file = export(arch, opset, batch.equals("static"), batchNorm.equals("kept"));
        assertEquals(batchNorm.equals("kept"), batchNormNodes(Files.readAllBytes(file)) > 0,
                "the export has BatchNormalization nodes exactly when it keeps them");
        StandardExports.Encoder imported = StandardExports.encoder(Files.readAllBytes(file), logits);
        assertEquals(logits ? StandardExports.LOGITS : StandardExports.FEATURES, imported.output());
        OnnxConvNet.requireSupported(imported.onnx());

        long[] shape = {batch.equals("static") ? 1 : 2, 3, 224, 224};
        float[] input = gaussian(new Random(opset), (int) (shape[0] * 3 * 224 * 224));
        float[] reference = ort(imported.onnx(), input, shape, imported.output());
        try (OnnxConvNet net = OnnxConvNet.read(imported.onnx(), NDManager.newBaseManager("PyTorch"));
             NDManager step = NDManager.newBaseManager("PyTorch")) {
            NDArray x = step.create(input, new Shape(shape));
            assertMatches(reference, net.forward(x, imported.output()).toFloatArray(), "DJL = ONNX Runtime on the imported graph"
                    + (batchNorm.equals("kept") ? " (its BatchNorm folded on load)" : ""));
        }
        // what `affect train start --train-encoders` runs: a joint step of both streams and the head, exported and checked
        JointTrainer.Result trained = jointStep(imported, HeadVariant.IB);
        // every convolution's weight and bias (20 in a ResNet-18, BatchNorm folded) and, for logits, the classifier's
        long changed = changedInitializers(imported.onnx(), trained.imageEncoder());
        assertTrue(changed >= 40, "a step changes the weights of every layer on the way to the output: " + changed + " arrays changed");
        assertEquals(changed, changedInitializers(imported.onnx(), trained.bodyEncoder()), "the body stream is trained as the image stream");
        // served as embedding-service serves it: three images in one call, whatever batch the export fixed
        try (OrtSession session = OrtSessionFactory.cpu(1).open(trained.imageEncoder())) {
            ImageModelRunner.Output served = ImageModelRunner.run(session, "input", imported.output(), new long[]{3, 224, 224},
                    gaussian(new Random(3), 3 * 3 * 224 * 224), 3);
            assertEquals(3, served.rows().length);
            assertEquals(logits ? 1000 : 512, served.rows()[0].length);
        }
    }

    @Test
    void aResNet50ExportTakesOneJointStep() throws Exception {
        StandardExports.Encoder imported = StandardExports.encoder(Files.readAllBytes(export("resnet50", 17, false, true)), false);
        assertEquals(2048, imported.width());
        float[] input = gaussian(new Random(5), 2 * 3 * 224 * 224);
        long[] shape = {2, 3, 224, 224};
        float[] reference = ort(imported.onnx(), input, shape, imported.output());
        try (OnnxConvNet net = OnnxConvNet.read(imported.onnx(), NDManager.newBaseManager("PyTorch"));
             NDManager step = NDManager.newBaseManager("PyTorch")) {
            assertMatches(reference, net.forward(step.create(input, new Shape(shape)), imported.output()).toFloatArray(),
                    "DJL = ONNX Runtime on ResNet-50, BatchNorm folded on load");
        }
        // one joint step of the image stream alone (the tests run PyTorch on one thread)
        long changed = changedInitializers(imported.onnx(), jointStep(imported, HeadVariant.I).imageEncoder());
        // 53 convolutions, weight and bias each (BatchNorm folded); the classifier is not on the way to the features
        assertTrue(changed >= 106, "the step reaches every convolution: " + changed + " arrays changed");
    }

    /**
     * One step of joint training (two classes, two persons each, 224 x 224 pixels) of {@code variant}'s streams,
     * both from the imported encoder, at the encoders' rate 1e-3; its result exported and checked (JointTrainer).
     */
    private static JointTrainer.Result jointStep(StandardExports.Encoder imported, HeadVariant variant) {
        int[] labels = {0, 1, 0, 1};
        Random random = new Random(9);
        float[][] pixels = new float[labels.length][];
        for (int i = 0; i < labels.length; i++) {
            pixels[i] = gaussian(random, 3 * 224 * 224);
        }
        JointTrainer.Data data = new JointTrainer.Data(labels, row -> new JointTrainer.Pixels(pixels[row], pixels[row]), null,
                new long[]{3, 224, 224}, new long[]{3, 224, 224});
        HeadShape shape = new HeadShape(variant, (int) imported.width(), (int) imported.width(), 1, 8, 16, 8, 2);
        TrainingConfig config = new TrainingConfig(1, 4, 2, 1e-3, 1, 0.1, 0.1, 0.2, 0.5, 0.5, 3, 1, 0);
        List<Integer> steps = new ArrayList<>();
        JointTrainer.Result result = new JointTrainer(config, 1e-3).train(shape, imported.onnx(), imported.onnx(), imported.output(), data,
                new HeadTrainer.Listener() {
                    @Override
                    public void epoch(HeadTrainer.EpochReport report) {
                    }

                    @Override
                    public void batch(int epoch, int batch, int batches) {
                        steps.add(batch);
                    }
                }, () -> false);
        assertEquals(List.of(1), steps, "one step");
        return result;
    }

    /** How many float initializers of {@code trained} differ from {@code original}'s. */
    private static long changedInitializers(byte[] original, byte[] trained) throws Exception {
        Map<String, com.google.protobuf.ByteString> before = new java.util.HashMap<>();
        ai.onnx.proto.OnnxMl.ModelProto.parseFrom(original).getGraph().getInitializerList().forEach(t -> before.put(t.getName(), t.getRawData()));
        return ai.onnx.proto.OnnxMl.ModelProto.parseFrom(trained).getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .filter(t -> !t.getRawData().equals(before.get(t.getName()))).count();
    }

    @Test
    void anUnsupportedOperatorIsRefusedNamingItsNode() throws Exception {
        ai.onnx.proto.OnnxMl.ModelProto model = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(
                Files.readAllBytes(export("resnet18", 17, false, false)));
        var graph = model.getGraph().toBuilder();
        var relu = graph.getNodeBuilder(1);
        assertEquals("Relu", relu.getOpType());
        relu.setOpType("Sigmoid").setName("odd_activation");
        byte[] amended = model.toBuilder().setGraph(graph).build().toByteArray();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> OnnxConvNet.requireSupported(amended));
        assertTrue(refused.getMessage().contains("Sigmoid") && refused.getMessage().contains("odd_activation"), refused.getMessage());
    }

    /** Within 1e-4 of the reference's largest magnitude (absolute below 1), as the export check. */
    private static void assertMatches(float[] reference, float[] djl, String what) {
        assertEquals(reference.length, djl.length);
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < djl.length; i++) {
            scale = Math.max(scale, Math.abs(reference[i]));
            worst = Math.max(worst, Math.abs(reference[i] - djl[i]));
        }
        assertTrue(worst <= 1e-4 * Math.max(1, scale), what + ": off by " + worst + " at scale " + scale);
    }

    private static long batchNormNodes(byte[] onnx) throws Exception {
        return ai.onnx.proto.OnnxMl.ModelProto.parseFrom(onnx).getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("BatchNormalization")).count();
    }

    private static Path export(String arch, int opset, boolean staticBatch, boolean keepBatchNorm) throws Exception {
        Path out = exports.resolve(arch + "-" + opset + (staticBatch ? "-static" : "") + (keepBatchNorm ? "-bn" : "") + ".onnx");
        if (!Files.exists(out)) {
            List<String> arguments = new ArrayList<>(List.of(arch, out.toString(), "--opset", Integer.toString(opset)));
            if (staticBatch) {
                arguments.add("--static");
            }
            if (keepBatchNorm) {
                arguments.add("--keep-batchnorm");
            }
            DebianPyTorch.script("export_encoder.py", arguments.toArray(String[]::new));
        }
        return out;
    }

    private static float[] ort(byte[] model, float[] input, long[] shape, String output) throws Exception {
        try (OrtSession s = OrtSessionFactory.cpu(1).open(model);
             OnnxTensor x = OnnxTensor.createTensor(OrtSessionFactory.environment(), FloatBuffer.wrap(input), shape);
             OrtSession.Result result = s.run(Map.of(s.getInputNames().iterator().next(), x), Set.of(output))) {
            float[][] rows = (float[][]) result.get(output).orElseThrow().getValue();
            float[] flat = new float[rows.length * rows[0].length];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
            }
            return flat;
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}

package org.affectdml.trainer.encoder;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.bundle.StandardExports;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.service.testing.DebianPyTorch;
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

            Map<String, float[]> before = new java.util.HashMap<>();
            net.parameters().forEach((name, p) -> before.put(name, p.toFloatArray()));
            try (GradientCollector g = Engine.getEngine("PyTorch").newGradientCollector()) {
                g.backward(net.forward(x, imported.output()).square().mean());
            }
            for (NDArray p : net.parameters().values()) {
                p.subi(p.getGradient().mul(0.01f));
                p.getGradient().subi(p.getGradient());
            }
            long changed = net.parameters().entrySet().stream()
                    .filter(e -> !java.util.Arrays.equals(before.get(e.getKey()), e.getValue().toFloatArray())).count();
            // every convolution's weight and bias (20 in a ResNet-18, BatchNorm folded) and, for logits, the classifier's
            assertTrue(changed >= 40, "a step changes the weights of every layer on the way to the output: " + changed + " of "
                    + net.parameters().size() + " arrays changed");
            byte[] trained = net.exportChecked(imported.output(), 7, 224, 224);
            assertTrue(trained.length > 1_000_000, "the trained encoder is exported");
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
            NDArray x = step.create(input, new Shape(shape));
            assertMatches(reference, net.forward(x, imported.output()).toFloatArray(), "DJL = ONNX Runtime on ResNet-50, BatchNorm folded on load");
            try (GradientCollector g = Engine.getEngine("PyTorch").newGradientCollector()) {
                g.backward(net.forward(x, imported.output()).square().mean());
            }
            long reached = net.parameters().values().stream().filter(p -> p.getGradient().abs().sum().getFloat() > 0).count();
            // 53 convolutions, weight and bias each (BatchNorm folded); the classifier is not on the way to the features
            assertTrue(reached >= 106, "gradients reach every convolution: " + reached + " of " + net.parameters().size() + " arrays");
        }
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

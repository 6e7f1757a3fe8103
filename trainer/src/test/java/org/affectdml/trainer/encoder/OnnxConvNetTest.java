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
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}

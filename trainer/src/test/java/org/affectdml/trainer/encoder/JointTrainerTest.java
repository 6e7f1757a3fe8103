package org.affectdml.trainer.encoder;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.trainer.head.HeadShape;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.TrainingConfig;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Joint training on tiny residual encoders: the encoders' weights change and the loss falls; with the encoders'
 * learning rate at 0 they stay as they were; both streams get their own weights from one starting file.
 */
class JointTrainerTest {

    private static final int CLASSES = 4;
    private static final int PER_CLASS = 12;

    /** 16x16 images whose class is where a bright square sits (the corner), on noise. */
    private static JointTrainer.Data data() {
        Random r = new Random(11);
        int n = CLASSES * PER_CLASS;
        int[] labels = new int[n];
        float[][] images = new float[n][];
        for (int i = 0; i < n; i++) {
            labels[i] = i % CLASSES;
            float[] px = new float[3 * 16 * 16];
            for (int k = 0; k < px.length; k++) {
                px[k] = (float) r.nextGaussian() * 0.3f;
            }
            int ox = (labels[i] % 2) * 8;
            int oy = (labels[i] / 2) * 8;
            for (int c = 0; c < 3; c++) {
                for (int y = oy; y < oy + 8; y++) {
                    for (int x = ox; x < ox + 8; x++) {
                        px[c * 256 + y * 16 + x] += 2f;
                    }
                }
            }
            images[i] = px;
        }
        return new JointTrainer.Data(labels, row -> new JointTrainer.Pixels(images[row], images[row]), null,
                new long[]{3, 16, 16}, new long[]{3, 16, 16});
    }

    private static JointTrainer.Result train(double encoderLearningRate) {
        TrainingConfig config = new TrainingConfig(8, 16, 4, 3e-3, 4, 0.1, 0.1, 0.2, 0.5, 0.5, 7, 1);
        HeadShape shape = new HeadShape(HeadVariant.IB, 4, 4, 3, 16, 8, 6, CLASSES);
        byte[] encoder = OnnxConvNetTest.tinyResNet(7);
        return new JointTrainer(config, encoderLearningRate).train(shape, encoder, encoder, "features", data(), r -> { }, () -> false);
    }

    private static float[] features(byte[] encoder, float[] pixels) throws Exception {
        try (OrtSession s = OrtSessionFactory.cpu(1).open(encoder);
             OnnxTensor x = OnnxTensor.createTensor(OrtSessionFactory.environment(), FloatBuffer.wrap(pixels), new long[]{1, 3, 16, 16});
             OrtSession.Result out = s.run(Map.of("pixel_values", x), Set.of("features"))) {
            return ((float[][]) out.get("features").orElseThrow().getValue())[0];
        }
    }

    @Test
    void jointTrainingChangesTheEncodersAndLowersTheLoss() throws Exception {
        JointTrainer.Result joint = train(1e-2);
        List<HeadTrainer.EpochReport> h = joint.history();
        assertEquals(8, h.size());
        assertTrue(h.get(h.size() - 1).loss() < 0.8 * h.get(0).loss(), "the loss falls: " + h.get(0).loss() + " -> " + h.get(h.size() - 1).loss());

        float[] probe = new float[3 * 16 * 16];
        new Random(4).ints(probe.length).forEach(new java.util.function.IntConsumer() {
            int i;

            @Override
            public void accept(int v) {
                probe[i++] = (v % 100) / 100f;
            }
        });
        byte[] original = OnnxConvNetTest.tinyResNet(7);
        float[] before = features(original, probe);
        float[] imageAfter = features(joint.imageEncoder(), probe);
        float[] bodyAfter = features(joint.bodyEncoder(), probe);
        assertFalse(java.util.Arrays.equals(before, imageAfter), "the image encoder was trained");
        assertFalse(java.util.Arrays.equals(imageAfter, bodyAfter), "each stream has its own weights, though both started from one file");

        JointTrainer.Result frozen = train(0);
        assertArrayEquals(before, features(frozen.imageEncoder(), probe), 1e-6f, "with the encoders' rate at 0 they stay as they were");
    }
}

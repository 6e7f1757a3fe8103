package org.affectdml.trainer.encoder;

import org.affectdml.trainer.head.FeatureMatrix;
import org.affectdml.trainer.head.HeadShape;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.StepRecord;
import org.affectdml.trainer.head.TrainingConfig;
import org.affectdml.inference.onnx.SmallModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.affectdml.trainer.TrainingFixtures.gaussian;
import static org.affectdml.trainer.TrainingFixtures.recorder;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training step's numbers must not depend on when the garbage collector runs. They did: DJL's scalar overloads
 * (mul(Number), div(Number), maximum(Number)) hand libtorch a tensor over a Java buffer that the collector may free
 * before the backward pass reads it ({@link org.affectdml.trainer.head.Scalars}). Each test trains twice in this JVM
 * from the same seed (one PyTorch thread: the same numbers bit for bit), once while another thread asks for a
 * collection every millisecond, and compares every step's loss and gradients exactly. With the scalar overloads back,
 * the collected run's gradients are off by up to 1e28 in the first steps.
 */
class TrainingUnderGarbageCollectionTest {

    private static final int CLASSES = 4;
    private static final int PER_CLASS = 6;

    @Test
    void headTrainingGivesTheSameStepsWhileTheCollectorRuns() {
        HeadShape shape = new HeadShape(HeadVariant.SEM_IB, 12, 10, 9, 8, 6, 5, CLASSES);
        int[] labels = org.affectdml.trainer.TrainingFixtures.labels(CLASSES, PER_CLASS);
        Random random = new Random(11);
        FeatureMatrix features = FeatureMatrix.of(gaussian(random, labels.length, 12), gaussian(random, labels.length, 10),
                gaussian(random, labels.length, 9), labels);
        FeatureMatrix none = new FeatureMatrix(0, 12, 10, 9, new float[0], new float[0], new float[0], new int[0]);
        TrainingConfig config = new TrainingConfig(3, 8, 2, 1e-2, 1, 0.5, 0.1, 0.2, 0.5, 0.5, 5, 1, 0);
        assertSameSteps(steps -> new HeadTrainer(config).train(shape, features, none, recorder(steps), () -> false));
    }

    /** The encoders' features, and their logits (through a Gemm, whose alpha and beta are scalars of the graph). */
    @ParameterizedTest
    @ValueSource(strings = {"features", "logits"})
    void jointTrainingGivesTheSameStepsWhileTheCollectorRuns(String output) {
        int width = output.equals("logits") ? 2 : SmallModels.RESIDUAL_FEATURES;
        HeadShape shape = new HeadShape(HeadVariant.SEM_IB, width, width, 9, 8, 6, 5, CLASSES);
        int[] labels = org.affectdml.trainer.TrainingFixtures.labels(CLASSES, PER_CLASS);
        Random random = new Random(12);
        float[][] pixels = gaussian(random, labels.length, 3 * 16 * 16);
        float[][] sem = gaussian(random, labels.length, 9);
        JointTrainer.Data data = new JointTrainer.Data(labels, row -> new JointTrainer.Pixels(pixels[row], pixels[row]), sem,
                new long[]{3, 16, 16}, new long[]{3, 16, 16});
        byte[] encoder = OnnxConvNetTest.tinyResNet(7);
        TrainingConfig config = new TrainingConfig(2, 8, 2, 1e-2, 1, 0.5, 0.1, 0.2, 0.5, 0.5, 6, 1, 0);
        assertSameSteps(steps -> new JointTrainer(config, 5e-3).train(shape, encoder, encoder, output, data, recorder(steps),
                () -> false));
    }

    private static void assertSameSteps(Consumer<List<StepRecord>> training) {
        List<StepRecord> quiet = new ArrayList<>();
        training.accept(quiet);
        List<StepRecord> collected = new StepsAfterACollection();
        long collections = underConstantCollection(() -> training.accept(collected));
        // An event, not a rate: each step was recorded only after a collection since the last one.
        assertTrue(collections >= quiet.size(), "the collector ran during training (" + collections + " collections for "
                + quiet.size() + " steps)");
        assertEquals(quiet.size(), collected.size());
        for (int s = 0; s < quiet.size(); s++) {
            String step = "step " + (s + 1) + ": ";
            assertEquals(quiet.get(s).loss(), collected.get(s).loss(), step + "loss");
            for (Map.Entry<String, float[]> g : quiet.get(s).gradients().entrySet()) {
                assertArrayEquals(g.getValue(), collected.get(s).gradients().get(g.getKey()), step + "gradient of " + g.getKey());
            }
        }
    }

    /** Runs {@code work} while another thread asks for a collection every millisecond; the collections counted. */
    private static long underConstantCollection(Runnable work) {
        long before = collectionCount();
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "gc-every-millisecond");
        collector.setDaemon(true);
        collector.start();
        try {
            work.run();
        } finally {
            collector.interrupt();
        }
        return collectionCount() - before;
    }

    /**
     * Steps recorded each after at least one collection since the step before, however fast the machine trains: the
     * collector thread asks for one every millisecond, so the wait is short and only bounded against a hang.
     */
    private static final class StepsAfterACollection extends ArrayList<StepRecord> {
        private long seen = collectionCount();

        @Override
        public boolean add(StepRecord step) {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (collectionCount() <= seen) {
                assertTrue(System.nanoTime() < deadline, "no garbage collection within 30 s of a step");
                Thread.onSpinWait();
            }
            seen = collectionCount();
            return super.add(step);
        }
    }

    private static long collectionCount() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }
}

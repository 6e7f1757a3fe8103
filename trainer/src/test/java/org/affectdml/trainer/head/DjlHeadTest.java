package org.affectdml.trainer.head;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DJL side of training: the loss on the worked example, RMSprop, and the ONNX export against DJL. */
class DjlHeadTest {

    @Test
    void lossOnTheWorkedExampleOfTheNotes() {
        float[][] x = {{1.0f, 0.2f, 0.0f}, {0.8f, 0.6f, 0.1f}, {0.9f, -0.1f, 0.3f}, {0.1f, 1.0f, 0.0f},
                {0.4f, 0.9f, 0.2f}, {0.0f, 0.3f, 1.0f}, {0.2f, 0.1f, 0.9f}};
        float[][] logits = {{2, .5f, -1}, {1, 1, 0}, {.2f, .1f, 0}, {0, 2, .5f}, {-1, .3f, .3f}, {0, 0, 3}, {.5f, .5f, .5f}};
        int[] labels = {0, 0, 0, 1, 1, 2, 2};
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            DmlLoss.Value v = DmlLoss.paper().compute(m, m.create(x), m.create(logits), labels);
            assertEquals(5, v.triplets());
            assertEquals(4, v.activeTriplets());
            assertEquals(0.197909, v.triplet(), 2e-6);
            assertEquals(0.632291, v.crossEntropy(), 2e-6);
            assertEquals(0.415100, v.total().getFloat(), 2e-6);
        }
    }

    @Test
    void tripletGradientMatchesTheAnalyticFormOfNotes74() {
        // One active triplet (1,2,4) alone would be hard to isolate; check the whole triplet gradient numerically instead.
        float[][] x = {{1.0f, 0.2f, 0.0f}, {0.8f, 0.6f, 0.1f}, {0.9f, -0.1f, 0.3f}, {0.1f, 1.0f, 0.0f},
                {0.4f, 0.9f, 0.2f}, {0.0f, 0.3f, 1.0f}, {0.2f, 0.1f, 0.9f}};
        int[] labels = {0, 0, 0, 1, 1, 2, 2};
        DmlLoss tripletOnly = new DmlLoss(0.1, 0.2, 1.0, 0.0);
        float[] analytic;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray e = m.create(x);
            e.setRequiresGradient(true);
            try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                c.backward(tripletOnly.compute(m, e, m.zeros(new Shape(7, 3)), labels).total());
            }
            analytic = e.getGradient().toFloatArray();
        }
        double h = 1e-3;
        for (int i = 0; i < 7; i++) {
            for (int k = 0; k < 3; k++) {
                double numeric = (tripletValue(x, labels, i, k, h) - tripletValue(x, labels, i, k, -h)) / (2 * h);
                assertEquals(numeric, analytic[i * 3 + k], 2e-3, "d loss / d x[" + i + "][" + k + "]");
            }
        }
    }

    private static double tripletValue(float[][] x, int[] labels, int i, int k, double delta) {
        double[][] d = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            d[r] = new double[x[r].length];
            for (int c = 0; c < x[r].length; c++) {
                d[r][c] = x[r][c];
            }
        }
        d[i][k] += delta;
        // same mined triplets as at the unperturbed point (mining is not differentiated)
        var loss = org.affectdml.trainer.dml.TripletMarginLoss.affectDml();
        var miner = new org.affectdml.trainer.dml.MultiSimilarityMiner(0.1);
        double[][] xs = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            xs[r] = new double[x[r].length];
            for (int c = 0; c < x[r].length; c++) {
                xs[r][c] = x[r][c];
            }
        }
        var pairs = miner.mine(org.affectdml.trainer.dml.Embeddings.cosineSimilarity(xs), labels);
        return loss.compute(d, pairs).loss();
    }

    @Test
    void rmsPropStepFollowsPyTorchFormula() {
        try (NDManager m = NDManager.newBaseManager("PyTorch"); NDManager scratch = NDManager.newBaseManager("PyTorch")) {
            NDArray w = m.create(new float[]{1f, -2f});
            w.setRequiresGradient(true);
            RmsProp opt = new RmsProp(m);
            float[] g = {0.5f, -4f};
            double[] v = new double[2];
            double[] expected = {1, -2};
            for (int step = 0; step < 3; step++) {
                try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                    c.backward(w.mul(m.create(g)).sum());
                }
                opt.step("w", w, 0.01f, scratch);
                for (int i = 0; i < 2; i++) {
                    v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
                    expected[i] -= 0.01 * g[i] / (Math.sqrt(v[i]) + 1e-8);
                }
            }
            float[] got = w.toFloatArray();
            assertEquals(expected[0], got[0], 1e-5);
            assertEquals(expected[1], got[1], 1e-5);
        }
    }

    @Test
    void exportedOnnxHeadEqualsDjlForEveryVariant() throws Exception {
        Random random = new Random(7);
        int n = 16;
        float[][] image = org.affectdml.trainer.TrainingFixtures.gaussian(random, n, 12);
        float[][] body = org.affectdml.trainer.TrainingFixtures.gaussian(random, n, 10);
        float[][] sem = new float[n][9];
        for (float[] row : sem) {
            for (int k = 0; k < row.length; k++) {
                row[k] = random.nextBoolean() ? 1 : 0;
            }
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 4;
        }
        FeatureMatrix data = FeatureMatrix.of(image, body, sem, labels);
        for (HeadVariant variant : HeadVariant.values()) {
            HeadShape shape = new HeadShape(variant, 12, 10, 9, 16, 8, 6, 4);
            TrainingConfig config = new TrainingConfig(2, 8, 2, 1e-2, 4, 0.1, 0.1, 0.2, 0.5, 0.5, 3, 2);
            HeadWeights trained = new HeadTrainer(config).train(shape, data, FeatureMatrix.of(image, body, sem, labels),
                    r -> { }, () -> false).best();
            float[][] djl;
            try (HeadNetwork net = new HeadNetwork(shape, trained)) {
                djl = HeadTrainer.embed(net, data);
            }
            byte[] onnx = HeadOnnxExporter.export(trained, "test_head");
            try (OrtSession session = OrtSessionFactory.cpu(1).open(onnx)) {
                Map<String, OnnxTensor> feeds = new HashMap<>();
                if (variant.image()) {
                    feeds.put(Roles.HEAD_IMAGE_FEATURES, OnnxTensor.createTensor(OrtSessionFactory.environment(), image));
                }
                if (variant.body()) {
                    feeds.put(Roles.HEAD_BODY_FEATURES, OnnxTensor.createTensor(OrtSessionFactory.environment(), body));
                }
                if (variant.semantic()) {
                    feeds.put(Roles.HEAD_SEM2VEC, OnnxTensor.createTensor(OrtSessionFactory.environment(), sem));
                }
                assertEquals(feeds.keySet(), session.getInputNames(), variant + ": the head declares exactly its streams");
                assertEquals(HeadOnnxExporter.outputs(shape).stream().map(o -> o.name()).collect(java.util.stream.Collectors.toSet()),
                        session.getOutputNames(), variant + ": the embedding and one projection per stream");
                try (OrtSession.Result r = session.run(feeds)) {
                    float[][] ort = (float[][]) r.get(Roles.HEAD_EMBEDDING).orElseThrow().getValue();
                    for (int i = 0; i < n; i++) {
                        for (int k = 0; k < ort[i].length; k++) {
                            assertEquals(djl[i][k], ort[i][k], 1e-4, variant + " row " + i + " dim " + k);
                        }
                    }
                    if (variant.image()) {
                        // the image projection is the image stream's Linear: x W + b
                        float[][] p = (float[][]) r.get(Roles.HEAD_IMAGE_PROJECTION).orElseThrow().getValue();
                        float[] w = trained.get("image_w").data();
                        float[] b = trained.get("image_b").data();
                        for (int k = 0; k < shape.fusion(); k++) {
                            double sum = b[k];
                            for (int j = 0; j < 12; j++) {
                                sum += image[0][j] * w[j * shape.fusion() + k];
                            }
                            assertEquals(sum, p[0][k], 1e-4, variant + " image projection dim " + k);
                        }
                    }
                } finally {
                    feeds.values().forEach(OnnxTensor::close);
                }
            }
            if (variant.semantic()) {
                float[] var = trained.get("bn_var").data();
                assertTrue(var[0] != 1f, "BatchNorm running statistics were updated, so the fold is really tested");
            }
        }
    }

    @Test
    void samplerMakesBatchesOfMPerClass() {
        int[] labels = new int[100];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i < 60 ? 0 : i < 90 ? 1 : i < 97 ? 2 : 3;
        }
        MPerClassSampler sampler = new MPerClassSampler(labels, 4, 32);
        List<int[]> batches = sampler.epoch(new Random(1));
        assertEquals(96 / 32, batches.size());
        assertEquals(batches.size(), sampler.batchesPerEpoch());
        int[] counts = new int[4];
        for (int[] b : batches) {
            assertEquals(32, b.length);
            for (int i : b) {
                counts[labels[i]]++;
            }
        }
        assertEquals(List.of(24, 24, 24, 24), List.of(counts[0], counts[1], counts[2], counts[3]),
                "each pass draws 4 of every class, the 3-member class with replacement");
    }
}

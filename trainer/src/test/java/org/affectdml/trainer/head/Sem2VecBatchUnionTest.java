package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The public code's batch-union Sem2Vec: every row of a batch gets the union of the batch's rows. */
class Sem2VecBatchUnionTest {

    @Test
    void everyRowOfABatchGetsTheUnion() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray rows = m.create(new float[][]{{1, 0, 0, 0}, {0, 0, 1, 0}, {0, 0, 1, 0}});
            assertArrayEquals(new float[]{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, Sem2VecBatchUnion.apply(rows).toFloatArray());
        }
    }

    @Test
    void consecutiveGroupsOfTheBatchSize() {
        float[][] rows = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 0, 0}, {0, 1, 0}};
        float[][] union = Sem2VecBatchUnion.apply(rows, 2);
        assertArrayEquals(new float[]{1, 1, 0}, union[0]);
        assertArrayEquals(new float[]{1, 1, 0}, union[1]);
        assertArrayEquals(new float[]{0, 0, 1}, union[2]);
        assertArrayEquals(new float[]{0, 0, 1}, union[3]);
        assertArrayEquals(new float[]{0, 1, 0}, union[4], "the last, smaller group");
        assertArrayEquals(new float[]{1, 0, 0}, rows[0], "the input is left as it was");
    }

    @Test
    void theSwitchReachesTheTrainingLoss() {
        HeadShape shape = new HeadShape(HeadVariant.SEM_IB, 6, 6, 8, 8, 6, 5, 4);
        int[] labels = org.affectdml.trainer.TrainingFixtures.labels(4, 6);
        java.util.Random random = new java.util.Random(3);
        float[][] sem = new float[labels.length][8];
        for (int i = 0; i < sem.length; i++) {
            sem[i][i % 8] = 1;  // one class per image: the unions differ from every row
        }
        FeatureMatrix train = FeatureMatrix.of(org.affectdml.trainer.TrainingFixtures.gaussian(random, labels.length, 6),
                org.affectdml.trainer.TrainingFixtures.gaussian(random, labels.length, 6), sem, labels);
        FeatureMatrix none = new FeatureMatrix(0, 6, 6, 8, new float[0], new float[0], new float[0], new int[0]);
        TrainingConfig config = new TrainingConfig(1, 8, 2, 1e-2, 1, 0.5, 0.1, 0.2, 0.5, 0.5, 5, 1, 0);
        java.util.List<StepRecord> perImage = new java.util.ArrayList<>();
        java.util.List<StepRecord> union = new java.util.ArrayList<>();
        new HeadTrainer(config).train(shape, train, none, org.affectdml.trainer.TrainingFixtures.recorder(perImage), () -> false);
        new HeadTrainer(config.withSem2vecBatchUnion(true)).train(shape, train, none, org.affectdml.trainer.TrainingFixtures.recorder(union),
                () -> false);
        assertEquals(perImage.get(0).rows().length, union.get(0).rows().length);
        assertArrayEquals(perImage.get(0).rows(), union.get(0).rows(), "the same batches");
        org.junit.jupiter.api.Assertions.assertNotEquals(perImage.get(0).loss(), union.get(0).loss(), "but other Sem2Vec inputs");
    }

    @Test
    void aManifestSaysWhetherAndOverHowManyPersons() {
        assertEquals(0, Sem2VecBatchUnion.batchOf(Map.of("batch_size", 32)));
        assertEquals(32, Sem2VecBatchUnion.batchOf(Map.of("batch_size", 32, "sem2vec_batch_union", true)));
        assertEquals(true, TrainingConfig.paper(1).withSem2vecBatchUnion(true).asMap().get("sem2vec_batch_union"));
        assertEquals(null, TrainingConfig.paper(1).asMap().get("sem2vec_batch_union"), "absent from per-image runs' manifests");
    }
}

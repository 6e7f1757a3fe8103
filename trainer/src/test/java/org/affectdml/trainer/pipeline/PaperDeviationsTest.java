package org.affectdml.trainer.pipeline;

import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.trainer.protocol.SplitRule;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The "Not the paper's setup" line from a manifest alone: what was trained, the epoch kept and why, alpha and beta. */
class PaperDeviationsTest {

    private static BundleManifest trained(Map<String, Object> hyper) {
        return new BundleManifest(BundleManifest.FORMAT, "child-1", "2026-12-06T00:00:00Z", "parent-1", "a trained head",
                BundleAssembly.HEAD_KIND, 128, "synthetic", "CAT-6:6", "Sem-IB-DML", hyper, Map.of(), Map.of());
    }

    @Test
    void aJointRunWithoutValidationPersonsKeptItsLastEpochAndTrainedOnCrossEntropyAlone() {
        Map<String, Object> hyper = new LinkedHashMap<>();
        hyper.put("epochs", 4);
        hyper.put("best_epoch", 4);
        hyper.put("epoch_selection", "last");
        hyper.put("validation_fraction", 0.1);  // asked for, but the split gave no validation person
        hyper.put("metric_loss_weight", 0.0);
        hyper.put("classifier_loss_weight", 1.0);
        hyper.put("encoder_learning_rate", 1e-4);
        String line = PaperDeviations.of(trained(hyper), SplitRule.IMAGE_DISJOINT);
        assertTrue(line.startsWith("both encoders were trained with the head (as the paper) from parent-1's"), line);
        assertTrue(line.contains("epoch 4 of 4 kept, the last (no validation persons"), line);
        assertTrue(line.contains("loss weights alpha 0.0 (triplet), beta 1.0 (cross-entropy): cross-entropy only"), line);
        assertTrue(line.contains("image-disjoint split"), line);
    }

    @Test
    void aHeadOnlyRunSelectedOnValidationWithThePapersWeights() {
        Map<String, Object> hyper = new LinkedHashMap<>();
        hyper.put("epochs", 12);
        hyper.put("best_epoch", 7);
        hyper.put("epoch_selection", "best-validation");
        hyper.put("metric_loss_weight", 0.5);
        hyper.put("classifier_loss_weight", 0.5);
        String line = PaperDeviations.of(trained(hyper), SplitRule.POOLED);
        assertTrue(line.startsWith("only the head was trained, on frozen encoder features of parent-1"), line);
        assertTrue(line.contains("epoch 7 of 12 kept, the best by one-shot accuracy on a base-class validation split"), line);
        assertTrue(line.contains("loss weights alpha 0.5 (triplet), beta 0.5 (cross-entropy), as the paper"), line);
        assertFalse(line.contains("image-disjoint"), line);
        assertFalse(line.contains("union"), line);
        hyper.put("batch_size", 32);
        hyper.put("sem2vec_batch_union", true);
        assertTrue(PaperDeviations.of(trained(hyper), SplitRule.POOLED).contains("Sem2Vec as the public code computes it, the union over each "
                + "batch of 32 persons"), "a batch-union run says so");
    }
}

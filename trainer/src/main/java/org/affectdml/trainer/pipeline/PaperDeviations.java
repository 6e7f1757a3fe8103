package org.affectdml.trainer.pipeline;

import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.DefaultHead;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.trainer.head.Sem2VecBatchUnion;
import org.affectdml.trainer.protocol.SplitRule;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The line an evaluation report prints next to the paper's column: how the evaluated bundle and protocol differ from
 * the paper's setup (docs/method.md §8), derived from the bundle's manifest and the run, so it cannot go stale.
 */
final class PaperDeviations {

    private PaperDeviations() {
    }

    /**
     * A bundle as its manifest describes it: trained by this run (its staged draft) or stored. What was trained and
     * from what, the epoch kept and the loss weights used come from the manifest's hyper-parameters, so the line
     * cannot disagree with the bundle.
     */
    static String of(BundleManifest bundle, SplitRule split) {
        List<String> parts = new ArrayList<>();
        Map<String, Object> hyper = bundle.hyperparameters();
        if (DefaultHead.KIND.equals(bundle.headKind())) {
            parts.add("untrained head (a fixed random projection) on untrained-for-emotion encoders");
        } else {
            if (hyper.containsKey("encoder_learning_rate")) {
                parts.add("both encoders were trained with the head (as the paper) from " + bundle.parent()
                        + "'s, BatchNorm folded into the convolutions, the segmenter frozen");
            } else {
                parts.add("only the head was trained, on frozen encoder features of " + bundle.parent()
                        + " (the paper trains both ResNet encoders with it)");
            }
            parts.add(epochKept(hyper));
            parts.add(lossWeights(hyper));
            if (Sem2VecBatchUnion.batchOf(hyper) > 0) {
                parts.add("Sem2Vec as the public code computes it, the union over each batch of " + hyper.get("batch_size")
                        + " persons, in training and in this evaluation (a reproduction aid; the paper's Eq. 3 and the services use each image's own)");
            }
        }
        parts.addAll(ofModels(bundle));
        if (split == SplitRule.IMAGE_DISJOINT) {
            parts.add("image-disjoint split (the paper pools persons, so one image can be on both sides)");
        }
        return String.join("; ", parts);
    }

    /** The epoch the bundle keeps and why (the public code picks its epoch on the query set itself). */
    private static String epochKept(Map<String, Object> hyper) {
        Object best = hyper.get("best_epoch");
        Object epochs = hyper.get("epochs");
        if (best == null || epochs == null) {
            return "the epoch kept is not recorded";
        }
        boolean validated = hyper.containsKey("epoch_selection") ? "best-validation".equals(hyper.get("epoch_selection"))
                : hyper.get("validation_fraction") instanceof Number n && n.doubleValue() > 0;  // bundles from before the record
        return "epoch " + best + " of " + epochs + " kept, " + (validated
                ? "the best by one-shot accuracy on a base-class validation split (the public code picks it on the query set)"
                : "the last (no validation persons; the public code picks the best on the query set)");
    }

    /** Eq. 7's weights as used: alpha on the triplet loss, beta on the cross-entropy. */
    private static String lossWeights(Map<String, Object> hyper) {
        Object alpha = hyper.get("metric_loss_weight");
        Object beta = hyper.get("classifier_loss_weight");
        if (alpha == null || beta == null) {
            return "loss weights not recorded";
        }
        boolean paper = ((Number) alpha).doubleValue() == 0.5 && ((Number) beta).doubleValue() == 0.5;
        boolean crossEntropyOnly = ((Number) alpha).doubleValue() == 0;
        return "loss weights alpha " + alpha + " (triplet), beta " + beta + " (cross-entropy)"
                + (paper ? ", as the paper" : crossEntropyOnly ? ": cross-entropy only (the paper: 0.5, 0.5)" : " (the paper: 0.5, 0.5)");
    }

    private static List<String> ofModels(BundleManifest m) {
        List<String> parts = new ArrayList<>();
        ModelFile image = m.file(Roles.IMAGE_ENCODER);
        ModelFile body = m.file(Roles.BODY_ENCODER);
        if (image != null && !image.outputs().isEmpty() && image.outputs().get(0).lastDim() != 1000) {
            parts.add("encoders give pooled " + image.outputs().get(0).lastDim() + "-d features (the paper's code uses the 1000 logits)");
        }
        if (image != null && body != null && image.sha256().equals(body.sha256())) {
            parts.add("one encoder file for both streams (the paper's code has one ResNet per stream)");
        }
        if (image != null && image.preprocessing() != null) {
            Preprocessing p = image.preprocessing();
            parts.add(String.format(Locale.ROOT, "encoder input %s, mean/std normalised (the code: 256² raw pixels)",
                    Preprocessing.EXACT.equals(p.resize()) ? p.width() + "×" + p.height() : "shorter side " + p.shorterSide()));
        }
        ModelFile segmenter = m.file(Roles.SEGMENTER);
        if (segmenter != null) {
            parts.add("Sem2Vec from " + segmenter.path() + ", argmax at its output resolution (not the paper's segmenter)");
        }
        return parts;
    }
}

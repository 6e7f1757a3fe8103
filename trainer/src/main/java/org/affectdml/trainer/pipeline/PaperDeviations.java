package org.affectdml.trainer.pipeline;

import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.DefaultHead;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.trainer.protocol.SplitRule;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The line an evaluation report prints next to the paper's column: how the evaluated bundle and protocol differ from
 * the paper's setup (docs/method.md §8), derived from the bundle's manifest and the run, so it cannot go stale.
 */
final class PaperDeviations {

    private PaperDeviations() {
    }

    /** A head trained by this run on the parent's frozen encoder features. */
    static String ofTrainedHead(BundleManifest parent, TrainingRequest request) {
        List<String> parts = new ArrayList<>();
        if (request.encoderLearningRate() == null) {
            parts.add("only the head was trained, on frozen encoder features of " + parent.version()
                    + " (the paper trains both ResNet encoders with it)");
        } else {
            parts.add("both encoders were trained with the head (as the paper) from " + parent.version()
                    + "'s, BatchNorm folded into the convolutions, the segmenter frozen, the last epoch kept");
        }
        parts.addAll(ofModels(parent));
        parts.addAll(ofRun(request.split(), request.config().alpha(), request.config().beta()));
        return String.join("; ", parts);
    }

    /** A stored bundle evaluated as it is. */
    static String ofStoredBundle(BundleManifest bundle, SplitRule split) {
        List<String> parts = new ArrayList<>();
        if (DefaultHead.KIND.equals(bundle.headKind())) {
            parts.add("untrained head (a fixed random projection) on untrained-for-emotion encoders");
        } else {
            parts.add("the head was trained on frozen encoder features of " + bundle.parent() + " (the paper trains the encoders too)");
        }
        parts.addAll(ofModels(bundle));
        parts.addAll(ofRun(split, 0.5, 0.5));
        return String.join("; ", parts);
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

    private static List<String> ofRun(SplitRule split, double alpha, double beta) {
        List<String> parts = new ArrayList<>();
        if (split == SplitRule.IMAGE_DISJOINT) {
            parts.add("image-disjoint split (the paper pools persons, so one image can be on both sides)");
        }
        if (alpha != 0.5 || beta != 0.5) {
            parts.add(String.format(Locale.ROOT, "loss weights alpha %s, beta %s (the paper: 0.5, 0.5)%s", alpha, beta,
                    alpha == 0 ? ", i.e. cross-entropy only" : ""));
        }
        return parts;
    }
}

package org.affectdml.trainer.pipeline;

import org.affectdml.trainer.eval.Evaluator;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.TrainingConfig;
import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.Protocol;
import org.affectdml.trainer.protocol.SplitRule;

import java.nio.file.Path;

/**
 * Everything a training run needs.
 *
 * @param dataset            EMOTIC-format data set directory (annotations found by {@link DatasetLocator})
 * @param baseVersion        bundle whose encoders and segmenter extract features (and are reused); null = active
 * @param validationFraction share of each base class held out for model selection
 * @param evaluationDraws    support draws for the mean and interval (the paper uses one)
 * @param supportSeed        seed of the paper-protocol single support draw (draws use seed+1..)
 * @param split              how the pooled persons are split (the paper's pooled split, or image-disjoint)
 * @param encoderLearningRate null: the encoders stay frozen and only the head trains (on cached features); otherwise
 *                           both encoders train with the head at this rate (the paper's joint training)
 */
public record TrainingRequest(Path dataset, Protocol protocol, Dimension dimension, HeadVariant variant, TrainingConfig config,
                              String baseVersion, boolean activate, double validationFraction, int evaluationDraws,
                              long supportSeed, SplitRule split, Double encoderLearningRate) {

    public TrainingRequest {
        if (protocol.kind() == Protocol.Kind.LEVEL && dimension == null) {
            throw new IllegalArgumentException(Evaluator.protocolName(protocol) + " needs a dimension: valence, arousal or dominance");
        }
        if (protocol.kind() == Protocol.Kind.CATEGORICAL) {
            dimension = null;
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validationFraction);
        }
        if (evaluationDraws < 1) {
            throw new IllegalArgumentException("evaluation draws must be at least 1, got " + evaluationDraws);
        }
        config.validate();
        if (split == null) {
            split = SplitRule.POOLED;
        }
        if (encoderLearningRate != null && !(encoderLearningRate > 0 && encoderLearningRate < 1)) {
            throw new IllegalArgumentException("the encoders' learning rate must be in (0, 1), got " + encoderLearningRate);
        }
    }
}

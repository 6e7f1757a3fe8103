package org.affectdml.trainer.service;

import org.affectdml.serving.InferenceConfig;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.service.errors.Inputs;
import org.affectdml.proto.v1.StartTrainingRequest;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.TrainingConfig;
import org.affectdml.trainer.pipeline.DatasetLocator;
import org.affectdml.trainer.pipeline.TrainingRequest;
import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.Protocol;
import org.affectdml.trainer.protocol.SplitRule;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Checks a StartTrainingRequest before a job is created (INVALID_ARGUMENT / FAILED_PRECONDITION naming the
 * field) and fills the paper's defaults: Sem-IB, 100 epochs, batch 32, RMSprop 3.5e-4 (3.5e-6 for LEV-6:4),
 * seed 42.
 */
@ApplicationScoped
public class TrainingRequests {

    static final int DEFAULT_EPOCHS = 100;

    @Inject
    TrainerConfig config;
    @Inject
    InferenceConfig inference;

    public TrainingRequest toTrainingRequest(StartTrainingRequest r) {
        Protocol protocol = switch (r.getProtocol()) {
            case PROTOCOL_CAT_6_6 -> Protocol.CAT_6_6;
            case PROTOCOL_CAT_6_4 -> Protocol.CAT_6_4;
            case PROTOCOL_LEV_7_3 -> Protocol.LEV_7_3;
            case PROTOCOL_LEV_6_4 -> Protocol.LEV_6_4;
            default -> throw invalid("protocol is required: PROTOCOL_CAT_6_6, PROTOCOL_CAT_6_4, PROTOCOL_LEV_7_3 or PROTOCOL_LEV_6_4");
        };
        Dimension dimension = switch (r.getDimension()) {
            case DIMENSION_VALENCE -> Dimension.VALENCE;
            case DIMENSION_AROUSAL -> Dimension.AROUSAL;
            case DIMENSION_DOMINANCE -> Dimension.DOMINANCE;
            default -> null;
        };
        if (protocol.kind() == Protocol.Kind.LEVEL && dimension == null) {
            throw invalid("dimension is required for the LEV protocols: DIMENSION_VALENCE, DIMENSION_AROUSAL or DIMENSION_DOMINANCE");
        }
        HeadVariant variant = switch (r.getVariant()) {
            case VARIANT_I -> HeadVariant.I;
            case VARIANT_B -> HeadVariant.B;
            case VARIANT_IB -> HeadVariant.IB;
            case VARIANT_SEM_I -> HeadVariant.SEM_I;
            default -> HeadVariant.SEM_IB;
        };
        if (r.getEpochs() < 0 || r.getBatchSize() < 0 || r.getLearningRate() < 0 || r.getWarmupSteps() < 0) {
            throw invalid("epochs, batch_size, learning_rate and warmup_steps must not be negative (0 = the paper's default)");
        }
        Path dataset = dataset(r.getDatasetPath());
        ModelStore store = new ModelStore(inference.modelStore().path());
        if (!r.getBaseModelVersion().isEmpty() && !BundleManifest.VERSION_PATTERN.matcher(r.getBaseModelVersion()).matches()) {
            throw invalid("base_model_version " + Inputs.quoted(r.getBaseModelVersion())
                    + " is not a bundle version (1-128 of A-Z, a-z, 0-9, '.', '_', '-')");
        }
        if (!r.getBaseModelVersion().isEmpty() && !store.contains(r.getBaseModelVersion())) {
            throw invalid("base_model_version " + Inputs.quoted(r.getBaseModelVersion()) + " is not in the model store");
        }
        if (r.getBaseModelVersion().isEmpty() && store.activeVersion().isEmpty()) {
            throw Status.FAILED_PRECONDITION.withDescription("no active bundle to take the encoders from: activate one or set base_model_version")
                    .asRuntimeException();
        }
        TrainingConfig paper = TrainingConfig.paper(r.getEpochs() > 0 ? r.getEpochs() : DEFAULT_EPOCHS);
        double lr = r.getLearningRate() > 0 ? r.getLearningRate() : protocol == Protocol.LEV_6_4 ? 3.5e-6 : paper.learningRate();
        TrainingConfig training = new TrainingConfig(paper.epochs(), r.getBatchSize() > 0 ? r.getBatchSize() : paper.batchSize(),
                paper.samplesPerClass(), lr, paper.lrStepEpochs(), paper.lrGamma(), paper.epsilon(), paper.margin(), paper.alpha(),
                paper.beta(), r.getSeed() != 0 ? r.getSeed() : paper.seed(), paper.validationDraws())
                .withLossWeights(r.hasAlpha() ? r.getAlpha() : paper.alpha(), r.hasBeta() ? r.getBeta() : paper.beta())
                .withWarmupSteps(r.getWarmupSteps());
        SplitRule split = r.getSplit() == org.affectdml.proto.v1.Split.SPLIT_IMAGE_DISJOINT ? SplitRule.IMAGE_DISJOINT : SplitRule.POOLED;
        try {
            return new TrainingRequest(dataset, protocol, dimension, variant, training,
                    r.getBaseModelVersion().isEmpty() ? null : r.getBaseModelVersion(), r.getActivate(),
                    config.validationFraction(), config.evaluationDraws(), config.supportSeed(), split,
                    r.hasEncoderLearningRate() ? r.getEncoderLearningRate() : null);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    private Path dataset(String path) {
        if (path.isBlank()) {
            throw invalid("dataset_path is required: a directory with EMOTIC annotations (Annotations.mat or train/val/test.csv) and images");
        }
        Inputs.requireText("dataset_path", path, MAX_PATH, false);
        Path root = config.datasetRoot().toAbsolutePath().normalize();
        Path dataset;
        try {
            dataset = root.resolve(path).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw invalid("dataset_path " + Inputs.quoted(path) + " is not a path this machine can have");
        }
        if (!dataset.startsWith(root)) {
            throw invalid("dataset_path " + Inputs.quoted(path) + " is outside the trainer's data set root " + root + " (affect.trainer.dataset-root)");
        }
        try {
            DatasetLocator.annotations(dataset);
        } catch (IOException e) {
            // the locator's reason names the resolved directory: at most the root plus MAX_PATH characters, all printable
            throw invalid("dataset_path " + Inputs.quoted(path) + ": " + e.getMessage().replace(dataset.toString(), "that directory"));
        }
        return dataset;
    }

    /** Longest dataset_path, in characters. */
    static final int MAX_PATH = 1024;

    private static RuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}

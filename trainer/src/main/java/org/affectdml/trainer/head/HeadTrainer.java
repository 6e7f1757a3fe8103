package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.affectdml.trainer.eval.OneShot;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Trains the head with DJL on cached features ({@link TrainingLoop}: m-per-class batches, MS miner + triplet margin +
 * cross-entropy, RMSprop with StepLR, fixed seeds). After every epoch the head embeds the base-class validation split
 * and the epoch with the best mean balanced one-shot 1-NN accuracy is kept (never selected on the query set).
 */
public final class HeadTrainer {

    /** What an epoch did. */
    public record EpochReport(int epoch, int epochs, double learningRate, double loss, double tripletLoss,
                              double crossEntropy, double activeTripletsPerBatch, double validationAccuracy,
                              double seconds, boolean best) {
    }

    /** Called after every batch and every epoch; used for logs and the WatchJob stream. */
    public interface Listener {
        default void batch(int epoch, int batch, int batches) {
        }

        void epoch(EpochReport report);

        /** Whether {@link #step} is wanted: each record copies every gradient and weight, so it is off by default. */
        default boolean recordsSteps() {
            return false;
        }

        /** After each step, when {@link #recordsSteps()}. */
        default void step(StepRecord record) {
        }
    }

    public record Result(HeadWeights best, int bestEpoch, List<EpochReport> history) {
    }

    private final TrainingConfig config;

    public HeadTrainer(TrainingConfig config) {
        config.validate();
        this.config = config;
    }

    /**
     * @param train      base-class training rows, labels 0..C_base-1
     * @param validation base-class validation rows (may have no rows: then the last epoch is kept)
     */
    public Result train(HeadShape shape, FeatureMatrix train, FeatureMatrix validation, Listener listener, BooleanSupplier cancelled) {
        DmlLoss loss = new DmlLoss(config.epsilon(), config.margin(), config.alpha(), config.beta());
        FeatureMatrix validated = config.sem2vecBatchUnion() ? validation.withSem2vecUnion(config.batchSize()) : validation;
        try (HeadNetwork net = new HeadNetwork(shape, config.seed())) {
            List<TrainingLoop.Group> groups = List.of(new TrainingLoop.Group("", net.parameters(), config.learningRate()));
            TrainingLoop.Kept<HeadWeights> kept = new TrainingLoop(config).run(new TrainingLoop.Model<>() {
                @Override
                public DmlLoss.Value loss(NDManager scratch, int[] rows) {
                    NDArray sem = train.sem(scratch, rows);
                    if (config.sem2vecBatchUnion() && shape.variant().semantic()) {
                        sem = Sem2VecBatchUnion.apply(sem);
                    }
                    HeadNetwork.Output out = net.forward(scratch, train.image(scratch, rows), train.body(scratch, rows), sem, true);
                    return loss.compute(scratch, out.embedding(), out.logits(), train.labels(rows));
                }

                @Override
                public List<TrainingLoop.Group> groups() {
                    return groups;
                }

                @Override
                public double validationAccuracy() {
                    return validation.rows() == 0 ? Double.NaN : OneShot.meanBalancedAccuracy(embed(net, validated), validation.labels(),
                            shape.classes(), config.validationDraws(), config.seed());
                }

                @Override
                public HeadWeights snapshot() {
                    return net.snapshot();
                }

                @Override
                public java.util.Map<String, float[]> weights() {
                    return StepRecord.valuesOf(net.snapshot(), "", StepRecord.newMap());
                }
            }, train.labels(), listener, cancelled);
            return new Result(kept.snapshot(), kept.epoch(), kept.history());
        }
    }

    /** Rows of {@code z} scaled to unit length, into {@code out} from row {@code start}. */
    public static void putUnitRows(NDArray z, float[][] out, int start) {
        NDArray unit = z.div(z.norm(new int[]{1}, true).maximum(Scalars.like(z, 1e-12)));
        float[] flat = unit.toFloatArray();
        int d = (int) unit.getShape().get(1);
        int rows = (int) unit.getShape().get(0);
        for (int i = 0; i < rows; i++) {
            out[start + i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
    }

    /** L2-normalised embeddings of all rows in eval mode (BatchNorm on running statistics). */
    public static float[][] embed(HeadNetwork net, FeatureMatrix data) {
        float[][] out = new float[data.rows()][];
        int chunk = 1024;
        for (int start = 0; start < data.rows(); start += chunk) {
            int[] idx = new int[Math.min(chunk, data.rows() - start)];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = start + i;
            }
            try (NDManager scratch = NDManager.newBaseManager("PyTorch")) {
                NDArray z = net.forward(scratch, data.image(scratch, idx), data.body(scratch, idx), data.sem(scratch, idx), false).embedding();
                putUnitRows(z, out, start);
            }
        }
        return out;
    }
}

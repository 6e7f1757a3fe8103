package org.affectdml.trainer.head;

/**
 * Hyper-parameters of head training, defaults from the paper and its code (docs/method.md §5, §8): RMSprop 3.5e-4,
 * StepLR x0.1 every 4 epochs (applied to the whole head, the paper's intent), batch 32 with 4 per class,
 * MS miner epsilon 0.1, triplet margin 0.2, alpha = beta = 0.5, seed 42; no warm-up (an option, not the paper's).
 *
 * @param warmupSteps the first steps' learning rates are scaled by (t + 1) / warmupSteps (t = 0-based step), since
 *                    RMSprop's first step moves every weight by about 10·lr·sign(g) whatever the gradient's size;
 *                    0 = none (the paper's)
 */
public record TrainingConfig(int epochs, int batchSize, int samplesPerClass, double learningRate, int lrStepEpochs,
                             double lrGamma, double epsilon, double margin, double alpha, double beta, long seed,
                             int validationDraws, int warmupSteps, boolean sem2vecBatchUnion) {

    /** Longest warm-up accepted, in steps. */
    public static final int MAX_WARMUP_STEPS = 100_000;

    public TrainingConfig(int epochs, int batchSize, int samplesPerClass, double learningRate, int lrStepEpochs, double lrGamma,
                          double epsilon, double margin, double alpha, double beta, long seed, int validationDraws) {
        this(epochs, batchSize, samplesPerClass, learningRate, lrStepEpochs, lrGamma, epsilon, margin, alpha, beta, seed,
                validationDraws, 0);
    }

    /** Sem2Vec per image (Eq. 3), as everywhere but in {@link #withSem2vecBatchUnion}. */
    public TrainingConfig(int epochs, int batchSize, int samplesPerClass, double learningRate, int lrStepEpochs, double lrGamma,
                          double epsilon, double margin, double alpha, double beta, long seed, int validationDraws, int warmupSteps) {
        this(epochs, batchSize, samplesPerClass, learningRate, lrStepEpochs, lrGamma, epsilon, margin, alpha, beta, seed,
                validationDraws, warmupSteps, false);
    }

    public static TrainingConfig paper(int epochs) {
        return new TrainingConfig(epochs, 32, 4, 3.5e-4, 4, 0.1, 0.1, 0.2, 0.5, 0.5, 42, 20, 0);
    }

    public TrainingConfig withLearningRate(double lr) {
        return new TrainingConfig(epochs, batchSize, samplesPerClass, lr, lrStepEpochs, lrGamma, epsilon, margin, alpha, beta,
                seed, validationDraws, warmupSteps, sem2vecBatchUnion);
    }

    public TrainingConfig withSeed(long s) {
        return new TrainingConfig(epochs, batchSize, samplesPerClass, learningRate, lrStepEpochs, lrGamma, epsilon, margin,
                alpha, beta, s, validationDraws, warmupSteps, sem2vecBatchUnion);
    }

    /** Loss weights of Eq. 7: alpha on the triplet loss, beta on the cross-entropy (alpha = 0: cross-entropy only). */
    public TrainingConfig withLossWeights(double a, double b) {
        return new TrainingConfig(epochs, batchSize, samplesPerClass, learningRate, lrStepEpochs, lrGamma, epsilon, margin, a, b, seed,
                validationDraws, warmupSteps, sem2vecBatchUnion);
    }

    /** The same with a warm-up of {@code steps} steps (0 = none). */
    public TrainingConfig withWarmupSteps(int steps) {
        return new TrainingConfig(epochs, batchSize, samplesPerClass, learningRate, lrStepEpochs, lrGamma, epsilon, margin, alpha, beta,
                seed, validationDraws, steps, sem2vecBatchUnion);
    }

    /**
     * A reproduction aid, not the method: Sem2Vec as the paper's public code computes it, the union over each batch of
     * the Sem2Vec of its persons (in training, model selection and the evaluation of the bundle; {@link
     * Sem2VecBatchUnion}), to test whether the Sem-* gains come from batch composition (docs/method.md §4.3).
     */
    public TrainingConfig withSem2vecBatchUnion(boolean union) {
        return new TrainingConfig(epochs, batchSize, samplesPerClass, learningRate, lrStepEpochs, lrGamma, epsilon, margin, alpha, beta,
                seed, validationDraws, warmupSteps, union);
    }

    public void validate() {
        if (!(alpha >= 0 && alpha <= 100 && beta >= 0 && beta <= 100) || alpha + beta == 0) {
            throw new IllegalArgumentException("loss weights alpha (triplet) and beta (cross-entropy) must be in [0, 100] and not both 0, got "
                    + alpha + " and " + beta);
        }
        if (epochs < 1 || batchSize < 2 || samplesPerClass < 2 || learningRate <= 0 || lrStepEpochs < 1 || lrGamma <= 0
                || validationDraws < 1) {
            throw new IllegalArgumentException("invalid training configuration " + this
                    + ": epochs >= 1, batch >= 2, samples per class >= 2, learning rate > 0, lr step >= 1, gamma > 0, draws >= 1");
        }
        if (warmupSteps < 0 || warmupSteps > MAX_WARMUP_STEPS) {
            throw new IllegalArgumentException("warm-up steps must be in [0, " + MAX_WARMUP_STEPS + "] (0 = none), got " + warmupSteps);
        }
    }

    /** Learning rate of epoch e (0-based): StepLR stepped at the end of every epoch (before any warm-up). */
    public double learningRateAt(int epoch) {
        return learningRate * scheduleFactor(epoch, Long.MAX_VALUE);
    }

    /**
     * What multiplies a base learning rate (the head's, and the encoders' in joint training) at 0-based {@code epoch}
     * and 0-based training {@code step}: StepLR's gamma^(epoch / lrStepEpochs), times the warm-up's
     * min(1, (step + 1) / warmupSteps).
     */
    public double scheduleFactor(int epoch, long step) {
        double warmup = warmupSteps == 0 ? 1 : Math.min(1.0, (step + 1) / (double) warmupSteps);
        return Math.pow(lrGamma, epoch / lrStepEpochs) * warmup;
    }

    /** As the manifest records it. */
    public java.util.Map<String, Object> asMap() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("epochs", epochs);
        m.put("batch_size", batchSize);
        m.put("samples_per_class", samplesPerClass);
        m.put("optimizer", "RMSprop(alpha=0.99, eps=1e-8)");
        m.put("learning_rate", learningRate);
        m.put("lr_step_epochs", lrStepEpochs);
        m.put("lr_gamma", lrGamma);
        m.put("warmup_steps", warmupSteps);
        m.put("miner", "MultiSimilarityMiner(epsilon=" + epsilon + ")");
        m.put("metric_loss", "TripletMarginLoss(margin=" + margin + ", all combinations, mean over non-zero)");
        m.put("metric_loss_weight", alpha);
        m.put("classifier_loss_weight", beta);
        m.put("seed", seed);
        if (sem2vecBatchUnion) {
            m.put(Sem2VecBatchUnion.MANIFEST_KEY, true);
        }
        m.put("model_selection", "best epoch by mean balanced 1-NN accuracy over " + validationDraws
                + " support draws on the base-class validation split");
        return m;
    }
}

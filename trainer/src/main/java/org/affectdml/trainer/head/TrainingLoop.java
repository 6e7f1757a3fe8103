package org.affectdml.trainer.head;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * The optimisation both trainers share (head alone on cached features, or jointly with the encoders): m-per-class
 * batches from a seeded sampler, Eq. 7's loss and its gradients, one RMSprop step per parameter at its group's base
 * rate times the schedule (StepLR and warm-up, {@link TrainingConfig#scheduleFactor}), the listener's progress and
 * step records, and after every epoch the model selection: the epoch with the best validation accuracy is kept, or
 * the last one when there is no validation data. What is trained, and how a batch is computed, is the {@link Model}'s.
 */
public final class TrainingLoop {

    /** Parameters trained at one base learning rate; their names carry {@code prefix} in records and optimiser state. */
    public record Group(String prefix, Map<String, NDArray> parameters, double baseRate) {
    }

    /** What the loop trains. */
    public interface Model<S> {
        /** The batch's loss in training mode, computed while the loop records gradients. */
        DmlLoss.Value loss(NDManager scratch, int[] rows);

        List<Group> groups();

        /** Mean balanced one-shot accuracy on the validation data after an epoch, or NaN when there is none. */
        double validationAccuracy();

        /** What is kept of the model if this epoch is the one selected. */
        S snapshot();

        /** Every weight after a step, by name (with the groups' prefixes), for step records. */
        Map<String, float[]> weights();
    }

    /** The kept epoch's snapshot (1-based {@code epoch}) and every epoch's report. */
    public record Kept<S>(S snapshot, int epoch, List<HeadTrainer.EpochReport> history) {
    }

    private final TrainingConfig config;

    public TrainingLoop(TrainingConfig config) {
        config.validate();
        this.config = config;
    }

    public <S> Kept<S> run(Model<S> model, int[] labels, HeadTrainer.Listener listener, BooleanSupplier cancelled) {
        Random random = new Random(config.seed());
        MPerClassSampler sampler = new MPerClassSampler(labels, config.samplesPerClass(), config.batchSize());
        List<HeadTrainer.EpochReport> history = new ArrayList<>();
        S kept = null;
        int keptEpoch = 0;
        double bestAccuracy = Double.NEGATIVE_INFINITY;
        try (NDManager state = NDManager.newBaseManager("PyTorch")) {
            RmsProp optimizer = new RmsProp(state);
            long step = 0;
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                List<int[]> batches = sampler.epoch(random);
                EpochLosses losses = new EpochLosses();
                for (int b = 0; b < batches.size(); b++) {
                    if (cancelled.getAsBoolean()) {
                        throw new CancellationException("training cancelled in epoch " + (epoch + 1));
                    }
                    step(model, optimizer, losses, listener, batches.get(b), epoch, b, config.scheduleFactor(epoch, step++));
                    listener.batch(epoch + 1, b + 1, batches.size());
                }
                double accuracy = model.validationAccuracy();
                boolean validated = !Double.isNaN(accuracy);
                boolean best = validated ? accuracy > bestAccuracy : epoch == config.epochs() - 1;
                if (best) {
                    bestAccuracy = accuracy;
                    kept = model.snapshot();
                    keptEpoch = epoch + 1;
                }
                HeadTrainer.EpochReport report = losses.report(epoch + 1, config.epochs(), config.learningRateAt(epoch), accuracy, best);
                history.add(report);
                listener.epoch(report);
            }
        }
        return new Kept<>(kept, keptEpoch, history);
    }

    private <S> void step(Model<S> model, RmsProp optimizer, EpochLosses losses, HeadTrainer.Listener listener, int[] rows, int epoch,
                          int batch, double factor) {
        try (NDManager scratch = NDManager.newBaseManager("PyTorch")) {
            DmlLoss.Value value;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                value = model.loss(scratch, rows);
                collector.backward(value.total());
            }
            float total = value.total().getFloat();
            if (!Float.isFinite(total)) {
                // Said at once, not later as a NaN embedding no class is nearest to.
                throw new IllegalStateException("the loss became " + total + " in epoch " + (epoch + 1) + ", batch " + (batch + 1)
                        + ": training diverged; lower the learning rate (or, on a VM whose CPU reports no cache sizes, see "
                        + "docs/operations.md, \"Training on CPU\")");
            }
            losses.add(value);
            Map<String, float[]> gradients = null;
            if (listener.recordsSteps()) {
                gradients = StepRecord.newMap();
                for (Group g : model.groups()) {
                    StepRecord.gradientsOf(g.parameters(), g.prefix(), gradients);
                }
            }
            double[] rates = new double[model.groups().size()];
            for (int i = 0; i < rates.length; i++) {
                Group g = model.groups().get(i);
                rates[i] = g.baseRate() * factor;
                for (Map.Entry<String, NDArray> p : g.parameters().entrySet()) {
                    optimizer.step(g.prefix() + p.getKey(), p.getValue(), (float) rates[i], scratch);
                }
            }
            if (gradients != null) {
                // the first group is the head's; a second one (the encoders') has its own rate
                listener.step(new StepRecord(epoch + 1, batch + 1, (float) rates[0], rates.length > 1 ? (float) rates[1] : 0, rows.clone(),
                        value.total().getFloat(), value.triplet(), value.crossEntropy(), value.triplets(), value.activeTriplets(),
                        gradients, model.weights()));
            }
        }
    }
}

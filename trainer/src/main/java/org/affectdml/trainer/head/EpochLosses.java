package org.affectdml.trainer.head;

/** The running sums of one epoch's batch losses, and the epoch's report from them. */
public final class EpochLosses {

    private final long start = System.nanoTime();
    private double loss;
    private double triplet;
    private double crossEntropy;
    private double activeTriplets;
    private int batches;

    public void add(DmlLoss.Value value) {
        loss += value.total().getFloat();
        triplet += value.triplet();
        crossEntropy += value.crossEntropy();
        activeTriplets += value.activeTriplets();
        batches++;
    }

    /** Means per batch, the seconds since this epoch began, and the given validation figure. */
    public HeadTrainer.EpochReport report(int epoch, int epochs, double learningRate, double validationAccuracy, boolean best) {
        int n = Math.max(1, batches);
        return new HeadTrainer.EpochReport(epoch, epochs, learningRate, loss / n, triplet / n, crossEntropy / n, activeTriplets / n,
                validationAccuracy, (System.nanoTime() - start) / 1e9, best);
    }
}

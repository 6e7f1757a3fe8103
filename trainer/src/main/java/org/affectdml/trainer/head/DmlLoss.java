package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import org.affectdml.trainer.dml.MultiSimilarityMiner;
import org.affectdml.trainer.dml.TripletMarginLoss;

import java.util.List;

/**
 * The training loss of Affect-DML (docs/method.md §5.2, §7) on DJL arrays, so autograd gives the gradients:
 * alpha * TripletMargin(MS-mined triplets on L2-normalised z) + beta * CrossEntropy(classifier(z)).
 * Mining runs on the values only (no gradient), with the same {@link MultiSimilarityMiner} and triplet
 * conversion that are checked number for number against pytorch-metric-learning.
 */
public final class DmlLoss {

    /** The differentiable total and its parts as numbers, for logs. */
    public record Value(NDArray total, double triplet, double crossEntropy, int triplets, int activeTriplets) {
    }

    private final MultiSimilarityMiner miner;
    private final TripletMarginLoss tripletLoss;
    private final float margin;
    private final float alpha;
    private final float beta;

    public DmlLoss(double epsilon, double margin, double alpha, double beta) {
        this.miner = new MultiSimilarityMiner(epsilon);
        this.tripletLoss = new TripletMarginLoss(margin, false, false, TripletMarginLoss.TripletConversion.ALL_COMBINATIONS);
        this.margin = (float) margin;
        this.alpha = (float) alpha;
        this.beta = (float) beta;
    }

    public static DmlLoss paper() {
        return new DmlLoss(0.1, 0.2, 0.5, 0.5);
    }

    public Value compute(NDManager scratch, NDArray embedding, NDArray logits, int[] labels) {
        int n = labels.length;
        NDArray unit = embedding.div(embedding.norm(new int[]{1}, true).maximum(Scalars.of(scratch, 1e-12)));
        NDArray similarity = unit.matMul(unit.transpose());
        List<int[]> triplets = tripletLoss.triplets(miner.mine(toDouble(similarity.toFloatArray(), n), labels));

        NDArray triplet = scratch.zeros(new ai.djl.ndarray.types.Shape());
        double tripletValue = 0;
        int active = 0;
        if (!triplets.isEmpty()) {
            // ||a - b|| = sqrt(max(|a|^2 + |b|^2 - 2 a.b, 0)) as torch.cdist's matrix path; the floor keeps sqrt' finite
            NDArray squares = unit.square().sum(new int[]{1}, true);
            NDArray distances = squares.add(squares.transpose()).sub(similarity.mul(Scalars.of(scratch, 2))).maximum(Scalars.of(scratch, 1e-12)).sqrt().reshape(-1);
            long[] ap = new long[triplets.size()];
            long[] an = new long[triplets.size()];
            for (int k = 0; k < triplets.size(); k++) {
                int[] t = triplets.get(k);
                ap[k] = (long) t[0] * n + t[1];
                an[k] = (long) t[0] * n + t[2];
            }
            NDArray dap = distances.take(scratch, scratch.create(ap));
            NDArray dan = distances.take(scratch, scratch.create(an));
            NDArray perTriplet = Activation.relu(dap.sub(dan).add(Scalars.of(scratch, margin)));
            for (float v : perTriplet.toFloatArray()) {
                if (v > 0) {
                    active++;
                    tripletValue += v;
                }
            }
            if (active > 0) {
                triplet = perTriplet.sum().div(Scalars.of(scratch, active));
                tripletValue /= active;
            }
        }
        NDArray oneHot = scratch.create(labels).oneHot((int) logits.getShape().get(1), DataType.FLOAT32);
        NDArray ce = logits.logSoftmax(1).mul(oneHot).sum().neg().div(Scalars.of(scratch, n));
        NDArray total = triplet.mul(Scalars.of(scratch, alpha)).add(ce.mul(Scalars.of(scratch, beta)));
        return new Value(total, tripletValue, ce.getFloat(), triplets.size(), active);
    }

    private static double[][] toDouble(float[] flat, int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = flat[i * n + j];
            }
        }
        return m;
    }
}

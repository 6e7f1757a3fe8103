package org.affectdml.trainer.dml;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * pytorch-metric-learning's {@code MultiSimilarityMiner(epsilon)} with its default cosine similarity,
 * rule for rule (docs/method.md §7.1), which is the public code's behaviour, not the paper's Eq. 4-5:
 * <ul>
 *   <li>keep positive pair (i, j) iff S_ij - ε &lt; max over negatives of S_i· (strict);</li>
 *   <li>keep negative pair (i, j) iff S_ij + ε &gt; min over positives of S_i· (strict);</li>
 *   <li>no positive pair or no negative pair anywhere in the batch: nothing is mined;</li>
 *   <li>pairs ordered by anchor, then by ascending similarity.</li>
 * </ul>
 */
public final class MultiSimilarityMiner {

    /** Mined pairs: positive (anchor, positive) and negative (anchor, negative) index pairs. */
    public record Pairs(List<int[]> positives, List<int[]> negatives) {
        public static final Pairs EMPTY = new Pairs(List.of(), List.of());
    }

    private final double epsilon;

    public MultiSimilarityMiner(double epsilon) {
        this.epsilon = epsilon;
    }

    public Pairs mine(double[][] similarity, int[] labels) {
        int n = labels.length;
        boolean anyPositive = false;
        boolean anyNegative = false;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i != j && labels[i] == labels[j]) {
                    anyPositive = true;
                } else if (labels[i] != labels[j]) {
                    anyNegative = true;
                }
            }
        }
        if (!anyPositive || !anyNegative) {
            return Pairs.EMPTY;
        }
        List<int[]> positives = new ArrayList<>();
        List<int[]> negatives = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double minPos = Double.POSITIVE_INFINITY;
            double maxNeg = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (j != i && labels[j] == labels[i]) {
                    minPos = Math.min(minPos, similarity[i][j]);
                } else if (labels[j] != labels[i]) {
                    maxNeg = Math.max(maxNeg, similarity[i][j]);
                }
            }
            List<Integer> pos = new ArrayList<>();
            List<Integer> neg = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                if (j != i && labels[j] == labels[i] && similarity[i][j] - epsilon < maxNeg) {
                    pos.add(j);
                } else if (labels[j] != labels[i] && similarity[i][j] + epsilon > minPos) {
                    neg.add(j);
                }
            }
            final int anchor = i;
            Comparator<Integer> bySimilarity = Comparator.comparingDouble(j -> similarity[anchor][j]);
            pos.sort(bySimilarity);
            neg.sort(bySimilarity);
            pos.forEach(j -> positives.add(new int[]{anchor, j}));
            neg.forEach(j -> negatives.add(new int[]{anchor, j}));
        }
        return new Pairs(positives, negatives);
    }
}

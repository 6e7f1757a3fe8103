package org.affectdml.trainer.eval;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Average precision as the EMOTIC literature reports it (scikit-learn's {@code average_precision_score}): the queries
 * ranked by score, AP = Σₙ (Rₙ − Rₙ₋₁) Pₙ over the distinct score thresholds, so that tied scores enter together
 * (no interpolation, no dependence on the order of ties). mAP is the mean over the categories that have a positive.
 */
public final class AveragePrecision {

    private AveragePrecision() {
    }

    /** AP of {@code scores} (higher: more likely positive) against {@code positive}; NaN when there is no positive. */
    public static double of(double[] scores, boolean[] positive) {
        if (scores.length != positive.length) {
            throw new IllegalArgumentException(scores.length + " scores for " + positive.length + " labels");
        }
        int positives = 0;
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("score " + i + " is NaN: average precision needs a ranking");
            }
            positives += positive[i] ? 1 : 0;
        }
        if (positives == 0) {
            return Double.NaN;
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        double ap = 0;
        double previousRecall = 0;
        int truePositives = 0;
        int seen = 0;
        for (int k = 0; k < order.length; ) {
            double threshold = scores[order[k]];
            // every query at this score is in, or none is
            while (k < order.length && scores[order[k]] == threshold) {
                truePositives += positive[order[k]] ? 1 : 0;
                seen++;
                k++;
            }
            double recall = (double) truePositives / positives;
            ap += (recall - previousRecall) * truePositives / seen;
            previousRecall = recall;
        }
        return ap;
    }

    /**
     * Per category c, the AP of {@code scores[q][c]} against {@code truth[q][c]} (multi-label: a query may be positive
     * for several categories); NaN for a category without a positive.
     */
    public static double[] perCategory(double[][] scores, boolean[][] truth) {
        int categories = scores.length == 0 ? 0 : scores[0].length;
        double[] ap = new double[categories];
        for (int c = 0; c < categories; c++) {
            double[] s = new double[scores.length];
            boolean[] t = new boolean[scores.length];
            for (int q = 0; q < scores.length; q++) {
                s[q] = scores[q][c];
                t[q] = truth[q][c];
            }
            ap[c] = of(s, t);
        }
        return ap;
    }

    /** The mean over the categories whose AP is defined (NaN when none is). */
    public static double mean(double[] perCategory) {
        return Arrays.stream(perCategory).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
    }
}

package org.affectdml.service.calibration;

import java.util.List;

/**
 * The temperature of the registry's probabilities, P(c | z) = softmax_c(−d_c² / T) over the classes' nearest supports
 * (unit embeddings: d² = 2 × cosine distance), fitted on held-out answers only: T minimises their negative log-likelihood
 * (a golden-section search over log T; the NLL is convex in 1/T). Expected calibration error (15 equal-width confidence
 * bins, the top class's probability against whether it was right) says how far the probabilities are from the
 * frequencies they claim, before and after. Shared by the trainer (fitted on its validation persons, stored in the
 * bundle's manifest) and the registry (fitted per taxonomy on its held-out answers).
 */
public final class Calibration {

    /** The bundle manifest's metric holding the temperature the trainer fitted; the registry reads it from GetModel. */
    public static final String MANIFEST_METRIC = "calibrated_temperature";

    /** The registry's configured temperature (affect.registry.temperature), used unless a fitted one is given. */
    public static final double DEFAULT_TEMPERATURE = 0.1;
    static final int BINS = 15;
    /** The lower end of the search range: a fit there means every answer was right with a margin. */
    public static final double LOWEST_TEMPERATURE = 1e-4;
    private static final double LOG_LOWEST = Math.log(LOWEST_TEMPERATURE);
    private static final double LOG_HIGHEST = Math.log(10);

    /** One answered query: −d² to each class's nearest support (NaN: the class had none), and the true class. */
    public record Scored(double[] negativeSquaredDistances, int truth) {
    }

    private Calibration() {
    }

    /** softmax of −d²/T over the classes that have a support (0 for the others). */
    public static double[] probabilities(double[] negativeSquaredDistances, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : negativeSquaredDistances) {
            if (!Double.isNaN(s)) {
                max = Math.max(max, s / temperature);
            }
        }
        double[] p = new double[negativeSquaredDistances.length];
        double sum = 0;
        for (int c = 0; c < p.length; c++) {
            p[c] = Double.isNaN(negativeSquaredDistances[c]) ? 0 : Math.exp(negativeSquaredDistances[c] / temperature - max);
            sum += p[c];
        }
        for (int c = 0; c < p.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    /** Mean −log P(true class); the probability floored at 1e-300 so that one certain mistake is large, not infinite. */
    public static double negativeLogLikelihood(List<Scored> answers, double temperature) {
        double sum = 0;
        for (Scored a : answers) {
            sum -= Math.log(Math.max(1e-300, probabilities(a.negativeSquaredDistances(), temperature)[a.truth()]));
        }
        return sum / answers.size();
    }

    /** The temperature in [1e-4, 10] with the smallest NLL on {@code heldOut}. */
    public static double fitTemperature(List<Scored> heldOut) {
        if (heldOut.isEmpty()) {
            throw new IllegalArgumentException("no held-out answers to fit a temperature on");
        }
        double golden = (Math.sqrt(5) - 1) / 2;
        double lo = LOG_LOWEST;
        double hi = LOG_HIGHEST;
        double a = hi - golden * (hi - lo);
        double b = lo + golden * (hi - lo);
        double fa = negativeLogLikelihood(heldOut, Math.exp(a));
        double fb = negativeLogLikelihood(heldOut, Math.exp(b));
        for (int i = 0; i < 80; i++) {
            if (fa <= fb) {
                hi = b;
                b = a;
                fb = fa;
                a = hi - golden * (hi - lo);
                fa = negativeLogLikelihood(heldOut, Math.exp(a));
            } else {
                lo = a;
                a = b;
                fa = fb;
                b = lo + golden * (hi - lo);
                fb = negativeLogLikelihood(heldOut, Math.exp(b));
            }
        }
        return Math.exp((lo + hi) / 2);
    }

    /** Expected calibration error: Σ_bins (n_b / n) |accuracy_b − mean confidence_b| over 15 equal-width bins. */
    public static double expectedCalibrationError(List<Scored> answers, double temperature) {
        double[] each = new double[answers.size()];
        java.util.Arrays.fill(each, temperature);
        return expectedCalibrationError(answers, each);
    }

    /**
     * As {@link #expectedCalibrationError(List, double)} with each answer at its own temperature ({@code temperatures[i]}
     * for answer i): the figure of a cross-fit, where each fold is scored at the temperature fitted on the other folds.
     */
    public static double expectedCalibrationError(List<Scored> answers, double[] temperatures) {
        double[] confidence = new double[BINS];
        int[] right = new int[BINS];
        int[] count = new int[BINS];
        for (int i = 0; i < answers.size(); i++) {
            Scored a = answers.get(i);
            double[] p = probabilities(a.negativeSquaredDistances(), temperatures[i]);
            int best = 0;
            for (int c = 1; c < p.length; c++) {
                if (p[c] > p[best]) {
                    best = c;
                }
            }
            int bin = Math.min(BINS - 1, (int) (p[best] * BINS));
            confidence[bin] += p[best];
            right[bin] += best == a.truth() ? 1 : 0;
            count[bin]++;
        }
        double ece = 0;
        for (int b = 0; b < BINS; b++) {
            if (count[b] > 0) {
                ece += Math.abs((double) right[b] / count[b] - confidence[b] / count[b]) * count[b] / answers.size();
            }
        }
        return ece;
    }
}

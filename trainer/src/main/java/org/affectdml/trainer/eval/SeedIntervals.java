package org.affectdml.trainer.eval;

import org.apache.commons.math3.distribution.TDistribution;

import java.util.Arrays;
import java.util.Locale;

/**
 * Intervals over training seeds, the unit of replication of a training comparison (docs/method.md, "Evaluation
 * protocol"). A seed's figure is its mean over the support draws of its evaluation: the draws vary the supports of one
 * trained model, nested inside the seed, so they are not independent samples of the training outcome. The interval is
 * Student's t over the per-seed means (n − 1 degrees of freedom); two settings trained with the same seeds are compared
 * by the interval of their per-seed differences (paired), which removes what the seed does to both.
 */
public final class SeedIntervals {

    private SeedIntervals() {
    }

    /** A mean and its two-sided 95 % interval over {@code seeds} seeds (NaN bounds with one seed: no interval exists). */
    public record Interval(double mean, double low, double high, int seeds) {

        public double halfWidth() {
            return (high - low) / 2;
        }

        /** Whether the interval lies wholly above 0 (a paired difference that the seeds support). */
        public boolean excludesZeroAbove() {
            return low > 0;
        }

        /** "62.6 [38.8, 86.4] (n = 3)", in percent. */
        public String percent() {
            if (seeds < 2) {
                return String.format(Locale.ROOT, "%.1f (n = %d, no interval)", 100 * mean, seeds);
            }
            return String.format(Locale.ROOT, "%.1f [%.1f, %.1f] (n = %d)", 100 * mean, 100 * low, 100 * high, seeds);
        }
    }

    /** The t-interval of the mean of per-seed values. */
    public static Interval overSeeds(double[] perSeed) {
        int n = perSeed.length;
        if (n == 0) {
            throw new IllegalArgumentException("no seeds");
        }
        double mean = Arrays.stream(perSeed).average().orElseThrow();
        if (n == 1) {
            return new Interval(mean, Double.NaN, Double.NaN, 1);
        }
        double ss = 0;
        for (double v : perSeed) {
            ss += (v - mean) * (v - mean);
        }
        double standardError = Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
        double t = new TDistribution(null, n - 1).inverseCumulativeProbability(0.975);
        return new Interval(mean, mean - t * standardError, mean + t * standardError, n);
    }

    /** The t-interval of the mean of {@code a[i] − b[i]}: two settings trained with the same seeds, seed i in both. */
    public static Interval pairedDifference(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("a paired difference needs the same seeds on both sides: " + a.length + " vs " + b.length);
        }
        double[] d = new double[a.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = a[i] - b[i];
        }
        return overSeeds(d);
    }
}

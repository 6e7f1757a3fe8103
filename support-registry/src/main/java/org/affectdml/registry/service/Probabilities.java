package org.affectdml.registry.service;

/**
 * The Bayes reading of the paper's Eq. 8-10: with class-conditional densities exp(-||z - s_c||^2 / T),
 * P(c | z) = softmax_c(-d_c^2 / T). For unit vectors d^2 = 2 * cosine distance.
 */
final class Probabilities {

    private Probabilities() {
    }

    static double[] softmaxOfNegativeSquaredDistance(double[] cosineDistances, double temperature) {
        double[] logits = new double[cosineDistances.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            logits[i] = -2 * cosineDistances[i] / temperature;
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}

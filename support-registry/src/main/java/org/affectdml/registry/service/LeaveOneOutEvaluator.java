package org.affectdml.registry.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How well a taxonomy's supports classify each other, by nearest support (the paper's 1-NN rule), computed from
 * their embeddings alone:
 * <ul>
 *   <li>leave-one-out: each support of a class with at least two is a query against all the others;</li>
 *   <li>leave-one-class-out: each support is a query against the supports of the other classes only, as a person
 *       showing none of the taxonomy's classes would be; its best distance is what a threshold must reject.</li>
 * </ul>
 * From these: accuracy, balanced accuracy, per-class precision and recall, the confusion matrix, the distance
 * distributions, the threshold with the best open-set F1 and the largest one within a false-accept rate.
 */
final class LeaveOneOutEvaluator {

    /** The embeddings (unit vectors) and the class index of each. */
    record Supports(float[][] embeddings, int[] classOf, int classCount) {
    }

    /**
     * The figures. {@code confusion[t][p]}: leave-one-out queries of class t answered p. Thresholds are cosine
     * distances; NaN when there is nothing to base them on.
     */
    record Report(int queries, double accuracy, double balancedAccuracy, double[] precision, double[] recall, int[] queriesPerClass,
                  int[][] confusion, float[] correctDistances, float[] wrongDistances, float[] unknownDistances,
                  float f1Threshold, double f1, float falseAcceptThreshold, double falseAcceptRate, double trueAcceptRate) {
    }

    private LeaveOneOutEvaluator() {
    }

    static Report evaluate(Supports s, double targetFalseAcceptRate) {
        int n = s.embeddings().length;
        int k = s.classCount();
        int[] perClass = new int[k];
        for (int c : s.classOf()) {
            perClass[c]++;
        }
        int[][] confusion = new int[k][k];
        List<Float> correct = new ArrayList<>();
        List<Float> wrong = new ArrayList<>();
        List<Float> unknown = new ArrayList<>();
        int queries = 0;
        for (int q = 0; q < n; q++) {
            int own = s.classOf()[q];
            double bestAny = Double.POSITIVE_INFINITY;
            int bestClass = -1;
            double bestOther = Double.POSITIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (j == q) {
                    continue;
                }
                double d = cosineDistance(s.embeddings()[q], s.embeddings()[j]);
                int c = s.classOf()[j];
                if (d < bestAny || d == bestAny && c < bestClass) {
                    bestAny = d;
                    bestClass = c;
                }
                if (c != own) {
                    bestOther = Math.min(bestOther, d);
                }
            }
            if (bestOther < Double.POSITIVE_INFINITY) {
                unknown.add((float) bestOther);  // leave-one-class-out: its class is not there
            }
            if (perClass[own] < 2) {
                continue;  // no other support of its class: leave-one-out cannot ask it
            }
            queries++;
            confusion[own][bestClass]++;
            (bestClass == own ? correct : wrong).add((float) bestAny);
        }
        double[] precision = new double[k];
        double[] recall = new double[k];
        double recallSum = 0;
        int evaluatedClasses = 0;
        int hits = 0;
        for (int c = 0; c < k; c++) {
            int predicted = 0;
            int asked = 0;
            for (int t = 0; t < k; t++) {
                predicted += confusion[t][c];
                asked += confusion[c][t];
            }
            hits += confusion[c][c];
            precision[c] = predicted == 0 ? Double.NaN : (double) confusion[c][c] / predicted;
            recall[c] = asked == 0 ? Double.NaN : (double) confusion[c][c] / asked;
            if (asked > 0) {
                recallSum += recall[c];
                evaluatedClasses++;
            }
        }
        float[] correctD = floats(correct);
        float[] wrongD = floats(wrong);
        float[] unknownD = floats(unknown);
        float[] f1 = bestF1Threshold(correctD, wrongD, unknownD, queries);
        float[] far = falseAcceptThreshold(correctD, unknownD, queries, targetFalseAcceptRate);
        return new Report(queries, queries == 0 ? Double.NaN : (double) hits / queries,
                evaluatedClasses == 0 ? Double.NaN : recallSum / evaluatedClasses, precision, recall, perClass, confusion,
                correctD, wrongD, unknownD, f1[0], f1[1], far[0], far[1], far[2]);
    }

    /**
     * Accepting a query when its best distance is at most t: true positives are correct known answers accepted,
     * false positives wrong known answers and unknown queries accepted, and every known query counts for recall.
     * Returns {threshold, F1} for the candidate t (an observed distance) with the best F1.
     */
    private static float[] bestF1Threshold(float[] correct, float[] wrong, float[] unknown, int known) {
        float[] candidates = concat(correct, wrong, unknown);
        float bestT = Float.NaN;
        double bestF1 = -1;
        for (float t : candidates) {
            int tp = countAtMost(correct, t);
            int fp = countAtMost(wrong, t) + countAtMost(unknown, t);
            double precision = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
            double recall = known == 0 ? 0 : (double) tp / known;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            if (f1 > bestF1 || f1 == bestF1 && t < bestT) {
                bestF1 = f1;
                bestT = t;
            }
        }
        return new float[]{bestT, (float) Math.max(bestF1, 0)};
    }

    /** The largest observed distance t whose false-accept rate (unknown queries within t) is at most the target: {t, FAR, TAR}. */
    private static float[] falseAcceptThreshold(float[] correct, float[] unknown, int known, double target) {
        if (unknown.length == 0) {
            return new float[]{Float.NaN, Float.NaN, Float.NaN};
        }
        float best = Float.NaN;
        for (float t : concat(correct, unknown)) {
            if ((double) countAtMost(unknown, t) / unknown.length <= target && (Float.isNaN(best) || t > best)) {
                best = t;
            }
        }
        if (Float.isNaN(best)) {
            return new float[]{Float.NaN, Float.NaN, Float.NaN};
        }
        return new float[]{best, (float) countAtMost(unknown, best) / unknown.length,
                known == 0 ? Float.NaN : (float) countAtMost(correct, best) / known};
    }

    static double cosineDistance(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 1 : 1 - dot / Math.sqrt(na * nb);
    }

    private static int countAtMost(float[] sorted, float t) {
        int n = 0;
        for (float v : sorted) {
            if (v <= t) {
                n++;
            }
        }
        return n;
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        Arrays.sort(out);
        return out;
    }

    private static float[] concat(float[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}

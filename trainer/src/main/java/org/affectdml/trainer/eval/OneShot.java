package org.affectdml.trainer.eval;

import org.affectdml.service.calibration.Calibration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * One-shot 1-NN classification as the paper evaluates it (docs/method.md §6): L2-normalised embeddings, each query
 * takes the label of the nearest support (squared Euclidean; the lowest support index wins an exact tie).
 */
public final class OneShot {

    private OneShot() {
    }

    /** Result of one support draw: overall (micro) and class-balanced accuracy, confusion[true][predicted]. */
    /**
     * One draw's accuracies and confusion, and per class its average precision: the draw's queries ranked by their
     * distance to that class's support, the class's own queries the positives (NaN for a class without a support or
     * without a query).
     */
    public record DrawResult(long seed, double overall, double balanced, int[][] confusion, double[] averagePrecision,
                             java.util.List<Calibration.Scored> answers, int[] answeredClass) {
    }

    /**
     * One support per class among {@code labels} (classes 0..classes-1 that occur): each class's members are
     * shuffled with {@code random} and the first is the support; returns the support row per class (-1 when the
     * class has no member).
     */
    public static int[] drawSupports(int[] labels, int classes, Random random) {
        int[] supports = new int[classes];
        for (int c = 0; c < classes; c++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == c) {
                    members.add(i);
                }
            }
            if (members.isEmpty()) {
                supports[c] = -1;
                continue;
            }
            Collections.shuffle(members, random);
            supports[c] = members.get(0);
        }
        return supports;
    }

    /** 1-NN of every non-support row against the supports; classes without a support are skipped. */
    public static DrawResult evaluate(float[][] embeddings, int[] labels, int classes, int[] supports, long seed) {
        boolean[] isQuery = new boolean[embeddings.length];
        java.util.Arrays.fill(isQuery, true);
        for (int s : supports) {
            if (s >= 0) {
                isQuery[s] = false;
            }
        }
        return evaluate(embeddings, labels, classes, supports, isQuery, seed);
    }

    /** 1-NN of the rows marked as queries against the supports; classes without a support are skipped. */
    public static DrawResult evaluate(float[][] embeddings, int[] labels, int classes, int[] supports, boolean[] isQuery, long seed) {
        int[][] perClass = new int[classes][];
        for (int c = 0; c < classes; c++) {
            perClass[c] = supports[c] < 0 ? new int[0] : new int[]{supports[c]};
        }
        return evaluate(embeddings, labels, classes, perClass, isQuery, seed);
    }

    /**
     * k-shot: each query takes the class of its nearest support among every class's supports ({@code supports[c]}:
     * the rows of class c's supports, as the registry ranks classes by their nearest support); a class's score for AP
     * is minus the squared distance to its nearest support. Classes without a support are skipped.
     */
    public static DrawResult evaluate(float[][] embeddings, int[] labels, int classes, int[][] supports, boolean[] isQuery, long seed) {
        int[][] confusion = new int[classes][classes];
        int[] answered = new int[embeddings.length];
        java.util.Arrays.fill(answered, -1);
        java.util.List<double[]> scores = new java.util.ArrayList<>();
        java.util.List<Integer> truth = new java.util.ArrayList<>();
        for (int q = 0; q < embeddings.length; q++) {
            if (!isQuery[q] || supports[labels[q]].length == 0) {
                continue;
            }
            int best = -1;
            double bestDistance = Double.POSITIVE_INFINITY;
            double[] score = new double[classes];
            java.util.Arrays.fill(score, Double.NaN);  // a class without a support has no score
            for (int c = 0; c < classes; c++) {
                if (supports[c].length == 0) {
                    continue;
                }
                double d = Double.POSITIVE_INFINITY;
                for (int s : supports[c]) {
                    d = Math.min(d, squaredDistance(embeddings[q], embeddings[s]));
                }
                score[c] = -d;
                if (d < bestDistance) {
                    bestDistance = d;
                    best = c;
                }
            }
            confusion[labels[q]][best]++;
            answered[q] = best;
            scores.add(score);
            truth.add(labels[q]);
        }
        java.util.List<Calibration.Scored> answers = new java.util.ArrayList<>(scores.size());
        for (int q = 0; q < scores.size(); q++) {
            answers.add(new Calibration.Scored(scores.get(q), truth.get(q)));
        }
        return new DrawResult(seed, overall(confusion), balanced(confusion), confusion, averagePrecision(scores, truth, supports, classes),
                answers, answered);
    }

    /** Per class with a support, the AP of its scores over the queries; NaN for the others. */
    private static double[] averagePrecision(java.util.List<double[]> scores, java.util.List<Integer> truth, int[][] supports, int classes) {
        double[] ap = new double[classes];
        for (int c = 0; c < classes; c++) {
            if (supports[c].length == 0) {
                ap[c] = Double.NaN;
                continue;
            }
            double[] s = new double[scores.size()];
            boolean[] positive = new boolean[scores.size()];
            for (int q = 0; q < s.length; q++) {
                s[q] = scores.get(q)[c];
                positive[q] = truth.get(q) == c;
            }
            ap[c] = AveragePrecision.of(s, positive);
        }
        return ap;
    }

    /** Mean balanced accuracy over {@code draws} seeded support draws (model selection on validation data). */
    public static double meanBalancedAccuracy(float[][] embeddings, int[] labels, int classes, int draws, long seed) {
        Random random = new Random(seed);
        double sum = 0;
        for (int d = 0; d < draws; d++) {
            sum += evaluate(embeddings, labels, classes, drawSupports(labels, classes, random), seed).balanced();
        }
        return sum / draws;
    }

    static double squaredDistance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s;
    }

    public static double overall(int[][] confusion) {
        long right = 0;
        long all = 0;
        for (int t = 0; t < confusion.length; t++) {
            for (int p = 0; p < confusion.length; p++) {
                all += confusion[t][p];
                if (t == p) {
                    right += confusion[t][p];
                }
            }
        }
        return all == 0 ? 0 : (double) right / all;
    }

    /** Mean per-class recall over the classes that have queries. */
    public static double balanced(int[][] confusion) {
        double sum = 0;
        int classes = 0;
        for (int t = 0; t < confusion.length; t++) {
            long row = 0;
            for (int v : confusion[t]) {
                row += v;
            }
            if (row > 0) {
                sum += (double) confusion[t][t] / row;
                classes++;
            }
        }
        return classes == 0 ? 0 : sum / classes;
    }
}

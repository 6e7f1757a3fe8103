package org.affectdml.registry.service;

import org.apache.commons.math3.distribution.BetaDistribution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The figures of an evaluation from its answered queries, whatever asked them (supports among themselves, or
 * labelled query images): accuracy, balanced accuracy, per-class precision and recall, the confusion matrix, the
 * distance distributions, the threshold with the best open-set F1 and the largest one within a false-accept rate.
 */
final class EvaluationFigures {

    /** No class: the query shows none of the taxonomy's classes (or, leave-one-class-out, its class was left out). */
    static final int NO_CLASS = -1;
    /** How far past the largest observed distance a threshold that accepts every query is put. */
    static final float MARGIN_ABOVE_LAST = 1e-3f;

    /** One query: its true class (or {@link #NO_CLASS}), the nearest class, that class's distance, and its image's sha256. */
    record Answer(int truth, int predicted, float distance, String image) {
    }

    /** How many folds the held-out estimates use (fewer when there are fewer images). */
    static final int HELD_OUT_FOLDS = 5;

    /** The held-out folds of images: every {@code count}-th image in sha256 order to a fold; none with fewer than two images. */
    record ImageFolds(int count, java.util.Map<String, Integer> foldOf) {
        static ImageFolds of(java.util.stream.Stream<String> images, int wanted) {
            List<String> sorted = images.distinct().sorted().toList();
            int count = Math.min(wanted, sorted.size()) < 2 ? 0 : Math.min(wanted, sorted.size());
            java.util.Map<String, Integer> foldOf = new java.util.HashMap<>();
            for (int i = 0; i < sorted.size(); i++) {
                foldOf.put(sorted.get(i), count == 0 ? 0 : i % count);
            }
            return new ImageFolds(count, foldOf);
        }

        int of(String image) {
            return foldOf.get(image);
        }
    }

    /**
     * Folds of answers for the held-out estimates: per fold, the answers the thresholds are chosen on and the answers
     * they are scored on, none of them about an image of the other side.
     */
    interface Folds {
        int count();

        List<Answer> choosing(int fold);

        List<Answer> scoring(int fold);

        /**
         * Answers that do not depend on each other's images (labelled queries, each answered against all the supports):
         * split by the sha256 of their image, every {@code count()}-th image in sha256 order to a fold.
         */
        static Folds byImage(List<Answer> answers, int wanted) {
            ImageFolds folds = ImageFolds.of(answers.stream().map(Answer::image), wanted);
            return new Folds() {
                public int count() {
                    return folds.count();
                }

                public List<Answer> choosing(int fold) {
                    return answers.stream().filter(a -> folds.of(a.image()) != fold).toList();
                }

                public List<Answer> scoring(int fold) {
                    return answers.stream().filter(a -> folds.of(a.image()) == fold).toList();
                }
            };
        }
    }

    /**
     * What a threshold chosen by these rules gives on queries it was not chosen on: the answers split into {@code folds}
     * folds by image (no image on both sides), each fold scored at the thresholds the same rules choose on the other
     * folds, the folds' counts pooled. {@code f1} at the best-F1 rule; the false-accept rate over {@code unknowns}
     * unknown queries and the true-accept rate over {@code known} known ones at the false-accept rule, with their exact
     * 95 % bounds. {@code folds} 0 and NaN figures when there are fewer than two images.
     */
    record HeldOut(int folds, double f1, double falseAcceptRate, double falseAcceptUpper95, double trueAcceptRate,
                   double trueAcceptLower95, int unknowns, int known) {
    }

    /**
     * The figures. {@code confusion[t][p]}: known queries of class t answered p. {@code queries} counts the known
     * queries (those with a class). Thresholds are cosine distances; NaN when there is nothing to base them on.
     */
    record Report(int queries, double accuracy, double balancedAccuracy, double[] precision, double[] recall, int[] queriesPerClass,
                  int[][] confusion, float[] correctDistances, float[] wrongDistances, float[] unknownDistances,
                  float f1Threshold, double f1, float falseAcceptThreshold, double falseAcceptRate, double trueAcceptRate,
                  double falseAcceptUpper95, double trueAcceptLower95, HeldOut heldOut) {
    }

    /**
     * Exact binomial (Clopper-Pearson) two-sided 95 % interval of a rate of {@code x} in {@code n}: {low, high}. A rate
     * observed on few queries claims little: 0 of 12 has the upper bound 0.265.
     */
    static double[] clopperPearson95(int x, int n) {
        if (n <= 0) {
            return new double[]{Double.NaN, Double.NaN};
        }
        double low = x == 0 ? 0 : new BetaDistribution(null, x, n - x + 1).inverseCumulativeProbability(0.025);
        double high = x == n ? 1 : new BetaDistribution(null, x + 1, n - x).inverseCumulativeProbability(0.975);
        return new double[]{low, high};
    }

    private EvaluationFigures() {
    }

    static Report of(List<Answer> answers, int classCount, double targetFalseAcceptRate) {
        return of(answers, classCount, targetFalseAcceptRate, Folds.byImage(answers, HELD_OUT_FOLDS));
    }

    /** The figures of {@code answers}, with held-out estimates over {@code folds}. */
    static Report of(List<Answer> answers, int classCount, double targetFalseAcceptRate, Folds folds) {
        int k = classCount;
        int[][] confusion = new int[k][k];
        int[] perClass = new int[k];
        List<Float> correct = new ArrayList<>();
        List<Float> wrong = new ArrayList<>();
        List<Float> unknown = new ArrayList<>();
        int queries = 0;
        for (Answer a : answers) {
            if (a.truth() == NO_CLASS) {
                unknown.add(a.distance());
                continue;
            }
            queries++;
            perClass[a.truth()]++;
            confusion[a.truth()][a.predicted()]++;
            (a.predicted() == a.truth() ? correct : wrong).add(a.distance());
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
        Thresholds chosen = Thresholds.choose(correctD, wrongD, unknownD, queries, targetFalseAcceptRate);
        float[] f1 = {chosen.f1, chosen.bestF1};
        float[] far = {chosen.falseAccept, chosen.falseAcceptRate, chosen.trueAcceptRate};
        double falseAcceptUpper = Double.NaN;
        double trueAcceptLower = Double.NaN;
        if (!Float.isNaN(far[0])) {
            falseAcceptUpper = clopperPearson95(countAtMost(unknownD, far[0]), unknownD.length)[1];
            trueAcceptLower = clopperPearson95(countAtMost(correctD, far[0]), queries)[0];
        }
        return new Report(queries, queries == 0 ? Double.NaN : (double) hits / queries,
                evaluatedClasses == 0 ? Double.NaN : recallSum / evaluatedClasses, precision, recall, perClass, confusion,
                correctD, wrongD, unknownD, f1[0], f1[1], far[0], far[1], far[2], falseAcceptUpper, trueAcceptLower,
                heldOut(folds, targetFalseAcceptRate));
    }

    /** The two recommended thresholds of some answers, each moved half-way to the next observed distance. */
    private record Thresholds(float f1, float bestF1, float falseAccept, float falseAcceptRate, float trueAcceptRate) {
        static Thresholds choose(float[] correct, float[] wrong, float[] unknown, int known, double target) {
            float[] f1 = bestF1Threshold(correct, wrong, unknown, known);
            float[] far = falseAcceptThreshold(correct, unknown, known, target);
            float[] observed = concat(correct, wrong, unknown);
            Arrays.sort(observed);
            return new Thresholds(between(f1[0], observed), f1[1], between(far[0], observed), far[1], far[2]);
        }
    }

    static HeldOut heldOut(Folds folds, double target) {
        if (folds.count() < 2) {
            return new HeldOut(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0);
        }
        int tp = 0;
        int fp = 0;
        int knownAll = 0;
        int unknownsScored = 0;
        int falseAccepts = 0;
        int knownScored = 0;
        int trueAccepts = 0;
        for (int f = 0; f < folds.count(); f++) {
            List<Float> trainCorrect = new ArrayList<>();
            List<Float> trainWrong = new ArrayList<>();
            List<Float> trainUnknown = new ArrayList<>();
            int trainKnown = 0;
            for (Answer a : folds.choosing(f)) {
                if (a.truth() == NO_CLASS) {
                    trainUnknown.add(a.distance());
                } else {
                    trainKnown++;
                    (a.predicted() == a.truth() ? trainCorrect : trainWrong).add(a.distance());
                }
            }
            List<Answer> test = folds.scoring(f);
            Thresholds t = Thresholds.choose(floats(trainCorrect), floats(trainWrong), floats(trainUnknown), trainKnown, target);
            int testKnown = (int) test.stream().filter(a -> a.truth() != NO_CLASS).count();
            knownAll += testKnown;
            for (Answer a : test) {
                boolean correct = a.truth() != NO_CLASS && a.predicted() == a.truth();
                if (!Float.isNaN(t.f1()) && a.distance() <= t.f1()) {
                    if (correct) {
                        tp++;
                    } else {
                        fp++;
                    }
                }
            }
            if (trainUnknown.isEmpty()) {
                continue;  // no unknown query outside this fold: the false-accept rule has nothing to choose on
            }
            // no threshold meets the target on the other folds: the rule rejects every query of this fold
            float accept = Float.isNaN(t.falseAccept()) ? Float.NEGATIVE_INFINITY : t.falseAccept();
            knownScored += testKnown;
            for (Answer a : test) {
                boolean accepted = a.distance() <= accept;
                if (a.truth() == NO_CLASS) {
                    unknownsScored++;
                    falseAccepts += accepted ? 1 : 0;
                } else if (a.predicted() == a.truth() && accepted) {
                    trueAccepts++;
                }
            }
        }
        double f1 = 2.0 * tp + fp + (knownAll - tp) == 0 ? Double.NaN : 2.0 * tp / (2.0 * tp + fp + (knownAll - tp));
        return new HeldOut(folds.count(), f1, unknownsScored == 0 ? Double.NaN : (double) falseAccepts / unknownsScored,
                clopperPearson95(falseAccepts, unknownsScored)[1], knownScored == 0 ? Double.NaN : (double) trueAccepts / knownScored,
                clopperPearson95(trueAccepts, knownScored)[0], unknownsScored, knownScored);
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

    /**
     * A threshold chosen at an observed distance t, moved half-way to the next observed distance (or by
     * {@link #MARGIN_ABOVE_LAST} past the last): it accepts and rejects the same queries, and a query at exactly t
     * stays accepted when Classify's distance (pgvector, float) differs from this one in the last bits.
     */
    private static float between(float t, float[] sortedObserved) {
        if (Float.isNaN(t)) {
            return t;
        }
        for (float v : sortedObserved) {
            if (v > t) {
                return t + (v - t) / 2;
            }
        }
        return t + MARGIN_ABOVE_LAST;
    }

    /** How many of {@code sorted} (ascending) are at most t: a binary search, as thresholds are tried at every distance. */
    private static int countAtMost(float[] sorted, float t) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
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

package org.affectdml.registry.service;

import org.affectdml.service.calibration.Calibration;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A taxonomy's temperature, fitted on answers none of which is its own support, and checked on answers it was not
 * fitted on. The recommended temperature has the least negative log-likelihood over all the answers with a known class:
 * the supports, each against the supports of other images (leave-one-image-out), or labelled queries against all the
 * supports. The check is a cross-fit over the same image folds as the held-out thresholds ({@link EvaluationFigures}):
 * each fold's answers are scored at the temperature fitted on the other folds' answers. From the supports, as for the
 * thresholds, the fitting answers are the other folds' supports among themselves and the scored ones this fold's
 * supports against the other folds' supports only, so no distance to a scored support enters the fit it is scored at.
 */
final class TemperatureFit {

    /** One answer with a known class: −d² to each class's nearest support (NaN: none), the class, and the image's sha256. */
    record Answer(Calibration.Scored scored, String image) {
    }

    /**
     * The figures: {@code answers} with a known class and the {@code folds} of their images; the recommended temperature,
     * and the cross-fitted ECE (both NaN with fewer than two folds); the ECE at the temperature in force (NaN without
     * answers); whether the fit stopped at the search range's lower end, where every answer was right with a margin and
     * the answers cannot tell how confident to be.
     */
    record Figures(int answers, int folds, double temperature, Temperatures.Chosen inForce, double eceInForce, double eceHeldOut,
                   boolean atLowerBound) {
    }

    /** Answers in folds: all of them, and per fold those a temperature is fitted on and those it is scored on. */
    interface Folded {
        int count();

        List<Calibration.Scored> all();

        List<Calibration.Scored> fitting(int fold);

        List<Calibration.Scored> scoring(int fold);
    }

    private TemperatureFit() {
    }

    /**
     * The supports' answers, in folds of all the supports' images (every {@code wanted}-th image in sha256 order, as the
     * held-out thresholds): each support whose class has a support in another image (in another fold, for a cross-fit
     * round), against the nearest support per class among those images.
     */
    static Folded ofSupports(LeaveOneOutEvaluator.Supports s, int wanted) {
        EvaluationFigures.ImageFolds folds = EvaluationFigures.ImageFolds.of(Arrays.stream(s.imageOf()), wanted);
        int count = folds.count();
        float[][] e = s.embeddings();
        int n = e.length;
        int[] foldOf = s.foldOf(folds);
        // nearest[q][g][c]: the cosine distance from support q to class c's nearest support of another image in fold g
        float[][][] nearest = new float[n][Math.max(count, 1)][s.classCount()];
        for (int q = 0; q < n; q++) {
            for (float[] perClass : nearest[q]) {
                Arrays.fill(perClass, Float.POSITIVE_INFINITY);
            }
            for (int j = 0; j < n; j++) {
                if (!s.imageOf()[j].equals(s.imageOf()[q])) {
                    float[] perClass = nearest[q][foldOf[j]];
                    int c = s.classOf()[j];
                    perClass[c] = (float) Math.min(perClass[c], LeaveOneOutEvaluator.cosineDistance(e[q], e[j]));
                }
            }
        }
        return new Folded() {
            public int count() {
                return count;
            }

            public List<Calibration.Scored> all() {
                return answers(q -> true, -1);
            }

            public List<Calibration.Scored> fitting(int fold) {
                return answers(q -> foldOf[q] != fold, fold);
            }

            public List<Calibration.Scored> scoring(int fold) {
                return answers(q -> foldOf[q] == fold, fold);
            }

            /** The asked supports against every fold but {@code excluded}, those whose class is among them. */
            private List<Calibration.Scored> answers(java.util.function.IntPredicate asked, int excluded) {
                List<Calibration.Scored> out = new ArrayList<>();
                for (int q = 0; q < n; q++) {
                    if (!asked.test(q)) {
                        continue;
                    }
                    double[] d = new double[s.classCount()];
                    Arrays.fill(d, Double.POSITIVE_INFINITY);
                    for (int g = 0; g < nearest[q].length; g++) {
                        for (int c = 0; c < d.length && g != excluded; c++) {
                            d[c] = Math.min(d[c], nearest[q][g][c]);
                        }
                    }
                    if (d[s.classOf()[q]] < Double.POSITIVE_INFINITY) {
                        out.add(new Calibration.Scored(negativeSquared(d), s.classOf()[q]));
                    }
                }
                return out;
            }
        };
    }

    /**
     * Labelled queries' answers (each against all the supports, so independent of the other queries' images), in folds
     * of their images as {@link EvaluationFigures.Folds#byImage}.
     */
    static Folded ofQueries(List<Answer> answers, int wanted) {
        EvaluationFigures.ImageFolds folds = EvaluationFigures.ImageFolds.of(answers.stream().map(Answer::image), wanted);
        return new Folded() {
            public int count() {
                return folds.count();
            }

            public List<Calibration.Scored> all() {
                return answers.stream().map(Answer::scored).toList();
            }

            public List<Calibration.Scored> fitting(int fold) {
                return answers.stream().filter(a -> folds.of(a.image()) != fold).map(Answer::scored).toList();
            }

            public List<Calibration.Scored> scoring(int fold) {
                return answers.stream().filter(a -> folds.of(a.image()) == fold).map(Answer::scored).toList();
            }
        };
    }

    /** A labelled query of class {@code truth}, from its distance to each class's nearest support (+∞: the class has none). */
    static Answer ofQuery(double[] nearestPerClass, int truth, String image) {
        return new Answer(new Calibration.Scored(negativeSquared(nearestPerClass), truth), image);
    }

    /** −2 × cosine distance per class (= −d² for unit vectors); NaN for a class with no support. */
    private static double[] negativeSquared(double[] cosineDistances) {
        double[] out = new double[cosineDistances.length];
        for (int c = 0; c < out.length; c++) {
            out[c] = cosineDistances[c] == Double.POSITIVE_INFINITY ? Double.NaN : -2 * cosineDistances[c];
        }
        return out;
    }

    static Figures fit(Folded folded, Temperatures.Chosen inForce) {
        List<Calibration.Scored> all = folded.all();
        double eceInForce = all.isEmpty() ? Double.NaN : Calibration.expectedCalibrationError(all, inForce.value());
        List<Calibration.Scored> scored = new ArrayList<>();
        List<Double> temperatures = new ArrayList<>();
        for (int f = 0; f < folded.count(); f++) {
            List<Calibration.Scored> fitting = folded.fitting(f);
            List<Calibration.Scored> scoring = folded.scoring(f);
            if (fitting.isEmpty() || scoring.isEmpty()) {
                continue;  // nothing to fit this fold's temperature on, or nothing of this fold to score
            }
            double t = Calibration.fitTemperature(fitting);
            scored.addAll(scoring);
            scoring.forEach(a -> temperatures.add(t));
        }
        if (scored.isEmpty()) {
            return new Figures(all.size(), folded.count(), Double.NaN, inForce, eceInForce, Double.NaN, false);
        }
        double recommended = Calibration.fitTemperature(all);
        return new Figures(all.size(), folded.count(), recommended, inForce, eceInForce,
                Calibration.expectedCalibrationError(scored, temperatures.stream().mapToDouble(Double::doubleValue).toArray()),
                recommended <= Calibration.LOWEST_TEMPERATURE * 1.01);
    }
}

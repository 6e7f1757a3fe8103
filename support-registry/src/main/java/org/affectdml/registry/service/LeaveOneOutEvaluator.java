package org.affectdml.registry.service;

import java.util.ArrayList;
import java.util.List;

/**
 * The queries of an evaluation by nearest support (the paper's 1-NN rule), answered from embeddings alone:
 * <ul>
 *   <li>leave-one-image-out: each support is a query against the supports of other images (a support from its own
 *       image, another box or the same one, would be an easier neighbour than any new photo has), known when its
 *       class has a support in another image;</li>
 *   <li>leave-one-class-out: each support is a query against the other classes' supports of other images only, as a
 *       person showing none of the taxonomy's classes would be; its best distance is what a threshold must reject;</li>
 *   <li>a labelled query image against all the supports.</li>
 * </ul>
 * Every answer carries the sha256 of its image, the unit of the held-out folds ({@link EvaluationFigures}).
 * {@link EvaluationFigures} turns the answers into figures.
 */
final class LeaveOneOutEvaluator {

    /** The embeddings (unit vectors), the class index of each and the sha256 of its image. */
    record Supports(float[][] embeddings, int[] classOf, int classCount, String[] imageOf) {
        /** The fold of each support's image. */
        int[] foldOf(EvaluationFigures.ImageFolds folds) {
            int[] foldOf = new int[embeddings.length];
            for (int q = 0; q < foldOf.length; q++) {
                foldOf[q] = folds.of(imageOf[q]);
            }
            return foldOf;
        }
    }

    private LeaveOneOutEvaluator() {
    }

    static EvaluationFigures.Report evaluate(Supports s, double targetFalseAcceptRate) {
        Neighbours byFold = Neighbours.of(s, EvaluationFigures.HELD_OUT_FOLDS);
        return EvaluationFigures.of(byFold.answers(q -> true, Neighbours.NONE), s.classCount(), targetFalseAcceptRate, byFold.folds());
    }

    /** The leave-one-image-out answers, then the leave-one-class-out ones (against every other image's supports). */
    static List<EvaluationFigures.Answer> leaveOneOut(Supports s) {
        return Neighbours.of(s, 1).answers(q -> true, Neighbours.NONE);
    }

    /** Held-out folds of the supports by image (see {@link Neighbours#folds()}). */
    static EvaluationFigures.Folds folds(Supports s, int wanted) {
        return Neighbours.of(s, wanted).folds();
    }

    /**
     * One pass over all pairs of supports of different images, keeping per support and per fold of images the nearest
     * support of any class and of another class, and whether its own class was seen: the in-sample answers take every
     * fold, and a held-out round leaves one out.
     */
    private static final class Neighbours {
        static final int NONE = -1;
        private final Supports s;
        private final int count;
        private final int[] foldOf;
        private final double[][] anyD;
        private final int[][] anyC;
        private final double[][] otherD;
        private final int[][] otherC;
        private final boolean[][] ownSeen;

        private Neighbours(Supports s, int count, int[] foldOf) {
            int n = s.embeddings().length;
            int folds = Math.max(count, 1);
            this.s = s;
            this.count = count;
            this.foldOf = foldOf;
            anyD = new double[n][folds];
            anyC = new int[n][folds];
            otherD = new double[n][folds];
            otherC = new int[n][folds];
            ownSeen = new boolean[n][folds];
            for (int q = 0; q < n; q++) {
                java.util.Arrays.fill(anyD[q], Double.POSITIVE_INFINITY);
                java.util.Arrays.fill(anyC[q], -1);
                java.util.Arrays.fill(otherD[q], Double.POSITIVE_INFINITY);
                java.util.Arrays.fill(otherC[q], -1);
                int own = s.classOf()[q];
                for (int j = 0; j < n; j++) {
                    if (s.imageOf()[j].equals(s.imageOf()[q])) {
                        continue;  // itself, and any support of the same image
                    }
                    int g = foldOf[j];
                    double d = cosineDistance(s.embeddings()[q], s.embeddings()[j]);
                    int c = s.classOf()[j];
                    ownSeen[q][g] |= c == own;
                    if (d < anyD[q][g] || d == anyD[q][g] && c < anyC[q][g]) {
                        anyD[q][g] = d;
                        anyC[q][g] = c;
                    }
                    if (c != own && (d < otherD[q][g] || d == otherD[q][g] && c < otherC[q][g])) {
                        otherD[q][g] = d;
                        otherC[q][g] = c;
                    }
                }
            }
        }

        /** Folds of the images: every {@code wanted}-th image in sha256 order (none with fewer than two images). */
        static Neighbours of(Supports s, int wanted) {
            EvaluationFigures.ImageFolds folds = EvaluationFigures.ImageFolds.of(java.util.Arrays.stream(s.imageOf()), wanted);
            return new Neighbours(s, folds.count(), s.foldOf(folds));
        }

        /**
         * In fold f's round the thresholds are chosen on the other folds' supports answered among themselves, and scored
         * on fold f's supports answered against the other folds' supports only, as new photos would be: no distance to a
         * fold's support enters the choice that fold is scored at.
         */
        EvaluationFigures.Folds folds() {
            return new EvaluationFigures.Folds() {
                public int count() {
                    return count;
                }

                public List<EvaluationFigures.Answer> choosing(int fold) {
                    return answers(q -> foldOf[q] != fold, fold);
                }

                public List<EvaluationFigures.Answer> scoring(int fold) {
                    return answers(q -> foldOf[q] == fold, fold);
                }
            };
        }

        /** The known answers (class seen in another image), then the leave-one-class-out ones, of the asked supports. */
        List<EvaluationFigures.Answer> answers(java.util.function.IntPredicate asked, int excludedFold) {
            List<EvaluationFigures.Answer> known = new ArrayList<>();
            List<EvaluationFigures.Answer> unknown = new ArrayList<>();
            for (int q = 0; q < anyD.length; q++) {
                if (!asked.test(q)) {
                    continue;
                }
                double bestAny = Double.POSITIVE_INFINITY;
                int bestClass = -1;
                double bestOther = Double.POSITIVE_INFINITY;
                int bestOtherClass = -1;
                boolean own = false;
                for (int g = 0; g < anyD[q].length; g++) {
                    if (g == excludedFold) {
                        continue;
                    }
                    own |= ownSeen[q][g];
                    if (anyC[q][g] >= 0 && (anyD[q][g] < bestAny || anyD[q][g] == bestAny && anyC[q][g] < bestClass)) {
                        bestAny = anyD[q][g];
                        bestClass = anyC[q][g];
                    }
                    if (otherC[q][g] >= 0 && (otherD[q][g] < bestOther || otherD[q][g] == bestOther && otherC[q][g] < bestOtherClass)) {
                        bestOther = otherD[q][g];
                        bestOtherClass = otherC[q][g];
                    }
                }
                if (bestOtherClass >= 0) {
                    unknown.add(new EvaluationFigures.Answer(EvaluationFigures.NO_CLASS, bestOtherClass, (float) bestOther, s.imageOf()[q]));
                }
                if (own) {
                    known.add(new EvaluationFigures.Answer(s.classOf()[q], bestClass, (float) bestAny, s.imageOf()[q]));
                }
            }
            known.addAll(unknown);
            return known;
        }
    }

    /**
     * A query with a known truth (or {@link EvaluationFigures#NO_CLASS}) against every support, from its distance to each
     * class's nearest support ({@link #nearestPerClass}): the nearest class, the lowest index on ties.
     */
    static EvaluationFigures.Answer answer(double[] nearestPerClass, int truth, String imageSha256) {
        int bestClass = -1;
        for (int c = 0; c < nearestPerClass.length; c++) {
            if (nearestPerClass[c] < (bestClass < 0 ? Double.POSITIVE_INFINITY : nearestPerClass[bestClass])) {
                bestClass = c;
            }
        }
        return new EvaluationFigures.Answer(truth, bestClass, (float) (bestClass < 0 ? Double.POSITIVE_INFINITY : nearestPerClass[bestClass]),
                imageSha256);
    }

    /** The query's cosine distance to each class's nearest support; +∞ for a class without a support. */
    static double[] nearestPerClass(Supports s, float[] query) {
        double[] nearest = new double[s.classCount()];
        java.util.Arrays.fill(nearest, Double.POSITIVE_INFINITY);
        for (int j = 0; j < s.embeddings().length; j++) {
            int c = s.classOf()[j];
            nearest[c] = Math.min(nearest[c], cosineDistance(query, s.embeddings()[j]));
        }
        return nearest;
    }

    /** Cosine distance, as pgvector's {@code <=>}: 1 when either vector is zero. */
    static double cosineDistance(float[] a, float[] b) {
        return 1 - org.affectdml.registry.model.StreamVectors.cosine(a, b);
    }

}

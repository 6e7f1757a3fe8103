package org.affectdml.registry.service;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A case small enough to count by hand: unit vectors in the plane at the given angles. Class A at 0° and 10° and a
 * mislabelled one at 95°, class B at 90° and 100°, class C alone at 45°.
 */
class LeaveOneOutEvaluatorTest {

    private static float[] at(double degrees) {
        double r = Math.toRadians(degrees);
        return new float[]{(float) Math.cos(r), (float) Math.sin(r)};
    }

    private static double d(double degrees) {
        return 1 - Math.cos(Math.toRadians(degrees));
    }

    private static final LeaveOneOutEvaluator.Supports CASE = new LeaveOneOutEvaluator.Supports(
            new float[][]{at(0), at(10), at(95), at(90), at(100), at(45)}, new int[]{0, 0, 0, 1, 1, 2}, 3,
            new String[]{"image-0", "image-1", "image-2", "image-3", "image-4", "image-5"});

    /**
     * Two boxes of one photo never answer each other: with A0 and A10 from the same image, A0's nearest support is C45
     * (A10, nearer, is in its own photo).
     */
    @Test
    void aSupportIsNeverAnsweredBySupportsOfItsOwnImage() {
        LeaveOneOutEvaluator.Supports sameImage = new LeaveOneOutEvaluator.Supports(CASE.embeddings(), CASE.classOf(), 3,
                new String[]{"photo", "photo", "image-2", "image-3", "image-4", "image-5"});
        List<EvaluationFigures.Answer> answers = LeaveOneOutEvaluator.leaveOneOut(sameImage);
        EvaluationFigures.Answer a0 = answers.get(0);
        assertEquals(0, a0.truth());
        assertEquals((float) d(45), a0.distance(), 1e-6f, "A0's nearest outside its photo is C45, not A10");
        assertEquals(2, a0.predicted());
        assertTrue(answers.stream().allMatch(x -> x.image() != null), "every answer names its image");
    }

    /**
     * Held out by image, for the supports: every answer a fold is scored on is its support's nearest among the other
     * folds' supports (of other images), found by brute force here; none of the choosing answers is about that fold's
     * supports or uses one of them as a neighbour.
     */
    @Test
    void heldOutFoldsNeverUseAScoredFoldsSupports() {
        java.util.Random random = new java.util.Random(5);
        int n = 30;
        float[][] embeddings = new float[n][];
        int[] classOf = new int[n];
        String[] imageOf = new String[n];
        for (int i = 0; i < n; i++) {
            double angle = random.nextDouble() * 2 * Math.PI;
            embeddings[i] = new float[]{(float) Math.cos(angle), (float) Math.sin(angle)};
            classOf[i] = i % 3;
            imageOf[i] = "image-" + (i % 12);
        }
        LeaveOneOutEvaluator.Supports s = new LeaveOneOutEvaluator.Supports(embeddings, classOf, 3, imageOf);
        EvaluationFigures.Folds folds = LeaveOneOutEvaluator.folds(s, 5);
        assertEquals(5, folds.count());
        List<String> images = java.util.Arrays.stream(imageOf).distinct().sorted().toList();
        java.util.function.IntUnaryOperator foldOf = q -> images.indexOf(imageOf[q]) % 5;
        for (int f = 0; f < 5; f++) {
            int fold = f;
            for (EvaluationFigures.Answer a : folds.scoring(f)) {
                assertEquals(fold, images.indexOf(a.image()) % 5, "scored answers are about this fold's images");
            }
            for (EvaluationFigures.Answer a : folds.choosing(f)) {
                assertTrue(images.indexOf(a.image()) % 5 != fold, "choosing answers are about the other folds' images");
            }
            for (int q = 0; q < n; q++) {
                if (foldOf.applyAsInt(q) != fold) {
                    continue;
                }
                double best = Double.POSITIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    if (foldOf.applyAsInt(j) != fold && !imageOf[j].equals(imageOf[q])) {
                        best = Math.min(best, LeaveOneOutEvaluator.cosineDistance(embeddings[q], embeddings[j]));
                    }
                }
                int query = q;
                double expected = best;
                assertTrue(folds.scoring(f).stream().filter(a -> a.truth() == classOf[query] && a.image().equals(imageOf[query]))
                        .anyMatch(a -> Math.abs(a.distance() - expected) < 1e-6), "support " + q + " answered against the other folds only");
            }
        }
    }

    @Test
    void figuresEqualTheHandCount() {
        EvaluationFigures.Report r = LeaveOneOutEvaluator.evaluate(CASE, 0.5);
        // queries: A0 -> A (A10), A10 -> A (A0), A95 -> B (B90/B100), B90 -> A (A95), B100 -> A (A95); C has one support only
        assertEquals(5, r.queries());
        assertArrayEquals(new int[]{2, 1, 0}, r.confusion()[0]);
        assertArrayEquals(new int[]{2, 0, 0}, r.confusion()[1]);
        assertArrayEquals(new int[]{0, 0, 0}, r.confusion()[2]);
        assertEquals(2.0 / 5, r.accuracy(), 1e-12);
        assertEquals((2.0 / 3 + 0) / 2, r.balancedAccuracy(), 1e-12, "mean recall over the classes that were asked");
        assertEquals(0.5, r.precision()[0], 1e-12);
        assertEquals(0.0, r.precision()[1], 1e-12);
        assertTrue(Double.isNaN(r.precision()[2]), "C was never answered");
        assertEquals(2.0 / 3, r.recall()[0], 1e-12);
        assertEquals(0.0, r.recall()[1], 1e-12);
        assertArrayEquals(new int[]{3, 2, 0}, r.queriesPerClass(), "known queries asked per class: C has one support only");

        assertArrayEquals(new float[]{(float) d(10), (float) d(10)}, r.correctDistances(), 1e-6f);
        assertArrayEquals(new float[]{(float) d(5), (float) d(5), (float) d(5)}, r.wrongDistances(), 1e-6f);
        // leave-one-class-out: each support's nearest support of another class
        assertArrayEquals(new float[]{(float) d(5), (float) d(5), (float) d(5), (float) d(35), (float) d(35), (float) d(45)},
                r.unknownDistances(), 1e-6f);

        // F1 at t = d(10): 2 correct accepted, 3 wrong + 3 unknown accepted, 5 known: P = 2/8, R = 2/5
        // reported half-way to the next observed distance, d(35): the same queries accepted, none on the edge
        assertEquals((d(10) + d(35)) / 2, r.f1Threshold(), 1e-6);
        assertEquals(2 * 0.25 * 0.4 / (0.25 + 0.4), r.f1(), 1e-6);
        // the largest threshold with at most half the unknown queries accepted: d(10) (3 of 6), accepting 2 of 5 known
        assertEquals((d(10) + d(35)) / 2, r.falseAcceptThreshold(), 1e-6);
        assertEquals(0.5, r.falseAcceptRate(), 1e-6);
        assertEquals(0.4, r.trueAcceptRate(), 1e-6);
    }

    @Test
    void noThresholdMeetsAZeroFalseAcceptRateWhenUnknownQueriesSitClosest() {
        EvaluationFigures.Report r = LeaveOneOutEvaluator.evaluate(CASE, 0.0);
        assertTrue(Float.isNaN(r.falseAcceptThreshold()), "every candidate accepts some unknown query");
    }
}

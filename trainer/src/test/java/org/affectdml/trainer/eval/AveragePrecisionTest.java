package org.affectdml.trainer.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AP and mAP against values worked out by hand (and scikit-learn's average_precision_score on the same input). */
class AveragePrecisionTest {

    @Test
    void theWorkedExampleOfScikitLearn() {
        // sklearn docs: y_true [0, 0, 1, 1], y_score [0.1, 0.4, 0.35, 0.8] -> 0.8333...
        // ranked 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-): recall 1/2 at precision 1, recall 1 at precision 2/3
        assertEquals(0.5 * 1 + 0.5 * (2.0 / 3), AveragePrecision.of(new double[]{0.1, 0.4, 0.35, 0.8}, new boolean[]{false, false, true, true}),
                1e-12);
    }

    @Test
    void tiedScoresEnterTogether() {
        // scores 0.9 (+), 0.5 (+), 0.5 (-), 0.1 (+): thresholds 0.9 -> R 1/3 P 1; 0.5 -> R 2/3 P 2/3; 0.1 -> R 1 P 3/4
        double expected = (1.0 / 3) * 1 + (1.0 / 3) * (2.0 / 3) + (1.0 / 3) * (3.0 / 4);
        assertEquals(expected, AveragePrecision.of(new double[]{0.9, 0.5, 0.5, 0.1}, new boolean[]{true, true, false, true}), 1e-12);
        // the same with the tie's members swapped: a rank-by-rank AP would differ (0.5 (-) first), this one may not
        assertEquals(expected, AveragePrecision.of(new double[]{0.9, 0.5, 0.5, 0.1}, new boolean[]{true, false, true, true}), 1e-12);
    }

    @Test
    void perfectAndWorstRankings() {
        assertEquals(1.0, AveragePrecision.of(new double[]{3, 2, 1}, new boolean[]{true, true, false}), 1e-12);
        // the two positives last of four: P 1/3 at R 1/2, P 2/4 at R 1
        assertEquals(0.5 / 3 + 0.5 * 0.5, AveragePrecision.of(new double[]{4, 3, 2, 1}, new boolean[]{false, false, true, true}), 1e-12);
        assertTrue(Double.isNaN(AveragePrecision.of(new double[]{1, 2}, new boolean[]{false, false})), "no positive: undefined");
    }

    @Test
    void meanOverTheCategoriesThatHaveAPositive() {
        double[][] scores = {{0.9, 0.1, 0.5}, {0.2, 0.8, 0.4}, {0.6, 0.3, 0.7}};
        boolean[][] truth = {{true, false, false}, {false, true, false}, {true, true, false}};
        double[] ap = AveragePrecision.perCategory(scores, truth);
        // category 0: 0.9 (+), 0.6 (+), 0.2 (-) -> 1; category 1: 0.8 (+), 0.3 (+), 0.1 (-) -> 1; category 2: no positive
        assertEquals(1.0, ap[0], 1e-12);
        assertEquals(1.0, ap[1], 1e-12);
        assertTrue(Double.isNaN(ap[2]));
        assertEquals(1.0, AveragePrecision.mean(ap), 1e-12);
        assertEquals(0.5, AveragePrecision.mean(new double[]{1.0, 0.0, Double.NaN}), 1e-12);
    }
}

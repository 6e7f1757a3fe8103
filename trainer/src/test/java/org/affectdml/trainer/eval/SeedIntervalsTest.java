package org.affectdml.trainer.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SeedIntervalsTest {

    /**
     * Seeds that disagree: three training runs whose mean accuracies are 0.40, 0.62, 0.86, each evaluated with 50 support
     * draws of small spread. Treating the 150 draws as independent samples gave ± 1.7 points (the old pooled figure); over
     * the seeds, the unit of replication, the interval is mean ± t(0.975, 2) · s / sqrt(3) = 62.67 ± 4.303 · 0.2301 / 1.732 = 62.67 ± 57.2 points.
     */
    @Test
    void theIntervalIsOverSeedsWithStudentsT() {
        SeedIntervals.Interval i = SeedIntervals.overSeeds(new double[]{0.40, 0.62, 0.86});
        double sd = Math.sqrt(((0.40 - 0.62667) * (0.40 - 0.62667) + (0.62 - 0.62667) * (0.62 - 0.62667)
                + (0.86 - 0.62667) * (0.86 - 0.62667)) / 2);
        double half = 4.302652729911275 * sd / Math.sqrt(3);
        assertEquals(0.626667, i.mean(), 1e-6);
        assertEquals(half, i.halfWidth(), 1e-9);
        assertEquals(0.5715, half, 1e-3, "about ± 57 points, not ± 1.7");
        assertEquals(3, i.seeds());
        assertEquals("62.7 [5.5, 119.8] (n = 3)", i.percent(), "not clipped to [0, 100]: three disagreeing seeds say little");
    }

    @Test
    void aPairedDifferenceRemovesWhatTheSeedDoesToBoth() {
        // seed effects are large (0.3 to 0.8) but setting A beats B by 0.02-0.04 on every seed
        double[] a = {0.33, 0.54, 0.83, 0.62, 0.45};
        double[] b = {0.30, 0.51, 0.80, 0.60, 0.41};
        SeedIntervals.Interval paired = SeedIntervals.pairedDifference(a, b);
        assertEquals(0.03, paired.mean(), 1e-9);
        assertTrue(paired.excludesZeroAbove(), paired.percent());
        // the same numbers compared as two independent groups would not show it: their intervals overlap widely
        SeedIntervals.Interval ia = SeedIntervals.overSeeds(a);
        SeedIntervals.Interval ib = SeedIntervals.overSeeds(b);
        assertTrue(ia.low() < ib.high() && ib.low() < ia.high());
    }

    @Test
    void oneSeedHasNoInterval() {
        SeedIntervals.Interval i = SeedIntervals.overSeeds(new double[]{0.5});
        assertTrue(Double.isNaN(i.low()) && Double.isNaN(i.high()));
        assertEquals("50.0 (n = 1, no interval)", i.percent());
        assertFalse(i.excludesZeroAbove());
    }
}

package org.affectdml.trainer.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The multi-seed table: each seed's figure and the t-interval over seeds, for the metrics every run has. */
class SeedsTableTest {

    @Test
    void seedsThatDisagreeGiveAWideIntervalAndMetricsSomeRunLacksAreLeftOut() {
        // the fixture of SeedIntervalsTest: 0.40, 0.62, 0.86 -> 62.7 [5.5, 119.8]
        List<SeedsTable.Run> runs = List.of(run(1, 0.40, null), run(2, 0.62, 0.3), run(3, 0.86, 0.5));
        Map<String, double[]> metrics = SeedsTable.metrics(runs);
        assertTrue(metrics.containsKey("balanced accuracy") && metrics.containsKey("EMOTIC category mAP"), metrics.keySet().toString());
        assertFalse(metrics.containsKey("mAP (novel classes)"), "seed 1 has no ranking: left out, not averaged over two");
        String md = SeedsTable.markdown(runs);
        assertTrue(md.contains("| balanced accuracy % | 40.00 | 62.00 | 86.00 | 62.7 [5.5, 119.8] (n = 3) |"), md);
        String csv = SeedsTable.csv(runs);
        assertTrue(csv.contains("balanced accuracy,2,0.620000") && csv.contains("balanced accuracy,0.626667,0.055135,1.198198,3"), csv);

        String one = SeedsTable.markdown(List.of(run(5, 0.5, 0.2)));
        assertTrue(one.contains("50.0 (n = 1, no interval)") && one.contains("one seed gives no interval"), one);
    }

    private static SeedsTable.Run run(long seed, double balanced, Double map) {
        var draws = new EvaluationReport.Draws(10, seed, balanced, 0.01, 0, 1, balanced, 0.01, 0, 1);
        var ranking = map == null ? null : new EvaluationReport.Ranking(new double[]{map}, map, 0.01, map, map);
        var categories = new CategoryAveragePrecision.Result(List.of("Anger"), new double[]{0.2}, 0.2 + seed / 100.0, 0.01, 1, 10, 30, List.of());
        return new SeedsTable.Run(seed, new EvaluationReport("v" + seed, "CAT-6:6", null, "Sem-IB-DML", List.of("a"), new int[]{1},
                new EvaluationReport.SingleDraw(seed, balanced, balanced, new int[][]{{1}}, List.of("x")), draws,
                new EvaluationReport.Baselines(0.5, 0.5, "a", 0.5, 0.5), Map.of(), ranking, null, null, null, categories));
    }
}

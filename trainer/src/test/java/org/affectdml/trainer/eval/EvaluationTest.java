package org.affectdml.trainer.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 1-NN scoring, interval arithmetic, report round trip and the paper-shaped tables. */
class EvaluationTest {

    @Test
    void oneNearestNeighbourAndBothAccuracies() {
        float[][] z = {{1, 0}, {0, 1}, {0.9f, 0.1f}, {0.8f, 0.2f}, {0.2f, 0.8f}, {0.6f, 0.4f}};
        int[] labels = {0, 1, 0, 0, 1, 1};
        OneShot.DrawResult r = OneShot.evaluate(z, labels, 2, new int[]{0, 1}, 7);
        // queries 2,3 -> class 0 (right), 4 -> 1 (right), 5 -> 0 (wrong)
        assertEquals(3 / 4.0, r.overall(), 1e-12);
        assertEquals((1.0 + 0.5) / 2, r.balanced(), 1e-12);
        assertEquals(2, r.confusion()[0][0]);
        assertEquals(1, r.confusion()[1][0]);
        // ranked by distance to (1, 0): 2, 3 (class 0), 5, 4; to (0, 1): 4, 5 (class 1), 3, 2: the misclassified query 5
        // still ranks above every other class's query for its own class, so both APs are 1 while accuracy is 3/4
        assertArrayEquals(new double[]{1, 1}, r.averagePrecision(), 1e-12);
        int[] supports = OneShot.drawSupports(labels, 3, new Random(1));
        assertEquals(-1, supports[2], "a class without members has no support");
    }

    @Test
    void rankingAveragesEachClassOverTheDrawsThatDefineIt() {
        EvaluationReport.Ranking k = Evaluator.ranking(new double[][]{{1.0, 0.5}, {Double.NaN, 0.5}, {0.5, 0.25}}, 2);
        assertArrayEquals(new double[]{0.75, 1.25 / 3}, k.perClassAp(), 1e-12);
        // mAP per draw: 0.75, 0.5 (class 0 undefined in draw 2), 0.375
        assertEquals((0.75 + 0.5 + 0.375) / 3, k.mapMean(), 1e-12);
        assertEquals(Evaluator.ci95(new double[]{0.75, 0.5, 0.375}), k.mapCi95(), 1e-12);
    }

    @Test
    void kShotTakesTheNearestOfEachClassesSupports() {
        float[][] z = {{1, 0}, {0, 1}, {0.1f, 0.9f}, {0.6f, 0.4f}, {0.4f, 0.6f}, {0.45f, 0.55f}};
        int[] labels = {0, 1, 0, 0, 1, 1};
        boolean[] queries = {false, false, false, true, true, true};
        // 1-shot: supports 0 and 1; query 3 (class 0) nearer (1, 0), 4 and 5 (class 1) nearer (0, 1): all right
        OneShot.DrawResult one = OneShot.evaluate(z, labels, 2, new int[][]{{0}, {1}}, queries, 1);
        assertEquals(1.0, one.overall(), 1e-12);
        // 2-shot: class 0 also has row 2 (0.1, 0.9), which is nearer to queries 4 and 5 than class 1's (0, 1): both wrong
        OneShot.DrawResult two = OneShot.evaluate(z, labels, 2, new int[][]{{0, 2}, {1}}, queries, 1);
        assertEquals(1 / 3.0, two.overall(), 1e-12);
        assertEquals(2, two.confusion()[1][0]);
    }

    @Test
    void levelErrorsCountLevelsNotClasses() {
        int[][] confusion = {{3, 1, 0}, {0, 2, 2}, {1, 0, 1}};
        // levels 2, 4, 7: only the diagonal is within one level; |errors| 2 (once), 3 (twice), 5 (once)
        assertEquals(6 / 10.0, Evaluator.withinOneLevel(confusion, new int[]{2, 4, 7}), 1e-12);
        assertEquals((2 + 2 * 3 + 5) / 10.0, Evaluator.meanAbsoluteLevelError(confusion, new int[]{2, 4, 7}), 1e-12);
        // levels 1, 2, 5: answering 2 for 1 (and 1 for 2) is within one
        assertEquals(5 / 6.0, Evaluator.withinOneLevel(new int[][]{{1, 1, 0}, {1, 0, 1}, {0, 0, 2}}, new int[]{1, 2, 5}), 1e-12);
        // the continuous error: answered levels 2, 7, (not a query), 4 against values 2.5, 6.0, 9.0, NaN -> |2 - 2.5|, |7 - 6|
        assertEquals((0.5 + 1.0) / 2, Evaluator.meanContinuousError(new int[]{0, 2, -1, 1}, new int[]{2, 4, 7},
                new double[]{2.5, 6.0, 9.0, Double.NaN}), 1e-12);
        assertTrue(Double.isNaN(Evaluator.meanContinuousError(new int[]{-1}, new int[]{2}, new double[]{3})), "no answered query");
        // a person's continuous value: its annotators' mean (missing ones left out), else the combined value, else NaN
        var annotated = person(List.of(new double[]{3, 4, 5}, new double[]{5, Double.NaN, 7}), null);
        var combinedOnly = person(List.of(), new double[]{6, 2, 8});
        var none = person(List.of(), null);
        var features = new org.affectdml.trainer.features.ExtractedFeatures(List.of(annotated, combinedOnly, none), List.of(), List.of(), 0, 0, 0);
        var novel = new Evaluator.NovelEmbeddings(new float[3][], new int[3], List.of(new org.affectdml.trainer.protocol.ProtocolSplit.Sample(0, 0),
                new org.affectdml.trainer.protocol.ProtocolSplit.Sample(1, 0), new org.affectdml.trainer.protocol.ProtocolSplit.Sample(2, 0)), List.of("2"));
        assertArrayEquals(new double[]{4, 2, Double.NaN}, Evaluator.continuousValues(novel, features,
                org.affectdml.trainer.protocol.Dimension.AROUSAL), 1e-12, "arousal: (4) of the annotators who gave one; then combined");
        assertArrayEquals(new double[]{6, 8, Double.NaN}, Evaluator.continuousValues(novel, features,
                org.affectdml.trainer.protocol.Dimension.DOMINANCE), 1e-12);
    }

    @Test
    void intervalAndPercentilesFollowTheirFormulas() {
        double[] v = {0.2, 0.4, 0.6, 0.8};
        assertEquals(0.5, Evaluator.mean(v), 1e-12);
        double sd = Math.sqrt((0.09 + 0.01 + 0.01 + 0.09) / 3);
        assertEquals(1.96 * sd / 2, Evaluator.ci95(v), 1e-12);
        assertEquals(0.2 + 0.025 * 3 * 0.2, Evaluator.percentile(v, 0.025), 1e-12);
    }

    @Test
    void reportsRoundTripAndRenderAsThePapersTables(@TempDir Path tmp) throws Exception {
        EvaluationReport cat = report("CAT-6:4", null, 0.40, 0.35);
        EvaluationReport lev = report("LEV-7:3", "valence", 0.55, 0.50);
        ReportWriter.write(cat, tmp.resolve("a"));
        EvaluationReport back = ReportWriter.read(tmp.resolve("a/evaluation.json"));
        assertEquals(cat.draws(), back.draws());
        assertEquals(cat.classes(), back.classes());
        String tables = PaperTables.render(List.of(back, lev));
        assertTrue(tables.contains("| paper: Sem-IB-DML | 33.76 | 36.26 |"), tables);
        assertTrue(tables.contains("| **this work: Sem-IB-DML** | – | 40.00 / 35.00 ± 1.00 |"), tables);
        assertTrue(tables.contains("| paper: Sem-IB-DML | 52.36 | 47.19 | 64.52 | 54.69 |"), "Avg is recomputed (the paper prints 54.89)");
        assertTrue(tables.contains("| **this work: Sem-IB-DML** | 55.00 / 50.00 ± 1.00 | – | – | – |"), tables);
        String csv = ReportWriter.csv(cat);
        assertTrue(csv.contains("overall_mean,0.350000"), csv);
        assertTrue(csv.contains("map_mean,0.700000") && csv.contains("ap_b,0.800000"), csv);
        assertTrue(ReportWriter.markdown(cat).contains("mAP 70.00 ± 2.00 %"), ReportWriter.markdown(cat));
        assertTrue(ReportWriter.markdown(cat).contains("| 5 | 60.00 ± 1.00 | 55.00 ± 2.00 | 80.00 ± 1.00 |")
                && ReportWriter.markdown(cat).contains("| 10 | – | – | – (class b has 7 persons) |"), ReportWriter.markdown(cat));
        assertTrue(csv.contains("5_shot_balanced_mean,0.550000") && !csv.contains("10_shot"), csv);
        assertTrue(csv.contains("emotic_category_map_mean,0.365000") && csv.contains("emotic_ap_Peace,0.420000"), csv);
        assertTrue(ReportWriter.markdown(cat).contains("2 of the 26 on the 40 evaluated persons: 1-shot mAP 36.50 ± 2.00 % over 100 draws")
                && ReportWriter.markdown(cat).contains("| Anger | 31.00 |")
                && ReportWriter.markdown(cat).contains("Not evaluated (carried by no more than 1 persons): Aversion."), ReportWriter.markdown(cat));
        assertEquals(List.of("Anger", "Peace"), back.emoticCategories().categories(), "the JSON report keeps the EMOTIC categories");
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[]{0.31, 0.42}, back.emoticCategories().meanAp(), 0.0);
        assertTrue(csv.contains("ece_registry_temperature,0.250000") && csv.contains("fitted_temperature,0.400000"), csv);
        assertTrue(ReportWriter.markdown(cat).contains("ECE 0.050, NLL 0.900 at T 0.4000 fitted on 120 validation answers"),
                ReportWriter.markdown(cat));
        assertTrue(ReportWriter.csv(lev).contains("absolute_level_error_mean,1.100000") && !csv.contains("level_error"), ReportWriter.csv(lev));
        assertTrue(ReportWriter.csv(lev).contains("continuous_error_mean,1.350000"), ReportWriter.csv(lev));
        assertTrue(ReportWriter.markdown(lev).contains("(12 evaluated persons have one: their annotators' mean, else the combined value): "
                + "mean absolute error 1.35 ± 0.04"), ReportWriter.markdown(lev));
        ReportWriter.write(lev, tmp.resolve("lev"));
        EvaluationReport.LevelErrors levBack = ReportWriter.read(tmp.resolve("lev/evaluation.json")).levels();
        assertEquals(1.35, levBack.continuousErrorMean(), 0.0, "the JSON report keeps the continuous error");
        assertEquals(12, levBack.continuousQueries());
        assertTrue(ReportWriter.markdown(lev).contains("mean absolute error 1.10 ± 0.05 levels")
                && ReportWriter.markdown(lev).contains("within one level equals exact accuracy here"), ReportWriter.markdown(lev));
    }

    private static EvaluationReport report(String protocol, String dimension, double single, double mean) {
        return new EvaluationReport("v1", protocol, dimension, "Sem-IB-DML", List.of("a", "b"), new int[]{3, 4},
                new EvaluationReport.SingleDraw(2021, single, single, new int[][]{{2, 1}, {1, 3}}, List.of("x", "y")),
                new EvaluationReport.Draws(100, 2022, mean, 0.01, mean - 0.1, mean + 0.1, mean, 0.01, mean - 0.1, mean + 0.1),
                new EvaluationReport.Baselines(0.5, 0.5, "b", 4 / 7.0, 0.5), Map.of(),
                new EvaluationReport.Ranking(new double[]{0.6, 0.8}, 0.7, 0.02, 0.6, 0.8),
                dimension == null ? null : new EvaluationReport.LevelErrors(new int[]{2, 4}, 0.55, 0.01, 1.1, 0.05, 1.35, 0.04, 12),
                List.of(new EvaluationReport.Shots(5, new EvaluationReport.Draws(100, 2022, 0.6, 0.01, 0.5, 0.7, 0.55, 0.02, 0.45, 0.65), 0.8,
                        0.01, null), new EvaluationReport.Shots(10, null, Double.NaN, Double.NaN, "class b has 7 persons")),
                new EvaluationReport.ProbabilityCalibration(0.1, 0.25, 1.5, 0.4, 120, 0.05, 0.9, 700),
                new CategoryAveragePrecision.Result(List.of("Anger", "Peace"), new double[]{0.31, 0.42}, 0.365, 0.02, 1, 100, 40,
                        List.of("Aversion")));
    }

    private static org.affectdml.trainer.emotic.EmoticPerson person(List<double[]> vad, double[] combined) {
        return new org.affectdml.trainer.emotic.EmoticPerson("test", "test", "a.jpg", 10, 10, new float[]{0, 0, 5, 5}, List.of(List.of("Peace")),
                vad, combined);
    }
}

package org.affectdml.trainer.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes an {@link EvaluationReport} as {@code evaluation.json}, {@code evaluation.csv} (metric,value rows) and
 * {@code evaluation.md} (a table shaped like the paper's Table II / III column, with this run beside it).
 */
public final class ReportWriter {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private ReportWriter() {
    }

    public static void write(EvaluationReport r, Path directory) throws IOException {
        Files.createDirectories(directory);
        JSON.writeValue(directory.resolve("evaluation.json").toFile(), r);
        Files.writeString(directory.resolve("evaluation.csv"), csv(r));
        Files.writeString(directory.resolve("evaluation.md"), markdown(r));
    }

    public static EvaluationReport read(Path json) throws IOException {
        return JSON.readValue(json.toFile(), EvaluationReport.class);
    }

    static String csv(EvaluationReport r) {
        List<String> rows = new ArrayList<>();
        rows.add("metric,value");
        rows.add(row("single_draw_seed", r.singleDraw().seed()));
        rows.add(row("single_draw_overall", r.singleDraw().overall()));
        rows.add(row("single_draw_balanced", r.singleDraw().balanced()));
        var d = r.draws();
        rows.add(row("draws", d.count()));
        rows.add(row("overall_mean", d.overallMean()));
        rows.add(row("overall_ci95", d.overallCi95()));
        rows.add(row("overall_p2.5", d.overallP025()));
        rows.add(row("overall_p97.5", d.overallP975()));
        rows.add(row("balanced_mean", d.balancedMean()));
        rows.add(row("balanced_ci95", d.balancedCi95()));
        rows.add(row("balanced_p2.5", d.balancedP025()));
        rows.add(row("balanced_p97.5", d.balancedP975()));
        if (r.ranking() != null) {
            rows.add(row("map_mean", r.ranking().mapMean()));
            rows.add(row("map_ci95", r.ranking().mapCi95()));
            rows.add(row("map_p2.5", r.ranking().mapP025()));
            rows.add(row("map_p97.5", r.ranking().mapP975()));
            for (int c = 0; c < r.classes().size(); c++) {
                rows.add(row("ap_" + r.classes().get(c).replace(' ', '_'), r.ranking().perClassAp()[c]));
            }
        }
        if (r.levels() != null) {
            rows.add(row("within_one_level_mean", r.levels().withinOneMean()));
            rows.add(row("within_one_level_ci95", r.levels().withinOneCi95()));
            rows.add(row("absolute_level_error_mean", r.levels().absoluteErrorMean()));
            rows.add(row("absolute_level_error_ci95", r.levels().absoluteErrorCi95()));
            rows.add(row("continuous_error_mean", r.levels().continuousErrorMean()));
            rows.add(row("continuous_error_ci95", r.levels().continuousErrorCi95()));
        }
        if (r.kShot() != null) {
            for (EvaluationReport.Shots k : r.kShot()) {
                if (k.draws() != null) {
                    rows.add(row(k.shots() + "_shot_overall_mean", k.draws().overallMean()));
                    rows.add(row(k.shots() + "_shot_balanced_mean", k.draws().balancedMean()));
                    rows.add(row(k.shots() + "_shot_balanced_ci95", k.draws().balancedCi95()));
                    rows.add(row(k.shots() + "_shot_map_mean", k.mapMean()));
                }
            }
        }
        if (r.calibration() != null) {
            var c = r.calibration();
            rows.add(row("ece_registry_temperature", c.registryEce()));
            rows.add(row("nll_registry_temperature", c.registryNll()));
            rows.add(row("fitted_temperature", c.fittedTemperature()));
            rows.add(row("ece_fitted_temperature", c.fittedEce()));
            rows.add(row("nll_fitted_temperature", c.fittedNll()));
        }
        if (r.emoticCategories() != null && !Double.isNaN(r.emoticCategories().mapMean())) {
            var e = r.emoticCategories();
            rows.add(row("emotic_category_map_mean", e.mapMean()));
            rows.add(row("emotic_category_map_ci95", e.mapCi95()));
            for (int c = 0; c < e.categories().size(); c++) {
                rows.add(row("emotic_ap_" + e.categories().get(c).replace(' ', '_').replace('/', '_'), e.meanAp()[c]));
            }
        }
        rows.add(row("random_overall", r.baselines().randomOverall()));
        rows.add(row("majority_overall", r.baselines().majorityOverall()));
        rows.add(row("majority_balanced", r.baselines().majorityBalanced()));
        for (int c = 0; c < r.classes().size(); c++) {
            rows.add(row("queries_" + r.classes().get(c).replace(' ', '_'), r.queryCounts()[c]));
        }
        return String.join("\n", rows) + "\n";
    }

    private static boolean adjacent(int[] levels) {
        for (int a : levels) {
            for (int b : levels) {
                if (Math.abs(a - b) == 1) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String row(String name, Object value) {
        return name + "," + (value instanceof Double v ? String.format(Locale.ROOT, "%.6f", v) : value);
    }

    /** The paper's column for this protocol beside this run; accuracies in %. */
    public static String markdown(EvaluationReport r) {
        String column = r.protocol() + (r.dimension() == null ? "" : " " + r.dimension());
        StringBuilder b = new StringBuilder();
        b.append("# One-shot evaluation: ").append(r.bundle()).append(" on ").append(column).append("\n\n");
        b.append("Novel classes: ");
        for (int c = 0; c < r.classes().size(); c++) {
            b.append(c == 0 ? "" : ", ").append(r.classes().get(c)).append(" (").append(r.queryCounts()[c]).append(" queries)");
        }
        b.append("\n\n| Method | ").append(column).append(" overall % | balanced % |\n|---|--:|--:|\n");
        for (Map.Entry<String, Double> e : r.paper().entrySet()) {
            b.append("| paper: ").append(e.getKey()).append(" | ").append(String.format(Locale.ROOT, "%.2f", e.getValue())).append(" | – |\n");
        }
        b.append(String.format(Locale.ROOT, "| random (1/C) | %.2f | %.2f |%n", 100 * r.baselines().randomOverall(), 100 * r.baselines().randomBalanced()));
        b.append(String.format(Locale.ROOT, "| majority class (%s) | %.2f | %.2f |%n", r.baselines().majorityClass(),
                100 * r.baselines().majorityOverall(), 100 * r.baselines().majorityBalanced()));
        String name = r.variant() == null ? r.bundle() : r.variant();
        b.append(String.format(Locale.ROOT, "| **this run: %s, single draw (seed %d, paper protocol)** | %.2f | %.2f |%n", name,
                r.singleDraw().seed(), 100 * r.singleDraw().overall(), 100 * r.singleDraw().balanced()));
        var d = r.draws();
        b.append(String.format(Locale.ROOT, "| **this run: %s, mean ± 95%% CI over %d draws** | %.2f ± %.2f | %.2f ± %.2f |%n", name,
                d.count(), 100 * d.overallMean(), 100 * d.overallCi95(), 100 * d.balancedMean(), 100 * d.balancedCi95()));
        b.append(String.format(Locale.ROOT, "| this run: 2.5–97.5 %% range of single draws | %.2f–%.2f | %.2f–%.2f |%n",
                100 * d.overallP025(), 100 * d.overallP975(), 100 * d.balancedP025(), 100 * d.balancedP975()));
        if (r.ranking() != null) {
            var k = r.ranking();
            b.append(String.format(Locale.ROOT, "%nRanking (the EMOTIC literature's metric; not in the paper): mAP %.2f ± %.2f %% (95 %% CI over %d "
                    + "draws; single draws %.2f–%.2f); per class AP:", 100 * k.mapMean(), 100 * k.mapCi95(), d.count(), 100 * k.mapP025(),
                    100 * k.mapP975()));
            for (int c = 0; c < r.classes().size(); c++) {
                b.append(String.format(Locale.ROOT, "%s %s %.2f", c == 0 ? "" : ",", r.classes().get(c), 100 * k.perClassAp()[c]));
            }
            b.append(". Chance AP is a class's share of the queries.\n");
        }
        if (r.levels() != null) {
            var l = r.levels();
            b.append(String.format(Locale.ROOT, "%nLevels %s: within one level %.2f ± %.2f %%, mean absolute error %.2f ± %.2f levels (95 %% CI over "
                    + "%d draws).", java.util.Arrays.toString(l.levels()), 100 * l.withinOneMean(), 100 * l.withinOneCi95(), l.absoluteErrorMean(),
                    l.absoluteErrorCi95(), d.count()));
            b.append(adjacent(l.levels()) ? "" : " No two of these levels are adjacent, so within one level equals exact accuracy here.");
            b.append(l.continuousQueries() == 0 ? " No query has a continuous value on the dimension.\n"
                    : String.format(Locale.ROOT, " Against the answered queries' continuous values (%d evaluated persons have one: their "
                    + "annotators' mean, else the combined value): mean absolute error %.2f ± %.2f on the 1-10 scale.%n", l.continuousQueries(),
                    l.continuousErrorMean(), l.continuousErrorCi95()));
        }
        if (r.kShot() != null && !r.kShot().isEmpty()) {
            b.append("\n| k-shot (not in the paper; same draw seeds) | overall % | balanced % | mAP % |\n|---|--:|--:|--:|\n");
            b.append(String.format(Locale.ROOT, "| 1 (above) | %.2f ± %.2f | %.2f ± %.2f | %s |%n", 100 * d.overallMean(), 100 * d.overallCi95(),
                    100 * d.balancedMean(), 100 * d.balancedCi95(),
                    r.ranking() == null ? "–" : String.format(Locale.ROOT, "%.2f ± %.2f", 100 * r.ranking().mapMean(), 100 * r.ranking().mapCi95())));
            for (EvaluationReport.Shots k : r.kShot()) {
                if (k.draws() == null) {
                    b.append("| ").append(k.shots()).append(" | – | – | – (").append(k.refused()).append(") |\n");
                } else {
                    b.append(String.format(Locale.ROOT, "| %d | %.2f ± %.2f | %.2f ± %.2f | %.2f ± %.2f |%n", k.shots(), 100 * k.draws().overallMean(),
                            100 * k.draws().overallCi95(), 100 * k.draws().balancedMean(), 100 * k.draws().balancedCi95(), 100 * k.mapMean(),
                            100 * k.mapCi95()));
                }
            }
        }
        if (r.calibration() != null) {
            var c = r.calibration();
            b.append(String.format(Locale.ROOT, "%nProbabilities (softmax of -d²/T) on the %d test answers: ECE %.3f, NLL %.3f at the registry's T %s",
                    c.testAnswers(), c.registryEce(), c.registryNll(), c.registryTemperature()));
            b.append(Double.isNaN(c.fittedTemperature())
                    ? "; no temperature fitted on held-out answers of this protocol and split applies to this evaluation.\n"
                    : String.format(Locale.ROOT, "; ECE %.3f, NLL %.3f at T %.4f fitted on %d validation answers (never on these).%n", c.fittedEce(),
                    c.fittedNll(), c.fittedTemperature(), c.fittedOnValidationAnswers()));
        }
        if (r.emoticCategories() != null) {
            b.append(emoticCategories(r.emoticCategories()));
        }
        b.append("\nThe paper reports overall accuracy of one support draw; its CAT-6:4 random row is 6-way guessing (docs/method.md §1).\n");
        if (r.setup() != null && !r.setup().isEmpty()) {
            b.append("\n**Not the paper's setup:** ").append(r.setup()).append(" (docs/method.md §8).\n");
        }
        return b.toString();
    }

    /** EMOTIC's multi-label ranking metric on the evaluated persons: mAP and the per-category APs. */
    static String emoticCategories(CategoryAveragePrecision.Result e) {
        StringBuilder b = new StringBuilder();
        if (e.categories().isEmpty()) {
            return b.append("\nEMOTIC categories: none carried by more than ").append(e.shots()).append(" evaluated persons.\n").toString();
        }
        b.append(String.format(Locale.ROOT, "%nEMOTIC categories, multi-label (every category an annotator gave), %d of the 26 on the %d evaluated "
                + "persons: %d-shot mAP %.2f ± %.2f %% over %d draws (per draw and category, %d carrier(s) as supports, the persons of "
                + "other photos ranked by distance; not EMOTIC's own train/test protocol).%n%n| category | AP %% |%n|---|--:|%n",
                e.categories().size(), e.persons(), e.shots(), 100 * e.mapMean(), 100 * e.mapCi95(), e.draws(), e.shots()));
        for (int c = 0; c < e.categories().size(); c++) {
            b.append(String.format(Locale.ROOT, "| %s | %.2f |%n", e.categories().get(c), 100 * e.meanAp()[c]));
        }
        if (!e.skipped().isEmpty()) {
            b.append("\nNot evaluated (carried by no more than ").append(e.shots()).append(" persons): ")
                    .append(String.join(", ", e.skipped())).append(".\n");
        }
        return b.toString();
    }
}

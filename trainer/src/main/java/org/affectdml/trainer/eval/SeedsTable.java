package org.affectdml.trainer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * One table for the same training run with several seeds: per metric, each seed's figure (its mean over its support
 * draws) and the mean with its Student's t interval over the seeds ({@link SeedIntervals}), the unit of replication of
 * a training outcome (docs/method.md §6.1). Metrics a report does not have (k-shot refused, no LEV protocol, no fitted
 * temperature) are left out.
 */
public final class SeedsTable {

    /** One seed's evaluation. */
    public record Run(long seed, EvaluationReport report) {
    }

    private SeedsTable() {
    }

    /** The metrics as fractions (accuracies, APs, ECE) or levels, per seed in run order; only those every run has. */
    static Map<String, double[]> metrics(List<Run> runs) {
        Map<String, ToDoubleFunction<EvaluationReport>> candidates = new LinkedHashMap<>();
        candidates.put("overall accuracy", r -> r.draws().overallMean());
        candidates.put("balanced accuracy", r -> r.draws().balancedMean());
        candidates.put("mAP (novel classes)", r -> r.ranking() == null ? Double.NaN : r.ranking().mapMean());
        candidates.put("EMOTIC category mAP", r -> r.emoticCategories() == null ? Double.NaN : r.emoticCategories().mapMean());
        for (EvaluationReport.Shots k : runs.get(0).report().kShot() == null ? List.<EvaluationReport.Shots>of() : runs.get(0).report().kShot()) {
            int shots = k.shots();
            candidates.put(shots + "-shot balanced accuracy", r -> shotsOf(r, shots));
        }
        candidates.put("ECE at the fitted temperature", r -> r.calibration() == null ? Double.NaN : r.calibration().fittedEce());
        candidates.put("within one level", r -> r.levels() == null ? Double.NaN : r.levels().withinOneMean());
        candidates.put("mean absolute level error (levels)", r -> r.levels() == null ? Double.NaN : r.levels().absoluteErrorMean());
        candidates.put("continuous V/A/D error (1-10 scale)", r -> r.levels() == null ? Double.NaN : r.levels().continuousErrorMean());
        Map<String, double[]> out = new LinkedHashMap<>();
        candidates.forEach((name, metric) -> {
            double[] perSeed = runs.stream().mapToDouble(run -> metric.applyAsDouble(run.report())).toArray();
            if (java.util.Arrays.stream(perSeed).noneMatch(Double::isNaN)) {
                out.put(name, perSeed);
            }
        });
        return out;
    }

    private static double shotsOf(EvaluationReport r, int shots) {
        if (r.kShot() == null) {
            return Double.NaN;
        }
        return r.kShot().stream().filter(k -> k.shots() == shots && k.draws() != null).mapToDouble(k -> k.draws().balancedMean())
                .findFirst().orElse(Double.NaN);
    }

    private static boolean inLevels(String metric) {
        return metric.contains("error (");
    }

    /** Markdown: a row per metric, a column per seed, then the mean [95 % t-interval] over the seeds. */
    public static String markdown(List<Run> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs");
        }
        StringBuilder b = new StringBuilder("| metric |");
        runs.forEach(r -> b.append(" seed ").append(r.seed()).append(" |"));
        b.append(" mean [95 % t-interval over seeds] |\n|---|");
        runs.forEach(r -> b.append("--:|"));
        b.append("--:|\n");
        metrics(runs).forEach((name, perSeed) -> {
            boolean levels = inLevels(name);
            b.append("| ").append(name).append(levels ? "" : " %").append(" |");
            for (double v : perSeed) {
                b.append(String.format(Locale.ROOT, " %.2f |", levels ? v : 100 * v));
            }
            SeedIntervals.Interval i = SeedIntervals.overSeeds(perSeed);
            b.append(' ').append(levels ? inLevelsText(i) : i.percent()).append(" |\n");
        });
        b.append(String.format(Locale.ROOT, "%nEach seed's figure is its mean over its support draws; the interval is Student's t over the %d "
                + "seeds' figures (docs/method.md §6.1)%s.%n", runs.size(), runs.size() < 2 ? "; one seed gives no interval" : ""));
        return b.toString();
    }

    /** CSV: metric, seed, value rows, then metric, mean, low, high (fractions; levels as levels). */
    public static String csv(List<Run> runs) {
        StringBuilder b = new StringBuilder("metric,seed,value\n");
        List<String> summary = new ArrayList<>();
        metrics(runs).forEach((name, perSeed) -> {
            for (int i = 0; i < perSeed.length; i++) {
                b.append(String.format(Locale.ROOT, "%s,%d,%.6f%n", name, runs.get(i).seed(), perSeed[i]));
            }
            SeedIntervals.Interval interval = SeedIntervals.overSeeds(perSeed);
            summary.add(String.format(Locale.ROOT, "%s,%.6f,%.6f,%.6f,%d", name, interval.mean(), interval.low(), interval.high(), interval.seeds()));
        });
        b.append("metric,mean,low95,high95,seeds\n");
        summary.forEach(line -> b.append(line).append('\n'));
        return b.toString();
    }

    private static String inLevelsText(SeedIntervals.Interval i) {
        return i.seeds() < 2 ? String.format(Locale.ROOT, "%.2f (n = 1, no interval)", i.mean())
                : String.format(Locale.ROOT, "%.2f [%.2f, %.2f] (n = %d)", i.mean(), i.low(), i.high(), i.seeds());
    }
}

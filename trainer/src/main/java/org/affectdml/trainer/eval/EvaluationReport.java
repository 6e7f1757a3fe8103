package org.affectdml.trainer.eval;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * One-shot evaluation of a bundle on the novel classes of a protocol: the paper's single support draw, the
 * mean and spread over many draws, baselines, and the paper's numbers for the same column. Accuracies are
 * fractions (0..1); the paper's numbers are in % as printed.
 */
@JsonPropertyOrder({"bundle", "protocol", "dimension", "variant", "classes", "query_counts", "single_draw", "draws", "ranking", "levels",
        "k_shot", "calibration", "emotic_categories", "baselines", "paper"})
public record EvaluationReport(String bundle, String protocol, String dimension, String variant, List<String> classes,
                               int[] queryCounts, SingleDraw singleDraw, Draws draws, Baselines baselines,
                               Map<String, Double> paper, String setup, Ranking ranking, LevelErrors levels, List<Shots> kShot,
                               ProbabilityCalibration calibration, CategoryAveragePrecision.Result emoticCategories) {

    /** Without a setup line (set by {@link #withSetup}). */
    public EvaluationReport(String bundle, String protocol, String dimension, String variant, List<String> classes, int[] queryCounts,
                            SingleDraw singleDraw, Draws draws, Baselines baselines, Map<String, Double> paper, Ranking ranking,
                            LevelErrors levels, List<Shots> kShot, ProbabilityCalibration calibration,
                            CategoryAveragePrecision.Result emoticCategories) {
        this(bundle, protocol, dimension, variant, classes, queryCounts, singleDraw, draws, baselines, paper, "", ranking, levels, kShot,
                calibration, emoticCategories);
    }

    /** The same report with the line saying how the evaluated setup differs from the paper's. */
    public EvaluationReport withSetup(String how) {
        return new EvaluationReport(bundle, protocol, dimension, variant, classes, queryCounts, singleDraw, draws, baselines, paper, how,
                ranking, levels, kShot, calibration, emoticCategories);
    }

    /**
     * Average precision over the same draws (the EMOTIC literature's ranking metric, {@link AveragePrecision}): per
     * class the mean over draws of its AP (the draw's queries ranked by distance to the class's support), and mAP (the
     * mean over classes) per draw summarised as {@link Draws} summarises accuracy. Null in reports written before it.
     */
    public record Ranking(double[] perClassAp, double mapMean, double mapCi95, double mapP025, double mapP975) {
    }

    /**
     * How well the registry's probabilities (softmax of −d²/T over the classes' nearest supports) match the frequencies
     * they claim, on every answer of the test draws: expected calibration error (15 bins) and negative log-likelihood at
     * the registry's temperature, and at the temperature fitted on the base-class validation answers (NaN when none was
     * fitted). The test answers never enter the fit.
     */
    public record ProbabilityCalibration(double registryTemperature, double registryEce, double registryNll, double fittedTemperature,
                              int fittedOnValidationAnswers, double fittedEce, double fittedNll, int testAnswers) {
    }

    /**
     * k-shot evaluation over the same draw seeds: k supports per novel class, each query the class of its nearest
     * support; accuracies summarised as {@link Draws}, mAP as mean and 95 % CI over draws. When some class has no
     * more than k persons, {@code refused} says so and the numbers are absent.
     */
    public record Shots(int shots, Draws draws, double mapMean, double mapCi95, String refused) {
    }

    /**
     * For level protocols (LEV-*), the error in levels of the V/A/D dimension (EMOTIC's 1-10 scale) over the same draws:
     * the share of queries answered within one level of their own, and the mean absolute difference between the
     * answered and the true level, each as mean and 95 % CI over draws; and the continuous error: the mean absolute
     * difference between the answered level and the query's continuous value (the mean of its annotators' values on
     * the dimension), over the {@code continuousQueries} queries that have one (NaN when none has). Null for
     * categorical protocols.
     */
    public record LevelErrors(int[] levels, double withinOneMean, double withinOneCi95, double absoluteErrorMean,
                              double absoluteErrorCi95, double continuousErrorMean, double continuousErrorCi95, int continuousQueries) {
    }

    /** The paper's protocol: one seeded draw; {@code supports} names the support person of each class. */
    public record SingleDraw(long seed, double overall, double balanced, int[][] confusion, List<String> supports) {
    }

    /**
     * Over {@code count} draws with seeds seed+1..seed+count: mean, half-width of the 95 % confidence interval of
     * the mean (1.96 s / sqrt(n)), and the 2.5/97.5 percentiles of single draws (what one draw can give).
     */
    public record Draws(int count, long firstSeed, double overallMean, double overallCi95, double overallP025,
                        double overallP975, double balancedMean, double balancedCi95, double balancedP025,
                        double balancedP975) {
    }

    /** Uniform guessing (1/C both ways) and always answering the most frequent query class. */
    public record Baselines(double randomOverall, double randomBalanced, String majorityClass, double majorityOverall,
                            double majorityBalanced) {
    }
}

package org.affectdml.trainer.eval;

import org.affectdml.trainer.emotic.EmoticCategories;

import org.affectdml.service.calibration.Calibration;
import ai.onnxruntime.OrtException;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.embedding.FusedEmbedder;
import org.affectdml.trainer.features.ExtractedFeatures;
import org.affectdml.trainer.features.PersonFeatures;
import org.affectdml.trainer.head.Sem2VecBatchUnion;
import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.Protocol;
import org.affectdml.trainer.protocol.ProtocolSplit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Evaluates any bundle one-shot on a protocol's novel classes, through the bundle's own ONNX head (what the
 * services run), on features extracted with the bundle's encoders.
 */
public final class Evaluator {

    /** Novel-class embeddings and their class index among the novel classes (0..C_novel-1). */
    public record NovelEmbeddings(float[][] embeddings, int[] labels, List<ProtocolSplit.Sample> samples, List<String> classes) {
    }

    private Evaluator() {
    }

    public static NovelEmbeddings embedNovel(LoadedBundle bundle, ExtractedFeatures features, ProtocolSplit split, Protocol protocol)
            throws OrtException {
        return embed(bundle, features, split.novel(), protocol, false);
    }

    /** The base-class validation persons through the bundle, their labels among the base classes (0..C_base-1). */
    public static NovelEmbeddings embedValidation(LoadedBundle bundle, ExtractedFeatures features, ProtocolSplit split, Protocol protocol)
            throws OrtException {
        return embed(bundle, features, split.validation(), protocol, true);
    }

    private static NovelEmbeddings embed(LoadedBundle bundle, ExtractedFeatures features, List<ProtocolSplit.Sample> samples, Protocol protocol,
                                         boolean base) throws OrtException {
        List<String> names = new ArrayList<>();
        Map<Integer, Integer> novelIndex = new HashMap<>();
        for (int c = 0; c < protocol.classes().size(); c++) {
            if (protocol.classes().get(c).base() == base) {
                novelIndex.put(c, names.size());
                names.add(protocol.classes().get(c).name());
            }
        }
        float[][] z = new float[samples.size()][];
        int[] labels = new int[samples.size()];
        // a bundle trained on the public code's batch-union Sem2Vec is evaluated the same way, in batches of its training size
        int unionBatch = Sem2VecBatchUnion.batchOf(bundle.manifest().hyperparameters());
        float[][] unions = null;
        if (unionBatch > 0) {
            float[][] perImage = new float[samples.size()][];
            for (int i = 0; i < samples.size(); i++) {
                perImage[i] = features.features().get(samples.get(i).person()).sem2vec();
            }
            unions = Sem2VecBatchUnion.apply(perImage, unionBatch);
        }
        int chunk = 512;
        for (int start = 0; start < samples.size(); start += chunk) {
            int end = Math.min(samples.size(), start + chunk);
            float[][] image = new float[end - start][];
            float[][] body = new float[end - start][];
            float[][] sem = new float[end - start][];
            for (int i = start; i < end; i++) {
                PersonFeatures f = features.features().get(samples.get(i).person());
                image[i - start] = f.image();
                body[i - start] = f.body();
                sem[i - start] = unions == null ? f.sem2vec() : unions[i];
                labels[i] = novelIndex.get(samples.get(i).label());
            }
            float[][] rows = FusedEmbedder.head(bundle, new FusedEmbedder.EncoderFeatures(image, body, 0, 0), sem);
            System.arraycopy(rows, 0, z, start, rows.length);
        }
        return new NovelEmbeddings(z, labels, samples, names);
    }

    /** The k values evaluated beside the paper's one-shot protocol unless the caller names others. */
    public static final int[] DEFAULT_EXTRA_SHOTS = {5};

    public static EvaluationReport evaluate(String bundleVersion, String variant, NovelEmbeddings novel, ExtractedFeatures features,
                                            ProtocolSplit split, Protocol protocol, Dimension dimension, long seed, int draws) {
        return evaluate(bundleVersion, variant, novel, features, split, protocol, dimension, seed, draws, DEFAULT_EXTRA_SHOTS, null);
    }

    /**
     * As above, with k-shot results over the same draw seeds for each k of {@code extraShots}, and the calibration of
     * the probabilities on these test answers at the registry's temperature and at {@code fitted} (fitted on held-out
     * validation answers; null: none).
     */
    public static EvaluationReport evaluate(String bundleVersion, String variant, NovelEmbeddings novel, ExtractedFeatures features,
                                            ProtocolSplit split, Protocol protocol, Dimension dimension, long seed, int draws,
                                            int[] extraShots, FittedTemperature fitted) {
        int classes = novel.classes().size();
        Map<Integer, Integer> rowOfPerson = new HashMap<>();
        for (int i = 0; i < novel.samples().size(); i++) {
            rowOfPerson.put(novel.samples().get(i).person(), i);
        }
        ProtocolSplit.SupportDraw single = split.drawSupports(seed);
        OneShot.DrawResult first = OneShot.evaluate(novel.embeddings(), novel.labels(), classes, supportRows(single, rowOfPerson, novel),
                queryRows(single, rowOfPerson, novel), seed);
        List<String> supportNames = single.supports().stream()
                .map(s -> features.persons().get(s.person()).source() + " " + features.persons().get(s.person()).image()).toList();

        double[] overall = new double[draws];
        double[] balanced = new double[draws];
        double[][] averagePrecision = new double[draws][];
        int[] levels = protocol.kind() == Protocol.Kind.LEVEL ? protocol.novelClasses().stream().mapToInt(Protocol.OneShotClass::level).toArray()
                : null;
        List<Calibration.Scored> answers = new ArrayList<>();
        double[] withinOne = new double[draws];
        double[] absoluteError = new double[draws];
        double[] continuousError = new double[draws];
        double[] continuous = levels == null ? null : continuousValues(novel, features, dimension);
        for (int d = 0; d < draws; d++) {
            ProtocolSplit.SupportDraw draw = split.drawSupports(seed + 1 + d);
            OneShot.DrawResult r = OneShot.evaluate(novel.embeddings(), novel.labels(), classes, supportRows(draw, rowOfPerson, novel),
                    queryRows(draw, rowOfPerson, novel), seed + 1 + d);
            overall[d] = r.overall();
            balanced[d] = r.balanced();
            averagePrecision[d] = r.averagePrecision();
            answers.addAll(r.answers());
            if (levels != null) {
                withinOne[d] = withinOneLevel(r.confusion(), levels);
                absoluteError[d] = meanAbsoluteLevelError(r.confusion(), levels);
                continuousError[d] = meanContinuousError(r.answeredClass(), levels, continuous);
            }
        }
        // the queries of the paper-protocol draw (pooled: every novel person but the supports)
        int[] queryCounts = new int[classes];
        for (ProtocolSplit.Sample q : single.queries()) {
            queryCounts[novel.labels()[rowOfPerson.get(q.person())]]++;
        }
        int majority = 0;
        for (int c = 1; c < classes; c++) {
            if (queryCounts[c] > queryCounts[majority]) {
                majority = c;
            }
        }
        int queries = Arrays.stream(queryCounts).sum();
        EvaluationReport.Baselines baselines = new EvaluationReport.Baselines(1.0 / classes, 1.0 / classes,
                novel.classes().get(majority), queryCounts[majority] / (double) queries, 1.0 / classes);
        return new EvaluationReport(bundleVersion, protocolName(protocol), dimension == null ? null : dimension.name().toLowerCase(),
                variant, novel.classes(), queryCounts,
                new EvaluationReport.SingleDraw(seed, first.overall(), first.balanced(), first.confusion(), supportNames),
                summarise(draws, seed + 1, overall, balanced), baselines, PaperNumbers.column(protocol, dimension), ranking(averagePrecision, classes),
                levels == null ? null : new EvaluationReport.LevelErrors(levels, mean(withinOne), ci95(withinOne), mean(absoluteError),
                        ci95(absoluteError), mean(continuousError), ci95(continuousError),
                        (int) Arrays.stream(continuous).filter(v -> !Double.isNaN(v)).count()),
                kShot(novel, split, rowOfPerson, seed, draws, extraShots), calibration(answers, fitted),
                CategoryAveragePrecision.evaluate(novel.embeddings(), categoriesOf(novel, features),
                        novel.samples().stream().map(s -> features.persons().get(s.person()).image()).toArray(String[]::new), 1, draws, seed + 1));
    }

    /**
     * Per evaluated person, its continuous value on the dimension (EMOTIC's 1-10 scale): the mean of its annotators'
     * values, else the source's combined value; NaN when it has neither.
     */
    static double[] continuousValues(NovelEmbeddings novel, ExtractedFeatures features, Dimension dimension) {
        double[] out = new double[novel.samples().size()];
        for (int i = 0; i < out.length; i++) {
            var person = features.persons().get(novel.samples().get(i).person());
            double mean = person.vad().stream().mapToDouble(v -> v[dimension.index()]).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
            out[i] = !Double.isNaN(mean) ? mean : person.combinedVad() == null ? Double.NaN : person.combinedVad()[dimension.index()];
        }
        return out;
    }

    /** Mean |answered level − continuous value| over the answered queries that have a continuous value (NaN: none). */
    static double meanContinuousError(int[] answeredClass, int[] levels, double[] continuous) {
        double sum = 0;
        int n = 0;
        for (int q = 0; q < answeredClass.length; q++) {
            if (answeredClass[q] >= 0 && !Double.isNaN(continuous[q])) {
                sum += Math.abs(levels[answeredClass[q]] - continuous[q]);
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Per evaluated person, the EMOTIC categories any annotator gave it (indices in EMOTIC's order). */
    static List<java.util.Set<Integer>> categoriesOf(NovelEmbeddings novel, ExtractedFeatures features) {
        List<java.util.Set<Integer>> out = new ArrayList<>(novel.samples().size());
        for (ProtocolSplit.Sample s : novel.samples()) {
            out.add(features.persons().get(s.person()).categoryVotes().stream().map(EmoticCategories::index)
                    .collect(java.util.stream.Collectors.toUnmodifiableSet()));
        }
        return out;
    }

    /** A temperature fitted on held-out validation answers, and how many there were. */
    public record FittedTemperature(double temperature, int validationAnswers) {
    }

    /** Fits the temperature on one-shot answers of the base-class validation persons (draws with seeds seed..). */
    public static FittedTemperature fitTemperature(NovelEmbeddings validation, long seed, int draws) {
        int classes = validation.classes().size();
        Random random = new Random(seed);
        List<Calibration.Scored> answers = new ArrayList<>();
        for (int d = 0; d < draws; d++) {
            answers.addAll(OneShot.evaluate(validation.embeddings(), validation.labels(), classes,
                    OneShot.drawSupports(validation.labels(), classes, random), seed).answers());
        }
        return answers.isEmpty() ? null : new FittedTemperature(Calibration.fitTemperature(answers), answers.size());
    }

    static EvaluationReport.ProbabilityCalibration calibration(List<Calibration.Scored> testAnswers, FittedTemperature fitted) {
        if (testAnswers.isEmpty()) {
            return null;
        }
        double t = Calibration.DEFAULT_TEMPERATURE;
        return new EvaluationReport.ProbabilityCalibration(t, Calibration.expectedCalibrationError(testAnswers, t), Calibration.negativeLogLikelihood(testAnswers, t),
                fitted == null ? Double.NaN : fitted.temperature(), fitted == null ? 0 : fitted.validationAnswers(),
                fitted == null ? Double.NaN : Calibration.expectedCalibrationError(testAnswers, fitted.temperature()),
                fitted == null ? Double.NaN : Calibration.negativeLogLikelihood(testAnswers, fitted.temperature()), testAnswers.size());
    }

    /**
     * For each k, the draws with seeds seed+1.. again at k supports per class (k-shot; each query takes the class of its
     * nearest support). A k some class has too few persons for is reported with the reason instead of numbers.
     */
    static java.util.List<EvaluationReport.Shots> kShot(NovelEmbeddings novel, ProtocolSplit split, Map<Integer, Integer> rowOfPerson,
                                                        long seed, int draws, int[] shots) {
        int classes = novel.classes().size();
        java.util.List<EvaluationReport.Shots> out = new java.util.ArrayList<>();
        for (int k : shots) {
            double[] overall = new double[draws];
            double[] balanced = new double[draws];
            double[] map = new double[draws];
            try {
                for (int d = 0; d < draws; d++) {
                    ProtocolSplit.SupportDraw draw = split.drawSupports(seed + 1 + d, k);
                    OneShot.DrawResult r = OneShot.evaluate(novel.embeddings(), novel.labels(), classes, supportRowsPerClass(draw, rowOfPerson, novel),
                            queryRows(draw, rowOfPerson, novel), seed + 1 + d);
                    overall[d] = r.overall();
                    balanced[d] = r.balanced();
                    map[d] = AveragePrecision.mean(r.averagePrecision());
                }
            } catch (IllegalStateException tooFew) {
                out.add(new EvaluationReport.Shots(k, null, Double.NaN, Double.NaN, tooFew.getMessage()));
                continue;
            }
            out.add(new EvaluationReport.Shots(k, summarise(draws, seed + 1, overall, balanced), mean(map), ci95(map), null));
        }
        return out;
    }

    /** The share of queries answered with a level within one of their own ({@code levels}: each class's level). */
    static double withinOneLevel(int[][] confusion, int[] levels) {
        return meanOverAnswers(confusion, (t, p) -> Math.abs(levels[t] - levels[p]) <= 1 ? 1 : 0);
    }

    /** The mean |answered level - true level| over the queries. */
    static double meanAbsoluteLevelError(int[][] confusion, int[] levels) {
        return meanOverAnswers(confusion, (t, p) -> Math.abs(levels[t] - levels[p]));
    }

    /** The mean of {@code value(true class, answered class)} over the answers a confusion matrix counts (NaN: none). */
    private static double meanOverAnswers(int[][] confusion, java.util.function.IntBinaryOperator value) {
        double sum = 0;
        long all = 0;
        for (int t = 0; t < confusion.length; t++) {
            for (int p = 0; p < confusion.length; p++) {
                all += confusion[t][p];
                sum += (double) value.applyAsInt(t, p) * confusion[t][p];
            }
        }
        return all == 0 ? Double.NaN : sum / all;
    }

    /** Per class the mean of its AP over the draws that define it; mAP per draw, summarised. */
    static EvaluationReport.Ranking ranking(double[][] perDraw, int classes) {
        double[] perClass = new double[classes];
        for (int c = 0; c < classes; c++) {
            int column = c;
            perClass[c] = Arrays.stream(perDraw).mapToDouble(ap -> ap[column]).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
        }
        double[] map = Arrays.stream(perDraw).mapToDouble(AveragePrecision::mean).filter(v -> !Double.isNaN(v)).toArray();
        if (map.length == 0) {
            return new EvaluationReport.Ranking(perClass, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        return new EvaluationReport.Ranking(perClass, mean(map), ci95(map), percentile(map, 0.025), percentile(map, 0.975));
    }

    public static String protocolName(Protocol p) {
        return p.name().replaceFirst("_", "-").replace('_', ':');
    }

    private static int[] supportRows(ProtocolSplit.SupportDraw draw, Map<Integer, Integer> rowOfPerson, NovelEmbeddings novel) {
        int[] rows = new int[novel.classes().size()];
        Arrays.fill(rows, -1);
        for (ProtocolSplit.Sample s : draw.supports()) {
            int row = rowOfPerson.get(s.person());
            rows[novel.labels()[row]] = row;
        }
        return rows;
    }

    private static int[][] supportRowsPerClass(ProtocolSplit.SupportDraw draw, Map<Integer, Integer> rowOfPerson, NovelEmbeddings novel) {
        java.util.List<java.util.List<Integer>> rows = new java.util.ArrayList<>();
        for (int c = 0; c < novel.classes().size(); c++) {
            rows.add(new java.util.ArrayList<>());
        }
        for (ProtocolSplit.Sample s : draw.supports()) {
            int row = rowOfPerson.get(s.person());
            rows.get(novel.labels()[row]).add(row);
        }
        return rows.stream().map(r -> r.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
    }

    private static boolean[] queryRows(ProtocolSplit.SupportDraw draw, Map<Integer, Integer> rowOfPerson, NovelEmbeddings novel) {
        boolean[] rows = new boolean[novel.labels().length];
        for (ProtocolSplit.Sample q : draw.queries()) {
            rows[rowOfPerson.get(q.person())] = true;
        }
        return rows;
    }

    static EvaluationReport.Draws summarise(int n, long firstSeed, double[] overall, double[] balanced) {
        return new EvaluationReport.Draws(n, firstSeed, mean(overall), ci95(overall), percentile(overall, 0.025),
                percentile(overall, 0.975), mean(balanced), ci95(balanced), percentile(balanced, 0.025), percentile(balanced, 0.975));
    }

    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    static double ci95(double[] v) {
        if (v.length < 2) {
            return Double.NaN;
        }
        double m = mean(v);
        double ss = 0;
        for (double x : v) {
            ss += (x - m) * (x - m);
        }
        return 1.96 * Math.sqrt(ss / (v.length - 1)) / Math.sqrt(v.length);
    }

    /** Linear interpolation between order statistics (numpy's default). */
    static double percentile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
}

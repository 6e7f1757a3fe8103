package org.affectdml.trainer.tool;

import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.trainer.eval.EvaluationReport;
import org.affectdml.trainer.eval.PaperTables;
import org.affectdml.trainer.eval.ReportWriter;
import org.affectdml.trainer.eval.SeedsTable;
import org.affectdml.trainer.features.Progress;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.TrainingConfig;
import org.affectdml.trainer.pipeline.PipelineListener;
import org.affectdml.trainer.pipeline.TrainingPipeline;
import org.affectdml.trainer.pipeline.TrainingRequest;
import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.Protocol;
import org.affectdml.trainer.protocol.SplitRule;
import org.affectdml.trainer.synthetic.SyntheticEmotic;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Offline trainer operations without the service (deploy/local/trainer-tool.sh): generate a synthetic EMOTIC-format
 * data set, evaluate a stored bundle, train and publish a head, time an epoch at EMOTIC scale, lay evaluations out
 * as the paper's tables. It lives in the trainer's jar so the {@code affect} client carries no PyTorch.
 * Exit codes: 0 done, 1 the work failed, 2 the command line or its inputs are wrong.
 */
@Command(name = "trainer-tool.sh", mixinStandardHelpOptions = true, description = "Offline Affect-DML trainer operations.",
        subcommands = {TrainerTool.GenerateSynthetic.class, TrainerTool.Train.class, TrainerTool.BenchEpoch.class,
                JointTrainingBenchmark.class, SplitBenchmark.class})
public final class TrainerTool {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new TrainerTool()).setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean badInput = e instanceof IllegalArgumentException || e instanceof java.nio.file.NoSuchFileException;
            commandLine.getErr().println("trainer-tool: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return badInput ? 2 : 1;
        });
    }

    /** Where bundles and the work files are; shared by the commands that run the pipeline. */
    static class Stores {
        @Option(names = "--store", required = true, description = "model store directory")
        Path store;
        @Option(names = "--work", defaultValue = "var/trainer", description = "feature cache and reports (default ${DEFAULT-VALUE})")
        Path work;

        TrainingPipeline pipeline() {
            return new TrainingPipeline(new ModelStore(store), OrtSessionFactory.cpu(0), work.resolve("cache"), work.resolve("reports"));
        }
    }

    /** The benchmark: data set, protocol, level dimension, support draws. */
    static class Benchmark {
        @Option(names = "--dataset", required = true, description = "EMOTIC-format directory")
        Path dataset;
        @Option(names = "--protocol", defaultValue = "CAT-6:6", description = "CAT-6:6, CAT-6:4, LEV-7:3 or LEV-6:4 (default ${DEFAULT-VALUE})")
        String protocol;
        @Option(names = "--dimension", description = "valence, arousal or dominance (LEV protocols)")
        String dimension;
        @Option(names = "--draws", defaultValue = "100", description = "support draws of the evaluation (default ${DEFAULT-VALUE})")
        int draws;
        @Option(names = "--seed", defaultValue = "2021", description = "seed of the single support draw (default ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--split", defaultValue = "pooled", description = "pooled (the paper's) or image-disjoint (default ${DEFAULT-VALUE})")
        String split;
        @Option(names = "--shots", defaultValue = "5", split = ",", paramLabel = "K",
                description = "k-shot evaluations beside the paper's one-shot, over the same draws (default ${DEFAULT-VALUE})")
        int[] shots;

        SplitRule splitRule() {
            return SplitRule.parse(split);
        }

        Protocol protocol() {
            return Protocol.parse(protocol);
        }

        Dimension dimension() {
            if (dimension == null) {
                return null;
            }
            try {
                return Dimension.valueOf(dimension.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--dimension must be valence, arousal or dominance, got " + dimension);
            }
        }
    }

    @Command(name = "generate-synthetic", mixinStandardHelpOptions = true,
            description = "Write a synthetic EMOTIC-format data set with learnable classes (images, Tandon CSVs, Annotations.mat).")
    static class GenerateSynthetic implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "directory to write")
        Path out;
        @Option(names = "--persons", defaultValue = "2000", description = "persons (default ${DEFAULT-VALUE})")
        int persons;
        @Option(names = "--size", defaultValue = "128", description = "image width and height in pixels (default ${DEFAULT-VALUE})")
        int size;
        @Option(names = "--seed", defaultValue = "1", description = "generator seed (default ${DEFAULT-VALUE})")
        long seed;

        @Override
        public Integer call() throws Exception {
            if (persons < 1 || size < 32) {
                throw new IllegalArgumentException("--persons must be >= 1 and --size >= 32");
            }
            Progress progress = new Progress("images", persons, "images", s -> System.err.println(s.line()), 2000);
            SyntheticEmotic.generate(out, new SyntheticEmotic.Options(persons, size, size, seed), n -> progress.advance(1));
            System.out.println("wrote " + persons + " persons to " + out + " (annotations/train.csv, val.csv, test.csv, Annotations.mat)");
            return 0;
        }
    }

    // --version names the bundle here, so only --help of the standard options (-V/--version would clash)
    @Command(name = "evaluate", description = "One-shot evaluation of a stored bundle.")
    int evaluate(@Mixin Stores stores, @Mixin Benchmark benchmark,
                 @Option(names = "--version", required = true, description = "bundle version in the store") String version,
                 @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.") boolean help) throws Exception {
        EvaluationReport r = stores.pipeline().withExtraShots(benchmark.shots).evaluateStored(version, benchmark.dataset, benchmark.protocol(), benchmark.dimension(),
                benchmark.seed, benchmark.draws, benchmark.splitRule(), printer());
        System.out.println(ReportWriter.markdown(r));
        return 0;
    }

    @Command(name = "train", mixinStandardHelpOptions = true, description = "Train a head on the base classes, evaluate it one-shot, publish the bundle.")
    static class Train implements Callable<Integer> {
        @Mixin
        Stores stores;
        @Mixin
        Benchmark benchmark;
        @Option(names = "--variant", defaultValue = "Sem-IB", description = "I, B, IB, Sem-I or Sem-IB (default ${DEFAULT-VALUE})")
        String variant;
        @Option(names = "--epochs", defaultValue = "100", description = "epochs (default ${DEFAULT-VALUE})")
        int epochs;
        @Option(names = "--lr", description = "learning rate (default 3.5e-4, 3.5e-6 for LEV-6:4)")
        Double learningRate;
        @Option(names = "--base", description = "bundle whose encoders to use (default: the active one)")
        String base;
        @Option(names = "--validation-fraction", defaultValue = "0.1", description = "share of each base class for model selection (default ${DEFAULT-VALUE})")
        double validationFraction;
        @Option(names = "--activate", description = "activate the published bundle")
        boolean activate;
        @Option(names = "--alpha", defaultValue = "0.5", description = "weight of the triplet loss, 0 = cross-entropy only (default ${DEFAULT-VALUE})")
        double alpha;
        @Option(names = "--beta", defaultValue = "0.5", description = "weight of the cross-entropy (default ${DEFAULT-VALUE})")
        double beta;
        @Option(names = "--train-seed", defaultValue = "42", description = "seed of initialisation and batch sampling (default ${DEFAULT-VALUE})")
        long trainSeed;
        @Option(names = "--train-encoders", paramLabel = "LR",
                description = "train both encoders with the head at this learning rate (the paper's joint training); default: frozen encoders")
        Double encoderLearningRate;
        @Option(names = "--warmup-steps", defaultValue = "0", paramLabel = "N",
                description = "scale the first N steps' learning rates by (step + 1) / N (default: none, the paper's)")
        int warmupSteps;
        @Option(names = "--sem2vec-batch-union",
                description = "reproduction aid: Sem2Vec as the public code computes it, the union over each batch (docs/method.md §4.3)")
        boolean sem2vecBatchUnion;
        @Option(names = "--seeds", defaultValue = "1", paramLabel = "N",
                description = "train N times, with train seeds --train-seed, +1, ..., and write one table of every seed's figures with "
                        + "t-intervals over the seeds (seeds.md, seeds.csv) (default ${DEFAULT-VALUE})")
        int seeds;

        @Override
        public Integer call() throws Exception {
            if (seeds < 1) {
                throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
            }
            if (seeds > 1 && activate) {
                throw new IllegalArgumentException("--activate with --seeds " + seeds + ": which seed's bundle? Activate one afterwards");
            }
            Protocol protocol = benchmark.protocol();
            TrainingPipeline pipeline = stores.pipeline().withExtraShots(benchmark.shots);
            List<SeedsTable.Run> runs = new ArrayList<>();
            TrainingPipeline.Outcome outcome = null;
            for (int s = 0; s < seeds; s++) {
                TrainingConfig config = TrainingConfig.paper(epochs).withLossWeights(alpha, beta).withSeed(trainSeed + s)
                        .withWarmupSteps(warmupSteps).withSem2vecBatchUnion(sem2vecBatchUnion);
                if (learningRate != null) {
                    config = config.withLearningRate(learningRate);
                } else if (protocol == Protocol.LEV_6_4) {
                    config = config.withLearningRate(3.5e-6);
                }
                TrainingRequest request = new TrainingRequest(benchmark.dataset, protocol, benchmark.dimension(), HeadVariant.parse(variant),
                        config, base, activate, validationFraction, benchmark.draws, benchmark.seed, benchmark.splitRule(), encoderLearningRate);
                outcome = pipeline.train(request, printer());
                runs.add(new SeedsTable.Run(trainSeed + s, outcome.evaluation()));
                if (seeds == 1) {
                    System.out.println(ReportWriter.markdown(outcome.evaluation()));
                }
                System.out.println("published " + outcome.version() + (activate ? " (active)" : "") + " (train seed " + (trainSeed + s)
                        + "); report in " + outcome.reportDirectory());
            }
            if (seeds > 1) {
                Path table = outcome.reportDirectory().getParent().resolve("seeds-" + runs.get(0).report().bundle());
                Files.createDirectories(table);
                Files.writeString(table.resolve("seeds.md"), SeedsTable.markdown(runs));
                Files.writeString(table.resolve("seeds.csv"), SeedsTable.csv(runs));
                System.out.println(SeedsTable.markdown(runs));
                System.out.println("table in " + table);
            }
            return 0;
        }
    }

    @Command(name = "bench-epoch", mixinStandardHelpOptions = true,
            description = "Time head training per epoch at EMOTIC scale on synthetic cached features (docs/benchmarks.md).")
    static class BenchEpoch implements Callable<Integer> {
        @Option(names = "--persons", defaultValue = "34000", description = "persons (default ${DEFAULT-VALUE})")
        int persons;
        @Option(names = "--epochs", defaultValue = "2", description = "epochs (default ${DEFAULT-VALUE})")
        int epochs;
        @Option(names = "--variant", defaultValue = "Sem-IB", description = "head variant (default ${DEFAULT-VALUE})")
        String variant;

        @Override
        public Integer call() {
            if (persons < 600 || epochs < 1) {
                throw new IllegalArgumentException("--persons must be >= 600 (600 form the validation split) and --epochs >= 1");
            }
            benchEpoch(persons, epochs, HeadVariant.parse(variant));
            return 0;
        }
    }

    @Command(name = "tables", mixinStandardHelpOptions = true,
            description = "Every evaluation.json under the reports directory as the paper's Tables II and III (also written to tables.md).")
    int tables(@Option(names = "--reports", defaultValue = "var/trainer/reports", description = "reports directory (default ${DEFAULT-VALUE})")
               Path reports) throws Exception {
        List<EvaluationReport> all = new ArrayList<>();
        if (Files.isDirectory(reports)) {
            try (var files = Files.walk(reports)) {
                for (Path f : files.filter(p -> p.getFileName().toString().equals("evaluation.json")).sorted().toList()) {
                    all.add(ReportWriter.read(f));
                }
            }
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no evaluation.json under " + reports);
        }
        String tables = PaperTables.render(all);
        Files.writeString(reports.resolve("tables.md"), tables);
        System.out.println(tables);
        return 0;
    }

    /**
     * Head training time per epoch at EMOTIC scale on cached features: N persons with the stand-in feature sizes
     * (512 + 512 + 150) and the CAT-6:6 base-class balance. The time of an epoch does not depend on the feature
     * values, so they are drawn at random (class-dependent means, so mining finds pairs as in real training).
     */
    static void benchEpoch(int persons, int epochs, HeadVariant variant) {
        java.util.Random random = new java.util.Random(1);
        int classes = 6;
        float[][] image = new float[persons][512];
        float[][] body = new float[persons][512];
        float[][] sem = new float[persons][150];
        int[] labels = new int[persons];
        for (int i = 0; i < persons; i++) {
            labels[i] = random.nextInt(classes);
            for (int k = 0; k < 512; k++) {
                image[i][k] = (float) Math.max(0, random.nextGaussian() + (k % classes == labels[i] ? 0.5 : 0));
                body[i][k] = (float) Math.max(0, random.nextGaussian() + (k % classes == labels[i] ? 0.5 : 0));
            }
            for (int k = 0; k < 150; k++) {
                sem[i][k] = random.nextDouble() < 0.08 ? 1 : 0;
            }
        }
        var train = org.affectdml.trainer.head.FeatureMatrix.of(image, body, sem, labels);
        var validation = org.affectdml.trainer.head.FeatureMatrix.of(java.util.Arrays.copyOf(image, 600),
                java.util.Arrays.copyOf(body, 600), java.util.Arrays.copyOf(sem, 600), java.util.Arrays.copyOf(labels, 600));
        var shape = org.affectdml.trainer.head.HeadShape.paper(variant, 512, 512, 150, classes);
        System.err.printf(Locale.ROOT, "%s head, %d persons, batch 32, %d cores%n", variant.paperName(), persons,
                Runtime.getRuntime().availableProcessors());
        new HeadTrainer(TrainingConfig.paper(epochs)).train(shape, train, validation, new HeadTrainer.Listener() {
            @Override
            public void epoch(HeadTrainer.EpochReport r) {
                System.out.printf(Locale.ROOT, "epoch %d: %.2f s (%.1f batches/s), loss %.4f%n", r.epoch(), r.seconds(),
                        (persons / 32) / r.seconds(), r.loss());
            }
        }, () -> false);
    }

    /** Phases, progress lines and epochs on stderr. */
    private static PipelineListener printer() {
        return new PipelineListener() {
            @Override
            public void phase(String phase, String message) {
                System.err.println("== " + phase + ": " + message);
            }

            @Override
            public void progress(double fraction, double etaSeconds, String line) {
                if (line != null) {
                    System.err.println(line);
                }
            }

            @Override
            public void epoch(HeadTrainer.EpochReport r) {
                System.err.printf(Locale.ROOT, "epoch %d/%d lr %.2e loss %.4f (triplet %.4f, CE %.4f, %.0f active triplets/batch) "
                                + "validation %.3f%s %.1fs%n", r.epoch(), r.epochs(), r.learningRate(), r.loss(), r.tripletLoss(),
                        r.crossEntropy(), r.activeTripletsPerBatch(), r.validationAccuracy(), r.best() ? " (best)" : "", r.seconds());
            }

            @Override
            public void log(String line) {
                System.err.println(line);
            }
        };
    }

}

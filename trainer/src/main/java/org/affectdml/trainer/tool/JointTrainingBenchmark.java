package org.affectdml.trainer.tool;

import org.affectdml.inference.bundle.DefaultBundleAssembler;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.onnx.SmallModels;
import org.affectdml.trainer.eval.EvaluationReport;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.TrainingConfig;
import org.affectdml.trainer.pipeline.PipelineListener;
import org.affectdml.trainer.pipeline.TrainingPipeline;
import org.affectdml.trainer.pipeline.TrainingRequest;
import org.affectdml.trainer.protocol.Protocol;
import org.affectdml.trainer.protocol.SplitRule;
import org.affectdml.trainer.synthetic.SyntheticEmotic;
import org.affectdml.trainer.eval.SeedIntervals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Frozen versus jointly trained encoders on the textured synthetic set (docs/benchmarks.md): the body factor is a
 * stripe pattern of one mean colour, so features that only average colours cannot separate the classes. The parent
 * bundle has the small residual encoder of {@link SmallModels} (random weights: the untrained encoder) for both
 * streams; each training seed trains the IB head twice, once on frozen encoder features and once with both encoders.
 * Reported: balanced and overall one-shot accuracy, mean and 95 % t-interval over the training seeds (each seed's
 * figure its mean over its support draws), the paired differences between settings trained with the same seeds, and
 * the time per epoch.
 */
@Command(name = "bench-joint", mixinStandardHelpOptions = true,
        description = "Frozen vs jointly trained encoders on the textured synthetic set, over several training seeds (docs/benchmarks.md).")
final class JointTrainingBenchmark implements Callable<Integer> {

    @Option(names = "--work", defaultValue = "var/bench-joint", description = "data set, store, cache and reports (default ${DEFAULT-VALUE})")
    Path work;
    @Option(names = "--persons", defaultValue = "900", description = "synthetic persons (default ${DEFAULT-VALUE})")
    int persons;
    @Option(names = "--seeds", defaultValue = "5", description = "training seeds, the unit of replication (default ${DEFAULT-VALUE})")
    int seeds;
    @Option(names = "--epochs", defaultValue = "8", description = "epochs per training (default ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--lr", defaultValue = "1e-3", description = "the head's learning rate (default ${DEFAULT-VALUE})")
    double learningRate;
    @Option(names = "--encoder-lr", defaultValue = "1e-3", split = ",", paramLabel = "LR",
            description = "the encoders' learning rate; several (comma-separated): each joint training tries every one and keeps the "
                    + "one with the best validation accuracy on the base classes, never looking at the test classes (default ${DEFAULT-VALUE})")
    List<Double> encoderLearningRates;
    @Option(names = "--draws", defaultValue = "50", description = "support draws per evaluation (default ${DEFAULT-VALUE})")
    int draws;
    @Option(names = "--size", defaultValue = "32", description = "encoder input size in pixels (default ${DEFAULT-VALUE})")
    int size;
    @Option(names = "--with-ce-only", description = "also train with cross-entropy only (alpha = 0, the paper's baseline), encoders frozen and joint")
    boolean ceOnly;

    /** One setting's evaluations over the seeds, and its epoch times. */
    static final class Runs {
        final List<EvaluationReport> reports = new ArrayList<>();
        final List<Double> epochSeconds = new ArrayList<>();
        /** Per seed, the encoder learning rate chosen on validation (joint settings only). */
        final List<Double> chosenEncoderRates = new ArrayList<>();
    }

    /** The validation accuracy (base classes) of the epoch a training kept: what a setting is chosen by. */
    static double validationAccuracy(TrainingPipeline.Outcome outcome) {
        int kept = outcome.training().bestEpoch();
        return outcome.training().history().stream().filter(e -> e.epoch() == kept).mapToDouble(HeadTrainer.EpochReport::validationAccuracy)
                .findFirst().orElseThrow(() -> new IllegalStateException("no report of the kept epoch " + kept));
    }

    @Override
    public Integer call() throws Exception {
        Path dataset = work.resolve("data");
        if (!Files.exists(dataset.resolve("annotations"))) {
            System.err.println("generating " + persons + " textured synthetic persons in " + dataset);
            SyntheticEmotic.generate(dataset, new SyntheticEmotic.Options(persons, 96, 96, 11, true), n -> { });
        }
        OrtSessionFactory sessions = OrtSessionFactory.cpu(0);
        ModelStore store = new ModelStore(work.resolve("store"));
        String parent = smallParentBundle(work, size, store, sessions);
        TrainingPipeline pipeline = new TrainingPipeline(store, sessions, work.resolve("cache"), work.resolve("reports"));

        // settings: {train encoders, alpha}; beta stays the paper's 0.5
        List<double[]> settings = new ArrayList<>(List.of(new double[]{0, 0.5}, new double[]{1, 0.5}));
        if (ceOnly) {
            settings.add(new double[]{0, 0});
            settings.add(new double[]{1, 0});
        }
        List<Runs> runs = new ArrayList<>();
        settings.forEach(x -> runs.add(new Runs()));
        for (int s = 1; s <= seeds; s++) {
            for (int k = 0; k < settings.size(); k++) {
                boolean trainEncoders = settings.get(k)[0] == 1;
                TrainingConfig config = TrainingConfig.paper(epochs).withLearningRate(learningRate).withSeed(s)
                        .withLossWeights(settings.get(k)[1], 0.5);
                TrainingPipeline.Outcome chosen = null;
                Double chosenRate = null;
                for (Double encoderLearningRate : trainEncoders ? encoderLearningRates : java.util.Collections.<Double>singletonList(null)) {
                    TrainingRequest request = new TrainingRequest(dataset, Protocol.CAT_6_6, null, HeadVariant.IB, config, parent, false, 0.1,
                            draws, 2021, SplitRule.POOLED, encoderLearningRate);
                    TrainingPipeline.Outcome outcome = pipeline.train(request, quiet(runs.get(k)));
                    System.err.printf(Locale.ROOT, "seed %d %s%s: validation %s, balanced %.4f%n", s, name(settings.get(k)),
                            encoderLearningRate == null ? "" : " encoder lr " + encoderLearningRate, validationAccuracy(outcome),
                            outcome.evaluation().draws().balancedMean());
                    if (chosen == null || validationAccuracy(outcome) > validationAccuracy(chosen)) {
                        chosen = outcome;  // chosen on the base classes' validation persons only; ties keep the first
                        chosenRate = encoderLearningRate;
                    }
                }
                runs.get(k).reports.add(chosen.evaluation());
                if (trainEncoders) {
                    runs.get(k).chosenEncoderRates.add(chosenRate);
                }
            }
        }
        System.out.printf(Locale.ROOT, "Frozen vs joint encoders: textured synthetic set, %d persons, CAT-6:6, IB head, %d epochs, %d seeds x %d "
                + "support draws, encoder %dx%d (%s)%n", persons, epochs, seeds, draws, size, size, parent);
        System.out.println("| encoders | balanced accuracy % | overall accuracy % | s per epoch |");
        System.out.println("|---|--:|--:|--:|");
        for (int k = 0; k < settings.size(); k++) {
            print(name(settings.get(k)), runs.get(k));
        }
        System.out.println("| paired differences over the same seeds (points) | | | |");
        printDifference("joint − frozen", runs.get(1), runs.get(0));
        if (ceOnly) {
            printDifference("triplet + CE − CE only, frozen", runs.get(0), runs.get(2));
            printDifference("triplet + CE − CE only, joint", runs.get(1), runs.get(3));
        }
        if (encoderLearningRates.size() > 1) {
            System.out.println("Encoder learning rate per seed, chosen among " + encoderLearningRates + " by validation accuracy on the base "
                    + "classes: joint " + runs.get(1).chosenEncoderRates + (ceOnly ? ", CE only joint " + runs.get(3).chosenEncoderRates : ""));
        }
        System.out.println("Mean [95 % t-interval over the training seeds] (n = seeds); each seed's figure is its mean over "
                + "its support draws. Random encoders on synthetic data: what this shows is whether joint training moves the "
                + "encoders usefully here, not what it does for real photos.");
        var baselines = runs.get(0).reports.get(0).baselines();
        System.out.printf(Locale.ROOT, "| random (1/C) | %.2f | %.2f | – |%n", 100 * baselines.randomBalanced(), 100 * baselines.randomOverall());
        return 0;
    }

    /**
     * Publishes (once) the benchmarks' parent bundle under {@code work}: the small residual encoder of {@link SmallModels}
     * at {@code size} pixels for both streams and the colour segmenter; returns its version.
     */
    static String smallParentBundle(Path work, int size, ModelStore store, OrtSessionFactory sessions) throws Exception {
        Path sources = Files.createDirectories(work.resolve("sources"));
        Path encoder = Files.write(sources.resolve("small-resnet.onnx"), SmallModels.residualEncoder(3, size));
        Path segmenter = Files.write(sources.resolve("colour-segmenter.onnx"), SmallModels.colourSegmenter());
        Path labels = Files.write(sources.resolve("colour-labels.txt"), SmallModels.COLOUR_CLASSES);
        return new DefaultBundleAssembler(sessions).assemble(
                new DefaultBundleAssembler.Inputs(encoder, encoder, "features", size, segmenter, labels, size), store);
    }

    private String name(double[] setting) {
        String rate = encoderLearningRates.size() == 1 ? String.valueOf(encoderLearningRates.get(0))
                : "chosen on validation among " + encoderLearningRates;
        return (setting[0] == 1 ? "trained jointly (encoder lr " + rate + ")" : "frozen (head only)")
                + (setting[1] == 0 ? ", cross-entropy only (alpha 0)" : "");
    }

    static void print(String name, Runs runs) {
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %.2f |%n", name, SeedIntervals.overSeeds(perSeed(runs, true)).percent(),
                SeedIntervals.overSeeds(perSeed(runs, false)).percent(),
                runs.epochSeconds.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
    }

    /** The paired difference a − b over the seeds both were trained with, balanced and overall. */
    static void printDifference(String name, Runs a, Runs b) {
        System.out.printf(Locale.ROOT, "| %s | %s | %s | – |%n", name,
                SeedIntervals.pairedDifference(perSeed(a, true), perSeed(b, true)).percent(),
                SeedIntervals.pairedDifference(perSeed(a, false), perSeed(b, false)).percent());
    }

    /**
     * Each seed's figure: its mean over the support draws of its evaluation. The draws are nested inside the seed (they
     * vary the supports of one trained model), so the seeds, not seeds × draws, are the samples (SeedIntervals).
     */
    static double[] perSeed(Runs runs, boolean balanced) {
        return runs.reports.stream().mapToDouble(r -> balanced ? r.draws().balancedMean() : r.draws().overallMean()).toArray();
    }

    static PipelineListener quiet(Runs runs) {
        return new PipelineListener() {
            @Override
            public void phase(String phase, String message) {
            }

            @Override
            public void progress(double fraction, double etaSeconds, String line) {
            }

            @Override
            public void epoch(HeadTrainer.EpochReport report) {
                runs.epochSeconds.add(report.seconds());
            }

            @Override
            public void log(String line) {
            }
        };
    }
}

package org.affectdml.trainer.tool;

import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.TrainingConfig;
import org.affectdml.trainer.pipeline.TrainingPipeline;
import org.affectdml.trainer.pipeline.TrainingRequest;
import org.affectdml.trainer.protocol.Protocol;
import org.affectdml.trainer.protocol.SplitRule;
import org.affectdml.trainer.synthetic.SyntheticEmotic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The paper's pooled split next to the image-disjoint one (docs/benchmarks.md), on a synthetic set with several
 * persons per image: under the pooled split a query can share its image (so its full-image and scene streams) with
 * its class's support or with base training persons; the image-disjoint split removes that. Frozen encoders, Sem-IB.
 */
@Command(name = "bench-split", mixinStandardHelpOptions = true,
        description = "Pooled vs image-disjoint split on a synthetic set with several persons per image (docs/benchmarks.md).")
final class SplitBenchmark implements Callable<Integer> {

    @Option(names = "--work", defaultValue = "var/bench-split", description = "data set, store, cache and reports (default ${DEFAULT-VALUE})")
    Path work;
    @Option(names = "--persons", defaultValue = "1800", description = "synthetic persons (default ${DEFAULT-VALUE})")
    int persons;
    @Option(names = "--persons-per-image", defaultValue = "3", description = "persons per image (default ${DEFAULT-VALUE})")
    int perImage;
    @Option(names = "--seeds", defaultValue = "5", description = "training seeds, the unit of replication (default ${DEFAULT-VALUE})")
    int seeds;
    @Option(names = "--epochs", defaultValue = "12", description = "epochs per training (default ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--draws", defaultValue = "50", description = "support draws per evaluation (default ${DEFAULT-VALUE})")
    int draws;

    @Override
    public Integer call() throws Exception {
        Path dataset = work.resolve("data");
        if (!Files.exists(dataset.resolve("annotations"))) {
            System.err.println("generating " + persons + " synthetic persons, " + perImage + " per image, in " + dataset);
            SyntheticEmotic.generate(dataset, new SyntheticEmotic.Options(persons, 96, 96, 13, false, perImage), n -> { });
        }
        ModelStore store = new ModelStore(work.resolve("store"));
        OrtSessionFactory sessions = OrtSessionFactory.cpu(0);
        String parent = JointTrainingBenchmark.smallParentBundle(work, 32, store, sessions);
        TrainingPipeline pipeline = new TrainingPipeline(store, sessions, work.resolve("cache"), work.resolve("reports"));
        JointTrainingBenchmark.Runs pooled = new JointTrainingBenchmark.Runs();
        JointTrainingBenchmark.Runs disjoint = new JointTrainingBenchmark.Runs();
        for (int s = 1; s <= seeds; s++) {
            for (SplitRule rule : SplitRule.values()) {
                TrainingConfig config = TrainingConfig.paper(epochs).withLearningRate(1e-3).withSeed(s);
                TrainingRequest request = new TrainingRequest(dataset, Protocol.CAT_6_6, null, HeadVariant.SEM_IB, config, parent, false, 0.1,
                        draws, 2021, rule, null);
                JointTrainingBenchmark.Runs runs = rule == SplitRule.POOLED ? pooled : disjoint;
                var outcome = pipeline.train(request, JointTrainingBenchmark.quiet(runs));
                runs.reports.add(outcome.evaluation());
                System.err.printf(Locale.ROOT, "seed %d %s: balanced %.4f, %d queries%n", s, rule.label(),
                        outcome.evaluation().draws().balancedMean(), java.util.Arrays.stream(outcome.evaluation().queryCounts()).sum());
            }
        }
        System.out.printf(Locale.ROOT, "Pooled vs image-disjoint split: synthetic set, %d persons, %d per image, CAT-6:6, Sem-IB head on frozen "
                + "features, %d epochs, %d seeds x %d support draws%n", persons, perImage, epochs, seeds, draws);
        System.out.println("| split | balanced accuracy % | overall accuracy % | s per epoch |");
        System.out.println("|---|--:|--:|--:|");
        JointTrainingBenchmark.print("pooled (the paper's)", pooled);
        JointTrainingBenchmark.print("image-disjoint", disjoint);
        JointTrainingBenchmark.printDifference("pooled − image-disjoint, same seeds (points)", pooled, disjoint);
        System.out.println("Mean [95 % t-interval over the training seeds] (n = seeds). The image-disjoint split trains on fewer "
                + "persons (whole images are held out), so the difference mixes query leakage with training-set size.");
        return 0;
    }
}

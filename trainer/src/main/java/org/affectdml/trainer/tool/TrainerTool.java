package org.affectdml.trainer.tool;

import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.trainer.eval.EvaluationReport;
import org.affectdml.trainer.eval.ReportWriter;
import org.affectdml.trainer.features.Progress;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.HeadVariant;
import org.affectdml.trainer.head.TrainingConfig;
import org.affectdml.trainer.pipeline.PipelineListener;
import org.affectdml.trainer.pipeline.TrainingPipeline;
import org.affectdml.trainer.pipeline.TrainingRequest;
import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.Protocol;
import org.affectdml.trainer.synthetic.SyntheticEmotic;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Offline trainer operations without the service (deploy/local/trainer-tool.sh):
 * <pre>
 *   generate-synthetic --out DIR [--persons N] [--size PX] [--seed S]
 *   evaluate --store DIR --version V --dataset DIR [--protocol CAT-6:6] [--dimension valence] [--draws 100] [--work DIR]
 *   train    --store DIR --dataset DIR [--protocol ..] [--dimension ..] [--variant Sem-IB] [--epochs 100] [--lr 3.5e-4]
 *            [--base VERSION] [--activate] [--work DIR]
 * </pre>
 */
public final class TrainerTool {

    private TrainerTool() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help")) {
            System.out.println(usage());
            return;
        }
        Map<String, String> o = options(args);
        try {
            switch (args[0]) {
                case "generate-synthetic" -> generate(o);
                case "evaluate" -> evaluate(o);
                case "train" -> train(o);
                case "bench-epoch" -> benchEpoch(o);
                case "tables" -> tables(o);
                default -> throw new IllegalArgumentException("unknown command '" + args[0] + "'\n" + usage());
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    private static void generate(Map<String, String> o) throws Exception {
        Path out = Path.of(required(o, "out"));
        int persons = Integer.parseInt(o.getOrDefault("persons", "2000"));
        int size = Integer.parseInt(o.getOrDefault("size", "128"));
        Progress progress = new Progress("images", persons, "images", s -> System.err.println(s.line()), 2000);
        SyntheticEmotic.generate(out, new SyntheticEmotic.Options(persons, size, size, Long.parseLong(o.getOrDefault("seed", "1"))),
                n -> progress.advance(1));
        System.out.println("wrote " + persons + " persons to " + out + " (annotations/train.csv, val.csv, test.csv, Annotations.mat)");
    }

    private static void evaluate(Map<String, String> o) throws Exception {
        TrainingPipeline pipeline = pipeline(o);
        Protocol protocol = Protocol.parse(o.getOrDefault("protocol", "CAT-6:6"));
        EvaluationReport r = pipeline.evaluateStored(required(o, "version"), Path.of(required(o, "dataset")), protocol, dimension(o),
                Long.parseLong(o.getOrDefault("seed", "2021")), Integer.parseInt(o.getOrDefault("draws", "100")), printer());
        System.out.println(ReportWriter.markdown(r));
    }

    private static void train(Map<String, String> o) throws Exception {
        Protocol protocol = Protocol.parse(o.getOrDefault("protocol", "CAT-6:6"));
        TrainingConfig config = TrainingConfig.paper(Integer.parseInt(o.getOrDefault("epochs", "100")));
        if (o.containsKey("lr")) {
            config = config.withLearningRate(Double.parseDouble(o.get("lr")));
        } else if (protocol == Protocol.LEV_6_4) {
            config = config.withLearningRate(3.5e-6);
        }
        TrainingRequest request = new TrainingRequest(Path.of(required(o, "dataset")), protocol, dimension(o),
                HeadVariant.parse(o.getOrDefault("variant", "Sem-IB")), config, o.get("base"), o.containsKey("activate"),
                Double.parseDouble(o.getOrDefault("validation-fraction", "0.1")), Integer.parseInt(o.getOrDefault("draws", "100")),
                Long.parseLong(o.getOrDefault("seed", "2021")));
        TrainingPipeline.Outcome outcome = pipeline(o).train(request, printer());
        System.out.println(ReportWriter.markdown(outcome.evaluation()));
        System.out.println("published " + outcome.version() + (request.activate() ? " (active)" : "") + "; report in " + outcome.reportDirectory());
    }

    /**
     * Head training time per epoch at EMOTIC scale on cached features: N persons with the stand-in feature sizes
     * (512 + 512 + 150) and the CAT-6:6 base-class balance. The time of an epoch does not depend on the feature
     * values, so they are drawn at random (class-dependent means, so mining finds pairs as in real training).
     */
    private static void benchEpoch(Map<String, String> o) {
        int persons = Integer.parseInt(o.getOrDefault("persons", "34000"));
        int epochs = Integer.parseInt(o.getOrDefault("epochs", "2"));
        HeadVariant variant = HeadVariant.parse(o.getOrDefault("variant", "Sem-IB"));
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

    /** Every evaluation.json under the reports directory as the paper's Tables II and III, also written to tables.md. */
    private static void tables(Map<String, String> o) throws Exception {
        Path reports = Path.of(o.getOrDefault("reports", "var/trainer/reports"));
        java.util.List<EvaluationReport> all = new java.util.ArrayList<>();
        try (var files = java.nio.file.Files.walk(reports)) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("evaluation.json")).sorted().toList()) {
                all.add(ReportWriter.read(f));
            }
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no evaluation.json under " + reports);
        }
        String tables = org.affectdml.trainer.eval.PaperTables.render(all);
        java.nio.file.Files.writeString(reports.resolve("tables.md"), tables);
        System.out.println(tables);
    }

    private static TrainingPipeline pipeline(Map<String, String> o) {
        Path work = Path.of(o.getOrDefault("work", "var/trainer"));
        return new TrainingPipeline(new ModelStore(Path.of(required(o, "store"))), OrtSessionFactory.cpu(0), work.resolve("cache"),
                work.resolve("reports"));
    }

    private static Dimension dimension(Map<String, String> o) {
        return o.containsKey("dimension") ? Dimension.valueOf(o.get("dimension").toUpperCase(Locale.ROOT)) : null;
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

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + args[i] + "'\n" + usage());
            }
            String key = args[i].substring(2);
            if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                o.put(key, args[++i]);
            } else {
                o.put(key, "true");
            }
        }
        return o;
    }

    private static String required(Map<String, String> o, String key) {
        String v = o.get(key);
        if (v == null) {
            throw new IllegalArgumentException("--" + key + " is required\n" + usage());
        }
        return v;
    }

    static String usage() {
        return """
                usage: trainer-tool.sh COMMAND [options]
                  generate-synthetic --out DIR [--persons 2000] [--size 128] [--seed 1]
                  evaluate --store DIR --version V --dataset DIR [--protocol CAT-6:6] [--dimension valence] [--draws 100] [--seed 2021] [--work var/trainer]
                  train    --store DIR --dataset DIR [--protocol CAT-6:6] [--dimension valence] [--variant Sem-IB] [--epochs 100] [--lr 3.5e-4]
                           [--base VERSION] [--activate] [--draws 100] [--work var/trainer]
                  bench-epoch [--persons 34000] [--epochs 2] [--variant Sem-IB]
                  tables [--reports var/trainer/reports]      (every evaluation as the paper's Tables II and III)""";
    }
}

package org.affectdml.trainer.tool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** trainer-tool.sh's commands: exit codes and messages of bad command lines, and a small run of its benchmark. */
class TrainerToolTest {

    @TempDir
    Path tmp;

    /** Exit code and what went to stderr. */
    record Run(int exit, String err) {
    }

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = TrainerTool.commandLine();
        cli.setErr(new PrintWriter(err, true));
        return new Run(cli.execute(args), err.toString());
    }

    @Test
    void badCommandLinesExitWith2AndSayWhatIsWrong() {
        Run missing = run("train", "--store", tmp.toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("Missing required option: '--dataset"), missing.err());

        Run protocol = run("evaluate", "--store", tmp.toString(), "--dataset", tmp.toString(), "--version", "v", "--protocol", "CAT-9:9");
        assertEquals(2, protocol.exit());
        assertTrue(protocol.err().startsWith("trainer-tool: ") && protocol.err().contains("CAT-9:9"), protocol.err());

        Run noReports = run("tables", "--reports", tmp.resolve("none").toString());
        assertEquals(2, noReports.exit());
        assertTrue(noReports.err().contains("no evaluation.json under"), noReports.err());

        assertEquals(2, run("bench-epoch", "--persons", "10").exit());
        assertEquals(2, run("no-such-command").exit());
    }

    @Test
    void generateSyntheticWritesEveryAnnotationForm() throws Exception {
        assertEquals(0, run("generate-synthetic", "--out", tmp.toString(), "--persons", "20", "--size", "48").exit());
        for (String f : new String[]{"train.csv", "val.csv", "test.csv", "Annotations.mat"}) {
            assertTrue(Files.size(tmp.resolve("annotations").resolve(f)) > 0, f);
        }
    }

    @Test
    void theJointAndSplitBenchmarksRunSmall() {
        java.io.ByteArrayOutputStream table = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream progress = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        java.io.PrintStream stderr = System.err;
        Run joint;
        System.setOut(new java.io.PrintStream(table, true, java.nio.charset.StandardCharsets.UTF_8));
        System.setErr(new java.io.PrintStream(progress, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            // two epochs: the rate is chosen by the kept epoch's validation accuracy, not the first epoch's
            joint = run("bench-joint", "--work", tmp.resolve("bench-joint").toString(), "--persons", "150", "--seeds", "1", "--epochs", "2",
                    "--draws", "2", "--with-ce-only", "--encoder-lr", "1e-3,1e-2");
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        String printed = table.toString(java.nio.charset.StandardCharsets.UTF_8);
        String lines = progress.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, joint.exit(), joint.err());
        assertEquals(6, reports(tmp.resolve("bench-joint")), "frozen once, joint once per encoder learning rate, each with both losses");
        // the rate kept is the one with the best validation accuracy (ties: the first), read from the per-training lines
        var tried = java.util.regex.Pattern.compile("seed 1 trained jointly \\([^)]*\\) encoder lr ([0-9.e-]+): validation ([0-9.]+)")
                .matcher(lines);
        String best = null;
        double bestValidation = -1;
        while (tried.find()) {
            if (Double.parseDouble(tried.group(2)) > bestValidation) {
                bestValidation = Double.parseDouble(tried.group(2));
                best = tried.group(1);
            }
        }
        assertTrue(best != null && printed.contains("classes: joint [" + Double.parseDouble(best) + "]"), lines + printed);
        assertTrue(printed.contains("chosen among [0.001, 0.01] by validation accuracy on the base classes: joint [")
                && printed.contains("trained jointly (encoder lr chosen on validation among [0.001, 0.01])"), printed);
        // one seed: figures without an interval, never one made up from the support draws
        assertTrue(printed.contains("| joint − frozen | ") && printed.contains("| triplet + CE − CE only, joint | ")
                && printed.contains("(n = 1, no interval)"), printed);
        Run split = run("bench-split", "--work", tmp.resolve("bench-split").toString(), "--persons", "600", "--seeds", "1", "--epochs", "1",
                "--draws", "2");
        assertEquals(0, split.exit(), split.err());
        assertEquals(2, reports(tmp.resolve("bench-split")), "one training per split");
    }

    @Test
    void aSettingIsChosenByTheValidationAccuracyOfTheEpochItKept() {
        // epoch 1 is "best" so far by definition; epoch 2 is kept; epoch 3 is worse
        var history = List.of(epoch(1, 0.30, true), epoch(2, 0.50, true), epoch(3, 0.40, false));
        var outcome = new org.affectdml.trainer.pipeline.TrainingPipeline.Outcome("v", null, null,
                new org.affectdml.trainer.head.HeadTrainer.Result(null, 2, history), null);
        assertEquals(0.50, JointTrainingBenchmark.validationAccuracy(outcome), 0.0);
    }

    private static org.affectdml.trainer.head.HeadTrainer.EpochReport epoch(int epoch, double validation, boolean best) {
        return new org.affectdml.trainer.head.HeadTrainer.EpochReport(epoch, 3, 1e-3, 1, 0.5, 0.5, 10, validation, 1, best);
    }

    /** Evaluation reports a benchmark left under its work directory. */
    private static long reports(Path work) {
        try (var dirs = Files.list(work.resolve("reports"))) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("evaluation.md"))).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void trainWithSeveralSeedsWritesOneTableWithIntervalsOverTheSeeds() throws Exception {
        Path data = tmp.resolve("seeds-data");
        assertEquals(0, run("generate-synthetic", "--out", data.toString(), "--persons", "150", "--size", "48").exit());
        Path work = tmp.resolve("seeds-work");
        var store = new org.affectdml.inference.bundle.ModelStore(tmp.resolve("seeds-store"));
        String parent = JointTrainingBenchmark.smallParentBundle(work, 32, store, org.affectdml.inference.onnx.OrtSessionFactory.cpu(1));
        String[] common = {"train", "--store", tmp.resolve("seeds-store").toString(), "--work", work.toString(), "--dataset", data.toString(),
                "--base", parent, "--epochs", "1", "--draws", "3", "--shots", "2", "--seeds", "2", "--train-seed", "7"};
        Run activate = run(java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--activate"))
                .toArray(String[]::new));
        assertEquals(2, activate.exit(), "which seed's bundle would be active? " + activate.err());
        assertTrue(activate.err().contains("--activate with --seeds 2"), activate.err());

        Run seeds = run(common);
        assertEquals(0, seeds.exit(), seeds.err());
        Path table;
        try (var dirs = Files.list(work.resolve("reports"))) {
            table = dirs.filter(d -> d.getFileName().toString().startsWith("seeds-")).findFirst().orElseThrow();
        }
        String md = Files.readString(table.resolve("seeds.md"));
        assertTrue(md.contains("| metric | seed 7 | seed 8 | mean [95 % t-interval over seeds] |"), md);
        assertTrue(md.contains("| balanced accuracy % |") && md.contains("(n = 2)") && md.contains("| 2-shot balanced accuracy % |"), md);
        String csv = Files.readString(table.resolve("seeds.csv"));
        assertTrue(csv.contains("balanced accuracy,7,") && csv.contains("balanced accuracy,8,") && csv.contains("metric,mean,low95,high95,seeds"), csv);
    }

    @Test
    void theEpochBenchmarkRunsSmall() {
        Run bench = run("bench-epoch", "--persons", "800", "--epochs", "1", "--variant", "IB");
        assertEquals(0, bench.exit(), bench.err());
    }
}

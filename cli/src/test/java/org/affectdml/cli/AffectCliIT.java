package org.affectdml.cli;

import org.affectdml.cli.AffectCommandLine.Run;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged {@code affect} command as users run it ({@code java -jar cli/target/quarkus-app/quarkus-run.jar}),
 * against the packaged embedding-service and support-registry: exit codes and messages of bad command lines, the
 * bundle commands on a real store, the client commands end to end, and a small run of each benchmark command
 * (so a broken benchmark fails here rather than when someone runs it by hand).
 */
class AffectCliIT {

    private static final String ADMIN = "cli-admin-key";
    private static final String CLIENT = "cli-client-key";
    private static final String BOX = "20,10,60,90";

    @TempDir
    static Path tmp;
    static Path store;
    static String version;
    static ServiceProcess embedding;
    static ServiceProcess registry;
    static Path calm;
    static Path tense;

    @BeforeAll
    static void startServices() throws Exception {
        store = tmp.resolve("store");
        version = TinyModels.activeDefaultBundle(store);
        calm = write("calm.jpg", TestImages.scene(96, 96, new Color(30, 160, 40), new Color(240, 240, 240), 20, 10, 60, 90));
        tense = write("tense.jpg", TestImages.scene(96, 96, new Color(200, 20, 30), new Color(20, 20, 20), 20, 10, 60, 90));
        embedding = ServiceProcess.start(ServiceProcess.requirePackagedApp("embedding-service"), Map.of(
                "affect.model-store.path", store.toString(), "affect.embedding.segmentation", "in-process",
                "affect.onnx.intra-op-threads", "1"), tmp.resolve("logs"));
        registry = ServiceProcess.start(ServiceProcess.requirePackagedApp("support-registry"), Map.of(
                "quarkus.datasource.jdbc.url", System.getenv().getOrDefault("AFFECT_CLI_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_cli_test"),
                "quarkus.flyway.clean-disabled", "false", "quarkus.flyway.clean-at-start", "true",
                "quarkus.grpc.clients.embedding.host", "127.0.0.1",
                "quarkus.grpc.clients.embedding.port", Integer.toString(embedding.port),
                "affect.registry.auth.admin-keys", ADMIN, "affect.registry.auth.client-keys", CLIENT), tmp.resolve("logs"));
    }

    @AfterAll
    static void stopServices() {
        if (registry != null) {
            registry.close();
        }
        if (embedding != null) {
            embedding.close();
        }
    }

    private static Path write(String name, java.awt.image.BufferedImage image) throws Exception {
        Path file = tmp.resolve(name);
        Files.write(file, TestImages.jpeg(image));
        return file;
    }

    static Run affect(String... args) throws Exception {
        return AffectCommandLine.run(tmp, Duration.ofSeconds(120), args);
    }

    private static String registry() {
        return "--registry=127.0.0.1:" + registry.port;
    }

    private static String embeddingTarget() {
        return "--target=127.0.0.1:" + embedding.port;
    }

    @Test
    void badCommandLinesExitWith2AndSayWhatIsWrong() throws Exception {
        Run missing = affect("classify", calm.toString(), "--box", BOX);
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("Missing required option: '--taxonomy"), missing.toString());

        Run box = affect("embed", calm.toString(), "--box", "1,2,3", embeddingTarget(), "--key=" + ServiceProcess.SERVICE_KEY);
        assertEquals(2, box.exit(), box.toString());
        assertTrue(box.err().contains("affect: --box must be x1,y1,x2,y2 in pixels, got 1,2,3"), box.toString());

        Run noFile = affect("embed", tmp.resolve("nothing.jpg").toString(), "--box", BOX, embeddingTarget(), "--key=" + ServiceProcess.SERVICE_KEY);
        assertEquals(2, noFile.exit(), noFile.toString());
        assertTrue(noFile.err().contains("no such image file"), noFile.toString());

        Run unknown = affect("frobnicate");
        assertEquals(2, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("Unmatched argument"), unknown.toString());

        Run notABundle = affect("bundle", "verify", tmp.toString());
        assertEquals(2, notABundle.exit(), notABundle.toString());
        assertTrue(notABundle.err().startsWith("affect: ") && notABundle.err().contains("manifest.json"), notABundle.toString());
        assertTrue(!notABundle.err().contains("\tat "), "no stack trace: " + notABundle);
    }

    @Test
    void bundleCommandsWorkOnTheStore() throws Exception {
        Run list = affect("bundle", "list", "--store", store.toString());
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.out().startsWith("* " + version), list.toString());
        Run verify = affect("bundle", "verify", store.resolve("bundles").resolve(version).toString());
        assertEquals(0, verify.exit(), verify.toString());
        assertTrue(verify.out().contains("OK " + version + " (default-random-projection, embedding 128-d)"), verify.toString());
        Run activateUnknown = affect("bundle", "activate", "--store", store.toString(), "no-such-version");
        assertEquals(2, activateUnknown.exit(), activateUnknown.toString());

        // a torchvision-style export (input 'input', only its classifier output 'output') and the tiny segmenter
        Path exports = Files.createTempDirectory("affect-exports-");
        Path encoder = Files.write(exports.resolve("resnet-tv.onnx"), org.affectdml.inference.bundle.StandardExportsTest.classifierNet("input", "output", 1000));
        Path segmenter = Files.write(exports.resolve("segformer.onnx"), TinyModels.segmenter());
        Path importStore = Files.createTempDirectory("affect-import-store-");
        Run imported = affect("bundle", "import", "--store", importStore.toString(), "--image-encoder", encoder.toString(),
                "--segmenter", segmenter.toString(), "--activate");
        assertEquals(0, imported.exit(), imported.toString());
        assertTrue(imported.err().contains("torchvision export") && imported.err().contains("sha256 ")
                && imported.err().contains("added as output 'features'"), imported.toString());
        String importedVersion = imported.out().strip();
        Run importedVerify = affect("bundle", "verify", importStore.resolve("bundles").resolve(importedVersion).toString());
        assertEquals(0, importedVerify.exit(), importedVerify.toString());
        Run notAnEncoder = affect("bundle", "import", "--store", importStore.toString(), "--image-encoder", segmenter.toString(),
                "--segmenter", segmenter.toString());
        assertEquals(2, notAnEncoder.exit(), notAnEncoder.toString());
        assertTrue(notAnEncoder.err().contains("cannot find the pooled features"), notAnEncoder.toString());
    }

    @Test
    void aTaxonomyIsBuiltAndClassifiedFromTheCommandLine() throws Exception {
        Run model = affect("model", embeddingTarget(), "--key=" + ServiceProcess.SERVICE_KEY);
        assertEquals(0, model.exit(), model.toString());
        assertTrue(model.out().contains("version " + version) && model.out().contains("head default-random-projection"), model.toString());

        Run embed = affect("embed", calm.toString(), "--box", BOX, embeddingTarget(), "--key=" + ServiceProcess.SERVICE_KEY);
        assertEquals(0, embed.exit(), embed.toString());
        assertTrue(embed.out().contains(version), embed.toString());

        String admin = "--key=" + ADMIN;
        Run create = affect("taxonomy", "create", "cli-moods", "--class", "calm", "--class", "tense", registry(), admin);
        assertEquals(0, create.exit(), create.toString());
        assertEquals(0, affect("support", "add", "--taxonomy", "cli-moods", "--class", "calm", calm.toString(), "--box", BOX, registry(), admin).exit());
        assertEquals(0, affect("support", "add", "--taxonomy", "cli-moods", "--class", "tense", tense.toString(), "--box", BOX, registry(), admin).exit());
        Run taxonomies = affect("taxonomy", "list", registry(), admin);
        assertTrue(taxonomies.out().contains("cli-moods"), taxonomies.toString());

        Run classify = affect("classify", "--taxonomy", "cli-moods", calm.toString(), "--box", BOX, registry(), "--key=" + CLIENT);
        assertEquals(0, classify.exit(), classify.toString());
        String first = classify.out().lines().filter(l -> l.contains("calm") || l.contains("tense")).findFirst().orElse("");
        assertTrue(first.contains("calm"), "the support itself ranks its class first: " + classify);

        Run evaluated = affect("taxonomy", "evaluate", "cli-moods", registry(), admin);
        assertEquals(1, evaluated.exit(), "one support per class: nothing to ask " + evaluated);
        assertTrue(evaluated.err().contains("no class with two supports"), evaluated.toString());
        Path manifest = calm.resolveSibling("queries.csv");
        // the supports' scenes as PNG (other bytes than the supports' JPEGs), and one support image itself, which is left out
        Path calmQuery = Files.write(calm.resolveSibling("calm-query.png"), TestImages.png(javax.imageio.ImageIO.read(calm.toFile())));
        Path tenseQuery = Files.write(calm.resolveSibling("tense-query.png"), TestImages.png(javax.imageio.ImageIO.read(tense.toFile())));
        java.nio.file.Files.writeString(manifest, "image,x1,y1,x2,y2,class\n" + calmQuery.getFileName() + "," + BOX + ",calm\n"
                + tenseQuery.getFileName() + "," + BOX + ",tense\n" + calmQuery.getFileName() + "," + BOX + ",\n"
                + calm.getFileName() + "," + BOX + ",calm\n");
        Run labelled = affect("taxonomy", "evaluate", "cli-moods", "--queries", manifest.toString(), "--poll-interval-ms", "50", registry(), admin);
        assertEquals(0, labelled.exit(), labelled.toString());
        assertTrue(labelled.out().contains("2 labelled queries (+1 of no class), accuracy 1.000"), labelled.toString());
        assertTrue(labelled.out().contains("1 labelled query was a support's image byte for byte and was left out"), labelled.toString());
        assertTrue(labelled.err().contains("uploaded 4/4") && labelled.err().contains("evaluation job "), labelled.toString());
        Run asJson = affect("taxonomy", "evaluate", "cli-moods", "--queries", manifest.toString(), "--json", registry(), admin);
        assertTrue(asJson.exit() == 0 && asJson.out().contains("\"EVALUATION_SOURCE_LABELLED_QUERIES\""), asJson.toString());
        // two labelled queries with a class, of two images: a temperature is fitted, and Classify uses it once applied
        assertTrue(labelled.out().contains("probabilities at temperature 0.1 (configured)") && labelled.out().contains("fitted temperature "),
                labelled.toString());
        assertTrue(classify.out().contains("(temperature 0.1, configured)"), classify.toString());
        Run calibrated = affect("taxonomy", "update", "cli-moods", "--apply-temperature", registry(), admin);
        assertEquals(0, calibrated.exit(), calibrated.toString());
        assertTrue(calibrated.out().contains("temperature: ") && calibrated.out().contains("fitted on its held-out answers"), calibrated.toString());
        Run withTemperature = affect("classify", "--taxonomy", "cli-moods", calm.toString(), "--box", BOX, registry(), "--key=" + CLIENT);
        assertTrue(withTemperature.exit() == 0 && withTemperature.out().contains(", taxonomy)"), withTemperature.toString());
        java.nio.file.Files.writeString(manifest, calm.getFileName() + "," + BOX + ",joyful\n");
        Run badClass = affect("taxonomy", "evaluate", "cli-moods", "--queries", manifest.toString(), registry(), admin);
        assertEquals(1, badClass.exit(), badClass.toString());
        assertTrue(badClass.err().contains("INVALID_ARGUMENT: query 0: class 'joyful' is not in taxonomy"), badClass.toString());
        Run rule = affect("taxonomy", "update", "cli-moods", "--max-distance", "2", "--description", "with a rule", registry(), admin);
        assertEquals(0, rule.exit(), rule.toString());
        assertTrue(rule.out().contains("rejection: max distance 2.0") && rule.out().contains("with a rule"), rule.toString());
        Run stale = affect("taxonomy", "update", "cli-moods", "--revision", "1", "--description", "late", registry(), admin);
        assertEquals(1, stale.exit(), "an update from an old revision is refused: " + stale);
        assertTrue(stale.err().contains("ABORTED"), stale.toString());
        Run explained = affect("classify", "--taxonomy", "cli-moods", calm.toString(), "--box", BOX, "--explain", "--multi-label",
                registry(), "--key=" + CLIENT);
        assertEquals(0, explained.exit(), explained.toString());
        assertTrue(explained.out().contains("support ") && explained.out().contains("within their thresholds: calm"), explained.toString());
        assertTrue(explained.out().contains("; alike in ") && explained.out().contains("body "), "stream similarities: " + explained);
        Run group = affect("classify", "--taxonomy", "cli-moods", calm.toString(), "--box", BOX, "--box", "9000,9000,9100,9100",
                registry(), "--key=" + CLIENT);
        assertEquals(2, group.exit(), "one box refused: exit 2 " + group);
        assertTrue(group.out().contains("person 0 (box " + BOX + ")") && group.out().contains("person 1 (box 9000,9000,9100,9100)")
                && group.out().contains("INVALID_ARGUMENT: box 1: "), group.toString());
        Run twoBoxesToEmbed = affect("embed", calm.toString(), "--box", BOX, "--box", BOX, embeddingTarget(), "--key=" + ServiceProcess.SERVICE_KEY);
        assertEquals(2, twoBoxesToEmbed.exit(), twoBoxesToEmbed.toString());
        assertTrue(twoBoxesToEmbed.err().contains("this command takes one --box, got 2"), twoBoxesToEmbed.toString());

        Run clientAsAdmin = affect("taxonomy", "delete", "cli-moods", registry(), "--key=" + CLIENT);
        assertEquals(1, clientAsAdmin.exit(), clientAsAdmin.toString());
        assertTrue(clientAsAdmin.err().contains("PERMISSION_DENIED"), clientAsAdmin.toString());
        Run notFound = affect("classify", "--taxonomy", "no-such", calm.toString(), "--box", BOX, registry(), "--key=" + CLIENT);
        assertEquals(1, notFound.exit(), notFound.toString());
        assertTrue(notFound.err().contains("NOT_FOUND: taxonomy 'no-such' does not exist"), notFound.toString());
    }

    @Test
    void theBenchmarkCommandsRunAndReportTheirRatio() throws Exception {
        Run embed = affect("bench-embed", "--store", store.toString(), "--image", calm.toString(), "--box", BOX,
                "--requests", "3", "--warmup", "1", "--threads", "1", embeddingTarget(), "--key=" + ServiceProcess.SERVICE_KEY);
        assertEquals(0, embed.exit(), embed.toString());
        assertTrue(ratio(embed) > 0, embed.toString());

        Run message = affect("bench-message", "--sizes", "1,2", "--repeats", "1", embeddingTarget(), "--key=" + ServiceProcess.SERVICE_KEY);
        assertEquals(0, message.exit(), message.toString());
        assertTrue(ratio(message) > 0, message.toString());

        String admin = "--key=" + ADMIN;
        affect("taxonomy", "create", "cli-bench", "--class", "calm", "--class", "tense", registry(), admin);
        affect("support", "add", "--taxonomy", "cli-bench", "--class", "calm", calm.toString(), "--box", BOX, registry(), admin);
        affect("support", "add", "--taxonomy", "cli-bench", "--class", "tense", tense.toString(), "--box", BOX, registry(), admin);
        Run classify = affect("bench-classify", "--store", store.toString(), "--taxonomy", "cli-bench", "--image", calm.toString(),
                "--box", BOX, "--requests", "3", "--warmup", "1", "--threads", "1", registry(), "--key=" + CLIENT);
        assertEquals(0, classify.exit(), classify.toString());
        assertTrue(ratio(classify) > 0 && classify.out().contains("per pair (Classify / the raw run just before it): median"),
                classify.toString());

        Run evaluate = affect("bench-evaluate", "--taxonomy", "cli-bench", "--image", calm.toString(), "--box", BOX, "--queries", "3,5",
                "--classify-requests", "2", registry(), admin);
        assertEquals(0, evaluate.exit(), evaluate.toString());
        assertTrue(ratio(evaluate) > 0 && evaluate.out().contains("RATIO evaluation of 5 queries"), evaluate.toString());

        Run photos = affect("bench-photos", "--taxonomy", "cli-bench", "--megapixels", "0.3,12", "--persons", "1,8", "--requests", "1",
                "--warmup", "0", "--runs", "1", "--large-request-mib", "4", registry(), "--key=" + CLIENT);
        assertEquals(0, photos.exit(), photos.toString());
        assertTrue(photos.out().contains("RATIO Classify p50 12 Mpx / 0.3 Mpx") && photos.out().contains("RATIO ClassifyPersons p50 8 persons")
                && photos.out().contains("RATIO Classify p50 repeated photo") && photos.out().contains("4 MiB image: INVALID_ARGUMENT"), photos.toString());
    }

    /** The "RATIO ... = x" line every benchmark prints (what docs/benchmarks.md records). */
    private static double ratio(Run run) {
        var m = java.util.regex.Pattern.compile("(?m)^RATIO .* = ([0-9]+\\.[0-9]+)").matcher(run.out());
        assertTrue(m.find(), "a RATIO line: " + run);
        double ratio = Double.parseDouble(m.group(1));
        assertTrue(Double.isFinite(ratio), run.toString());
        return ratio;
    }
}

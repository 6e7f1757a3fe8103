package org.affectdml.registry;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.service.testing.OtlpTraceReceiver;
import org.affectdml.service.testing.ServiceProcess;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The headline test: PostgreSQL and the three packaged services as real processes, talking gRPC to each
 * other (embedding-service takes Sem2Vec from segmentation-service). A taxonomy is registered with one
 * support photo per class; a re-cropped, rescaled copy of one support must be classified as its class,
 * through gRPC and through the REST admin API, and one Classify must be one trace across the three services.
 * With AFFECT_SHARED_DIR the stand-in bundle and the photos of
 * ../shared are used; without it, the tiny bundle and generated scenes (and the test says so).
 */
class ClassifyEndToEndIT {

    private static final String ADMIN = "e2e-admin-key";
    private static final String CLIENT = "e2e-client-key";
    /** OTLP span kinds. */
    private static final int SERVER = 2;
    private static final int CLIENT_KIND = 3;

    @TempDir
    Path tmp;

    /** A support: encoded photo and person box (x1, y1, x2, y2). */
    record Photo(String className, byte[] image, float[] box) {
    }

    @Test
    void nearDuplicateOfASupportRanksItsClassFirstThroughGrpcAndRest() throws Exception {
        Path seg = ServiceProcess.requirePackagedApp("segmentation-service");
        Path emb = ServiceProcess.requirePackagedApp("embedding-service");
        Path reg = ServiceProcess.requirePackagedApp("support-registry");
        Path store = tmp.resolve("store");
        List<Photo> supports = prepare(store);

        try (OtlpTraceReceiver collector = new OtlpTraceReceiver()) {
            runServices(seg, emb, reg, store, supports, collector);
            traceCrossesEveryHop(collector);
        }
    }

    /** Every service exports its spans to the test's collector (OTLP over HTTP, flushed every 200 ms). */
    private static Map<String, String> tracingTo(OtlpTraceReceiver collector) {
        return Map.of("quarkus.otel.sdk.disabled", "false",
                "quarkus.otel.exporter.otlp.traces.endpoint", collector.endpoint(),
                "quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf",
                "quarkus.otel.bsp.schedule.delay", "200ms");
    }

    private void runServices(Path seg, Path emb, Path reg, Path store, List<Photo> supports, OtlpTraceReceiver collector) throws Exception {
        Map<String, String> models = new HashMap<>(tracingTo(collector));
        models.putAll(Map.of("affect.model-store.path", store.toString(), "affect.onnx.intra-op-threads", "1"));
        try (ServiceProcess segmentation = ServiceProcess.start(seg, models, tmp.resolve("logs"))) {
            Map<String, String> embProps = new HashMap<>(models);
            embProps.put("affect.embedding.segmentation", "remote");
            embProps.put("quarkus.grpc.clients.segmentation.host", "127.0.0.1");
            embProps.put("quarkus.grpc.clients.segmentation.port", Integer.toString(segmentation.port));
            try (ServiceProcess embedding = ServiceProcess.start(emb, embProps, tmp.resolve("logs"));
                 ServiceProcess registry = ServiceProcess.start(reg, registryProperties(embedding.port, collector), tmp.resolve("logs"))) {
                viaGrpc(registry.port, supports);
                viaRest(registry.port, supports);
                logsAreJsonLines(registry.logFile());
            }
        }
    }

    private static Map<String, String> registryProperties(int embeddingPort, OtlpTraceReceiver collector) {
        Map<String, String> props = new HashMap<>(tracingTo(collector));
        props.putAll(Map.of(
                "quarkus.datasource.jdbc.url", System.getenv().getOrDefault("AFFECT_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_test"),
                "quarkus.grpc.clients.embedding.host", "127.0.0.1",
                "quarkus.grpc.clients.embedding.port", Integer.toString(embeddingPort),
                "affect.registry.auth.admin-keys", ADMIN,
                "affect.registry.auth.client-keys", CLIENT,
                "quarkus.log.console.json.enabled", "true"));
        return props;
    }

    /** With JSON logging on (as in Kubernetes), every log record is one JSON object with time, level and message. */
    private static void logsAreJsonLines(Path log) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> records = Files.readAllLines(log).stream().filter(l -> l.startsWith("{")).toList();
        assertTrue(records.size() >= 3, "JSON log records in " + log + ": " + Files.readString(log));
        for (String line : records) {
            var record = json.readTree(line);
            assertTrue(record.has("timestamp") && record.has("level") && record.has("message"), line);
        }
        assertTrue(records.stream().anyMatch(l -> l.contains("support-registry") && l.contains("started in")), "the start-up record");
        assertTrue(Files.readAllLines(log).stream().noneMatch(l -> l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (INFO|WARN|ERROR) .*")),
                "no record in the readable format");
    }

    /**
     * One gRPC Classify is one trace: the registry's Classify server span, its client call to Embed, embedding-service's
     * server span as that call's child, its client call to Segment, and segmentation-service's server span under it.
     * (Server spans are matched by parent, not name: on the shared HTTP port a call can surface as "POST".)
     */
    private static void traceCrossesEveryHop(OtlpTraceReceiver collector) throws Exception {
        Duration wait = Duration.ofSeconds(20);
        OtlpTraceReceiver.Span classify = collector.await(s -> s.service().equals("support-registry") && s.kind() == SERVER
                && s.name().endsWith("Classification/Classify"), wait);
        String trace = classify.traceId();
        OtlpTraceReceiver.Span embedCall = collector.await(s -> s.service().equals("support-registry") && s.kind() == CLIENT_KIND
                && s.traceId().equals(trace) && s.name().endsWith("EmbeddingService/Embed"), wait);
        collector.await(s -> s.service().equals("embedding-service") && s.kind() == SERVER
                && s.parentSpanId().equals(embedCall.spanId()) && s.traceId().equals(trace), wait);
        OtlpTraceReceiver.Span segmentCall = collector.await(s -> s.service().equals("embedding-service") && s.kind() == CLIENT_KIND
                && s.traceId().equals(trace) && s.name().endsWith("Segmentation/Segment"), wait);
        collector.await(s -> s.service().equals("segmentation-service") && s.kind() == SERVER
                && s.parentSpanId().equals(segmentCall.spanId()) && s.traceId().equals(trace), wait);
    }

    private void viaGrpc(int port, List<Photo> supports) throws Exception {
        String taxonomy = "e2e-grpc-" + UUID.randomUUID().toString().substring(0, 8);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        try {
            var admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN);
            admin.createTaxonomy(RegistryTestSupport.taxonomy(taxonomy, supports.stream().map(Photo::className).toArray(String[]::new)));
            for (Photo p : supports) {
                admin.addSupport(AddSupportRequest.newBuilder().setTaxonomy(taxonomy).setClassName(p.className())
                        .setImage(Image.newBuilder().setData(ByteString.copyFrom(p.image()))).setBox(box(p.box())).build());
            }
            var client = withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT);
            for (Photo p : supports) {
                Photo query = nearDuplicate(p);
                ClassifyResponse r = client.classify(ClassifyRequest.newBuilder().setTaxonomy(taxonomy)
                        .setImage(Image.newBuilder().setData(ByteString.copyFrom(query.image()))).setBox(box(query.box())).build());
                assertEquals(p.className(), r.getClasses(0).getClassName(), "gRPC ranking for a near-duplicate of " + p.className() + ": " + r);
                assertEquals(supports.size(), r.getClassesCount());
            }
        } finally {
            channel.shutdownNow();
        }
    }

    private void viaRest(int port, List<Photo> supports) throws Exception {
        String taxonomy = "e2e-rest-" + UUID.randomUUID().toString().substring(0, 8);
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + port + "/api/v1/taxonomies";
        StringBuilder classes = new StringBuilder();
        for (Photo p : supports) {
            classes.append(classes.length() == 0 ? "" : ",").append("{\"name\":\"").append(p.className()).append("\"}");
        }
        assertEquals(201, post(http, base, ADMIN, "{\"name\":\"" + taxonomy + "\",\"kind\":\"TAXONOMY_KIND_CATEGORICAL\",\"classes\":[" + classes + "]}").statusCode());
        for (Photo p : supports) {
            var r = post(http, base + "/" + taxonomy + "/supports", ADMIN, "{\"className\":\"" + p.className() + "\"," + imageAndBox(p) + "}");
            assertEquals(201, r.statusCode(), r.body());
        }
        Photo query = nearDuplicate(supports.get(supports.size() - 1));
        var classified = post(http, base + "/" + taxonomy + "/classify", CLIENT, "{" + imageAndBox(query) + "}");
        assertEquals(200, classified.statusCode(), classified.body());
        assertTrue(classified.body().startsWith("{\"classes\":[{\"className\":\"" + supports.get(supports.size() - 1).className() + "\""),
                classified.body());
    }

    private static HttpResponse<String> post(HttpClient http, String url, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String imageAndBox(Photo p) {
        return "\"image\":{\"data\":\"" + Base64.getEncoder().encodeToString(p.image()) + "\"},\"box\":{\"x1\":" + p.box()[0]
                + ",\"y1\":" + p.box()[1] + ",\"x2\":" + p.box()[2] + ",\"y2\":" + p.box()[3] + "}";
    }

    /** Publishes the bundle into {@code store} and returns one support photo per class. */
    private List<Photo> prepare(Path store) throws Exception {
        Path shared = TestImages.sharedDir();
        ModelStore modelStore = new ModelStore(store);
        OrtSessionFactory sessions = OrtSessionFactory.cpu(0);
        List<Photo> photos = new ArrayList<>();
        if (shared == null) {
            System.out.println("NOTE: AFFECT_SHARED_DIR not set: end-to-end test uses the tiny bundle and generated scenes");
            TinyModels.activeDefaultBundle(store);
            String[] names = {"joy", "anger", "calm"};
            for (int i = 0; i < 3; i++) {
                photos.add(new Photo(names[i], TestImages.png(RegistryTestSupport.scene(i)), new float[]{40, 20, 110, 110}));
            }
            return photos;
        }
        org.affectdml.inference.testing.StandInBundle.activate(shared, modelStore, sessions);
        Path images = shared.resolve("images");
        photos.add(new Photo("excited", Files.readAllBytes(images.resolve("coco-000000000785-skier.jpg")), new float[]{281, 45, 500, 392}));
        photos.add(new Photo("engaged", Files.readAllBytes(images.resolve("coco-000000196141-baseball.jpg")), new float[]{248, 74, 418, 375}));
        photos.add(new Photo("peaceful", Files.readAllBytes(images.resolve("coco-000000040083-street-vendors.jpg")), new float[]{38, 111, 213, 286}));
        photos.add(new Photo("focused", Files.readAllBytes(images.resolve("coco-000000197388-ski-race.jpg")), new float[]{139, 102, 361, 344}));
        return photos;
    }

    /** The support re-encoded at 85 % scale as JPEG, with its box scaled and loosened by a few pixels. */
    private static Photo nearDuplicate(Photo p) throws Exception {
        BufferedImage src = ImageIO.read(new ByteArrayInputStream(p.image()));
        int w = src.getWidth() * 85 / 100;
        int h = src.getHeight() * 85 / 100;
        BufferedImage scaled = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        float[] b = p.box();
        return new Photo(p.className(), TestImages.jpeg(scaled),
                new float[]{b[0] * 0.85f - 3, b[1] * 0.85f - 3, b[2] * 0.85f + 3, b[3] * 0.85f + 3});
    }

    private static PersonBox box(float[] b) {
        return PersonBox.newBuilder().setX1(b[0]).setY1(b[1]).setX2(b[2]).setY2(b[3]).build();
    }

}

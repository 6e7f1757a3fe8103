package org.affectdml.registry.bench;

import com.google.protobuf.ByteString;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.CallOptions;
import io.grpc.Channel;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.proto.v1.TaxonomyKind;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.service.metrics.ServerTiming;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.ServiceProcess;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where a Classify's time goes (docs/benchmarks.md, "Where a Classify's time goes"). Starts the packaged
 * segmentation-service, embedding-service (Sem2Vec from segmentation-service over gRPC, as deployed) and support-registry
 * on the test database, registers a taxonomy, then sends Classify at concurrency 1 asking each call for its server
 * timings ({@link ServerTiming}): the registry's stages (validate, model-info, check, embed, knn, total) and
 * embedding-service's (decode, preprocess, encoders, segmentation and what segmentation-service itself reported). From
 * the same calls it derives the hops: client to registry, registry to embedding-service, embedding-service to
 * segmentation-service, and the registry's own work (total minus embed). A transport floor is measured alongside: a
 * GetModel to embedding-service (no work). The database is measured alongside too, from this process's own JDBC
 * connections, made as the registry's pools make theirs, between the same calls: {@code SELECT 1} (a floor: one round
 * trip that does nothing) and, for comparison, the very statement the registry ran for the call (same taxonomy, version
 * and query, prepared on the server), planned once as on the registry's search pool and planned for each call as on its
 * main pool, so the registry's statement time can be read against what one round trip to PostgreSQL costs at that pace.
 * Then a throughput phase at the given concurrency.
 *
 * Run: deploy/local/bench-overhead.sh [tiny|stand-in] [requests] [concurrency] [--jfr]. With --jfr the registry and
 * embedding-service record a Java Flight Recorder profile during the throughput phase, summarised as their hottest
 * frames. {@code ClassifyOverheadBenchmarkIT} runs it small with the tiny models in the suite.
 */
public final class ClassifyOverheadBenchmark {

    private static final String ADMIN = "overhead-admin-key";
    private static final String CLIENT = "overhead-client-key";
    private static final Metadata.Key<String> TIMING = ServerTiming.KEY;

    /** p50 and p99 of one stage over the measured calls, in milliseconds. */
    public record Stage(String name, double p50, double p99) {
    }

    /** The table: stages in order, the throughput phase, and the JFR summaries (empty without --jfr). */
    public record Result(String models, int requests, List<Stage> stages, double throughputPerSecond, int concurrency,
                         Map<String, List<String>> hottestFrames) {

        public Stage stage(String name) {
            return stages.stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no stage " + name + " in " + stages));
        }
    }

    /** What to run against: an active bundle in {@code store}, a photo and its person box. */
    public record Settings(String models, Path store, byte[] image, PersonBox box, int requests, int warmup, int concurrency,
                           int throughputRequests, boolean jfr, Path work, String dbUrl) {
    }

    public static void main(String[] args) throws Exception {
        String models = args.length > 0 ? args[0] : "tiny";
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        boolean jfr = Arrays.asList(args).contains("--jfr");
        Path work = Files.createTempDirectory("affect-overhead-bench");
        Path store = work.resolve("store");
        byte[] image;
        PersonBox box;
        if (models.equals("tiny")) {
            TinyModels.activeDefaultBundle(store);
            image = jpeg(128, 96, new Random(1));
            box = PersonBox.newBuilder().setX1(40).setY1(16).setX2(96).setY2(90).build();
        } else {
            // the stand-in bundle the local scripts assemble (deploy/local/default-bundle.sh) and a 640x425 photo
            store = Path.of(System.getProperty("affect.model-store", System.getenv().getOrDefault("AFFECT_MODEL_STORE", "var/models")));
            Path shared = Path.of(System.getenv().getOrDefault("AFFECT_SHARED_DIR", "../shared"));
            image = Files.readAllBytes(shared.resolve("images/coco-000000000785-skier.jpg"));
            box = PersonBox.newBuilder().setX1(281).setY1(45).setX2(500).setY2(392).build();
        }
        Result r = run(new Settings(models, store, image, box, requests, models.equals("tiny") ? 3000 : 300, concurrency,
                Math.max(requests, 20 * concurrency), jfr, work, System.getProperty("db.url",
                System.getenv().getOrDefault("AFFECT_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_test"))));
        print(r);
    }

    public static Result run(Settings s) throws Exception {
        Path logs = s.work().resolve("logs");
        Map<String, String> models = Map.of("affect.model-store.path", s.store().toString(), "affect.onnx.intra-op-threads", "1");
        List<String> jfrOptions = new ArrayList<>();
        try (ServiceProcess segmentation = ServiceProcess.start(ServiceProcess.requirePackagedApp("segmentation-service"), models, logs)) {
            Map<String, String> embeddingProps = new HashMap<>(models);
            embeddingProps.put("affect.embedding.segmentation", "remote");
            embeddingProps.put("quarkus.grpc.clients.segmentation.host", "127.0.0.1");
            embeddingProps.put("quarkus.grpc.clients.segmentation.port", Integer.toString(segmentation.port));
            Path embeddingJfr = s.work().resolve("embedding-service.jfr");
            Path registryJfr = s.work().resolve("support-registry.jfr");
            try (ServiceProcess embedding = start("embedding-service", embeddingProps, logs, s.jfr() ? embeddingJfr : null);
                 ServiceProcess registry = start("support-registry", Map.of(
                         "quarkus.datasource.jdbc.url", s.dbUrl(),
                         "quarkus.grpc.clients.embedding.host", "127.0.0.1",
                         "quarkus.grpc.clients.embedding.port", Integer.toString(embedding.port),
                         "affect.registry.auth.admin-keys", ADMIN,
                         "affect.registry.auth.client-keys", CLIENT), logs, s.jfr() ? registryJfr : null)) {
                ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", registry.port).usePlaintext()
                        .maxInboundMessageSize(64 << 20).build();
                ManagedChannel embeddingChannel = ManagedChannelBuilder.forAddress("127.0.0.1", embedding.port).usePlaintext().build();
                try {
                    String taxonomy = registerTaxonomy(channel, s);
                    // warm-up first, at the throughput phase's concurrency: the JIT compiles the services' hot paths
                    // sooner under load, and a figure measured on half-interpreted code measures the JIT
                    throughput(channel, taxonomy, s, s.warmup(), 2_000_000);
                    List<Stage> stages = measure(channel, embeddingChannel, taxonomy, s);
                    double throughput = throughput(channel, taxonomy, s, s.throughputRequests(), 1_000_000);
                    Map<String, List<String>> hottest = new LinkedHashMap<>();
                    if (s.jfr()) {
                        dumpRecording(registry, registryJfr);
                        dumpRecording(embedding, embeddingJfr);
                        hottest.put("support-registry", JfrSummary.of(registryJfr, 10));
                        hottest.put("embedding-service", JfrSummary.of(embeddingJfr, 10));
                    }
                    return new Result(s.models(), s.requests(), stages, throughput, s.concurrency(), hottest);
                } finally {
                    channel.shutdownNow();
                    embeddingChannel.shutdownNow();
                }
            }
        }
    }

    private static ServiceProcess start(String module, Map<String, String> props, Path logs, Path jfr) throws Exception {
        List<String> options = jfr == null ? List.of()
                : List.of("-XX:StartFlightRecording=settings=profile,filename=" + jfr + ",dumponexit=true");
        return ServiceProcess.start(ServiceProcess.requirePackagedApp(module), props, logs, "127.0.0.1", ServiceProcess.freePort(), options);
    }

    /** Dumps the service's recording now (jcmd), so the summary does not wait for the process to exit. */
    private static void dumpRecording(ServiceProcess p, Path file) throws Exception {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(p.pid()),
                "JFR.dump", "filename=" + file).redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes());
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0 || Files.size(file) == 0) {
            throw new IllegalStateException("jcmd JFR.dump failed for pid " + p.pid() + ": " + output);
        }
    }

    /** Three classes, two supports each: crops of the same photo at shifted boxes (the search cost, not the accuracy, matters). */
    private static String registerTaxonomy(ManagedChannel channel, Settings s) {
        String name = "overhead-" + UUID.randomUUID().toString().substring(0, 8);
        var admin = GrpcTestChannels.withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN).withDeadlineAfter(5, TimeUnit.MINUTES);
        Taxonomy.Builder t = Taxonomy.newBuilder().setName(name).setKind(TaxonomyKind.TAXONOMY_KIND_CATEGORICAL);
        List<String> classes = List.of("calm", "joy", "fear");
        classes.forEach(c -> t.addClasses(EmotionClass.newBuilder().setName(c)));
        admin.createTaxonomy(CreateTaxonomyRequest.newBuilder().setTaxonomy(t).build());
        for (int i = 0; i < classes.size() * 2; i++) {
            PersonBox b = s.box();
            float shift = i * 2;
            admin.addSupport(AddSupportRequest.newBuilder().setTaxonomy(name).setClassName(classes.get(i % classes.size()))
                    .setImage(Image.newBuilder().setData(ByteString.copyFrom(s.image())))
                    .setBox(b.toBuilder().setX1(b.getX1() + shift).setY1(b.getY1() + shift)).build());
        }
        return name;
    }

    private static ClassifyRequest request(String taxonomy, Settings s, int i) {
        // a distinct image each call (one byte of the JPEG comment differs): no call is answered from a scene cache
        int n = s.image().length;
        byte[] tagged = Arrays.copyOf(s.image(), n + 4);
        tagged[n] = (byte) i;
        tagged[n + 1] = (byte) (i >> 8);
        tagged[n + 2] = (byte) (i >> 16);
        tagged[n + 3] = (byte) (i >> 24);
        return ClassifyRequest.newBuilder().setTaxonomy(taxonomy).setImage(Image.newBuilder().setData(ByteString.copyFrom(tagged)))
                .setBox(s.box()).build();
    }

    /** Concurrency 1: per call, the client's time, the server timings, and the transport and database floors in between. */
    private static List<Stage> measure(ManagedChannel channel, ManagedChannel embeddingChannel, String taxonomy, Settings s) throws Exception {
        try (Connection plannedOnce = connectAs("search", s.dbUrl()); Connection plannedEachCall = connectAs("", s.dbUrl())) {
            return measure(channel, embeddingChannel, taxonomy, s, plannedOnce, plannedEachCall, taxonomyId(plannedOnce, taxonomy));
        }
    }

    /**
     * A connection made as the registry's pool {@code datasource} makes its own ("" the main pool, "search" the pool of the
     * common Classify statement): its JDBC properties read from the registry's application.properties.
     */
    public static Connection connectAs(String datasource, String url) throws java.io.IOException, SQLException {
        java.util.Properties registry = new java.util.Properties();
        try (var in = ClassifyOverheadBenchmark.class.getResourceAsStream("/application.properties")) {
            registry.load(java.util.Objects.requireNonNull(in, "the registry's application.properties is not on the classpath"));
        }
        String prefix = "quarkus.datasource." + (datasource.isEmpty() ? "" : datasource + ".") + "jdbc.additional-jdbc-properties.";
        java.util.Properties props = new java.util.Properties();
        registry.stringPropertyNames().stream().filter(n -> n.startsWith(prefix))
                .forEach(n -> props.setProperty(n.substring(prefix.length()), registry.getProperty(n)));
        if (props.isEmpty()) {
            throw new IllegalStateException("no JDBC properties for the registry's datasource '" + datasource + "' (" + prefix + "*)");
        }
        props.setProperty("user", System.getProperty("db.user", System.getenv().getOrDefault("AFFECT_DB_USER", "affect")));
        props.setProperty("password", System.getProperty("db.password", System.getenv().getOrDefault("AFFECT_DB_PASSWORD", "affect")));
        return DriverManager.getConnection(url, props);
    }

    private static long taxonomyId(Connection db, String taxonomy) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT id FROM taxonomy WHERE name = ?")) {
            p.setString(1, taxonomy);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    throw new IllegalStateException("the benchmark taxonomy " + taxonomy + " is not in " + db.getMetaData().getURL());
                }
                return r.getLong(1);
            }
        }
    }

    /** One round trip that does nothing, timed in ms. */
    private static double selectOne(Connection db) throws SQLException {
        long t0 = System.nanoTime();
        try (Statement st = db.createStatement(); ResultSet r = st.executeQuery("SELECT 1")) {
            r.next();
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /** The embedding's values, as the registry binds them. */
    private static float[] values(EmbedResponse embedded) {
        float[] query = new float[embedded.getEmbedding().getValuesCount()];
        for (int i = 0; i < query.length; i++) {
            query[i] = embedded.getEmbedding().getValues(i);
        }
        return query;
    }

    /** The registry's one Classify statement for this taxonomy, version and query (SupportEmbeddingRepository), timed in ms. */
    private static double registryStatement(Connection db, long taxonomyId, String version, float[] query) throws SQLException {
        long t0 = System.nanoTime();
        SupportEmbeddingRepository.Checked found = SupportEmbeddingRepository.nearestPerClassExactChecked(db, taxonomyId, version, query,
                List.of(version), false);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (found.distances().isEmpty()) {
            throw new IllegalStateException("the registry's statement found no support in taxonomy " + taxonomyId + " for version " + version);
        }
        return ms;
    }

    private static List<Stage> measure(ManagedChannel channel, ManagedChannel embeddingChannel, String taxonomy, Settings s,
                                       Connection plannedOnce, Connection plannedEachCall, long taxonomyId) throws SQLException {
        AtomicReference<String> trailer = new AtomicReference<>();
        Channel timed = ClientInterceptors.intercept(channel, askForTimings(trailer));
        var client = GrpcTestChannels.withKey(ClassificationGrpc.newBlockingStub(timed), CLIENT);
        var floor = GrpcTestChannels.withKey(EmbeddingServiceGrpc.newBlockingStub(embeddingChannel), ServiceProcess.SERVICE_KEY);
        AtomicReference<String> embedTrailer = new AtomicReference<>();
        var direct = GrpcTestChannels.withKey(EmbeddingServiceGrpc.newBlockingStub(
                ClientInterceptors.intercept(embeddingChannel, askForTimings(embedTrailer))), ServiceProcess.SERVICE_KEY);
        Map<String, List<Double>> samples = new LinkedHashMap<>();
        // the same call back to back: a hop without the pauses between the services' turns
        for (int i = -200; i < s.requests(); i++) {
            long f0 = System.nanoTime();
            floor.withDeadlineAfter(30, TimeUnit.SECONDS).getModel(GetModelRequest.getDefaultInstance());
            if (i >= 0) {
                add(samples, "transport floor, back to back", (System.nanoTime() - f0) / 1e6);
            }
        }
        for (int i = -Math.min(50, s.warmup()); i < s.requests(); i++) {
            long f0 = System.nanoTime();
            floor.withDeadlineAfter(30, TimeUnit.SECONDS).getModel(GetModelRequest.getDefaultInstance());
            double floorMs = (System.nanoTime() - f0) / 1e6;
            ClassifyRequest request = request(taxonomy, s, i + 100);
            long t0 = System.nanoTime();
            client.withDeadlineAfter(60, TimeUnit.SECONDS).classify(request);
            double clientMs = (System.nanoTime() - t0) / 1e6;
            // the registry's Embed, sent by this client straight to embedding-service (another image: no scene cache)
            EmbedRequest embed = EmbedRequest.newBuilder().setImage(request(taxonomy, s, i + 1_000_000).getImage()).setBox(s.box()).build();
            long e0 = System.nanoTime();
            EmbedResponse embedded = direct.withDeadlineAfter(60, TimeUnit.SECONDS).embed(embed);
            double embedMs = (System.nanoTime() - e0) / 1e6;
            double selectOneMs = selectOne(plannedOnce);
            float[] query = values(embedded);
            String version = embedded.getEmbedding().getModelVersion();
            double plannedOnceMs = registryStatement(plannedOnce, taxonomyId, version, query);
            double plannedEachCallMs = registryStatement(plannedEachCall, taxonomyId, version, query);
            if (i < 0) {
                continue;
            }
            double embedCall = ServerTiming.parse(embedTrailer.get()).getOrDefault("call", Double.NaN);
            add(samples, "direct Embed: client", embedMs);
            add(samples, "direct Embed: client and network (client - server call)", embedMs - embedCall);
            add(samples, "direct Embed: request in, hand-off, answer out (call - total)", embedCall - embedded.getTimings().getTotalUs() / 1e3);
            Map<String, Double> server = ServerTiming.parse(trailer.get());
            if (!server.containsKey("total") || !server.containsKey("embedding.total")) {
                throw new IllegalStateException("the registry sent no timings for a Classify that asked: " + trailer.get());
            }
            add(samples, "client end to end", clientMs);
            add(samples, "transport floor (GetModel to embedding-service, between Classify calls)", floorMs);
            add(samples, "hop client -> registry (client - registry total)", clientMs - server.get("total"));
            add(samples, "registry total", server.get("total"));
            add(samples, "registry own work (total - embed)", server.get("total") - server.get("embed"));
            add(samples, "registry own work outside the statement (total - embed - knn.statement)",
                    server.get("total") - server.get("embed") - server.getOrDefault("knn.statement", 0.0));
            add(samples, "registry request in, hand-off, answer out (call - total)", server.getOrDefault("call", Double.NaN) - server.get("total"));
            for (String stage : List.of("validate", "model-info", "check", "check.kept", "embed", "knn", "knn.statement", "knn.read")) {
                add(samples, "registry " + stage, server.getOrDefault(stage, 0.0));
            }
            add(samples, "hop registry -> embedding (embed - embedding total)", server.get("embed") - server.get("embedding.total"));
            for (String stage : List.of("total", "decode", "preprocess", "encoders", "segmentation", "head")) {
                add(samples, "embedding " + stage, server.getOrDefault("embedding." + stage, 0.0));
            }
            add(samples, "segmentation-service own (reported)", server.getOrDefault("embedding.segmentation-server", 0.0));
            add(samples, "database floor: SELECT 1 from the benchmark, between calls", selectOneMs);
            add(samples, "database, from the benchmark: the registry's statement planned once (as the search pool)", plannedOnceMs);
            add(samples, "database, from the benchmark: the same planned for each call (as the main pool)", plannedEachCallMs);
            add(samples, "hop embedding -> segmentation (segmentation - reported)",
                    server.getOrDefault("embedding.segmentation", 0.0) - server.getOrDefault("embedding.segmentation-server", 0.0));
        }
        List<Stage> stages = new ArrayList<>();
        samples.forEach((name, values) -> stages.add(new Stage(name, percentile(values, 0.5), percentile(values, 0.99))));
        return stages;
    }

    private static double throughput(ManagedChannel channel, String taxonomy, Settings s, int requests, int firstImage) throws Exception {
        var client = GrpcTestChannels.withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT);
        ExecutorService pool = Executors.newFixedThreadPool(s.concurrency());
        try {
            int perThread = Math.max(1, requests / s.concurrency());
            List<Future<?>> done = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int c = 0; c < s.concurrency(); c++) {
                int thread = c;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        client.withDeadlineAfter(60, TimeUnit.SECONDS).classify(request(taxonomy, s, firstImage + thread * perThread + i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES);
            }
            return perThread * s.concurrency() / ((System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Sends {@code affect-server-timing: 1} and keeps the answer's trailer. */
    private static ClientInterceptor askForTimings(AtomicReference<String> trailer) {
        return new ClientInterceptor() {
            @Override
            public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<A> listener, Metadata headers) {
                        headers.put(TIMING, "1");
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                trailer.set(trailers.get(TIMING));
                                super.onClose(status, trailers);
                            }
                        }, headers);
                    }
                };
            }
        };
    }

    private static void add(Map<String, List<Double>> samples, String stage, double ms) {
        samples.computeIfAbsent(stage, k -> new ArrayList<>()).add(ms);
    }

    static double percentile(List<Double> values, double q) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    /** A small JPEG of coloured blocks, as a phone thumbnail would be. */
    static byte[] jpeg(int width, int height, Random random) throws Exception {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        for (int y = 0; y < height; y += 8) {
            for (int x = 0; x < width; x += 8) {
                g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
                g.fillRect(x, y, 8, 8);
            }
        }
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", out);
        return out.toByteArray();
    }

    static void print(Result r) {
        System.out.printf("Classify overhead benchmark: %s models, %d calls at concurrency 1, ms%n", r.models(), r.requests());
        System.out.printf("  %-58s %9s %9s%n", "stage", "p50", "p99");
        for (Stage s : r.stages()) {
            System.out.printf("  %-58s %9.3f %9.3f%n", s.name(), s.p50(), s.p99());
        }
        System.out.printf("  throughput at concurrency %d: %.1f Classify/s%n", r.concurrency(), r.throughputPerSecond());
        r.hottestFrames().forEach((service, frames) -> {
            System.out.printf("  JFR %s, hottest frames (share of execution samples):%n", service);
            frames.forEach(f -> System.out.println("    " + f));
        });
    }
}

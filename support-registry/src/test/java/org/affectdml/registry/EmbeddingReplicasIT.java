package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.affectdml.inference.image.SyntheticPhotos;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * embedding-service replicas behind one name (a hosts file given to the registry's JVM maps it to 127.0.0.2, .3, ...,
 * as a headless Service's DNS lists every ready pod), with the registry's real gRPC client: calls spread round-robin,
 * a replica killed or shut down under load fails no call (UNAVAILABLE is retried on another replica, large photos
 * included), a restarted replica gets calls as soon as it is ready, and one added to the name gets calls within about
 * one maximum connection age.
 */
class EmbeddingReplicasIT {

    private static final String ADMIN = "lb-admin-key";
    private static final String CLIENT = "lb-client-key";
    private static final String NAME = "embedding.replicas.test";
    private static final Duration CONNECTION_AGE = Duration.ofSeconds(2);

    @TempDir
    Path tmp;

    private Path store;
    private Path hosts;
    private int port;
    private final List<ServiceProcess> processes = new ArrayList<>();
    private ManagedChannel channel;

    @BeforeEach
    void models() throws Exception {
        store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        hosts = tmp.resolve("hosts");
        port = ServiceProcess.freePort();
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        processes.forEach(ServiceProcess::close);
    }

    @Test
    void threeReplicasShareTheCallsAndAKilledOneFailsNone() throws Exception {
        List<ServiceProcess> replicas = List.of(replica(2), replica(3), replica(4));
        listInName(replicas);
        Clients clients = registry();

        double[] before = embedCalls(replicas);
        int calls = 300;
        ClassifyRequest small = classify(clients.taxonomy, nearDuplicate(1), NEAR_BOX);
        for (int i = 0; i < calls; i++) {
            clients.classification.classify(small);
        }
        double[] after = embedCalls(replicas);
        StringBuilder spread = new StringBuilder();
        for (int r = 0; r < replicas.size(); r++) {
            spread.append(String.format(" %s: %.1f %%", replicas.get(r).host, 100 * (after[r] - before[r]) / calls));
        }
        System.out.println("share of " + calls + " calls per replica:" + spread);  // the distribution, in every run's log
        for (int r = 0; r < replicas.size(); r++) {
            double share = (after[r] - before[r]) / calls;
            assertTrue(Math.abs(share - 1.0 / 3) <= 0.1 / 3, "each replica serves 33 +- 10 % of the calls:" + spread);
        }

        // Under load, small and large photos (a large one is above grpc-java's default 1 MiB retry buffer): SIGKILL one.
        try (ClassifyLoad load = new ClassifyLoad(clients.classification, List.of(small, largePhoto(clients.taxonomy)), 4)) {
            load.awaitAnswered(20);
            // killed while it works on calls: its own in-flight gauge above 0 just before the SIGKILL
            double inFlight = awaitInFlight(replicas.get(2));
            replicas.get(2).kill();
            System.out.printf("SIGKILL with %.0f Embed call(s) in flight on %s%n", inFlight, replicas.get(2).host);
            double[] atKill = embedCalls(replicas.subList(0, 2));
            load.awaitAnswered(40);
            double[] later = embedCalls(replicas.subList(0, 2));
            load.close();
            assertEquals(List.of(), load.failures(), "no Classify call fails when a replica is killed");
            assertTrue(later[0] > atKill[0] && later[1] > atKill[1], "both survivors serve the calls after the kill");
        }
    }

    @Test
    void aReplicaThatRestartsOrJoinsGetsCallsQuickly() throws Exception {
        List<ServiceProcess> replicas = new ArrayList<>(List.of(replica(2), replica(3)));
        listInName(replicas);
        Clients clients = registry();
        ClassifyRequest small = classify(clients.taxonomy, nearDuplicate(1), NEAR_BOX);
        try (ClassifyLoad load = new ClassifyLoad(clients.classification, List.of(small), 2)) {
            load.awaitAnswered(10);

            // SIGTERM, as Kubernetes stops a pod: its calls in flight finish, the others go to the other replica.
            ServiceProcess stopped = replicas.get(0);
            stopped.terminate();
            assertTrue(stopped.awaitExit(Duration.ofSeconds(40)) >= 0, "exits within its grace period");
            processes.remove(stopped);
            load.awaitAnswered(20);

            // The same replica starts again on its address: it serves within a second of reporting ready.
            ServiceProcess restarted = replica(2);
            long servedAfter = awaitFirstEmbed(restarted, restarted.readyAtNanos());
            // measured (docs/testing.md, "Measured distributions"): the largest recorded there is 413 ms
            assertTrue(servedAfter <= TimeUnit.SECONDS.toMillis(1),
                    "a restarted replica serves within 1 s of being ready, not after grpc-java's back-off: " + servedAfter + " ms");

            // A new replica joins the name (a scale-up): it gets calls once the connections reach their maximum age.
            ServiceProcess joined = replica(4);
            replicas.add(joined);
            listInName(List.of(restarted, replicas.get(1), joined));
            long joinedAfter = awaitFirstEmbed(joined, System.nanoTime());
            // measured (docs/testing.md, "Measured distributions"): the largest recorded there is 546 ms (both cores busy)
            long bound = Math.round(CONNECTION_AGE.toMillis() * 1.1) + 3000;
            assertTrue(joinedAfter <= bound, "a replica added to the name serves within one connection age (+ DNS, connect): "
                    + joinedAfter + " ms > " + bound + " ms");
            System.out.printf("restarted replica received calls %d ms after ready; joined replica %d ms after it was listed%n",
                    servedAfter, joinedAfter);

            load.close();
            assertEquals(List.of(), load.failures(), "no Classify call fails while replicas stop, restart and join");
        }
    }

    private ServiceProcess replica(int lastOctet) throws Exception {
        Map<String, String> props = Map.of("affect.model-store.path", store.toString(), "affect.embedding.segmentation", "in-process",
                "affect.onnx.intra-op-threads", "1", "affect.transport.max-connection-age", CONNECTION_AGE.toMillis() + "ms");
        ServiceProcess p = ServiceProcess.start(ServiceProcess.requirePackagedApp("embedding-service"), props, tmp.resolve("logs"),
                "127.0.0." + lastOctet, port, List.of());
        processes.add(p);
        return p;
    }

    /** Polls the replica's affect_inference_in_flight until it is above 0 (a minute at most); returns it. */
    private static double awaitInFlight(ServiceProcess replica) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            double inFlight = PrometheusScrape.of(replica.managementUrl()).named("affect_inference_in_flight").stream()
                    .mapToDouble(PrometheusScrape.Sample::value).sum();
            if (inFlight > 0) {
                return inFlight;
            }
            assertTrue(System.nanoTime() < deadline, replica.host + " had no call in flight within a minute of load");
            Thread.sleep(5);
        }
    }

    /** Writes the hosts file so that the name resolves to these replicas' addresses. */
    private void listInName(List<ServiceProcess> replicas) throws Exception {
        Path next = tmp.resolve("hosts.next");
        Files.writeString(next, replicas.stream().map(r -> r.host + " " + NAME + "\n").collect(Collectors.joining()));
        Files.move(next, hosts, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private record Clients(ClassificationGrpc.ClassificationBlockingStub classification, String taxonomy) {
    }

    private Clients registry() throws Exception {
        Map<String, String> props = new HashMap<>(Map.of(
                "quarkus.datasource.jdbc.url", System.getenv().getOrDefault("AFFECT_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_test"),
                "quarkus.grpc.clients.embedding.host", NAME,
                "quarkus.grpc.clients.embedding.port", Integer.toString(port),
                "affect.registry.auth.admin-keys", ADMIN,
                "affect.registry.auth.client-keys", CLIENT));
        // The name is re-read at every resolution (no JVM or grpc-java DNS cache), as a short DNS TTL would give.
        ServiceProcess registry = ServiceProcess.start(ServiceProcess.requirePackagedApp("support-registry"), props, tmp.resolve("logs"),
                "127.0.0.1", ServiceProcess.freePort(),
                List.of("-Djdk.net.hosts.file=" + hosts, "-Dsun.net.inetaddr.ttl=0", "-Dnetworkaddress.cache.ttl=0"));
        processes.add(registry);
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", registry.port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        var admin = RegistryTestSupport.withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN);
        String taxonomy = "lb-" + Long.toHexString(System.nanoTime());
        RegistryTestSupport.threeClassTaxonomy(admin, taxonomy);
        return new Clients(RegistryTestSupport.withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT), taxonomy);
    }

    /** A 3000 x 2000 camera-like JPEG (about 1.6 MB). */
    private static ClassifyRequest largePhoto(String taxonomy) {
        byte[] photo = SyntheticPhotos.jpeg(SyntheticPhotos.photo(3000, 2000, 11), 0.9f);
        assertTrue(photo.length > 1024 * 1024);
        return classify(taxonomy, photo, PersonBox.newBuilder().setX1(1000).setY1(500).setX2(1800).setY2(1900).build());
    }

    /**
     * Milliseconds from {@code sinceNanos} until the replica has received its first Embed call (polled every 20 ms):
     * received, not answered, because a fresh JVM's first inference is slow for reasons that are not routing.
     */
    private static long awaitFirstEmbed(ServiceProcess replica, long sinceNanos) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (PrometheusScrape.of(replica.managementUrl())
                .value("grpc_server_requests_received_messages_total", "method", "Embed").orElse(0) == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(replica.host + " got no Embed call within 60 s");
            }
            Thread.sleep(20);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
    }

    /** Embed calls each replica has answered, from its own metrics. */
    private static double[] embedCalls(List<ServiceProcess> replicas) throws Exception {
        double[] n = new double[replicas.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = PrometheusScrape.of(replicas.get(i).managementUrl())
                    .value("grpc_server_processing_duration_seconds_count", "method", "Embed", "statusCode", "OK").orElse(0);
        }
        return n;
    }
}

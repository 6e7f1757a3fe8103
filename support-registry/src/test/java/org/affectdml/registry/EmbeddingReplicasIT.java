package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three embedding-service replicas behind one name (a hosts file given to the registry's JVM maps it to 127.0.0.2,
 * .3 and .4, as a headless Service's DNS lists every pod): the registry's gRPC client balances round-robin, so each
 * replica serves about a third of the Classify calls instead of one replica serving all.
 */
class EmbeddingReplicasIT {

    private static final String ADMIN = "lb-admin-key";
    private static final String CLIENT = "lb-client-key";
    private static final String NAME = "embedding.replicas.test";

    @TempDir
    Path tmp;

    @Test
    void classifyCallsSpreadEvenlyOverThreeReplicas() throws Exception {
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        Path hosts = tmp.resolve("hosts");
        Files.writeString(hosts, "127.0.0.2 " + NAME + "\n127.0.0.3 " + NAME + "\n127.0.0.4 " + NAME + "\n");
        int port = ServiceProcess.freePort();
        Map<String, String> models = Map.of("affect.model-store.path", store.toString(), "affect.embedding.segmentation", "in-process",
                "affect.onnx.intra-op-threads", "1");
        Path embeddingApp = ServiceProcess.requirePackagedApp("embedding-service");
        List<ServiceProcess> replicas = new ArrayList<>();
        try {
            for (int i = 2; i <= 4; i++) {
                replicas.add(ServiceProcess.start(embeddingApp, models, tmp.resolve("logs"), "127.0.0." + i, port, List.of()));
            }
            Map<String, String> props = new HashMap<>(Map.of(
                    "quarkus.datasource.jdbc.url", System.getenv().getOrDefault("AFFECT_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_test"),
                    "quarkus.grpc.clients.embedding.host", NAME,
                    "quarkus.grpc.clients.embedding.port", Integer.toString(port),
                    "affect.registry.auth.admin-keys", ADMIN,
                    "affect.registry.auth.client-keys", CLIENT));
            try (ServiceProcess registry = ServiceProcess.start(ServiceProcess.requirePackagedApp("support-registry"), props, tmp.resolve("logs"),
                    "127.0.0.1", ServiceProcess.freePort(), List.of("-Djdk.net.hosts.file=" + hosts))) {
                ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", registry.port).usePlaintext().build();
                try {
                    var admin = RegistryTestSupport.withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN);
                    var client = RegistryTestSupport.withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT);
                    String taxonomy = "lb-" + Long.toHexString(System.nanoTime());
                    RegistryTestSupport.threeClassTaxonomy(admin, taxonomy);
                    double[] before = embedCalls(replicas);
                    int calls = 300;
                    byte[] photo = nearDuplicate(1);
                    for (int i = 0; i < calls; i++) {
                        client.classify(classify(taxonomy, photo, NEAR_BOX));
                    }
                    double[] after = embedCalls(replicas);
                    StringBuilder spread = new StringBuilder();
                    for (int r = 0; r < replicas.size(); r++) {
                        double share = (after[r] - before[r]) / calls;
                        spread.append(String.format(" %s: %.1f %%", replicas.get(r).host, 100 * share));
                        assertTrue(Math.abs(share - 1.0 / 3) <= 0.1 / 3, "each replica serves 33 +- 10 % of the calls:" + spread);
                    }
                } finally {
                    channel.shutdownNow();
                }
            }
        } finally {
            replicas.forEach(ServiceProcess::close);
        }
    }

    /** Embed calls each replica has answered, from its own metrics. */
    private static double[] embedCalls(List<ServiceProcess> replicas) throws Exception {
        double[] n = new double[replicas.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = PrometheusScrape.of("http://" + replicas.get(i).host + ":" + replicas.get(i).port + "/")
                    .value("grpc_server_processing_duration_seconds_count", "method", "Embed", "statusCode", "OK").orElse(0);
        }
        return n;
    }
}

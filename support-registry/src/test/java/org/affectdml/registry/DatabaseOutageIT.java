package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.CLIENT_KEY;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database outage: the packaged registry answers Classify UNAVAILABLE, saying so, while PostgreSQL is down, and
 * answers again once it is back. It runs on a PostgreSQL server of this test's own ({@link OwnPostgres}), so stopping
 * it stops nothing another test uses. (A packaged process, not a @QuarkusTest: a test class with a resource of its
 * own restarts Quarkus in the test JVM, and after that restart the registry's error classifiers were not found, so
 * the outage came back INTERNAL; production starts once.)
 */
class DatabaseOutageIT {

    private static final long RECOVERY_MILLIS = 30_000;
    private static final long CALL_SECONDS = 60;

    @TempDir
    Path tmp;

    @Test
    void databaseOutageIsUnavailableAndTheServiceRecovers() throws Exception {
        Assumptions.assumeTrue(OwnPostgres.unavailableReason().isEmpty(), () -> "SKIPPED: " + OwnPostgres.unavailableReason().orElse(""));
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        Map<String, String> models = Map.of("affect.model-store.path", store.toString(), "affect.embedding.segmentation", "in-process",
                "affect.onnx.intra-op-threads", "1");
        try (OwnPostgres database = OwnPostgres.start("affect_outage");
             ServiceProcess embedding = ServiceProcess.start(ServiceProcess.requirePackagedApp("embedding-service"), models, tmp.resolve("logs"));
             ServiceProcess registry = RegistryProcesses.start(embedding.port, ADMIN_KEY, CLIENT_KEY,
                     Map.of("quarkus.datasource.jdbc.url", database.jdbcUrl()), tmp.resolve("logs"))) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", registry.port).usePlaintext().build();
            try {
                var admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
                RegistryTestSupport.threeClassTaxonomy(admin, "outage");
                assertEquals("joy", client(channel).classify(classify("outage", nearDuplicate(0), NEAR_BOX)).getClasses(0).getClassName());
                database.stopServer();
                try {
                    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                            () -> client(channel).classify(classify("outage", nearDuplicate(0), NEAR_BOX)));
                    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
                    assertTrue(e.getStatus().getDescription().contains("database is unavailable"), e.getStatus().getDescription());
                } finally {
                    database.startServer();
                }
                ClassifyResponse r = null;
                long deadline = System.currentTimeMillis() + RECOVERY_MILLIS;
                while (r == null && System.currentTimeMillis() < deadline) {
                    try {
                        r = client(channel).classify(classify("outage", nearDuplicate(0), NEAR_BOX));
                    } catch (StatusRuntimeException e) {
                        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
                        Thread.sleep(250);
                    }
                }
                assertEquals("joy", r == null ? "no answer " + RECOVERY_MILLIS / 1000 + " s after PostgreSQL restarted" : r.getClasses(0).getClassName());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static ClassificationGrpc.ClassificationBlockingStub client(ManagedChannel channel) {
        return withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT_KEY).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }
}

package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.ServiceProcess;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.Map;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.BOX;
import static org.affectdml.registry.RegistryTestSupport.scene;
import static org.affectdml.registry.RegistryTestSupport.support;
import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** embedding-service unreachable: AddSupport answers UNAVAILABLE and stores nothing. */
@QuarkusTest
@TestProfile(EmbeddingServiceDownTest.NoEmbeddingService.class)
class EmbeddingServiceDownTest {

    public static class NoEmbeddingService implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                String closed = Integer.toString(ServiceProcess.freePort());
                return Map.of("quarkus.grpc.clients.embedding.host", "127.0.0.1",
                        "quarkus.grpc.clients.embedding.port", closed,
                        "quarkus.grpc.clients.embedding.test-port", closed,
                        "affect.registry.embedding-timeout", "5s");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @TestHTTPResource("/")
    URL url;

    @Test
    void addSupportIsUnavailableAndNothingIsHalfWritten() {
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
            admin.createTaxonomy(taxonomy("no-embedder", "a", "b"));
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> admin.addSupport(support("no-embedder", "a", TestImages.png(scene(0)), BOX)));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().startsWith("embedding-service: "), e.getStatus().getDescription());
            var t = admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName("no-embedder").build());
            assertEquals(0, t.getClassesList().stream().mapToInt(c -> c.getSupportCount()).sum());
            assertEquals(1, t.getRevision());
        } finally {
            channel.shutdownNow();
        }
    }
}

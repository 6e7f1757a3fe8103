package org.affectdml.embedding;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModelStoreResource;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.net.ServerSocket;
import java.net.URL;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Remote Sem2Vec with segmentation-service down: UNAVAILABLE, naming the dependency. */
@QuarkusTest
@QuarkusTestResource(TinyModelStoreResource.class)
@TestProfile(SegmentationUnavailableTest.RemoteToClosedPort.class)
class SegmentationUnavailableTest {

    public static class RemoteToClosedPort implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            int closedPort;
            try (ServerSocket s = new ServerSocket(0)) {
                closedPort = s.getLocalPort();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            return Map.of("affect.embedding.segmentation", "remote",
                    "quarkus.grpc.clients.segmentation.host", "127.0.0.1",
                    "quarkus.grpc.clients.segmentation.port", Integer.toString(closedPort),
                    // In test mode a Quarkus gRPC client dials test-port (by default the app's own port), not port.
                    "quarkus.grpc.clients.segmentation.test-port", Integer.toString(closedPort),
                    "affect.embedding.segmentation-timeout", "5s");
        }
    }

    @TestHTTPResource("/")
    URL url;

    @Test
    void embedAnswersUnavailableWhenSegmentationServiceIsDown() {
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var client = EmbeddingServiceGrpc.newBlockingStub(channel);
            var request = EmbeddingTestSupport.request(TestImages.png(TestImages.scene(64, 64, Color.RED, Color.BLUE, 8, 8, 40, 60)),
                    "image/png", 8, 8, 40, 60);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.embed(request));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("segmentation-service is unavailable")
                    || e.getStatus().getDescription().contains("segmentation-service answered UNAVAILABLE"), e.getStatus().getDescription());
        } finally {
            channel.shutdownNow();
        }
    }
}

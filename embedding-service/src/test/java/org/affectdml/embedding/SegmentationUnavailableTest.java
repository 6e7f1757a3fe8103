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
import org.affectdml.service.testing.UnavailableDependency;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModelStoreResource;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Remote Sem2Vec with segmentation-service failing (a real gRPC server standing in for it answers UNAVAILABLE):
 * the Segment call is retried within the Embed call's deadline, then Embed answers UNAVAILABLE naming the dependency.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelStoreResource.class)
@TestProfile(SegmentationUnavailableTest.RemoteToClosedPort.class)
class SegmentationUnavailableTest {

    public static class RemoteToClosedPort implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String port = Integer.toString(segmentationService().port());
            return Map.of("affect.embedding.segmentation", "remote",
                    "quarkus.grpc.clients.segmentation.host", "127.0.0.1",
                    "quarkus.grpc.clients.segmentation.port", port,
                    // In test mode a Quarkus gRPC client dials test-port (by default the app's own port), not port.
                    "quarkus.grpc.clients.segmentation.test-port", port,
                    "affect.transport.retry.max-attempts", Integer.toString(ATTEMPTS),
                    "affect.embedding.segmentation-timeout", "60s");
        }
    }

    private static final int ATTEMPTS = 3;
    private static UnavailableDependency segmentationService() {
        return UnavailableDependency.shared();
    }

    @TestHTTPResource("/")
    URL url;

    @Test
    void embedRetriesSegmentWithinItsDeadlineThenAnswersUnavailable() {
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var client = EmbeddingServiceGrpc.newBlockingStub(channel);
            var request = EmbeddingTestSupport.request(TestImages.png(TestImages.scene(64, 64, Color.RED, Color.BLUE, 8, 8, 40, 60)),
                    "image/png", 8, 8, 40, 60);
            segmentationService().clear();
            long deadlineMillis = 6000;
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> client.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS).embed(request));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("segmentation-service is unavailable")
                    || e.getStatus().getDescription().contains("segmentation-service answered UNAVAILABLE"), e.getStatus().getDescription());
            List<UnavailableDependency.Attempt> attempts = segmentationService().attempts();
            assertEquals(ATTEMPTS, attempts.size(), "Segment attempts: " + attempts);
            for (UnavailableDependency.Attempt a : attempts) {
                assertEquals("affect.v1.Segmentation/Segment", a.method());
                // bounded by the Embed caller's 6 s, not embedding-service's own 60 s segmentation timeout
                assertTrue(a.deadlineMillis() != null && a.deadlineMillis() > 0 && a.deadlineMillis() <= deadlineMillis,
                        "deadline left: " + a);
            }
        } finally {
            channel.shutdownNow();
        }
    }
}

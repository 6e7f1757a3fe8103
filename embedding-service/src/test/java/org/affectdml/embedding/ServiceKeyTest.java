package org.affectdml.embedding;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModelStoreResource;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.service.testing.GrpcTestChannels;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.net.URL;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** embedding-service answers inference calls only with an accepted service key; health stays open for probes. */
@QuarkusTest
@QuarkusTestResource(TinyModelStoreResource.class)
@TestProfile(ServiceKeyTest.KeysRequired.class)
class ServiceKeyTest {

    private static final String OLD_KEY = "service-key-being-rotated-out";
    private static final String NEW_KEY = "service-key-being-rotated-in";

    public static class KeysRequired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("affect.service-auth.enabled", "true", "affect.service-auth.keys", OLD_KEY + "," + NEW_KEY);
        }
    }

    @TestHTTPResource("/")
    URL url;

    @Test
    void inferenceCallsNeedAnAcceptedServiceKey() {
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            EmbedRequest request = EmbeddingTestSupport.request(TestImages.png(TestImages.scene(64, 64, Color.RED, Color.BLUE, 8, 8, 40, 60)),
                    "image/png", 8, 8, 40, 60);
            var anonymous = EmbeddingServiceGrpc.newBlockingStub(channel);
            for (var client : java.util.List.of(anonymous, GrpcTestChannels.withKey(anonymous, "someone-elses-key"),
                    GrpcTestChannels.withKey(anonymous, OLD_KEY + "x"))) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.embed(request));
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
                assertTrue(e.getStatus().getDescription().contains("authorization: Bearer"), e.getStatus().getDescription());
                assertFalse(e.getStatus().getDescription().contains(OLD_KEY), "never echoes a key");
                assertEquals(Status.Code.UNAUTHENTICATED, assertThrows(StatusRuntimeException.class,
                        () -> client.getModel(GetModelRequest.getDefaultInstance())).getStatus().getCode());
            }
            for (String key : new String[]{OLD_KEY, NEW_KEY}) {  // both keys of a rotation are accepted
                assertTrue(GrpcTestChannels.withKey(anonymous, key).embed(request).getEmbedding().getValuesCount() > 0);
            }
            assertEquals(grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING,
                    grpc.health.v1.HealthGrpc.newBlockingStub(channel)
                            .check(grpc.health.v1.HealthOuterClass.HealthCheckRequest.getDefaultInstance()).getStatus(),
                    "the standard health service needs no key");
        } finally {
            channel.shutdownNow();
        }
    }
}

package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.inference.image.SyntheticPhotos;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.UnavailableDependency;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.BOX;
import static org.affectdml.registry.RegistryTestSupport.scene;
import static org.affectdml.registry.RegistryTestSupport.support;
import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * embedding-service up but answering UNAVAILABLE (a real gRPC server standing in for it): the registry retries the
 * idempotent Embed call (grpc-java's retries; a call cut after its answer began, which those never retry, by the
 * registry's second round), large photos included, within the caller's deadline, then answers UNAVAILABLE and stores
 * nothing.
 */
@QuarkusTest
@TestProfile(EmbeddingServiceDownTest.FailingEmbeddingService.class)
class EmbeddingServiceDownTest {

    private static final int ATTEMPTS = 3;
    private static final int ROUNDS = 2;
    private static final long PAUSE_MILLIS = 1500;
    private static UnavailableDependency embeddingService() {
        return UnavailableDependency.shared();
    }

    public static class FailingEmbeddingService implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String port = Integer.toString(embeddingService().port());
            return Map.of("quarkus.grpc.clients.embedding.host", "127.0.0.1",
                    "quarkus.grpc.clients.embedding.port", port,
                    "quarkus.grpc.clients.embedding.test-port", port,
                    "affect.transport.retry.max-attempts", Integer.toString(ATTEMPTS),
                    "affect.registry.embedding-call-rounds", Integer.toString(ROUNDS),
                    "affect.registry.embedding-round-pause", PAUSE_MILLIS + "ms",
                    "affect.registry.embedding-timeout", "60s");
        }
    }

    @TestHTTPResource("/")
    URL url;

    @BeforeEach
    void forget() {
        embeddingService().clear();
    }

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

    /**
     * A Classify that is wrong in itself is refused for that, INVALID_ARGUMENT, before the registry asks embedding-service
     * anything (the versions it serves included): an outage of the dependency does not hide the caller's own mistake.
     */
    @Test
    void aBadClassifyIsRefusedForItselfWhileEmbeddingServiceIsDown() {
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var client = withKey(ClassificationGrpc.newBlockingStub(channel), ADMIN_KEY);
            ClassifyRequest good = RegistryTestSupport.classify("anything", TestImages.png(scene(0)), BOX);
            for (ClassifyRequest bad : List.of(good.toBuilder().setTopK(-1).build(), good.toBuilder().clearImage().build(),
                    good.toBuilder().clearBox().build())) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.classify(bad));
                assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
            }
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aLargePhotoIsRetriedWithinTheCallersDeadline() {
        // 3000 x 2000 camera-like JPEG: about 2 MB, above grpc-java's default 1 MiB per-call retry buffer
        byte[] photo = SyntheticPhotos.jpeg(SyntheticPhotos.photo(3000, 2000, 7), 0.9f);
        assertTrue(photo.length > 1024 * 1024, "photo of " + photo.length + " bytes");
        PersonBox box = PersonBox.newBuilder().setX1(1000).setY1(500).setX2(1800).setY2(1900).build();
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
            admin.createTaxonomy(taxonomy("retried", "a", "b"));
            long deadlineMillis = 8000;
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admin
                    .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS).addSupport(support("retried", "a", photo, box)));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());

            // (the registry's background GetModel calls reach the stand-in too; only the Embed calls count here)
            List<UnavailableDependency.Attempt> attempts = embeddingService().attempts().stream()
                    .filter(a -> a.method().endsWith("/Embed")).toList();
            // grpc-java's retries; no second round, since no attempt's answer had begun (an outage costs no more)
            assertEquals(ATTEMPTS, attempts.size(), "Embed attempts: " + attempts);
            for (UnavailableDependency.Attempt a : attempts) {
                assertEquals("affect.v1.EmbeddingService/Embed", a.method());
                assertTrue(a.requestBytes() > photo.length, "each attempt carried the whole photo: " + a);
                assertNotNull(a.deadlineMillis(), "the Embed call has a deadline");
                // bounded by the admin's 8 s deadline, not the registry's 60 s embedding timeout
                assertTrue(a.deadlineMillis() > 0 && a.deadlineMillis() <= deadlineMillis, "deadline left: " + a);
            }
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aCallCutAfterItsAnswerBeganIsSentAgainByTheNextRound() {
        // as when a replica stops mid-answer: committed, so grpc-java's retry policy leaves it; the registry's rounds do not
        embeddingService().answerHeadersFirst();
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
            admin.createTaxonomy(taxonomy("cut-mid-answer", "a", "b"));
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> admin.addSupport(support("cut-mid-answer", "a", TestImages.png(scene(1)), BOX)));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            List<UnavailableDependency.Attempt> attempts = embeddingService().attempts().stream()
                    .filter(a -> a.method().endsWith("/Embed")).toList();
            assertEquals(ROUNDS, attempts.size(), "one attempt per round (a committed call is not retried within one): " + attempts);
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void noSecondRoundWhenTheDeadlineLeavesTooLittleTime() {
        embeddingService().answerHeadersFirst();
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
            admin.createTaxonomy(taxonomy("short-deadline", "a", "b"));
            // less than twice the pause: the second round could not finish in time, so it is not started
            long deadlineMillis = 2 * PAUSE_MILLIS - 500;
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admin
                    .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS).addSupport(support("short-deadline", "a", TestImages.png(scene(2)), BOX)));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            assertEquals(1, embeddingService().attempts().stream().filter(a -> a.method().endsWith("/Embed")).count(),
                    "one round only: " + embeddingService().attempts());
        } finally {
            channel.shutdownNow();
        }
    }
}

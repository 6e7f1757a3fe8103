package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.service.testing.ServiceProcess;
import org.affectdml.service.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The three services under the "tls" profile with certificates this test makes: a Classify over TLS crosses the
 * registry -> embedding-service -> segmentation-service hops over mutual TLS; embedding-service refuses a caller
 * without a client certificate, with one from another authority, and in plain text; health and metrics stay on
 * the plain management port.
 */
class TlsEndToEndIT {

    private static final String ADMIN = "tls-admin-key";
    private static final String CLIENT = "tls-client-key";

    @TempDir
    Path tmp;

    @Test
    void everyHopRunsOverMutualTlsAndStrangersAreRefused() throws Exception {
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        TestCertificates authority = new TestCertificates(tmp.resolve("pki"), "affect-test");
        TestCertificates.Issued service = authority.issue("affect-service");
        TestCertificates.Issued stranger = new TestCertificates(tmp.resolve("other-pki"), "someone-else").issue("stranger");

        Map<String, String> tls = Map.of("quarkus.profile", "prod,tls", "AFFECT_TLS_CERT", service.cert().toString(),
                "AFFECT_TLS_KEY", service.key().toString(), "AFFECT_TLS_CA", service.ca().toString());
        Map<String, String> models = new HashMap<>(tls);
        models.putAll(Map.of("affect.model-store.path", store.toString(), "affect.onnx.intra-op-threads", "1"));
        try (ServiceProcess segmentation = ServiceProcess.start(ServiceProcess.requirePackagedApp("segmentation-service"), models,
                tmp.resolve("logs"))) {
            Map<String, String> emb = new HashMap<>(models);
            emb.putAll(Map.of("affect.embedding.segmentation", "remote", "quarkus.grpc.clients.segmentation.host", "127.0.0.1",
                    "quarkus.grpc.clients.segmentation.port", Integer.toString(segmentation.port)));
            try (ServiceProcess embedding = ServiceProcess.start(ServiceProcess.requirePackagedApp("embedding-service"), emb,
                    tmp.resolve("logs"))) {
                Map<String, String> reg = new HashMap<>(tls);
                reg.putAll(Map.of(
                        "quarkus.datasource.jdbc.url", System.getenv().getOrDefault("AFFECT_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_test"),
                        "quarkus.grpc.clients.embedding.host", "127.0.0.1",
                        "quarkus.grpc.clients.embedding.port", Integer.toString(embedding.port),
                        "affect.registry.auth.admin-keys", ADMIN,
                        "affect.registry.auth.client-keys", CLIENT));
                try (ServiceProcess registry = ServiceProcess.start(ServiceProcess.requirePackagedApp("support-registry"), reg,
                        tmp.resolve("logs"))) {
                    classifiesThroughEveryHop(registry, service);
                    GetModelRequest ask = GetModelRequest.getDefaultInstance();
                    refusesStrangers(embedding, service, stranger, channel -> GrpcTestChannels
                            .withKey(EmbeddingServiceGrpc.newBlockingStub(channel), ServiceProcess.SERVICE_KEY)
                            .withDeadlineAfter(10, TimeUnit.SECONDS).getModel(ask).getVersion());
                    // the segmentation hop too: embedding-service's client certificate is what lets it in
                    org.affectdml.proto.v1.SegmentRequest pixels = org.affectdml.proto.v1.SegmentRequest.newBuilder()
                            .setRgb(org.affectdml.proto.v1.RgbImage.newBuilder().setWidth(2).setHeight(2)
                                    .setData(com.google.protobuf.ByteString.copyFrom(new byte[12]))).build();
                    refusesStrangers(segmentation, service, stranger, channel -> GrpcTestChannels
                            .withKey(org.affectdml.proto.v1.SegmentationGrpc.newBlockingStub(channel), ServiceProcess.SERVICE_KEY)
                            .withDeadlineAfter(10, TimeUnit.SECONDS).segment(pixels).getSegmenterSha256());
                    // the management interface is plain HTTP for probes and Prometheus, whatever the service port speaks
                    assertTrue(PrometheusScrape.of(embedding.managementUrl()).value("grpc_server_processing_duration_seconds_count",
                            "method", "Embed", "statusCode", "OK").orElse(0) >= 1, "Embed calls were answered over TLS");
                }
            }
        }
    }

    private static void classifiesThroughEveryHop(ServiceProcess registry, TestCertificates.Issued service) throws Exception {
        // The registry asks its callers for no certificate (they present API keys): trusting its authority is enough.
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", registry.port)
                .sslContext(GrpcSslContexts.forClient().trustManager(service.ca().toFile()).build())
                .maxInboundMessageSize(64 << 20).build();
        try {
            var admin = RegistryTestSupport.withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN);
            String taxonomy = "tls-" + Long.toHexString(System.nanoTime());
            RegistryTestSupport.threeClassTaxonomy(admin, taxonomy);
            ClassifyResponse answer = RegistryTestSupport.withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT)
                    .withDeadlineAfter(30, TimeUnit.SECONDS).classify(classify(taxonomy, nearDuplicate(1), NEAR_BOX));
            assertTrue(answer.getClassesCount() >= 2, answer.toString());
        } finally {
            channel.shutdownNow();
        }
    }

    /** {@code call} answers a non-empty string through a channel with the service's certificate, and nothing else. */
    private static void refusesStrangers(ServiceProcess target, TestCertificates.Issued service, TestCertificates.Issued stranger,
                                         java.util.function.Function<ManagedChannel, String> call) throws Exception {
        // with the service's certificate: answered
        ManagedChannel trusted = tlsChannel(target, service.ca().toFile(), service.cert().toFile(), service.key().toFile());
        try {
            assertTrue(call.apply(trusted).length() > 0);
        } finally {
            trusted.shutdownNow();
        }
        // no client certificate, or one another authority signed: the TLS handshake asks for one and does not vouch
        // for the stranger's, and every call on such a connection is refused (the handshake itself may also fail)
        for (ManagedChannel channel : List.of(tlsChannel(target, service.ca().toFile(), null, null),
                tlsChannel(target, service.ca().toFile(), stranger.cert().toFile(), stranger.key().toFile()))) {
            try {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call.apply(channel));
                // refused for its certificate: by the TLS handshake (an SSL failure behind the UNAVAILABLE), or by the
                // service asking for one; not merely unreachable
                boolean handshake = e.getStatus().getCode() == Status.Code.UNAVAILABLE && causedBySsl(e);
                boolean asked = e.getStatus().getCode() == Status.Code.UNAUTHENTICATED
                        && e.getStatus().getDescription() != null && e.getStatus().getDescription().contains("client certificate");
                assertTrue(handshake || asked, "refused for its certificate: " + e.getStatus() + " caused by " + e.getCause());
            } finally {
                channel.shutdownNow();
            }
        }
        // plain text: there is no plain-text listener (the TLS port does not speak HTTP/2 in the clear)
        ManagedChannel plain = NettyChannelBuilder.forAddress("127.0.0.1", target.port).usePlaintext().build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call.apply(plain));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
        } finally {
            plain.shutdownNow();
        }
    }

    private static boolean causedBySsl(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (t instanceof javax.net.ssl.SSLException || message.contains("ssl") || message.contains("certificate")
                    || message.contains("handshake")) {
                return true;
            }
        }
        return false;
    }

    private static ManagedChannel tlsChannel(ServiceProcess target, File ca, File cert, File key) throws Exception {
        SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(ca);
        if (cert != null) {
            ssl.keyManager(cert, key);
        }
        return NettyChannelBuilder.forAddress("127.0.0.1", target.port).sslContext(ssl.build()).build();
    }
}

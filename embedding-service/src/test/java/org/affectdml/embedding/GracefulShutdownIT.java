package org.affectdml.embedding;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import org.affectdml.inference.image.SyntheticPhotos;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.affectdml.embedding.EmbeddingTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM while calls are in flight, as Kubernetes does when it scales down or rolls out: the calls already running
 * are answered, the process exits by itself, and nothing an internal exception says reaches a client.
 */
class GracefulShutdownIT {

    @TempDir
    Path tmp;

    @Test
    void sigtermLetsTheCallsInFlightFinish() throws Exception {
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        // Large PNGs (no DCT scaling) take a few hundred milliseconds each to decode, so the calls stay in flight a while.
        byte[] png = TestImages.png(TestImages.scene(4000, 3000, java.awt.Color.GREEN, java.awt.Color.RED, 100, 100, 2000, 2800));
        ServiceProcess service = ServiceProcess.start(ServiceProcess.requirePackagedApp("embedding-service"), Map.of(
                "affect.model-store.path", store.toString(), "affect.embedding.segmentation", "in-process",
                "affect.onnx.intra-op-threads", "1", "affect.inference.max-in-flight", "4"), tmp.resolve("logs"));
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", service.port).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            var client = GrpcTestChannels.withKey(EmbeddingServiceGrpc.newBlockingStub(channel), ServiceProcess.SERVICE_KEY);
            client.embed(request(TestImages.png(SyntheticPhotos.photo(64, 48, 1)), "image/png", 1, 1, 40, 40));  // warm
            List<Future<EmbedResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int n = i;
                calls.add(pool.submit(() -> client.embed(request(png, "image/png", 100 + n, 100, 2000, 2800))));
            }
            // SIGTERM once the service reports all four running (not merely sent), so the test never depends on timing.
            long deadline = System.currentTimeMillis() + 20_000;
            while (org.affectdml.service.testing.PrometheusScrape.of(service.managementUrl())
                    .value("affect_inference_in_flight").orElse(0) < 4) {
                assertTrue(System.currentTimeMillis() < deadline, "the four calls never ran at once");
                Thread.sleep(20);
            }
            service.terminate();
            List<String> failures = new ArrayList<>();
            for (Future<EmbedResponse> call : calls) {
                try {
                    assertEquals(128, call.get().getEmbedding().getValuesCount());
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(e.getCause() instanceof StatusRuntimeException s ? s.getStatus().toString() : e.getCause().toString());
                }
            }
            assertTrue(failures.isEmpty(), "calls in flight at SIGTERM must be answered: " + failures);
            assertTrue(service.awaitExit(Duration.ofSeconds(30)) >= 0, "the service exits after its calls");
            String log = java.nio.file.Files.readString(service.logFile());
            assertTrue(!log.contains("ArC container not initialized"), "no call ran into a stopped container:\n" + log);
        } finally {
            pool.shutdownNow();
            channel.shutdownNow();
            service.close();
        }
    }
}

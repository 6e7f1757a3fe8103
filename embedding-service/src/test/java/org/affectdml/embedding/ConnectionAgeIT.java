package org.affectdml.embedding;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import org.affectdml.inference.image.SyntheticPhotos;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.SegmentRequest;
import org.affectdml.proto.v1.SegmentationGrpc;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import static org.affectdml.embedding.EmbeddingTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * segmentation-service asks its clients to reconnect after {@code affect.transport.max-connection-age} (here 150 ms,
 * so that a few seconds of load see about a hundred renewals) while calls keep arriving: no call may fail because
 * of it. Two ways it used to fail (40 failed calls in 60 s at this age), each with a PROTOCOL_ERROR that ended every call on
 * the connection: a request sent before the client read the GOAWAY (its DATA frame is a connection error to Netty
 * once the GOAWAY named an earlier last stream), and embedding-service resetting a finished Segment stream before
 * its trailers were written.
 */
class ConnectionAgeIT {

    /** Long enough that, with the faults back, some of about a hundred renewals fail (measured: 6 to 9 in 20 s). */
    private static final Duration LOAD = Duration.ofSeconds(12);

    @TempDir
    Path tmp;

    @Test
    void segmentCallsNeverFailWhileTheirConnectionsAgeOut() throws Exception {
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        byte[] png = TestImages.png(SyntheticPhotos.photo(64, 48, 1));
        try (ServiceProcess seg = ServiceProcess.start(ServiceProcess.requirePackagedApp("segmentation-service"),
                agingConnections(store), tmp.resolve("logs"))) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", seg.port).usePlaintext().build();
            try {
                var client = GrpcTestChannels.withKey(SegmentationGrpc.newBlockingStub(channel), ServiceProcess.SERVICE_KEY);
                Map<String, Integer> failures = underLoad(n -> client.withDeadlineAfter(30, TimeUnit.SECONDS).segment(
                        SegmentRequest.newBuilder().setImage(Image.newBuilder().setMediaType("image/png")
                                .setData(ByteString.copyFrom(SyntheticPhotos.withComment(png, "call " + n)))).build()));
                assertEquals(Map.of(), failures, "calls failed while connections were renewed");
                assertRenewed(seg);
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @Test
    void embedCallsNeverFailWhileTheSegmentationHopAgesOut() throws Exception {
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        byte[] png = TestImages.png(SyntheticPhotos.photo(64, 48, 1));
        try (ServiceProcess seg = ServiceProcess.start(ServiceProcess.requirePackagedApp("segmentation-service"),
                agingConnections(store), tmp.resolve("logs"))) {
            Map<String, String> props = new HashMap<>(Map.of("affect.model-store.path", store.toString(),
                    "affect.onnx.intra-op-threads", "1", "affect.transport.max-connection-age", "0",
                    "affect.embedding.segmentation", "remote",
                    "quarkus.grpc.clients.segmentation.host", "127.0.0.1",
                    "quarkus.grpc.clients.segmentation.port", Integer.toString(seg.port)));
            try (ServiceProcess emb = ServiceProcess.start(ServiceProcess.requirePackagedApp("embedding-service"), props, tmp.resolve("logs"))) {
                ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", emb.port).usePlaintext().build();
                try {
                    var client = GrpcTestChannels.withKey(EmbeddingServiceGrpc.newBlockingStub(channel), ServiceProcess.SERVICE_KEY);
                    // distinct bytes every call, so the scene cache answers none and every call makes a Segment call
                    Map<String, Integer> failures = underLoad(n -> client.withDeadlineAfter(30, TimeUnit.SECONDS)
                            .embed(request(SyntheticPhotos.withComment(png, "call " + n), "image/png", 1, 1, 40, 40)));
                    assertEquals(Map.of(), failures, "calls failed while the segmentation hop's connections were renewed");
                    assertRenewed(seg);
                } finally {
                    channel.shutdownNow();
                }
            }
        }
    }

    private static Map<String, String> agingConnections(Path store) {
        return Map.of("affect.model-store.path", store.toString(), "affect.onnx.intra-op-threads", "1",
                "affect.transport.max-connection-age", "150ms", "affect.transport.max-connection-age-grace", "5s",
                // the renewals are counted in the log
                "quarkus.log.category.\"org.affectdml.service.transport\".level", "DEBUG");
    }

    /** Four callers for {@link #LOAD}; the failures by status, with numbers masked so that alike ones add up. */
    private static Map<String, Integer> underLoad(IntConsumer call) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong calls = new AtomicLong();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread caller = new Thread(() -> {
                while (running.get()) {
                    try {
                        call.accept((int) calls.incrementAndGet());
                    } catch (StatusRuntimeException e) {
                        failures.merge(e.getStatus().getCode() + ": " + String.valueOf(e.getStatus().getDescription())
                                .replaceAll("[0-9]+", "N"), 1, Integer::sum);
                    } catch (RuntimeException e) {
                        failures.merge(e.toString(), 1, Integer::sum);  // counted, not a silently dead caller
                    }
                }
            });
            caller.start();
            callers.add(caller);
        }
        Thread.sleep(LOAD.toMillis());
        running.set(false);
        for (Thread caller : callers) {
            caller.join(60_000);
            assertFalse(caller.isAlive(), "a caller is still running a minute after the load stopped");
        }
        assertTrue(calls.get() > 100, "the load made only " + calls.get() + " calls");
        return failures;
    }

    /** The test means something only if connections were renewed during it: ConnectionAgeLimit logs each one. */
    private static void assertRenewed(ServiceProcess seg) throws Exception {
        long renewals = Files.readAllLines(seg.logFile()).stream().filter(l -> l.contains("reached its maximum age")).count();
        assertTrue(renewals >= 20, "only " + renewals + " connection renewals during the load");
    }
}

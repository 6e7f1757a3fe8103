package org.affectdml.segmentation;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.segmentation.SegmentationResult;
import org.affectdml.inference.segmentation.SemanticSegmenter;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModelStoreResource;
import org.affectdml.proto.v1.SegmentRequest;
import org.affectdml.proto.v1.SegmentResponse;
import org.affectdml.proto.v1.SegmentationGrpc;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.PrometheusScrape;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Concurrent Segment calls coalesced into one segmenter run (the batcher waits for four, the preferred size, so
 * the batch forms whatever the timing): each answer equals its image's own unbatched segmentation, and the
 * metrics show one run of four rows from four requests.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelStoreResource.class)
@TestProfile(BatchedSegmentTest.FourPerRun.class)
class BatchedSegmentTest {

    private static final int CALLS = 4;

    public static class FourPerRun implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("affect.batching.max-queue-delay", "20s", "affect.batching.preferred-batch-sizes", Integer.toString(CALLS),
                    "affect.batching.max-batch-size", "8");
        }
    }

    @TestHTTPResource("/")
    URL url;

    @Inject
    ActiveBundleHolder bundles;

    @Test
    void concurrentCallsShareOneRunAndEachGetsItsOwnAnswer() throws Exception {
        Color[][] colours = {{Color.RED, Color.BLUE}, {Color.GREEN, Color.WHITE}, {Color.BLUE, Color.BLACK}, {Color.GRAY, Color.RED}};
        List<RgbImage> images = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            BufferedImage scene = TestImages.scene(40, 30, colours[i][0], colours[i][1], 3 * i, 2, 20 + 4 * i, 28);
            int[] px = scene.getRGB(0, 0, 40, 30, null, 0, 40);
            for (int p = 0; p < px.length; p++) {
                px[p] &= 0xFFFFFF;
            }
            images.add(new RgbImage(40, 30, px));
        }
        String[] segmenter = {"model", Roles.SEGMENTER};
        PrometheusScrape before = PrometheusScrape.of(url.toString());

        ManagedChannel channel = GrpcTestChannels.to(url);
        ExecutorService pool = Executors.newFixedThreadPool(CALLS);
        List<SegmentResponse> answers = new ArrayList<>();
        try {
            var client = SegmentationGrpc.newBlockingStub(channel);
            List<Future<SegmentResponse>> calls = new ArrayList<>();
            for (RgbImage image : images) {
                calls.add(pool.submit(() -> client.segment(SegmentRequest.newBuilder().setRgb(org.affectdml.proto.v1.RgbImage.newBuilder()
                        .setWidth(image.width()).setHeight(image.height()).setData(ByteString.copyFrom(image.toRgbBytes()))).build())));
            }
            for (Future<SegmentResponse> call : calls) {
                answers.add(call.get());
            }
        } finally {
            pool.shutdownNow();
            channel.shutdownNow();
        }

        try (ActiveBundleHolder.Lease lease = bundles.lease("")) {
            for (int i = 0; i < CALLS; i++) {
                SegmentationResult alone = SemanticSegmenter.segment(lease.bundle(), List.of(images.get(i)), 0).get(0);
                List<Float> expected = new ArrayList<>();
                for (float v : alone.sem2vec()) {
                    expected.add(v);
                }
                assertEquals(expected, answers.get(i).getSem2VecList(), "image " + i + " got its own Sem2Vec");
                List<Float> fractions = new ArrayList<>();
                for (float v : alone.pixelFractions()) {
                    fractions.add(v);
                }
                assertEquals(fractions, answers.get(i).getPixelFractionsList(), "image " + i + " got its own pixel fractions");
            }
        }
        PrometheusScrape after = PrometheusScrape.of(url.toString());
        assertEquals(1, delta(before, after, "affect_batch_rows_count", segmenter), "one segmenter run");
        assertEquals(CALLS, delta(before, after, "affect_batch_rows_sum", segmenter), "of four rows");
        assertEquals(CALLS, delta(before, after, "affect_batch_requests_sum", segmenter), "from four requests");
        assertEquals(CALLS, delta(before, after, "affect_batch_queue_seconds_count", segmenter), "each request's queue time");
    }

    private static double delta(PrometheusScrape before, PrometheusScrape after, String name, String... labels) {
        return after.value(name, labels).orElse(0) - before.value(name, labels).orElse(0);
    }
}

package org.affectdml.embedding;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.BundleTestSupport;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModelStoreResource;
import org.affectdml.proto.v1.EmbedBatchRequest;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.ModelInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.net.URL;
import java.nio.file.Path;

import static org.affectdml.embedding.EmbeddingTestSupport.cosine;
import static org.affectdml.embedding.EmbeddingTestSupport.norm;
import static org.affectdml.embedding.EmbeddingTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** embedding-service over real gRPC with the tiny bundle, Sem2Vec in-process. */
@QuarkusTest
@QuarkusTestResource(TinyModelStoreResource.class)
class EmbeddingGrpcServiceTest {

    @TestHTTPResource("/")
    URL url;

    private ManagedChannel channel;
    private EmbeddingServiceGrpc.EmbeddingServiceBlockingStub client;

    private static final BufferedImage SCENE_A = TestImages.scene(160, 120, Color.GREEN, Color.RED, 40, 20, 100, 110);
    private static final BufferedImage SCENE_B = TestImages.scene(160, 120, Color.BLUE, Color.YELLOW, 70, 10, 150, 115);

    @BeforeEach
    void connect() {
        channel = GrpcTestChannels.to(url);
        client = EmbeddingServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private void assertInvalid(EmbedRequest request, String fragment) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.embed(request));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(fragment), e.getStatus().getDescription());
    }

    @Test
    void embedsIntoAUnitVectorOfTheBundleDimensionWithItsVersion() {
        ModelInfo model = client.getModel(GetModelRequest.getDefaultInstance());
        EmbedResponse r = client.embed(request(TestImages.png(SCENE_A), "image/png", 40, 20, 100, 110));
        assertEquals(128, r.getEmbedding().getValuesCount());
        assertEquals(1.0, norm(r.getEmbedding().getValuesList()), 1e-5);
        assertEquals(model.getVersion(), r.getEmbedding().getModelVersion());
        assertEquals(6, r.getSem2VecCount());
        assertEquals(1f, r.getSem2Vec(1));  // green background
        assertTrue(r.getTimings().getTotalUs() > 0);
    }

    @Test
    void sameInputGivesTheSameEmbedding() {
        EmbedRequest req = request(TestImages.jpeg(SCENE_A), "image/jpeg", 40, 20, 100, 110);
        assertEquals(client.embed(req).getEmbedding().getValuesList(), client.embed(req).getEmbedding().getValuesList());
    }

    @Test
    void nearDuplicateIsCloserThanAnotherScene() {
        // The same scene re-encoded at 3/4 scale with a slightly different box.
        BufferedImage scaled = new BufferedImage(120, 90, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.drawImage(SCENE_A, 0, 0, 120, 90, null);
        g.dispose();
        var a = client.embed(request(TestImages.png(SCENE_A), "", 40, 20, 100, 110)).getEmbedding().getValuesList();
        var near = client.embed(request(TestImages.jpeg(scaled), "", 29, 14, 76, 83)).getEmbedding().getValuesList();
        var other = client.embed(request(TestImages.png(SCENE_B), "", 70, 10, 150, 115)).getEmbedding().getValuesList();
        double sNear = cosine(a, near);
        double sOther = cosine(a, other);
        assertTrue(sNear > 0.95 && sNear > sOther + 0.1, "near-duplicate " + sNear + " vs other scene " + sOther);
    }

    @Test
    void batchEqualsSingleEmbedsInOrder() throws Exception {
        PrometheusScrape before = PrometheusScrape.of(url.toString());
        // Scenes no other test sends, so the first sight of each is a cache miss.
        EmbedRequest first = request(TestImages.png(TestImages.scene(150, 110, Color.PINK, Color.GRAY, 40, 20, 100, 100)), "", 40, 20, 100, 100);
        EmbedRequest second = request(TestImages.png(TestImages.scene(150, 110, Color.ORANGE, Color.CYAN, 60, 10, 140, 105)), "", 60, 10, 140, 105);
        var batch = client.embedBatch(EmbedBatchRequest.newBuilder().addItems(first).addItems(second).build());
        assertEquals(2, batch.getItemsCount());
        assertTrue(!batch.getItems(0).getSceneCached() && !batch.getItems(1).getSceneCached());
        EmbedResponse again = client.embed(second);
        assertTrue(again.getSceneCached(), "the second sight of an image is answered from the scene cache");
        var single = again.getEmbedding().getValuesList();
        var fromBatch = batch.getItems(1).getEmbedding().getValuesList();
        for (int i = 0; i < single.size(); i++) {
            assertEquals(single.get(i), fromBatch.get(i), 1e-5);
        }

        // Two calls reached the models, with 2 and 1 persons; every stage was timed for each.
        PrometheusScrape after = PrometheusScrape.of(url.toString());
        assertEquals(2, delta(before, after, "affect_embedding_batch_size_count"), after.text());
        assertEquals(3, delta(before, after, "affect_embedding_batch_size_sum"));
        assertEquals(1, delta(before, after, "affect_embedding_batch_size_bucket", "le", "2.0")
                - delta(before, after, "affect_embedding_batch_size_bucket", "le", "1.0"), "one call of 2 persons");
        for (String stage : new String[]{"decode", "encoders", "head"}) {
            assertEquals(2, delta(before, after, "affect_embedding_stage_seconds_count", "stage", stage), stage);
        }
        // Segmentation ran for the batch only; the cache answered the repeat (1 hit and 2 misses).
        assertEquals(1, delta(before, after, "affect_embedding_stage_seconds_count", "stage", "segmentation"));
        assertEquals(1, delta(before, after, "cache_gets_total", "cache", "scene", "result", "hit"));
        assertEquals(2, delta(before, after, "cache_gets_total", "cache", "scene", "result", "miss"));
        assertEquals(2, delta(before, after, "grpc_server_processing_duration_seconds_count", "method", "EmbedBatch", "statusCode", "OK")
                + delta(before, after, "grpc_server_processing_duration_seconds_count", "method", "Embed", "statusCode", "OK"));
    }

    private static double delta(PrometheusScrape before, PrometheusScrape after, String name, String... labels) {
        return after.value(name, labels).orElse(0) - before.value(name, labels).orElse(0);
    }

    @Test
    void badRequestsAreInvalidArgumentNamingTheProblem() {
        byte[] png = TestImages.png(SCENE_A);
        assertInvalid(request(png, "", 10, 10, 10, 50), "zero or negative area");
        assertInvalid(request(png, "", 500, 500, 600, 600), "wholly outside the 160x120 image");
        assertInvalid(request(new byte[0], "", 0, 0, 1, 1), "empty");
        assertInvalid(request(TestImages.pngDeclaring(50_000, 50_000), "image/png", 0, 0, 10, 10), "above the limit of 40000000 pixels");
        assertInvalid(EmbedRequest.newBuilder(request(png, "", 0, 0, 1, 1)).clearBox().build(), "no person box");
        // hostile strings: answered INVALID_ARGUMENT with a short message, never echoed whole
        String huge = "v".repeat(10_000);
        assertInvalid(request(png, "", 40, 20, 100, 110).toBuilder().setModelVersion(huge).build(), "is not a bundle version");
        assertInvalid(request(png, "", 40, 20, 100, 110).toBuilder().setModelVersion("v1\u0000").build(), "'v1\\u0000'");
        StatusRuntimeException media = assertThrows(StatusRuntimeException.class, () -> client.embed(request(png, huge, 40, 20, 100, 110)));
        assertEquals(Status.Code.INVALID_ARGUMENT, media.getStatus().getCode(), media.getStatus().toString());
        assertTrue(media.getStatus().getDescription().length() < 200, media.getStatus().getDescription());

        var tooMany = EmbedBatchRequest.newBuilder();
        for (int i = 0; i < 33; i++) {
            tooMany.addItems(request(png, "", 40, 20, 100, 110));
        }
        var e = assertThrows(StatusRuntimeException.class, () -> client.embedBatch(tooMany.build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("33 items, above the limit of 32"), e.getStatus().getDescription());

        var oneBad = EmbedBatchRequest.newBuilder().addItems(request(png, "", 40, 20, 100, 110)).addItems(request(png, "", 1, 1, 1, 1));
        e = assertThrows(StatusRuntimeException.class, () -> client.embedBatch(oneBad.build()));
        assertTrue(e.getStatus().getDescription().startsWith("item 1: "), e.getStatus().getDescription());

        // and it still serves
        assertEquals(128, client.embed(request(png, "", 40, 20, 100, 110)).getEmbedding().getValuesCount());
    }

    @Test
    void getModelDescribesTheDefaultBundle() {
        ModelInfo m = client.getModel(GetModelRequest.getDefaultInstance());
        assertEquals(128, m.getEmbeddingDimension());
        assertEquals("default-random-projection", m.getHeadKind());
        assertTrue(m.getActive());
        assertEquals(5, m.getFileSha256Count());  // image, body, segmenter, labels, head
    }

    @Test
    void activatingANewBundleSwapsWithoutRestart() throws Exception {
        ModelStore store = new ModelStore(Path.of(System.getProperty(TinyModelStoreResource.STORE_PROPERTY)));
        String original = client.getModel(GetModelRequest.getDefaultInstance()).getVersion();
        String next = BundleTestSupport.copyWithManifest(store, original, original + "-copy", m -> m);
        BundleLoader verifier = new BundleLoader(OrtSessionFactory.cpu(1));
        try {
            store.activate(next, verifier);
            String served = waitForVersion(next);
            assertEquals(next, served);
            EmbedRequest req = request(TestImages.png(SCENE_A), "", 40, 20, 100, 110);
            EmbedResponse r = client.embed(req);
            assertEquals(next, r.getEmbedding().getModelVersion());
            // The replaced bundle stays servable on request while clients migrate; unknown versions are refused.
            assertEquals(original, client.getModel(GetModelRequest.getDefaultInstance()).getPreviousVersion());
            PrometheusScrape metrics = PrometheusScrape.of(url.toString());
            assertEquals(1, metrics.value("affect_model_bundle", "slot", "serving", "version", next).orElseThrow(), metrics.text());
            assertEquals(1, metrics.value("affect_model_bundle", "slot", "previous", "version", original).orElseThrow());
            assertTrue(metrics.value("affect_model_bundle", "slot", "serving", "version", original).isEmpty(),
                    "the replaced version no longer shows as serving");
            EmbedResponse old = client.embed(EmbedRequest.newBuilder(req).setModelVersion(original).build());
            assertEquals(original, old.getEmbedding().getModelVersion());
            var e = assertThrows(StatusRuntimeException.class,
                    () -> client.embed(EmbedRequest.newBuilder(req).setModelVersion("no-such-version").build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("model version no-such-version is not loaded here"),
                    e.getStatus().getDescription());
        } finally {
            store.activate(original, verifier);
            waitForVersion(original);
        }
    }

    private String waitForVersion(String version) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        String served = "";
        while (System.currentTimeMillis() < deadline) {
            served = client.getModel(GetModelRequest.getDefaultInstance()).getVersion();
            if (served.equals(version)) {
                break;
            }
            Thread.sleep(100);
        }
        return served;
    }
}

package org.affectdml.embedding;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.embedding.FusedEmbedder;
import org.affectdml.inference.image.DecodedImage;
import org.affectdml.inference.image.EncodedImage;
import org.affectdml.inference.image.ImageDecoder;
import org.affectdml.inference.image.ImageLimits;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.image.TensorPreprocessor;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.segmentation.SemanticSegmenter;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.ServiceProcess;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.EmbeddingServiceGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.affectdml.embedding.EmbeddingTestSupport.cosine;
import static org.affectdml.embedding.EmbeddingTestSupport.norm;
import static org.affectdml.embedding.EmbeddingTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged services as real processes: embedding-service takes Sem2Vec from segmentation-service over
 * gRPC, and its answer equals the same forward pass computed in this JVM. Once with the tiny bundle, and
 * once with the real-architecture stand-ins and photos of ../shared when AFFECT_SHARED_DIR points there.
 */
class EmbeddingServicesIT {

    @TempDir
    Path tmp;

    /** COCO person boxes of the sample photos under AFFECT_SHARED_DIR/images (COCO x, y, w, h as x1, y1, x2, y2). */
    private static final Map<String, float[]> SHARED_BOXES = Map.of(
            "coco-000000000785-skier.jpg", new float[]{281, 45, 500, 392},
            "coco-000000040083-street-vendors.jpg", new float[]{38, 111, 213, 286},
            "coco-000000196141-baseball.jpg", new float[]{248, 74, 418, 375},
            "coco-000000197388-ski-race.jpg", new float[]{139, 102, 361, 344});


    private List<List<Float>> embedRemotely(Path store, List<EmbedRequest> requests) throws Exception {
        return embedRemotely(store, requests, true);
    }

    private List<List<Float>> embedRemotely(Path store, List<EmbedRequest> requests, boolean overlapEncoders) throws Exception {
        Path segJar = ServiceProcess.requirePackagedApp("segmentation-service");
        Path embJar = ServiceProcess.requirePackagedApp("embedding-service");
        Map<String, String> common = Map.of("affect.model-store.path", store.toString(), "affect.onnx.intra-op-threads", "1");
        try (ServiceProcess seg = ServiceProcess.start(segJar, common, tmp.resolve("logs"))) {
            var props = new java.util.HashMap<>(common);
            props.put("affect.embedding.segmentation", "remote");
            props.put("affect.embedding.overlap-encoders", Boolean.toString(overlapEncoders));
            props.put("quarkus.grpc.clients.segmentation.host", "127.0.0.1");
            props.put("quarkus.grpc.clients.segmentation.port", Integer.toString(seg.port));
            try (ServiceProcess emb = ServiceProcess.start(embJar, props, tmp.resolve("logs"))) {
                ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", emb.port).usePlaintext()
                        .maxInboundMessageSize(64 << 20).build();
                try {
                    var client = GrpcTestChannels.withKey(EmbeddingServiceGrpc.newBlockingStub(channel), ServiceProcess.SERVICE_KEY);
                    List<List<Float>> out = new ArrayList<>();
                    for (EmbedRequest r : requests) {
                        var response = client.embed(r);
                        assertEquals(new ModelStore(store).activeVersion().orElseThrow(), response.getEmbedding().getModelVersion());
                        out.add(response.getEmbedding().getValuesList());
                    }
                    return out;
                } finally {
                    channel.shutdownNow();
                }
            }
        }
    }

    /**
     * The same forward pass in this JVM, as docs/method.md §10 describes it: the whole image decoded at the larger of
     * the segmenter's and the image encoder's minimum scale, the person's crop from it when that is fine enough for
     * the body encoder (else the box decoded alone), the segmenter fed the 8-bit resize of the decoded image.
     */
    private static float[] embedLocally(Path store, byte[] image, float[] box) throws Exception {
        return embedLocally(store, new ModelStore(store).activeVersion().orElseThrow(), image, box);
    }

    private static float[] embedLocally(Path store, String version, byte[] image, float[] box) throws Exception {
        ModelStore s = new ModelStore(store);
        try (LoadedBundle bundle = new BundleLoader(OrtSessionFactory.cpu(1))
                .load(s.bundleDirectory(version), Set.copyOf(Roles.ONNX_ROLES))) {
            ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
            EncodedImage encoded = decoder.open(image);
            var segmenter = bundle.manifest().file(Roles.SEGMENTER).preprocessing();
            var imageEncoder = bundle.manifest().file(Roles.IMAGE_ENCODER).preprocessing();
            var bodyEncoder = bundle.manifest().file(Roles.BODY_ENCODER).preprocessing();
            double wholeScale = Math.max(segmenter.minimumScale(encoded.width(), encoded.height()),
                    imageEncoder.minimumScale(encoded.width(), encoded.height()));
            DecodedImage whole = decoder.decode(encoded, encoded.whole(), wholeScale);
            PixelRegion person = PixelRegion.ofPersonBox(box[0], box[1], box[2], box[3], encoded.width(), encoded.height());
            double bodyScale = bodyEncoder.minimumScale(person.width(), person.height());
            DecodedImage bodySource = whole.scaleX() >= bodyScale && whole.scaleY() >= bodyScale
                    ? whole : decoder.decode(encoded, person, bodyScale);
            PixelRegion all = whole.map(encoded.whole());
            int[] size = segmenter.resizedSize(all.width(), all.height());
            RgbImage segmenterInput = TensorPreprocessor.resize(whole.pixels(), all, size[0], size[1]);
            float[][] sem = {SemanticSegmenter.segment(bundle, List.of(segmenterInput), 0).get(0).sem2vec()};
            var features = FusedEmbedder.encodeCrops(bundle, List.of(new FusedEmbedder.Crop(whole.pixels(), all)),
                    List.of(new FusedEmbedder.Crop(bodySource.pixels(), bodySource.map(person))));
            return FusedEmbedder.head(bundle, features, sem)[0];
        }
    }

    private static void assertClose(float[] expected, List<Float> actual, double tolerance) {
        assertEquals(expected.length, actual.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.get(i), tolerance, "component " + i);
        }
    }

    @Test
    void remoteSem2VecThroughRealProcessesEqualsTheLocalForwardPass() throws Exception {
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        byte[] png = TestImages.png(TestImages.scene(96, 80, Color.RED, Color.BLUE, 40, 10, 90, 78));
        float[] box = {40, 10, 90, 78};
        // Encoders after Sem2Vec here (the local scripts' setting); the stand-in test below overlaps them (the default).
        List<List<Float>> remote = embedRemotely(store, List.of(request(png, "image/png", box[0], box[1], box[2], box[3])), false);
        assertClose(embedLocally(store, png, box), remote.get(0), 1e-5);
    }

    /**
     * Two bundles that share the segmenter file but not its preprocessing (a rollout that a segmenter-sha check cannot
     * tell apart), swapped while four callers load the services: no call fails, every answer equals the local forward
     * pass of the version it names (0 mixed), and after the swap both are served on request. segmentation-service keeps
     * the replaced bundle and runs the one asked; batches never mix bundles.
     */
    @Test
    void aSwapBetweenBundlesSharingTheSegmenterFileNeverMixesTheirPreprocessing() throws Exception {
        Path store = tmp.resolve("store");
        String v1 = TinyModels.activeDefaultBundle(store);
        ModelStore modelStore = new ModelStore(store);
        String v2 = org.affectdml.inference.bundle.BundleTestSupport.copyWithManifest(modelStore, v1, v1 + "-renormalised", m -> {
            var files = new java.util.HashMap<>(m.files());
            var seg = files.get(Roles.SEGMENTER);
            var p = seg.preprocessing();
            // Same file, other normalisation: every pixel's class can change, its sha256 cannot.
            files.put(Roles.SEGMENTER, new org.affectdml.inference.bundle.ModelFile(seg.path(), seg.sha256(), seg.bytes(), seg.inputs(),
                    seg.outputs(), new org.affectdml.inference.image.Preprocessing(p.resize(), p.shorterSide(), p.width(), p.height(),
                    p.rescale(), new double[]{0.95, 0.05, 0.6}, new double[]{0.05, 0.05, 0.05})));
            return new org.affectdml.inference.bundle.BundleManifest(m.format(), m.version(), m.created(), m.parent(), m.description(),
                    m.headKind(), m.embeddingDimension(), m.dataset(), m.protocol(), m.variant(), m.hyperparameters(), m.metrics(), files);
        });
        byte[] png = TestImages.png(TestImages.scene(96, 80, Color.RED, Color.BLUE, 40, 10, 90, 78));
        float[] box = {40, 10, 90, 78};
        float[] expected1 = embedLocally(store, v1, png, box);
        float[] expected2 = embedLocally(store, v2, png, box);
        double differ = 0;
        for (int i = 0; i < expected1.length; i++) {
            differ = Math.max(differ, Math.abs(expected1[i] - expected2[i]));
        }
        assertTrue(differ > 1e-3, "the two preprocessings must give different embeddings for the test to mean anything");

        Path segJar = ServiceProcess.requirePackagedApp("segmentation-service");
        Path embJar = ServiceProcess.requirePackagedApp("embedding-service");
        Map<String, String> common = Map.of("affect.model-store.path", store.toString(), "affect.onnx.intra-op-threads", "1",
                "affect.model-store.poll-interval", "200ms");
        // segmentation-service never polls during the test: it learns of the new bundle only from embedding-service
        // asking for it, the order a rollout may take (embedding-service first), and must load it then, not fail
        var segProps = new java.util.HashMap<>(common);
        segProps.put("affect.model-store.poll-interval", "1h");
        try (ServiceProcess seg = ServiceProcess.start(segJar, segProps, tmp.resolve("logs"))) {
            var props = new java.util.HashMap<>(common);
            props.put("affect.embedding.segmentation", "remote");
            props.put("quarkus.grpc.clients.segmentation.host", "127.0.0.1");
            props.put("quarkus.grpc.clients.segmentation.port", Integer.toString(seg.port));
            try (ServiceProcess emb = ServiceProcess.start(embJar, props, tmp.resolve("logs"))) {
                ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", emb.port).usePlaintext().build();
                try {
                    var client = GrpcTestChannels.withKey(EmbeddingServiceGrpc.newBlockingStub(channel), ServiceProcess.SERVICE_KEY);
                    EmbedRequest request = request(png, "image/png", box[0], box[1], box[2], box[3]);
                    assertClose(expected1, client.embed(request).getEmbedding().getValuesList(), 1e-5);
                    // Under load (four callers, distinct bytes each call so the scene cache answers none, requests
                    // batched together): the swap happens while calls run, and no answer may mix the two versions.
                    java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean(true);
                    java.util.concurrent.atomic.AtomicLong copies = new java.util.concurrent.atomic.AtomicLong();
                    List<EmbedResponse> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
                    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
                    List<Thread> callers = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        Thread caller = new Thread(() -> {
                            while (loading.get()) {
                                byte[] copy = org.affectdml.inference.image.SyntheticPhotos.withComment(png, "load " + copies.incrementAndGet());
                                try {
                                    answers.add(client.withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS)
                                            .embed(request(copy, "image/png", box[0], box[1], box[2], box[3])));
                                } catch (io.grpc.StatusRuntimeException e) {
                                    failures.add(e.getStatus().toString());
                                } catch (RuntimeException e) {
                                    failures.add(e.toString());  // counted, not a silently dead load thread
                                }
                            }
                        });
                        caller.start();
                        callers.add(caller);
                    }
                    try {
                        awaitAtLeast(answers, 20, failures);
                        modelStore.activate(v2, new BundleLoader(OrtSessionFactory.cpu(1)));
                        long deadline = System.currentTimeMillis() + 30_000;
                        while (!client.withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
                                .getModel(org.affectdml.proto.v1.GetModelRequest.getDefaultInstance()).getVersion().equals(v2)) {
                            assertTrue(System.currentTimeMillis() < deadline, "embedding-service did not swap to " + v2);
                            Thread.sleep(100);
                        }
                        awaitAtLeast(answers, answers.size() + 20, failures);
                    } finally {
                        loading.set(false);  // a failed wait stops the load too: no caller outlives the test in this JVM
                    }
                    for (Thread caller : callers) {
                        caller.join(120_000);
                        assertFalse(caller.isAlive(), "a load thread is still running 2 minutes after the load stopped");
                    }
                    assertEquals(List.of(), failures, "no call fails during the swap");
                    int mixed = 0;
                    java.util.Map<String, Integer> byVersion = new java.util.TreeMap<>();
                    for (EmbedResponse answer : answers) {
                        String named = answer.getEmbedding().getModelVersion();
                        byVersion.merge(named, 1, Integer::sum);
                        float[] expected = named.equals(v1) ? expected1 : named.equals(v2) ? expected2 : null;
                        if (expected == null || maxDifference(expected, answer.getEmbedding().getValuesList()) > 1e-5) {
                            mixed++;
                        }
                    }
                    assertEquals(0, mixed, "answers whose values are not those of the version they name, of " + byVersion);
                    assertTrue(byVersion.getOrDefault(v1, 0) >= 20 && byVersion.getOrDefault(v2, 0) >= 20, byVersion.toString());
                    for (int round = 0; round < 3; round++) {
                        // Distinct bytes each round, so the scene cache answers none of them.
                        var first = client.embed(request(org.affectdml.inference.image.SyntheticPhotos.withComment(png, "round " + round), "image/png", box[0], box[1], box[2], box[3]).toBuilder()
                                .setModelVersion(v1).build());
                        assertEquals(v1, first.getEmbedding().getModelVersion());
                        assertClose(expected1, first.getEmbedding().getValuesList(), 1e-5);
                        var second = client.embed(request(org.affectdml.inference.image.SyntheticPhotos.withComment(png, "round " + (10 + round)), "image/png", box[0], box[1], box[2], box[3]));
                        assertEquals(v2, second.getEmbedding().getModelVersion());
                        assertClose(expected2, second.getEmbedding().getValuesList(), 1e-5);
                    }
                } finally {
                    channel.shutdownNow();
                }
            }
        }
    }

    private static double maxDifference(float[] expected, List<Float> actual) {
        double max = expected.length == actual.size() ? 0 : Double.POSITIVE_INFINITY;
        for (int i = 0; i < Math.min(expected.length, actual.size()); i++) {
            max = Math.max(max, Math.abs(expected[i] - actual.get(i)));
        }
        return max;
    }

    @Test
    void standInBundleOnRealPhotos() throws Exception {
        Path shared = TestImages.requireSharedDir();
        Path store = tmp.resolve("store");
        org.affectdml.inference.testing.StandInBundle.activate(shared, new ModelStore(store), OrtSessionFactory.cpu(0));

        List<String> names = new ArrayList<>(SHARED_BOXES.keySet());
        java.util.Collections.sort(names);
        List<EmbedRequest> requests = new ArrayList<>();
        for (String name : names) {
            float[] b = SHARED_BOXES.get(name);
            requests.add(request(Files.readAllBytes(shared.resolve("images").resolve(name)), "image/jpeg", b[0], b[1], b[2], b[3]));
        }
        // A near-duplicate query: the skier photo at 80 % scale, re-encoded, with the box scaled and widened a little.
        byte[] skier = Files.readAllBytes(shared.resolve("images").resolve("coco-000000000785-skier.jpg"));
        BufferedImage original = ImageIO.read(new ByteArrayInputStream(skier));
        BufferedImage scaled = new BufferedImage(original.getWidth() * 4 / 5, original.getHeight() * 4 / 5, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.drawImage(original, 0, 0, scaled.getWidth(), scaled.getHeight(), null);
        g.dispose();
        requests.add(request(TestImages.jpeg(scaled), "image/jpeg", 221, 32, 404, 318));

        List<List<Float>> z = embedRemotely(store, requests);
        for (List<Float> v : z) {
            assertEquals(128, v.size());
            assertEquals(1.0, norm(v), 1e-4);
        }
        float[] b = SHARED_BOXES.get(names.get(0));
        assertClose(embedLocally(store, requests.get(0).getImage().getData().toByteArray(), b), z.get(0), 1e-4);
        // Untrained weights make semantic claims meaningless, but a near-duplicate must still be nearest.
        List<Float> query = z.get(z.size() - 1);
        int skierIndex = names.indexOf("coco-000000000785-skier.jpg");
        int nearest = -1;
        double best = -2;
        for (int i = 0; i < names.size(); i++) {
            double c = cosine(query, z.get(i));
            if (c > best) {
                best = c;
                nearest = i;
            }
        }
        assertEquals(names.get(skierIndex), names.get(nearest), "nearest support of the re-scaled skier (cosine " + best + ")");
    }

    /** Waits for {@code count} answers, failing after 2 minutes (with what failed meanwhile) instead of hanging. */
    private static void awaitAtLeast(List<?> answers, int count, List<String> failures) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
        while (answers.size() < count) {
            assertTrue(System.nanoTime() < deadline, answers.size() + " of " + count + " answers after 2 minutes; failures: " + failures);
            Thread.sleep(10);
        }
    }
}

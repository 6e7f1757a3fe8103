package org.affectdml.embedding;

import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.grpc.GrpcClient;
import org.affectdml.service.transport.FastReconnect;
import org.affectdml.serving.batching.BatchedImageModels;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.bundle.Sha256;
import org.affectdml.inference.embedding.FusedEmbedder;
import org.affectdml.inference.embedding.FusedEmbedder.Crop;
import org.affectdml.inference.image.DecodedImage;
import org.affectdml.inference.image.EncodedImage;
import org.affectdml.inference.image.ImageDecoder;
import org.affectdml.inference.image.InvalidImageException;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.image.TensorPreprocessor;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.SegmentationGrpc;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.StageTimings;
import org.affectdml.service.media.ImageFormats;
import org.affectdml.serving.InferenceConfig;
import org.affectdml.serving.RequestedVersion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Images with person boxes to embeddings, on one bundle lease. Per distinct image (by sha256): read the header,
 * look up its scene features in the {@link SceneCache}; on a miss decode it once at the reduced resolution the
 * segmenter and the image encoder need, send the segmenter its already resized input (remote or in-process) and
 * run the image encoder meanwhile. Each person's crop comes from that decode when it is fine enough, else from
 * a decode of just the box at the body encoder's resolution. All crops run as one body-encoder batch, then the
 * head on every person's streams.
 */
@ApplicationScoped
public class EmbeddingPipeline {

    /** One image (null when the request had none) and its persons' boxes; {@code where} prefixes messages about it ("item 3: ", or empty). */
    public record ImageRequest(Image image, List<PersonBox> boxes, String where) {
    }

    /**
     * A person's L2-normalised embedding and its stream projections (each null when the head does not output it), or
     * why this person got none.
     */
    public record PersonOutcome(float[] embedding, StreamRows projections, String error) {
    }

    /** One person's rows of the head's stream projection outputs ({@link Roles#HEAD_IMAGE_PROJECTION} and the others). */
    public record StreamRows(float[] image, float[] body, float[] scene) {
        static final StreamRows NONE = new StreamRows(null, null, null);
    }

    /** Per image: its persons in box order, its Sem2Vec (null when unused) and whether the cache answered. */
    /** {@code pixelFractions}: per segmenter class, its share of the image (null when the bundle segments nothing). */
    public record ImageOutcome(List<PersonOutcome> persons, float[] sem2vec, float[] pixelFractions, boolean sceneCached) {
    }

    /** {@code segmenterLabels}: the names of the segmenter's classes, in pixel-fraction order. */
    /** @param activeVersion the version served when none is asked for, at the time of the answer */
    public record Outcome(List<ImageOutcome> images, String modelVersion, StageTimings timings, List<String> segmenterLabels,
                          String activeVersion) {
    }

    /** One distinct image of the request and the persons asked of it (over every request that sent it). */
    private static final class Scene {
        final EncodedImage image;
        final String sha256;
        final List<Person> persons = new ArrayList<>();
        SceneFeatures features;
        boolean cached;
        DecodedImage whole;

        Scene(EncodedImage image, String sha256) {
            this.image = image;
            this.sha256 = sha256;
        }
    }

    private static final class Person {
        final PixelRegion box;
        Crop crop;
        float[] embedding;
        StreamRows projections = StreamRows.NONE;

        Person(PixelRegion box) {
            this.box = box;
        }
    }

    @Inject
    ActiveBundleHolder bundles;
    @Inject
    InferenceConfig config;
    @Inject
    EmbeddingConfig embeddingConfig;
    @Inject
    SceneCache cache;
    @GrpcClient("segmentation")
    io.grpc.Channel segmentationChannel;
    @Inject
    FastReconnect reconnect;
    /** Concurrent requests share encoder (and in-process segmenter) runs: affect.batching.*. */
    @Inject
    BatchedImageModels models;
    @Inject
    MeterRegistry registry;

    private ImageDecoder decoder;
    private Sem2VecSource sem2vec;
    private DistributionSummary batchSizes;
    private Timer decodeTime;
    private Timer encodersTime;
    private Timer segmentationTime;
    private Timer headTime;

    @PostConstruct
    void init() {
        batchSizes = DistributionSummary.builder("affect.embedding.batch.size")
                .description("Persons per Embed/EmbedBatch/EmbedPersons call that reached the models")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
                .register(registry);
        decodeTime = stageTimer("decode");
        encodersTime = stageTimer("encoders");
        segmentationTime = stageTimer("segmentation");
        headTime = stageTimer("head");
        decoder = new ImageDecoder(config.imageLimits(), config.image().turboJpeg());
        sem2vec = embeddingConfig.segmentation() == EmbeddingConfig.Sem2VecMode.IN_PROCESS
                ? new InProcessSem2Vec(models)
                : new RemoteSem2Vec(SegmentationGrpc.newStub(segmentationChannel), embeddingConfig.segmentationTimeout());
        if (embeddingConfig.segmentation() == EmbeddingConfig.Sem2VecMode.REMOTE) {
            reconnect.watch(segmentationChannel);
        }
    }

    /**
     * Embeds every person of every image with the given bundle version (empty = the active one). A bad image
     * fails the call (its message starts with the request's {@code where}). A bad box fails the call too unless
     * {@code perPersonErrors}: then that person's outcome carries the message and the others are answered.
     */
    public Outcome embed(List<ImageRequest> requests, String modelVersion, boolean perPersonErrors) throws Exception {
        RequestedVersion.check(modelVersion);
        long start = System.nanoTime();
        Map<String, Scene> scenes = new LinkedHashMap<>();
        List<Scene> sceneOfRequest = new ArrayList<>();
        List<List<Object>> slots = new ArrayList<>();  // per request, per box: its Person or its error message
        for (ImageRequest request : requests) {
            Scene scene = sceneOf(request, scenes);
            sceneOfRequest.add(scene);
            slots.add(persons(request, scene, perPersonErrors));
        }
        try (ActiveBundleHolder.Lease lease = bundles.lease(modelVersion)) {
            LoadedBundle bundle = lease.bundle();
            boolean useSem2Vec = FusedEmbedder.needsSem2Vec(bundle);
            boolean useImage = FusedEmbedder.usesImageFeatures(bundle);
            boolean useBody = FusedEmbedder.usesBodyFeatures(bundle);
            for (Scene scene : scenes.values()) {
                cache.get(scene.sha256, bundle.version()).ifPresent(f -> {
                    scene.features = f;
                    scene.cached = true;
                });
                decode(bundle, scene, useSem2Vec, useImage, useBody);
            }
            long decoded = System.nanoTime();

            // The scenes the cache did not answer: each is segmented and image-encoded (as its bundle uses), in this order.
            List<Scene> fresh = scenes.values().stream().filter(s -> !s.cached).toList();
            List<Scene> toSegment = useSem2Vec ? fresh : List.of();
            CompletableFuture<List<Sem2VecSource.Segmented>> segmentation = toSegment.isEmpty()
                    ? CompletableFuture.completedFuture(List.of())
                    : sem2vec.start(bundle, toSegment.stream().map(s -> segmenterInput(bundle, s)).toList());
            long segmentationStarted = System.nanoTime();

            // Where segmentation shares this machine's cores, encoding meanwhile only oversubscribes them.
            List<Sem2VecSource.Segmented> segmented = embeddingConfig.overlapEncoders() ? null : await(segmentation);
            long segmentationDone = System.nanoTime();

            List<Scene> toEncode = useImage ? fresh : List.of();
            List<Person> persons = scenes.values().stream().flatMap(s -> s.persons.stream()).toList();
            FusedEmbedder.EncoderFeatures features = FusedEmbedder.encodeCrops(bundle,
                    toEncode.stream().map(s -> new Crop(s.whole.pixels(), s.whole.map(s.image.whole()))).toList(),
                    useBody ? persons.stream().map(p -> p.crop).toList() : List.of(), models);
            if (segmented == null) {
                segmented = await(segmentation);
                segmentationDone = System.nanoTime();
            }
            long beforeHead = System.nanoTime();

            remember(bundle, fresh, useSem2Vec ? segmented : null, useImage ? features.image() : null);
            runHead(bundle, scenes, persons, useBody ? features.body() : null);
            long done = System.nanoTime();

            batchSizes.record(persons.size());
            decodeTime.record(decoded - start, TimeUnit.NANOSECONDS);
            encodersTime.record(features.preprocessNanos() + features.inferenceNanos(), TimeUnit.NANOSECONDS);
            if (!toSegment.isEmpty()) {
                segmentationTime.record(segmentationDone - segmentationStarted, TimeUnit.NANOSECONDS);
            }
            headTime.record(done - beforeHead, TimeUnit.NANOSECONDS);
            StageTimings timings = StageTimings.newBuilder()
                    .setDecodeUs((decoded - start) / 1000)
                    .setPreprocessUs(features.preprocessNanos() / 1000)
                    .setEncodersUs(features.inferenceNanos() / 1000)
                    // With overlap-encoders segmentation runs meanwhile; this is its wall time from start to result (0: cached).
                    .setSegmentationUs(toSegment.isEmpty() ? 0 : (segmentationDone - segmentationStarted) / 1000)
                    .setSegmentationServerUs(segmented.stream().mapToLong(Sem2VecSource.Segmented::serverMicros).sum())
                    .setHeadUs((done - beforeHead) / 1000)
                    .setTotalUs((done - start) / 1000)
                    .build();
            return new Outcome(outcomes(sceneOfRequest, slots), bundle.version(), timings, bundle.segmenterLabels(),
                    bundles.servingVersion().orElse(""));
        }
    }

    /** The request's image, its header checked, shared with earlier requests that sent the same bytes. */
    private Scene sceneOf(ImageRequest request, Map<String, Scene> scenes) {
        String where = request.where();
        if (request.image() == null) {
            throw new InvalidImageException(where + "request has no image");
        }
        byte[] bytes = request.image().getData().toByteArray();
        String sha256 = Sha256.of(bytes);
        Scene scene = scenes.get(sha256);
        if (scene == null) {
            try {
                ImageFormats.check(bytes, request.image().getMediaType());
                scene = new Scene(decoder.open(bytes), sha256);
            } catch (InvalidImageException e) {
                throw where.isEmpty() ? e : new InvalidImageException(where + e.getMessage(), e);
            } catch (StatusRuntimeException e) {
                throw where.isEmpty() ? e : e.getStatus().withDescription(where + e.getStatus().getDescription()).asRuntimeException();
            }
            scenes.put(sha256, scene);
        }
        return scene;
    }

    /** Checks the request's boxes and files its persons under their image: a slot per box, its Person or why not. */
    private static List<Object> persons(ImageRequest request, Scene scene, boolean perPersonErrors) {
        String where = request.where();
        if (request.boxes().isEmpty()) {
            throw new InvalidImageException(where + "request has no person box (x1, y1, x2, y2 in pixels)");
        }
        List<Object> slots = new ArrayList<>(request.boxes().size());
        for (int i = 0; i < request.boxes().size(); i++) {
            PersonBox b = request.boxes().get(i);
            String prefix = perPersonErrors ? where + "box " + i + ": " : where;
            try {
                Person person = new Person(PixelRegion.ofPersonBox(b.getX1(), b.getY1(), b.getX2(), b.getY2(),
                        scene.image.width(), scene.image.height()));
                scene.persons.add(person);
                slots.add(person);
            } catch (InvalidImageException e) {
                if (!perPersonErrors) {
                    throw new InvalidImageException(prefix + e.getMessage(), e);
                }
                slots.add(prefix + e.getMessage());
            }
        }
        return slots;
    }

    /**
     * Decodes what the scene still needs at the smallest sufficient scale: the whole image for the segmenter and
     * the image encoder (unless cached), and each person's crop at the body encoder's resolution, taken from the
     * whole decode when that is fine enough, else decoded on its own.
     */
    private void decode(LoadedBundle bundle, Scene scene, boolean useSem2Vec, boolean useImage, boolean useBody) {
        EncodedImage image = scene.image;
        double wholeScale = 0;
        if (!scene.cached && useSem2Vec) {
            wholeScale = Math.max(wholeScale, preprocessing(bundle, Roles.SEGMENTER).minimumScale(image.width(), image.height()));
        }
        if (!scene.cached && useImage) {
            wholeScale = Math.max(wholeScale, preprocessing(bundle, Roles.IMAGE_ENCODER).minimumScale(image.width(), image.height()));
        }
        double[] bodyScale = new double[scene.persons.size()];
        if (useBody) {
            Preprocessing body = preprocessing(bundle, Roles.BODY_ENCODER);
            for (int i = 0; i < bodyScale.length; i++) {
                PixelRegion box = scene.persons.get(i).box;
                bodyScale[i] = body.minimumScale(box.width(), box.height());
            }
            if (wholeScale == 0 && bodyScale.length > 0) {
                wholeScale = cheaperAsOneDecode(image, scene.persons, bodyScale);
            }
        }
        if (wholeScale > 0) {
            scene.whole = decoder.decode(image, image.whole(), wholeScale);
        }
        if (!useBody) {
            return;
        }
        for (int i = 0; i < bodyScale.length; i++) {
            Person person = scene.persons.get(i);
            DecodedImage source = fineEnough(scene.whole, person.box, bodyScale[i])
                    ? scene.whole
                    : decoder.decode(image, person.box, bodyScale[i]);
            person.crop = new Crop(source.pixels(), source.map(person.box));
        }
    }

    /** Decoding the whole image once at the finest scale any box needs, when that costs fewer pixels than one decode per box; else 0. */
    private static double cheaperAsOneDecode(EncodedImage image, List<Person> persons, double[] bodyScale) {
        double finest = 0;
        double perBox = 0;
        for (int i = 0; i < bodyScale.length; i++) {
            finest = Math.max(finest, bodyScale[i]);
            perBox += (double) persons.get(i).box.width() * persons.get(i).box.height() * bodyScale[i] * bodyScale[i];
        }
        return (double) image.width() * image.height() * finest * finest <= perBox ? finest : 0;
    }

    private static boolean fineEnough(DecodedImage decoded, PixelRegion box, double scale) {
        double tolerance = 1e-9;
        return decoded != null && decoded.covers(box)
                && decoded.scaleX() >= scale - tolerance && decoded.scaleY() >= scale - tolerance;
    }

    /** The whole decoded image resized to the segmenter's input (its resize step; the segmenter side crops if its preprocessing says so). */
    private static RgbImage segmenterInput(LoadedBundle bundle, Scene scene) {
        PixelRegion all = scene.whole.map(scene.image.whole());
        int[] size = preprocessing(bundle, Roles.SEGMENTER).resizedSize(all.width(), all.height());
        return TensorPreprocessor.resize(scene.whole.pixels(), all, size[0], size[1]);
    }

    private static Preprocessing preprocessing(LoadedBundle bundle, String role) {
        return bundle.manifest().file(role).preprocessing();
    }

    /** The fresh scenes' features from what just ran (row i of each stream is scene i; null = unused), cached. */
    private void remember(LoadedBundle bundle, List<Scene> fresh, List<Sem2VecSource.Segmented> segmented, float[][] imageRows) {
        for (int i = 0; i < fresh.size(); i++) {
            Sem2VecSource.Segmented s = segmented == null ? null : segmented.get(i);
            Scene scene = fresh.get(i);
            scene.features = new SceneFeatures(s == null ? null : s.sem2vec(), s == null ? null : s.pixelFractions(),
                    imageRows == null ? null : imageRows[i]);
            cache.put(scene.sha256, bundle.version(), scene.features);
        }
    }

    /** The head on every person's streams (image and Sem2Vec rows from its scene), L2-normalised. */
    private static void runHead(LoadedBundle bundle, Map<String, Scene> scenes, List<Person> persons, float[][] bodyRows)
            throws Exception {
        if (persons.isEmpty()) {
            return;
        }
        float[][] imageRows = new float[persons.size()][];
        float[][] semRows = new float[persons.size()][];
        int row = 0;
        for (Scene scene : scenes.values()) {
            for (Person ignored : scene.persons) {
                imageRows[row] = scene.features.imageFeatures();
                semRows[row] = scene.features.sem2vec();
                row++;
            }
        }
        boolean useImage = imageRows[0] != null;
        boolean useSem2Vec = semRows[0] != null;
        FusedEmbedder.HeadOutput out = FusedEmbedder.headOutputs(bundle,
                new FusedEmbedder.EncoderFeatures(useImage ? imageRows : null, bodyRows, 0, 0), useSem2Vec ? semRows : null);
        for (int i = 0; i < out.embeddings().length; i++) {
            Person person = persons.get(i);
            person.embedding = out.embeddings()[i];
            person.projections = new StreamRows(out.projection(Roles.HEAD_IMAGE_PROJECTION, i),
                    out.projection(Roles.HEAD_BODY_PROJECTION, i), out.projection(Roles.HEAD_SCENE_PROJECTION, i));
        }
    }

    private static List<ImageOutcome> outcomes(List<Scene> sceneOfRequest, List<List<Object>> slots) {
        List<ImageOutcome> out = new ArrayList<>(sceneOfRequest.size());
        for (int r = 0; r < sceneOfRequest.size(); r++) {
            Scene scene = sceneOfRequest.get(r);
            List<PersonOutcome> persons = new ArrayList<>();
            for (Object slot : slots.get(r)) {
                persons.add(slot instanceof Person p ? new PersonOutcome(p.embedding, p.projections, null)
                        : new PersonOutcome(null, null, (String) slot));
            }
            out.add(new ImageOutcome(persons, scene.features.sem2vec(), scene.features.pixelFractions(), scene.cached));
        }
        return out;
    }

    /** Per-call time of one pipeline stage; segmentation overlaps the encoders (its wall time is recorded). */
    private Timer stageTimer(String stage) {
        return Timer.builder("affect.embedding.stage")
                .description("Time per Embed/EmbedBatch/EmbedPersons call spent in one stage of the pipeline")
                .tag("stage", stage)
                .register(registry);
    }

    /** The segmentation results; a failure of the source surfaces as itself (the shared error handler maps it). */
    private static <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof Exception failure) {
                throw failure;
            }
            throw e;
        }
    }
}

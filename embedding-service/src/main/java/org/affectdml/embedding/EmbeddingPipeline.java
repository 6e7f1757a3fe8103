package org.affectdml.embedding;

import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.grpc.GrpcClient;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.embedding.FusedEmbedder;
import org.affectdml.inference.embedding.PersonInImage;
import org.affectdml.inference.image.ImageDecoder;
import org.affectdml.inference.image.InvalidImageException;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.Embedding;
import org.affectdml.proto.v1.MutinySegmentationGrpc;
import org.affectdml.proto.v1.StageTimings;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;
import org.affectdml.service.media.ImageFormats;
import org.affectdml.serving.InferenceConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * (image, box) pairs to embeddings: decode once, check every item, then on one bundle lease start Sem2Vec
 * (remote or in-process), run the encoders meanwhile, and the head on all streams.
 */
@ApplicationScoped
public class EmbeddingPipeline {

    @Inject
    ActiveBundleHolder bundles;
    @Inject
    InferenceConfig config;
    @Inject
    EmbeddingConfig embeddingConfig;
    @GrpcClient("segmentation")
    MutinySegmentationGrpc.MutinySegmentationStub segmentationClient;
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
                .description("Persons per Embed/EmbedBatch call that reached the models")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
                .register(registry);
        decodeTime = stageTimer("decode");
        encodersTime = stageTimer("encoders");
        segmentationTime = stageTimer("segmentation");
        headTime = stageTimer("head");
        decoder = new ImageDecoder(config.imageLimits());
        sem2vec = embeddingConfig.segmentation() == EmbeddingConfig.Sem2VecMode.IN_PROCESS
                ? new InProcessSem2Vec()
                : new RemoteSem2Vec(segmentationClient, embeddingConfig.segmentationTimeout());
    }

    /** Embeds the items with the given bundle version (empty = the active one). */
    public List<EmbedResponse> embed(List<EmbedRequest> items, String modelVersion) throws Exception {
        if (!modelVersion.isEmpty() && !BundleManifest.VERSION_PATTERN.matcher(modelVersion).matches()) {
            throw Errors.invalidArgument("model_version " + Inputs.quoted(modelVersion)
                    + " is not a bundle version (1-128 of A-Z, a-z, 0-9, '.', '_', '-'); leave it empty for the active one");
        }
        long start = System.nanoTime();
        List<PersonInImage> samples = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            samples.add(decode(items.get(i), items.size() == 1 ? "" : "item " + i + ": "));
        }
        long decoded = System.nanoTime();
        try (ActiveBundleHolder.Lease lease = bundles.lease(modelVersion)) {
            LoadedBundle bundle = lease.bundle();
            CompletableFuture<List<float[]>> semantic = FusedEmbedder.needsSem2Vec(bundle)
                    ? sem2vec.start(bundle, samples.stream().map(PersonInImage::image).toList())
                    : CompletableFuture.completedFuture(null);
            long semStarted = System.nanoTime();
            FusedEmbedder.EncoderFeatures features = FusedEmbedder.encode(bundle, samples);
            List<float[]> semRows = await(semantic);
            long semDone = System.nanoTime();
            float[][] z = FusedEmbedder.head(bundle, features, semRows == null ? null : semRows.toArray(float[][]::new));
            long done = System.nanoTime();
            batchSizes.record(samples.size());
            decodeTime.record(decoded - start, TimeUnit.NANOSECONDS);
            encodersTime.record(features.preprocessNanos() + features.inferenceNanos(), TimeUnit.NANOSECONDS);
            if (semRows != null) {
                segmentationTime.record(semDone - semStarted, TimeUnit.NANOSECONDS);
            }
            headTime.record(done - semDone, TimeUnit.NANOSECONDS);

            StageTimings timings = StageTimings.newBuilder()
                    .setDecodeUs((decoded - start) / 1000)
                    .setPreprocessUs(features.preprocessNanos() / 1000)
                    .setEncodersUs(features.inferenceNanos() / 1000)
                    // Segmentation overlaps the encoders; this is its wall time from start to result.
                    .setSegmentationUs((semDone - semStarted) / 1000)
                    .setHeadUs((done - semDone) / 1000)
                    .setTotalUs((done - start) / 1000)
                    .build();
            List<EmbedResponse> responses = new ArrayList<>(z.length);
            for (int i = 0; i < z.length; i++) {
                Embedding.Builder e = Embedding.newBuilder().setModelVersion(bundle.version());
                for (float v : z[i]) {
                    e.addValues(v);
                }
                EmbedResponse.Builder r = EmbedResponse.newBuilder().setEmbedding(e).setTimings(timings);
                if (semRows != null) {
                    for (float v : semRows.get(i)) {
                        r.addSem2Vec(v);
                    }
                }
                responses.add(r.build());
            }
            return responses;
        }
    }

    /** Per-call time of one pipeline stage; segmentation overlaps the encoders (its wall time is recorded). */
    private Timer stageTimer(String stage) {
        return Timer.builder("affect.embedding.stage")
                .description("Time per Embed/EmbedBatch call spent in one stage of the pipeline")
                .tag("stage", stage)
                .register(registry);
    }

    private PersonInImage decode(EmbedRequest item, String prefix) {
        try {
            if (!item.hasImage()) {
                throw new InvalidImageException("request has no image");
            }
            if (!item.hasBox()) {
                throw new InvalidImageException("request has no person box (x1, y1, x2, y2 in pixels)");
            }
            byte[] bytes = item.getImage().getData().toByteArray();
            ImageFormats.check(bytes, item.getImage().getMediaType());
            RgbImage image = decoder.decode(bytes);
            var b = item.getBox();
            return new PersonInImage(image, PixelRegion.ofPersonBox(b.getX1(), b.getY1(), b.getX2(), b.getY2(), image.width(), image.height()));
        } catch (InvalidImageException e) {
            throw prefix.isEmpty() ? e : new InvalidImageException(prefix + e.getMessage(), e);
        } catch (StatusRuntimeException e) {
            throw prefix.isEmpty() ? e : e.getStatus().withDescription(prefix + e.getStatus().getDescription()).asRuntimeException();
        }
    }

    /** The Sem2Vec rows; a failure of the source surfaces as itself (the shared error handler maps it). */
    private static List<float[]> await(CompletableFuture<List<float[]>> future) throws Exception {
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

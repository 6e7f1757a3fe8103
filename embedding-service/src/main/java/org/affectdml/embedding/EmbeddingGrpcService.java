package org.affectdml.embedding;

import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.proto.v1.EmbedBatchRequest;
import org.affectdml.proto.v1.EmbedBatchResponse;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedPersonsRequest;
import org.affectdml.proto.v1.EmbedPersonsResponse;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.Embedding;
import org.affectdml.proto.v1.PersonEmbedding;
import org.affectdml.proto.v1.PersonError;
import org.affectdml.proto.v1.SceneClass;
import org.affectdml.proto.v1.StreamProjections;
import org.affectdml.proto.v1.MutinyEmbeddingServiceGrpc;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.ModelInfo;

import org.affectdml.service.errors.Errors;
import org.affectdml.service.transport.WorkerThreads;
import org.affectdml.serving.ModelInfos;
import org.affectdml.serving.runtime.ConcurrencyLimit;

import java.util.ArrayList;
import java.util.List;

/**
 * gRPC affect.v1.EmbeddingService. The embedding calls run on a worker thread, one hand-off (WorkerThreads); failures go
 * to the shared gRPC error handler (service-common).
 */
@GrpcService
public class EmbeddingGrpcService extends MutinyEmbeddingServiceGrpc.EmbeddingServiceImplBase {

    private final EmbeddingPipeline pipeline;
    private final ActiveBundleHolder bundles;
    private final EmbeddingConfig embeddingConfig;
    private final ConcurrencyLimit limit;

    @Inject
    public EmbeddingGrpcService(EmbeddingPipeline pipeline, ActiveBundleHolder bundles, EmbeddingConfig embeddingConfig,
                                ConcurrencyLimit limit) {
        this.pipeline = pipeline;
        this.bundles = bundles;
        this.embeddingConfig = embeddingConfig;
        this.limit = limit;
    }

    @Override
    public Uni<EmbedResponse> embed(EmbedRequest request) {
        return WorkerThreads.call(() -> limit.run("Embed", () -> {
            EmbeddingPipeline.Outcome outcome = pipeline.embed(List.of(imageRequest(request, "")), request.getModelVersion(), false);
            EmbedResponse response = embedResponse(outcome, 0, request.getIncludeStreamProjections());
            return request.getIncludeSceneClasses()
                    ? response.toBuilder().addAllSceneClasses(sceneClasses(outcome, outcome.images().get(0))).build() : response;
        }));
    }

    @Override
    public Uni<EmbedBatchResponse> embedBatch(EmbedBatchRequest request) {
        requireCount("EmbedBatch", "items", request.getItemsCount(), embeddingConfig.maxBatchSize(), "affect.embedding.max-batch-size");
        List<EmbeddingPipeline.ImageRequest> items = new ArrayList<>();
        for (int i = 0; i < request.getItemsCount(); i++) {
            items.add(imageRequest(request.getItems(i), "item " + i + ": "));
        }
        return WorkerThreads.call(() -> limit.run("EmbedBatch", () -> {
            EmbeddingPipeline.Outcome outcome = pipeline.embed(items, request.getModelVersion(), false);
            EmbedBatchResponse.Builder response = EmbedBatchResponse.newBuilder();
            for (int i = 0; i < items.size(); i++) {
                response.addItems(embedResponse(outcome, i, request.getIncludeStreamProjections()));
            }
            return response.build();
        }));
    }

    @Override
    public Uni<EmbedPersonsResponse> embedPersons(EmbedPersonsRequest request) {
        requireCount("EmbedPersons", "boxes", request.getBoxesCount(), embeddingConfig.maxPersons(), "affect.embedding.max-persons");
        EmbeddingPipeline.ImageRequest image = new EmbeddingPipeline.ImageRequest(
                request.hasImage() ? request.getImage() : null, request.getBoxesList(), "");
        return WorkerThreads.call(() -> limit.run("EmbedPersons", () -> {
            EmbeddingPipeline.Outcome outcome = pipeline.embed(List.of(image), request.getModelVersion(), true);
            EmbeddingPipeline.ImageOutcome result = outcome.images().get(0);
            EmbedPersonsResponse.Builder response = EmbedPersonsResponse.newBuilder()
                    .setModelVersion(outcome.modelVersion())
                    .setTimings(outcome.timings())
                    .setSceneCached(result.sceneCached())
                    .setActiveVersion(outcome.activeVersion());
            addAll(result.sem2vec(), response::addSem2Vec);
            if (request.getIncludeSceneClasses()) {
                response.addAllSceneClasses(sceneClasses(outcome, result));
            }
            for (EmbeddingPipeline.PersonOutcome person : result.persons()) {
                response.addPersons(person.error() != null
                        ? PersonEmbedding.newBuilder().setError(PersonError.newBuilder()
                                .setCode(Status.Code.INVALID_ARGUMENT.name()).setMessage(person.error()))
                        : PersonEmbedding.newBuilder().setEmbedding(embedding(person, outcome.modelVersion(),
                                request.getIncludeStreamProjections())));
            }
            return response.build();
        }));
    }

    /** At least one and at most {@code max} of what a call carries; the message names the setting. */
    private static void requireCount(String call, String what, int count, int max, String setting) {
        if (count == 0) {
            throw Errors.invalidArgument(call + " needs at least one of its " + what);
        }
        if (count > max) {
            throw Errors.invalidArgument(call + " has " + count + " " + what + ", above the limit of " + max + " (" + setting + "); split it");
        }
    }

    private static EmbeddingPipeline.ImageRequest imageRequest(EmbedRequest item, String where) {
        return new EmbeddingPipeline.ImageRequest(item.hasImage() ? item.getImage() : null,
                item.hasBox() ? List.of(item.getBox()) : List.of(), where);
    }

    /** The one person of request i. */
    private static EmbedResponse embedResponse(EmbeddingPipeline.Outcome outcome, int i, boolean streamProjections) {
        EmbeddingPipeline.ImageOutcome image = outcome.images().get(i);
        EmbedResponse.Builder response = EmbedResponse.newBuilder()
                .setEmbedding(embedding(image.persons().get(0), outcome.modelVersion(), streamProjections))
                .setTimings(outcome.timings())
                .setSceneCached(image.sceneCached())
                .setActiveVersion(outcome.activeVersion());
        addAll(image.sem2vec(), response::addSem2Vec);
        return response.build();
    }

    /** The segmenter classes present in the image, largest share first. */
    private static List<SceneClass> sceneClasses(EmbeddingPipeline.Outcome outcome, EmbeddingPipeline.ImageOutcome image) {
        float[] shares = image.pixelFractions();
        List<SceneClass> out = new ArrayList<>();
        if (shares == null) {
            return out;
        }
        for (int i = 0; i < shares.length && i < outcome.segmenterLabels().size(); i++) {
            if (shares[i] > 0) {
                out.add(SceneClass.newBuilder().setName(outcome.segmenterLabels().get(i)).setPixelShare(shares[i]).build());
            }
        }
        out.sort(java.util.Comparator.comparingDouble(SceneClass::getPixelShare).reversed());
        return out;
    }

    private static Embedding embedding(EmbeddingPipeline.PersonOutcome person, String modelVersion, boolean streamProjections) {
        Embedding.Builder e = Embedding.newBuilder().setModelVersion(modelVersion);
        addAll(person.embedding(), e::addValues);
        if (streamProjections) {
            StreamProjections.Builder p = StreamProjections.newBuilder();
            addAll(person.projections().image(), p::addImage);
            addAll(person.projections().body(), p::addBody);
            addAll(person.projections().scene(), p::addScene);
            e.setStreamProjections(p);
        }
        return e.build();
    }

    private static void addAll(float[] values, java.util.function.Consumer<Float> add) {
        if (values != null) {
            for (float v : values) {
                add.accept(v);
            }
        }
    }

    @Override
    public Uni<ModelInfo> getModel(GetModelRequest request) {
        try (ActiveBundleHolder.Lease lease = bundles.lease()) {
            BundleManifest m = lease.bundle().manifest();
            return Uni.createFrom().item(ModelInfos.of(m)
                    .setActive(bundles.store().activeVersion().map(m.version()::equals).orElse(false))
                    .setPreviousVersion(bundles.previousVersion().orElse(""))
                    .build());
        }
    }
}

package org.affectdml.embedding;

import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.unchecked.Unchecked;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.proto.v1.EmbedBatchRequest;
import org.affectdml.proto.v1.EmbedBatchResponse;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.MutinyEmbeddingServiceGrpc;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.ModelInfo;

import org.affectdml.service.errors.Errors;
import org.affectdml.serving.ModelInfos;
import org.affectdml.serving.runtime.ConcurrencyLimit;

import java.util.List;

/** gRPC affect.v1.EmbeddingService. */
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
    @Blocking
    public Uni<EmbedResponse> embed(EmbedRequest request) {
        // Failures go to the shared gRPC error handler (service-common); checked ones are unexpected.
        return Uni.createFrom().item(Unchecked.supplier(
                () -> limit.run("Embed", () -> pipeline.embed(List.of(request), request.getModelVersion()).get(0))));
    }

    @Override
    @Blocking
    public Uni<EmbedBatchResponse> embedBatch(EmbedBatchRequest request) {
        if (request.getItemsCount() == 0) {
            throw Errors.invalidArgument("EmbedBatch needs at least one item");
        }
        if (request.getItemsCount() > embeddingConfig.maxBatchSize()) {
            throw Errors.invalidArgument("EmbedBatch has " + request.getItemsCount() + " items, above the limit of "
                    + embeddingConfig.maxBatchSize() + " (affect.embedding.max-batch-size); split it");
        }
        return Uni.createFrom().item(Unchecked.supplier(() -> EmbedBatchResponse.newBuilder()
                .addAllItems(limit.run("EmbedBatch", () -> pipeline.embed(request.getItemsList(), request.getModelVersion())))
                .build()));
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

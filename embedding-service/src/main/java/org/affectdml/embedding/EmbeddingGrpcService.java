package org.affectdml.embedding;

import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.grpc.ConcurrencyLimit;
import org.affectdml.inference.grpc.GrpcErrors;
import org.affectdml.proto.v1.EmbedBatchRequest;
import org.affectdml.proto.v1.EmbedBatchResponse;
import org.affectdml.proto.v1.EmbedRequest;
import org.affectdml.proto.v1.EmbedResponse;
import org.affectdml.proto.v1.EmbeddingService;
import org.affectdml.proto.v1.GetModelRequest;
import org.affectdml.proto.v1.ModelInfo;

import java.util.List;

/** gRPC affect.v1.EmbeddingService. */
@GrpcService
public class EmbeddingGrpcService implements EmbeddingService {

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
        try {
            return Uni.createFrom().item(limit.run("Embed", () -> pipeline.embed(List.of(request), request.getModelVersion()).get(0)));
        } catch (Exception e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
    }

    @Override
    @Blocking
    public Uni<EmbedBatchResponse> embedBatch(EmbedBatchRequest request) {
        try {
            if (request.getItemsCount() == 0) {
                throw GrpcErrors.invalidArgument("EmbedBatch needs at least one item");
            }
            if (request.getItemsCount() > embeddingConfig.maxBatchSize()) {
                throw GrpcErrors.invalidArgument("EmbedBatch has " + request.getItemsCount() + " items, above the limit of "
                        + embeddingConfig.maxBatchSize() + " (affect.embedding.max-batch-size); split it");
            }
            List<EmbedResponse> items = limit.run("EmbedBatch", () -> pipeline.embed(request.getItemsList(), request.getModelVersion()));
            return Uni.createFrom().item(EmbedBatchResponse.newBuilder().addAllItems(items).build());
        } catch (Exception e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public Uni<ModelInfo> getModel(GetModelRequest request) {
        try (ActiveBundleHolder.Lease lease = bundles.lease()) {
            BundleManifest m = lease.bundle().manifest();
            ModelInfo.Builder info = ModelInfo.newBuilder()
                    .setVersion(m.version())
                    .setCreated(nullToEmpty(m.created()))
                    .setParent(nullToEmpty(m.parent()))
                    .setEmbeddingDimension(m.embeddingDimension())
                    .setHeadKind(nullToEmpty(m.headKind()))
                    .setDataset(nullToEmpty(m.dataset()))
                    .setProtocol(nullToEmpty(m.protocol()))
                    .putAllMetrics(m.metrics())
                    .setActive(bundles.store().activeVersion().map(m.version()::equals).orElse(false))
                    .setPreviousVersion(bundles.previousVersion().orElse(""));
            m.files().forEach((role, file) -> info.putFileSha256(role, file.sha256()));
            return Uni.createFrom().item(info.build());
        } catch (Exception e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}

package org.affectdml.trainer.service;

import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.grpc.GrpcErrors;
import org.affectdml.proto.v1.ActivateModelRequest;
import org.affectdml.proto.v1.GetJobRequest;
import org.affectdml.proto.v1.ListModelsRequest;
import org.affectdml.proto.v1.ListModelsResponse;
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.proto.v1.StartTrainingRequest;
import org.affectdml.proto.v1.Trainer;
import org.affectdml.proto.v1.TrainingJob;

import java.util.Optional;

/** affect.v1.Trainer over {@link JobManager} and the model store. */
@GrpcService
public class TrainerGrpcService implements Trainer {

    @Inject
    JobManager jobs;
    @Inject
    TrainerConfig config;

    @Override
    @Blocking
    public Uni<TrainingJob> startTraining(StartTrainingRequest request) {
        return call(() -> jobs.start(request));
    }

    @Override
    public Uni<TrainingJob> getJob(GetJobRequest request) {
        return call(() -> jobs.get(request.getJobId()));
    }

    @Override
    public Multi<TrainingJob> watchJob(GetJobRequest request) {
        try {
            return jobs.watch(request.getJobId());
        } catch (Exception e) {
            return Multi.createFrom().failure(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public Uni<TrainingJob> cancelJob(GetJobRequest request) {
        return call(() -> jobs.cancel(request.getJobId()));
    }

    @Override
    @Blocking
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        return call(() -> {
            ModelStore store = new ModelStore(config.modelStore());
            Optional<String> active = store.activeVersion();
            ListModelsResponse.Builder out = ListModelsResponse.newBuilder();
            store.list().stream().sorted((a, b) -> String.valueOf(b.created()).compareTo(String.valueOf(a.created())))
                    .forEach(m -> out.addModels(info(m, active.map(m.version()::equals).orElse(false))));
            return out.build();
        });
    }

    @Override
    @Blocking
    public Uni<ModelInfo> activateModel(ActivateModelRequest request) {
        return call(() -> {
            ModelStore store = new ModelStore(config.modelStore());
            if (request.getVersion().isBlank() || !store.contains(request.getVersion())) {
                throw io.grpc.Status.NOT_FOUND.withDescription("no bundle '" + request.getVersion() + "' in the model store").asRuntimeException();
            }
            return info(store.activate(request.getVersion(), new BundleLoader(config.sessionFactory())), true);
        });
    }

    static ModelInfo info(BundleManifest m, boolean active) {
        ModelInfo.Builder info = ModelInfo.newBuilder().setVersion(m.version()).setCreated(orEmpty(m.created()))
                .setParent(orEmpty(m.parent())).setEmbeddingDimension(m.embeddingDimension())
                .setHeadKind(m.variant() != null ? m.variant() : orEmpty(m.headKind())).setDataset(orEmpty(m.dataset()))
                .setProtocol(orEmpty(m.protocol())).putAllMetrics(m.metrics()).setActive(active);
        m.files().forEach((role, file) -> info.putFileSha256(role, file.sha256()));
        return info.build();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private interface Call<T> {
        T get() throws Exception;
    }

    private static <T> Uni<T> call(Call<T> body) {
        try {
            return Uni.createFrom().item(body.get());
        } catch (Exception e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
    }
}

package org.affectdml.trainer.service;

import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.unchecked.Unchecked;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.proto.v1.ActivateModelRequest;
import org.affectdml.proto.v1.GetJobRequest;
import org.affectdml.proto.v1.ListModelsRequest;
import org.affectdml.proto.v1.ListModelsResponse;
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.proto.v1.StartTrainingRequest;
import org.affectdml.proto.v1.MutinyTrainerGrpc;
import org.affectdml.proto.v1.TrainingJob;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;
import org.affectdml.serving.InferenceConfig;
import org.affectdml.serving.ModelInfos;

import java.util.Optional;
import java.util.concurrent.Callable;

/** affect.v1.Trainer over {@link JobManager} and the model store. */
@GrpcService
public class TrainerGrpcService extends MutinyTrainerGrpc.TrainerImplBase {

    @Inject
    JobManager jobs;
    @Inject
    InferenceConfig inference;

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
        return jobs.watch(request.getJobId());
    }

    @Override
    public Uni<TrainingJob> cancelJob(GetJobRequest request) {
        return call(() -> jobs.cancel(request.getJobId()));
    }

    @Override
    @Blocking
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        return call(() -> {
            ModelStore store = new ModelStore(inference.modelStore().path());
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
            if (request.getVersion().isEmpty() || !BundleManifest.VERSION_PATTERN.matcher(request.getVersion()).matches()) {
                throw Errors.invalidArgument("version " + Inputs.quoted(request.getVersion())
                        + " is not a bundle version (1-128 of A-Z, a-z, 0-9, '.', '_', '-'; ListModels names them)");
            }
            ModelStore store = new ModelStore(inference.modelStore().path());
            if (!store.contains(request.getVersion())) {
                throw Errors.notFound("no bundle '" + request.getVersion() + "' in the model store");
            }
            return info(store.activate(request.getVersion(), new BundleLoader(inference.sessionFactory())), true);
        });
    }

    private static ModelInfo info(BundleManifest m, boolean active) {
        return ModelInfos.of(m).setActive(active).build();
    }

    /** Runs the work when the call is subscribed; its failures go to the shared gRPC error handler (service-common). */
    private static <T> Uni<T> call(Callable<T> work) {
        return Uni.createFrom().item(Unchecked.supplier(work::call));
    }
}

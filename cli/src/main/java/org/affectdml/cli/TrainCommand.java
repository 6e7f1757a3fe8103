package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.ActivateModelRequest;
import org.affectdml.proto.v1.Dimension;
import org.affectdml.proto.v1.GetJobRequest;
import org.affectdml.proto.v1.JobState;
import org.affectdml.proto.v1.ListModelsRequest;
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.proto.v1.Protocol;
import org.affectdml.proto.v1.StartTrainingRequest;
import org.affectdml.proto.v1.TrainerGrpc;
import org.affectdml.proto.v1.TrainingJob;
import org.affectdml.proto.v1.Variant;
import picocli.CommandLine;

import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.Callable;

/** affect train: the trainer service's operations (start, status, watch, cancel, models, activate). */
@CommandLine.Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the Affect-DML head on an EMOTIC-format data set and manage model bundles (trainer service).",
        subcommands = {TrainCommand.Start.class, TrainCommand.Status.class, TrainCommand.Watch.class, TrainCommand.Cancel.class,
                TrainCommand.Models.class, TrainCommand.Activate.class})
public class TrainCommand {

    /** Where the trainer is and which (admin) key to send. */
    static class TrainerOptions {
        @CommandLine.Option(names = "--trainer", defaultValue = "${AFFECT_TRAINER_TARGET:-localhost:8104}",
                description = "trainer host:port (default ${DEFAULT-VALUE})")
        String target;

        @CommandLine.Option(names = "--key", defaultValue = "${AFFECT_API_KEY:-}", description = "admin API key (default: $AFFECT_API_KEY)")
        String key;
    }

    /** Runs a call on a trainer stub, printing a failed call's status. */
    abstract static class TrainerCall implements Callable<Integer> {
        @CommandLine.Mixin
        TrainerOptions options;

        abstract int run(TrainerGrpc.TrainerBlockingStub trainer);

        @Override
        public Integer call() {
            ManagedChannel channel = Endpoints.channel(options.target);
            try {
                return run(Endpoints.withKey(TrainerGrpc.newBlockingStub(channel), options.key));
            } catch (StatusRuntimeException e) {
                return Endpoints.fail(e);
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @CommandLine.Command(name = "start", mixinStandardHelpOptions = true, description = "Start a training job (one runs at a time).")
    static class Start extends TrainerCall {
        @CommandLine.Option(names = "--dataset", required = true, description = "EMOTIC-format data set directory, as the trainer sees it")
        String dataset;
        @CommandLine.Option(names = "--protocol", defaultValue = "CAT-6:6", description = "CAT-6:6, CAT-6:4, LEV-7:3 or LEV-6:4 (default ${DEFAULT-VALUE})")
        String protocol;
        @CommandLine.Option(names = "--dimension", description = "valence, arousal or dominance (LEV protocols)")
        String dimension;
        @CommandLine.Option(names = "--variant", defaultValue = "Sem-IB", description = "I, B, IB, Sem-I or Sem-IB (default ${DEFAULT-VALUE})")
        String variant;
        @CommandLine.Option(names = "--epochs", defaultValue = "0", description = "0 = the paper's 100")
        int epochs;
        @CommandLine.Option(names = "--batch-size", defaultValue = "0", description = "0 = the paper's 32")
        int batchSize;
        @CommandLine.Option(names = "--learning-rate", defaultValue = "0", description = "0 = the paper's 3.5e-4 (3.5e-6 for LEV-6:4)")
        double learningRate;
        @CommandLine.Option(names = "--seed", defaultValue = "0", description = "0 = 42")
        long seed;
        @CommandLine.Option(names = "--base-model", defaultValue = "", description = "bundle whose encoders extract features (default: the active one)")
        String base;
        @CommandLine.Option(names = "--activate", description = "activate the new bundle when the job succeeds")
        boolean activate;
        @CommandLine.Option(names = "--watch", description = "follow the job until it ends")
        boolean watch;

        @Override
        int run(TrainerGrpc.TrainerBlockingStub trainer) {
            StartTrainingRequest.Builder r = StartTrainingRequest.newBuilder().setDatasetPath(dataset)
                    .setProtocol(Protocol.valueOf("PROTOCOL_" + protocol.toUpperCase(Locale.ROOT).replace('-', '_').replace(':', '_')))
                    .setVariant(Variant.valueOf("VARIANT_" + variant.toUpperCase(Locale.ROOT).replace("-DML", "").replace('-', '_')))
                    .setEpochs(epochs).setBatchSize(batchSize).setLearningRate(learningRate).setSeed(seed)
                    .setBaseModelVersion(base).setActivate(activate);
            if (dimension != null) {
                r.setDimension(Dimension.valueOf("DIMENSION_" + dimension.toUpperCase(Locale.ROOT)));
            }
            TrainingJob job = trainer.startTraining(r.build());
            System.out.println("started " + job.getJobId());
            return watch ? follow(trainer, job.getJobId()) : 0;
        }
    }

    /** A call about one job, named by the JOB_ID argument. */
    abstract static class JobCall extends TrainerCall {
        @CommandLine.Parameters(paramLabel = "JOB_ID")
        String id;

        GetJobRequest job() {
            return GetJobRequest.newBuilder().setJobId(id).build();
        }
    }

    @CommandLine.Command(name = "status", mixinStandardHelpOptions = true, description = "Show a job.")
    static class Status extends JobCall {
        @Override
        int run(TrainerGrpc.TrainerBlockingStub trainer) {
            System.out.println(line(trainer.getJob(job())));
            return 0;
        }
    }

    @CommandLine.Command(name = "watch", mixinStandardHelpOptions = true, description = "Follow a job until it ends; exit 0 if it succeeded.")
    static class Watch extends JobCall {
        @Override
        int run(TrainerGrpc.TrainerBlockingStub trainer) {
            return follow(trainer, id);
        }
    }

    @CommandLine.Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job; it stops at the next batch.")
    static class Cancel extends JobCall {
        @Override
        int run(TrainerGrpc.TrainerBlockingStub trainer) {
            System.out.println(line(trainer.cancelJob(job())));
            return 0;
        }
    }

    @CommandLine.Command(name = "models", mixinStandardHelpOptions = true, description = "List the bundles in the model store, newest first.")
    static class Models extends TrainerCall {
        @Override
        int run(TrainerGrpc.TrainerBlockingStub trainer) {
            for (ModelInfo m : trainer.listModels(ListModelsRequest.getDefaultInstance()).getModelsList()) {
                Double acc = m.getMetricsMap().get("one_shot_mean_balanced");
                System.out.printf("%s %-40s %-26s %-12s %s%n", m.getActive() ? "*" : " ", m.getVersion(), m.getHeadKind(), m.getProtocol(),
                        acc == null ? "" : String.format(Locale.ROOT, "one-shot balanced %.3f", acc));
            }
            return 0;
        }
    }

    @CommandLine.Command(name = "activate", mixinStandardHelpOptions = true, description = "Verify a bundle and make it the active one.")
    static class Activate extends TrainerCall {
        @CommandLine.Parameters(paramLabel = "VERSION")
        String version;

        @Override
        int run(TrainerGrpc.TrainerBlockingStub trainer) {
            ModelInfo m = trainer.activateModel(ActivateModelRequest.newBuilder().setVersion(version).build());
            System.out.println("active: " + m.getVersion());
            return 0;
        }
    }

    static int follow(TrainerGrpc.TrainerBlockingStub trainer, String id) {
        TrainingJob last = null;
        String previous = "";
        for (Iterator<TrainingJob> it = trainer.watchJob(GetJobRequest.newBuilder().setJobId(id).build()); it.hasNext(); ) {
            last = it.next();
            String now = line(last);
            if (!now.equals(previous)) {
                System.out.println(now);
                previous = now;
            }
        }
        return last != null && last.getState() == JobState.JOB_STATE_SUCCEEDED ? 0 : 1;
    }

    static String line(TrainingJob j) {
        String state = j.getState().name().replace("JOB_STATE_", "").toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s %s %s %3.0f%%", j.getJobId(), state, j.getPhase(), 100 * j.getProgress()));
        if (j.getEtaSeconds() > 0) {
            b.append(String.format(Locale.ROOT, " ETA %.0fs", j.getEtaSeconds()));
        }
        if (!j.getProducedModelVersion().isEmpty()) {
            b.append(" -> ").append(j.getProducedModelVersion());
        }
        return b.append(" | ").append(j.getMessage()).toString();
    }
}

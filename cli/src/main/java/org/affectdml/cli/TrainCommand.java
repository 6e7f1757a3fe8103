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
import java.util.function.ToIntFunction;

/** affect train: the trainer service's operations (start, status, watch, cancel, models, activate). */
@CommandLine.Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the Affect-DML head on an EMOTIC-format data set and manage model bundles (trainer service).",
        subcommands = TrainCommand.Start.class)
public class TrainCommand {

    /** Where the trainer is and which (admin) key to send. */
    static class TrainerOptions {
        @CommandLine.Option(names = "--trainer", defaultValue = "${AFFECT_TRAINER_TARGET:-localhost:8104}",
                description = "trainer host:port (default ${DEFAULT-VALUE})")
        String target;

        @CommandLine.Option(names = "--key", defaultValue = "${AFFECT_API_KEY:-}", description = "admin API key (default: $AFFECT_API_KEY)")
        String key;

        /** Runs a call on a trainer stub, printing a failed call's status; returns the exit code. */
        int call(ToIntFunction<TrainerGrpc.TrainerBlockingStub> work) {
            ManagedChannel channel = Endpoints.channel(target);
            try {
                return work.applyAsInt(Endpoints.withKey(TrainerGrpc.newBlockingStub(channel), key));
            } catch (StatusRuntimeException e) {
                return Endpoints.fail(e);
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** A command with the trainer's options and one call on its stub. */
    abstract static class TrainerCall implements Callable<Integer> {
        @CommandLine.Mixin
        TrainerOptions options;

        abstract int run(TrainerGrpc.TrainerBlockingStub trainer);

        @Override
        public Integer call() {
            return options.call(this::run);
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
        @CommandLine.Option(names = "--alpha", description = "weight of the triplet loss (paper 0.5; 0 = cross-entropy only)")
        Double alpha;
        @CommandLine.Option(names = "--beta", description = "weight of the cross-entropy (paper 0.5)")
        Double beta;
        @CommandLine.Option(names = "--train-encoders", paramLabel = "LR",
                description = "train both encoders with the head at this learning rate (the paper's joint training); default: frozen encoders")
        Double encoderLearningRate;
        @CommandLine.Option(names = "--warmup-steps", defaultValue = "0", paramLabel = "N",
                description = "scale the first N steps' learning rates by (step + 1) / N, for RMSprop's large first steps (default: none, the paper's)")
        int warmupSteps;
        @CommandLine.Option(names = "--split", defaultValue = "pooled",
                description = "pooled (the paper's) or image-disjoint: no image shared by training, supports and queries (default ${DEFAULT-VALUE})")
        String split;

        @Override
        int run(TrainerGrpc.TrainerBlockingStub trainer) {
            StartTrainingRequest.Builder r = StartTrainingRequest.newBuilder().setDatasetPath(dataset)
                    .setProtocol(Protocol.valueOf("PROTOCOL_" + protocol.toUpperCase(Locale.ROOT).replace('-', '_').replace(':', '_')))
                    .setVariant(Variant.valueOf("VARIANT_" + variant.toUpperCase(Locale.ROOT).replace("-DML", "").replace('-', '_')))
                    .setEpochs(epochs).setBatchSize(batchSize).setLearningRate(learningRate).setSeed(seed)
                    .setBaseModelVersion(base).setActivate(activate).setWarmupSteps(warmupSteps);
            if (dimension != null) {
                r.setDimension(Dimension.valueOf("DIMENSION_" + dimension.toUpperCase(Locale.ROOT)));
            }
            if (alpha != null) {
                r.setAlpha(alpha);
            }
            if (encoderLearningRate != null) {
                r.setEncoderLearningRate(encoderLearningRate);
            }
            if (beta != null) {
                r.setBeta(beta);
            }
            r.setSplit(switch (split.trim().toLowerCase(Locale.ROOT)) {
                case "pooled" -> org.affectdml.proto.v1.Split.SPLIT_POOLED;
                case "image-disjoint" -> org.affectdml.proto.v1.Split.SPLIT_IMAGE_DISJOINT;
                default -> throw new IllegalArgumentException("--split must be pooled or image-disjoint, got " + split);
            });
            TrainingJob job = trainer.startTraining(r.build());
            System.out.println("started " + job.getJobId());
            return watch ? follow(trainer, job.getJobId()) : 0;
        }
    }

    @CommandLine.Command(name = "status", mixinStandardHelpOptions = true, description = "Show a job.")
    int status(@CommandLine.Mixin TrainerOptions trainer, @CommandLine.Parameters(paramLabel = "JOB_ID") String id) {
        return trainer.call(t -> print(line(t.getJob(job(id)))));
    }

    @CommandLine.Command(name = "watch", mixinStandardHelpOptions = true, description = "Follow a job until it ends; exit 0 if it succeeded.")
    int watch(@CommandLine.Mixin TrainerOptions trainer, @CommandLine.Parameters(paramLabel = "JOB_ID") String id) {
        return trainer.call(t -> follow(t, id));
    }

    @CommandLine.Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job; it stops at the next batch.")
    int cancel(@CommandLine.Mixin TrainerOptions trainer, @CommandLine.Parameters(paramLabel = "JOB_ID") String id) {
        return trainer.call(t -> print(line(t.cancelJob(job(id)))));
    }

    @CommandLine.Command(name = "models", mixinStandardHelpOptions = true, description = "List the bundles in the model store, newest first.")
    int models(@CommandLine.Mixin TrainerOptions trainer) {
        return trainer.call(t -> {
            for (ModelInfo m : t.listModels(ListModelsRequest.getDefaultInstance()).getModelsList()) {
                Double acc = m.getMetricsMap().get("one_shot_mean_balanced");
                System.out.printf("%s %-40s %-26s %-12s %s%n", m.getActive() ? "*" : " ", m.getVersion(), m.getHeadKind(), m.getProtocol(),
                        acc == null ? "" : String.format(Locale.ROOT, "one-shot balanced %.3f", acc));
            }
            return 0;
        });
    }

    @CommandLine.Command(name = "activate", mixinStandardHelpOptions = true, description = "Verify a bundle and make it the active one.")
    int activate(@CommandLine.Mixin TrainerOptions trainer, @CommandLine.Parameters(paramLabel = "VERSION") String version) {
        return trainer.call(t -> print("active: " + t.activateModel(ActivateModelRequest.newBuilder().setVersion(version).build()).getVersion()));
    }

    private static int print(String line) {
        System.out.println(line);
        return 0;
    }

    private static GetJobRequest job(String id) {
        return GetJobRequest.newBuilder().setJobId(id).build();
    }

    /** Consecutive failed reconnections of a watch before giving up (one a second). */
    private static final int WATCH_RECONNECTS = 30;

    /**
     * Prints the job's state as it changes until it ends. A watch is one long stream: the trainer's connection-age
     * limit (affect.transport.max-connection-age) or a restart ends it while the job goes on, so an UNAVAILABLE
     * stream is watched again, saying so, and only {@link #WATCH_RECONNECTS} failures in a row give up.
     */
    static int follow(TrainerGrpc.TrainerBlockingStub trainer, String id) {
        TrainingJob last = null;
        String previous = "";
        int failures = 0;
        while (true) {
            try {
                for (Iterator<TrainingJob> it = trainer.watchJob(job(id)); it.hasNext(); ) {
                    last = it.next();
                    failures = 0;
                    String now = line(last);
                    if (!now.equals(previous)) {
                        System.out.println(now);
                        previous = now;
                    }
                }
                return last != null && last.getState() == JobState.JOB_STATE_SUCCEEDED ? 0 : 1;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE || ++failures > WATCH_RECONNECTS) {
                    throw e;
                }
                System.err.println("watch of " + id + " interrupted (" + e.getStatus().getCode() + "); watching again");
                try {
                    Thread.sleep(failures == 1 ? 100 : 1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
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

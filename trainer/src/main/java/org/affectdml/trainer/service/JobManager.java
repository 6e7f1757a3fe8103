package org.affectdml.trainer.service;

import org.affectdml.serving.InferenceConfig;
import io.grpc.Status;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.trainer.encoder.OnnxConvNet;
import org.affectdml.proto.v1.JobState;
import org.affectdml.proto.v1.StartTrainingRequest;
import org.affectdml.proto.v1.TrainingJob;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.pipeline.PipelineListener;
import org.affectdml.trainer.pipeline.TrainingPipeline;
import org.affectdml.trainer.pipeline.TrainingRequest;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * Runs training jobs one at a time on a worker thread, keeps every job as a file so that a job interrupted by
 * a restart is marked INTERRUPTED (never left RUNNING), and streams each change to watchers.
 */
@ApplicationScoped
public class JobManager {

    private static final Logger LOG = Logger.getLogger(JobManager.class);
    private static final Set<JobState> ENDED = Set.of(JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED,
            JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_INTERRUPTED);
    private static final long PROGRESS_INTERVAL_NANOS = 500_000_000L;

    @Inject
    TrainerConfig config;
    @Inject
    InferenceConfig inference;
    @Inject
    TrainingRequests requests;

    private final Map<String, TrainingJob> jobs = new ConcurrentHashMap<>();
    private final Map<String, List<MultiEmitter<? super TrainingJob>>> watchers = new ConcurrentHashMap<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "trainer-job");
        t.setDaemon(true);
        return t;
    });
    private JobRecords records;
    private volatile String runningJob;
    private volatile boolean cancelRequested;

    void onStart(@Observes StartupEvent event) throws IOException {
        // DJL's PyTorch natives ship in the pytorch-native-cpu jar: never download; plots render without a display
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.setProperty("java.awt.headless", "true");
        config.deprecatedKeysInUse().forEach(key -> LOG.warnf("deprecated setting %s", key));
        records = new JobRecords(config.workDir().resolve("jobs"));
        for (TrainingJob job : records.loadAll()) {
            if (!ENDED.contains(job.getState())) {
                job = job.toBuilder().setState(JobState.JOB_STATE_INTERRUPTED).setUpdated(now())
                        .setMessage("the trainer stopped while this job was " + (job.getPhase().isEmpty() ? "queued" : job.getPhase())
                                + "; start it again (features already extracted are cached)").build();
                records.save(job);
                LOG.warnf("job %s was interrupted by a restart", job.getJobId());
            }
            jobs.put(job.getJobId(), job);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        String running = runningJob;
        if (running != null) {
            cancelRequested = true;
            update(running, b -> b.setState(JobState.JOB_STATE_INTERRUPTED).setMessage("the trainer shut down while this job ran"));
        }
        worker.shutdownNow();
    }

    public synchronized TrainingJob start(StartTrainingRequest request) {
        TrainingRequest training = requests.toTrainingRequest(request);
        if (runningJob != null) {
            throw Status.FAILED_PRECONDITION.withDescription("job " + runningJob + " is running; one job runs at a time "
                    + "(watch it with WatchJob or cancel it with CancelJob)").asRuntimeException();
        }
        if (training.encoderLearningRate() != null) {
            requireTrainableEncoders(training);
        }
        String id = "job-" + UUID.randomUUID().toString().substring(0, 8);
        TrainingJob job = TrainingJob.newBuilder().setJobId(id).setRequest(request).setState(JobState.JOB_STATE_QUEUED)
                .setCreated(now()).setUpdated(now()).setMessage("queued").build();
        jobs.put(id, job);
        save(job);
        runningJob = id;
        cancelRequested = false;
        worker.submit(() -> run(id, training));
        return job;
    }

    /**
     * Joint training refuses, before any work, a base bundle whose encoders hold an operator it cannot train:
     * FAILED_PRECONDITION naming the operator and the node. (A missing bundle is left to the job, which says so.)
     */
    private void requireTrainableEncoders(TrainingRequest training) {
        ModelStore store = new ModelStore(inference.modelStore().path());
        String base = training.baseVersion() != null && !training.baseVersion().isBlank() ? training.baseVersion()
                : store.activeVersion().orElse(null);
        try {
            if (base == null || !store.contains(base)) {
                return;
            }
        } catch (RuntimeException notAVersion) {
            return;
        }
        try {
            Path directory = store.bundleDirectory(base);
            BundleManifest manifest = org.affectdml.inference.bundle.Manifests.read(directory);
            for (String role : List.of(Roles.IMAGE_ENCODER, Roles.BODY_ENCODER)) {
                ModelFile file = manifest.file(role);
                if (file != null) {
                    try {
                        OnnxConvNet.requireSupported(Files.readAllBytes(directory.resolve(file.path())));
                    } catch (IllegalArgumentException e) {
                        throw Status.FAILED_PRECONDITION.withDescription("--train-encoders: the " + role + " of bundle " + base + ": "
                                + e.getMessage()).asRuntimeException();
                    }
                }
            }
        } catch (IOException e) {
            throw Status.UNAVAILABLE.withDescription("cannot read bundle " + base + " to check its encoders: " + e.getMessage())
                    .asRuntimeException();
        }
    }

    /** The job running now, if any. */
    public Optional<TrainingJob> running() {
        String id = runningJob;
        return id == null ? Optional.empty() : Optional.ofNullable(jobs.get(id));
    }

    public TrainingJob get(String id) {
        requireJobId(id);
        TrainingJob job = jobs.get(id);
        if (job == null) {
            throw Status.NOT_FOUND.withDescription("no job " + Inputs.quoted(id)).asRuntimeException();
        }
        return job;
    }

    private static final java.util.regex.Pattern JOB_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,128}");

    /** INVALID_ARGUMENT for a job id no job can have (job ids are "job-" and 8 hex digits; older ones 1-128 of [A-Za-z0-9._-]). */
    static void requireJobId(String id) {
        if (!JOB_ID.matcher(id).matches()) {
            throw Errors.invalidArgument("job_id " + Inputs.quoted(id) + " is not a job id (e.g. job-1a2b3c4d, as StartTraining answered)");
        }
    }

    public synchronized TrainingJob cancel(String id) {
        TrainingJob job = get(id);
        if (ENDED.contains(job.getState())) {
            throw Status.FAILED_PRECONDITION.withDescription("job " + id + " has already ended (" + job.getState() + ")").asRuntimeException();
        }
        cancelRequested = true;
        return update(id, b -> b.setMessage("cancelling: stops at the next batch"));
    }

    /** The job's state now, then at every change until it ends. */
    public Multi<TrainingJob> watch(String id) {
        try {
            get(id);
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(e);
        }
        return Multi.createFrom().emitter(emitter -> {
            watchers.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(emitter);
            emitter.onTermination(() -> watchers.getOrDefault(id, List.of()).remove(emitter));
            TrainingJob current = jobs.get(id);
            emitter.emit(current);
            if (ENDED.contains(current.getState())) {
                emitter.complete();
            }
        });
    }

    private void run(String id, TrainingRequest request) {
        update(id, b -> b.setState(JobState.JOB_STATE_RUNNING).setMessage("started"));
        try {
            TrainingPipeline pipeline = new TrainingPipeline(new ModelStore(inference.modelStore().path()), inference.sessionFactory(),
                    config.workDir().resolve("cache"), config.workDir().resolve("reports"));
            TrainingPipeline.Outcome outcome = pipeline.train(request, new JobListener(id, request.config().epochs()));
            update(id, b -> b.setState(JobState.JOB_STATE_SUCCEEDED).setProgress(1).setEtaSeconds(0)
                    .setProducedModelVersion(outcome.version())
                    .setMessage(String.format("published %s%s: one-shot balanced accuracy %.3f ± %.3f over %d draws "
                                    + "(single draw %.3f overall); report in %s", outcome.version(), request.activate() ? " (active)" : "",
                            outcome.evaluation().draws().balancedMean(), outcome.evaluation().draws().balancedCi95(),
                            outcome.evaluation().draws().count(), outcome.evaluation().singleDraw().overall(), outcome.reportDirectory())));
        } catch (java.util.concurrent.CancellationException e) {
            update(id, b -> b.setState(JobState.JOB_STATE_CANCELLED).setMessage(e.getMessage()));
        } catch (Exception | LinkageError e) {
            LOG.errorf(e, "job %s failed", id);
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            update(id, b -> b.setState(JobState.JOB_STATE_FAILED).setMessage(message));
        }
    }

    /** Turns pipeline events into job updates (progress at most every 0.5 s). */
    private final class JobListener implements PipelineListener {
        private final String id;
        private final int epochs;
        private long lastProgress;
        private double epochSeconds;

        JobListener(String id, int epochs) {
            this.id = id;
            this.epochs = epochs;
        }

        @Override
        public void phase(String phase, String message) {
            LOG.infof("job %s: %s: %s", id, phase, message);
            update(id, b -> b.setPhase(phase).setProgress(0).setEtaSeconds(0).setMessage(message));
        }

        @Override
        public void progress(double fraction, double etaSeconds, String line) {
            long now = System.nanoTime();
            if (now - lastProgress < PROGRESS_INTERVAL_NANOS && fraction < 1) {
                return;
            }
            lastProgress = now;
            if (line != null) {
                LOG.infof("job %s: %s", id, line);
            }
            double eta = etaSeconds > 0 ? etaSeconds : epochSeconds * epochs * (1 - fraction);
            update(id, b -> b.setProgress(fraction).setEtaSeconds(eta));
        }

        @Override
        public void epoch(HeadTrainer.EpochReport r) {
            epochSeconds = epochSeconds == 0 ? r.seconds() : 0.5 * (epochSeconds + r.seconds());
            String line = String.format("epoch %d/%d loss %.4f (triplet %.4f, CE %.4f) validation balanced accuracy %.3f%s, %.1f s",
                    r.epoch(), r.epochs(), r.loss(), r.tripletLoss(), r.crossEntropy(), r.validationAccuracy(), r.best() ? " (best)" : "", r.seconds());
            LOG.infof("job %s: %s", id, line);
            update(id, b -> b.setEpoch(r.epoch()).setTrainLoss(r.loss())
                    .setValidationAccuracy(Double.isNaN(r.validationAccuracy()) ? 0 : r.validationAccuracy())
                    .setProgress((double) r.epoch() / r.epochs()).setEtaSeconds(epochSeconds * (r.epochs() - r.epoch())).setMessage(line));
        }

        @Override
        public void log(String line) {
            LOG.infof("job %s: %s", id, line);
        }

        @Override
        public boolean cancelled() {
            return cancelRequested;
        }
    }

    private synchronized TrainingJob update(String id, UnaryOperator<TrainingJob.Builder> change) {
        TrainingJob current = jobs.get(id);
        if (current == null || (ENDED.contains(current.getState()))) {
            return current;
        }
        TrainingJob next = change.apply(current.toBuilder()).setUpdated(now()).build();
        jobs.put(id, next);
        save(next);
        if (ENDED.contains(next.getState()) && id.equals(runningJob)) {
            runningJob = null;  // before watchers hear of the end, so a new job can start right away
        }
        for (MultiEmitter<? super TrainingJob> w : watchers.getOrDefault(id, List.of())) {
            w.emit(next);
            if (ENDED.contains(next.getState())) {
                w.complete();
            }
        }
        return next;
    }

    private void save(TrainingJob job) {
        try {
            records.save(job);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the job record of " + job.getJobId(), e);
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    }
}

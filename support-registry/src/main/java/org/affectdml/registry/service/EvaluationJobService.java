package org.affectdml.registry.service;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.EvaluationHeader;
import org.affectdml.proto.v1.EvaluationJob;
import org.affectdml.proto.v1.EvaluationJobState;
import org.affectdml.proto.v1.LabelledQuery;
import org.affectdml.proto.v1.QueryError;
import org.affectdml.proto.v1.TaxonomyEvaluation;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.client.EmbeddingClient;
import org.affectdml.registry.repository.EvaluationJobRepository;
import org.affectdml.registry.repository.TaxonomyEvaluationRepository;
import org.affectdml.service.errors.Errors;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * StartEvaluation and GetEvaluationJob: an uploaded set of labelled queries (spooled by {@link EvaluationUploadSpool})
 * becomes a job that embeds them batch by batch with the version the taxonomy is served with, answers each by
 * nearest support, and stores the figures ({@link TaxonomyEvaluationService}). State and progress live in the
 * database, so any replica answers GetEvaluationJob; the replica that took the upload runs the job and keeps it
 * marked alive, so a job whose replica stopped is reported FAILED after affect.registry.evaluation.stale-after.
 */
@ApplicationScoped
public class EvaluationJobService {

    private static final Logger LOG = Logger.getLogger(EvaluationJobService.class);
    private static final int MAX_REPORTED_ERRORS = 20;

    @Inject
    TaxonomyEvaluationService evaluations;
    @Inject
    TaxonomyService taxonomies;
    @Inject
    EmbeddingClient embeddings;
    @Inject
    EvaluationJobRepository jobs;
    @Inject
    TaxonomyEvaluationRepository stored;
    @Inject
    RegistryConfig config;

    /** Jobs this replica holds (queued or running), kept alive in the database. */
    private final Set<UUID> held = ConcurrentHashMap.newKeySet();
    private ExecutorService runner;
    private ScheduledExecutorService heartbeat;

    void start(@Observes StartupEvent event) {
        int removed = SpoolFiles.removeLeftovers(spoolDirectory());
        if (removed > 0) {
            LOG.infof("removed %d upload spool file(s) left by a registry process that stopped", removed);
        }
        runner = Executors.newFixedThreadPool(config.evaluation().concurrentJobs(), daemon("evaluation-job"));
        heartbeat = Executors.newSingleThreadScheduledExecutor(daemon("evaluation-heartbeat"));
        long ms = Math.max(1000, config.evaluation().staleAfter().toMillis() / 5);
        heartbeat.scheduleWithFixedDelay(this::keepAlive, ms, ms, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (runner != null) {
            runner.shutdownNow();
            heartbeat.shutdownNow();
        }
        for (UUID id : Set.copyOf(held)) {
            fail(id, "the registry replica running this job shut down; start the evaluation again");
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private void keepAlive() {
        try {
            QuarkusTransaction.requiringNew().run(() -> jobs.touch(Set.copyOf(held)));
        } catch (RuntimeException e) {
            LOG.debugf("could not mark evaluation jobs alive (retried): %s", e.getMessage());
        }
    }

    /** A spool for one upload, checked against the registry's limits and the header's taxonomy. */
    public EvaluationUploadSpool newSpool() {
        return new EvaluationUploadSpool(spoolDirectory(), new EvaluationUploadSpool.Limits(config.evaluation().maxQueries(),
                config.evaluation().maxUploadBytes(), config.maxImageBytes()), this::classNames);
    }

    /** Where uploads (evaluations and imports) are spooled. */
    public Path spoolDirectory() {
        return config.evaluation().spoolDirectory().orElse(Path.of(System.getProperty("java.io.tmpdir"), "affect-evaluations"));
    }

    private Set<String> classNames(String taxonomy) {
        return QuarkusTransaction.requiringNew().call(() -> new HashSet<>(taxonomies.require(taxonomy).classes.stream()
                .map(c -> c.name).toList()));
    }

    /**
     * Turns a finished upload into a job and queues it. What can be told now is an error of this call (the spool is
     * then deleted): the taxonomy cannot be evaluated (no served version, too many supports, nothing to leave out).
     */
    public EvaluationJob submit(EvaluationUploadSpool spool) {
        try {
            EvaluationHeader header = spool.finish();
            float target = TaxonomyEvaluationService.targetFalseAcceptRate(header.getTargetFalseAcceptRate());
            TaxonomyEvaluationService.Scope scope = evaluations.scope(header.getTaxonomy());
            if (spool.queries() == 0 && java.util.Arrays.stream(scope.supportsPerClass()).noneMatch(n -> n >= 2)) {
                throw Errors.failedPrecondition("taxonomy '" + scope.taxonomy() + "' has no class with two supports and the upload "
                        + "has no query: there is nothing to evaluate (upload labelled queries, or add a second support to a class)");
            }
            UUID id = UUID.randomUUID();
            QuarkusTransaction.requiringNew().run(() -> {
                jobs.deleteEndedBefore(config.evaluation().keepJobs());
                jobs.insert(id, scope.taxonomyId(), spool.queries());
            });
            held.add(id);
            runner.execute(() -> run(id, scope, target, spool));
            return get(id.toString());
        } catch (RuntimeException e) {
            spool.discard();
            throw e;
        }
    }

    private void run(UUID id, TaxonomyEvaluationService.Scope scope, float target, EvaluationUploadSpool spool) {
        try (spool) {
            QuarkusTransaction.requiringNew().run(() -> jobs.progress(id, "RUNNING", 0, 0));
            TaxonomyEvaluation evaluation;
            int done;
            int skipped;
            if (spool.queries() == 0) {
                evaluation = evaluations.ofSupports(scope, target);
                done = 0;
                skipped = 0;
            } else {
                Answers answers = answer(id, scope, spool);
                evaluation = evaluations.ofLabelledQueries(scope, answers.answers, answers.known, target, answers.skipped, answers.errors,
                        answers.excludedIdentical);
                done = spool.queries();
                skipped = answers.skipped;
            }
            TaxonomyEvaluation result = evaluation;
            QuarkusTransaction.requiringNew().run(() -> jobs.succeeded(id, done, skipped, evaluations.store(scope, result)));
            LOG.infof("evaluation job %s of '%s': %d queries, accuracy %.4f", id, scope.taxonomy(), done, evaluation.getAccuracy());
        } catch (StatusRuntimeException e) {
            fail(id, e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        } catch (RuntimeException e) {
            LOG.warnf(e, "evaluation job %s failed", id);
            fail(id, "unexpected failure (the registry log has it); start the evaluation again");
        } finally {
            held.remove(id);
        }
    }

    private void fail(UUID id, String error) {
        try {
            QuarkusTransaction.requiringNew().run(() -> jobs.failed(id, error));
        } catch (RuntimeException e) {
            LOG.warnf("could not record the failure of evaluation job %s: %s", id, e.getMessage());
        }
        held.remove(id);
    }

    /** The answered queries, and those the embedding-service refused. */
    private static final class Answers {
        final List<EvaluationFigures.Answer> answers = new ArrayList<>();
        /** The answers of queries with a class, with each class's distance: what a temperature is fitted on. */
        final List<TemperatureFit.Answer> known = new ArrayList<>();
        final List<QueryError> errors = new ArrayList<>();
        int skipped;
        /** Queries whose image is a support's image, byte for byte: left out. */
        int excludedIdentical;

        void skip(int index, String message) {
            skipped++;
            if (errors.size() < MAX_REPORTED_ERRORS) {
                errors.add(QueryError.newBuilder().setIndex(index).setMessage(message).build());
            }
        }
    }

    /** Embeds the spooled queries batch by batch (progress stored after each) and answers each by nearest support. */
    private Answers answer(UUID id, TaxonomyEvaluationService.Scope scope, EvaluationUploadSpool spool) {
        Answers out = new Answers();
        java.util.Set<String> supportImages = new java.util.HashSet<>(java.util.Arrays.asList(scope.supports().imageOf()));
        Iterator<LabelledQuery> queries = spool.read();
        int index = 0;
        while (queries.hasNext()) {
            if (Thread.currentThread().isInterrupted()) {
                throw Errors.unavailable("the registry is shutting down");
            }
            List<Integer> indexes = new ArrayList<>();
            List<Integer> truths = new ArrayList<>();
            List<String> shas = new ArrayList<>();
            List<EmbeddingClient.Item> items = new ArrayList<>();
            while (queries.hasNext() && items.size() < config.evaluation().batchSize()) {
                LabelledQuery q = queries.next();
                int at = index++;
                try {
                    UploadedImage image = UploadedImage.accept(q.getImage(), "image", config.maxImageBytes());
                    String sha = org.apache.commons.codec.digest.DigestUtils.sha256Hex(image.bytes());
                    if (supportImages.contains(sha)) {
                        out.excludedIdentical++;
                        continue;
                    }
                    var b = q.getBox();
                    items.add(new EmbeddingClient.Item(image.bytes(), image.mediaType(), b.getX1(), b.getY1(), b.getX2(), b.getY2()));
                    indexes.add(at);
                    shas.add(sha);
                    truths.add(q.getClassName().isEmpty() ? EvaluationFigures.NO_CLASS : scope.classIndex(q.getClassName()));
                } catch (StatusRuntimeException e) {
                    out.skip(at, e.getStatus().getDescription());
                }
            }
            List<EmbeddingClient.Embedded> vectors = embed(items, indexes, scope.version(), out);
            for (int i = 0; i < items.size(); i++) {
                if (vectors.get(i) != null) {
                    // one pass over the supports serves both the answer and the calibration
                    double[] nearest = LeaveOneOutEvaluator.nearestPerClass(scope.supports(), vectors.get(i).values());
                    out.answers.add(LeaveOneOutEvaluator.answer(nearest, truths.get(i), shas.get(i)));
                    if (truths.get(i) != EvaluationFigures.NO_CLASS) {
                        out.known.add(TemperatureFit.ofQuery(nearest, truths.get(i), shas.get(i)));
                    }
                }
            }
            int done = index;
            QuarkusTransaction.requiringNew().run(() -> jobs.progress(id, "RUNNING", done, out.skipped));
        }
        return out;
    }

    /**
     * One EmbedBatch call; when it refuses the batch for a bad item, each item alone, so the bad ones are skipped
     * (null at their position) and the others answered.
     */
    private List<EmbeddingClient.Embedded> embed(List<EmbeddingClient.Item> items, List<Integer> indexes, String version, Answers out) {
        if (items.isEmpty()) {
            return List.of();
        }
        try {
            return embeddings.embedBatch(items, version, EmbeddingClient.Extras.NONE);
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                throw e;
            }
        }
        List<EmbeddingClient.Embedded> vectors = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            try {
                vectors.add(embeddings.embed(items.get(i), version, EmbeddingClient.Extras.NONE));
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                    throw e;
                }
                vectors.add(null);
                out.skip(indexes.get(i), e.getStatus().getDescription());
            }
        }
        return vectors;
    }

    /** The job as stored; NOT_FOUND for an unknown or malformed id. */
    public EvaluationJob get(String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw Errors.invalidArgument("evaluation job id " + org.affectdml.service.errors.Inputs.quoted(id) + " is not a UUID");
        }
        return QuarkusTransaction.requiringNew().call(() -> {
            EvaluationJobRepository.Job job = jobs.find(uuid, config.evaluation().staleAfter()).orElseThrow(() ->
                    Errors.notFound("no evaluation job " + uuid + " (ended jobs are kept " + config.evaluation().keepJobs() + ")"));
            EvaluationJob.Builder b = EvaluationJob.newBuilder().setId(job.id().toString()).setTaxonomy(job.taxonomy())
                    .setQueriesTotal(job.total()).setQueriesDone(job.done()).setQueriesSkipped(job.skipped())
                    .setCreated(job.created().toString()).setUpdated(job.updated().toString());
            if (job.stale()) {
                return b.setState(EvaluationJobState.EVALUATION_JOB_STATE_FAILED)
                        .setError("no progress for " + config.evaluation().staleAfter() + ": the registry replica running it stopped; "
                                + "start the evaluation again").build();
            }
            b.setState(EvaluationJobState.valueOf("EVALUATION_JOB_STATE_" + job.state())).setError(job.error());
            if (job.evaluationId() != null) {
                stored.byId(job.evaluationId()).ifPresent(b::setEvaluation);
            }
            return b.build();
        });
    }
}

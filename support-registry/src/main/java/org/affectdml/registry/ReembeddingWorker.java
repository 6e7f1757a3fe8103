package org.affectdml.registry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.proto.v1.ReembeddingStatus;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps every support embedded with the model embedding-service serves. It polls the active version and
 * embeds, batch by batch, the supports that have no embedding of it. The work to do is derived from the
 * database each time, so it resumes by itself after a restart. Embeddings of versions that are neither
 * active nor the previous one are deleted once nothing is missing.
 * <p>Progress is exported as metrics: {@code affect_registry_reembedding_pending} (supports still lacking an
 * embedding of the target version, counted when a pass finds work and lowered after each batch),
 * {@code affect_registry_reembedding_embedded_total}, {@code affect_registry_reembedding_running},
 * {@code affect_registry_reembedding_failures_total}, {@code affect_registry_reembedding_batch_size} and
 * {@code affect_registry_model_target{version}} (the version supports are being brought to).
 */
@ApplicationScoped
public class ReembeddingWorker {

    private static final Logger LOG = Logger.getLogger(ReembeddingWorker.class);

    @Inject
    EntityManager em;
    @Inject
    EmbeddingClient embeddings;
    @Inject
    TaxonomyService taxonomies;
    @Inject
    RegistryConfig config;
    @Inject
    MeterRegistry registry;

    private ScheduledExecutorService scheduler;
    private volatile long pending;
    private Counter embedded;
    private Counter failures;
    private DistributionSummary batchSizes;
    private MultiGauge target;
    private volatile boolean running;
    private volatile String targetVersion = "";
    private volatile String previousVersion = "";
    private volatile String lastError = "";

    void start(@Observes StartupEvent event) {
        registerMetrics();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reembedding");
            t.setDaemon(true);
            return t;
        });
        long ms = config.reembedding().interval().toMillis();
        scheduler.scheduleWithFixedDelay(this::runOnce, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void registerMetrics() {
        Gauge.builder("affect.registry.reembedding.pending", this, w -> w.pending)
                .description("Supports without an embedding of the target model version (as of the last pass or batch)")
                .register(registry);
        Gauge.builder("affect.registry.reembedding.running", this, w -> w.running ? 1 : 0)
                .description("1 while a re-embedding pass is embedding supports")
                .register(registry);
        embedded = Counter.builder("affect.registry.reembedding.embedded")
                .description("Supports embedded by the re-embedding worker").register(registry);
        failures = Counter.builder("affect.registry.reembedding.failures")
                .description("Re-embedding passes that failed (retried on the next interval)").register(registry);
        batchSizes = DistributionSummary.builder("affect.registry.reembedding.batch.size")
                .description("Supports per EmbedBatch call of the re-embedding worker").register(registry);
        target = MultiGauge.builder("affect.registry.model.target")
                .description("1 for the model version the registry brings every support to (embedding-service's active one)")
                .register(registry);
    }

    void stop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    /** One pass: find the active version, embed what is missing, prune unused versions. */
    public void runOnce() {
        try {
            ModelInfo model = embeddings.model();
            if (!model.getVersion().equals(targetVersion)) {
                target.register(List.of(MultiGauge.Row.of(Tags.of("version", model.getVersion()), 1)), true);
            }
            targetVersion = model.getVersion();
            previousVersion = model.getPreviousVersion();
            int done = 0;
            List<UUID> batch = missing(targetVersion, config.reembedding().batchSize());
            if (!batch.isEmpty()) {
                // Counted only when there is work: an idle pass stays one LIMIT query.
                pending = countMissing(targetVersion);
            }
            for (; !batch.isEmpty(); batch = missing(targetVersion, config.reembedding().batchSize())) {
                running = true;
                embedBatch(batch, targetVersion);
                done += batch.size();
                embedded.increment(batch.size());
                batchSizes.record(batch.size());
                pending = Math.max(0, pending - batch.size());
                LOG.infof("re-embedding with %s: %d more supports done, %d to go", targetVersion, done, pending);
            }
            pending = 0;
            running = false;
            prune(targetVersion, previousVersion);
            lastError = "";
        } catch (RuntimeException e) {
            running = false;
            failures.increment();
            lastError = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.debugf("re-embedding pass failed (will retry): %s", lastError);
        }
    }

    private long countMissing(String version) {
        return QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery("""
                        SELECT count(*) FROM support_sample s WHERE NOT EXISTS (
                            SELECT 1 FROM support_embedding e WHERE e.sample_id = s.id AND e.model_version = ?1)""")
                .setParameter(1, version).getSingleResult()).longValue());
    }

    @SuppressWarnings("unchecked")
    private List<UUID> missing(String version, int limit) {
        return QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery("""
                        SELECT s.id FROM support_sample s WHERE NOT EXISTS (
                            SELECT 1 FROM support_embedding e WHERE e.sample_id = s.id AND e.model_version = ?1)
                        ORDER BY s.created, s.id LIMIT ?2""", UUID.class)
                .setParameter(1, version).setParameter(2, limit).getResultList());
    }

    @SuppressWarnings("unchecked")
    private void embedBatch(List<UUID> ids, String version) {
        record Row(UUID id, long taxonomyId, long classId, EmbeddingClient.Item item) {
        }
        List<Row> rows = new ArrayList<>();
        QuarkusTransaction.requiringNew().run(() -> {
            List<Object[]> data = em.createNativeQuery("""
                            SELECT id, taxonomy_id, class_id, image, media_type, box_x1, box_y1, box_x2, box_y2
                            FROM support_sample WHERE id = ANY(CAST(?1 AS uuid[]))""")
                    .setParameter(1, ids.toArray(UUID[]::new)).getResultList();
            for (Object[] d : data) {
                rows.add(new Row((UUID) d[0], ((Number) d[1]).longValue(), ((Number) d[2]).longValue(),
                        new EmbeddingClient.Item((byte[]) d[3], (String) d[4], ((Number) d[5]).floatValue(),
                                ((Number) d[6]).floatValue(), ((Number) d[7]).floatValue(), ((Number) d[8]).floatValue())));
            }
        });
        List<EmbeddingClient.Embedded> vectors = embeddings.embedBatch(rows.stream().map(Row::item).toList(), version);
        QuarkusTransaction.requiringNew().run(() -> {
            for (int i = 0; i < rows.size(); i++) {
                // A sample deleted meanwhile has no row to refer to: skip it.
                Row r = rows.get(i);
                Number exists = (Number) em.createNativeQuery("SELECT count(*) FROM support_sample WHERE id = ?1")
                        .setParameter(1, r.id()).getSingleResult();
                if (exists.intValue() == 1) {
                    taxonomies.insertEmbedding(r.id(), vectors.get(i), r.taxonomyId(), r.classId());
                }
            }
        });
    }

    private void prune(String active, String previous) {
        int deleted = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                        "DELETE FROM support_embedding WHERE model_version <> ?1 AND model_version <> ?2")
                .setParameter(1, active).setParameter(2, previous.isEmpty() ? active : previous).executeUpdate());
        if (deleted > 0) {
            LOG.infof("deleted %d embeddings of model versions no longer served", deleted);
        }
    }

    public ReembeddingStatus status() {
        String target = targetVersion.isEmpty() ? embeddings.model().getVersion() : targetVersion;
        return QuarkusTransaction.requiringNew().call(() -> {
            long total = ((Number) em.createNativeQuery("SELECT count(*) FROM support_sample").getSingleResult()).longValue();
            long done = ((Number) em.createNativeQuery("SELECT count(*) FROM support_embedding WHERE model_version = ?1")
                    .setParameter(1, target).getSingleResult()).longValue();
            long taxonomiesTotal = ((Number) em.createNativeQuery("SELECT count(*) FROM taxonomy").getSingleResult()).longValue();
            long ready = ((Number) em.createNativeQuery("""
                            SELECT count(*) FROM taxonomy t WHERE NOT EXISTS (
                                SELECT 1 FROM support_sample s WHERE s.taxonomy_id = t.id AND NOT EXISTS (
                                    SELECT 1 FROM support_embedding e WHERE e.sample_id = s.id AND e.model_version = ?1))""")
                    .setParameter(1, target).getSingleResult()).longValue();
            return ReembeddingStatus.newBuilder()
                    .setActiveModelVersion(target)
                    .setTargetModelVersion(target)
                    .setSamplesTotal(total)
                    .setSamplesDone(done)
                    .setTaxonomiesReady((int) ready)
                    .setTaxonomiesTotal((int) taxonomiesTotal)
                    .setRunning(running)
                    .setLastError(lastError)
                    .build();
        });
    }
}

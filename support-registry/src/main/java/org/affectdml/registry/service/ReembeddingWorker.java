package org.affectdml.registry.service;

import io.grpc.StatusRuntimeException;
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
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.proto.v1.ReembeddingStatus;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.client.EmbeddingClient;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportRepository;
import org.affectdml.registry.repository.TaxonomyRepository;
import org.affectdml.registry.repository.WorkerLeaseRepository;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps every support embedded with the model embedding-service serves. It polls the active version and
 * embeds, batch by batch, the supports that have no embedding of it, or one without its stream projections
 * (stored before the registry kept them). The work to do is derived from the
 * database each time, so it resumes by itself after a restart. Embeddings of versions that are neither
 * active nor the previous one are deleted once nothing is missing.
 * <p>Registry replicas share one database: a pass runs only on the replica that holds the "reembedding" lease
 * ({@link WorkerLeaseRepository}), renewed after every batch, so each support is embedded once per version and
 * progress is reported by one replica; the others stand by and take over when the lease expires.
 * <p>Progress is exported as metrics: {@code affect_registry_reembedding_pending} (supports still lacking an
 * embedding of the target version, counted when a pass finds work and lowered after each batch),
 * {@code affect_registry_reembedding_embedded_total}, {@code affect_registry_reembedding_running},
 * {@code affect_registry_reembedding_failures_total}, {@code affect_registry_reembedding_batch_size} and
 * {@code affect_registry_model_target{version}} (the version supports are being brought to).
 */
@ApplicationScoped
public class ReembeddingWorker {

    private static final Logger LOG = Logger.getLogger(ReembeddingWorker.class);
    private static final String LEASE = "reembedding";
    /** This process, among the replicas that compete for the lease. */
    private final String holder = hostName() + "/" + UUID.randomUUID();

    private final EmbeddingClient embeddings;
    private final SupportRepository supports;
    private final SupportEmbeddingRepository supportEmbeddings;
    private final TaxonomyRepository taxonomies;
    private final WorkerLeaseRepository leases;
    private final RegistryConfig config;
    private final MeterRegistry registry;

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

    @Inject
    public ReembeddingWorker(EmbeddingClient embeddings, SupportRepository supports, SupportEmbeddingRepository supportEmbeddings,
                             TaxonomyRepository taxonomies, WorkerLeaseRepository leases, RegistryConfig config,
                             MeterRegistry registry) {
        this.embeddings = embeddings;
        this.supports = supports;
        this.supportEmbeddings = supportEmbeddings;
        this.taxonomies = taxonomies;
        this.leases = leases;
        this.config = config;
        this.registry = registry;
    }

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
        try {
            QuarkusTransaction.requiringNew().run(() -> leases.release(LEASE, holder));
        } catch (RuntimeException e) {
            LOG.debugf("could not release the re-embedding lease (it expires by itself): %s", e.getMessage());
        }
    }

    /** Takes or renews the lease; false when another replica holds it (this one stands by). */
    private boolean lease() {
        return QuarkusTransaction.requiringNew().call(() -> leases.acquire(LEASE, holder, config.reembedding().leaseTtl()));
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "registry";
        }
    }

    /** One pass: find the active version, embed what is missing, prune unused versions. */
    public void runOnce() {
        try {
            if (!lease()) {
                // Another replica does (and reports) the work; status() then names the active version as target.
                pending = 0;
                targetVersion = "";
                return;
            }
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
                if (!lease()) {
                    LOG.infof("re-embedding lease passed to another replica after %d supports", done);
                    break;
                }
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
            // Shown to admins by GetReembeddingStatus: a status' own message, never an exception's (it may hold SQL).
            if (e instanceof StatusRuntimeException s) {
                lastError = s.getStatus().getCode() + ": " + s.getStatus().getDescription();
                LOG.debugf("re-embedding pass failed (will retry): %s", lastError);
            } else {
                lastError = "unexpected failure (the registry log has it); retrying every " + config.reembedding().interval();
                LOG.warn("re-embedding pass failed (will retry)", e);
            }
        }
    }

    private long countMissing(String version) {
        return QuarkusTransaction.requiringNew().call(() -> supports.countWithoutEmbedding(version));
    }

    private List<UUID> missing(String version, int limit) {
        return QuarkusTransaction.requiringNew().call(() -> supports.withoutEmbedding(version, limit));
    }

    private void embedBatch(List<UUID> ids, String version) {
        List<SupportRepository.StoredImage> rows = QuarkusTransaction.requiringNew().call(() -> supports.images(ids));
        List<EmbeddingClient.Embedded> vectors = embeddings.embedBatch(rows.stream().map(r -> new EmbeddingClient.Item(
                r.image(), r.mediaType(), r.box().x1(), r.box().y1(), r.box().x2(), r.box().y2())).toList(), version,
                EmbeddingClient.Extras.STORED);
        // In (taxonomy, class) order: each insert updates its class's kept mean (class_prototype), and a writer that takes
        // those rows in key order cannot wait in a circle with another (a taxonomy deleted meanwhile) that does too.
        List<Integer> order = java.util.stream.IntStream.range(0, rows.size()).boxed()
                .sorted(java.util.Comparator.<Integer>comparingLong(i -> rows.get(i).taxonomyId()).thenComparingLong(i -> rows.get(i).classId()))
                .toList();
        QuarkusTransaction.requiringNew().run(() -> {
            for (int i : order) {
                // A sample deleted meanwhile has no row to refer to: skip it.
                SupportRepository.StoredImage r = rows.get(i);
                if (supports.exists(r.id())) {
                    EmbeddingClient.Embedded v = vectors.get(i);
                    supportEmbeddings.insertIfAbsent(r.id(), v.modelVersion(), r.taxonomyId(), r.classId(), v.values(), v.streams());
                }
            }
        });
    }

    private void prune(String active, String previous) {
        int deleted = QuarkusTransaction.requiringNew().call(() -> supportEmbeddings.deleteAllBut(active, previous));
        if (deleted > 0) {
            LOG.infof("deleted %d embeddings of model versions no longer served", deleted);
        }
    }

    /** Progress toward the target version; see ReembeddingStatus in registry.proto for what each field means. */
    public ReembeddingStatus status() {
        String active = embeddings.model().getVersion();
        String target = targetVersion.isEmpty() ? active : targetVersion;
        return QuarkusTransaction.requiringNew().call(() -> ReembeddingStatus.newBuilder()
                .setActiveModelVersion(active)
                .setTargetModelVersion(target)
                .setSamplesTotal(supports.count())
                .setSamplesDone(supportEmbeddings.countOfVersion(target))
                .setTaxonomiesReady((int) taxonomies.countCompleteIn(target))
                .setTaxonomiesTotal((int) taxonomies.count())
                // Any replica's answer: a live lease with work left means the holder is at it.
                .setRunning(running || leases.held(LEASE) && supports.countWithoutEmbedding(target) > 0)
                .setLastError(lastError)
                .build());
    }
}

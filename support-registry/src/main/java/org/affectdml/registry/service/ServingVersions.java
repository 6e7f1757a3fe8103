package org.affectdml.registry.service;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.client.EmbeddingClient;
import org.affectdml.registry.repository.TaxonomyRepository;

import org.affectdml.service.errors.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which model version a taxonomy is served with: the active one once every support of the taxonomy has an
 * embedding of it, else the version embedding-service replaced (still loaded there) if the taxonomy is
 * complete in that one. Versions are never mixed within one answer.
 */
@ApplicationScoped
public class ServingVersions {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ServingVersions.class);

    @Inject
    EmbeddingClient embeddings;
    @Inject
    TaxonomyRepository taxonomies;

    @Inject
    RegistryConfig config;

    /**
     * The last answer of GetModel and when it was asked (System.nanoTime() as the call was sent); the active bundle's
     * calibrated temperature when its manifest has one.
     */
    private record Asked(List<String> versions, long atNanos, java.util.OptionalDouble activeTemperature) {
    }

    private volatile Asked asked;

    /** The clock the answer's age is read from; a test's own clock in ServingVersionsTest. */
    java.util.function.LongSupplier clock = System::nanoTime;

    /** Where GetModel is asked ahead of need, off the calls' path: one daemon thread while there is work, gone after 30 s idle. */
    private final java.util.concurrent.ScheduledThreadPoolExecutor background = backgroundThread();

    /** Runs the asks ahead: {@link #background}, or a test's own. */
    java.util.concurrent.Executor refresher = background;

    /** Runs a task every so many nanoseconds until its future is cancelled: {@link #background}, or a test's own. */
    interface Ticks {
        java.util.concurrent.Future<?> every(long periodNanos, Runnable task);
    }

    Ticks ticks = (period, task) -> background.scheduleWithFixedDelay(task, period, period, java.util.concurrent.TimeUnit.NANOSECONDS);

    private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();
    /** When a call last asked for the versions (clock), and the ticks that keep the answer young meanwhile (null: none). */
    private volatile long lastCallNanos;
    private volatile java.util.concurrent.Future<?> ticking;

    private static java.util.concurrent.ScheduledThreadPoolExecutor backgroundThread() {
        java.util.concurrent.ScheduledThreadPoolExecutor executor = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "affect-model-info-refresh");
            t.setDaemon(true);
            return t;
        });
        executor.setKeepAliveTime(30, java.util.concurrent.TimeUnit.SECONDS);
        executor.allowCoreThreadTimeOut(true);
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    @jakarta.annotation.PreDestroy
    void stopAskingAhead() {
        background.shutdownNow();
    }

    /**
     * The versions embedding-service can embed with now, preferred first. GetModel's answer is kept while it is younger
     * than {@code affect.registry.model-info-max-age} and every later answer of embedding-service (each Embed answer names
     * the replica's active version) still names the same active version; so a Classify makes no GetModel round trip of
     * its own, and the first Embed answer after an activation makes the next call ask again. Once the answer is past
     * half that age it is asked again in the background: by the call that finds it so, and, for
     * {@code affect.registry.model-info-ask-ahead-for} after the last call, every third of that age, so calls seconds apart
     * never wait on GetModel either. No call uses an answer older than the limit.
     */
    public List<String> candidates() {
        return candidates(config.modelInfoMaxAge().toNanos(), config.modelInfoAskAheadFor().toNanos());
    }

    List<String> candidates(long maxAgeNanos, long askAheadForNanos) {
        long now = clock.getAsLong();
        lastCallNanos = now;
        java.util.concurrent.Future<?> running = ticking;
        if ((running == null || running.isDone()) && askAheadForNanos > 0 && maxAgeNanos > 0) {
            startTicking(maxAgeNanos, askAheadForNanos);
        }
        Asked last = asked;
        if (last != null && last.versions().get(0).equals(embeddings.lastSeenActive())) {
            long age = now - last.atNanos();
            if (age < maxAgeNanos) {
                if (age >= maxAgeNanos / 2) {
                    refreshAhead(maxAgeNanos);
                }
                return last.versions();
            }
        }
        return fresh();
    }

    /** Shortest time between ticks, whatever the max age: asking more often than this is of no use. */
    static final long MIN_TICK_NANOS = 100_000_000L;

    /**
     * Ticks every third of the max age, each asking ahead (unless an ask is on its way): an answer is then at most about
     * two thirds of the max age old, drift and GetModel's own time included, before the next one lands.
     */
    private synchronized void startTicking(long maxAgeNanos, long askAheadForNanos) {
        if (ticking == null || ticking.isDone()) {
            try {
                ticking = ticks.every(Math.max(maxAgeNanos / 3, MIN_TICK_NANOS), () -> tick(maxAgeNanos, askAheadForNanos));
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                ticking = null;  // shutting down: calls ask for themselves
            }
        }
    }

    /** Asks ahead; stops once no call has come for {@code askAheadForNanos} (or starts again if one just came). */
    synchronized void tick(long maxAgeNanos, long askAheadForNanos) {
        if (clock.getAsLong() - lastCallNanos > askAheadForNanos) {
            if (ticking != null) {
                ticking.cancel(false);
                ticking = null;
            }
            // a call that came meanwhile may have seen the ticks still running and not started them: start them for it
            if (clock.getAsLong() - lastCallNanos <= askAheadForNanos) {
                startTicking(maxAgeNanos, askAheadForNanos);
            }
            return;
        }
        refreshAhead(maxAgeNanos);
    }

    /**
     * Asks GetModel again on the refresher, once at a time, within the max age (a later answer is of no use); a failure
     * there is left for the next call past the limit to meet.
     */
    private void refreshAhead(long maxAgeNanos) {
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        try {
            refresher.execute(() -> {
                try {
                    ask(() -> embeddings.modelAskedAhead(java.time.Duration.ofNanos(maxAgeNanos)));
                } catch (RuntimeException e) {
                    // embedding-service unreachable: the kept answer ages out and a call asks (and answers the error) itself
                    LOG.debugf("asking embedding-service ahead for its model versions failed: %s", e.getMessage());
                } finally {
                    refreshing.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            refreshing.set(false);
        }
    }

    /** The versions asked of embedding-service now (and kept for {@link #candidates()}): for writes, and to check the kept ones. */
    public List<String> fresh() {
        return ask(embeddings::model);
    }

    private List<String> ask(java.util.function.Supplier<ModelInfo> getModel) {
        long sent = clock.getAsLong();
        ModelInfo model = getModel.get();
        List<String> versions = new ArrayList<>(List.of(model.getVersion()));
        if (!model.getPreviousVersion().isEmpty()) {
            versions.add(model.getPreviousVersion());
        }
        Double temperature = model.getMetricsMap().get(org.affectdml.service.calibration.Calibration.MANIFEST_METRIC);
        Asked answer = new Asked(List.copyOf(versions), sent,
                temperature == null ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(temperature));
        keepIfNewer(answer);
        return answer.versions();
    }

    /** A background ask and a call's own may cross: the answer to the later-sent one is kept. */
    private synchronized void keepIfNewer(Asked answer) {
        if (asked == null || answer.atNanos() - asked.atNanos() >= 0) {
            asked = answer;
        }
    }

    /**
     * The calibrated temperature of {@code version}'s manifest, as the last GetModel told it: known for the active
     * version only (GetModel describes the active bundle), empty for the previous one or when the manifest has none.
     */
    public java.util.OptionalDouble bundleTemperature(String version) {
        Asked last = asked;
        return last != null && last.versions().get(0).equals(version) ? last.activeTemperature() : java.util.OptionalDouble.empty();
    }

    /**
     * Whether embedding-service refused a call because the version asked for is not (or no longer) loaded there (its
     * FAILED_PRECONDITION, which EmbeddingClient reports as UNAVAILABLE naming it).
     */
    public static boolean versionNotLoaded(io.grpc.StatusRuntimeException e) {
        String description = e.getStatus().getDescription();
        // embedding-service's own refusal only (segmentation-service's, passed on, is UNAVAILABLE from embedding-service)
        return description != null && description.contains("is not loaded here")
                && (e.getStatus().getCode() == io.grpc.Status.Code.FAILED_PRECONDITION
                || description.startsWith("embedding-service: FAILED_PRECONDITION: model version "));
    }

    /** The version to serve the taxonomy with, empty when it is complete in none of the candidates. */
    public Optional<String> servingVersion(String taxonomy) {
        List<String> candidates = fresh();
        return QuarkusTransaction.requiringNew().call(() -> pick(taxonomy, candidates));
    }

    /**
     * As {@link #pick}, FAILED_PRECONDITION when no candidate is complete; {@code whatToDo} ends the message
     * (e.g. "re-embedding is in progress (GetReembeddingStatus)").
     */
    public String requirePick(String taxonomy, List<String> candidates, String whatToDo) {
        return pick(taxonomy, candidates).orElseThrow(() -> notFullyEmbedded(taxonomy, candidates, whatToDo));
    }

    /** Whether this is {@link #notFullyEmbedded}'s answer. */
    public static boolean isNotFullyEmbedded(io.grpc.StatusRuntimeException e) {
        String description = e.getStatus().getDescription();
        return e.getStatus().getCode() == io.grpc.Status.Code.FAILED_PRECONDITION && description != null
                && description.contains(NOT_FULLY_EMBEDDED);
    }

    private static final String NOT_FULLY_EMBEDDED = "is not yet fully embedded with any model version embedding-service serves";

    /** FAILED_PRECONDITION: the taxonomy is complete in none of the candidates; {@code whatToDo} ends the message. */
    public static io.grpc.StatusRuntimeException notFullyEmbedded(String taxonomy, List<String> candidates, String whatToDo) {
        return Errors.failedPrecondition("taxonomy '" + taxonomy + "' " + NOT_FULLY_EMBEDDED + " " + candidates + "; " + whatToDo);
    }

    /**
     * Within the caller's transaction: the first candidate every support of the taxonomy has an embedding of (the
     * check Classify makes, {@link TaxonomyRepository.Classifiability#completeIn}). A taxonomy that does not exist has
     * no support to miss: the preferred candidate.
     */
    public Optional<String> pick(String taxonomy, List<String> candidates) {
        return taxonomies.classifiability(taxonomy).map(t -> t.completeIn(candidates)).orElse(candidates.stream().findFirst());
    }
}

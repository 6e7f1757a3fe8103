package org.affectdml.serving.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.serving.InferenceConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Metrics of the inference services (segmentation and embedding), beside the per-RPC timers Quarkus keeps:
 * <ul>
 *   <li>{@code affect_inference_in_flight}: requests running or waiting for an inference slot, the pods
 *       metric the GPU HorizontalPodAutoscalers scale on; {@code affect_inference_slots}: the limit;
 *       {@code affect_inference_queue_wait_seconds}: how long admitted requests waited;</li>
 *   <li>{@code affect_model_bundle{version, slot}}: 1 for the bundle serving ({@code slot="serving"}) and
 *       the one it replaced, kept for re-embedding ({@code slot="previous"});
 *       {@code affect_model_bundle_rejected}: 1 while the bundle ACTIVE names failed verification.</li>
 * </ul>
 */
@Singleton
public class InferenceMetrics {

    /** The load gauge the GPU HorizontalPodAutoscalers scale on (Prometheus: {@code affect_inference_in_flight}). */
    public static final String IN_FLIGHT = "affect.inference.in.flight";

    private final MeterRegistry registry;

    public InferenceMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The one inference-slot limit of this service, shared by all its RPCs. */
    @Produces
    @Singleton
    ConcurrencyLimit inferenceSlots(InferenceConfig config) {
        Timer wait = Timer.builder("affect.inference.queue.wait")
                .description("Time admitted requests waited for an inference slot")
                .register(registry);
        ConcurrencyLimit limit = new ConcurrencyLimit(config.inference().maxInFlight(), config.inference().queueTimeout(),
                nanos -> wait.record(nanos, TimeUnit.NANOSECONDS));
        Gauge.builder(IN_FLIGHT, limit, ConcurrencyLimit::load)
                .description("Requests running or waiting for an inference slot (GPU autoscaling signal)")
                .register(registry);
        Gauge.builder("affect.inference.slots", limit, ConcurrencyLimit::limit)
                .description("Inference slots (affect.inference.max-in-flight)")
                .register(registry);
        return limit;
    }

    /** Registers the bundle gauges once the application (and its bundle watcher) has started. */
    void watchBundles(@Observes StartupEvent started, ActiveBundleHolder bundles) {
        MultiGauge loaded = MultiGauge.builder("affect.model.bundle")
                .description("1 for each model bundle loaded here, by version and slot (serving or previous)")
                .register(registry);
        Runnable update = () -> {
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            bundles.servingVersion().ifPresent(v -> rows.add(MultiGauge.Row.of(Tags.of("version", v, "slot", "serving"), 1)));
            bundles.previousVersion().ifPresent(v -> rows.add(MultiGauge.Row.of(Tags.of("version", v, "slot", "previous"), 1)));
            loaded.register(rows, true);
        };
        bundles.onSwap(update);
        update.run();
        Gauge.builder("affect.model.bundle.rejected", bundles, b -> b.lastError().isPresent() ? 1 : 0)
                .description("1 while the bundle the store marks ACTIVE failed verification here (the previous one keeps serving)")
                .register(registry);
    }
}

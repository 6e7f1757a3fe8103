package org.affectdml.service.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;

import java.time.Duration;
import java.util.Arrays;

/**
 * Gives every timer (per-RPC gRPC timers, REST endpoints, the services' own stage timers) the same fixed
 * Prometheus histogram buckets, so latency quantiles aggregate over pods with {@code histogram_quantile}
 * and the series count stays small (15 buckets, not Micrometer's ~70). {@link MetricsSetup} produces this
 * filter as a bean in every service; Quarkus applies every {@link MeterFilter} bean to its registry.
 */
public final class LatencyHistograms {

    /** 1 ms (a cached KNN lookup) to 60 s (a cold batch on CPU). */
    static final Duration[] BUCKETS = Arrays.stream(new long[]{1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000,
            10_000, 30_000, 60_000}).mapToObj(Duration::ofMillis).toArray(Duration[]::new);

    private LatencyHistograms() {
    }

    public static MeterFilter filter() {
        double[] nanos = Arrays.stream(BUCKETS).mapToDouble(Duration::toNanos).toArray();
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() != Meter.Type.TIMER) {
                    return config;
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
            }
        };
    }
}

package org.affectdml.service.metrics;

import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The metrics setup every service shares: the fixed latency buckets of {@link LatencyHistograms} on every timer. */
public class MetricsSetup {

    @Produces
    @Singleton
    MeterFilter latencyHistograms() {
        return LatencyHistograms.filter();
    }
}

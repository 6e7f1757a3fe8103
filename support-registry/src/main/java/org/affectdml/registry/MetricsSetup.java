package org.affectdml.registry;

import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.affectdml.inference.metrics.LatencyHistograms;

/** The fixed latency buckets every service's timers share (see {@link LatencyHistograms}). */
public class MetricsSetup {

    @Produces
    @Singleton
    MeterFilter latencyHistograms() {
        return LatencyHistograms.filter();
    }
}

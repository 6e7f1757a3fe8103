package org.affectdml.trainer.service;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * The trainer's metrics beside the per-RPC timers: {@code affect_trainer_job_running} (1 while a job runs)
 * and {@code affect_trainer_job_progress} (its fraction done, 0 when idle), for a dashboard or an alert on
 * a job that stops advancing.
 */
@Singleton
public class TrainerMetrics {

    void register(@Observes StartupEvent started, MeterRegistry registry, JobManager jobs) {
        Gauge.builder("affect.trainer.job.running", jobs, j -> j.running().isPresent() ? 1 : 0)
                .description("1 while a training job runs").register(registry);
        Gauge.builder("affect.trainer.job.progress", jobs, j -> j.running().map(job -> (double) job.getProgress()).orElse(0.0))
                .description("Fraction done of the running training job (0 when idle)").register(registry);
    }
}

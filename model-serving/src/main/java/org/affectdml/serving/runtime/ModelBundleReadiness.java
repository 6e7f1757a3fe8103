package org.affectdml.serving.runtime;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once a verified model bundle serves; the response names it, or says why none does. */
@Readiness
@ApplicationScoped
public class ModelBundleReadiness implements HealthCheck {

    @Inject
    ActiveBundleHolder bundles;

    @Override
    public HealthCheckResponse call() {
        var builder = HealthCheckResponse.named("model-bundle").withData("store", bundles.store().root().toString());
        bundles.lastError().ifPresent(e -> builder.withData("last_error", e));
        return bundles.servingVersion()
                .map(v -> builder.withData("version", v).up())
                .orElseGet(builder::down)
                .build();
    }
}

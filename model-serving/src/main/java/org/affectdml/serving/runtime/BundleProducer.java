package org.affectdml.serving.runtime;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.serving.InferenceConfig;

/**
 * The one {@link ActiveBundleHolder} of a serving service: it follows the store's ACTIVE bundle, opens the roles
 * the service's {@link BundleRoles} names, and keeps the replaced bundle loaded when
 * {@code affect.model-store.retain-previous} says so.
 */
public class BundleProducer {

    @Produces
    @Singleton
    @Startup
    ActiveBundleHolder bundles(InferenceConfig config, BundleRoles roles) {
        ActiveBundleHolder holder = new ActiveBundleHolder(new ModelStore(config.modelStore().path()),
                new BundleLoader(config.sessionFactory()), roles.roles(), config.modelStore().retainPrevious() ? config.modelStore().retainPreviousFor() : java.time.Duration.ZERO);
        holder.start(config.modelStore().pollInterval());
        return holder;
    }

    void close(@Disposes ActiveBundleHolder holder) {
        holder.close();
    }
}

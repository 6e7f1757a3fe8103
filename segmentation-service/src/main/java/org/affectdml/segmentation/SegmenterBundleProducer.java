package org.affectdml.segmentation;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.service.InferenceConfig;

import java.util.Set;

/** Follows the model store's active bundle, opening only its segmenter. */
public class SegmenterBundleProducer {

    @Produces
    @Singleton
    @Startup
    ActiveBundleHolder bundles(InferenceConfig config) {
        ActiveBundleHolder holder = new ActiveBundleHolder(new ModelStore(config.modelStore().path()),
                new BundleLoader(config.sessionFactory()), Set.of(Roles.SEGMENTER));
        holder.start(config.modelStore().pollInterval());
        return holder;
    }

    void close(@Disposes ActiveBundleHolder holder) {
        holder.close();
    }
}

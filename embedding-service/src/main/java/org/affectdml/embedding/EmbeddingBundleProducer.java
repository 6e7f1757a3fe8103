package org.affectdml.embedding;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.affectdml.inference.bundle.ActiveBundleHolder;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.service.InferenceConfig;

import java.util.HashSet;
import java.util.Set;

/** Follows the active bundle, opening the encoders and the head (and the segmenter in in-process mode). */
public class EmbeddingBundleProducer {

    @Produces
    @Singleton
    @Startup
    ActiveBundleHolder bundles(InferenceConfig config, EmbeddingConfig embedding) {
        Set<String> roles = new HashSet<>(Set.of(Roles.IMAGE_ENCODER, Roles.BODY_ENCODER, Roles.HEAD));
        if (embedding.segmentation() == EmbeddingConfig.Sem2VecMode.IN_PROCESS) {
            roles.add(Roles.SEGMENTER);
        }
        ActiveBundleHolder holder = new ActiveBundleHolder(new ModelStore(config.modelStore().path()),
                new BundleLoader(config.sessionFactory()), roles, config.modelStore().retainPrevious());
        holder.start(config.modelStore().pollInterval());
        return holder;
    }

    void close(@Disposes ActiveBundleHolder holder) {
        holder.close();
    }
}

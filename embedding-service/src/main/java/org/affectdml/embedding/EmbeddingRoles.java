package org.affectdml.embedding;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.serving.runtime.BundleRoles;

import java.util.HashSet;
import java.util.Set;

/** embedding-service opens the encoders and the head, and the segmenter too when it computes Sem2Vec itself. */
@Singleton
public class EmbeddingRoles implements BundleRoles {

    private final EmbeddingConfig config;

    @Inject
    public EmbeddingRoles(EmbeddingConfig config) {
        this.config = config;
    }

    @Override
    public Set<String> roles() {
        Set<String> roles = new HashSet<>(Set.of(Roles.IMAGE_ENCODER, Roles.BODY_ENCODER, Roles.HEAD));
        if (config.segmentation() == EmbeddingConfig.Sem2VecMode.IN_PROCESS) {
            roles.add(Roles.SEGMENTER);
        }
        return roles;
    }
}

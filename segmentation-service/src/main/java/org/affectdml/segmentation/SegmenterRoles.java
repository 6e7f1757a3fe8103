package org.affectdml.segmentation;

import jakarta.inject.Singleton;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.serving.runtime.BundleRoles;

import java.util.Set;

/** segmentation-service opens only the bundle's segmenter. */
@Singleton
public class SegmenterRoles implements BundleRoles {

    @Override
    public Set<String> roles() {
        return Set.of(Roles.SEGMENTER);
    }
}

package org.affectdml.serving.runtime;

import java.util.Set;

/** The model files of a bundle that this service opens (bundle roles); each serving service produces one. */
@FunctionalInterface
public interface BundleRoles {

    Set<String> roles();
}

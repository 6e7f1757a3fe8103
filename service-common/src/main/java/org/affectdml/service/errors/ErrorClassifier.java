package org.affectdml.service.errors;

import io.grpc.Status;

import java.util.Optional;

/**
 * Knows which of some exceptions are not bugs and what status they mean (a bad image is INVALID_ARGUMENT, a
 * database that cannot be reached UNAVAILABLE, ...). Modules contribute classifiers as CDI beans;
 * {@link ErrorMapper} asks each one before it calls an exception unexpected.
 */
public interface ErrorClassifier {

    /** The status for {@code error} (its description is what the caller reads), or empty if this classifier does not know it. */
    Optional<Status> classify(Throwable error);
}

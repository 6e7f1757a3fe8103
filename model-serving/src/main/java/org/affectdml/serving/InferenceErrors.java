package org.affectdml.serving;

import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import org.affectdml.inference.bundle.BundleException;
import org.affectdml.inference.bundle.NoActiveBundleException;
import org.affectdml.inference.image.DecodeBudgetExhaustedException;
import org.affectdml.inference.image.InvalidImageException;
import org.affectdml.service.errors.ErrorClassifier;

import java.util.Optional;

/** Statuses of inference-core's failures: a bad image is the caller's mistake, a missing or broken bundle a precondition. */
@ApplicationScoped
public class InferenceErrors implements ErrorClassifier {

    @Override
    public Optional<Status> classify(Throwable error) {
        if (error instanceof InvalidImageException) {
            return Optional.of(Status.INVALID_ARGUMENT.withDescription(error.getMessage()));
        }
        if (error instanceof DecodeBudgetExhaustedException) {
            return Optional.of(Status.RESOURCE_EXHAUSTED.withDescription(error.getMessage()));
        }
        if (error instanceof NoActiveBundleException || error instanceof BundleException) {
            return Optional.of(Status.FAILED_PRECONDITION.withDescription(error.getMessage()));
        }
        return Optional.empty();
    }
}

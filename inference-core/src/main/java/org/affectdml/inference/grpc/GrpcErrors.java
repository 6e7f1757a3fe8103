package org.affectdml.inference.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.affectdml.inference.bundle.BundleException;
import org.affectdml.inference.bundle.NoActiveBundleException;
import org.affectdml.inference.image.InvalidImageException;
import org.jboss.logging.Logger;

/**
 * The error model of affect.v1 (see common.proto) in one place: which exception becomes which status.
 * Client mistakes keep their message; unexpected failures are logged with their stack and answered
 * INTERNAL with a short description.
 */
public final class GrpcErrors {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    public static StatusRuntimeException invalidArgument(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof InvalidImageException) {
            return Status.INVALID_ARGUMENT.withDescription(t.getMessage()).asRuntimeException();
        }
        if (t instanceof NoActiveBundleException || t instanceof BundleException) {
            return Status.FAILED_PRECONDITION.withDescription(t.getMessage()).asRuntimeException();
        }
        if (t instanceof OverloadedException) {
            return Status.RESOURCE_EXHAUSTED.withDescription(t.getMessage()).asRuntimeException();
        }
        LOG.error("request failed unexpectedly", t);
        return Status.INTERNAL.withDescription(t.getClass().getSimpleName() + ": " + t.getMessage()).withCause(t).asRuntimeException();
    }

    /** The server is at its configured concurrency limit; the client should back off and retry. */
    public static final class OverloadedException extends RuntimeException {
        public OverloadedException(String message) {
            super(message);
        }
    }
}

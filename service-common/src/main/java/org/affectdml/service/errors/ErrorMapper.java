package org.affectdml.service.errors;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.quarkus.arc.All;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place where an exception becomes a gRPC status (REST answers derive from it too). Statuses thrown on
 * purpose pass through; exceptions a {@link ErrorClassifier} knows get its status; anything else is a bug: it is
 * logged with its stack under a fresh error id, and the caller gets INTERNAL with that id and nothing else, so no
 * class name, SQL or stack trace leaves the service.
 */
@ApplicationScoped
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);
    private static final SecureRandom IDS = new SecureRandom();

    private final List<ErrorClassifier> classifiers;

    @Inject
    public ErrorMapper(@All List<ErrorClassifier> classifiers) {
        this.classifiers = List.copyOf(classifiers);
    }

    public StatusRuntimeException toStatus(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof StatusException s) {
            return s.getStatus().asRuntimeException(s.getTrailers());
        }
        for (ErrorClassifier classifier : classifiers) {
            Optional<Status> status = classifier.classify(t);
            if (status.isPresent()) {
                return status.get().asRuntimeException();
            }
        }
        String id = newErrorId();
        LOG.errorf(t, "unexpected failure, error id %s", id);
        return Status.INTERNAL.withDescription("internal error (error id " + id + "); the service log has the details under this id")
                .asRuntimeException();
    }

    /** Futures and completion stages wrap the failure that matters. */
    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static String newErrorId() {
        byte[] bytes = new byte[6];
        IDS.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}

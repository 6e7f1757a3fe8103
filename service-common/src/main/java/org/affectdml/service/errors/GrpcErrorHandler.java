package org.affectdml.service.errors;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.ExceptionHandler;
import io.quarkus.grpc.ExceptionHandlerProvider;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * quarkus-grpc's exception hook, so no gRPC service catches exceptions itself: a failed Uni or Multi, or an
 * exception thrown by a service method or interceptor, is answered with {@link ErrorMapper}'s status.
 */
@ApplicationScoped
public class GrpcErrorHandler implements ExceptionHandlerProvider {

    private final ErrorMapper errors;

    @Inject
    public GrpcErrorHandler(ErrorMapper errors) {
        this.errors = errors;
    }

    @Override
    public Throwable transform(Throwable t) {
        return errors.toStatus(t);
    }

    @Override
    public <Q, R> ExceptionHandler<Q, R> createHandler(ServerCall.Listener<Q> listener, ServerCall<Q, R> call, Metadata metadata) {
        return new ExceptionHandler<>(listener, call, metadata) {
            @Override
            protected void handleException(Throwable t, ServerCall<Q, R> serverCall, Metadata headers) {
                StatusRuntimeException status = errors.toStatus(t);
                Metadata trailers = status.getTrailers() != null ? status.getTrailers() : new Metadata();
                try {
                    serverCall.close(status.getStatus(), trailers);
                } catch (IllegalStateException alreadyClosed) {
                    // the call ended meanwhile (client cancelled): nothing left to answer
                }
            }
        };
    }
}

package org.affectdml.service.errors;

import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.util.TreeSet;

/**
 * The gRPC health protocol says Check of a service the server does not know is NOT_FOUND; Quarkus' health service
 * answers a successful UNKNOWN status instead. This answers NOT_FOUND, naming the services the
 * server does know, and leaves every other health call to Quarkus.
 */
@GlobalInterceptor
@ApplicationScoped
public class HealthCheckUnknownService implements ServerInterceptor {

    private static final String CHECK = "grpc.health.v1.Health/Check";

    @Inject
    Instance<GrpcHealthStorage> health;

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        ServerCall.Listener<Q> delegate = next.startCall(call, headers);
        if (!CHECK.equals(call.getMethodDescriptor().getFullMethodName()) || !health.isResolvable()) {
            return delegate;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean answered;

            @Override
            public void onMessage(Q message) {
                if (message instanceof HealthCheckRequest request && !request.getService().isEmpty()
                        && !health.get().getStatuses().containsKey(request.getService())) {
                    answered = true;
                    call.close(Status.NOT_FOUND.withDescription("unknown service " + Inputs.quoted(request.getService())
                            + "; this server has " + new TreeSet<>(health.get().getStatuses().keySet())), new Metadata());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!answered) {
                    super.onHalfClose();
                }
            }
        };
    }
}

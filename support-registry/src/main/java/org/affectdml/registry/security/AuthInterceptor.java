package org.affectdml.registry.security;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Every registry RPC needs a credential: TaxonomyAdmin the admin role, Classification the client role. */
@GlobalInterceptor
@ApplicationScoped
public class AuthInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Inject
    ApiKeys keys;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String service = call.getMethodDescriptor().getServiceName();
        ApiKeys.Role needed;
        if ("affect.v1.TaxonomyAdmin".equals(service)) {
            needed = ApiKeys.Role.ADMIN;
        } else if ("affect.v1.Classification".equals(service)) {
            needed = ApiKeys.Role.CLIENT;
        } else {
            return next.startCall(call, headers);  // grpc.health.v1 and reflection stay open for probes
        }
        switch (keys.check(headers.get(AUTHORIZATION), needed)) {
            case UNAUTHENTICATED -> {
                call.close(Status.UNAUTHENTICATED.withDescription("missing or unknown API key: send metadata 'authorization: Bearer <key>'"),
                        new Metadata());
                return new ServerCall.Listener<>() { };
            }
            case PERMISSION_DENIED -> {
                call.close(Status.PERMISSION_DENIED.withDescription(service + " needs an admin key; this key has the client role"),
                        new Metadata());
                return new ServerCall.Listener<>() { };
            }
            default -> {
                return next.startCall(call, headers);
            }
        }
    }
}

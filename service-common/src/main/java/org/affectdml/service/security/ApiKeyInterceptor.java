package org.affectdml.service.security;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

import java.util.Optional;

/**
 * The API-key check of a service's gRPC calls. A subclass says which role each gRPC service needs (none: the call
 * stays open, as grpc.health.v1 and reflection must for probes and tools) and supplies the verifier of its keys.
 * Subclasses are {@code @GlobalInterceptor @ApplicationScoped} beans.
 */
public abstract class ApiKeyInterceptor implements ServerInterceptor {

    /**
     * Longest authorization value looked at. Longer ones are refused here with a status naming the limit, up to the
     * transport's header limit (quarkus.http.limits.max-header-list-size, 64 KiB), above which the HTTP/2 layer
     * answers 431 before any of our code runs.
     */
    public static final int MAX_AUTHORIZATION = 4096;

    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /** The role a call to the named gRPC service (e.g. "affect.v1.Trainer") needs; empty when it needs none. */
    protected abstract Optional<ApiKeyVerifier.Role> requiredRole(String grpcService);

    protected abstract ApiKeyVerifier verifier();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String service = call.getMethodDescriptor().getServiceName();
        Optional<ApiKeyVerifier.Role> needed = requiredRole(service);
        if (needed.isEmpty()) {
            return next.startCall(call, headers);
        }
        String authorization = headers.get(AUTHORIZATION);
        if (authorization != null && authorization.length() > MAX_AUTHORIZATION) {
            call.close(Status.UNAUTHENTICATED.withDescription("the authorization metadata has " + authorization.length()
                    + " characters, above the " + MAX_AUTHORIZATION + " an API key can have: send 'Bearer <key>' only"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        switch (verifier().check(authorization, needed.get())) {
            case ALLOWED -> {
                return next.startCall(call, headers);
            }
            case UNAUTHENTICATED -> call.close(Status.UNAUTHENTICATED.withDescription(
                    "missing or unknown API key: send metadata 'authorization: Bearer <key>'"), new Metadata());
            case PERMISSION_DENIED -> call.close(Status.PERMISSION_DENIED.withDescription(
                    service + " needs " + keyOfRole(needed.get()) + "; this key does not have that role"), new Metadata());
        }
        return new ServerCall.Listener<>() { };
    }

    private static String keyOfRole(ApiKeyVerifier.Role role) {
        return role == ApiKeyVerifier.Role.ADMIN ? "an admin key" : "a " + role.name().toLowerCase(java.util.Locale.ROOT) + " key";
    }
}

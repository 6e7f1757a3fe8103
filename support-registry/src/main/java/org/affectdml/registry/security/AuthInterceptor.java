package org.affectdml.registry.security;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.inference.security.ApiKeyVerifier;

/** Every registry RPC needs a credential: TaxonomyAdmin the admin role, Classification the client role. */
@GlobalInterceptor
@ApplicationScoped
public class AuthInterceptor implements ServerInterceptor {

    @Inject
    ApiKeys keys;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String service = call.getMethodDescriptor().getServiceName();
        ApiKeyVerifier.Role needed;
        if ("affect.v1.TaxonomyAdmin".equals(service)) {
            needed = ApiKeyVerifier.Role.ADMIN;
        } else if ("affect.v1.Classification".equals(service)) {
            needed = ApiKeyVerifier.Role.CLIENT;
        } else {
            return next.startCall(call, headers);  // grpc.health.v1 and reflection stay open for probes
        }
        if (ApiKeyVerifier.refuse(call, keys.check(headers.get(ApiKeyVerifier.AUTHORIZATION), needed), service)) {
            return new ServerCall.Listener<>() { };
        }
        return next.startCall(call, headers);
    }
}

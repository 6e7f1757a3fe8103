package org.affectdml.service.security;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Optional;

/** Presents this service's key ({@code affect.service-auth.key}) on every call its gRPC clients make. */
@GlobalInterceptor
@ApplicationScoped
public class ServiceKeyCredentials implements ClientInterceptor {

    private final Optional<String> bearer;

    @Inject
    public ServiceKeyCredentials(ServiceAuthConfig config) {
        bearer = config.key().filter(k -> !k.isBlank()).map(k -> "Bearer " + k.trim());
    }

    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        ClientCall<Q, A> call = next.newCall(method, options);
        if (bearer.isEmpty()) {
            return call;
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
            @Override
            public void start(Listener<A> listener, Metadata headers) {
                headers.put(ApiKeyInterceptor.AUTHORIZATION, bearer.get());
                super.start(listener, headers);
            }
        };
    }
}

package org.affectdml.trainer.service;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.inference.security.ApiKeyVerifier;
import org.jboss.logging.Logger;

import java.util.List;

/** Every Trainer RPC needs an admin key; health and reflection stay open for probes. */
@GlobalInterceptor
@ApplicationScoped
public class TrainerAuthInterceptor implements ServerInterceptor {

    private static final Logger LOG = Logger.getLogger(TrainerAuthInterceptor.class);
    private final ApiKeyVerifier keys;

    @Inject
    public TrainerAuthInterceptor(TrainerConfig config) {
        keys = new ApiKeyVerifier(config.auth().enabled(), config.auth().adminKeys().orElse(List.of()), List.of());
        if (keys.enabled() && !keys.hasAdminKeys()) {
            LOG.warn("affect.trainer.auth is enabled but no admin key is configured (AFFECT_ADMIN_KEYS): every Trainer call will be refused");
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String service = call.getMethodDescriptor().getServiceName();
        if ("affect.v1.Trainer".equals(service)
                && ApiKeyVerifier.refuse(call, keys.check(headers.get(ApiKeyVerifier.AUTHORIZATION), ApiKeyVerifier.Role.ADMIN), service)) {
            return new ServerCall.Listener<>() { };
        }
        return next.startCall(call, headers);
    }
}

package org.affectdml.trainer.service;

import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.service.security.ApiKeyInterceptor;
import org.affectdml.service.security.ApiKeyVerifier;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every Trainer RPC needs an admin key; health and reflection stay open for probes. */
@GlobalInterceptor
@ApplicationScoped
public class TrainerAuthInterceptor extends ApiKeyInterceptor {

    private static final Logger LOG = Logger.getLogger(TrainerAuthInterceptor.class);
    private final ApiKeyVerifier keys;

    @Inject
    public TrainerAuthInterceptor(TrainerConfig config) {
        keys = new ApiKeyVerifier(config.auth().enabled(),
                Map.of(ApiKeyVerifier.Role.ADMIN, config.auth().adminKeys().orElse(List.of()),
                        ApiKeyVerifier.Role.CLIENT, config.auth().clientKeys().orElse(List.of())));
        if (keys.enabled() && !keys.hasKeys(ApiKeyVerifier.Role.ADMIN)) {
            LOG.warn("affect.trainer.auth is enabled but no admin key is configured (AFFECT_ADMIN_KEYS): every Trainer call will be refused");
        }
    }

    @Override
    protected Optional<ApiKeyVerifier.Role> requiredRole(String grpcService) {
        return "affect.v1.Trainer".equals(grpcService) ? Optional.of(ApiKeyVerifier.Role.ADMIN) : Optional.empty();
    }

    @Override
    protected ApiKeyVerifier verifier() {
        return keys;
    }
}

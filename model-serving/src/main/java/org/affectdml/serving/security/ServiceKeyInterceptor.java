package org.affectdml.serving.security;

import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.service.security.ApiKeyInterceptor;
import org.affectdml.service.security.ApiKeyVerifier;
import org.affectdml.service.security.ServiceAuthConfig;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The inference services answer only callers with a service key (support-registry, embedding-service, the CLI's
 * embed commands): a few large requests from anyone else would keep their accelerators busy. Health and reflection
 * stay open for probes and tools.
 */
@GlobalInterceptor
@ApplicationScoped
public class ServiceKeyInterceptor extends ApiKeyInterceptor {

    private static final Logger LOG = Logger.getLogger(ServiceKeyInterceptor.class);
    private static final Set<String> INFERENCE_SERVICES = Set.of("affect.v1.EmbeddingService", "affect.v1.Segmentation");

    private final ApiKeyVerifier keys;

    @Inject
    public ServiceKeyInterceptor(ServiceAuthConfig config) {
        keys = new ApiKeyVerifier(config.enabled(), Map.of(ApiKeyVerifier.Role.SERVICE, config.keys().orElse(List.of())));
        if (keys.enabled() && !keys.hasKeys(ApiKeyVerifier.Role.SERVICE)) {
            LOG.warn("affect.service-auth is enabled but no service key is configured (AFFECT_SERVICE_KEYS): "
                    + "every inference call will be refused");
        }
    }

    @Override
    protected Optional<ApiKeyVerifier.Role> requiredRole(String grpcService) {
        return INFERENCE_SERVICES.contains(grpcService) ? Optional.of(ApiKeyVerifier.Role.SERVICE) : Optional.empty();
    }

    @Override
    protected ApiKeyVerifier verifier() {
        return keys;
    }
}

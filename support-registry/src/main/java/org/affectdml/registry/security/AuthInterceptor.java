package org.affectdml.registry.security;

import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.service.security.ApiKeyInterceptor;
import org.affectdml.service.security.ApiKeyVerifier;

import java.util.Optional;

/** Every registry RPC needs a credential: TaxonomyAdmin the admin role, Classification the client role. */
@GlobalInterceptor
@ApplicationScoped
public class AuthInterceptor extends ApiKeyInterceptor {

    @Inject
    ApiKeys keys;

    @Override
    protected Optional<ApiKeyVerifier.Role> requiredRole(String grpcService) {
        return switch (grpcService) {
            case "affect.v1.TaxonomyAdmin" -> Optional.of(ApiKeyVerifier.Role.ADMIN);
            case "affect.v1.Classification" -> Optional.of(ApiKeyVerifier.Role.CLIENT);
            default -> Optional.empty();  // grpc.health.v1 and reflection stay open for probes
        };
    }

    @Override
    protected ApiKeyVerifier verifier() {
        return keys.verifier();
    }
}

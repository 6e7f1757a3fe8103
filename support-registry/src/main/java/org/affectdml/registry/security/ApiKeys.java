package org.affectdml.registry.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.service.security.ApiKeyVerifier;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;

/** The registry's API keys (affect.registry.auth.*), checked by the shared {@link ApiKeyVerifier}. */
@ApplicationScoped
public class ApiKeys {

    private static final Logger LOG = Logger.getLogger(ApiKeys.class);

    private final ApiKeyVerifier verifier;

    @Inject
    public ApiKeys(RegistryConfig config) {
        this.verifier = new ApiKeyVerifier(config.auth().enabled(), Map.of(
                ApiKeyVerifier.Role.ADMIN, config.auth().adminKeys().orElse(List.of()),
                ApiKeyVerifier.Role.CLIENT, config.auth().clientKeys().orElse(List.of())));
        if (verifier.enabled() && !verifier.hasKeys(ApiKeyVerifier.Role.ADMIN)) {
            LOG.warn("affect.registry.auth is enabled but no admin key is configured (affect.registry.auth.admin-keys): admin calls will be refused");
        }
        if (!verifier.enabled()) {
            LOG.warn("affect.registry.auth.enabled=false: every caller is admin; never run like this outside a laptop");
        }
    }

    public ApiKeyVerifier verifier() {
        return verifier;
    }
}

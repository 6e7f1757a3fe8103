package org.affectdml.service.security;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.List;
import java.util.Optional;

/**
 * The credential of the services' calls to each other (registry to embedding-service, embedding-service to
 * segmentation-service): a key with the service role, sent as "authorization: Bearer KEY".
 */
@ConfigMapping(prefix = "affect.service-auth")
public interface ServiceAuthConfig {

    /** embedding-service and segmentation-service refuse calls without an accepted service key. */
    @WithDefault("true")
    boolean enabled();

    /** The service keys this service accepts (several during a rotation). */
    Optional<List<String>> keys();

    /** The service key this service presents to the services it calls; none: it sends no credential. */
    Optional<String> key();

    /**
     * Refuse calls whose connection presented no client certificate (mutual TLS; the inference services set it
     * under the "tls" profile).
     */
    @WithDefault("false")
    boolean requireClientCertificate();
}

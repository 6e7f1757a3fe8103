package org.affectdml.registry.security;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.affectdml.registry.api.RestErrors;
import org.affectdml.service.security.ApiKeyVerifier;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The REST API needs the same keys as gRPC: classify, classify-persons and whoami the client role, everything else
 * under /api the admin role. The console's static files (/console) need none: it signs in with a key.
 */
public class RestAuthFilter {

    @Inject
    ApiKeys keys;

    @ServerRequestFilter
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/")) {
            return null;
        }
        ApiKeyVerifier.Role needed = path.endsWith("/classify") || path.endsWith("/classify-persons") || path.equals("/api/v1/whoami")
                ? ApiKeyVerifier.Role.CLIENT : ApiKeyVerifier.Role.ADMIN;
        return switch (keys.verifier().check(request.getHeaderString(HttpHeaders.AUTHORIZATION), needed)) {
            case ALLOWED -> null;
            case UNAUTHENTICATED -> RestErrors.body(401, "UNAUTHENTICATED", "missing or unknown API key: send 'Authorization: Bearer <key>'");
            case PERMISSION_DENIED -> RestErrors.body(403, "PERMISSION_DENIED", "this call needs an admin key; this key has the client role");
        };
    }
}

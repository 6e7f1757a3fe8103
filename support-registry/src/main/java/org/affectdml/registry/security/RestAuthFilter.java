package org.affectdml.registry.security;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.affectdml.service.security.ApiKeyVerifier;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Map;

/** The REST API needs the same keys as gRPC: classify the client role, everything else under /api the admin role. */
public class RestAuthFilter {

    @Inject
    ApiKeys keys;

    @ServerRequestFilter
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/")) {
            return null;
        }
        ApiKeyVerifier.Role needed = path.endsWith("/classify") ? ApiKeyVerifier.Role.CLIENT : ApiKeyVerifier.Role.ADMIN;
        return switch (keys.verifier().check(request.getHeaderString(HttpHeaders.AUTHORIZATION), needed)) {
            case ALLOWED -> null;
            case UNAUTHENTICATED -> Response.status(401).type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("code", "UNAUTHENTICATED", "message", "missing or unknown API key: send 'Authorization: Bearer <key>'")).build();
            case PERMISSION_DENIED -> Response.status(403).type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("code", "PERMISSION_DENIED", "message", "this call needs an admin key; this key has the client role")).build();
        };
    }
}

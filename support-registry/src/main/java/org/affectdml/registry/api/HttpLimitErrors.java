package org.affectdml.registry.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.affectdml.registry.RegistryConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The REST API's size limits answered like every other REST error, {"code", "message"} naming the limit, before
 * the request reaches JAX-RS: a URI above affect.registry.max-uri-length (414) and a declared body above
 * quarkus.http.limits.max-body-size (413, sent before the body is read, so a client using Expect: 100-continue,
 * as curl does, never uploads it). gRPC requests are not touched.
 */
@ApplicationScoped
public class HttpLimitErrors {

    @Inject
    RegistryConfig config;

    @ConfigProperty(name = "quarkus.http.limits.max-body-size")
    MemorySize maxBodySize;

    void register(@Observes Filters filters) {
        filters.register(this::check, 20);
    }

    private void check(RoutingContext rc) {
        String contentType = rc.request().getHeader("content-type");
        if (contentType != null && contentType.startsWith("application/grpc")) {
            rc.next();
            return;
        }
        int uriLength = rc.request().uri().length();
        if (uriLength > config.maxUriLength()) {
            refuse(rc, 414, "INVALID_ARGUMENT", "the request URI is " + uriLength + " characters, above the limit of "
                    + config.maxUriLength() + " (affect.registry.max-uri-length)");
            return;
        }
        long declared = contentLength(rc.request().getHeader("content-length"));
        if (declared > maxBodySize.asLongValue()) {
            refuse(rc, 413, "RESOURCE_EXHAUSTED", "the request body is " + declared + " bytes, above the limit of "
                    + maxBodySize.asLongValue() + " bytes (quarkus.http.limits.max-body-size)");
            return;
        }
        rc.next();
    }

    private static long contentLength(String header) {
        try {
            return header == null ? -1 : Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;  // Vert.x refuses a malformed Content-Length itself
        }
    }

    private static void refuse(RoutingContext rc, int status, String code, String message) {
        rc.response().setStatusCode(status)
                .putHeader("content-type", "application/json")
                // The unread body must not be taken for the next request on this connection.
                .putHeader("connection", "close")
                .end(new JsonObject().put("code", code).put("message", message).encode());
    }
}

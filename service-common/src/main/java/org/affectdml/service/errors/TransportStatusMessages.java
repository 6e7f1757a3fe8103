package org.affectdml.service.errors;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.MultiMap;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Statuses the gRPC transport answers by itself carry no message: a request above the inbound message limit gets a
 * bare RESOURCE_EXHAUSTED. This adds the message a person can act on (the limit and its setting) to such a
 * response, before its headers are written; statuses the services send keep their own message.
 */
@ApplicationScoped
public class TransportStatusMessages {

    private static final String RESOURCE_EXHAUSTED = "8";

    @ConfigProperty(name = "quarkus.grpc.server.max-inbound-message-size", defaultValue = "4194304")
    int maxInboundMessageSize;

    void register(@Observes Filters filters) {
        filters.register(rc -> {
            String contentType = rc.request().getHeader("content-type");
            if (contentType != null && contentType.startsWith("application/grpc")) {
                rc.addHeadersEndHandler(ignored -> explain(rc.response().headers()));
            }
            rc.next();
        }, 10);
    }

    private void explain(MultiMap headers) {
        if (RESOURCE_EXHAUSTED.equals(headers.get("grpc-status")) && headers.get("grpc-message") == null) {
            headers.set("grpc-message", "the request message is larger than the limit of " + maxInboundMessageSize
                    + " bytes (quarkus.grpc.server.max-inbound-message-size); send smaller images or fewer items per call");
        }
    }
}

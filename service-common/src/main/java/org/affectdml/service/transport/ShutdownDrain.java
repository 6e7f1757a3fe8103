package org.affectdml.service.transport;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Moves gRPC clients off a replica that is shutting down, before it stops taking calls. A gRPC client keeps its
 * HTTP/2 connection however the endpoints change, so when SIGTERM starts the shutdown delay (readiness DOWN), every
 * open connection is asked to go away (GOAWAY: its calls in flight finish, new ones go to another replica), and so is
 * every connection opened during the delay, right after its first call. When the server then stops, hardly any call
 * is still on it. (The container journey saw a call fail without this: its retries all met the stopping replica
 * while the other one's connection was being renewed for its age.)
 */
@ApplicationScoped
public class ShutdownDrain {

    private static final Logger LOG = Logger.getLogger(ShutdownDrain.class);

    @Inject
    TransportConfig config;

    /** Weakly held (a closed connection is collected; no close handler is set, as Vert.x keeps only one per connection). */
    private final Set<HttpConnection> open = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    private volatile boolean draining;

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(rc -> {
            HttpConnection connection = rc.request().connection();
            if (connection != null && rc.request().version() == HttpVersion.HTTP_2) {
                if (draining) {
                    goAway(connection);
                } else {
                    open.add(connection);
                }
            }
            rc.next();
        });
    }

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        draining = true;
        LOG.infof("shutting down: asking the client connections to move to other replicas");
        List<HttpConnection> connections;
        synchronized (open) {
            connections = List.copyOf(open);
            open.clear();
        }
        connections.forEach(this::goAway);
    }

    private void goAway(HttpConnection connection) {
        connection.shutdown(config.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS).onFailure(e ->
                LOG.debugf("connection from %s could not be shut down gracefully: %s", connection.remoteAddress(), e.getMessage()));
    }
}

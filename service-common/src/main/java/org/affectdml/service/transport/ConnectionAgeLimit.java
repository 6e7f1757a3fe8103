package org.affectdml.service.transport;

import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A maximum connection age for the unified Vert.x server, which has no such setting: the first request on a
 * connection schedules its graceful shutdown (GOAWAY, then the calls in flight get the grace period) after the
 * configured age with ±10 % jitter. gRPC clients re-resolve their target when a connection goes away, so replicas
 * added by a scale-up receive calls within about one age, not never.
 */
@ApplicationScoped
public class ConnectionAgeLimit {

    private static final Logger LOG = Logger.getLogger(ConnectionAgeLimit.class);

    @Inject
    TransportConfig config;

    private final Set<HttpConnection> scheduled = ConcurrentHashMap.newKeySet();

    void install(@Observes Router router) {
        long ageMillis = config.maxConnectionAge().toMillis();
        if (ageMillis <= 0) {
            return;
        }
        long graceMillis = config.maxConnectionAgeGrace().toMillis();
        // Before every other route (gRPC's included): only notes the connection, then passes the request on. HTTP/1.x
        // connections cannot be shut down gracefully (Vert.x refuses with an error) and carry no gRPC: they end with
        // their keep-alive timeout instead.
        router.route().order(Integer.MIN_VALUE).handler(rc -> {
            HttpConnection connection = rc.request().connection();
            if (connection != null && rc.request().version() == io.vertx.core.http.HttpVersion.HTTP_2 && scheduled.add(connection)) {
                long delay = Math.max(1, Math.round(ageMillis * ThreadLocalRandom.current().nextDouble(0.9, 1.1)));
                rc.vertx().setTimer(delay, id -> {
                    scheduled.remove(connection);
                    LOG.debugf("connection from %s reached its maximum age; asking the client to reconnect", connection.remoteAddress());
                    connection.shutdown(graceMillis, TimeUnit.MILLISECONDS).onFailure(e ->
                            LOG.debugf("connection from %s could not be shut down gracefully: %s", connection.remoteAddress(), e.getMessage()));
                });
            }
            rc.next();
        });
    }
}

package org.affectdml.service.transport;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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

    /** How long the first GOAWAY's PING may go unanswered before the connection is shut down anyway. */
    private static final long PING_ANSWER_TIMEOUT_MILLIS = 10_000;

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
            if (connection != null && rc.request().version() == HttpVersion.HTTP_2 && scheduled.add(connection)) {
                long delay = Math.max(1, Math.round(ageMillis * ThreadLocalRandom.current().nextDouble(0.9, 1.1)));
                rc.vertx().setTimer(delay, id -> {
                    LOG.debugf("connection from %s reached its maximum age; asking the client to reconnect", connection.remoteAddress());
                    goAway(rc.vertx(), connection, graceMillis);
                });
            }
            rc.next();
        });
    }

    /**
     * A GOAWAY whose last stream id is 2^31-1 tells the client to open no more streams here, while every stream it
     * sent before reading it is still served; after a PING round trip those streams have all arrived, and the graceful
     * shutdown lets the calls finish within the grace, then closes. A GOAWAY naming the last stream created instead
     * (the plain shutdown) races with the streams the client opened before reading it, and so would a second GOAWAY
     * naming the real last one (grpc-java sends streams it had buffered after the first): Netty 4.1 refuses such a
     * stream's HEADERS but treats its DATA as a connection error (PROTOCOL_ERROR), failing every call on the connection.
     * The connection stays in {@code scheduled} until it is closed, so calls that arrive meanwhile set no new timer.
     */
    private void goAway(Vertx vertx, HttpConnection connection, long graceMillis) {
        AtomicBoolean shutDown = new AtomicBoolean();
        Runnable shutdown = () -> {
            if (shutDown.compareAndSet(false, true)) {
                connection.shutdown(graceMillis, TimeUnit.MILLISECONDS)
                        .onFailure(e -> LOG.debugf("connection from %s could not be shut down gracefully: %s", connection.remoteAddress(), e.getMessage()))
                        .onComplete(closed -> scheduled.remove(connection));
            }
        };
        connection.goAway(0, Integer.MAX_VALUE);
        connection.ping(Buffer.buffer(new byte[8]), pong -> shutdown.run());
        // a client that never answers the PING is still asked to go
        vertx.setTimer(PING_ANSWER_TIMEOUT_MILLIS, id -> shutdown.run());
    }
}

package org.affectdml.service.transport;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Redials refused replicas every {@code affect.transport.reconnect-interval}. grpc-java waits out an exponential
 * back-off (1 s growing to 2 min) before it redials an address that refused a connection, so a replica that restarts
 * in a few seconds would otherwise get no calls for seconds after it is ready; resetting the back-off is a no-op for
 * connected replicas and one connection attempt per interval for each address that is down.
 */
@ApplicationScoped
public class FastReconnect {

    @Inject
    TransportConfig config;

    @Inject
    Vertx vertx;

    private final List<Long> timers = new CopyOnWriteArrayList<>();

    /** Keeps {@code channel}'s replicas redialled; a channel that is not a grpc-java ManagedChannel is left alone. */
    public void watch(Channel channel) {
        long interval = config.reconnectInterval().toMillis();
        if (interval > 0 && channel instanceof ManagedChannel managed) {
            timers.add(vertx.setPeriodic(interval, id -> {
                if (!managed.isShutdown()) {
                    managed.resetConnectBackoff();
                }
            }));
        }
    }

    @PreDestroy
    void stop() {
        timers.forEach(vertx::cancelTimer);
    }
}

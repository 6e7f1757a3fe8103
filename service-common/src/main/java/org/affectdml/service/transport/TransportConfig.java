package org.affectdml.service.transport;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;

/**
 * How the services' gRPC connections behave when replicas come, go and restart: how long a server keeps a client
 * connection (so a client re-resolves and new replicas get traffic), which calls a client retries, and how soon it
 * redials a replica that refused it.
 */
@ConfigMapping(prefix = "affect.transport")
public interface TransportConfig {

    /**
     * Server side: a client connection is asked to go away (HTTP/2 GOAWAY) after this age, ±10 % so that clients do
     * not all reconnect at once. The client then reconnects and re-resolves its target, which is how the pods a
     * scale-up adds start to receive calls. 0 keeps connections for ever.
     */
    @WithDefault("60s")
    Duration maxConnectionAge();

    /** Calls still running on a connection that has been asked to go away may take this long before it is closed. */
    @WithDefault("30s")
    Duration maxConnectionAgeGrace();

    /** Client side: retries of the idempotent calls that answered UNAVAILABLE. */
    Retry retry();

    /**
     * Client side: how often a client redials replicas that refused a connection, instead of waiting out grpc-java's
     * exponential back-off (up to two minutes), so a restarted replica gets calls as soon as it listens. 0 leaves
     * the back-off alone.
     */
    @WithDefault("250ms")
    Duration reconnectInterval();

    interface Retry {
        /**
         * Attempts in all, the first one included (1 = no retry). grpc-java caps it at the client's max-retry-attempts
         * (5). Five spread by the back-off over about two seconds: long enough for a replica whose connection was just
         * renewed to be back while another one is stopping.
         */
        @WithDefault("5")
        int maxAttempts();

        @WithDefault("100ms")
        Duration initialBackoff();

        @WithDefault("1s")
        Duration maxBackoff();

        /**
         * Fully qualified gRPC services all of whose methods are idempotent, so a call that failed UNAVAILABLE can be
         * sent again, to the same or another replica: embedding and segmentation only compute from their request.
         */
        @WithDefault("affect.v1.EmbeddingService,affect.v1.Segmentation")
        List<String> idempotentServices();
    }
}

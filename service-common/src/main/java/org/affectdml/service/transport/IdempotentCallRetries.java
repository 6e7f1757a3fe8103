package org.affectdml.service.transport;

import io.grpc.netty.NettyChannelBuilder;
import io.quarkus.grpc.api.ChannelBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcClientConfiguration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Gives every gRPC client of a service grpc-java's retry policy for the idempotent services: UNAVAILABLE (a replica
 * killed or shutting down, a refused connection) is retried with exponential back-off, each attempt picked anew by
 * the round-robin balancer, within the call's deadline.
 *
 * <p>grpc-java keeps a call's request for retrying only up to the client's {@code per-rpc-buffer-limit} (1 MiB by
 * default) and silently stops retrying larger ones, so each client's properties raise it to the largest message it
 * may send, and turn retries on (Quarkus turns them off by default).
 */
@ApplicationScoped
public class IdempotentCallRetries implements ChannelBuilderCustomizer<NettyChannelBuilder> {

    @Inject
    TransportConfig config;

    @Override
    public Map<String, Object> customize(String name, GrpcClientConfiguration client, NettyChannelBuilder builder) {
        return serviceConfig(config.retry());
    }

    /** The service config (gRPC's JSON form, as grpc-java reads it from a map) with one retry policy per service. */
    static Map<String, Object> serviceConfig(TransportConfig.Retry retry) {
        if (retry.maxAttempts() <= 1) {
            return Map.of();
        }
        List<Object> names = retry.idempotentServices().stream().<Object>map(s -> Map.of("service", s)).toList();
        Map<String, Object> policy = Map.of(
                "maxAttempts", (double) retry.maxAttempts(),
                "initialBackoff", seconds(retry.initialBackoff()),
                "maxBackoff", seconds(retry.maxBackoff()),
                "backoffMultiplier", 2.0,
                "retryableStatusCodes", List.of("UNAVAILABLE"));
        return Map.of("methodConfig", List.of(Map.of("name", names, "retryPolicy", policy)));
    }

    private static String seconds(Duration d) {
        return d.toNanos() / 1e9 + "s";
    }
}

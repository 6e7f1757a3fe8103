package org.affectdml.service.metrics;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Where one call's time went, for the caller that asks: a call sent with the header {@code affect-server-timing: 1}
 * is answered with the trailer {@code affect-server-timing} listing the stages the service timed while serving it, in
 * the W3C Server-Timing syntax ({@code check;dur=0.412, embed;dur=3.100}, milliseconds). Nothing is recorded or sent
 * for a call that does not ask, so the cost on ordinary traffic is one header lookup. For benchmarks and diagnosis
 * (docs/benchmarks.md, "Where a Classify's time goes"); not a contract on performance.
 */
public final class ServerTiming {

    /** The request header that asks (any value) and the trailer that answers. */
    public static final Metadata.Key<String> KEY = Metadata.Key.of("affect-server-timing", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<ServerTiming> CONTEXT = Context.key("affect-server-timing");
    /** Bounds the trailer whatever a service records (a batch could time many stages). */
    private static final int MAX_STAGES = 64;

    private final ConcurrentLinkedQueue<Map.Entry<String, Long>> stages = new ConcurrentLinkedQueue<>();

    private ServerTiming() {
    }

    /** Records nothing: what {@link #current()} gives a call that did not ask. */
    private static final ServerTiming NONE = new ServerTiming();

    /**
     * The recorder of the call being served, or one that records nothing. Take it at the start of the call and pass it
     * on: code that runs in between (a transaction's context propagation) may leave another {@link Context} current.
     */
    public static ServerTiming current() {
        ServerTiming timing = CONTEXT.get();
        return timing == null ? NONE : timing;
    }

    /** Records a stage that took {@code nanos}. */
    public void record(String stage, long nanos) {
        if (this != NONE && stages.size() < MAX_STAGES) {
            stages.add(Map.entry(stage, nanos));
        }
    }

    /** Records a stage that started at {@code startedNanos} ({@link System#nanoTime()}) and ends now. */
    public void stop(String stage, long startedNanos) {
        record(stage, System.nanoTime() - startedNanos);
    }

    /** The trailer's value: stages in the order recorded. */
    String format() {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Long> s : stages) {
            parts.add(s.getKey() + ";dur=" + String.format(Locale.ROOT, "%.3f", s.getValue() / 1e6));
        }
        return String.join(", ", parts);
    }

    /** Parses a trailer's value into stage -> milliseconds (a stage recorded twice: the sum). */
    public static Map<String, Double> parse(String trailer) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (trailer == null || trailer.isBlank()) {
            return out;
        }
        for (String part : trailer.split(",")) {
            String[] fields = part.trim().split(";dur=");
            if (fields.length == 2) {
                out.merge(fields[0], Double.parseDouble(fields[1]), Double::sum);
            }
        }
        return out;
    }

    /** Starts the recording for calls that ask, and sends it as a trailer when the call closes. */
    @GlobalInterceptor
    @ApplicationScoped
    public static class Interceptor implements ServerInterceptor, Prioritized {

        /**
         * Outside IncomingDeadline (Integer.MAX_VALUE - 10): its deadline context then carries the recording, and the
         * service sees it wherever it sees the deadline (a transaction's context propagation restores that one).
         */
        @Override
        public int getPriority() {
            return Integer.MAX_VALUE - 5;
        }

        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            if (!headers.containsKey(KEY)) {
                return next.startCall(call, headers);
            }
            ServerTiming timing = new ServerTiming();
            long arrived = System.nanoTime();
            ServerCall<Q, A> withTrailer = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    // the whole call as this service saw it, headers in to trailers out: less the service's own
                    // "total", what its dispatch to a thread and the writing of the answer cost
                    timing.stop("call", arrived);
                    trailers.put(KEY, timing.format());
                    super.close(status, trailers);
                }
            };
            return Contexts.interceptCall(Context.current().withValue(CONTEXT, timing), withTrailer, headers, next);
        }
    }
}

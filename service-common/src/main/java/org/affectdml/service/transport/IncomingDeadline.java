package org.affectdml.service.transport;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Makes the caller's deadline the call's gRPC {@link Context} deadline. The unified Vert.x server does not read the
 * {@code grpc-timeout} header, so without this a Classify with a 2 s deadline would let the registry's Embed call,
 * and embedding-service's Segment call, run for their own configured timeouts. grpc-java clients take the earlier of
 * the context's deadline and their own, so every call a service makes while serving this one is bounded by it.
 * A call whose deadline has already passed is answered DEADLINE_EXCEEDED without running.
 */
@GlobalInterceptor
@ApplicationScoped
public class IncomingDeadline implements ServerInterceptor, Prioritized {

    static final Metadata.Key<String> TIMEOUT = Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);

    /** Fires the deadlines (cancels the contexts); a single daemon thread is plenty, the work is a flag. */
    private final ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "grpc-incoming-deadlines");
        t.setDaemon(true);
        return t;
    });

    public IncomingDeadline() {
        deadlines.setRemoveOnCancelPolicy(true);  // a call that ends in time takes its timer out of the queue at once
    }

    @Override
    public int getPriority() {
        return Integer.MAX_VALUE - 10;  // outermost: every other interceptor and the service run inside the deadline
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        long nanos = timeoutNanos(headers.get(TIMEOUT));
        if (nanos < 0 || Context.current().getDeadline() != null) {
            return next.startCall(call, headers);
        }
        if (nanos == 0) {
            call.close(Status.DEADLINE_EXCEEDED.withDescription("the call's deadline had passed when it arrived"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        Context.CancellableContext context = Context.current().withDeadlineAfter(nanos, TimeUnit.NANOSECONDS, deadlines);
        ServerCall.Listener<Q> listener = Contexts.interceptCall(context, call, headers, next);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    context.cancel(null);  // releases the deadline timer
                }
            }

            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    context.cancel(null);
                }
            }
        };
    }

    /**
     * The {@code grpc-timeout} header in nanoseconds (gRPC over HTTP/2: at most 8 digits and a unit H, M, S, m, u or
     * n), 0 if it is zero, -1 if absent or malformed (then the call runs without a deadline, as before).
     */
    static long timeoutNanos(String header) {
        if (header == null || header.length() < 2 || header.length() > 9) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < header.length() - 1; i++) {
            char c = header.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        TimeUnit unit = switch (header.charAt(header.length() - 1)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            case 'n' -> TimeUnit.NANOSECONDS;
            default -> null;
        };
        return unit == null ? -1 : unit.toNanos(value);
    }

    @PreDestroy
    void stop() {
        deadlines.shutdownNow();
    }
}

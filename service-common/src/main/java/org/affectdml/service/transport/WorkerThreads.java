package org.affectdml.service.transport;

import io.grpc.Context;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ManagedContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import java.util.concurrent.Callable;

/**
 * Runs a gRPC method's blocking work (models, SQL, calls to other services) on a worker thread with one hand-off.
 * quarkus-grpc's {@code @Blocking} sends every event of a call (start, message, half-close, complete) to a worker
 * and each completion back to the event loop: about eight thread hand-offs per unary call, each a wake-up that costs
 * tens to hundreds of microseconds on an idle VM (docs/benchmarks.md, "Where a Classify's time goes"). A method that
 * returns {@code WorkerThreads.call(...)} is not {@code @Blocking}: it is invoked on the event loop once the request
 * has arrived, and its work starts on a worker at once, carrying the call's gRPC {@link Context} (its deadline,
 * cancellation and ServerTiming recorder) and a CDI request context of its own.
 */
public final class WorkerThreads {

    private WorkerThreads() {
    }

    /** {@code work}'s answer, computed on a worker thread; what it throws fails the call (the shared error handler maps it). */
    public static <T> Uni<T> call(Callable<T> work) {
        Callable<T> inCallContext = Context.current().wrap(work);
        return Uni.createFrom().<T>emitter(emitter -> {
            try {
                emitter.complete(inRequestContext(inCallContext));
            } catch (Throwable t) {
                emitter.fail(t);
            }
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private static <T> T inRequestContext(Callable<T> work) throws Exception {
        ManagedContext requestContext = Arc.container().requestContext();
        if (requestContext.isActive()) {
            return work.call();
        }
        requestContext.activate();
        try {
            return work.call();
        } finally {
            requestContext.terminate();
        }
    }
}

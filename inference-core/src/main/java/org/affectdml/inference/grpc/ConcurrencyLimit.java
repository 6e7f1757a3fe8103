package org.affectdml.inference.grpc;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how many requests run model inference at once, so memory stays bounded under any load:
 * a request waits up to {@code queueTimeout} for a slot, then fails with RESOURCE_EXHAUSTED.
 */
public final class ConcurrencyLimit {

    private final Semaphore slots;
    private final int limit;
    private final Duration queueTimeout;

    public ConcurrencyLimit(int limit, Duration queueTimeout) {
        if (limit <= 0) {
            throw new IllegalArgumentException("concurrency limit must be positive, got " + limit);
        }
        this.slots = new Semaphore(limit, true);
        this.limit = limit;
        this.queueTimeout = queueTimeout;
    }

    public interface Work<T> {
        T run() throws Exception;
    }

    public <T> T run(String what, Work<T> work) throws Exception {
        if (!slots.tryAcquire(queueTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new GrpcErrors.OverloadedException(what + ": all " + limit + " inference slots stayed busy for "
                    + queueTimeout.toMillis() + " ms; retry with back-off or add replicas");
        }
        try {
            return work.run();
        } finally {
            slots.release();
        }
    }

    public int inFlight() {
        return limit - slots.availablePermits();
    }
}

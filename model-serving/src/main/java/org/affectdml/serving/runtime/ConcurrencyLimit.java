package org.affectdml.serving.runtime;

import org.affectdml.service.errors.Errors;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Bounds how many requests run model inference at once, so memory stays bounded under any load:
 * a request waits up to {@code queueTimeout} for a slot, then fails with RESOURCE_EXHAUSTED.
 * Running plus waiting requests ({@link #load()}) is the load signal the GPU pods autoscale on.
 */
public final class ConcurrencyLimit {

    private final Semaphore slots;
    private final int limit;
    private final Duration queueTimeout;
    private final LongConsumer queueWaitNanos;

    /** {@code queueWaitNanos} hears how long each admitted request waited for its slot. */
    public ConcurrencyLimit(int limit, Duration queueTimeout, LongConsumer queueWaitNanos) {
        if (limit <= 0) {
            throw new IllegalArgumentException("concurrency limit must be positive, got " + limit);
        }
        this.slots = new Semaphore(limit, true);
        this.limit = limit;
        this.queueTimeout = queueTimeout;
        this.queueWaitNanos = queueWaitNanos;
    }

    public interface Work<T> {
        T run() throws Exception;
    }

    public <T> T run(String what, Work<T> work) throws Exception {
        long arrived = System.nanoTime();
        if (!slots.tryAcquire(queueTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw Errors.resourceExhausted(what + ": all " + limit + " inference slots stayed busy for "
                    + queueTimeout.toMillis() + " ms; retry with back-off or add replicas");
        }
        queueWaitNanos.accept(System.nanoTime() - arrived);
        try {
            return work.run();
        } finally {
            slots.release();
        }
    }

    /** Requests holding a slot now. */
    public int inFlight() {
        return limit - slots.availablePermits();
    }

    /** Requests holding a slot plus those waiting for one (an estimate while threads come and go). */
    public int load() {
        return inFlight() + slots.getQueueLength();
    }

    public int limit() {
        return limit;
    }
}

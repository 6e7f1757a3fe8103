package org.affectdml.serving.runtime;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConcurrencyLimitTest {

    /** Waits (bounded) until the limit reports the expected load: threads enter the queue asynchronously. */
    private static void awaitLoad(ConcurrencyLimit limit, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (limit.load() != expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(expected, limit.load());
    }

    @Test
    void loadCountsRunningAndWaitingRequestsAndTheWaitIsReported() throws Exception {
        AtomicLong waited = new AtomicLong();
        ConcurrencyLimit limit = new ConcurrencyLimit(2, Duration.ofSeconds(10), waited::addAndGet);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<?>[] calls = new Future<?>[3];
            for (int i = 0; i < 3; i++) {
                calls[i] = pool.submit(() -> limit.run("test", () -> release.await(10, TimeUnit.SECONDS)));
            }
            awaitLoad(limit, 3);
            assertEquals(2, limit.inFlight());
            Thread.sleep(50);
            release.countDown();
            for (Future<?> call : calls) {
                call.get(10, TimeUnit.SECONDS);
            }
            assertEquals(0, limit.load());
            assertTrue(waited.get() >= TimeUnit.MILLISECONDS.toNanos(50), "the third request waited for a slot: " + waited.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRequestThatFindsNoSlotInTimeIsOverloaded() throws Exception {
        ConcurrencyLimit limit = new ConcurrencyLimit(1, Duration.ofMillis(50), nanos -> { });
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> holder = pool.submit(() -> limit.run("holder", () -> release.await(10, TimeUnit.SECONDS)));
            awaitLoad(limit, 1);
            var e = assertThrows(io.grpc.StatusRuntimeException.class, () -> limit.run("Embed", () -> 1));
            assertTrue(e.getMessage().contains("Embed: all 1 inference slots stayed busy for 50 ms"), e.getMessage());
            release.countDown();
            holder.get(10, TimeUnit.SECONDS);
            assertEquals(7, limit.run("after", () -> 7));
        } finally {
            pool.shutdownNow();
        }
    }
}

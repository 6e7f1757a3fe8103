package org.affectdml.serving.batching;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batcher with a recording runner: which submissions shared a run. Orderings are forced with latches and by
 * waiting until the batcher reports the submissions queued, never by sleeping.
 */
class MicroBatcherTest {

    /** A submission: its name and row count. */
    private record Item(String name, int rows) {
    }

    private final List<List<String>> runs = new CopyOnWriteArrayList<>();
    private final ExecutorService callers = Executors.newCachedThreadPool();
    private volatile CountDownLatch firstRunMayFinish = new CountDownLatch(0);
    private final CountDownLatch firstRunStarted = new CountDownLatch(1);

    @AfterEach
    void stop() {
        callers.shutdownNow();
    }

    private MicroBatcher<String, Item, String> batcher(BatchingPolicy policy) {
        return new MicroBatcher<>(policy, Item::rows, (key, items) -> {
            List<String> names = items.stream().map(Item::name).toList();
            runs.add(names);
            firstRunStarted.countDown();
            if (runs.size() == 1) {
                await(firstRunMayFinish);
            }
            if (names.contains("poison")) {
                throw new IllegalStateException("the model run failed");
            }
            return names.stream().map(n -> key + ":" + n).toList();
        }, (key, rows, submissions, waits) -> { });
    }

    private static BatchingPolicy policy(int maxBatch, Duration delay, List<Integer> preferred) {
        return new BatchingPolicy(true, maxBatch, delay, preferred, 1);
    }

    private Future<String> submit(MicroBatcher<String, Item, String> b, String key, String name, int rows) {
        return callers.submit(() -> b.submit(key, new Item(name, rows)));
    }

    /** Every wait of these tests is bounded: a batcher that loses a submission fails the test instead of hanging it. */
    private static final long WAIT_SECONDS = 30;

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(WAIT_SECONDS, TimeUnit.SECONDS), "an event of the batcher never came");
    }

    private static <T> T done(Future<T> f) throws Exception {
        return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static void awaitQueued(MicroBatcher<?, ?, ?> b, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.queued() < n) {
            assertTrue(System.nanoTime() < deadline, "submissions never queued");
            Thread.sleep(1);
        }
    }

    @Test
    void aLoneRequestRunsAtOnceAlone() throws Exception {
        var b = batcher(policy(8, Duration.ZERO, List.of()));
        assertEquals("m:a", b.submit("m", new Item("a", 1)));
        assertEquals(List.of(List.of("a")), runs);
    }

    @Test
    void requestsArrivingDuringARunShareTheNextOne() throws Exception {
        firstRunMayFinish = new CountDownLatch(1);
        var b = batcher(policy(8, Duration.ZERO, List.of()));
        Future<String> a = submit(b, "m", "a", 1);
        await(firstRunStarted);
        List<Future<String>> later = new ArrayList<>();
        for (String n : List.of("b", "c", "d")) {
            later.add(submit(b, "m", n, 2));
            awaitQueued(b, later.size());  // arrival order b, c, d
        }
        firstRunMayFinish.countDown();
        assertEquals("m:a", done(a));
        assertEquals(List.of("m:b", "m:c", "m:d"), List.of(done(later.get(0)), done(later.get(1)), done(later.get(2))));
        assertEquals(List.of(List.of("a"), List.of("b", "c", "d")), runs);
    }

    @Test
    void aRunTakesAtMostMaxBatchSizeRowsInArrivalOrder() throws Exception {
        firstRunMayFinish = new CountDownLatch(1);
        var b = batcher(policy(4, Duration.ZERO, List.of()));
        Future<String> a = submit(b, "m", "a", 1);
        await(firstRunStarted);
        List<Future<String>> later = new ArrayList<>();
        for (String n : List.of("b", "c", "d", "big")) {
            later.add(submit(b, "m", n, n.equals("big") ? 9 : 2));
            awaitQueued(b, later.size());
        }
        firstRunMayFinish.countDown();
        done(a);
        for (Future<String> f : later) {
            done(f);
        }
        // b+c fill 4 rows; d alone (d + big would exceed); big alone even though it exceeds the maximum
        assertEquals(List.of(List.of("a"), List.of("b", "c"), List.of("d"), List.of("big")), runs);
    }

    @Test
    void differentKeysNeverShareARun() throws Exception {
        firstRunMayFinish = new CountDownLatch(1);
        var b = batcher(policy(8, Duration.ZERO, List.of()));
        Future<String> a = submit(b, "old", "a", 1);
        await(firstRunStarted);
        List<Future<String>> later = new ArrayList<>();
        String[][] arrivals = {{"old", "b"}, {"new", "c"}, {"old", "d"}, {"new", "e"}};
        for (String[] arrival : arrivals) {
            later.add(submit(b, arrival[0], arrival[1], 1));
            awaitQueued(b, later.size());
        }
        firstRunMayFinish.countDown();
        done(a);
        assertEquals(List.of("old:b", "new:c", "old:d", "new:e"),
                List.of(done(later.get(0)), done(later.get(1)), done(later.get(2)), done(later.get(3))));
        assertEquals(List.of(List.of("a"), List.of("b", "d"), List.of("c", "e")), runs);
    }

    @Test
    void aFailedRunFailsEverySubmissionInIt() throws Exception {
        firstRunMayFinish = new CountDownLatch(1);
        var b = batcher(policy(8, Duration.ZERO, List.of()));
        Future<String> a = submit(b, "m", "a", 1);
        await(firstRunStarted);
        Future<String> poison = submit(b, "m", "poison", 1);
        awaitQueued(b, 1);
        Future<String> bystander = submit(b, "m", "b", 1);
        awaitQueued(b, 2);
        firstRunMayFinish.countDown();
        assertEquals("m:a", done(a));
        for (Future<String> f : List.of(poison, bystander)) {
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            assertInstanceOf(IllegalStateException.class, e.getCause());
        }
        assertEquals("m:c", b.submit("m", new Item("c", 1)), "the batcher keeps working after a failed run");
    }

    @Test
    void aRequestWhoseDeadlinePassesWhileQueuedLeavesWithoutRunning() throws Exception {
        firstRunMayFinish = new CountDownLatch(1);
        var b = batcher(policy(8, Duration.ZERO, List.of()));
        Future<String> a = submit(b, "m", "a", 1);
        await(firstRunStarted);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            Context.CancellableContext context = Context.current().withDeadlineAfter(200, TimeUnit.MILLISECONDS, timer);
            Future<String> late = callers.submit(() -> context.call(() -> b.submit("m", new Item("late", 1))));
            ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
            StatusRuntimeException s = assertInstanceOf(StatusRuntimeException.class, e.getCause());
            assertEquals(Status.Code.DEADLINE_EXCEEDED, s.getStatus().getCode());
            assertEquals(0, b.queued(), "it left the queue");
        } finally {
            timer.shutdownNow();
        }
        firstRunMayFinish.countDown();
        done(a);
        assertEquals(List.of(List.of("a")), runs, "the expired request never ran");
    }

    @Test
    void withAQueueDelayALoneRequestWaitsForCompanyAndAPreferredSizeStartsAtOnce() throws Exception {
        var b = batcher(policy(8, Duration.ofMillis(300), List.of(2)));
        long start = System.nanoTime();
        assertEquals("m:a", b.submit("m", new Item("a", 1)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(290), "the lone request waited the delay");

        // The preferred size starts a run at once: with a minute's delay, the two rows must not wait it out (an
        // event claim, so however slowly the second caller arrives, it cannot fail by chance).
        var patient = batcher(policy(8, Duration.ofMinutes(1), List.of(2)));
        Future<String> first = submit(patient, "m", "b", 1);
        awaitQueued(patient, 1);
        Future<String> second = submit(patient, "m", "c", 1);
        assertEquals("m:b", first.get(30, TimeUnit.SECONDS), "the preferred size did not start a run: it waited the delay");
        assertEquals("m:c", second.get(30, TimeUnit.SECONDS));
        assertEquals(List.of(List.of("a"), List.of("b", "c")), runs, "two rows, the preferred size, share a run");
    }

    @Test
    void disabledBatchingRunsEachRequestAloneAndConcurrently() throws Exception {
        firstRunMayFinish = new CountDownLatch(1);
        var b = batcher(new BatchingPolicy(false, 8, Duration.ZERO, List.of(), 1));
        Future<String> a = submit(b, "m", "a", 1);
        await(firstRunStarted);
        assertEquals("m:b", b.submit("m", new Item("b", 1)), "runs while the first run is still busy");
        firstRunMayFinish.countDown();
        assertEquals("m:a", done(a));
        assertEquals(List.of(List.of("a"), List.of("b")), runs);
        assertSame(2, runs.size());
    }
}

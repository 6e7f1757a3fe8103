package org.affectdml.registry;

import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Classify calls in a loop on a few threads, cycling through requests, until closed; counts what came back. */
final class ClassifyLoad implements AutoCloseable {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger answered = new AtomicInteger();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    ClassifyLoad(ClassificationGrpc.ClassificationBlockingStub client, List<ClassifyRequest> requests, int threadCount) {
        for (int t = 0; t < threadCount; t++) {
            int offset = t;
            Thread thread = new Thread(() -> {
                for (int i = offset; running.get(); i++) {
                    try {
                        client.withDeadlineAfter(30, TimeUnit.SECONDS).classify(requests.get(i % requests.size()));
                        answered.incrementAndGet();
                    } catch (StatusRuntimeException e) {
                        failures.add(e.getStatus().toString());
                    } catch (RuntimeException e) {
                        failures.add(e.toString());  // counted: a load thread never dies unnoticed
                    }
                }
            }, "classify-load-" + t);
            thread.start();
            threads.add(thread);
        }
    }

    int answered() {
        return answered.get();
    }

    List<String> failures() {
        return List.copyOf(failures);
    }

    /** Blocks until {@code more} further calls have been answered (or fails after a minute). */
    void awaitAnswered(int more) throws InterruptedException {
        int target = answered.get() + more;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (answered.get() < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + answered.get() + " of " + target + " calls answered; failures " + failures);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            if (t.isAlive()) {
                throw new IllegalStateException(t.getName() + " still calls 60 s after the load stopped (a call past its deadline)");
            }
        }
    }
}

package org.affectdml.serving.batching;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToIntFunction;

/**
 * Dynamic batching: concurrent submissions with the same key (one model of one bundle) are coalesced into one run
 * of up to {@link BatchingPolicy#maxBatchSize()} rows, in arrival order.
 *
 * <p>No thread of its own: the oldest waiting submission's thread runs the batch (its own submission is in it),
 * the others wait for their share of the result. While {@link BatchingPolicy#instances()} runs are busy, new
 * submissions queue, and the next run takes all that fit; so a lone request is never delayed (with a zero queue
 * delay) and batches grow with the load. A submission whose caller's gRPC deadline passes while it waits leaves
 * with DEADLINE_EXCEEDED and is never run.
 *
 * @param <K> what must be equal for submissions to share a run (e.g. bundle and role)
 * @param <S> a submission (one request's rows)
 * @param <R> its share of a run's result
 */
public final class MicroBatcher<K, S, R> {

    /** Runs one batch; returns one result per submission, in order. */
    public interface Runner<K, S, R> {
        List<R> run(K key, List<S> submissions) throws Exception;
    }

    /** Hears each run: its rows, its submissions and how long each waited in the queue. */
    public interface Observer<K> {
        void ran(K key, int rows, int submissions, long[] queueNanos);
    }

    private static final class Pending<K, S, R> {
        final K key;
        final S submission;
        final int rows;
        final long enqueued = System.nanoTime();
        final Deadline deadline;
        boolean done;
        R result;
        Throwable error;

        Pending(K key, S submission, int rows, Deadline deadline) {
            this.key = key;
            this.submission = submission;
            this.rows = rows;
            this.deadline = deadline;
        }

        boolean expired() {
            return deadline != null && deadline.isExpired();
        }
    }

    private final BatchingPolicy policy;
    private final ToIntFunction<S> rowsOf;
    private final Runner<K, S, R> runner;
    private final Observer<K> observer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Pending<K, S, R>> queue = new ArrayDeque<>();
    private int running;

    public MicroBatcher(BatchingPolicy policy, ToIntFunction<S> rowsOf, Runner<K, S, R> runner, Observer<K> observer) {
        this.policy = policy;
        this.rowsOf = rowsOf;
        this.runner = runner;
        this.observer = observer;
    }

    /** Runs {@code submission} in a batch with others of the same key; blocks until its result is in. */
    public R submit(K key, S submission) throws Exception {
        int rows = rowsOf.applyAsInt(submission);
        if (!policy.enabled()) {
            observer.ran(key, rows, 1, new long[]{0});
            return runner.run(key, List.of(submission)).get(0);
        }
        Pending<K, S, R> me = new Pending<>(key, submission, rows, Context.current().getDeadline());
        lock.lock();
        try {
            queue.addLast(me);
            changed.signalAll();  // a head waiting for more rows re-checks
            awaitResult(me);
        } finally {
            lock.unlock();
        }
        if (me.error != null) {
            throw me.error instanceof Exception e ? e : new IllegalStateException(me.error);
        }
        return me.result;
    }

    /** Waits, leading a batch when it is this submission's turn; with the lock held. */
    private void awaitResult(Pending<K, S, R> me) throws InterruptedException {
        try {
            while (!me.done) {
                if (queue.peekFirst() == me && running < policy.instances()) {
                    long wait = formationWaitNanos(me);
                    if (wait <= 0) {
                        lead(take(me.key));
                        continue;
                    }
                    changed.awaitNanos(Math.min(wait, untilDeadlineNanos(me)));
                } else {
                    changed.awaitNanos(untilDeadlineNanos(me));
                }
                if (!me.done && me.expired()) {
                    queue.remove(me);
                    changed.signalAll();
                    throw deadlineExceeded();
                }
            }
        } catch (InterruptedException e) {
            // leave the queue, so no batch runs for a caller that is gone and the next in line can lead
            queue.remove(me);
            changed.signalAll();
            throw e;
        }
    }

    /** Submissions waiting for a run now. */
    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** How long the head should still wait for more rows; 0 or less: start now. */
    private long formationWaitNanos(Pending<K, S, R> head) {
        long delay = policy.maxQueueDelay().toNanos();
        if (delay == 0) {
            return 0;
        }
        int rows = 0;
        for (Pending<K, S, R> p : queue) {
            if (p.key.equals(head.key)) {
                rows += p.rows;
            }
        }
        return rows >= policy.readyRows() ? 0 : head.enqueued + delay - System.nanoTime();
    }

    /** The next batch: waiting submissions of this key in arrival order while they fit (the first always does). */
    private List<Pending<K, S, R>> take(K key) {
        List<Pending<K, S, R>> batch = new ArrayList<>();
        int rows = 0;
        for (Iterator<Pending<K, S, R>> it = queue.iterator(); it.hasNext(); ) {
            Pending<K, S, R> p = it.next();
            if (!p.key.equals(key)) {
                continue;
            }
            if (p.expired()) {
                it.remove();
                finish(p, null, deadlineExceeded());
                continue;
            }
            if (!batch.isEmpty() && rows + p.rows > policy.maxBatchSize()) {
                break;
            }
            it.remove();
            batch.add(p);
            rows += p.rows;
        }
        return batch;
    }

    /** Runs a batch on this thread, outside the lock; called and returns with the lock held. */
    private void lead(List<Pending<K, S, R>> batch) {
        if (batch.isEmpty()) {
            changed.signalAll();
            return;
        }
        running++;
        lock.unlock();
        List<R> results = null;
        Throwable failure = null;
        try {
            long start = System.nanoTime();
            long[] waits = new long[batch.size()];
            int rows = 0;
            List<S> submissions = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                waits[i] = start - batch.get(i).enqueued;
                rows += batch.get(i).rows;
                submissions.add(batch.get(i).submission);
            }
            observer.ran(batch.get(0).key, rows, batch.size(), waits);
            results = Objects.requireNonNull(runner.run(batch.get(0).key, submissions), "batch results");
            if (results.size() != batch.size()) {
                throw new IllegalStateException("a batch of " + batch.size() + " submissions gave " + results.size() + " results");
            }
        } catch (Throwable t) {
            failure = t;  // the run failed as a whole: every submission in it gets the failure
        } finally {
            lock.lock();
            running--;
            for (int i = 0; i < batch.size(); i++) {
                finish(batch.get(i), failure == null ? results.get(i) : null, failure);
            }
            changed.signalAll();
        }
    }

    private void finish(Pending<K, S, R> p, R result, Throwable error) {
        p.result = result;
        p.error = error;
        p.done = true;
    }

    private static long untilDeadlineNanos(Pending<?, ?, ?> p) {
        // without a deadline, wake up now and then anyway: a wait is never lost, this only bounds a missed signal
        return p.deadline == null ? TimeUnit.SECONDS.toNanos(1) : Math.max(1, p.deadline.timeRemaining(TimeUnit.NANOSECONDS));
    }

    private static io.grpc.StatusRuntimeException deadlineExceeded() {
        return Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed while it waited for a model run")
                .asRuntimeException();
    }
}

package org.affectdml.serving.batching;

import java.time.Duration;
import java.util.List;

/**
 * When concurrent requests for one model are coalesced into one run, with the knobs Triton's dynamic batcher has.
 *
 * @param enabled             false: every request runs its model alone, as many at once as arrive
 * @param maxBatchSize        rows (images or crops) per run at most; a request with more rows runs alone
 * @param maxQueueDelay       how long the oldest waiting request may wait for more to join; 0: a batch starts as soon
 *                            as a run slot is free, with whatever is waiting (a lone request never waits)
 * @param preferredBatchSizes with a delay: a batch starts before the delay once this many rows wait (the largest
 *                            size counts; empty: {@code maxBatchSize})
 * @param instances           runs of one model at once (a GPU is best fed one run at a time; on CPU each run
 *                            already uses every core)
 */
public record BatchingPolicy(boolean enabled, int maxBatchSize, Duration maxQueueDelay, List<Integer> preferredBatchSizes,
                             int instances) {

    public BatchingPolicy {
        if (maxBatchSize < 1 || instances < 1) {
            throw new IllegalArgumentException("batching needs max-batch-size >= 1 and instances >= 1, got "
                    + maxBatchSize + " and " + instances);
        }
        if (maxQueueDelay.isNegative()) {
            throw new IllegalArgumentException("max-queue-delay must not be negative, got " + maxQueueDelay);
        }
        preferredBatchSizes = List.copyOf(preferredBatchSizes);
    }

    /** Rows that make a batch ready before the queue delay has passed. */
    int readyRows() {
        return preferredBatchSizes.stream().filter(s -> s <= maxBatchSize).mapToInt(Integer::intValue).max().orElse(maxBatchSize);
    }
}

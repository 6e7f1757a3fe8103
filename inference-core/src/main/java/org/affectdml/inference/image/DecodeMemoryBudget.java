package org.affectdml.inference.image;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bytes that decodes in flight may hold together. A decode reserves its estimate before allocating and gives
 * it back when done; when other requests hold the budget it waits a bounded time, then fails with
 * {@link DecodeBudgetExhaustedException} (a retryable RESOURCE_EXHAUSTED for clients).
 */
final class DecodeMemoryBudget {

    /** Decoded raster, its int[] copy and the orientation copy. */
    static final int BYTES_PER_PIXEL = 12;
    private static final int KIB = 1024;
    private static final long WAIT_SECONDS = 10;

    private final long bytes;
    // Permits are KiB so that budgets above 2 GiB still fit in an int.
    private final Semaphore permits;

    DecodeMemoryBudget(long bytes) {
        this.bytes = bytes;
        this.permits = new Semaphore((int) Math.min(Integer.MAX_VALUE, bytes / KIB), true);
    }

    /** Reserves memory for a decode of that many pixels; close the reservation when the decode is done. */
    Reservation reserve(long pixels) {
        long needed = pixels * BYTES_PER_PIXEL;
        if (needed > bytes) {
            throw new InvalidImageException("decoding " + pixels + " pixels needs about " + needed
                    + " bytes, above the decode memory budget of " + bytes + " bytes (affect.image.decode-memory-bytes)");
        }
        int kib = (int) Math.max(1, (needed + KIB - 1) / KIB);
        try {
            if (!permits.tryAcquire(kib, WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new DecodeBudgetExhaustedException("the decode memory budget of " + bytes
                        + " bytes is in use by other requests; retry with back-off");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DecodeBudgetExhaustedException("interrupted while waiting for decode memory; retry");
        }
        return () -> permits.release(kib);
    }

    interface Reservation extends AutoCloseable {
        @Override
        void close();
    }
}

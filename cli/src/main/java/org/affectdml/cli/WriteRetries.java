package org.affectdml.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.util.UUID;
import java.util.function.Function;

/**
 * Write calls of the admin commands: each gets a fresh request id (the registry's idempotency key), and an attempt
 * whose outcome is unknown (UNAVAILABLE, DEADLINE_EXCEEDED) is retried with the same id, so the registry answers
 * the first outcome instead of doing the change twice.
 */
final class WriteRetries {

    static final int ATTEMPTS = 4;
    private static final long FIRST_BACKOFF_MILLIS = 250;

    private WriteRetries() {
    }

    /** Calls {@code write} with one new request id until it answers or fails with something a retry cannot change. */
    static <T> T withRequestId(Function<String, T> write) {
        String requestId = UUID.randomUUID().toString();
        long backoff = FIRST_BACKOFF_MILLIS;
        for (int attempt = 1; ; attempt++) {
            try {
                return write.apply(requestId);
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                boolean unknownOutcome = code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
                if (!unknownOutcome || attempt == ATTEMPTS) {
                    throw e;
                }
                System.err.printf("%s (attempt %d of %d); retrying with the same request id %s%n", code, attempt, ATTEMPTS, requestId);
                sleep(backoff);
                backoff *= 2;
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }
}

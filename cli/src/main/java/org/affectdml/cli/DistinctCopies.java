package org.affectdml.cli;

import org.affectdml.inference.image.SyntheticPhotos;

/**
 * Copies of an encoded image with the same pixels but different bytes (a note holding a run id and a counter), so
 * each benchmark request is a first sight for the services' scene cache, as distinct photos are.
 */
final class DistinctCopies {

    /** Differs per process, so a second benchmark run against the same services is not answered from the cache either. */
    private static final long RUN = new java.security.SecureRandom().nextLong();

    private DistinctCopies() {
    }

    static byte[] copy(byte[] image, long n) {
        return SyntheticPhotos.withComment(image, "affect-bench " + Long.toHexString(RUN) + " " + n);
    }
}

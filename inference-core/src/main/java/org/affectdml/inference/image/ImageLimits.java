package org.affectdml.inference.image;

/**
 * Explicit bounds on what a request may make the server decode, so memory stays bounded whatever
 * arrives: the encoded size, the pixel count read from the header before any raster is allocated, and the
 * bytes all decodes running at once may hold (each reserves about 12 bytes per decoded pixel while it runs).
 */
public record ImageLimits(long maxBytes, long maxPixels, long decodeMemoryBytes) {

    /** 512 MiB: one full-resolution decode at the 40 Mpx limit fits; reduced-resolution decodes need far less. */
    public static final long DEFAULT_DECODE_MEMORY = 512L * 1024 * 1024;

    /** 20 MiB and 40 megapixels (a 7360x5520 camera frame fits). */
    public static final ImageLimits DEFAULT = new ImageLimits(20L * 1024 * 1024, 40_000_000L);

    public ImageLimits {
        if (maxBytes <= 0 || maxPixels <= 0 || decodeMemoryBytes <= 0) {
            throw new IllegalArgumentException("image limits must be positive: bytes " + maxBytes + ", pixels " + maxPixels
                    + ", decode memory " + decodeMemoryBytes);
        }
    }

    public ImageLimits(long maxBytes, long maxPixels) {
        this(maxBytes, maxPixels, DEFAULT_DECODE_MEMORY);
    }
}

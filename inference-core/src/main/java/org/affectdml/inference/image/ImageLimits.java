package org.affectdml.inference.image;

/**
 * Explicit bounds on what a request may make the server decode, so memory stays bounded whatever
 * arrives: the encoded size, and the pixel count read from the header before any raster is allocated.
 */
public record ImageLimits(long maxBytes, long maxPixels) {

    /** 20 MiB and 40 megapixels (a 7360x5520 camera frame fits). */
    public static final ImageLimits DEFAULT = new ImageLimits(20L * 1024 * 1024, 40_000_000L);

    public ImageLimits {
        if (maxBytes <= 0 || maxPixels <= 0) {
            throw new IllegalArgumentException("image limits must be positive: bytes " + maxBytes + ", pixels " + maxPixels);
        }
    }
}

package org.affectdml.inference.segmentation;

/**
 * Sem2Vec (paper Eq. 3): for one image, X[i] = 1 iff class i is present in its segmentation.
 * "Present" means at least one pixel, or with {@code minPixelFraction > 0} at least that share of the
 * label map's pixels (0 = the paper's definition).
 */
public final class Sem2Vec {

    private Sem2Vec() {
    }

    /** Pixel count per class of a label map (class indices in [0, classes)). */
    public static int[] classCounts(byte[] labelMap, int classes) {
        int[] counts = new int[classes];
        for (byte b : labelMap) {
            counts[b & 0xFF]++;
        }
        return counts;
    }

    public static float[] fractions(int[] counts) {
        long total = 0;
        for (int c : counts) {
            total += c;
        }
        float[] f = new float[counts.length];
        for (int i = 0; i < counts.length && total > 0; i++) {
            f[i] = (float) ((double) counts[i] / total);
        }
        return f;
    }

    public static float[] multiHot(int[] counts, double minPixelFraction) {
        if (!(minPixelFraction >= 0 && minPixelFraction < 1)) {
            throw new IllegalArgumentException("min_pixel_fraction must be in [0, 1), got " + minPixelFraction);
        }
        long total = 0;
        for (int c : counts) {
            total += c;
        }
        float[] x = new float[counts.length];
        for (int i = 0; i < counts.length; i++) {
            x[i] = counts[i] > 0 && counts[i] >= minPixelFraction * total ? 1f : 0f;
        }
        return x;
    }
}

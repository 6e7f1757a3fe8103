package org.affectdml.embedding;

/**
 * What an image contributes to every person in it, whatever the box: Sem2Vec, the per-class pixel fractions of
 * its segmentation, and the image encoder's output. Null for a stream the bundle's head does not use.
 */
record SceneFeatures(float[] sem2vec, float[] pixelFractions, float[] imageFeatures) {

    /** Heap bytes of the arrays plus object overhead, for the cache's byte bound. */
    long bytes() {
        return 96 + length(sem2vec) * 4L + length(pixelFractions) * 4L + length(imageFeatures) * 4L;
    }

    private static int length(float[] a) {
        return a == null ? 0 : a.length;
    }
}

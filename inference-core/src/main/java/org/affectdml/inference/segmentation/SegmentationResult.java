package org.affectdml.inference.segmentation;

/**
 * The segmentation of one image: its label map (argmax class per pixel at the segmenter's output
 * resolution), per-class pixel counts, and the Sem2Vec vector.
 */
public record SegmentationResult(int width, int height, byte[] labelMap, int[] classCounts, float[] sem2vec) {

    public float[] pixelFractions() {
        return Sem2Vec.fractions(classCounts);
    }
}

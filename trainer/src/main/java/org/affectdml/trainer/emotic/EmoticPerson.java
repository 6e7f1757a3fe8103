package org.affectdml.trainer.emotic;

import java.util.List;

/**
 * One annotated person of EMOTIC: where the image is, the body box, and the annotations of every annotator
 * (one in the train split, several in val/test) plus the combined values where the source provides them.
 *
 * @param source          file and row/person index, for messages ("Annotations.mat: val[12].person[1]")
 * @param split           train, val or test (as the source names it)
 * @param image           path of the image relative to the data set root (folder/filename)
 * @param box             x1, y1, x2, y2 in pixels, as EMOTIC's body_bbox
 * @param categories      per annotator, the category names (canonical spelling)
 * @param vad             per annotator, valence, arousal, dominance (1..10; NaN when missing)
 * @param combinedVad     the source's combined (averaged) V, A, D; null when absent
 */
public record EmoticPerson(String source, String split, String image, int width, int height, float[] box,
                           List<List<String>> categories, List<double[]> vad, double[] combinedVad) {

    /** Every annotator's categories in one list (votes): the W of paper Eq. 1. */
    public List<String> categoryVotes() {
        return categories.stream().flatMap(List::stream).toList();
    }
}

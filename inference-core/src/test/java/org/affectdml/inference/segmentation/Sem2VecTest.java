package org.affectdml.inference.segmentation;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Sem2VecTest {

    // A 4x2 label map over 5 classes: class 0 on 5 pixels, class 2 on 2, class 4 on 1; classes 1 and 3 absent.
    private static final byte[] LABELS = {0, 0, 2, 0, 0, 4, 2, 0};

    @Test
    void countsPixelsPerClass() {
        assertArrayEquals(new int[]{5, 0, 2, 0, 1}, Sem2Vec.classCounts(LABELS, 5));
    }

    @Test
    void multiHotMarksEveryClassPresentOnAtLeastOnePixel() {
        assertArrayEquals(new float[]{1, 0, 1, 0, 1}, Sem2Vec.multiHot(Sem2Vec.classCounts(LABELS, 5), 0));
    }

    @Test
    void minimumPixelFractionDropsRareClasses() {
        // class 4 covers 1/8 = 0.125 < 0.2; class 2 covers 0.25
        assertArrayEquals(new float[]{1, 0, 1, 0, 0}, Sem2Vec.multiHot(Sem2Vec.classCounts(LABELS, 5), 0.2));
    }

    @Test
    void fractionsSumToOne() {
        assertArrayEquals(new float[]{0.625f, 0, 0.25f, 0, 0.125f}, Sem2Vec.fractions(Sem2Vec.classCounts(LABELS, 5)), 1e-7f);
    }

    @Test
    void fractionOutsideTheUnitIntervalIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Sem2Vec.multiHot(new int[]{1}, 1.0));
        assertThrows(IllegalArgumentException.class, () -> Sem2Vec.multiHot(new int[]{1}, -0.1));
    }

    @Test
    void argmaxOverChannelPlanesTakesTheFirstMaximumOnTies() {
        // 3 classes x 2 pixels, channel-major: pixel 0 logits (1, 3, 3) -> 1 (first max); pixel 1 (5, 2, 4) -> 0
        FloatBuffer logits = FloatBuffer.wrap(new float[]{1, 5, 3, 2, 3, 4});
        assertArrayEquals(new byte[]{1, 0}, SemanticSegmenter.argmax(logits, 0, 3, 2));
    }
}

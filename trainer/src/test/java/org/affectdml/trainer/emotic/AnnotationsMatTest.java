package org.affectdml.trainer.emotic;

import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.LabelAssigner;
import org.affectdml.trainer.protocol.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Annotations.mat written in the official layout with mfl-core and read back. */
class AnnotationsMatTest {

    @TempDir
    Path tmp;

    private static final EmoticPerson TRAIN = new EmoticPerson("", "train", "mscoco/images/COCO_1.jpg", 640, 480,
            new float[]{10, 20, 110, 220}, List.of(List.of("Engagement", "Happiness")), List.of(new double[]{7, 4, 6}), null);
    private static final EmoticPerson TRAIN_2 = new EmoticPerson("", "train", "mscoco/images/COCO_1.jpg", 640, 480,
            new float[]{300, 20, 400, 300}, List.of(List.of("Fatigue")), List.of(new double[]{3, 2, 5}), null);
    private static final EmoticPerson VAL = new EmoticPerson("", "val", "framesdb/images/f_9.jpg", 300, 200,
            new float[]{1, 2, 3, 4}, List.of(List.of("Esteem"), List.of("Esteem", "Peace"), List.of("Yearning")),
            List.of(new double[]{6, 5, 7}, new double[]{6, 4, 7}, new double[]{5, 5, 3}), null);

    @Test
    void roundTripKeepsImagesBoxesAnnotatorsAndCombinedValues() throws Exception {
        Path file = tmp.resolve("Annotations.mat");
        AnnotationsMatWriter.write(List.of(TRAIN, TRAIN_2, VAL), file);
        List<EmoticPerson> read = AnnotationsMatReader.read(file);
        assertEquals(3, read.size());
        EmoticPerson t = read.get(0);
        assertEquals("train", t.split());
        assertEquals("mscoco/images/COCO_1.jpg", t.image());
        assertEquals(640, t.width());
        assertArrayEquals(new float[]{10, 20, 110, 220}, t.box());
        assertEquals(List.of(List.of("Engagement", "Happiness")), t.categories());
        assertNull(t.combinedVad());
        assertEquals("Annotations.mat: train[0].person[1]", read.get(1).source());
        EmoticPerson v = read.get(2);
        assertEquals(3, v.categories().size());
        assertArrayEquals(new double[]{17 / 3.0, 14 / 3.0, 17 / 3.0}, v.combinedVad(), 1e-9);
        // Eq. 1-2 on the val person: Esteem has 2 votes
        assertEquals("Esteem", Protocol.CAT_6_6.classes().get(new LabelAssigner(Protocol.CAT_6_6, null).assign(v).getAsInt()).name());
        assertEquals(7, Protocol.LEV_7_3.classes().get(new LabelAssigner(Protocol.LEV_7_3, Dimension.DOMINANCE).assign(v).getAsInt()).level());
    }

    @Test
    void unknownCategoryNamesTheFilePersonAndField() throws Exception {
        Path file = tmp.resolve("bad.mat");
        AnnotationsMatWriter.write(List.of(new EmoticPerson("", "train", "a/b.jpg", 10, 10, new float[]{0, 0, 5, 5},
                List.of(List.of("Happyness")), List.of(new double[]{5, 5, 5}), null)), file);
        EmoticFormatException e = assertThrows(EmoticFormatException.class, () -> AnnotationsMatReader.read(file));
        assertTrue(e.getMessage().startsWith("bad.mat: train[0].person[0], field 'annotations_categories[0].categories': 'Happyness'"),
                e.getMessage());
    }
}

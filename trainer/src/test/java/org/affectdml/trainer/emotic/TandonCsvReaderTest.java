package org.affectdml.trainer.emotic;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mat2py.py CSV form: header by name, Python-literal cells, combined labels in val/test. */
class TandonCsvReaderTest {

    @TempDir
    Path tmp;

    private static final String HEADER = "Index,Folder,Filename,Image Size,BBox,Categorical_Labels,Continuous_Labels,Gender,Age\n";

    @Test
    void readsTrainAndValRows() throws Exception {
        Path train = Files.writeString(tmp.resolve("train.csv"), HEADER
                + "0,mscoco/images,COCO_1.jpg,\"[640, 480]\",\"[86, 58, 564, 628]\",\"['Disconnection', 'Doubt/Confusion']\",\"[5, 3, 9]\",Male,Adult\n");
        Path val = Files.writeString(tmp.resolve("val.csv"), HEADER
                + "0,framesdb/images,f.jpg,\"[300, 200]\",\"[1, 2, 30, 40]\",\"['Peace', \"\"Esteem\"\"]\",\"[6.5, 4.0, 7.25]\",Female,Kid\n");
        EmoticPerson t = TandonCsvReader.read(train).get(0);
        assertEquals("mscoco/images/COCO_1.jpg", t.image());
        assertEquals(640, t.width());
        assertArrayEquals(new float[]{86, 58, 564, 628}, t.box());
        assertEquals(List.of(List.of("Disconnection", "Doubt/Confusion")), t.categories());
        assertArrayEquals(new double[]{5, 3, 9}, t.vad().get(0));
        assertNull(t.combinedVad());
        EmoticPerson v = TandonCsvReader.read(val).get(0);
        assertEquals("val", v.split());
        assertEquals(List.of("Peace", "Esteem"), v.categoryVotes());
        assertArrayEquals(new double[]{6.5, 4.0, 7.25}, v.combinedVad());
        assertTrue(v.vad().isEmpty());
    }

    @Test
    void malformedCellNamesFileRowAndField() throws Exception {
        Path bad = Files.writeString(tmp.resolve("train.csv"), HEADER
                + "0,a,b.jpg,\"[640, 480]\",\"[86, 58, 564]\",\"['Peace']\",\"[5, 3, 9]\",Male,Adult\n");
        EmoticFormatException e = assertThrows(EmoticFormatException.class, () -> TandonCsvReader.read(bad));
        assertEquals("train.csv: row 2, field 'BBox': expected 4 values, found 3", e.getMessage());
        Path broken = Files.writeString(tmp.resolve("val.csv"), HEADER + "0,a,\"b.jpg\"x,\"[1, 1]\",\"[0, 0, 1, 1]\",\"[]\",\"[1, 1, 1]\",M,A\n");
        e = assertThrows(EmoticFormatException.class, () -> TandonCsvReader.read(broken));
        assertTrue(e.getMessage().startsWith("val.csv, field 'csv': "), e.getMessage());
        Path missing = Files.writeString(tmp.resolve("test.csv"), "Index,Folder,Filename\n0,a,b\n");
        e = assertThrows(EmoticFormatException.class, () -> TandonCsvReader.read(missing));
        assertTrue(e.getMessage().startsWith("test.csv, field 'imagesize': column missing"), e.getMessage());
    }
}

package org.affectdml.trainer.emotic;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The annot_arrs CSV form: category columns found by name in any order (here the "definition order"). */
class AnnotArrsCsvReaderTest {

    @TempDir
    Path tmp;

    private static final List<String> DEFINITION_ORDER = List.of("Peace", "Affection", "Esteem", "Anticipation", "Engagement",
            "Confidence", "Happiness", "Pleasure", "Excitement", "Surprise", "Sympathy", "Doubt/Confusion", "Disconnection",
            "Fatigue", "Embarrassment", "Yearning", "Disapproval", "Aversion", "Annoyance", "Anger", "Sensitivity", "Sadness",
            "Disquietment", "Fear", "Pain", "Suffering");

    private Path csv(String name, String row) throws Exception {
        String header = "Filename,Width,Height,Age,Gender,X_min,Y_min,X_max,Y_max,Arr_name,Crop_name,"
                + String.join(",", DEFINITION_ORDER) + ",Valence,Arousal,Dominance\n";
        return Files.writeString(tmp.resolve(name), header + row + "\n");
    }

    private static String flags(String... set) {
        StringBuilder b = new StringBuilder();
        for (String c : DEFINITION_ORDER) {
            b.append(b.length() == 0 ? "" : ",").append(List.of(set).contains(c) ? "1" : "0");
        }
        return b.toString();
    }

    @Test
    void categoriesAreKeyedByColumnNameNotPosition() throws Exception {
        Path file = csv("annot_arrs_train.csv", "a.jpg,640,480,Adult,Male,10,20,110,220,arr_0.npy,crop_0.npy,"
                + flags("Yearning", "Peace") + ",5,6,7");
        EmoticPerson p = AnnotArrsCsvReader.read(file).get(0);
        assertEquals("train", p.split());
        assertEquals(List.of(List.of("Peace", "Yearning")), p.categories());
        assertArrayEquals(new float[]{10, 20, 110, 220}, p.box());
        assertArrayEquals(new double[]{5, 6, 7}, p.vad().get(0));
    }

    @Test
    void nonNumericCellNamesRowAndColumn() throws Exception {
        Path file = csv("annot_arrs_val.csv", "a.jpg,640,480,Adult,Male,10,20,x,220,arr_0.npy,crop_0.npy," + flags() + ",5,6,7");
        EmoticFormatException e = assertThrows(EmoticFormatException.class, () -> AnnotArrsCsvReader.read(file));
        assertEquals("annot_arrs_val.csv: row 2, field 'X_max': 'x' is not a number", e.getMessage());
    }
}

package org.affectdml.trainer.emotic;

import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.format.Mat5File;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.Cell;
import us.hebi.matlab.mat.types.Char;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Struct;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads EMOTIC's official {@code Annotations.mat} (docs/method.md §3.1): structures train, val, test,
 * one element per image with filename, folder, image_size {n_col, n_row} and person (body_bbox,
 * annotations_categories, annotations_continuous; val/test also combined_categories and
 * combined_continuous, with one annotations_* element per annotator). Read with mfl-core.
 */
public final class AnnotationsMatReader {

    public static final List<String> SPLITS = List.of("train", "val", "test");

    private AnnotationsMatReader() {
    }

    public static List<EmoticPerson> read(Path file) throws IOException {
        List<EmoticPerson> persons = new ArrayList<>();
        try (Mat5File mat = Mat5.readFromFile(file.toFile())) {
            for (String split : SPLITS) {
                Struct images;
                try {
                    images = mat.getStruct(split);
                } catch (IllegalArgumentException | NullPointerException e) {
                    continue;  // a file may hold only some splits
                }
                for (int i = 0; i < images.getNumElements(); i++) {
                    String where = file.getFileName() + ": " + split + "[" + i + "]";
                    String filename = string(images.get("filename", i), where, "filename");
                    String folder = string(images.get("folder", i), where, "folder");
                    Struct size = images.getStruct("image_size", i);
                    int width = (int) scalar(size.get("n_col"), where, "image_size.n_col");
                    int height = (int) scalar(size.get("n_row"), where, "image_size.n_row");
                    Struct people = images.getStruct("person", i);
                    for (int p = 0; p < people.getNumElements(); p++) {
                        persons.add(person(people, p, where + ".person[" + p + "]", split, folder + "/" + filename, width, height));
                    }
                }
            }
        }
        return persons;
    }

    private static EmoticPerson person(Struct people, int p, String where, String split, String image, int width, int height) {
        Matrix box = people.getMatrix("body_bbox", p);
        if (box.getNumElements() != 4) {
            throw new EmoticFormatException(where, "body_bbox", "needs 4 values [x1 y1 x2 y2], has " + box.getNumElements());
        }
        float[] bbox = {(float) box.getDouble(0), (float) box.getDouble(1), (float) box.getDouble(2), (float) box.getDouble(3)};
        List<List<String>> categories = new ArrayList<>();
        Struct annotators = people.getStruct("annotations_categories", p);
        for (int a = 0; a < annotators.getNumElements(); a++) {
            categories.add(categoryList(annotators.get("categories", a), where, "annotations_categories[" + a + "].categories"));
        }
        List<double[]> vad = new ArrayList<>();
        Struct continuous = people.getStruct("annotations_continuous", p);
        for (int a = 0; a < continuous.getNumElements(); a++) {
            vad.add(vadOf(continuous, a, where, "annotations_continuous[" + a + "]"));
        }
        double[] combined = null;
        if (people.getFieldNames().contains("combined_continuous")) {
            combined = vadOf(people.getStruct("combined_continuous", p), 0, where, "combined_continuous");
        }
        return new EmoticPerson(where, split, image, width, height, bbox, categories, vad, combined);
    }

    private static double[] vadOf(Struct s, int index, String where, String field) {
        return new double[]{
                scalarOrNaN(s.get("valence", index), where, field + ".valence"),
                scalarOrNaN(s.get("arousal", index), where, field + ".arousal"),
                scalarOrNaN(s.get("dominance", index), where, field + ".dominance")};
    }

    private static List<String> categoryList(Array value, String where, String field) {
        List<String> names = new ArrayList<>();
        if (value instanceof Cell cell) {
            for (int k = 0; k < cell.getNumElements(); k++) {
                names.add(canonical(string(cell.get(k), where, field), where, field));
            }
        } else if (value instanceof Char c && c.getNumElements() > 0) {
            names.add(canonical(c.getString(), where, field));
        }
        return names;
    }

    static String canonical(String name, String where, String field) {
        return EmoticCategories.canonical(name).orElseThrow(() ->
                new EmoticFormatException(where, field, "'" + name + "' is not one of the 26 EMOTIC categories"));
    }

    private static String string(Array value, String where, String field) {
        if (value instanceof Char c) {
            return c.getString().trim();
        }
        throw new EmoticFormatException(where, field, "expected text, found " + (value == null ? "nothing" : value.getType()));
    }

    private static double scalar(Array value, String where, String field) {
        if (value instanceof Matrix m && m.getNumElements() >= 1) {
            return m.getDouble(0);
        }
        throw new EmoticFormatException(where, field, "expected a number, found " + (value == null ? "nothing" : value.getType()));
    }

    private static double scalarOrNaN(Array value, String where, String field) {
        if (value instanceof Matrix m && m.getNumElements() == 0) {
            return Double.NaN;
        }
        return scalar(value, where, field);
    }
}

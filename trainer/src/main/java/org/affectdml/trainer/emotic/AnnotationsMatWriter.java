package org.affectdml.trainer.emotic;

import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Cell;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Struct;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes persons in the layout of EMOTIC's {@code Annotations.mat} (for generated data sets). Val/test
 * persons also get combined_categories (the union) and combined_continuous (the mean), as the official file.
 */
public final class AnnotationsMatWriter {

    private AnnotationsMatWriter() {
    }

    public static void write(List<EmoticPerson> persons, Path file) throws IOException {
        MatFile mat = Mat5.newMatFile();
        for (String split : AnnotationsMatReader.SPLITS) {
            Map<String, List<EmoticPerson>> byImage = new LinkedHashMap<>();
            persons.stream().filter(p -> p.split().equals(split)).forEach(p -> byImage.computeIfAbsent(p.image(), k -> new ArrayList<>()).add(p));
            if (byImage.isEmpty()) {
                continue;
            }
            Struct images = Mat5.newStruct(1, byImage.size());
            int i = 0;
            for (var entry : byImage.entrySet()) {
                String image = entry.getKey();
                int slash = image.lastIndexOf('/');
                EmoticPerson first = entry.getValue().get(0);
                Struct size = Mat5.newStruct();
                size.set("n_col", Mat5.newScalar(first.width()));
                size.set("n_row", Mat5.newScalar(first.height()));
                images.set("filename", i, Mat5.newString(image.substring(slash + 1)));
                images.set("folder", i, Mat5.newString(slash < 0 ? "" : image.substring(0, slash)));
                images.set("image_size", i, size);
                images.set("person", i, people(entry.getValue(), !split.equals("train")));
                i++;
            }
            mat.addArray(split, images);
        }
        Mat5.writeToFile(mat, file.toFile());
    }

    private static Struct people(List<EmoticPerson> persons, boolean combined) {
        Struct people = Mat5.newStruct(1, persons.size());
        for (int p = 0; p < persons.size(); p++) {
            EmoticPerson person = persons.get(p);
            Matrix box = Mat5.newMatrix(1, 4);
            for (int k = 0; k < 4; k++) {
                box.setDouble(k, person.box()[k]);
            }
            people.set("body_bbox", p, box);
            Struct annotators = Mat5.newStruct(1, person.categories().size());
            for (int a = 0; a < person.categories().size(); a++) {
                annotators.set("categories", a, cell(person.categories().get(a)));
            }
            people.set("annotations_categories", p, annotators);
            Struct continuous = Mat5.newStruct(1, person.vad().size());
            for (int a = 0; a < person.vad().size(); a++) {
                setVad(continuous, a, person.vad().get(a));
            }
            people.set("annotations_continuous", p, continuous);
            if (combined) {
                people.set("combined_categories", p, cell(person.categoryVotes().stream().distinct().toList()));
                Struct mean = Mat5.newStruct();
                setVad(mean, 0, person.combinedVad() != null ? person.combinedVad() : meanVad(person.vad()));
                people.set("combined_continuous", p, mean);
            }
        }
        return people;
    }

    private static Cell cell(List<String> names) {
        Cell cell = Mat5.newCell(1, names.size());
        for (int k = 0; k < names.size(); k++) {
            cell.set(k, Mat5.newString(names.get(k)));
        }
        return cell;
    }

    private static void setVad(Struct s, int index, double[] vad) {
        s.set("valence", index, Mat5.newScalar(vad[0]));
        s.set("arousal", index, Mat5.newScalar(vad[1]));
        s.set("dominance", index, Mat5.newScalar(vad[2]));
    }

    private static double[] meanVad(List<double[]> vad) {
        double[] m = new double[3];
        for (double[] v : vad) {
            for (int k = 0; k < 3; k++) {
                m[k] += v[k] / vad.size();
            }
        }
        return m;
    }
}

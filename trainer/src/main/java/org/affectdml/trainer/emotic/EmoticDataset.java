package org.affectdml.trainer.emotic;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * An EMOTIC-format data set on disk: the images under {@code root} and the annotations in any of the supported
 * forms, pooled over all splits (docs/method.md §2.5). Persons whose image is missing are reported and skipped.
 *
 * @param root    the directory the persons' image paths are relative to
 * @param persons persons whose image exists
 * @param missing one line per skipped person ("image not found: ..." with the annotation's location)
 */
public record EmoticDataset(Path root, List<EmoticPerson> persons, List<String> missing) {

    /**
     * @param annotations an {@code Annotations.mat}, a Tandon-A CSV or {@code annot_arrs_*.csv} file, or a directory
     *                    holding {@code train/val/test.csv} (Tandon-A) or {@code annot_arrs_*.csv}
     * @param report      receives one line per skipped person, as it is found
     */
    public static EmoticDataset load(Path root, Path annotations, Consumer<String> report) throws IOException {
        List<EmoticPerson> all = new ArrayList<>();
        for (Path file : annotationFiles(annotations)) {
            all.addAll(read(file));
        }
        Path images = imageRoot(root, all.isEmpty() ? null : all.get(0).image());
        List<EmoticPerson> present = new ArrayList<>(all.size());
        List<String> missing = new ArrayList<>();
        for (EmoticPerson p : all) {
            if (Files.isRegularFile(images.resolve(p.image()))) {
                present.add(p);
            } else {
                String line = "image not found, person skipped: " + images.resolve(p.image()) + " (" + p.source() + ")";
                missing.add(line);
                report.accept(line);
            }
        }
        return new EmoticDataset(images, List.copyOf(present), List.copyOf(missing));
    }

    /** Image paths are relative to the root, or to {@code root/emotic/} in Tandon-A's data_dir layout. */
    static Path imageRoot(Path root, String firstImage) {
        if (firstImage != null && !Files.exists(root.resolve(firstImage)) && Files.exists(root.resolve("emotic").resolve(firstImage))) {
            return root.resolve("emotic");
        }
        return root;
    }

    static List<EmoticPerson> read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".mat")) {
            return AnnotationsMatReader.read(file);
        }
        if (name.startsWith("annot_arrs")) {
            return AnnotArrsCsvReader.read(file);
        }
        return TandonCsvReader.read(file);
    }

    static List<Path> annotationFiles(Path annotations) throws IOException {
        if (!Files.exists(annotations)) {
            throw new IOException("annotations not found: " + annotations);
        }
        if (!Files.isDirectory(annotations)) {
            return List.of(annotations);
        }
        List<Path> tandon = new ArrayList<>();
        for (String split : List.of("train.csv", "val.csv", "test.csv")) {
            if (Files.isRegularFile(annotations.resolve(split))) {
                tandon.add(annotations.resolve(split));
            }
        }
        if (!tandon.isEmpty()) {
            return tandon;
        }
        try (Stream<Path> files = Files.list(annotations)) {
            List<Path> arrs = files.filter(f -> f.getFileName().toString().matches("annot_arrs_.*\\.csv")).sorted().toList();
            if (!arrs.isEmpty()) {
                return arrs;
            }
        }
        if (Files.isRegularFile(annotations.resolve("Annotations.mat"))) {
            return List.of(annotations.resolve("Annotations.mat"));
        }
        throw new IOException(annotations + " holds no train.csv/val.csv/test.csv, annot_arrs_*.csv or Annotations.mat");
    }
}

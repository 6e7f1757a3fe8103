package org.affectdml.trainer.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds the annotations of an EMOTIC-format directory, in the layouts people have: in the root, in
 * {@code annotations/}, {@code Annotations/}, {@code emotic_pre/} (Tandon-A) or {@code annots_arrs/}.
 */
public final class DatasetLocator {

    private static final List<String> ANNOTATION_DIRS = List.of("", "annotations", "Annotations", "emotic_pre", "annots_arrs");

    private DatasetLocator() {
    }

    public static Path annotations(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("data set directory not found: " + root);
        }
        for (String dir : ANNOTATION_DIRS) {
            Path d = dir.isEmpty() ? root : root.resolve(dir);
            for (String f : List.of("train.csv", "Annotations.mat", "CVPR17_Annotations.mat", "annot_arrs_train.csv")) {
                if (Files.isRegularFile(d.resolve(f))) {
                    return f.endsWith(".mat") ? d.resolve(f) : d;
                }
            }
        }
        throw new IOException(root + " holds no EMOTIC annotations: looked for train.csv, Annotations.mat or annot_arrs_train.csv in "
                + ANNOTATION_DIRS.stream().map(d -> d.isEmpty() ? "." : d).toList());
    }
}

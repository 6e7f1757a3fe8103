package org.affectdml.trainer.eval;

import org.affectdml.trainer.head.HeadTrainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every epoch of a training run, as it went: {@code training.csv} (one row per epoch: learning rate, loss and its
 * parts, active triplets per batch, validation accuracy, seconds, whether it is the kept epoch) and
 * {@code training.png} (the loss and the validation accuracy against the epoch, the kept epoch marked), written next to
 * the bundle's evaluation report.
 */
public final class TrainingCurves {

    static final String HEADER = "epoch,learning_rate,loss,triplet_loss,cross_entropy,active_triplets_per_batch,"
            + "validation_balanced_accuracy,seconds,kept";

    private TrainingCurves() {
    }

    public static void write(List<HeadTrainer.EpochReport> history, int keptEpoch, Path directory, String title) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("training.csv"), csv(history, keptEpoch));
        Plots.curves(history, keptEpoch, title, directory.resolve("training.png"));
    }

    /** Empty fields where a value is undefined (no validation data: NaN). */
    static String csv(List<HeadTrainer.EpochReport> history, int keptEpoch) {
        List<String> rows = new ArrayList<>();
        rows.add(HEADER);
        for (HeadTrainer.EpochReport e : history) {
            rows.add(String.join(",", Integer.toString(e.epoch()), number(e.learningRate()), number(e.loss()), number(e.tripletLoss()),
                    number(e.crossEntropy()), number(e.activeTripletsPerBatch()), number(e.validationAccuracy()), number(e.seconds()),
                    Boolean.toString(e.epoch() == keptEpoch)));
        }
        return String.join("\n", rows) + "\n";
    }

    private static String number(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
    }
}

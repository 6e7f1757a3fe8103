package org.affectdml.trainer.eval;

import org.affectdml.trainer.head.HeadTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The per-epoch record of a training run: one CSV row per epoch as reported, and a chart of it. */
class TrainingCurvesTest {

    @Test
    void aRowPerEpochAndAChart(@TempDir Path dir) throws Exception {
        List<HeadTrainer.EpochReport> history = List.of(
                new HeadTrainer.EpochReport(1, 2, 3.5e-4, 1.25, 0.5, 2.0, 3.5, 0.4, 1.5, true),
                new HeadTrainer.EpochReport(2, 2, 3.5e-5, 0.75, 0.25, 1.25, 1.0, Double.NaN, 1.25, false));
        TrainingCurves.write(history, 1, dir, "test run");
        assertEquals(List.of(TrainingCurves.HEADER,
                        "1,0.000350000,1.25000,0.500000,2.00000,3.50000,0.400000,1.50000,true",
                        "2,3.50000e-05,0.750000,0.250000,1.25000,1.00000,,1.25000,false"),
                Files.readAllLines(dir.resolve("training.csv")), "no validation in epoch 2: an empty field, not NaN");
        BufferedImage png = ImageIO.read(dir.resolve("training.png").toFile());
        assertNotNull(png);
        assertEquals(720, png.getWidth());
    }
}

package org.affectdml.trainer;

import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.StepRecord;

import java.util.List;
import java.util.Random;

/** What the trainer's step-level tests share: balanced labels, Gaussian rows, a listener that keeps every step. */
public final class TrainingFixtures {

    private TrainingFixtures() {
    }

    /** {@code classes * perClass} labels 0, 1, ..., classes - 1, 0, 1, ... */
    public static int[] labels(int classes, int perClass) {
        int[] labels = new int[classes * perClass];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % classes;
        }
        return labels;
    }

    /** {@code rows} x {@code columns} standard normal values. */
    public static float[][] gaussian(Random random, int rows, int columns) {
        float[][] m = new float[rows][columns];
        for (float[] row : m) {
            for (int j = 0; j < columns; j++) {
                row[j] = (float) random.nextGaussian();
            }
        }
        return m;
    }

    /** A listener that asks for step records and adds each to {@code steps}. */
    public static HeadTrainer.Listener recorder(List<StepRecord> steps) {
        return new HeadTrainer.Listener() {
            @Override
            public void epoch(HeadTrainer.EpochReport report) {
            }

            @Override
            public boolean recordsSteps() {
                return true;
            }

            @Override
            public void step(StepRecord record) {
                steps.add(record);
            }
        };
    }
}

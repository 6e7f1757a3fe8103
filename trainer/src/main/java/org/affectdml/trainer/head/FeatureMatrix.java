package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Rows of the three feature streams with their labels, as flat float arrays for fast batch gathering. */
public record FeatureMatrix(int rows, int imageDim, int bodyDim, int semDim, float[] image, float[] body, float[] sem,
                            int[] labels) {

    public static FeatureMatrix of(float[][] image, float[][] body, float[][] sem, int[] labels) {
        int n = labels.length;
        return new FeatureMatrix(n, image[0].length, body[0].length, sem[0].length, flatten(image), flatten(body), flatten(sem), labels);
    }

    private static float[] flatten(float[][] rows) {
        int d = rows[0].length;
        float[] flat = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * d, d);
        }
        return flat;
    }

    /** The same rows with each consecutive group of {@code batch} rows given its Sem2Vec union ({@link Sem2VecBatchUnion}). */
    public FeatureMatrix withSem2vecUnion(int batch) {
        if (rows == 0 || semDim == 0) {
            return this;
        }
        float[][] semRows = new float[rows][];
        for (int i = 0; i < rows; i++) {
            semRows[i] = java.util.Arrays.copyOfRange(sem, i * semDim, (i + 1) * semDim);
        }
        return new FeatureMatrix(rows, imageDim, bodyDim, semDim, image, body, flatten(Sem2VecBatchUnion.apply(semRows, batch)), labels);
    }

    NDArray image(NDManager m, int[] idx) {
        return gather(m, image, imageDim, idx);
    }

    NDArray body(NDManager m, int[] idx) {
        return gather(m, body, bodyDim, idx);
    }

    NDArray sem(NDManager m, int[] idx) {
        return gather(m, sem, semDim, idx);
    }

    int[] labels(int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = labels[idx[i]];
        }
        return out;
    }

    private static NDArray gather(NDManager m, float[] flat, int d, int[] idx) {
        float[] out = new float[idx.length * d];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(flat, idx[i] * d, out, i * d, d);
        }
        return m.create(out, new Shape(idx.length, d));
    }
}

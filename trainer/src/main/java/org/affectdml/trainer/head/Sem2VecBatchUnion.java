package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;

import java.util.Map;

/**
 * The public code's Sem2Vec, as a reproduction aid (docs/method.md §4.3): every person of a batch gets the union of
 * the batch's Sem2Vec vectors (bit i set when any person's image has class i), instead of its own image's (Eq. 3).
 * Used only when a training run asks for it ({@link TrainingConfig#withSem2vecBatchUnion}); the bundle's manifest
 * then says so, and its evaluation forms the same unions over batches of the training batch size.
 */
public final class Sem2VecBatchUnion {

    /** The manifest's hyperparameter that marks a bundle trained this way. */
    public static final String MANIFEST_KEY = "sem2vec_batch_union";

    private Sem2VecBatchUnion() {
    }

    /** Each row of a batch's Sem2Vec rows replaced by their union (element-wise maximum of 0/1 vectors). */
    public static NDArray apply(NDArray rows) {
        return rows.max(new int[]{0}, true).broadcast(rows.getShape());
    }

    /** The same over consecutive groups of {@code batch} rows (the last may be smaller), in place order kept. */
    public static float[][] apply(float[][] rows, int batch) {
        float[][] out = new float[rows.length][];
        for (int start = 0; start < rows.length; start += batch) {
            int end = Math.min(rows.length, start + batch);
            float[] union = new float[rows[start].length];
            for (int r = start; r < end; r++) {
                for (int i = 0; i < union.length; i++) {
                    union[i] = Math.max(union[i], rows[r][i]);
                }
            }
            for (int r = start; r < end; r++) {
                out[r] = union.clone();
            }
        }
        return out;
    }

    /** The batch size to form unions over for a bundle with these hyperparameters, or 0 when it uses Sem2Vec per image. */
    public static int batchOf(Map<String, Object> hyperparameters) {
        if (hyperparameters == null || !Boolean.TRUE.equals(hyperparameters.get(MANIFEST_KEY))) {
            return 0;
        }
        return ((Number) hyperparameters.get("batch_size")).intValue();
    }
}

package org.affectdml.inference.bundle;

import org.affectdml.inference.onnx.OnnxGraphBuilder;

import java.util.Random;

/**
 * The head of the default bundle, used until the trainer has published a trained one. A fixed, documented
 * function with no learned weights:
 * <pre>
 *   z = normalize( W^T [ normalize(f_img) ; normalize(f_body) ; normalize(sem2vec) ] )
 * </pre>
 * where normalize divides by max(||x||_2, 1e-12) and W is a (D_img + D_body + D_sem) x E matrix of
 * N(0, 1/E) entries drawn by {@code java.util.Random(seed).nextGaussian()} row by row. The three streams
 * weigh equally, and by Johnson-Lindenstrauss the projection approximately keeps the cosine similarities
 * of the concatenation, so nearest-neighbour search on z is meaningful before any training.
 */
public final class DefaultHead {

    public static final String KIND = "default-random-projection";
    /** Seed of W (FG 2021). Changing it changes every default embedding. */
    public static final long SEED = 2021L;
    public static final int EMBEDDING_DIMENSION = 128;
    private static final float EPS = 1e-12f;

    private DefaultHead() {
    }

    public static byte[] build(int imageDim, int bodyDim, int semDim, int embeddingDim, long seed) {
        int in = imageDim + bodyDim + semDim;
        OnnxGraphBuilder g = new OnnxGraphBuilder("affect_dml_default_head", "affect-dml bundle tool")
                .input(Roles.HEAD_IMAGE_FEATURES, -1, imageDim)
                .input(Roles.HEAD_BODY_FEATURES, -1, bodyDim)
                .input(Roles.HEAD_SEM2VEC, -1, semDim)
                .output(Roles.HEAD_EMBEDDING, -1, embeddingDim)
                .initializer("projection", projection(in, embeddingDim, seed), in, embeddingDim)
                .l2Normalize(Roles.HEAD_IMAGE_FEATURES, "image_unit", EPS)
                .l2Normalize(Roles.HEAD_BODY_FEATURES, "body_unit", EPS)
                .l2Normalize(Roles.HEAD_SEM2VEC, "sem_unit", EPS)
                .node("Concat", new String[]{"image_unit", "body_unit", "sem_unit"}, new String[]{"fused"}, "axis", 1L)
                .node("MatMul", new String[]{"fused", "projection"}, new String[]{"projected"});
        return g.l2Normalize("projected", Roles.HEAD_EMBEDDING, EPS).build();
    }

    /** Row-major (in x out) matrix of N(0, 1/out) values. */
    public static float[] projection(int in, int out, long seed) {
        Random random = new Random(seed);
        float scale = (float) (1 / Math.sqrt(out));
        float[] w = new float[in * out];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian() * scale;
        }
        return w;
    }
}

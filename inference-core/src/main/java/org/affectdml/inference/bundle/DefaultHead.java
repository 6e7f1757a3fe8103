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
 * <p>{@link #GRAPH_REVISION} enters the default bundle's version: a store holding a bundle built by an older
 * graph (without the per-stream outputs) gets a new version, and supports are re-embedded with it.
 */
public final class DefaultHead {

    public static final String KIND = "default-random-projection";
    /** Seed of W (FG 2021). Changing it changes every default embedding. */
    public static final long SEED = 2021L;
    public static final int EMBEDDING_DIMENSION = 128;
    /** 2: the per-stream projection outputs. */
    public static final int GRAPH_REVISION = 2;
    private static final float EPS = 1e-12f;

    private DefaultHead() {
    }

    /**
     * The graph, with the product taken block by block: {@code W^T [a; b; c] = W_a^T a + W_b^T b + W_c^T c}, where W_s
     * are the rows of W for stream s. Each block's product is also an output (the stream's projection, see
     * {@link Roles#HEAD_IMAGE_PROJECTION}), at no extra cost since the embedding needs it anyway.
     */
    public static byte[] build(int imageDim, int bodyDim, int semDim, int embeddingDim, long seed) {
        float[] w = projection(imageDim + bodyDim + semDim, embeddingDim, seed);
        OnnxGraphBuilder g = new OnnxGraphBuilder("affect_dml_default_head", "affect-dml bundle tool")
                .input(Roles.HEAD_IMAGE_FEATURES, -1, imageDim)
                .input(Roles.HEAD_BODY_FEATURES, -1, bodyDim)
                .input(Roles.HEAD_SEM2VEC, -1, semDim)
                .output(Roles.HEAD_EMBEDDING, -1, embeddingDim)
                .output(Roles.HEAD_IMAGE_PROJECTION, -1, embeddingDim)
                .output(Roles.HEAD_BODY_PROJECTION, -1, embeddingDim)
                .output(Roles.HEAD_SCENE_PROJECTION, -1, embeddingDim);
        block(g, Roles.HEAD_IMAGE_FEATURES, Roles.HEAD_IMAGE_PROJECTION, w, 0, imageDim, embeddingDim);
        block(g, Roles.HEAD_BODY_FEATURES, Roles.HEAD_BODY_PROJECTION, w, imageDim, bodyDim, embeddingDim);
        block(g, Roles.HEAD_SEM2VEC, Roles.HEAD_SCENE_PROJECTION, w, imageDim + bodyDim, semDim, embeddingDim);
        g.node("Add", new String[]{Roles.HEAD_IMAGE_PROJECTION, Roles.HEAD_BODY_PROJECTION}, new String[]{"image_body"})
                .node("Add", new String[]{"image_body", Roles.HEAD_SCENE_PROJECTION}, new String[]{"projected"});
        return g.l2Normalize("projected", Roles.HEAD_EMBEDDING, EPS).build();
    }

    /** normalize(input) times rows [from, from + rows) of W, as output {@code projection}. */
    private static void block(OnnxGraphBuilder g, String input, String projection, float[] w, int from, int rows, int out) {
        String unit = input + "_unit";
        String weights = projection + "_weights";
        g.initializer(weights, java.util.Arrays.copyOfRange(w, from * out, (from + rows) * out), rows, out)
                .l2Normalize(input, unit, EPS)
                .node("MatMul", new String[]{unit, weights}, new String[]{projection});
    }

    /** The head's file entry in a manifest: its inputs and every output. */
    public static ModelFile manifestEntry(String path, String sha256, long size, int imageDim, int bodyDim, int semDim, int embeddingDim) {
        return new ModelFile(path, sha256, size,
                java.util.List.of(TensorSpec.of(Roles.HEAD_IMAGE_FEATURES, -1, imageDim), TensorSpec.of(Roles.HEAD_BODY_FEATURES, -1, bodyDim),
                        TensorSpec.of(Roles.HEAD_SEM2VEC, -1, semDim)),
                java.util.List.of(TensorSpec.of(Roles.HEAD_EMBEDDING, -1, embeddingDim),
                        TensorSpec.of(Roles.HEAD_IMAGE_PROJECTION, -1, embeddingDim),
                        TensorSpec.of(Roles.HEAD_BODY_PROJECTION, -1, embeddingDim),
                        TensorSpec.of(Roles.HEAD_SCENE_PROJECTION, -1, embeddingDim)), null);
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

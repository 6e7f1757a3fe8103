package org.affectdml.inference.bundle;

import java.util.List;

/** The roles a bundle file can play, and the fixed tensor names of the head's inputs and outputs. */
public final class Roles {

    public static final String IMAGE_ENCODER = "image_encoder";
    public static final String BODY_ENCODER = "body_encoder";
    public static final String SEGMENTER = "segmenter";
    /** The segmenter's class names, one per line, line i = logit channel i. */
    public static final String SEGMENTER_LABELS = "segmenter_labels";
    public static final String HEAD = "head";

    public static final List<String> ONNX_ROLES = List.of(IMAGE_ENCODER, BODY_ENCODER, SEGMENTER, HEAD);

    /** Head input fed by the image encoder's output. */
    public static final String HEAD_IMAGE_FEATURES = "image_features";
    /** Head input fed by the body encoder's output. */
    public static final String HEAD_BODY_FEATURES = "body_features";
    /** Head input fed by Sem2Vec. */
    public static final String HEAD_SEM2VEC = "sem2vec";
    public static final String HEAD_EMBEDDING = "embedding";

    /*
     * Optional head outputs: each stream's projection, its contribution to the fused vector before the shared
     * layers (trained head: the stream's Linear; default head: its block of the random projection). Explanations
     * compare a query's and a support's projections stream by stream.
     */
    public static final String HEAD_IMAGE_PROJECTION = "image_projection";
    public static final String HEAD_BODY_PROJECTION = "body_projection";
    public static final String HEAD_SCENE_PROJECTION = "scene_projection";

    /** The projection output that belongs to a head input. */
    public static String projectionOf(String headInput) {
        return switch (headInput) {
            case HEAD_IMAGE_FEATURES -> HEAD_IMAGE_PROJECTION;
            case HEAD_BODY_FEATURES -> HEAD_BODY_PROJECTION;
            case HEAD_SEM2VEC -> HEAD_SCENE_PROJECTION;
            default -> throw new IllegalArgumentException("no head input " + headInput);
        };
    }

    private Roles() {
    }
}

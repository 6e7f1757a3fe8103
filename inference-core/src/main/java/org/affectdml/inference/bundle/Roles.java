package org.affectdml.inference.bundle;

import java.util.List;

/** The roles a bundle file can play, and the fixed tensor names of the head's inputs and output. */
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

    private Roles() {
    }
}

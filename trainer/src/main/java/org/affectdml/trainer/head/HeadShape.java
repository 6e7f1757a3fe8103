package org.affectdml.trainer.head;

/**
 * Sizes of the trainable head (docs/method.md §4.2-4.4, on frozen encoder features): per used stream a projection to
 * {@code fusion} (Sem2Vec through M_delta = Linear(sem, semHidden) -> ReLU -> BatchNorm -> Linear(semHidden, fusion)),
 * concatenation, G_theta = Linear(streams x fusion, fusion), embedder Linear(fusion, embedding), and for training
 * only a classifier Linear(embedding, classes) over the base classes.
 */
public record HeadShape(HeadVariant variant, int imageDim, int bodyDim, int semDim, int fusion, int semHidden,
                        int embedding, int classes) {

    public static HeadShape paper(HeadVariant variant, int imageDim, int bodyDim, int semDim, int classes) {
        return new HeadShape(variant, imageDim, bodyDim, semDim, 512, 256, 128, classes);
    }

    public int streams() {
        return (variant.image() ? 1 : 0) + (variant.body() ? 1 : 0) + (variant.semantic() ? 1 : 0);
    }
}

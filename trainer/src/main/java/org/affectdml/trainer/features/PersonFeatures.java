package org.affectdml.trainer.features;

/** The frozen encoder outputs of one person: full-image features, body-crop features and Sem2Vec. */
public record PersonFeatures(float[] image, float[] body, float[] sem2vec) {
}

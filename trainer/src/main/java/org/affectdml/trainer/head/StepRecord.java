package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One optimisation step as it happened, for a listener that asks for it ({@link HeadTrainer.Listener#recordsSteps()}):
 * the rows the sampler gave, the learning rates used, the loss and its parts, every parameter's gradient before the
 * update and every parameter (and BatchNorm statistic) after it. This is what the PyTorch reference replays
 * (trainer/src/test/python/reference_training.py).
 *
 * @param epoch, batch 1-based
 * @param learningRate the head's; {@code encoderLearningRate} the encoders' (0 when they are frozen or absent)
 * @param gradients, weights by parameter name ("head/", "image/", "body/" prefixes in joint training)
 */
public record StepRecord(int epoch, int batch, double learningRate, double encoderLearningRate, int[] rows, double loss,
                         double tripletLoss, double crossEntropy, int triplets, int activeTriplets,
                         Map<String, float[]> gradients, Map<String, float[]> weights) {

    /** Copies of the parameters' gradients (call after backward, before the optimizer clears them). */
    public static Map<String, float[]> gradientsOf(Map<String, NDArray> parameters, String prefix, Map<String, float[]> into) {
        parameters.forEach((name, p) -> into.put(prefix + name, p.getGradient().toFloatArray()));
        return into;
    }

    /** Copies of the parameters' values. */
    public static Map<String, float[]> valuesOf(Map<String, NDArray> parameters, String prefix, Map<String, float[]> into) {
        parameters.forEach((name, p) -> into.put(prefix + name, p.toFloatArray()));
        return into;
    }

    /** The head's weights and BatchNorm running statistics. */
    public static Map<String, float[]> valuesOf(HeadWeights head, String prefix, Map<String, float[]> into) {
        head.tensors().forEach((name, t) -> into.put(prefix + name, t.data().clone()));
        return into;
    }

    public static Map<String, float[]> newMap() {
        return new LinkedHashMap<>();
    }
}

package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.HashMap;
import java.util.Map;

/**
 * PyTorch's RMSprop with its defaults (alpha 0.99, eps 1e-8 outside the root, no momentum, no weight decay;
 * docs/method.md §5.3), written with NDArray ops because DJL's PyTorch engine has none:
 * v <- alpha v + (1 - alpha) g^2; theta <- theta - lr g / (sqrt(v) + eps).
 */
public final class RmsProp {

    public static final float ALPHA = 0.99f;
    public static final float EPS = 1e-8f;
    private final Map<String, NDArray> squareAverages = new HashMap<>();
    private final NDManager stateManager;

    public RmsProp(NDManager stateManager) {
        this.stateManager = stateManager;
    }

    /** Updates {@code weight} in place from its gradient, then zeroes the gradient; temporaries go to {@code scratch}. */
    public void step(String name, NDArray weight, float learningRate, NDManager scratch) {
        NDArray grad = weight.getGradient();
        grad.attach(scratch);
        NDArray v = squareAverages.computeIfAbsent(name, k -> stateManager.zeros(weight.getShape()));
        v.muli(ALPHA).addi(grad.square().muli(1 - ALPHA));
        NDArray denominator = grad.zerosLike().addi(v).sqrt().addi(EPS);
        // detach() shares storage: the in-place update lands in the weight without being recorded by autograd
        NDArray data = weight.stopGradient();
        data.attach(scratch);
        data.subi(grad.div(denominator).muli(learningRate));
        grad.subi(grad);
    }
}

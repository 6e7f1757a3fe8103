package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands for computations that autograd records. DJL's {@code NDArray.mul(Number)} (and div, maximum, add,
 * sub, pow) makes the scalar a tensor over a Java direct buffer and closes it as soon as the operation returns, while
 * libtorch keeps that tensor for the backward pass (mul, div and maximum read it there). Once the garbage collector
 * has freed the buffer, backward reads whatever memory took its place: gradients of 1e7-1e28 instead of 0.04, by
 * chance, as PyTorchReferenceTest found and TrainingUnderGarbageCollectionTest reproduces. So every scalar of a
 * recorded computation is made here, in memory libtorch owns ({@code full}), and lives as long as the graph needs it.
 */
public final class Scalars {

    private Scalars() {
    }

    /** A float32 scalar owned by libtorch, in {@code manager} (the step's scratch manager, closed after backward). */
    public static NDArray of(NDManager manager, double value) {
        return manager.full(new Shape(), (float) value);
    }

    /** The same, in the manager of {@code like} (an activation of the step being recorded). */
    public static NDArray like(NDArray like, double value) {
        return of(like.getManager(), value);
    }
}

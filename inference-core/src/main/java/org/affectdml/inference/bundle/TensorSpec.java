package org.affectdml.inference.bundle;

import java.util.Arrays;

/** Name and shape of a model input or output as the manifest declares it; -1 marks a dynamic dimension. */
public record TensorSpec(String name, long[] shape) {

    public static TensorSpec of(String name, long... shape) {
        return new TensorSpec(name, shape);
    }

    /** The size of the last dimension (the feature width of a [N, D] tensor). */
    public long lastDim() {
        return shape[shape.length - 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}

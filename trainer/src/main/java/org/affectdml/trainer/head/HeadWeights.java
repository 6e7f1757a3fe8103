package org.affectdml.trainer.head;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of the head's parameters and BatchNorm statistics as plain arrays, row-major, Linear weights as
 * (in x out) so that y = x W + b. Names: image_w/b, body_w/b, sem1_w/b, bn_gamma/beta/mean/var, sem2_w/b,
 * fuse_w/b, embed_w/b, classifier_w/b.
 */
public record HeadWeights(HeadShape shape, Map<String, Tensor> tensors) {

    public static final float BN_EPS = 1e-5f;

    public record Tensor(long[] shape, float[] data) {
    }

    public HeadWeights {
        tensors = new LinkedHashMap<>(tensors);
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("head has no tensor " + name);
        }
        return t;
    }

    public long parameterCount() {
        return tensors.entrySet().stream().filter(e -> !e.getKey().equals("bn_mean") && !e.getKey().equals("bn_var"))
                .mapToLong(e -> e.getValue().data().length).sum();
    }
}

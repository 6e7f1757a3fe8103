package org.affectdml.trainer.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The head as DJL NDArrays with autograd: parameters live in the network's manager, every activation in the
 * per-step manager the caller passes (closed after each step, so memory stays flat over an epoch).
 * BatchNorm statistics are plain arrays updated outside autograd, as PyTorch does (momentum 0.1, unbiased
 * variance for the running estimate).
 */
public final class HeadNetwork implements AutoCloseable {

    private static final float BN_MOMENTUM = 0.1f;
    private final HeadShape shape;
    private final NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final float[] bnMean;
    private final float[] bnVar;

    /** A fresh head: PyTorch's default Linear initialisation U(-1/sqrt(in), 1/sqrt(in)), BN gamma 1 beta 0, seeded. */
    public HeadNetwork(HeadShape shape, long seed) {
        this(shape, initialWeights(shape, seed));
    }

    public HeadNetwork(HeadShape shape, HeadWeights weights) {
        this.shape = shape;
        this.manager = NDManager.newBaseManager("PyTorch");
        for (var e : weights.tensors().entrySet()) {
            if (e.getKey().equals("bn_mean") || e.getKey().equals("bn_var")) {
                continue;
            }
            NDArray p = manager.create(e.getValue().data(), new Shape(e.getValue().shape()));
            p.setRequiresGradient(true);
            parameters.put(e.getKey(), p);
        }
        bnMean = shape.variant().semantic() ? weights.get("bn_mean").data().clone() : new float[0];
        bnVar = shape.variant().semantic() ? weights.get("bn_var").data().clone() : new float[0];
    }

    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /** The un-normalised embedding z and the classifier logits. */
    public record Output(NDArray embedding, NDArray logits) {
    }

    /**
     * @param image, body, sem rows of the batch for the streams the variant uses (others may be null); in {@code scratch}
     * @param training BatchNorm on batch statistics (and running statistics updated) when true
     */
    public Output forward(NDManager scratch, NDArray image, NDArray body, NDArray sem, boolean training) {
        List<NDArray> streams = new ArrayList<>();
        if (shape.variant().image()) {
            streams.add(linear(image, "image"));
        }
        if (shape.variant().body()) {
            streams.add(linear(body, "body"));
        }
        if (shape.variant().semantic()) {
            NDArray h = Activation.relu(linear(sem, "sem1"));
            streams.add(linear(batchNorm(scratch, h, training), "sem2"));
        }
        NDArray fused = streams.size() == 1 ? streams.get(0) : NDArrays.concat(new NDList(streams), 1);
        NDArray z = linear(linear(fused, "fuse"), "embed");
        return new Output(z, linear(z, "classifier"));
    }

    private NDArray linear(NDArray x, String name) {
        return x.matMul(parameters.get(name + "_w")).add(parameters.get(name + "_b"));
    }

    private NDArray batchNorm(NDManager scratch, NDArray h, boolean training) {
        NDArray gamma = parameters.get("bn_gamma");
        NDArray beta = parameters.get("bn_beta");
        NDArray mean;
        NDArray var;
        if (training) {
            mean = h.mean(new int[]{0});
            NDArray centred = h.sub(mean);
            var = centred.square().mean(new int[]{0});
            updateRunningStatistics(mean.toFloatArray(), var.toFloatArray(), h.getShape().get(0));
            return centred.div(var.add(Scalars.of(scratch, HeadWeights.BN_EPS)).sqrt()).mul(gamma).add(beta);
        }
        mean = scratch.create(bnMean);
        var = scratch.create(bnVar);
        return h.sub(mean).div(var.add(Scalars.of(scratch, HeadWeights.BN_EPS)).sqrt()).mul(gamma).add(beta);
    }

    private void updateRunningStatistics(float[] mean, float[] biasedVar, long batch) {
        float unbias = batch > 1 ? (float) batch / (batch - 1) : 1f;
        for (int i = 0; i < bnMean.length; i++) {
            bnMean[i] = (1 - BN_MOMENTUM) * bnMean[i] + BN_MOMENTUM * mean[i];
            bnVar[i] = (1 - BN_MOMENTUM) * bnVar[i] + BN_MOMENTUM * biasedVar[i] * unbias;
        }
    }

    /** A copy of the current weights and statistics. */
    public HeadWeights snapshot() {
        Map<String, HeadWeights.Tensor> t = new LinkedHashMap<>();
        for (var e : parameters.entrySet()) {
            t.put(e.getKey(), new HeadWeights.Tensor(e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
        }
        if (shape.variant().semantic()) {
            t.put("bn_mean", new HeadWeights.Tensor(new long[]{bnMean.length}, bnMean.clone()));
            t.put("bn_var", new HeadWeights.Tensor(new long[]{bnVar.length}, bnVar.clone()));
        }
        return new HeadWeights(shape, t);
    }

    public static HeadWeights initialWeights(HeadShape s, long seed) {
        Random random = new Random(seed);
        Map<String, HeadWeights.Tensor> t = new LinkedHashMap<>();
        int streams = 0;
        if (s.variant().image()) {
            linearInit(t, "image", s.imageDim(), s.fusion(), random);
            streams++;
        }
        if (s.variant().body()) {
            linearInit(t, "body", s.bodyDim(), s.fusion(), random);
            streams++;
        }
        if (s.variant().semantic()) {
            linearInit(t, "sem1", s.semDim(), s.semHidden(), random);
            t.put("bn_gamma", new HeadWeights.Tensor(new long[]{s.semHidden()}, filled(s.semHidden(), 1f)));
            t.put("bn_beta", new HeadWeights.Tensor(new long[]{s.semHidden()}, new float[s.semHidden()]));
            t.put("bn_mean", new HeadWeights.Tensor(new long[]{s.semHidden()}, new float[s.semHidden()]));
            t.put("bn_var", new HeadWeights.Tensor(new long[]{s.semHidden()}, filled(s.semHidden(), 1f)));
            linearInit(t, "sem2", s.semHidden(), s.fusion(), random);
            streams++;
        }
        linearInit(t, "fuse", streams * s.fusion(), s.fusion(), random);
        linearInit(t, "embed", s.fusion(), s.embedding(), random);
        linearInit(t, "classifier", s.embedding(), s.classes(), random);
        return new HeadWeights(s, t);
    }

    private static void linearInit(Map<String, HeadWeights.Tensor> t, String name, int in, int out, Random random) {
        float bound = (float) (1 / Math.sqrt(in));
        float[] w = new float[in * out];
        for (int i = 0; i < w.length; i++) {
            w[i] = (random.nextFloat() * 2 - 1) * bound;
        }
        float[] b = new float[out];
        for (int i = 0; i < b.length; i++) {
            b[i] = (random.nextFloat() * 2 - 1) * bound;
        }
        t.put(name + "_w", new HeadWeights.Tensor(new long[]{in, out}, w));
        t.put(name + "_b", new HeadWeights.Tensor(new long[]{out}, b));
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Override
    public void close() {
        manager.close();
    }
}

package org.affectdml.trainer.head;

import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.bundle.TensorSpec;
import org.affectdml.inference.onnx.OnnxGraphBuilder;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes a trained head as ONNX from its weights (DJL cannot export ONNX): the graph of {@link HeadNetwork}'s
 * eval-mode forward pass, BatchNorm folded into a per-channel scale and shift, the classifier left out, the
 * embedding L2-normalised like the default head, and each stream's Linear output also a graph output (its
 * projection, for explanations). Inputs are only the streams the variant uses, so the
 * services compute only those.
 */
public final class HeadOnnxExporter {

    private static final float EPS = 1e-12f;

    private HeadOnnxExporter() {
    }

    public static byte[] export(HeadWeights w, String graphName) {
        HeadShape s = w.shape();
        OnnxGraphBuilder g = new OnnxGraphBuilder(graphName, "affect-dml trainer");
        List<String> streams = new ArrayList<>();
        g.output(Roles.HEAD_EMBEDDING, -1, s.embedding());
        if (s.variant().image()) {
            g.input(Roles.HEAD_IMAGE_FEATURES, -1, s.imageDim());
            streams.add(projection(g, linear(g, w, "image", Roles.HEAD_IMAGE_FEATURES), Roles.HEAD_IMAGE_PROJECTION, s));
        }
        if (s.variant().body()) {
            g.input(Roles.HEAD_BODY_FEATURES, -1, s.bodyDim());
            streams.add(projection(g, linear(g, w, "body", Roles.HEAD_BODY_FEATURES), Roles.HEAD_BODY_PROJECTION, s));
        }
        if (s.variant().semantic()) {
            g.input(Roles.HEAD_SEM2VEC, -1, s.semDim());
            String h = linear(g, w, "sem1", Roles.HEAD_SEM2VEC);
            g.node("Relu", new String[]{h}, new String[]{"sem1_relu"});
            float[] gamma = w.get("bn_gamma").data();
            float[] beta = w.get("bn_beta").data();
            float[] mean = w.get("bn_mean").data();
            float[] var = w.get("bn_var").data();
            float[] scale = new float[gamma.length];
            float[] shift = new float[gamma.length];
            for (int i = 0; i < gamma.length; i++) {
                scale[i] = (float) (gamma[i] / Math.sqrt(var[i] + HeadWeights.BN_EPS));
                shift[i] = beta[i] - mean[i] * scale[i];
            }
            g.initializer("bn_scale", scale, scale.length).initializer("bn_shift", shift, shift.length)
                    .node("Mul", new String[]{"sem1_relu", "bn_scale"}, new String[]{"bn_scaled"})
                    .node("Add", new String[]{"bn_scaled", "bn_shift"}, new String[]{"bn_out"});
            streams.add(projection(g, linear(g, w, "sem2", "bn_out"), Roles.HEAD_SCENE_PROJECTION, s));
        }
        String fusedInput = streams.get(0);
        if (streams.size() > 1) {
            g.node("Concat", streams.toArray(String[]::new), new String[]{"streams"}, "axis", 1L);
            fusedInput = "streams";
        }
        String embedded = linear(g, w, "embed", linear(g, w, "fuse", fusedInput));
        return g.l2Normalize(embedded, Roles.HEAD_EMBEDDING, EPS).build();
    }

    /** The stream's output before fusion, also a graph output under its projection name; returns that name. */
    private static String projection(OnnxGraphBuilder g, String streamOutput, String name, HeadShape s) {
        g.output(name, -1, s.fusion()).node("Identity", new String[]{streamOutput}, new String[]{name});
        return name;
    }

    /** The manifest's inputs of an exported head: the streams its variant uses. */
    public static List<TensorSpec> inputs(HeadShape s) {
        List<TensorSpec> in = new ArrayList<>();
        if (s.variant().image()) {
            in.add(TensorSpec.of(Roles.HEAD_IMAGE_FEATURES, -1, s.imageDim()));
        }
        if (s.variant().body()) {
            in.add(TensorSpec.of(Roles.HEAD_BODY_FEATURES, -1, s.bodyDim()));
        }
        if (s.variant().semantic()) {
            in.add(TensorSpec.of(Roles.HEAD_SEM2VEC, -1, s.semDim()));
        }
        return in;
    }

    /** The manifest's outputs of an exported head: the embedding, then each stream's projection. */
    public static List<TensorSpec> outputs(HeadShape s) {
        List<TensorSpec> out = new ArrayList<>();
        out.add(TensorSpec.of(Roles.HEAD_EMBEDDING, -1, s.embedding()));
        if (s.variant().image()) {
            out.add(TensorSpec.of(Roles.HEAD_IMAGE_PROJECTION, -1, s.fusion()));
        }
        if (s.variant().body()) {
            out.add(TensorSpec.of(Roles.HEAD_BODY_PROJECTION, -1, s.fusion()));
        }
        if (s.variant().semantic()) {
            out.add(TensorSpec.of(Roles.HEAD_SCENE_PROJECTION, -1, s.fusion()));
        }
        return out;
    }

    private static String linear(OnnxGraphBuilder g, HeadWeights w, String name, String input) {
        HeadWeights.Tensor weight = w.get(name + "_w");
        HeadWeights.Tensor bias = w.get(name + "_b");
        g.initializer(name + "_w", weight.data(), weight.shape())
                .initializer(name + "_b", bias.data(), bias.shape())
                .node("MatMul", new String[]{input, name + "_w"}, new String[]{name + "_mm"})
                .node("Add", new String[]{name + "_mm", name + "_b"}, new String[]{name + "_out"});
        return name + "_out";
    }
}
